//! Choosing what is read, in the browser: a check whose sheet had columns bgy did not know (or
//! 工号 and no 帐号) shows each header with a choice; applying checks the same upload again,
//! read with those choices, and "remember for this company" writes them to `bgy.toml`. A
//! workbook whose first sheet had no header row, or whose other sheets have one too, offers
//! the (first) other sheet that has one, and a sheet checked as staff that seems to be a sheet
//! of dates or a 离职名单 is offered to be checked as one.

use std::collections::HashMap;
use std::sync::Arc;

use axum::extract::{Path as UrlPath, State};
use axum::response::Response;
use axum::Extension;

use super::{acting_on, fork, require, run_input, run_to_end, Posted};
use crate::config::Job;
use crate::model::{Field, Layout};
use crate::read::header::normalize;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::i18n::tr;
use crate::web::runs::{Command, RunInfo};
use crate::web::App;

/// What a column's choice is sent as: a field's API key, `-` to ignore it, or empty to leave
/// it as bgy reads it.
pub fn choice(value: &str) -> Result<Option<Option<Field>>, AppError> {
    match value.trim() {
        "" => Ok(None),
        "-" => Ok(Some(None)),
        key => Field::from_key(key)
            .map(|f| Some(Some(f)))
            .ok_or(AppError::bad_request(
                "没有这一列 (No such column)",
                tr("所选的列不存在。", "The column chosen does not exist."),
            )),
    }
}

pub async fn apply(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(form): Posted<HashMap<String, String>>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let (from, from_dir) = acting_on(&app, &s, &id, &[Command::Check], None)?;
    let seen = from.columns.clone().ok_or(AppError::NotFound)?;
    // The earlier choices, then these over them.
    let mut mapping = from.mapping.clone();
    for (i, column) in seen.columns.iter().enumerate() {
        let Some(value) = form.get(&format!("c{i}")) else {
            continue;
        };
        let Some(field) = choice(value)? else {
            continue;
        };
        let target = field.map_or("-".to_string(), |f| f.label().to_string());
        mapping.retain(|(h, _)| normalize(h) != normalize(&column.title));
        mapping.push((column.title.trim().to_string(), target));
    }
    if form.contains_key("remember") {
        require(&s, Role::Approve)?;
        crate::config::remember_columns(std::path::Path::new("."), &mapping)
            .map_err(|e| AppError::Internal(format!("{e:#}")))?;
    }
    check_again(app, &s, &from_dir, &from, |info| info.mapping = mapping).await
}

/// Checks the same upload again, reading the other sheet with a header row that the check
/// named (never another: only what the page offered).
pub async fn sheet(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(form): Posted<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let offered = |from: &RunInfo| from.other_sheet().map(str::to_string);
    check_offered(
        app,
        &s,
        &id,
        form.get("sheet"),
        offered,
        String::as_str,
        |info, sheet| info.sheet = Some(sheet),
    )
    .await
}

/// Checks the same upload again as the kind of sheet the check said it seemed to be (never
/// another: only what the page offered).
pub async fn kind(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    UrlPath(id): UrlPath<String>,
    Posted(form): Posted<HashMap<String, String>>,
) -> Result<Response, AppError> {
    let offered = |from: &RunInfo| from.other_kind();
    let named = |k: &Layout| k.name();
    check_offered(
        app,
        &s,
        &id,
        form.get("kind"),
        offered,
        named,
        |info, kind| {
            info.kind = kind;
            info.by_header = false;
        },
    )
    .await
}

/// A new check of the person's own check `id`, changed by what that check `offered` when the
/// form `asked` for it by its `name`; anything else is not found.
async fn check_offered<T>(
    app: Arc<App>,
    s: &Session,
    id: &str,
    asked: Option<&String>,
    offered: impl FnOnce(&RunInfo) -> Option<T>,
    name: fn(&T) -> &str,
    change: impl FnOnce(&mut RunInfo, T),
) -> Result<Response, AppError> {
    require(s, Role::Run)?;
    let (from, from_dir) = acting_on(&app, s, id, &[Command::Check], None)?;
    let choice = offered(&from)
        .filter(|o| asked.map(String::as_str) == Some(name(o)))
        .ok_or(AppError::NotFound)?;
    check_again(app, s, &from_dir, &from, |info| change(info, choice)).await
}

/// A new check of `from`'s upload by the session's person, `change`d.
async fn check_again(
    app: Arc<App>,
    s: &Session,
    from_dir: &std::path::Path,
    from: &RunInfo,
    change: impl FnOnce(&mut RunInfo),
) -> Result<Response, AppError> {
    let (new_id, dir, live) = fork(&app, from_dir, from)?;
    let mut info = from.next(&new_id, &s.user, Command::Check);
    // Its columns chosen, a sheet whose kind was not is read as its header now says.
    info.by_header = from.by_header;
    change(&mut info);
    let job = Job::Check {
        input: run_input(&dir, &info),
        layout: (!info.by_header).then_some(info.kind),
        create_departments: false,
    };
    run_to_end(app, dir, live, info, job).await
}
