//! The commands: each is load → live → plan → send → report through the stages, and ends in a
//! [`crate::outcome::Summary`]. They print nothing: what they have to say goes to the front-end as events.

pub mod check;
pub mod delete;
pub mod dept;
pub mod export;
pub mod history;
pub mod import;
pub mod plan;
pub mod schedule;
pub mod template;
pub mod times;
pub mod undo;

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex, MutexGuard};

use anyhow::Context as _;

use crate::api::ApiError;
use crate::config::Job;
use crate::context::Context;
use crate::events::{Emit, Event, Observer};
use crate::execute::session::Session;
use crate::live::Live;
use crate::model::tree::DeptTree;
use crate::model::Outcome;
use crate::outcome::Summary;
use crate::validate::Row;

/// Runs a job that reads or changes the directory, in `ctx`. A job that changes it holds the
/// working directory's sending lock throughout (unless the front-end took it already).
pub async fn run(ctx: &Context, job: &Job) -> anyhow::Result<Summary> {
    let _sending = match job.changes_directory() && !ctx.directory_held {
        true => Some(crate::lock::directory(
            &ctx.history_dir(),
            &format!("bgy {} by {}", job.name(), ctx.who),
        )?),
        false => None,
    };
    match job {
        Job::Check {
            input,
            layout,
            create_departments,
        } => check::run(ctx, input, *layout, *create_departments).await,
        Job::Import { input, options } => import::run(ctx, input, *options).await,
        Job::Times { input, resume } => times::run(ctx, input, *resume).await,
        Job::Delete { input, destructive } => delete::run(ctx, input, *destructive).await,
        Job::Export {
            output,
            department,
            recursive,
            encoding,
        } => export::run(ctx, output, department.as_deref(), *recursive, *encoding).await,
        Job::Plan { input, prune } => plan::plan(ctx, input, *prune).await,
        Job::Sync {
            input,
            prune,
            destructive,
        } => plan::sync(ctx, input, *prune, *destructive).await,
        Job::Schedule {
            once: true,
            settings,
        } => schedule::once(ctx, settings).await,
        Job::Schedule {
            once: false,
            settings,
        } => schedule::check(ctx, settings),
        Job::Decide {
            run,
            approve,
            settings,
            report,
        } => schedule::decide(ctx, *run, *approve, settings, report.clone()).await,
        Job::Dept(job) => dept::run(ctx, job).await,
        Job::History(job) => history::run(ctx, job),
        Job::Undo {
            run,
            dry_run,
            destructive,
            report,
        } => undo::run(ctx, *run, *dry_run, *destructive, report.clone()).await,
        Job::Template {
            layout,
            output,
            force,
        } => template::run(ctx, *layout, output, *force).await,
        Job::Emulator(_) | Job::Serve(_) => {
            anyhow::bail!("bgy emulator and bgy serve are not run by cmd::run: run them with run()")
        }
    }
}

/// The online checks of a session's people ([`crate::live::check_staff_each`]), its report
/// written as they leave them, each row with the outcome `outcome` gives it, on its own
/// thread (a report written while reading, if any, is dropped); from the first row whose
/// outcome is not known yet (`None`: a sync's row to send) on, at the end instead. The
/// department paths to create.
fn check_streamed(
    s: &mut Session,
    live: &Live,
    create_departments: bool,
    warn_existing: bool,
    outcome: &mut dyn FnMut(&Row) -> Option<Outcome>,
) -> BTreeSet<String> {
    let mut stream = s.restream();
    let to_create = crate::live::check_staff_each(
        &mut s.table,
        live,
        create_departments,
        warn_existing,
        &mut |row| {
            let outcome = outcome(row);
            if let Some(stream) = &mut stream {
                match outcome {
                    Some(outcome) => stream.row_as(row, outcome),
                    None => stream.hold(),
                }
            }
        },
    );
    s.keep_stream(stream);
    to_create
}

/// Warns about departments whose parents are missing or form a circle (they are still listed).
pub fn warn_tree(ctx: &Context, tree: &DeptTree) {
    for p in tree.problems() {
        ctx.events.warn(p);
    }
}

