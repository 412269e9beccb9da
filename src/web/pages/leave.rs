//! Mark the people of a checked 离职名单 as leavers, as `bgy leave` does: the `approve` role,
//! the count typed, past 20 % of the directory `force`. Their records before are in the
//! history, so an undo gives them back their status.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;

use super::plan::SyncForm;
use super::{acting_on, confirmed_as, require, send_from, Posted};
use crate::config::{Destructive, Job};
use crate::model::Layout;
use crate::remedy::Removal;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::runs::Command;
use crate::web::App;

pub async fn start(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(f): Posted<SyncForm>,
) -> Result<Response, AppError> {
    require(&s, Role::Approve)?;
    let (from, from_dir) = acting_on(&app, &s, &id, &[Command::Check], Some(Layout::Leave))?;
    // As many as the page said: the accounts the directory had when the list was checked.
    confirmed_as(from.in_directory(), &f.confirm, Removal::MarkLeft)?;
    let force = f.force.is_some();
    send_from(
        app.clone(),
        &s,
        (&from, &from_dir),
        Command::Leave,
        |_| {},
        |input| {
            Ok(Job::Leave {
                input,
                date: None,
                reason: None,
                destructive: Destructive { yes: true, force },
            })
        },
    )
    .await
}
