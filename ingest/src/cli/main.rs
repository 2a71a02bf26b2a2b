//! The `airlock` command: the daemon, its administration on the daemon's
//! own machine (`serve`, `user`, `config`, `audit`, `policy`), and the
//! client commands that reach a server over its API ([`remote`]).

mod remote;
mod table;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand};

use airlock_ingest::auth::{self, Administrator, NewUser};
use airlock_ingest::{App, Config};
use airlock_policies::{Action, CheckedFile, Findings, Policies, Principal, Role, TransferFacts};
use airlock_zones::{Classification, Clearance, ZoneName};

#[derive(Parser)]
#[command(
    name = "airlock",
    version,
    about = "Airlock: scanned, governed ingest into data lakes"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// Where the configuration comes from; flags override the file.
#[derive(clap::Args)]
struct Common {
    /// TOML configuration file; embedded defaults when absent.
    #[arg(long)]
    config: Option<PathBuf>,
    /// Data directory (catalog, quarantine, local lakes).
    #[arg(long)]
    data_dir: Option<PathBuf>,
}

impl Common {
    fn load(&self) -> anyhow::Result<Config> {
        let mut config = Config::load(self.config.as_deref())?;
        if let Some(dir) = &self.data_dir {
            config.data_dir = dir.clone();
        }
        Ok(config)
    }
}

#[derive(Subcommand)]
enum Command {
    /// Runs the daemon: the HTTP API and the pipeline workers.
    Serve {
        #[command(flatten)]
        common: Common,
        /// Address to listen on (default 127.0.0.1:8080).
        #[arg(long)]
        listen: Option<SocketAddr>,
    },
    /// Manages users.
    User {
        #[command(subcommand)]
        command: UserCommand,
    },
    /// Validates a configuration file and its zones, then exits.
    Config {
        #[command(subcommand)]
        command: ConfigCommand,
    },
    /// Works with the tamper-evident audit log.
    Audit {
        #[command(subcommand)]
        command: AuditCommand,
    },
    /// Validates and explains Cedar policy sets.
    Policy {
        #[command(subcommand)]
        command: PolicyCommand,
    },
    /// Delivers files to an approved acquisition over tus, with progress;
    /// run again, it resumes an interrupted upload.
    Submit(remote::Submit),
    /// A delivered file's state, verdicts and reason.
    Status {
        #[command(flatten)]
        remote: remote::Remote,
        file_id: String,
    },
    /// The review queue; with a subcommand, a decision.
    Review {
        #[command(flatten)]
        remote: remote::Remote,
        #[command(subcommand)]
        command: Option<remote::ReviewCommand>,
    },
    /// Searches the catalog: words, "phrases", prefix*, OR, -excluded.
    Search {
        #[command(flatten)]
        remote: remote::Remote,
        query: String,
        /// At most this many results (1-100).
        #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=100))]
        limit: u32,
    },
    /// Reads the catalog's datasets.
    Datasets {
        #[command(subcommand)]
        command: remote::DatasetsCommand,
    },
    /// Manages your own token.
    Token {
        #[command(subcommand)]
        command: remote::TokenCommand,
    },
}

