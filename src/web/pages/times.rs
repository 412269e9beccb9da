//! Update the dates of a checked dates sheet, as `bgy times` does, in the background.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;

use super::{acting_on, require, send_from, Nothing, Posted};
use crate::config::Job;
use crate::model::Layout;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::runs::Command;
use crate::web::App;

pub async fn start(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(Nothing {}): Posted<Nothing>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let (from, from_dir) = acting_on(&app, &s, &id, &[Command::Check], Some(Layout::Times))?;
    send_from(
        app.clone(),
        &s,
        (&from, &from_dir),
        Command::Times,
        |_| {},
        |input| {
            Ok(Job::Times {
                input,
                resume: false,
            })
        },
    )
    .await
}
