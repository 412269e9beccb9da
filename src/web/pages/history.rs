//! The history: every run that changed the directory (the console's and the command line's),
//! and one run's changes (and the calls it never heard back from), bank cards masked, with its
//! Undo button.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;

use super::{require, with_history};
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::{html, App};

/// How many runs the history page lists, newest first.
const SHOWN: usize = 200;

pub async fn page(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let shared = app.clone();
    let me = s.clone();
    let (runs, error, lost) = tokio::task::spawn_blocking(move || {
        let history = match shared.ctx.history() {
            Ok(h) => h,
            Err(e) => return (vec![], Some(format!("{e:#}")), 0),
        };
        // The newest runs of the store that the history should know and does not (it was
        // emptied): as many as the page lists, not every run on disk.
        let lost = shared
            .store
            .page(None, SHOWN)
            .0
            .iter()
            .filter_map(|r| r.history_run)
            .filter(|id| !history.knows(*id))
            .count();
        match history.runs(SHOWN) {
            // An approved run names the run that sent it, as the schedule's page does.
            // Each says whether the person may open it: a viewer none, a runner their own.
            Ok(runs) => {
                let runs = runs.into_iter().map(|r| {
                    let opens = me.owns(&r.who);
                    let mut r = history.with_sent_as(r);
                    if let Some(fields) = r.as_object_mut() {
                        fields.insert("opens".into(), opens.into());
                    }
                    r
                });
                (runs.collect(), None, lost)
            }
            Err(e) => (vec![], Some(format!("{e:#}")), lost),
        }
    })
    .await
    .unwrap_or_default();
    html::render(
        "history.html",
        minijinja::context! {
            runs, error, lost, user => s.user, csrf => s.csrf,
            most => SHOWN, can_audit => s.role == Role::Approve,
        },
    )
}

pub async fn run(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let (record, changes, unanswered) = with_history(&app, move |h| {
        Ok((h.run(run)?, h.changes(run)?, h.unanswered_records(run)?))
    })
    .await?;
    let record = record.ok_or(AppError::NotFound)?;
    if !s.owns(&record.who) {
        return Err(AppError::NotAllowed);
    }
    // Departments it made stay (the API cannot delete one): a run that only made departments
    // has nothing an undo could take back.
    let only_made_departments = !changes.is_empty()
        && unanswered.is_empty()
        && changes
            .iter()
            .all(|c| c.kind == crate::history::ChangeKind::DeptCreated);
    let changes: Vec<minijinja::Value> = changes.iter().map(shown).collect();
    let unanswered: Vec<minijinja::Value> = unanswered.iter().map(shown).collect();
    Ok(html::render(
        "history_run.html",
        minijinja::context! {
            run, record, changes, unanswered, csrf => s.csrf, user => s.user,
            // An undo of a run that changed nothing has nothing to take back.
            can_undo => s.role == Role::Approve
                && (record.changes > 0 || record.unanswered > 0)
                && !only_made_departments,
            only_made_departments,
            report => scheduled_report(&app, &record).is_some(),
        },
    ))
}

/// The report of a run of the schedule: the job writes it under the history's folder
/// (`schedule/`), where the console can reach it. Another run's report, wherever its command
/// line wrote it, is never served from its path in the history.
fn scheduled_report(app: &App, record: &crate::history::RunRecord) -> Option<std::path::PathBuf> {
    if record.who != crate::cmd::schedule::WHO {
        return None;
    }
    let folder = app.ctx.history_dir().join("schedule").canonicalize().ok()?;
    let path = std::path::Path::new(record.report.as_deref()?)
        .canonicalize()
        .ok()?;
    (path.parent() == Some(folder.as_path())).then_some(path)
}

/// `/history/{run}/report`: a scheduled run's report, to whoever may see the run.
pub async fn report(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let record = with_history(&app, move |h| h.run(run))
        .await?
        .ok_or(AppError::NotFound)?;
    if !s.owns(&record.who) {
        return Err(AppError::NotAllowed);
    }
    let path = scheduled_report(&app, &record).ok_or(AppError::NoFile)?;
    let name = path.file_name().map_or_else(
        || "report.xlsx".into(),
        |n| n.to_string_lossy().into_owned(),
    );
    super::download::send_file(&path, &name).await
}

/// `/history/audit`: the audit log of every run, as `bgy history --export` writes it, to an
/// approver (it names everyone's changes). It is written off the async threads to a file
/// that has no name (gone once sent), then streamed: a long history is never in memory whole.
pub async fn audit(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
) -> Result<Response, AppError> {
    require(&s, Role::Approve)?;
    let folder = app.store.data.clone();
    let file = with_history(&app, move |h| {
        use std::io::{Seek as _, Write as _};
        let (mut wb, _) = crate::cmd::history::audit_log(h, i64::MAX as usize)?;
        let mut file = tempfile::tempfile_in(folder)?;
        let mut out = std::io::BufWriter::new(&mut file);
        wb.save_to_writer(&mut out)?;
        out.flush()?;
        drop(out);
        file.rewind()?;
        Ok(file)
    })
    .await?;
    let name = format!("audit-{}.xlsx", crate::model::now().format("%Y%m%d-%H%M%S"));
    Ok(super::download::send_open(
        tokio::fs::File::from_std(file),
        &name,
    ))
}

/// A change as a person reads it: the person's name, and what was sent as labelled values
/// (性别 女, not we_gender=2), bank cards masked.
fn shown(c: &crate::history::ChangeRecord) -> minijinja::Value {
    let value = |v: &serde_json::Value| v.as_str().unwrap_or_default().to_string();
    let name = c
        .sent
        .get("we_name")
        .map(value)
        .filter(|n| !n.is_empty())
        .or_else(|| {
            c.before
                .get("we_name")
                .and_then(|b| b.get("value"))
                .map(value)
        })
        .unwrap_or_default();
    let fields: Vec<(String, String)> = c
        .sent
        .as_object()
        .into_iter()
        .flatten()
        .filter_map(|(key, v)| {
            let field = crate::model::Field::from_key(key)?;
            let v = value(v);
            let shown = field.shown(&v);
            (!shown.is_empty()).then(|| (field.label().to_string(), shown))
        })
        .collect();
    minijinja::context! { at => c.at, kind => c.kind, account => c.account, name, fields }
}
