//! A run's events as the browser sees them: the console's observer keeps a snapshot of the
//! progress and wakes the pages that follow it (server-sent events), and writes what the
//! run's page shows as data into its folder: the failed rows (bank cards masked) and the plan.

use std::path::PathBuf;
use std::sync::Mutex;
use std::time::Instant;

use serde::Serialize;

use super::runs::FailedWriter;
use crate::events::{Event, FailedRow, Finished, Observer, PlanShown, Remedy};
use crate::read::header::ColumnsSeen;
use crate::stop::Stop;

/// Plan lines a run's page shows (all of them are in the report's Plan sheet).
pub const PLAN_LINES: usize = 500;

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
    /// What the run's warnings and notes said could be done (the page offers the controls).
    remedies: Vec<Remedy>,
    end: Option<Finished>,
    failed: Option<FailedWriter>,
    /// The failed rows could not be kept (a full disk): the report still has them.
    failed_lost: bool,
    masked: Vec<bool>,
    plan: Option<PlanShown>,
    columns: Option<ColumnsSeen>,
}

pub struct WebRun {
    /// The run's folder, where its failed rows are kept for its page; none for a job that
    /// keeps no run folder.
    dir: Option<PathBuf>,
    state: Mutex<State>,
    changed: tokio::sync::watch::Sender<u64>,
    pub stop: Stop,
    /// Who pressed Stop.
    pub stopped_by: Mutex<Option<String>>,
}

impl WebRun {
    /// The observer of a run whose folder is `dir`, stopped by `stop`.
    pub fn new(dir: PathBuf, stop: Stop) -> WebRun {
        WebRun::in_folder(Some(dir), stop)
    }

    /// The observer of a job that keeps no run folder (the department tree, a rejection):
    /// it keeps no failed rows, so it writes nowhere.
    pub fn without_folder(stop: Stop) -> WebRun {
        WebRun::in_folder(None, stop)
    }

    fn in_folder(dir: Option<PathBuf>, stop: Stop) -> WebRun {
        WebRun {
            dir,
            state: Mutex::new(State {
                snapshot: Snapshot::default(),
                phase_started: Instant::now(),
                notes: Vec::new(),
                warnings: Vec::new(),
                remedies: Vec::new(),
                end: None,
                failed: None,
                failed_lost: false,
                masked: Vec::new(),
                plan: None,
                columns: None,
            }),
            changed: tokio::sync::watch::channel(0).0,
            stop,
            stopped_by: Mutex::new(None),
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

    /// A person stops the run.
    pub fn stop_by(&self, who: &str) {
        *self.stopped_by.lock().unwrap_or_else(|e| e.into_inner()) = Some(who.to_string());
        self.stop
            .interrupt_because(format!("已停止,由 {who} 停止 (stopped by {who})"));
    }

    pub fn stopper(&self) -> Option<String> {
        self.stopped_by
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .clone()
    }

    /// What the run said, for its record: sheet-level warnings and notes, its end, how many
    /// failed rows were kept (`None` when they could not be), and its plan.
    pub fn outcome(&self) -> Said {
        let mut s = self.state();
        let failed = match s.failed.take().map(FailedWriter::finish) {
            Some(Ok(n)) if !s.failed_lost => Some(n),
            Some(_) => None,
            None if s.failed_lost => None,
            None => Some(0),
        };
        Said {
            warnings: s.warnings.clone(),
            notes: s.notes.clone(),
            remedies: s.remedies.clone(),
            end: s.end.clone(),
            failed_rows: failed,
            plan: s.plan.take(),
            columns: s.columns.take(),
        }
    }

    /// The run is over (also when it ended in an error, with no Finished event).
    pub fn close(&self) {
        self.state().snapshot.finished = true;
        self.changed.send_modify(|v| *v += 1);
    }

    fn keep_failed(&self, s: &mut State, row: FailedRow) {
        if s.failed_lost {
            return;
        }
        let mut row = row;
        for (cell, masked) in row.cells.iter_mut().zip(&s.masked) {
            if *masked {
                *cell = crate::model::mask_card(cell);
            }
        }
        if let Some(w) = s.failed.as_mut() {
            if w.push(&row).is_err() {
                s.failed_lost = true;
                s.failed = None;
            }
        }
    }
}

/// What a finished run said.
pub struct Said {
    pub warnings: Vec<String>,
    pub notes: Vec<String>,
    pub remedies: Vec<Remedy>,
    pub end: Option<Finished>,
    pub failed_rows: Option<usize>,
    pub plan: Option<PlanShown>,
    pub columns: Option<ColumnsSeen>,
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
                Event::Warning { text, remedy } => {
                    s.warnings.push(text);
                    s.remedies.extend(remedy);
                }
                Event::Note { text, remedy } => {
                    s.notes.push(text);
                    s.remedies.extend(remedy);
                }
                Event::Plan(plan) => s.plan = Some(plan),
                Event::Columns(seen) => s.columns = Some(seen),
                Event::FailedHeader(header) => {
                    s.masked = header.masked.clone();
                    match self
                        .dir
                        .as_deref()
                        .map(|d| FailedWriter::create(d, &header))
                    {
                        Some(Ok(w)) => s.failed = Some(w),
                        Some(Err(_)) => s.failed_lost = true,
                        None => {}
                    }
                }
                Event::Failed(row) => self.keep_failed(&mut s, row),
                Event::Finished(f) => s.end = Some(*f),
            }
            let elapsed = s.phase_started.elapsed().as_secs_f64().max(0.001);
            let snap = &mut s.snapshot;
            snap.rate = snap.done as f64 / elapsed;
            snap.eta = (snap.rate > 0.0 && snap.total >= snap.done)
                .then(|| ((snap.total - snap.done) as f64 / snap.rate).ceil() as u64);
        }
        self.changed.send_modify(|v| *v += 1);
    }

    fn confirm_removal(
        &self,
        _command: &str,
        n: usize,
        what: crate::remedy::Removal,
    ) -> anyhow::Result<bool> {
        anyhow::bail!(
            "{} is confirmed in the page before a run starts; nothing was changed",
            what.doing_en(n),
        )
    }

    fn plan_lines(&self) -> usize {
        PLAN_LINES
    }

    fn wants_failed_rows(&self) -> bool {
        self.dir.is_some()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::remedy::Removal;

    /// A job without a run folder asks for no failed rows, so it writes none anywhere (it
    /// was handed the system's shared temporary folder); a run with its folder asks for them.
    #[test]
    fn only_a_run_with_its_folder_keeps_failed_rows() {
        let dir = tempfile::tempdir().unwrap();
        assert!(WebRun::new(dir.path().to_path_buf(), Stop::new()).wants_failed_rows());
        assert!(!WebRun::without_folder(Stop::new()).wants_failed_rows());
    }

    /// A removal is confirmed in the page, typed, before its run starts: a run that asks
    /// anyway (a job started without that confirmation) is refused, never taken as yes.
    #[test]
    fn a_run_of_the_console_never_confirms_a_removal_itself() {
        let dir = tempfile::tempdir().unwrap();
        let run = WebRun::new(dir.path().to_path_buf(), Stop::new());
        for what in [Removal::Delete, Removal::MarkLeft] {
            let refused = run.confirm_removal("delete", 3, what).unwrap_err();
            assert!(
                refused.to_string().contains("nothing was changed"),
                "{refused}"
            );
        }
    }
}