#[derive(Subcommand)]
enum PolicyCommand {
    /// Validates the `*.cedar` files of DIR against Airlock's schema; names
    /// the file and line of the first error.
    Check { dir: PathBuf },
    /// Puts one request to a policy set and prints which policies
    /// permitted or forbade it.
    Explain {
        /// The policy directory; default: the configured one, else the
        /// shipped policies.
        #[arg(long)]
        dir: Option<PathBuf>,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// For an analyst: the zones they are cleared for.
        #[arg(long, value_delimiter = ',')]
        zones: Vec<ZoneName>,
        /// The Cedar action, e.g. review_file, view_dataset or
        /// publish_without_review.
        #[arg(long)]
        action: String,
        /// The resource is the caller's own (they registered or delivered it).
        #[arg(long)]
        own: bool,
        /// The resource's zone (datasets and files).
        #[arg(long, default_value = "sandbox")]
        zone: ZoneName,
        /// The file's or dataset's classification.
        #[arg(long, default_value = "OFFICIAL")]
        classification: Classification,
        /// For transfers: the zone they go to (`--zone` is where from).
        #[arg(long, default_value = "sandbox")]
        to_zone: ZoneName,
        /// For transfers: from a sensitive zone into a non-sensitive one.
        #[arg(long)]
        export: bool,
        /// The file decisions' findings, as JSON:
        /// `{"pii_kinds": ["email"], "personal_data_declared": false, …}`.
        #[arg(long)]
        findings: Option<String>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum AuditCommand {
    /// Checks every link of the audit log's hash chain and prints its head;
    /// names the first edited, deleted or reordered event.
    Verify {
        /// A head printed by an earlier run (SEQ:HASH): the log must still
        /// hold it, which catches events cut from the end.
        #[arg(long)]
        checkpoint: Option<airlock_catalog::AuditHead>,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum UserCommand {
    /// Creates a user and prints its bearer token, once.
    Add {
        name: String,
        #[arg(long, value_parser = parse_role)]
        role: Role,
        /// For an analyst: the zones whose datasets they may read
        /// (`sandbox,corporate`).
        #[arg(long, value_delimiter = ',')]
        zones: Vec<String>,
        /// The token expires after this many days (1-3650); by default it
        /// does not.
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[command(flatten)]
        common: Common,
    },
    /// Issues a user one more token (after a revocation, say), printed once.
    Token {
        name: String,
        /// The token expires after this many days (1-3650).
        #[arg(long)]
        expires_in_days: Option<u32>,
        #[command(flatten)]
        common: Common,
    },
    /// Revokes every token a user holds, at once.
    Revoke {
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Disables a user: every token and sign-in is refused until enabled.
    Disable {
        name: String,
        #[command(flatten)]
        common: Common,
    },
    /// Enables a disabled user again.
    Enable {
        name: String,
        #[command(flatten)]
        common: Common,
    },
}

#[derive(Subcommand)]
enum ConfigCommand {
    /// Checks the configuration without starting anything.
    Check {
        #[command(flatten)]
        common: Common,
    },
    /// Prints the OpenAPI document the daemon serves at /openapi.json
    /// with this configuration (its zones are the document's zone enum).
    Openapi {
        #[command(flatten)]
        common: Common,
    },
}

fn parse_role(s: &str) -> Result<Role, String> {
    s.parse()
        .map_err(|e: airlock_policies::PolicyError| e.to_string())
}

#[tokio::main]
async fn main() -> anyhow::Result<ExitCode> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("AIRLOCK_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        // Colours for a person at a terminal only: a log file or a
        // collector gets plain `key=value` lines.
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    match Cli::parse().command {
        Command::Submit(args) => return remote::submit(args).await,
        Command::Status { remote, file_id } => return remote::status(remote, file_id).await,
        Command::Review { remote, command } => return remote::review(remote, command).await,
        Command::Search {
            remote,
            query,
            limit,
        } => return remote::search(remote, query, limit).await,
        Command::Datasets { command } => return remote::datasets(command).await,
        Command::Token { command } => return remote::token(command).await,
        Command::Serve { common, listen } => {
            let mut config = common.load()?;
            if let Some(addr) = listen {
                config.listen = addr;
            }
            // Refuse a forbidden configuration before touching anything.
            config.zone_set()?;
            config.policies()?;
            let listener = tokio::net::TcpListener::bind(config.listen)
                .await
                .with_context(|| format!("binding {}", config.listen))?;
            let clamd_env = std::env::var("AIRLOCK_CLAMD")
                .ok()
                .filter(|v| !v.is_empty());
            let app = App::open(config, clamd_env.as_deref()).await?;
            tracing::info!(addr = %listener.local_addr()?, "airlock listening");
            eprintln!("airlock listening on http://{}", listener.local_addr()?);
            airlock_ingest::serve(app, listener, shutdown_signal()).await?;
            tracing::info!("airlock stopped");
        }
        Command::User { command } => user_command(command).await?,
        Command::Config {
            command: ConfigCommand::Check { common },
        } => {
            let config = common.load()?;
            let zones = config.zone_set()?;
            config.rescan_schedule()?;
            config.retention_schedule()?;
            config.check_endpoints()?;
            let policies = config.policies()?;
            println!(
                "configuration is valid: {} zones, {} policies, {} catalog",
                zones.iter().count(),
                policies.len(),
                // Only the scheme: a PostgreSQL URL may carry a password.
                config.catalog_url().split(':').next().unwrap_or_default()
            );
        }
        Command::Config {
            command: ConfigCommand::Openapi { common },
        } => {
            let zones = common.load()?.zone_set()?;
            let document = airlock_ingest::api::document(&zones);
            // Written, not printed: a closed pipe is an error, not a panic.
            let mut out = std::io::stdout().lock();
            serde_json::to_writer_pretty(&mut out, &document)?;
            std::io::Write::write_all(&mut out, b"\n")?;
        }
        Command::Audit {
            command: AuditCommand::Verify { checkpoint, common },
        } => {
            let config = common.load()?;
            let catalog = airlock_catalog::connect(&config.catalog_url()).await?;
            let head = airlock_catalog::verify_audit(catalog.as_ref(), checkpoint.as_ref())
                .await
                .context("the audit log does not verify")?;
            eprintln!(
                "audit log intact: {} events; record its head to check later that none were cut:",
                head.seq
            );
            println!("{head}");
        }
        Command::Policy {
            command: PolicyCommand::Check { dir },
        } => {
            let policies = Policies::load(&airlock_ingest::config::read_policy_dir(&dir)?)?;
            println!("{}: {} policies valid", dir.display(), policies.len());
        }
        Command::Policy {
            command:
                PolicyCommand::Explain {
                    dir,
                    role,
                    zones,
                    action,
                    own,
                    zone,
                    classification,
                    to_zone,
                    export,
                    findings,
                    common,
                },
        } => {
            let policies = match dir {
                Some(dir) => Policies::load(&airlock_ingest::config::read_policy_dir(&dir)?)?,
                None => common.load()?.policies()?,
            };
            let findings: Findings = match findings {
                Some(json) => serde_json::from_str(&json).context("--findings")?,
                None => Findings::default(),
            };
            let who = Principal {
                user_id: "caller".into(),
                name: "caller".into(),
                role,
                zones: Clearance::new(zones),
            };
            let owner = if own { "caller" } else { "someone-else" };
            let file = CheckedFile {
                submitter_id: owner,
                zone: &zone,
                classification,
                findings: &findings,
            };
            let transfer = TransferFacts {
                requester_id: owner,
                from_zone: &zone,
                to_zone: &to_zone,
                classification: Some(classification),
                export,
            };
            let request =
                Action::named(&action, owner, &zone, file, transfer).with_context(|| {
                    format!(
                        "unknown action {action:?}; one of {}",
                        Action::NAMES.join(", ")
                    )
                })?;
            let explained = policies.explain(&who, request)?;
            print!("{explained}");
            if !explained.allowed {
                return Ok(ExitCode::FAILURE);
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The user commands: on the daemon's own catalog, as its operator.
async fn user_command(command: UserCommand) -> anyhow::Result<()> {
    let common = match &command {
        UserCommand::Add { common, .. }
        | UserCommand::Token { common, .. }
        | UserCommand::Revoke { common, .. }
        | UserCommand::Disable { common, .. }
        | UserCommand::Enable { common, .. } => common,
    };
    let config = common.load()?;
    let zones = config.zone_set()?;
    std::fs::create_dir_all(&config.data_dir)?;
    let catalog = airlock_catalog::connect(&config.catalog_url()).await?;
    let catalog = catalog.as_ref();
    let admin = Administrator::CommandLine;
    match command {
        UserCommand::Add {
            name,
            role,
            zones: names,
            expires_in_days,
            ..
        } => {
            let new = NewUser {
                name,
                role,
                zones: names,
                expires_in_days,
            };
            let (user, token) = auth::create_user(catalog, &zones, admin, new).await?;
            eprintln!(
                "created {} ({}) with id {}; its token is shown once:",
                user.name, user.role, user.id
            );
            println!("{token}");
        }
        UserCommand::Token {
            name,
            expires_in_days,
            ..
        } => {
            let token = auth::issue_token(catalog, admin, &name, expires_in_days).await?;
            eprintln!("a new token for {name}, shown once:");
            println!("{token}");
        }
        UserCommand::Revoke { name, .. } => {
            let revoked = auth::revoke_tokens(catalog, admin, &name).await?;
            println!("revoked {revoked} tokens of {name}");
        }
        UserCommand::Disable { name, .. } => {
            auth::set_disabled(catalog, admin, &name, true).await?;
            println!("disabled {name}: every token and sign-in is refused");
        }
        UserCommand::Enable { name, .. } => {
            auth::set_disabled(catalog, admin, &name, false).await?;
            println!("enabled {name}");
        }
    }
    Ok(())
}

/// Resolves on SIGINT or SIGTERM.
async fn shutdown_signal() {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .expect("installing the SIGTERM handler");
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = term.recv() => {}
    }
    tracing::info!("shutting down: finishing requests, releasing leases");
}
