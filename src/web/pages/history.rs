//! The history: every run that changed the directory (the console's and the command line's),
//! and one run's changes, bank cards masked, with its Undo button.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;

use super::require;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::{html, App};

pub async fn page(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let shared = app.clone();
    let (runs, error, lost) = tokio::task::spawn_blocking(move || {
        let history = match shared.ctx.history() {
            Ok(h) => h,
            Err(e) => return (vec![], Some(format!("{e:#}")), 0),
        };
        // Runs of the store that the history should know and does not (it was emptied).
        let lost = shared
            .store
            .list()
            .iter()
            .filter_map(|r| r.history_run)
            .filter(|id| !history.knows(*id))
            .count();
        match history.runs(200) {
            Ok(runs) => (runs, None, lost),
            Err(e) => (vec![], Some(format!("{e:#}")), lost),
        }
    })
    .await
    .unwrap_or_default();
    html::render(
        "history.html",
        minijinja::context! { runs, error, lost, user => s.user, csrf => s.csrf },
    )
}

pub async fn run(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let shared = app.clone();
    let (record, changes) = tokio::task::spawn_blocking(move || {
        let history = shared.ctx.history()?;
        let record = history.runs(usize::MAX)?.into_iter().find(|r| r.id == run);
        anyhow::Ok((record, history.changes(run)?))
    })
    .await
    .map_err(|e| AppError::Internal(e.to_string()))?
    .map_err(|e| AppError::Internal(format!("{e:#}")))?;
    let record = record.ok_or(AppError::NotFound)?;
    if !s.owns(&record.who) {
        return Err(AppError::NotAllowed);
    }
    let changes = crate::history::mask(serde_json::to_value(changes).unwrap_or_default());
    Ok(html::render(
        "history_run.html",
        minijinja::context! {
            run, changes, csrf => s.csrf, user => s.user,
            can_undo => s.role == Role::Approve,
        },
    ))
}