/// The live directory, listed on a task of its own from the start of a run, so that the
/// network and reading the sheet overlap instead of one waiting for the other. Dropped unused
/// (the sheet could not be read, the lock was taken), it stops listing.
pub struct Listing {
    task: Option<tokio::task::JoinHandle<Result<Live, ApiError>>>,
    events: Arc<Held>,
}

impl Listing {
    /// Starts listing when the run has a server; a run without one lists nothing.
    pub fn start(ctx: &Context) -> Listing {
        let events = Arc::new(Held::new(ctx.events.clone()));
        let task = ctx.client.clone().map(|client| {
            let events = events.clone();
            tokio::spawn(async move { Live::fetch(&client, events.as_ref()).await })
        });
        Listing { task, events }
    }

    /// The directory once listed; `None` without a server. From here on the listing's
    /// progress is shown, if it is still going.
    pub async fn done(mut self) -> anyhow::Result<Option<Result<Live, ApiError>>> {
        match self.task.take() {
            Some(task) => {
                if !task.is_finished() {
                    self.events.show();
                }
                Ok(Some(
                    task.await
                        .context("the directory listing stopped unexpectedly")?,
                ))
            }
            None => Ok(None),
        }
    }

    /// As [`Listing::done`], a fatal API condition ending the run (the report is still
    /// written) rather than returned as an error.
    pub async fn live(self, ctx: &Context) -> anyhow::Result<Option<Live>> {
        match self.done().await? {
            Some(Ok(live)) => Ok(Some(live)),
            Some(Err(e)) if e.is_fatal() => {
                ctx.stop.fatal(e.to_string());
                Ok(None)
            }
            Some(Err(e)) => Err(e.into()),
            None => Ok(None),
        }
    }
}

/// The listing's events while the sheet is still being read: its warnings pass at once, its
/// phase and progress are held (the latest of each) until the run waits for it, so that the
/// one progress bar shows one thing at a time: the rows read, then the listing.
struct Held {
    inner: Arc<dyn Observer>,
    state: Mutex<HeldState>,
}

#[derive(Default)]
struct HeldState {
    shown: bool,
    phase: Option<Event>,
    progress: Option<Event>,
}

impl Held {
    fn new(inner: Arc<dyn Observer>) -> Held {
        Held {
            inner,
            state: Mutex::new(HeldState::default()),
        }
    }

    fn lock(&self) -> MutexGuard<'_, HeldState> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Passes what was held, and everything from now on.
    fn show(&self) {
        let mut state = self.lock();
        state.shown = true;
        for event in [state.phase.take(), state.progress.take()]
            .into_iter()
            .flatten()
        {
            self.inner.event(event);
        }
    }
}

impl Observer for Held {
    fn event(&self, event: Event) {
        let mut state = self.lock();
        match event {
            Event::Phase { .. } if !state.shown => {
                state.phase = Some(event);
                state.progress = None;
            }
            Event::Progress { .. } if !state.shown => state.progress = Some(event),
            other => {
                drop(state);
                self.inner.event(other);
            }
        }
    }

    fn confirm_removal(
        &self,
        command: &str,
        n: usize,
        what: crate::remedy::Removal,
    ) -> anyhow::Result<bool> {
        self.inner.confirm_removal(command, n, what)
    }
}

impl Drop for Listing {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{phases, Collect};

    fn progress(done: u64, total: u64) -> Event {
        Event::Progress { done, total }
    }

    #[test]
    fn a_listing_shows_its_progress_only_once_waited_for() {
        let seen = Arc::new(Collect::default());
        let held = Held::new(seen.clone());
        held.phase(phases::LISTING, 0);
        held.event(progress(1000, 2500));
        held.warn("a department without a parent");
        held.event(progress(2000, 2500));
        // While the sheet is read: the warning only.
        assert_eq!(
            seen.events(),
            [Event::Warning {
                text: "a department without a parent".into(),
                remedy: None
            }]
        );
        held.show();
        held.event(progress(2500, 2500));
        // Then the phase and the latest progress, and from then on everything.
        assert_eq!(
            seen.events()[1..],
            [
                Event::Phase {
                    what: phases::LISTING.into(),
                    total: 0
                },
                progress(2000, 2500),
                progress(2500, 2500),
            ]
        );
    }
}
