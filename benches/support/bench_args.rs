//! What the benches share about their command line: strict flag parsing (a mistyped flag
//! or value stops the bench instead of silently measuring the defaults) and the report,
//! printed first, of every setting a run changes from the shipped default.

use std::fmt::Display;
use std::str::FromStr;

/// The bench's arguments after `cargo bench`'s own (`--bench`), one flag at a time.
pub struct Flags {
    usage: &'static str,
    args: std::vec::IntoIter<String>,
}

impl Flags {
    /// `usage` is printed for `--help` (then the bench exits) and after a bad flag.
    pub fn from_env(usage: &'static str) -> Flags {
        let args: Vec<String> = std::env::args().skip(1).collect();
        Flags {
            usage,
            args: args.into_iter(),
        }
    }

    /// The next flag; `None` when there are no more. `--help` prints the usage and exits.
    pub fn next_flag(&mut self) -> Option<String> {
        loop {
            let flag = self.args.next()?;
            match flag.as_str() {
                // cargo bench passes this to every bench target.
                "--bench" => continue,
                "--help" | "-h" => {
                    println!("{}", self.usage);
                    std::process::exit(0);
                }
                _ => return Some(flag),
            }
        }
    }

    /// The value after `flag`, parsed.
    pub fn value<T: FromStr>(&mut self, flag: &str) -> T
    where
        T::Err: Display,
    {
        let Some(text) = self.args.next() else {
            self.fail(&format!("{flag} needs a value"));
        };
        text.parse()
            .unwrap_or_else(|e| self.fail(&format!("{flag} {text}: {e}")))
    }

    /// Stops the bench with `message` and the usage.
    pub fn fail(&self, message: &str) -> ! {
        eprintln!("error: {message}\n\n{}", self.usage);
        std::process::exit(2);
    }
}

/// Settings a run uses that differ from the shipped defaults (`trustlabel.example.toml`,
/// `CollectorSettings::default()`, the CLI's defaults), each with both values and why.
pub struct Changes {
    bench: &'static str,
    lines: Vec<String>,
}

impl Changes {
    pub fn new(bench: &'static str) -> Changes {
        Changes {
            bench,
            lines: Vec::new(),
        }
    }

    /// Records `setting` when `used` differs from `default`.
    pub fn compare<T: PartialEq + Display>(
        &mut self,
        setting: &str,
        default: T,
        used: T,
        why: &str,
    ) {
        if default != used {
            self.always(setting, default, used, why);
        }
    }

    /// Records a setting the bench always changes (pointing the scanner at the fleet).
    pub fn always(&mut self, setting: &str, default: impl Display, used: impl Display, why: &str) {
        self.lines.push(format!(
            "  {setting}: {default} (default) -> {used}  [{why}]"
        ));
    }

    /// Prints the report to stdout.
    pub fn print(&self) {
        if self.lines.is_empty() {
            println!("{}: every setting at its shipped default", self.bench);
        } else {
            println!(
                "{}: settings changed from the shipped defaults:\n{}",
                self.bench,
                self.lines.join("\n")
            );
        }
    }
}
