//! The home page: upload a sheet to check, the templates, an export.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;

use crate::web::auth::{Role, Session};
use crate::web::{html, App};

pub async fn page(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    html::render(
        "home.html",
        minijinja::context! {
            csrf => s.csrf, user => s.user, role => s.role,
            can_run => s.role >= Role::Run,
            busy => app.jobs.sending(), max_mb => app.max_upload >> 20,
        },
    )
}
