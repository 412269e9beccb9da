//! Undo, for the `approve` role: first the inverse of a history run as a plan (`bgy undo
//! --dry-run`), in a run folder of its own; then, from that page, applying it (with the count
//! typed when it deletes).

use std::path::Path;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;

use super::plan::SyncForm;
use super::{acting_on, confirmed, require, run_to_end, send_in, with_history, Nothing, Posted};
use crate::config::{Destructive, Job};
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::runs::{self, Command, RunInfo};
use crate::web::App;

fn undo_job(run: i64, dry_run: bool, force: bool, dir: &Path) -> Job {
    Job::Undo {
        run,
        dry_run,
        destructive: Destructive { yes: true, force },
        report: Some(dir.join(runs::REPORT)),
    }
}

pub async fn plan(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
    Posted(Nothing {}): Posted<Nothing>,
) -> Result<Response, AppError> {
    require(&s, Role::Approve)?;
    let known = with_history(&app, move |h| Ok(h.knows(run))).await?;
    if !known {
        return Err(AppError::conflict(
            "无法撤销 (Cannot undo)",
            format!("历史中没有运行 #{run},无法撤销 (the history does not know run #{run}: it cannot be undone)."),
        ));
    }
    let (id, dir, live) = app.store.create().map_err(|e| AppError::storage(&e))?;
    let mut info = RunInfo::new(&id, &s.user, Command::UndoPlan, &format!("#{run}"), "");
    info.undoes = Some(run);
    let job = undo_job(run, true, false, &dir);
    run_to_end(app, dir, live, info, job).await
}

pub async fn apply(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(f): Posted<SyncForm>,
) -> Result<Response, AppError> {
    require(&s, Role::Approve)?;
    let (from, dir) = acting_on(&app, &s, &id, &[Command::UndoPlan], None)?;
    let target = from.undoes.ok_or(AppError::NotFound)?;
    let deleting = runs::plan(&dir).map_or(0, |p| p.staff.delete);
    confirmed(deleting, &f.confirm)?;
    // No input to copy: the undo writes its own rows.
    let folder = app.store.create().map_err(|e| AppError::storage(&e))?;
    send_in(app, &s, folder, Command::Undo, |new_id, new_dir| {
        let mut info = RunInfo::new(new_id, &s.user, Command::Undo, &from.file, "");
        info.undoes = Some(target);
        info.from = Some(id);
        Ok((info, undo_job(target, false, f.force.is_some(), new_dir)))
    })
    .await
}
