//! The console's pages, one file a page (as `cmd/` is one a command), and what they share:
//! the form extractor that checks the CSRF token, the counts a run shows, bank card masking,
//! and starting a run from another run's sheet.

pub mod assets;
pub mod check;
pub mod columns;
pub mod delete;
pub mod departments;
pub mod download;
pub mod export;
pub mod history;
pub mod home;
pub mod import;
pub mod leave;
pub mod login;
pub mod plan;
pub mod run;
pub mod runs;
pub mod schedule;
pub mod template;
pub mod times;
pub mod undo;

use std::path::{Path, PathBuf};
use std::sync::Arc;

use axum::extract::{FromRequest, Request};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Form;
use serde::de::DeserializeOwned;
use serde::Deserialize;

use super::auth::{constant_eq, Role, Session};
use super::error::AppError;
use super::jobs::{self, NewRun};
use super::runs::{Command, Live, RunInfo};
use super::App;
use crate::config::{Input, Job};

/// A form posted with the session's CSRF token; refused (403) without it.
pub struct Posted<T>(pub T);

#[derive(Deserialize)]
struct WithToken<T> {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: T,
}

impl<S: Send + Sync, T: DeserializeOwned + Send> FromRequest<S> for Posted<T> {
    type Rejection = AppError;

    async fn from_request(request: Request, state: &S) -> Result<Self, AppError> {
        let session = request
            .extensions()
            .get::<Session>()
            .cloned()
            .ok_or(AppError::Forbidden)?;
        let Form(posted) = Form::<WithToken<T>>::from_request(request, state)
            .await
            .map_err(|_| AppError::Forbidden)?;
        if !constant_eq(&session.csrf, &posted.csrf) {
            return Err(AppError::Forbidden);
        }
        Ok(Posted(posted.form))
    }
}

/// A form with nothing but its token.
#[derive(Deserialize)]
pub struct Nothing {}

/// At least `role`.
pub fn require(s: &Session, role: Role) -> Result<(), AppError> {
    if s.role >= role {
        Ok(())
    } else {
        Err(AppError::NotAllowed)
    }
}

/// Run `id`, of one of `commands` (and of `kind` when given), that `s` may act on.
pub fn acting_on(
    app: &App,
    s: &Session,
    id: &str,
    commands: &[Command],
    kind: Option<crate::model::Layout>,
) -> Result<(RunInfo, PathBuf), AppError> {
    let (info, dir) = app.store.get(id).ok_or(AppError::NotFound)?;
    if !commands.contains(&info.command) || kind.is_some_and(|k| k != info.kind) {
        return Err(AppError::NotFound);
    }
    if !s.owns(&info.who) {
        return Err(AppError::NotAllowed);
    }
    Ok((info, dir))
}

/// The job's input: the run's copy of the sheet, read with the columns the person chose, as
/// the name they uploaded it under; its report in the run's folder.
pub fn run_input(dir: &Path, info: &RunInfo) -> Input {
    let mut columns = crate::read::header::Names::default();
    for (header, column) in &info.mapping {
        if let Ok(field) = crate::read::header::Names::target(column) {
            columns.add(header, field);
        }
    }
    // With bgy.toml's [columns], as the file says now (a run may have remembered some). A
    // bgy.toml that cannot be read does not stop HR's run: the run says it read without it.
    let (columns, unread_settings) = match crate::config::column_names(Path::new("."), &columns) {
        Ok(all) => (all, None),
        Err(e) => (columns, Some(format!("{e:#}"))),
    };
    Input {
        report: Some(dir.join(super::runs::REPORT)),
        columns,
        unread_settings,
        shown: Some(info.file.clone()),
        sheet: info.sheet.clone(),
        never_guess_delete: true,
        ..Input::file(dir.join(&info.input))
    }
}

/// A new run's folder (held: see [`super::runs::Store::create`]), with a copy of another
/// run's input.
pub fn fork(
    app: &App,
    from_dir: &Path,
    from: &RunInfo,
) -> Result<(String, PathBuf, Live), AppError> {
    let (id, dir, live) = app.store.create().map_err(|e| AppError::storage(&e))?;
    if let Err(e) = std::fs::copy(from_dir.join(&from.input), dir.join(&from.input)) {
        let _ = std::fs::remove_dir_all(&dir);
        return Err(AppError::storage(&e));
    }
    Ok((id, dir, live))
}

