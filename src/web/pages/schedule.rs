//! 定时同步: the unattended job of `bgy.toml` (when it runs next, from where, its limits),
//! its last runs, and the runs it paused, with 批准 / 拒绝 for the `approve` role. Approving
//! is a sending run of the console (its page, progress and report); rejecting is immediate.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::{IntoResponse, Redirect, Response};
use axum::Extension;
use minijinja::context;

use super::{require, send_in, with_history, Nothing, Posted};
use crate::config::unattended::OnInvalid;
use crate::config::Job;
use crate::outcome::PlanLine;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::jobs;
use crate::web::runs::{self, Command, RunInfo};
use crate::web::{html, i18n, App};

/// The job as the page shows it.
fn job_of(app: &App) -> Option<minijinja::Value> {
    let settings = app.schedule.as_ref()?;
    let job = settings.schedule.as_ref()?;
    // With their weekdays, and the two after: a person sees on which days it runs.
    let next: Vec<String> = (job.next_runs(chrono::Utc::now(), 3).iter())
        .map(|t| {
            let day = chrono::Datelike::weekday(t).num_days_from_monday() as usize;
            let (zh, en) = (
                ["一", "二", "三", "四", "五", "六", "日"][day],
                t.format("%a"),
            );
            format!(
                "{} {} {}",
                t.format("%Y-%m-%d"),
                i18n::tr(&format!("周{zh}"), &en.to_string()),
                t.format("%H:%M")
            )
        })
        .collect();
    Some(minijinja::Value::from_serialize(serde_json::json!({
        "cron": job.cron_text,
        "tz": job.tz.name(),
        "next": next.first(),
        "then": next.get(1..).unwrap_or_default(),
        "folder": job.folder.display().to_string(),
        "pattern": job.pattern.as_ref().map(|p| p.as_str().to_string()),
        "prune": job.prune.name(),
        "max_changes": job.max_changes.describe(),
        "send_valid": job.on_invalid == OnInvalid::SendValid,
        "robot": settings.notify.webhook.is_some(),
        "mail": settings.notify.mail.as_ref().map(|m| {
            m.to.iter().map(|t| t.email.to_string()).collect::<Vec<_>>().join(", ")
        }),
    })))
}

pub async fn page(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let shared = app.clone();
    let (pending, recent, error, keep, last) = tokio::task::spawn_blocking(move || {
        // Who no prune touches, as bgy.toml says now.
        let keep = crate::config::Company::read(std::path::Path::new("."))
            .and_then(|c| c.keep())
            .ok();
        // This console's job or system cron's (`bgy schedule --once`), failed or not.
        let last = crate::cmd::schedule::last(&shared.ctx.history_dir());
        let history = match shared.ctx.history() {
            Ok(h) => h,
            Err(e) => return (vec![], vec![], Some(format!("{e:#}")), keep, last),
        };
        let pending = history.paused(false, 50).unwrap_or_default();
        let recent = (history
            .runs_by(crate::cmd::schedule::WHO, 20)
            .unwrap_or_default())
        .into_iter()
        .map(|r| history.with_sent_as(r))
        .collect();
        (pending, recent, None, keep, last)
    })
    .await
    .unwrap_or_default();
    // Each paused run's plan as a run's page shows one: bgy's words in the page's language.
    let pending: Vec<serde_json::Value> = (pending.into_iter())
        .map(|p| {
            let lines: Vec<PlanLine> = serde_json::from_value(p.lines.clone()).unwrap_or_default();
            let shown: Vec<[String; 5]> = lines.iter().map(super::run::shown_line).collect();
            let mut p = serde_json::to_value(&p).unwrap_or_default();
            if let Some(p) = p.as_object_mut() {
                p.insert("shown".into(), serde_json::json!(shown));
            }
            p
        })
        .collect();
    html::render(
        "schedule.html",
        context! {
            job => job_of(&app), pending, recent, error, last, keep,
            can_decide => s.role == Role::Approve,
            user => s.user, csrf => s.csrf,
        },
    )
}

/// 批准: the paused run planned again and sent if its plan is the same, as a run of its own.
pub async fn approve(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
    Posted(Nothing {}): Posted<Nothing>,
) -> Result<Response, AppError> {
    require(&s, Role::Approve)?;
    let settings = app.schedule.clone().unwrap_or_default();
    let paused = with_history(&app, move |h| h.paused_run(run))
        .await?
        .filter(|p| p.run.status == crate::history::RunStatus::Pending)
        .ok_or_else(|| {
            AppError::conflict(
                "不在等待 (Not waiting)",
                format!("运行 #{run} 不在等待确认 (run #{run} is not waiting for approval: decided already, or not paused)."),
            )
        })?;
    let folder = app.store.create().map_err(|e| AppError::storage(&e))?;
    send_in(app, &s, folder, Command::Sync, |id, dir| {
        let info = RunInfo::new(id, &s.user, Command::Sync, &paused.run.input, "");
        let job = Job::Decide {
            run,
            approve: true,
            settings,
            report: Some(dir.join(runs::REPORT)),
        };
        Ok((info, job))
    })
    .await
}

/// 拒绝: nothing sent, and the schedule does not run that file again.
pub async fn reject(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(run): UrlPath<i64>,
    Posted(Nothing {}): Posted<Nothing>,
) -> Result<Response, AppError> {
    require(&s, Role::Approve)?;
    let job = Job::Decide {
        run,
        approve: false,
        settings: app.schedule.clone().unwrap_or_default(),
        report: None,
    };
    let (result, _) = jobs::quick(&app, &s.user, job).await;
    if let Err(e) = result {
        return Err(AppError::conflict(
            "无法拒绝 (Cannot reject)",
            i18n::pick(&format!("{e:#}")),
        ));
    }
    Ok(Redirect::to("/schedule").into_response())
}
