//! The runs page: every run of the store, newest first.

use std::sync::Arc;

use axum::extract::State;
use axum::response::Response;
use axum::Extension;

use crate::web::auth::Session;
use crate::web::{html, runs, App};

pub async fn page(State(app): State<Arc<App>>, Extension(s): Extension<Session>) -> Response {
    let store = app.clone();
    let runs = tokio::task::spawn_blocking(move || {
        let mut runs = store.store.list();
        // A run another console was carrying out when it was killed.
        store.store.settle(&mut runs);
        runs
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
        minijinja::context! { runs, user => s.user, csrf => s.csrf },
    )
}