/// Runs `job`, which sends nothing, in its new folder (`dir`, held by `live`) to its end;
/// then its page.
pub async fn run_to_end(
    app: Arc<App>,
    dir: PathBuf,
    live: Live,
    info: RunInfo,
    job: Job,
) -> Result<Response, AppError> {
    let run = NewRun {
        dir,
        live,
        info,
        job,
    };
    let id = jobs::run_now(app, run).await?;
    Ok(to_run(&id))
}

/// Where a run's page is.
pub fn to_run(id: &str) -> Response {
    Redirect::to(&format!("/runs/{id}")).into_response()
}

/// Starts `command` as a sending run on a copy of `from`'s sheet, with the job `job` makes
/// for the copy: the directory's sending lock first (refused with who holds it), then the
/// run in the background, then its page.
pub async fn send_from(
    app: Arc<App>,
    s: &Session,
    from: (&RunInfo, &Path),
    command: Command,
    shape: impl FnOnce(&mut RunInfo),
    job: impl FnOnce(Input) -> Result<Job, AppError>,
) -> Result<Response, AppError> {
    let (from, from_dir) = from;
    let folder = fork(&app, from_dir, from)?;
    send_in(app, s, folder, command, |id, dir| {
        let mut info = from.next(id, &s.user, command);
        shape(&mut info);
        let job = job(run_input(dir, &info))?;
        Ok((info, job))
    })
    .await
}

/// Starts `command` as a sending run in its new `folder` (its id and path), with the record
/// and job `make` gives: the directory's sending lock first (refused with who holds it), then
/// the run in the background, then its page. Whatever fails on the way takes the folder away.
pub async fn send_in(
    app: Arc<App>,
    s: &Session,
    folder: (String, PathBuf, Live),
    command: Command,
    make: impl FnOnce(&str, &Path) -> Result<(RunInfo, Job), AppError>,
) -> Result<Response, AppError> {
    let (id, dir, live) = folder;
    let gone = |e: AppError, dir: &Path| {
        let _ = std::fs::remove_dir_all(dir);
        e
    };
    let lock = jobs::take_directory(&app, holder(s, command, &id))
        .await
        .map_err(|e| gone(e, &dir))?;
    let (info, job) = make(&id, &dir).map_err(|e| gone(e, &dir))?;
    let made = dir.clone();
    let run = NewRun {
        dir,
        live,
        info,
        job,
    };
    let id = jobs::launch(app, run, lock).map_err(|e| gone(e, &made))?;
    Ok(to_run(&id))
}

/// `f` with the directory's history, off the runtime's threads (SQLite blocks); what fails is
/// an internal error.
pub async fn with_history<T: Send + 'static>(
    app: &Arc<App>,
    f: impl FnOnce(&crate::history::History) -> anyhow::Result<T> + Send + 'static,
) -> Result<T, AppError> {
    let app = app.clone();
    tokio::task::spawn_blocking(move || f(&*app.ctx.history()?))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("{e:#}")))
}

/// How a sending run of the console names itself to whoever finds the directory busy.
pub fn holder(s: &Session, command: Command, id: &str) -> String {
    format!("bgy serve: {} by {}, run {id}", command.name(), s.user)
}

/// A run that deletes `n` people goes on only when the person typed `n`; otherwise the page
/// says so and nothing is deleted.
pub fn confirmed(n: usize, typed: &str) -> Result<(), AppError> {
    confirmed_as(n, typed, crate::remedy::Removal::Delete)
}

/// [`confirmed`], for a run that does `what` to `n` people.
pub fn confirmed_as(n: usize, typed: &str, what: crate::remedy::Removal) -> Result<(), AppError> {
    if n == 0 || typed.trim() == n.to_string() {
        return Ok(());
    }
    let people = crate::text::people(n);
    let text = match what {
        crate::remedy::Removal::Delete => format!(
            "要删除 {n} 人,请在框中输入 {n} 确认;什么也没有删除 (this deletes {people}: type {n} to go on; nothing was deleted)."
        ),
        crate::remedy::Removal::MarkLeft => format!(
            "要把 {n} 人标记为已离职,请在框中输入 {n} 确认;什么也没有改动 (this marks {people} as leavers: type {n} to go on; nothing was changed)."
        ),
    };
    Err(AppError::bad_request("未确认 (Not confirmed)", text))
}
