//! bgy: keep the 办公逸 address book in sync with spreadsheets.
//!
//! The data walks one way: read → validate → plan/batch → execute → report. [`run`] is what
//! `main` and the tests call.

pub mod api;
pub mod cli;
pub mod cmd;
pub mod config;
pub mod console;
pub mod context;
pub mod emulator;
pub mod events;
pub mod execute;
pub mod history;
pub mod input;
pub mod journal;
pub mod live;
pub mod lock;
pub mod model;
pub mod notify;
pub mod os;
pub mod outcome;
pub mod plan;
pub mod read;
pub mod remedy;
pub mod report;
pub mod safety;
pub mod signals;
pub mod stop;
pub mod template;
pub mod text;
pub mod validate;
pub mod web;
pub mod write;

pub use context::Context;
pub use emulator::SAMPLE_ORG;
pub use outcome::{error_exit_code, Status, Summary};

use std::sync::Arc;
use std::time::Instant;

use crate::config::{Config, EmulatorJob, Job};
use crate::events::{Emit, Observer};

/// Runs one command from the command line: the console draws its events, and Ctrl-C or SIGTERM
/// stops a run that sends.
pub async fn run(config: Config) -> anyhow::Result<Summary> {
    let console = console::Console::new(config.quiet, config.json);
    let events = Arc::new(match console::unattended(config.job.name()) {
        true => console.unattended(),
        false => console,
    });
    run_with(config, events).await
}

/// Runs one command, telling `events` how it goes.
pub async fn run_with(mut config: Config, events: Arc<dyn Observer>) -> anyhow::Result<Summary> {
    let started = Instant::now();
    if let Some(input) = config.job.input_mut() {
        input.read_piped()?;
    }
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
                ..emulator::Options::default()
            };
            serve_emulator(job, options, events.as_ref()).await?
        }
        Job::Serve(job) if job.hash_password => web::hash_password_from_stdin()?,
        Job::Serve(job) => {
            let ctx = Context::new(&config, events).await?;
            web::serve(ctx, job).await?
        }
        job => {
            let ctx = Context::new(&config, events).await?;
            let _signals = console::on_signals(ctx.stop.clone(), job.sends());
            cmd::run(&ctx, job).await?
        }
    };
    summary.elapsed_ms = started.elapsed().as_millis();
    Ok(summary)
}

async fn serve_emulator(
    job: &EmulatorJob,
    options: emulator::Options,
    events: &dyn Observer,
) -> anyhow::Result<Summary> {
    let (listen, state, seed) = (&job.listen, &job.state, job.seed.as_deref());
    let store = emulator::open_store(state, seed, events)?;
    let listener = os::bind(listen).await?;
    let running = emulator::start(listener, store, options).await?;
    events.note(format!(
        "bgy emulator: serving {} (state {}); Ctrl-C or SIGTERM to stop",
        running.base_url(),
        state.display()
    ));
    let (_signals, stopped) = signals::first("bgy emulator: stopping at once");
    stopped.await;
    Ok(Summary {
        command: "emulator",
        ..Summary::default()
    })
}
