//! Upload → a check run: the file streams into a new run's folder under a name of the store's
//! own, is checked (as `bgy check`, online when the console has a server), and the page shows
//! the result. A check sends nothing.

use std::sync::Arc;

use axum::extract::{Multipart, State};
use axum::response::Response;
use axum::Extension;

use super::{require, run_input, run_to_end};
use crate::config::Job;
use crate::model::Layout;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::runs::{Command, RunInfo};
use crate::web::{upload, App};

pub async fn upload(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    form: Multipart,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let up = upload::receive(&app, &s, form).await?;
    let layout = match Layout::of_kind(&up.kind) {
        Some(layout) => Some(layout),
        // The form's default: a bgy report is read as the kind its run read (a report of
        // dates, fixed and uploaded again, is a sheet of dates), anything else as its header
        // says.
        None => {
            let path = up.dir.join(&up.input);
            tokio::task::spawn_blocking(move || crate::read::report_layout(&path))
                .await
                .ok()
                .flatten()
        }
    };
    let mut info = RunInfo::new(&up.id, &s.user, Command::Check, &up.file, &up.input);
    info.kind = layout.unwrap_or(Layout::Staff);
    info.by_header = layout.is_none();
    let job = Job::Check {
        input: run_input(&up.dir, &info),
        layout,
        create_departments: false,
    };
    run_to_end(app, up.dir, up.live, info, job).await
}
