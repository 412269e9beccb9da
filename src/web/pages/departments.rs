//! The department tree with member counts, as `bgy dept list` lists it; a department added
//! (`bgy dept add`) or renamed (`bgy dept rename`) from it, recorded in the history as the
//! command line records them.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::{IntoResponse as _, Redirect, Response};
use axum::Extension;
use serde::Deserialize;

use super::{require, Posted};
use crate::config::{DeptJob, Job};
use crate::outcome::Detail;
use crate::web::auth::{Role, Session};
use crate::web::error::AppError;
use crate::web::{html, jobs, App};

/// What the page says of the change just made: the department's we_id.
#[derive(Deserialize, Default)]
pub struct Done {
    added: Option<i64>,
    /// An add of a path the directory has already: nothing was made.
    exists: Option<i64>,
    renamed: Option<i64>,
}

pub async fn page(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Query(done): Query<Done>,
) -> Response {
    listed(
        &app,
        &s,
        Said {
            done,
            ..Said::default()
        },
    )
    .await
}

/// What the page says besides the tree.
#[derive(Default)]
struct Said {
    done: Done,
    /// A change that was refused: why.
    error: Option<String>,
    /// The form's values as typed, when it comes back.
    typed: Typed,
    /// The departments an add would make, to be confirmed when there are several.
    to_make: Vec<String>,
}

/// The page, the tree listed again.
async fn listed(app: &App, s: &Session, said: Said) -> Response {
    let Said {
        done,
        error,
        typed,
        to_make,
    } = said;
    let (result, warnings) = jobs::quick(app, &s.user, Job::Dept(DeptJob::List)).await;
    let (departments, listing_error) = match result {
        Ok(summary) => match summary.detail {
            Detail::Departments { departments } => (departments, None),
            _ => (Vec::new(), None),
        },
        Err(e) => (vec![], Some(crate::text::line(&format!("{e:#}")))),
    };
    let path_of = |id: Option<i64>| {
        let id = id?;
        departments
            .iter()
            .find(|d| d.we_id == id)
            .map(|d| d.path.clone())
    };
    let (added, renamed) = (path_of(done.added), path_of(done.renamed));
    let exists = path_of(done.exists);
    html::render(
        "departments.html",
        minijinja::context! {
            departments, warnings, added, exists, renamed, typed, to_make,
            error => error.or(listing_error),
            can_add => s.role >= Role::Run,
            can_rename => s.role >= Role::Approve,
            user => s.user, csrf => s.csrf,
        },
    )
}

/// What the person typed, kept in the form when it is refused.
#[derive(Deserialize, serde::Serialize, Default)]
pub struct Typed {
    #[serde(default)]
    path: String,
    #[serde(default)]
    we_id: String,
    #[serde(default)]
    name: String,
    /// The person saw the departments an add makes and confirmed them.
    #[serde(default)]
    confirmed: Option<String>,
}

/// `POST /departments/add`: the department at `path` (a path from the root), and any missing
/// level above it.
pub async fn add(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Posted(f): Posted<Typed>,
) -> Result<Response, AppError> {
    require(&s, Role::Run)?;
    let path = f.path.trim().to_string();
    if path.is_empty() {
        let why = "请填写新部门的完整路径 (type the new department's full path)";
        let said = Said {
            error: Some(why.into()),
            typed: f,
            ..Said::default()
        };
        return Ok(listed(&app, &s, said).await);
    }
    // A department made cannot be deleted through the API: a path that makes more than one
    // level (a typo high up makes a branch) is shown level by level and made once confirmed.
    if f.confirmed.is_none() {
        let to_make = to_make(&app, &path).await;
        if to_make.len() > 1 {
            let said = Said {
                typed: f,
                to_make,
                ..Said::default()
            };
            return Ok(listed(&app, &s, said).await);
        }
    }
    Ok(change(&app, &s, Job::Dept(DeptJob::Add { path }), "added", f).await)
}

/// `POST /departments/rename`: department `we_id` gets the name `name`, its place unchanged.
pub async fn rename(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Posted(f): Posted<Typed>,
) -> Result<Response, AppError> {
    require(&s, Role::Approve)?;
    let (target, new_name) = (f.we_id.trim().to_string(), f.name.trim().to_string());
    let job = Job::Dept(DeptJob::Rename { target, new_name });
    Ok(change(&app, &s, job, "renamed", f).await)
}

/// Makes the change `job` (a `bgy dept` add or rename), then the page: the department named
/// in `/departments?{done}=WE_ID`, or the form back as `typed` with why it was refused.
async fn change(app: &App, s: &Session, job: Job, done: &str, typed: Typed) -> Response {
    match jobs::quick(app, &s.user, job).await.0 {
        Ok(summary) => match summary.detail {
            Detail::DeptAdded { we_id } => {
                // An add that found the path made nothing, and says so.
                let done = match (done, summary.counts.created) {
                    ("added", 0) => "exists",
                    _ => done,
                };
                Redirect::to(&format!("/departments?{done}={we_id}")).into_response()
            }
            _ => Redirect::to("/departments").into_response(),
        },
        Err(e) => {
            let said = Said {
                error: Some(crate::text::line(&format!("{e:#}"))),
                typed,
                ..Said::default()
            };
            listed(app, s, said).await
        }
    }
}

/// The departments adding `path` would make, parents first; none when the path cannot be read
/// or the directory cannot be listed (the add itself then says why).
async fn to_make(app: &App, path: &str) -> Vec<String> {
    let Ok(path) = path.parse::<crate::model::tree::DeptPath>() else {
        return Vec::new();
    };
    let Ok(client) = app.ctx.client() else {
        return Vec::new();
    };
    match crate::live::departments(client).await {
        Ok(tree) => tree.missing(&path.to_string()).unwrap_or_default(),
        Err(_) => Vec::new(),
    }
}
