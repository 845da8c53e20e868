//! The binary's edge: parse options, run a command, map failures to exit codes.

pub mod args;
mod commands;
#[cfg(feature = "demo")]
mod demo;
mod discover;
mod feeds;
mod operate;
mod publishing;
mod settings;

use std::fmt::Display;

/// Exit codes (documented in `--help`, see [`args::EXIT_CODES`]).
pub const EXIT_OK: u8 = 0;
pub const EXIT_NOT_LABELLED: u8 = 1;
pub const EXIT_USAGE: u8 = 2;
pub const EXIT_RUNTIME: u8 = 3;

#[derive(Debug)]
pub enum CliError {
    /// The user asked for something impossible or gave a bad file: exit 2.
    Usage(anyhow::Error),
    /// Something failed while working: exit 3.
    Runtime(anyhow::Error),
}

impl CliError {
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => EXIT_USAGE,
            CliError::Runtime(_) => EXIT_RUNTIME,
        }
    }
}

impl Display for CliError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            CliError::Usage(e) | CliError::Runtime(e) => write!(f, "{e:#}"),
        }
    }
}

pub fn usage(e: impl Display) -> CliError {
    CliError::Usage(anyhow::anyhow!("{e}"))
}

pub fn runtime(e: impl Display) -> CliError {
    CliError::Runtime(anyhow::anyhow!("{e}"))
}

pub async fn run(cli: args::Cli) -> Result<u8, CliError> {
    let settings = settings::resolve_settings(&cli.global)?;
    match cli.command {
        args::Command::Scan(scan) => commands::scan(&settings, scan).await,
        args::Command::Targets(args::TargetsCommand::Import { file }) => {
            commands::import(&settings, &file).await
        }
        args::Command::Targets(args::TargetsCommand::List { format }) => {
            commands::list(&settings, format).await
        }
        args::Command::Status { host, format } => commands::status(&settings, &host, format).await,
        args::Command::Checks(args::ChecksCommand::Lint { dir }) => commands::lint(&dir),
        args::Command::Checks(args::ChecksCommand::Update { files }) => {
            feeds::update(&settings, &files)
        }
        #[cfg(feature = "demo")]
        args::Command::Demo {
            format,
            no_serve,
            listen,
        } => demo::demo(settings, format, (!no_serve).then_some(listen)).await,
        args::Command::Serve(serve) => publishing::serve(&settings, serve).await,
        args::Command::Worker {
            jobs,
            no_scheduler,
            lease_secs,
        } => {
            operate::worker(
                &settings,
                operate::Parts {
                    jobs,
                    scheduler: !no_scheduler,
                    lease_secs,
                },
            )
            .await
        }
        args::Command::Publish { out, public_url } => {
            publishing::publish(&settings, &out, public_url).await
        }
        args::Command::OwnerLink {
            host,
            days,
            revoke,
            public_url,
        } => publishing::owner_link(&settings, &host, days, revoke, public_url).await,
        args::Command::Staff(command) => publishing::staff(&settings, command).await,
        args::Command::ApiToken(command) => publishing::api_token(&settings, command).await,
        args::Command::Discover(command) => discover::run(&settings, command).await,
        #[cfg(feature = "demo")]
        args::Command::FleetServe {
            sites,
            domain,
            mixed,
            rtt_ms,
            jitter_ms,
            own_domains,
            ocsp_responders,
            site_ipv6,
        } => {
            let latency = (rtt_ms > 0).then(|| trustlabel_fleet::Latency {
                rtt: std::time::Duration::from_millis(rtt_ms),
                jitter: std::time::Duration::from_millis(jitter_ms),
            });
            let shape = demo::FleetShape {
                mixed,
                own_domains,
                ocsp_responders,
                site_ipv6,
            };
            demo::fleet_serve(sites, &domain, &shape, latency).await
        }
    }
}
