//! The directory (or one department) as `bgy export` writes it, as a run of its own whose
//! page offers the file.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;
use serde::Deserialize;

use super::{require, run_to_end, Posted};
use crate::config::Job;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::runs::{Command, RunInfo};
use crate::web::App;

#[derive(Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    department: String,
    #[serde(default)]
    recursive: Option<String>,
    #[serde(default)]
    format: String,
}

pub async fn start(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Posted(f): Posted<ExportForm>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let output = if f.format == "csv" {
        "export.csv"
    } else {
        "export.xlsx"
    };
    let (id, dir, live) = app.store.create().map_err(|e| AppError::storage(&e))?;
    let department = Some(f.department.trim().to_string()).filter(|d| !d.is_empty());
    // The whole directory is no file name: the pages say 全部 or everyone (`RunInfo::shown`).
    let shown = department.clone().unwrap_or_default();
    let mut info = RunInfo::new(&id, &s.user, Command::Export, &shown, "");
    info.output = Some(output.into());
    let job = Job::Export {
        output: dir.join(output),
        department,
        recursive: f.recursive.is_some(),
        encoding: crate::cli::Encoding::Utf8,
    };
    run_to_end(app, dir, live, info, job).await
}
