//! The publishing commands: `serve`, `publish`, `owner-link`, `staff`.

use super::args::{ApiTokenCommand, ServeArgs, StaffCommand};
use super::commands::{cli_actor, cli_audit, load_rules, open_store, stored_target};
use super::settings::{DEFAULT_DATABASE, Settings};
use super::{CliError, EXIT_OK, runtime, usage};
use std::io::BufRead;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::Arc;
use time::OffsetDateTime;
use trustlabel::publish::settings::{DEFAULT_LISTEN, PublishSettings};
use trustlabel::web::{self, AppState, TlsFiles};
use trustlabel_store::Store;

/// What `serve` (and `demo`) listen on; unset fields come from `[publish]`.
#[derive(Debug, Default)]
pub struct ServeOptions {
    pub listen: Option<String>,
    pub tls: Option<TlsFiles>,
    pub http_redirect: Option<String>,
    pub public_url: Option<String>,
    pub no_worker: bool,
}

/// The publishing settings with the policy's label rules and the scheduler's cadence.
fn publish_settings(
    settings: &Settings,
    section: &trustlabel::config::PublishSection,
    listen_url: &str,
    rules: &trustlabel_core::ruleset::RuleSet,
) -> Result<PublishSettings, CliError> {
    let mut publish = PublishSettings::from_section(section, listen_url, rules.policy.label_rules)
        .map_err(usage)?;
    publish.cadence = super::operate::cadence(settings)?;
    publish.scanner.user_agent = settings.collector.user_agent.clone();
    let addresses = publish.scanner.source_addresses.iter().map(String::as_str);
    trustlabel::web::proxy::TrustedProxies::parse(addresses)
        .map_err(|e| usage(format!("[publish] scanner_addresses: {e}")))?;
    Ok(publish)
}

fn parse_addr(text: &str) -> Result<SocketAddr, CliError> {
    text.parse()
        .map_err(|_| usage(format!("`{text}` is not ADDR:PORT (e.g. 127.0.0.1:8080)")))
}

pub async fn serve(settings: &Settings, args: ServeArgs) -> Result<u8, CliError> {
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let p = &settings.publish;
    let tls = match (
        args.tls_cert.or(p.tls_cert.clone()),
        args.tls_key.or(p.tls_key.clone()),
    ) {
        (Some(cert), Some(key)) => Some(TlsFiles { cert, key }),
        (None, None) => None,
        _ => return Err(usage("TLS needs both a certificate and a key")),
    };
    let options = ServeOptions {
        listen: args.listen,
        tls,
        http_redirect: args.http_redirect.or(p.http_redirect_listen.clone()),
        public_url: args.public_url,
        no_worker: args.no_worker,
    };
    serve_store(settings, store, options).await?;
    Ok(EXIT_OK)
}

/// Runs the web server over `store` until Ctrl-C.
pub async fn serve_store(
    settings: &Settings,
    store: Store,
    options: ServeOptions,
) -> Result<(), CliError> {
    let rules = load_rules(settings)?;
    let listen = options
        .listen
        .or(settings.publish.listen.clone())
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let tls_config = match &options.tls {
        Some(files) => Some(files.load().map_err(usage)?),
        None => None,
    };
    let listener = tokio::net::TcpListener::bind(parse_addr(&listen)?)
        .await
        .map_err(|e| usage(format!("cannot listen on {listen}: {e}")))?;
    let local = listener.local_addr().map_err(runtime)?;
    let scheme = if tls_config.is_some() {
        "https"
    } else {
        "http"
    };
    let mut section = settings.publish.clone();
    if let Some(url) = options.public_url {
        section.public_url = Some(url);
    }
    // Serving beyond this machine is production: people must see who publishes the list
    // and whom to ask. Only a local server (the demo, a test) may run with placeholders.
    if tls_config.is_some() || !local.ip().is_loopback() {
        let missing: Vec<&str> = [
            ("authority_name", section.authority_name.is_none()),
            ("authority_short", section.authority_short.is_none()),
            ("contact", section.contact.is_none()),
        ]
        .iter()
        .filter(|(_, missing)| *missing)
        .map(|(name, _)| *name)
        .collect();
        if !missing.is_empty() {
            return Err(usage(format!(
                "serving on {local} needs [publish] {} in the configuration: every page names \
                 the labelling authority and its contact (only a loopback server may go without)",
                missing.join(", ")
            )));
        }
    }
    let publish = publish_settings(settings, &section, &format!("{scheme}://{local}"), &rules)?;
    // Queued re-scans, the scheduler and the outbox run in this process unless another
    // one (`trustlabel worker`) does them.
    let background = if options.no_worker {
        None
    } else {
        Some(super::operate::start(
            settings,
            &rules,
            &store,
            &publish,
            super::operate::Parts {
                jobs: settings
                    .explicit_concurrency
                    .unwrap_or(super::settings::DEFAULT_SERVE_JOBS),
                scheduler: true,
                lease_secs: None,
            },
        )?)
    };
    let mut state = AppState::new(
        store.clone(),
        Arc::clone(&rules),
        publish,
        tls_config.is_some(),
    )
    .map_err(runtime)?;
    if let Some(b) = &background {
        state.queue_wake = Arc::clone(&b.wake);
    }
    let proxies = section.trusted_proxies.iter().flatten().map(String::as_str);
    state.proxies = Arc::new(
        web::proxy::TrustedProxies::parse(proxies)
            .map_err(|e| usage(format!("[publish] trusted_proxies: {e}")))?,
    );
    let limiter = Arc::clone(&state.limiter);
    let login = Arc::clone(&state.login);
    let tokens = Arc::clone(&state.tokens);
    let sweeper = tokio::spawn(async move {
        loop {
            tokio::time::sleep(std::time::Duration::from_secs(60)).await;
            limiter.shrink();
            tokens.shrink();
            login.shrink(std::time::Instant::now());
        }
    });
    let server =
        web::spawn_server(listener, web::router(state), tls_config.clone()).map_err(runtime)?;
    let redirect = match (&options.http_redirect, &tls_config) {
        (Some(addr), Some(_)) => {
            let https_base = section
                .public_url
                .clone()
                .filter(|u| u.starts_with("https://"))
                .ok_or_else(|| {
                    usage(
                        "--http-redirect needs [publish] public_url, the https:// address \
                         people use: the redirect goes there, never to the Host a request names",
                    )
                })?;
            let l = tokio::net::TcpListener::bind(parse_addr(addr)?)
                .await
                .map_err(|e| usage(format!("cannot listen on {addr}: {e}")))?;
            Some(web::spawn_redirect(l, https_base).map_err(runtime)?)
        }
        (Some(_), None) => return Err(usage("--http-redirect needs --tls-cert/--tls-key")),
        _ => None,
    };
    eprintln!("serving on {scheme}://{} (Ctrl-C to stop)", server.addr);
    if let Some(r) = &redirect {
        eprintln!("redirecting http://{} to HTTPS", r.addr);
    }
    super::operate::shutdown_signal().await;
    server.stop().await;
    if let Some(r) = redirect {
        r.stop().await;
    }
    if let Some(b) = background {
        b.shutdown().await;
    }
    sweeper.abort();
    store.close().await;
    Ok(())
}

