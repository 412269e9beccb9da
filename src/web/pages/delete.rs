//! Delete the accounts of a checked delete sheet, as `bgy delete` does: the `approve` role,
//! the count typed, past 20 % of the directory `force`, and the backup first.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;

use super::plan::SyncForm;
use super::{acting_on, confirmed, require, send_from, Posted};
use crate::config::{Destructive, Job};
use crate::model::Layout;
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
    let (from, from_dir) = acting_on(&app, &s, &id, &[Command::Check], Some(Layout::Delete))?;
    // As many as the page said: the accounts the directory had when the sheet was checked.
    confirmed(from.in_directory(), &f.confirm)?;
    let force = f.force.is_some();
    send_from(
        app.clone(),
        &s,
        (&from, &from_dir),
        Command::Delete,
        |_| {},
        |input| {
            Ok(Job::Delete {
                input,
                destructive: Destructive { yes: true, force },
            })
        },
    )
    .await
}
