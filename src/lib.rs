//! bgy: keep the 办公逸 address book in sync with spreadsheets.
//!
//! The data walks one way: read → validate → plan/batch → execute → report. [`run`] is what
//! `main` and the tests call.

pub mod api;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod emulator;
pub mod execute;
pub mod journal;
pub mod live;
pub mod lock;
pub mod model;
pub mod outcome;
pub mod plan;
pub mod progress;
pub mod read;
pub mod report;
pub mod safety;
pub mod template;
pub mod text;
pub mod validate;
pub mod write;

pub use outcome::{error_exit_code, Status, Summary};

use std::time::Instant;

use anyhow::Context as _;

use crate::api::{Client, ClientOptions, Ticket};
use crate::cli::Command;
use crate::config::{Config, Target};

/// The seed of a new `--emulator` state: a few dozen departments, a few hundred people.
pub const SAMPLE_ORG: &str = include_str!("../samples/org.json");

/// Writes lines to stdout; a reader that has gone (`bgy dept list | head -1`) ends the
/// writing quietly instead of a panic.
pub fn stdout_lines(lines: impl IntoIterator<Item = String>) {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    for line in lines {
        if writeln!(out, "{line}").is_err() {
            return;
        }
    }
    let _ = out.flush();
}

/// What every command may need: the client (when online) and the in-process emulator.
pub struct Context {
    pub client: Option<Client>,
    /// Keeps the in-process emulator alive for the run.
    pub emulator: Option<emulator::Running>,
    /// Where calls go, for the report (never the ticket).
    pub server: String,
    pub json: bool,
    pub quiet: bool,
}

impl Context {
    pub async fn new(config: &Config) -> anyhow::Result<Context> {
        let (target, emulator) = match &config.target {
            Target::Offline => (None, None),
            Target::Server { base_url, ticket } => (Some((base_url.clone(), ticket.clone())), None),
            Target::Emulator { state } => {
                let store = emulator::open_store(state, None)?;
                if store.is_empty() {
                    let seed: emulator::Seed = serde_json::from_str(SAMPLE_ORG)
                        .context("the built-in samples/org.json is not valid")?;
                    store
                        .seed(&seed)
                        .map_err(|r| anyhow::anyhow!("seeding the emulator: {}", r.message))?;
                }
                let running = emulator::start_local(store, emulator::Options::default())
                    .await
                    .context("cannot start the embedded emulator")?;
                let url = reqwest::Url::parse(&running.base_url())?;
                (
                    Some((url, Ticket::new(emulator::DEFAULT_TICKET))),
                    Some(running),
                )
            }
        };
        let (client, server) = match target {
            None => (None, "(offline)".to_string()),
            Some((base_url, ticket)) => {
                let server = if emulator.is_some() {
                    format!(
                        "embedded emulator ({})",
                        base_url.as_str().trim_end_matches('/')
                    )
                } else {
                    base_url.as_str().trim_end_matches('/').to_string()
                };
                let mut options = ClientOptions::new(base_url, ticket);
                options.concurrency = config.concurrency;
                options.rate = config.rate;
                options.timeout = config.timeout;
                options.backoff = config.retry_base;
                (Some(Client::new(options)?), server)
            }
        };
        Ok(Context {
            client,
            emulator,
            server,
            json: config.json,
            quiet: config.quiet,
        })
    }

    /// The client, for commands that cannot work offline.
    pub fn client(&self) -> anyhow::Result<&Client> {
        self.client.as_ref().ok_or_else(|| {
            anyhow::anyhow!(
                "no ticket: set --ticket or the BGY_TICKET environment variable, or try --emulator"
            )
        })
    }
}

/// Runs one command.
pub async fn run(config: Config) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut summary = match &config.command {
        Command::Emulator {
            listen,
            state,
            seed,
            latency_ms,
            fail_rate,
        } => {
            let options = emulator::Options {
                ticket: config
                    .ticket
                    .as_ref()
                    .map(|t| t.expose().to_string())
                    .unwrap_or_else(|| emulator::DEFAULT_TICKET.into()),
                latency: std::time::Duration::from_millis(*latency_ms),
                fail_rate: *fail_rate,
            };
            serve_emulator(listen, state, seed.as_deref(), options).await?
        }
        Command::Template {
            kind,
            output,
            force,
        } => {
            anyhow::ensure!(
                *force || !output.exists(),
                "{} exists: bgy template never overwrites a file, which may be a filled-in sheet; choose another -o, or add --force",
                output.display()
            );
            template::write(*kind, output)?;
            eprintln!(
                "bgy template: wrote {} ({} layout)",
                output.display(),
                kind.name()
            );
            Summary {
                command: "template",
                output: Some(output.display().to_string()),
                ..Summary::default()
            }
        }
        command => {
            let ctx = Context::new(&config).await?;
            match command {
                Command::Check {
                    input,
                    kind,
                    create_departments,
                } => cmd::check::run(&ctx, input, *kind, *create_departments).await?,
                Command::Import {
                    input,
                    cover,
                    create_departments,
                    dry_run,
                    resume,
                } => {
                    let options = cmd::import::Options {
                        cover: *cover,
                        create_departments: *create_departments,
                        dry_run: *dry_run,
                        resume: *resume,
                    };
                    cmd::import::run(&ctx, input, options).await?
                }
                Command::Times { input, resume } => cmd::times::run(&ctx, input, *resume).await?,
                Command::Delete { input, yes, force } => {
                    cmd::delete::run(&ctx, input, *yes, *force).await?
                }
                Command::Export {
                    output,
                    department,
                    recursive,
                } => {
                    cmd::export::run(&ctx, output.clone(), department.as_deref(), *recursive)
                        .await?
                }
                Command::Plan { input, prune } => cmd::plan::plan(&ctx, input, *prune).await?,
                Command::Dept { action } => cmd::dept::run(&ctx, action).await?,
                Command::Sync {
                    input,
                    prune,
                    yes,
                    force,
                } => cmd::plan::sync(&ctx, input, *prune, *yes, *force).await?,
                Command::Template { .. } | Command::Emulator { .. } => {
                    unreachable!("handled above")
                }
            }
        }
    };
    summary.elapsed_ms = started.elapsed().as_millis();
    Ok(summary)
}

async fn serve_emulator(
    listen: &str,
    state: &std::path::Path,
    seed: Option<&std::path::Path>,
    options: emulator::Options,
) -> anyhow::Result<Summary> {
    let store = emulator::open_store(state, seed)?;
    if store.is_empty() && seed.is_none() {
        let org: emulator::Seed = serde_json::from_str(SAMPLE_ORG)?;
        store
            .seed(&org)
            .map_err(|r| anyhow::anyhow!("seeding the emulator: {}", r.message))?;
    }
    let listener = tokio::net::TcpListener::bind(listen)
        .await
        .with_context(|| format!("cannot listen on {listen}"))?;
    let running = emulator::start(listener, store, options).await?;
    eprintln!(
        "bgy emulator: serving {} (state {}); Ctrl-C to stop",
        running.base_url(),
        state.display()
    );
    tokio::signal::ctrl_c().await?;
    Ok(Summary {
        command: "emulator",
        ..Summary::default()
    })
}