pub async fn publish(
    settings: &Settings,
    out: &Path,
    public_url: Option<String>,
) -> Result<u8, CliError> {
    let rules = load_rules(settings)?;
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let mut section = settings.publish.clone();
    if public_url.is_some() {
        section.public_url = public_url;
    }
    let listen = section
        .listen
        .clone()
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    let publish = publish_settings(settings, &section, &format!("http://{listen}"), &rules)?;
    let summary = trustlabel::publish::export::export(
        &store,
        &publish,
        &rules,
        OffsetDateTime::now_utc(),
        out,
    )
    .await
    .map_err(|e| match e {
        trustlabel::publish::export::ExportError::NotOurs(_) => usage(e),
        other => runtime(other),
    })?;
    eprintln!(
        "{}: {} sites, {} files",
        out.display(),
        summary.sites,
        summary.files
    );
    store.close().await;
    Ok(EXIT_OK)
}

pub async fn owner_link(
    settings: &Settings,
    host: &str,
    days: Option<i64>,
    revoke: bool,
    public_url: Option<String>,
) -> Result<u8, CliError> {
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let target = stored_target(&store, host).await?;
    let ascii = target.target.host.clone();
    let now = OffsetDateTime::now_utc();
    let rules = load_rules(settings)?;
    let mut section = settings.publish.clone();
    if public_url.is_some() {
        section.public_url = public_url;
    }
    let listen = section
        .listen
        .clone()
        .unwrap_or_else(|| DEFAULT_LISTEN.to_string());
    if section.public_url.is_none() && !revoke {
        // The link must name the address owners reach; without one configured the best
        // guess is the listen address, which is right only for a local server.
        eprintln!(
            "warning: no [publish] public_url configured and no --public-url given: the link \
             names http://{listen}, the listen address in the configuration"
        );
    }
    let mut publish = publish_settings(settings, &section, &format!("http://{listen}"), &rules)?;
    if let Some(days) = days {
        if !(1..=3650).contains(&days) {
            return Err(usage("--days must be between 1 and 3650"));
        }
        publish.owner_link_ttl = time::Duration::days(days);
    }
    if revoke {
        let n = store
            .revoke_owner_links(target.id, None, now)
            .await
            .map_err(runtime)?;
        cli_audit(
            &store,
            "owner_link_revoke",
            Some(&ascii),
            &format!("{n} links revoked"),
        )
        .await?;
        eprintln!("{n} owner links of {ascii} revoked");
        return Ok(EXIT_OK);
    }
    let token = trustlabel::auth::new_token();
    let expires = now + publish.owner_link_ttl;
    let id = store
        .create_owner_link(
            target.id,
            &trustlabel::auth::token_hash(&token),
            now,
            expires,
        )
        .await
        .map_err(runtime)?;
    cli_audit(
        &store,
        "owner_link",
        Some(&ascii),
        &format!("link {id} issued, expires {}", expires.date()),
    )
    .await?;
    println!("{}/owner/{token}", publish.public_url);
    eprintln!(
        "owner link {id} for {ascii}, valid until {} (revoke with `trustlabel owner-link {ascii} --revoke`)",
        expires.date()
    );
    store.close().await;
    Ok(EXIT_OK)
}

