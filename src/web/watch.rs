//! A run's events as the browser sees them: the console's observer keeps a snapshot of the
//! progress, and wakes the pages that follow it (server-sent events).

use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use crate::events::{Event, Finished, Observer};
use crate::stop::Stop;

/// What the progress view shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Snapshot {
    pub phase: String,
    pub done: u64,
    pub total: u64,
    pub ok: u64,
    pub failed: u64,
    /// Rows a second in this phase.
    pub rate: f64,
    /// Seconds left at this rate.
    pub eta: Option<u64>,
    pub finished: bool,
}

struct State {
    snapshot: Snapshot,
    phase_started: Instant,
    notes: Vec<String>,
    warnings: Vec<String>,
    end: Option<Finished>,
}

pub struct WebRun {
    state: Mutex<State>,
    changed: tokio::sync::watch::Sender<u64>,
    pub stop: Mutex<Option<Stop>>,
}

impl WebRun {
    pub fn new() -> WebRun {
        WebRun {
            state: Mutex::new(State {
                snapshot: Snapshot::default(),
                phase_started: Instant::now(),
                notes: Vec::new(),
                warnings: Vec::new(),
                end: None,
            }),
            changed: tokio::sync::watch::channel(0).0,
            stop: Mutex::new(None),
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    pub fn snapshot(&self) -> Snapshot {
        self.state().snapshot.clone()
    }

    /// Wakes when anything changed.
    pub fn subscribe(&self) -> tokio::sync::watch::Receiver<u64> {
        self.changed.subscribe()
    }

    /// Sheet-level warnings and notes, for the run's record.
    pub fn said(&self) -> (Vec<String>, Vec<String>) {
        let s = self.state();
        (s.warnings.clone(), s.notes.clone())
    }

    pub fn finished(&self) -> Option<Finished> {
        self.state().end.clone()
    }

    /// The run is over (also when it ended in an error, with no Finished event).
    pub fn close(&self) {
        self.state().snapshot.finished = true;
        self.changed.send_modify(|v| *v += 1);
    }
}

impl Observer for WebRun {
    fn event(&self, event: Event) {
        {
            let mut s = self.state();
            match event {
                Event::Phase { what, total } => {
                    s.snapshot = Snapshot {
                        phase: what,
                        total,
                        ..Snapshot::default()
                    };
                    s.phase_started = Instant::now();
                }
                Event::Progress { done, total } => {
                    s.snapshot.done = done;
                    s.snapshot.total = total;
                }
                Event::Row { ok, .. } => {
                    s.snapshot.done += 1;
                    if ok {
                        s.snapshot.ok += 1;
                    } else {
                        s.snapshot.failed += 1;
                    }
                }
                Event::Warning { text } => s.warnings.push(text),
                Event::Note { text } => s.notes.push(text),
                Event::Plan(_) | Event::FailedHeader(_) | Event::Failed(_) => {}
                Event::Finished(f) => s.end = Some(f),
            }
            let elapsed = s.phase_started.elapsed().as_secs_f64().max(0.001);
            let snap = &mut s.snapshot;
            snap.rate = snap.done as f64 / elapsed;
            snap.eta = (snap.rate > 0.0 && snap.total >= snap.done)
                .then(|| ((snap.total - snap.done) as f64 / snap.rate).ceil() as u64);
        }
        self.changed.send_modify(|v| *v += 1);
    }

    fn confirm_delete(&self, _command: &str, n: usize) -> anyhow::Result<bool> {
        anyhow::bail!(
            "deleting {} is confirmed in the page before a run starts; nothing was deleted",
            crate::text::people(n)
        )
    }
}
