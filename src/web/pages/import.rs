//! Import the valid rows of a checked sheet, as `bgy import` does, in the background; or
//! resume an import that stopped, from its journal: the rows it says succeeded are not sent
//! again.

use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;
use serde::Deserialize;

use super::{acting_on, require, send_from, Posted};
use crate::config::{ImportOptions, Job};
use crate::model::{Cover, Layout};
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::runs::{self, Command};
use crate::web::App;

#[derive(Deserialize)]
pub struct ImportForm {
    #[serde(default)]
    cover: String,
    #[serde(default)]
    create_departments: Option<String>,
    /// Resume a stopped import from its journal.
    #[serde(default)]
    resume: Option<String>,
}

pub async fn start(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(f): Posted<ImportForm>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let commands = [Command::Check, Command::Import];
    let (from, from_dir) = acting_on(&app, &s, &id, &commands, Some(Layout::Staff))?;
    let resume = f.resume.is_some() && from.command == Command::Import;
    let (overwrite, create_departments) = match resume {
        // The stopped run's own options.
        true => (from.overwrite, from.create_departments),
        false => (f.cover == "overwrite", f.create_departments.is_some()),
    };
    let journal = crate::report::journal_path(&from_dir.join(runs::REPORT));
    send_from(
        app.clone(),
        &s,
        (&from, &from_dir),
        Command::Import,
        |info| {
            info.overwrite = overwrite;
            info.create_departments = create_departments;
        },
        |input| {
            if resume {
                let to = crate::report::journal_path(input.report.as_deref().unwrap_or(&journal));
                crate::journal::copy(&journal, &to).map_err(|_| {
                    AppError::conflict(
                        "无法继续 (Cannot resume)",
                        "这个运行没有日志可以继续 (this run has no journal to resume from).",
                    )
                })?;
            }
            Ok(Job::Import {
                input,
                options: ImportOptions {
                    cover: if overwrite {
                        Cover::Overwrite
                    } else {
                        Cover::Skip
                    },
                    create_departments,
                    dry_run: false,
                    resume,
                },
            })
        },
    )
    .await
}
