//! A run's page: its status and counts, its progress while it runs (and Stop), its failed
//! rows (bank cards masked) and plan, what can be done next; its server-sent progress; and
//! its downloads, from the run store only.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::header;
use axum::response::sse::{Event as SseEvent, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use axum::Extension;
use serde::Deserialize;

use super::{acting_on, mask_card, to_run, Nothing, Posted};
use crate::events::PlanShown;
use crate::model::Layout;
use crate::web::auth::Session;
use crate::web::error::AppError;
use crate::web::runs::{self, Command, RunInfo, Status};
use crate::web::{html, App};

/// Failed rows a page.
const PAGE_ROWS: usize = 100;

#[derive(Deserialize)]
pub struct PageQuery {
    page: Option<usize>,
}

pub async fn page(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Query(q): Query<PageQuery>,
) -> Result<Response, AppError> {
    let (mut info, dir) = app.store.get(&id).ok_or(AppError::NotFound)?;
    let running = app.jobs.snapshot(&id);
    if running.is_none() && info.status == Status::Running {
        // Carried out by a console that is gone.
        app.store.settle(std::slice::from_mut(&mut info));
    }
    let mine = s.owns(&info.who);
    let pages = info.failed_rows.div_ceil(PAGE_ROWS).max(1);
    let page = q.page.unwrap_or(1).clamp(1, pages);
    let (header, rows) = match mine {
        true => runs::failed(&dir, (page - 1) * PAGE_ROWS, PAGE_ROWS).unwrap_or_default(),
        false => Default::default(),
    };
    let plan = runs::plan(&dir);
    let deleting = deleting(&info, plan.as_ref());
    let resumable = mine
        && running.is_none()
        && info.command == Command::Import
        && matches!(
            info.status,
            Status::Interrupted | Status::Fatal | Status::Stopped | Status::Failed
        )
        && crate::report::journal_path(&dir.join(runs::REPORT)).is_file();
    let importable = mine
        && info.command == Command::Check
        && info.kind == Layout::Staff
        && info.count(|c| c.ok) > 0;
    Ok(html::render(
        "run.html",
        minijinja::context! {
            status => info.status.name(),
            counts => counts(&info, plan.as_ref()),
            plan_lines => plan.as_ref().filter(|_| mine).map(plan_lines).unwrap_or_default(),
            plan_more => plan.as_ref().map_or(0, |p| p.more),
            header => header.titles, rows, page, pages,
            failed_rows => info.failed_rows,
            info, running, mine, importable, resumable, deleting,
            busy => app.jobs.sending(), csrf => s.csrf, user => s.user,
            approver => s.role == crate::web::auth::Role::Approve,
            report => mine && runs::servable(&dir.join(runs::REPORT)),
            backup => mine && runs::backup(&dir).is_some(),
            output => mine && info.output.as_ref().is_some_and(|o| runs::servable(&dir.join(o))),
        },
    ))
}

/// How many people the run would delete (a plan's prunes, an undo's deletes), to confirm.
fn deleting(info: &RunInfo, plan: Option<&PlanShown>) -> usize {
    match info.command {
        Command::Plan | Command::UndoPlan => plan.map_or(0, |p| p.staff.delete),
        _ => 0,
    }
}

/// The plan's lines as the page shows them: bank cards masked.
fn plan_lines(plan: &PlanShown) -> Vec<[String; 5]> {
    plan.lines
        .iter()
        .map(|l| {
            let card = l.field == "bank_card" || l.field == crate::model::Field::BankCard.label();
            let shown = |v: &str| if card { mask_card(v) } else { v.to_string() };
            [
                l.action.clone(),
                l.target.clone(),
                l.field.clone(),
                shown(&l.old),
                shown(&l.new),
            ]
        })
        .collect()
}

/// The counts a run's page shows, by `data-count` name.
fn counts(info: &RunInfo, plan: Option<&PlanShown>) -> Vec<(&'static str, &'static str, usize)> {
    let Some(c) = &info.counts else {
        return vec![];
    };
    let warnings = info.warnings.len() + info.row_warnings as usize;
    let failed = c.failed.saturating_sub(c.not_sent);
    match info.command {
        Command::Check => vec![
            ("total", "总行数 Rows", c.total),
            ("valid", "通过 Valid", c.ok),
            ("invalid", "校验失败 Invalid", c.invalid),
            ("warnings", "警告 Warnings", warnings),
        ],
        Command::Delete => vec![
            ("total", "总行数 Rows", c.total),
            ("deleted", "已删除 Deleted", c.deleted),
            ("not_found", "不在通讯录 Not found", c.not_found),
            ("invalid", "校验失败 Invalid", c.invalid),
            ("failed", "失败 Failed", failed),
            ("not_sent", "未发送 Not sent", c.not_sent),
        ],
        Command::Plan => vec![
            ("total", "总行数 Rows", c.total),
            ("created", "将新增 To create", c.created),
            ("updated", "将更新 To update", c.updated),
            ("unchanged", "无变化 Unchanged", c.unchanged),
            ("deleted", "将删除 To delete", c.deleted),
            ("invalid", "校验失败 Invalid", c.invalid),
        ],
        Command::UndoPlan => {
            let p = plan.map(|p| p.staff).unwrap_or_default();
            vec![
                ("created", "将重建 To re-create", p.create),
                ("updated", "将恢复 To restore", p.update),
                ("deleted", "将删除 To delete", p.delete),
                ("unchanged", "无需改动 Nothing to do", p.unchanged),
            ]
        }
        Command::Export => vec![],
        _ => vec![
            ("total", "总行数 Rows", c.total),
            ("created", "新增 Created", c.created),
            ("deleted", "已删除 Deleted", c.deleted),
            ("updated", "更新 Updated", c.updated),
            ("skipped", "已存在跳过 Skipped", c.skipped),
            ("invalid", "校验失败 Invalid", c.invalid),
            ("failed", "失败 Failed", failed),
            ("not_sent", "未发送 Not sent", c.not_sent),
        ],
    }
}

/// Stop: as Ctrl-C, in-flight calls finish and the report and journal are written. It stops
/// this run, and no other.
pub async fn stop(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(Nothing {}): Posted<Nothing>,
) -> Result<Response, AppError> {
    let (info, _) = app.store.get(&id).ok_or(AppError::NotFound)?;
    if !info.command.sends() {
        return Err(AppError::NotFound);
    }
    acting_on(&app, &s, &id, &[info.command], None)?;
    if let Some(w) = app.jobs.watch(&id) {
        w.stop_by(&s.user);
    }
    Ok(to_run(&id))
}

/// Progress as server-sent events: a `progress` event on every change (at most ten a
/// second), `done` at the end.
pub async fn events(State(app): State<Arc<App>>, UrlPath(id): UrlPath<String>) -> Response {
    let watch = app.jobs.watch(&id);
    let stream = futures::stream::unfold((watch, false), |(watch, done)| async move {
        if done {
            return None;
        }
        let Some(w) = watch else {
            return Some((
                Ok::<_, std::convert::Infallible>(SseEvent::default().event("done").data("{}")),
                (None, true),
            ));
        };
        let mut rx = w.subscribe();
        let snap = w.snapshot();
        let data = serde_json::to_string(&snap).unwrap_or_default();
        if snap.finished {
            return Some((
                Ok(SseEvent::default().event("done").data(data)),
                (None, true),
            ));
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
        let _ = tokio::time::timeout(Duration::from_secs(5), rx.changed()).await;
        Some((
            Ok(SseEvent::default().event("progress").data(data)),
            (Some(w), false),
        ))
    });
    Sse::new(stream)
        .keep_alive(KeepAlive::default())
        .into_response()
}

/// Downloads from the run store only, to whoever may see the run's sheets: its report, its
/// input, a delete's backup, an export. A file cut short (a full disk) is never served.
pub async fn download(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath((id, file)): UrlPath<(String, String)>,
) -> Result<Response, AppError> {
    let (info, dir) = app.store.get(&id).ok_or(AppError::NotFound)?;
    if !s.owns(&info.who) {
        return Err(AppError::NotAllowed);
    }
    let (path, name) = match file.as_str() {
        "report" => (dir.join(runs::REPORT), format!("{id}.report.xlsx")),
        "input" => (dir.join(&info.input), format!("{id}.{}", info.input)),
        "backup" => (
            runs::backup(&dir).ok_or(AppError::NotFound)?,
            format!("{id}.backup.xlsx"),
        ),
        "output" => {
            let out = info.output.as_ref().ok_or(AppError::NotFound)?;
            (dir.join(out), format!("{id}.{out}"))
        }
        _ => return Err(AppError::NotFound),
    };
    if !runs::servable(&path) {
        return Err(AppError::NotFound);
    }
    let file = tokio::fs::File::open(&path)
        .await
        .map_err(|_| AppError::NotFound)?;
    let chunks = futures::stream::unfold(Some(file), |file| async move {
        use tokio::io::AsyncReadExt as _;
        let mut file = file?;
        let mut buf = vec![0u8; 64 * 1024];
        match file.read(&mut buf).await {
            Ok(0) => None,
            Ok(n) => {
                buf.truncate(n);
                Some((Ok::<_, std::io::Error>(buf), Some(file)))
            }
            // The answer ends cut off, which the browser reports as a failed download.
            Err(e) => Some((Err(e), None)),
        }
    });
    Ok((
        [
            (header::CONTENT_TYPE, "application/octet-stream".to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!("attachment; filename=\"{name}\""),
            ),
        ],
        Body::from_stream(chunks),
    )
        .into_response())
}
