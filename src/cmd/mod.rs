//! The commands: each is load → live → plan → send → report through the stages, and ends in a
//! [`crate::outcome::Summary`]. They print nothing: what they have to say goes to the front-end as events.

pub mod check;
pub mod delete;
pub mod dept;
pub mod export;
pub mod history;
pub mod import;
pub mod plan;
pub mod times;
pub mod undo;

use anyhow::Context as _;

use crate::api::ApiError;
use crate::config::Job;
use crate::context::Context;
use crate::events::Emit;
use crate::live::Live;
use crate::model::tree::DeptTree;
use crate::outcome::Summary;

/// Runs a job that reads or changes the directory, in `ctx`.
pub async fn run(ctx: &Context, job: &Job) -> anyhow::Result<Summary> {
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
        } => export::run(ctx, output, department.as_deref(), *recursive).await,
        Job::Plan { input, prune } => plan::plan(ctx, input, *prune).await,
        Job::Sync {
            input,
            prune,
            destructive,
        } => plan::sync(ctx, input, *prune, *destructive).await,
        Job::Dept(job) => dept::run(ctx, job).await,
        Job::History(job) => history::run(ctx, job),
        Job::Undo {
            run,
            dry_run,
            destructive,
            report,
        } => undo::run(ctx, *run, *dry_run, *destructive, report.clone()).await,
        Job::Template { .. } | Job::Emulator(_) | Job::Serve(_) => {
            anyhow::bail!("bgy template and bgy emulator need no directory: run them with run()")
        }
    }
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
pub struct Listing(Option<tokio::task::JoinHandle<Result<Live, ApiError>>>);

impl Listing {
    /// Starts listing when the run has a server; a run without one lists nothing.
    pub fn start(ctx: &Context) -> Listing {
        Listing(ctx.client.clone().map(|client| {
            let events = ctx.events.clone();
            tokio::spawn(async move { Live::fetch(&client, events.as_ref()).await })
        }))
    }

    /// The directory once listed; `None` without a server.
    pub async fn done(mut self) -> anyhow::Result<Option<Result<Live, ApiError>>> {
        match self.0.take() {
            Some(task) => Ok(Some(
                task.await
                    .context("the directory listing stopped unexpectedly")?,
            )),
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

impl Drop for Listing {
    fn drop(&mut self) {
        if let Some(task) = &self.0 {
            task.abort();
        }
    }
}
