//! The runs page: every run of the store, newest first.

use std::sync::Arc;

use axum::extract::{Query, State};
use axum::response::Response;
use axum::Extension;

use crate::web::auth::Session;
use crate::web::{html, runs, App};

/// The runs a page shows at most; older ones are a link away.
const PER_PAGE: usize = 100;

#[derive(serde::Deserialize)]
pub struct Older {
    /// The runs older than this one (a run's id).
    before: Option<String>,
}

pub async fn page(
    State(app): State<Arc<App>>,
    Extension(s): Extension<Session>,
    Query(q): Query<Older>,
) -> Response {
    let store = app.clone();
    let before = q.before.clone();
    let (runs, older) = tokio::task::spawn_blocking(move || {
        let (mut runs, older) = store.store.page(before.as_deref(), PER_PAGE);
        // A run another console was carrying out when it was killed.
        store.store.settle(&mut runs);
        (runs, older)
    })
    .await
    .unwrap_or_default();
    let runs: Vec<minijinja::Value> = runs
        .iter()
        .map(|r| {
            let dir = app.store.data.join(&r.id);
            minijinja::context! {
                info => r, shown => r.shown(), total => r.counts.as_ref().map(|c| r.total(c)),
                status => r.status.name(), asks => r.asks_columns(),
                mine => s.owns(&r.who),
                report => runs::servable(&dir.join(runs::REPORT)),
                output => r.output.as_ref().is_some_and(|o| runs::servable(&dir.join(o))),
            }
        })
        .collect();
    html::render(
        "runs.html",
        minijinja::context! {
            runs, older, newer => q.before.is_some(), user => s.user, csrf => s.csrf,
        },
    )
}
