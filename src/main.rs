//! `trustlabel` command-line entry point.

mod cli;

use clap::Parser;
use std::process::ExitCode;

/// A scan allocates and frees small buffers on both runtime threads all the time (records,
/// headers, parsed documents); glibc's allocator spent an eighth of the scanner's CPU in
/// a 2-core scan (`perf`), mimalloc's thread-local pages far less.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let cli = cli::args::Cli::parse();
    let filter = match cli.global.verbose {
        0 => "warn",
        1 => "info,trustlabel=debug",
        _ => "debug",
    };
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("TRUSTLABEL_LOG")
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(filter)),
        )
        .with_writer(std::io::stderr)
        .init();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("error: cannot start the async runtime: {e}");
            return ExitCode::from(cli::EXIT_RUNTIME);
        }
    };
    match runtime.block_on(cli::run(cli)) {
        Ok(code) => ExitCode::from(code),
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}