fn read_password() -> Result<String, CliError> {
    let mut line = String::new();
    std::io::stdin()
        .lock()
        .read_line(&mut line)
        .map_err(|e| usage(format!("cannot read the password from standard input: {e}")))?;
    Ok(line.trim_end_matches(['\r', '\n']).to_string())
}

pub async fn staff(settings: &Settings, command: StaffCommand) -> Result<u8, CliError> {
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let now = OffsetDateTime::now_utc();
    let audit = |action: &'static str, user: &str| {
        let detail = format!("account {user}");
        (action, detail)
    };
    let (action, detail) = match command {
        StaffCommand::Add { username } => {
            let username = username.trim().to_string();
            if username.is_empty() || username.chars().any(char::is_whitespace) {
                return Err(usage("a user name cannot be empty or contain spaces"));
            }
            let max = trustlabel::web::login_throttle::MAX_USERNAME_CHARS;
            if username.chars().count() > max || username.chars().any(char::is_control) {
                return Err(usage(format!(
                    "a user name has at most {max} characters and no control characters"
                )));
            }
            let hash = trustlabel::auth::hash_password(&read_password()?).map_err(usage)?;
            store
                .create_staff(&username, &hash, now)
                .await
                .map_err(|e| match e {
                    trustlabel_store::StoreError::Conflict(_) => usage(e),
                    other => runtime(other),
                })?;
            eprintln!("staff account {username} created");
            audit("staff_add", &username)
        }
        StaffCommand::Passwd { username } => {
            let hash = trustlabel::auth::hash_password(&read_password()?).map_err(usage)?;
            if !store
                .set_staff_password(&username, &hash)
                .await
                .map_err(runtime)?
            {
                return Err(usage(format!("no staff account {username}")));
            }
            eprintln!("password of {username} changed; its sessions have ended");
            audit("staff_passwd", &username)
        }
        StaffCommand::Disable { username } => {
            set_disabled(&store, &username, true).await?;
            audit("staff_disable", &username)
        }
        StaffCommand::Enable { username } => {
            set_disabled(&store, &username, false).await?;
            audit("staff_enable", &username)
        }
        StaffCommand::List => {
            for user in store.staff_users().await.map_err(runtime)? {
                println!(
                    "{}\t{}",
                    user.username,
                    if user.disabled { "disabled" } else { "active" }
                );
            }
            return Ok(EXIT_OK);
        }
    };
    cli_audit(&store, action, None, &detail).await?;
    store.close().await;
    Ok(EXIT_OK)
}

async fn set_disabled(store: &Store, username: &str, disabled: bool) -> Result<(), CliError> {
    if !store
        .set_staff_disabled(username, disabled)
        .await
        .map_err(runtime)?
    {
        return Err(usage(format!("no staff account {username}")));
    }
    eprintln!(
        "staff account {username} {}",
        if disabled { "disabled" } else { "enabled" }
    );
    Ok(())
}

pub async fn api_token(settings: &Settings, command: ApiTokenCommand) -> Result<u8, CliError> {
    use trustlabel::api_tokens::{self, TokenRequestError};
    let store = open_store(&settings.database_or(DEFAULT_DATABASE)).await?;
    let now = OffsetDateTime::now_utc();
    let refused = |e: TokenRequestError| match e {
        TokenRequestError::Store(e) => runtime(e),
        other => usage(other),
    };
    match command {
        ApiTokenCommand::Create { name, scopes, days } => {
            let scopes =
                api_tokens::parse_scopes(scopes.iter().map(String::as_str)).map_err(refused)?;
            let issued = api_tokens::issue(&store, &name, scopes, days, &cli_actor(), now)
                .await
                .map_err(refused)?;
            println!("{}", issued.token);
            eprintln!(
                "API token {} for {} ({}), valid until {}; it is shown only now \
                 (revoke with `trustlabel api-token revoke {}`)",
                issued.id,
                issued.name,
                api_tokens::scope_list(&issued.scopes),
                issued.expires_at.date(),
                issued.id
            );
        }
        ApiTokenCommand::List => {
            for token in store.api_tokens().await.map_err(runtime)? {
                let state = match token.revoked_at {
                    Some(at) => format!("revoked {}", at.date()),
                    None if token.expires_at <= now => "expired".to_string(),
                    None => "active".to_string(),
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}",
                    token.id,
                    token.name,
                    api_tokens::scope_list(&token.scopes),
                    token.expires_at.date(),
                    state
                );
            }
        }
        ApiTokenCommand::Revoke { id } => {
            api_tokens::revoke(&store, id, &cli_actor(), now)
                .await
                .map_err(refused)?;
            eprintln!("API token {id} revoked");
        }
    }
    store.close().await;
    Ok(EXIT_OK)
}
