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

pub use context::{Context, SAMPLE_ORG};
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

/// Drops `value` on a thread of its own, for what only holds memory and is large: a run's
/// rows, its directory, its report's workbook (100,000 people: tens of milliseconds of frees
/// at a run's end, after its last output). A command-line run exits without waiting for it.
pub fn drop_later<T: Send + 'static>(value: T) {
    // When no thread can be made, the closure, and so `value`, is dropped here.
    let _ = std::thread::Builder::new()
        .name("drop".into())
        .spawn(move || drop(value));
}

async fn serve_emulator(
    job: &EmulatorJob,
    options: emulator::Options,
    events: &dyn Observer,
) -> anyhow::Result<Summary> {
    let (listen, state, seed) = (&job.listen, &job.state, job.seed.as_deref());
    let store = emulator::open_store(state, seed, events)?;
    let listener = bind(listen).await?;
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

/// Listens on `listen` (the emulator's, the console's), or says why not in Chinese and
/// English: a port another program has, an address this machine does not have.
pub(crate) async fn bind(listen: &str) -> anyhow::Result<tokio::net::TcpListener> {
    use std::io::ErrorKind;
    tokio::net::TcpListener::bind(listen).await.map_err(|e| {
        let why = match e.kind() {
            ErrorKind::AddrInUse => "端口已被别的程序占用;用 --listen 换一个端口",
            ErrorKind::AddrNotAvailable => "本机没有这个地址",
            ErrorKind::PermissionDenied => "没有权限使用这个端口(1024 以下的端口要管理员权限)",
            _ => "无法监听",
        };
        anyhow::Error::new(e).context(format!(
            "无法在 {listen} 监听:{why} (cannot listen on {listen})"
        ))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn what_is_dropped_later_is_dropped_on_a_thread_of_its_own() {
        struct Told(std::sync::mpsc::Sender<std::thread::ThreadId>);
        impl Drop for Told {
            fn drop(&mut self) {
                let _ = self.0.send(std::thread::current().id());
            }
        }
        let (tx, rx) = std::sync::mpsc::channel();
        super::drop_later(Told(tx));
        let dropped_on = rx
            .recv_timeout(std::time::Duration::from_secs(10))
            .expect("dropped");
        assert_ne!(dropped_on, std::thread::current().id());
    }
}
