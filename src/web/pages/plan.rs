//! Plan: what a checked sheet would change in the directory, as `bgy plan` shows it (sends
//! nothing). Sync: apply exactly that plan, as `bgy sync` does, in the background; deleting
//! needs the count typed, the `approve` role, and past 20 % of the directory `force`.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;
use serde::Deserialize;

use super::{acting_on, confirmed, fork, require, run_input, send_from, to_run, Posted};
use crate::config::{Destructive, Job, PruneMode};
use crate::model::Layout;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::jobs::{self, NewRun};
use crate::web::runs::{self, Command};
use crate::web::App;

#[derive(Deserialize)]
pub struct PlanForm {
    #[serde(default)]
    prune: Option<String>,
}

pub async fn plan(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(f): Posted<PlanForm>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let (from, from_dir) = acting_on(&app, &s, &id, &[Command::Check], Some(Layout::Staff))?;
    let (new_id, dir) = fork(&app, &from_dir, &from)?;
    let mut info = from.next(&new_id, &s.user, Command::Plan);
    info.prune = f.prune.is_some();
    let job = Job::Plan {
        input: run_input(&dir, &info),
        prune: prune_mode(info.prune),
    };
    let id = jobs::run_now(app, NewRun { dir, info, job }).await?;
    Ok(to_run(&id))
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
    let deleting = runs::plan(&from_dir).map_or(0, |p| p.staff.delete);
    if from.prune || deleting > 0 {
        require(&s, Role::Approve)?;
    }
    confirmed(deleting, &f.confirm)?;
    let force = f.force.is_some();
    let prune = prune_mode(from.prune);
    send_from(
        app.clone(),
        &s,
        (&from, &from_dir),
        Command::Sync,
        |_| {},
        |input| {
            Ok(Job::Sync {
                input,
                prune,
                destructive: Destructive { yes: true, force },
            })
        },
    )
    .await
}

/// The console's "delete who is not in the sheet" box.
fn prune_mode(prune: bool) -> PruneMode {
    match prune {
        true => PruneMode::Delete,
        false => PruneMode::None,
    }
}
