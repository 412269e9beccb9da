//! Progress bars (only on a terminal, never with `-q`) and the stop signal shared by a run's
//! tasks: a fatal API condition or Ctrl-C stops new work while in-flight calls finish.

use std::io::IsTerminal;
use std::sync::atomic::{AtomicU8, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use indicatif::{ProgressBar, ProgressStyle};

use crate::api::Client;
use crate::Status;

pub struct Progress {
    bar: Option<ProgressBar>,
    ok: AtomicUsize,
    failed: AtomicUsize,
}

impl Progress {
    /// A bar over `len` items, drawn on stderr when it is a terminal and `quiet` is off.
    pub fn new(len: u64, what: &str, quiet: bool) -> Progress {
        let bar = (!quiet && std::io::stderr().is_terminal()).then(|| {
            let bar = ProgressBar::new(len);
            let style = ProgressStyle::with_template(&format!(
                "{{spinner}} {what} [{{bar:30}}] {{pos}}/{{len}} {{per_sec}} ETA {{eta}} {{msg}}"
            ))
            .unwrap_or_else(|_| ProgressStyle::default_bar())
            .progress_chars("=> ");
            bar.set_style(style);
            bar.enable_steady_tick(Duration::from_millis(120));
            bar
        });
        Progress {
            bar,
            ok: AtomicUsize::new(0),
            failed: AtomicUsize::new(0),
        }
    }

    /// Counts `n` items done, `ok` or not.
    pub fn add(&self, n: u64, ok: bool) {
        let counter = if ok { &self.ok } else { &self.failed };
        counter.fetch_add(n as usize, Ordering::Relaxed);
        if let Some(bar) = &self.bar {
            bar.inc(n);
            bar.set_message(format!(
                "ok {} failed {}",
                self.ok.load(Ordering::Relaxed),
                self.failed.load(Ordering::Relaxed)
            ));
        }
    }

    /// Sets the position (listings, where the total is learnt late).
    pub fn set(&self, pos: u64, len: u64) {
        if let Some(bar) = &self.bar {
            bar.set_length(len);
            bar.set_position(pos);
        }
    }

    pub fn finish(&self) {
        if let Some(bar) = &self.bar {
            bar.finish_and_clear();
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.finish();
    }
}

const RUNNING: u8 = 0;
const FATAL: u8 = 1;
const INTERRUPTED: u8 = 2;

/// Why a run stopped early, shared by its tasks.
#[derive(Clone, Default)]
pub struct Stop {
    state: Arc<AtomicU8>,
    reason: Arc<Mutex<Option<String>>>,
}

impl Stop {
    pub fn new() -> Stop {
        Stop::default()
    }

    /// Stops the run for a fatal API condition.
    pub fn fatal(&self, reason: impl Into<String>) {
        self.stop(FATAL, reason.into());
    }

    pub fn interrupt(&self) {
        self.stop(INTERRUPTED, "interrupted by Ctrl-C 被中断".into());
    }

    /// The first stop wins, with its reason.
    fn stop(&self, state: u8, reason: String) {
        if self
            .state
            .compare_exchange(RUNNING, state, Ordering::SeqCst, Ordering::SeqCst)
            .is_ok()
        {
            *self.reason.lock().unwrap_or_else(|e| e.into_inner()) = Some(reason);
        }
    }

    pub fn is_stopped(&self) -> bool {
        self.state.load(Ordering::SeqCst) != RUNNING
    }

    pub fn reason(&self) -> Option<String> {
        self.reason
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// The status a stopped run ends with.
    pub fn status(&self) -> Option<Status> {
        match self.state.load(Ordering::SeqCst) {
            FATAL => Some(Status::Fatal),
            INTERRUPTED => Some(Status::Interrupted),
            _ => None,
        }
    }

    /// Interrupts on Ctrl-C for as long as the returned guard lives; the client's waits
    /// between tries (backoff, `Retry-After`) end at once.
    pub fn on_ctrl_c(&self, client: Option<&Client>) -> CtrlC {
        let stop = self.clone();
        let client = client.cloned();
        CtrlC(tokio::spawn(async move {
            if tokio::signal::ctrl_c().await.is_ok() {
                eprintln!("\nbgy: Ctrl-C: finishing the calls in flight, then writing the report (Ctrl-C again to quit at once)");
                stop.interrupt();
                if let Some(c) = &client {
                    c.cancel();
                }
                if tokio::signal::ctrl_c().await.is_ok() {
                    std::process::exit(130);
                }
            }
        }))
    }
}

pub struct CtrlC(tokio::task::JoinHandle<()>);

impl Drop for CtrlC {
    fn drop(&mut self) {
        self.0.abort();
    }
}
