//! Plan: what a checked sheet would change in the directory, as `bgy plan` shows it (sends
//! nothing). Sync: apply exactly that plan, as `bgy sync` does, in the background; deleting
//! needs the count typed, the `approve` role, and past 20 % of the directory `force`.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;
use serde::Deserialize;

use super::{acting_on, confirmed_as, fork, require, run_input, run_to_end, send_from, Posted};
use crate::config::{Destructive, Job, PruneMode, Reach};
use crate::model::Layout;
use crate::remedy::Removal;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::runs::{self, Command};
use crate::web::App;

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    prune: Option<String>,
    #[serde(default)]
    create_departments: Option<String>,
}

pub async fn plan(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(f): Posted<PlanForm>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let (from, from_dir) = acting_on(&app, &s, &id, &[Command::Check], Some(Layout::Staff))?;
    // 不动 (none), 标记为已离职 (leave) or 删除 (delete; `1` as the old box said).
    let mode = match f.prune.as_deref() {
        None | Some("") | Some("none") => PruneMode::None,
        Some("leave") => PruneMode::Leave,
        Some(_) => PruneMode::Delete,
    };
    if mode.any() {
        require(&s, Role::Approve)?;
    }
    let (new_id, dir, live) = fork(&app, &from_dir, &from)?;
    let mut info = from.next(&new_id, &s.user, Command::Plan);
    info.prune = mode.any();
    info.leave = mode == PruneMode::Leave;
    info.create_departments = f.create_departments.is_some();
    let job = Job::Plan {
        input: run_input(&dir, &info),
        reach: Reach {
            prune: mode,
            create_departments: info.create_departments,
        },
    };
    run_to_end(app, dir, live, info, job).await
}

#[derive(Deserialize)]
pub struct SyncForm {
    /// The number of people to delete, typed by the person.
    #[serde(default)]
    pub confirm: String,
    #[serde(default)]
    pub force: Option<String>,
}

pub async fn sync(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(f): Posted<SyncForm>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let (from, from_dir) = acting_on(&app, &s, &id, &[Command::Plan], None)?;
    let staff = runs::plan(&from_dir).map(|p| p.staff).unwrap_or_default();
    let removing = staff.delete + staff.leave;
    if from.prune || removing > 0 {
        require(&s, Role::Approve)?;
    }
    let what = match staff.leave {
        0 => Removal::Delete,
        _ => Removal::MarkLeft,
    };
    confirmed_as(removing, &f.confirm, what)?;
    let force = f.force.is_some();
    // As the plan shown: the sync sends what it planned.
    let reach = Reach {
        prune: prune_mode(&from),
        create_departments: from.create_departments,
    };
    send_from(
        app.clone(),
        &s,
        (&from, &from_dir),
        Command::Sync,
        |_| {},
        |input| {
            Ok(Job::Sync {
                input,
                reach,
                destructive: Destructive { yes: true, force },
            })
        },
    )
    .await
}

/// What the plan's run chose for the people its sheet leaves out.
fn prune_mode(info: &runs::RunInfo) -> PruneMode {
    match (info.prune, info.leave) {
        (false, _) => PruneMode::None,
        (true, true) => PruneMode::Leave,
        (true, false) => PruneMode::Delete,
    }
}
