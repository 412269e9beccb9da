//! bgy: keep the 办公逸 address book in sync with spreadsheets.
//!
//! The data walks one way: read → validate → plan/batch → execute → report. [`run`] is what
//! `main` and the tests call.

pub mod api;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod console;
pub mod emulator;
pub mod events;
pub mod execute;
pub mod journal;
pub mod live;
pub mod lock;
pub mod model;
pub mod outcome;
pub mod plan;
pub mod read;
pub mod report;
pub mod safety;
pub mod template;
pub mod text;
pub mod validate;
pub mod write;

pub use outcome::{error_exit_code, Status, Summary};

use std::sync::Arc;
use std::time::Instant;

use anyhow::Context as _;

use crate::api::{Client, ClientOptions, Ticket};
use crate::config::{Config, EmulatorJob, Job, Target};
use crate::events::{Emit, Observer};
use crate::execute::Stop;

/// The seed of a new `--emulator` state: a few dozen departments, a few hundred people.
pub const SAMPLE_ORG: &str = include_str!("../samples/org.json");

/// What every command may need: the client (when online) and the in-process emulator.
pub struct Context {
    pub client: Option<Client>,
    /// Keeps the in-process emulator alive for the run.
    pub emulator: Option<Arc<emulator::Running>>,
    /// Where calls go, for the report (never the ticket).
    pub server: String,
    /// Where the run's events go (the front-end).
    pub events: Arc<dyn Observer>,
    /// Stops the run: a fatal API condition, or the person (Ctrl-C, a Stop button).
    pub stop: Stop,
}

impl Context {
    pub async fn new(config: &Config, events: Arc<dyn Observer>) -> anyhow::Result<Context> {
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
        let stop = Stop::new();
        if let Some(c) = &client {
            stop.cancels(c);
        }
        Ok(Context {
            client,
            emulator: emulator.map(Arc::new),
            server,
            events,
            stop,
        })
    }

    /// The same directory for another run: its own front-end and its own stop.
    pub fn for_run(&self, events: Arc<dyn Observer>) -> Context {
        let stop = Stop::new();
        if let Some(c) = &self.client {
            stop.cancels(c);
        }
        Context {
            client: self.client.clone(),
            emulator: self.emulator.clone(),
            server: self.server.clone(),
            events,
            stop,
        }
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

/// Runs one command from the command line: the console draws its events, and Ctrl-C stops a
/// run that sends.
pub async fn run(config: Config) -> anyhow::Result<Summary> {
    let events = Arc::new(console::Console::new(config.quiet));
    run_with(config, events).await
}

/// Runs one command, telling `events` how it goes.
pub async fn run_with(config: Config, events: Arc<dyn Observer>) -> anyhow::Result<Summary> {
    let started = Instant::now();
    let mut summary = match &config.job {
        Job::Emulator(job) => {
            let options = emulator::Options {
                ticket: config
                    .ticket
                    .as_ref()
                    .map(|t| t.expose().to_string())
                    .unwrap_or_else(|| emulator::DEFAULT_TICKET.into()),
                latency: job.latency,
                fail_rate: job.fail_rate,
            };
            serve_emulator(job, options, events.as_ref()).await?
        }
        Job::Template {
            layout,
            output,
            force,
        } => {
            anyhow::ensure!(
                *force || !output.exists(),
                "{} exists: bgy template never overwrites a file, which may be a filled-in sheet; choose another -o, or add --force",
                output.display()
            );
            template::write(*layout, output)?;
            events.note(format!(
                "bgy template: wrote {} ({} layout)",
                output.display(),
                layout.name()
            ));
            Summary {
                command: "template",
                output: Some(output.display().to_string()),
                ..Summary::default()
            }
        }
        job => {
            let ctx = Context::new(&config, events).await?;
            let _ctrl_c = job.sends().then(|| console::on_ctrl_c(ctx.stop.clone()));
            run_job(&ctx, job).await?
        }
    };
    summary.elapsed_ms = started.elapsed().as_millis();
    Ok(summary)
}

/// Runs a job that reads or changes the directory, in `ctx`.
pub async fn run_job(ctx: &Context, job: &Job) -> anyhow::Result<Summary> {
    match job {
        Job::Check {
            input,
            layout,
            create_departments,
        } => cmd::check::run(ctx, input, *layout, *create_departments).await,
        Job::Import { input, options } => cmd::import::run(ctx, input, *options).await,
        Job::Times { input, resume } => cmd::times::run(ctx, input, *resume).await,
        Job::Delete { input, destructive } => cmd::delete::run(ctx, input, *destructive).await,
        Job::Export {
            output,
            department,
            recursive,
        } => cmd::export::run(ctx, output, department.as_deref(), *recursive).await,
        Job::Plan { input, prune } => cmd::plan::plan(ctx, input, *prune).await,
        Job::Sync {
            input,
            prune,
            destructive,
        } => cmd::plan::sync(ctx, input, *prune, *destructive).await,
        Job::Dept(job) => cmd::dept::run(ctx, job).await,
        Job::Template { .. } | Job::Emulator(_) => {
            anyhow::bail!("bgy template and bgy emulator need no directory: run them with run()")
        }
    }
}

async fn serve_emulator(
    job: &EmulatorJob,
    options: emulator::Options,
    events: &dyn Observer,
) -> anyhow::Result<Summary> {
    let (listen, state, seed) = (&job.listen, &job.state, job.seed.as_deref());
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
    events.note(format!(
        "bgy emulator: serving {} (state {}); Ctrl-C to stop",
        running.base_url(),
        state.display()
    ));
    tokio::signal::ctrl_c().await?;
    Ok(Summary {
        command: "emulator",
        ..Summary::default()
    })
}
