//! The department tree with member counts, as `bgy dept list` lists it.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;

use crate::config::{DeptJob, Job};
use crate::web::auth::Session;
use crate::web::{html, jobs, App};

pub async fn page(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let (result, warnings) = jobs::quick(&app, &s.user, Job::Dept(DeptJob::List)).await;
    let (departments, error) = match result {
        Ok(summary) => match summary.detail {
            crate::outcome::Detail::Departments { departments } => (departments, None),
            _ => (Vec::new(), None),
        },
        Err(e) => (vec![], Some(crate::text::line(&format!("{e:#}")))),
    };
    html::render(
        "departments.html",
        minijinja::context! { departments, warnings, error, user => s.user, csrf => s.csrf },
    )
}
