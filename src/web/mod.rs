//! `bgy serve`: the web console, a second front-end on the same stages. It runs the commands'
//! own code (`cmd::run`) with an observer that keeps each run's progress for the browser,
//! and it adds no rule, reader or sender of its own.
//!
//! In: requests from a browser that holds a session (a one-time token on 127.0.0.1, a login
//! elsewhere). Out: server-rendered pages (minijinja, everything embedded), server-sent
//! progress, downloads from the run store. Never: the ticket, in any page, event or header;
//! a path made from an upload's name; a download from outside the run store.

mod auth;
mod html;
mod pages;
mod runs;
mod watch;

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use axum::extract::DefaultBodyLimit;
use axum::http::{header, HeaderValue};
use axum::routing::{get, post};
use axum::Router;

use crate::config::ServeJob;
use crate::context::Context;
use crate::outcome::Summary;

pub use auth::hash_password_from_stdin;

/// What every request shares.
pub struct App {
    /// The directory: each run gets `ctx.for_run(..)`, with its own observer and stop.
    ctx: Context,
    data: PathBuf,
    max_upload: usize,
    auth: auth::Auth,
    templates: minijinja::Environment<'static>,
    /// Runs in progress, by id.
    running: Mutex<HashMap<String, Arc<watch::WebRun>>>,
    /// The one run that sends, if any.
    busy: Mutex<Option<String>>,
}

/// Serves the console until Ctrl-C.
pub async fn serve(ctx: Context, job: &ServeJob) -> anyhow::Result<Summary> {
    let listener = tokio::net::TcpListener::bind(&job.listen)
        .await
        .with_context(|| format!("cannot listen on {}", job.listen))?;
    let addr = listener.local_addr()?;
    let auth = auth::Auth::new(addr.ip().is_loopback(), job.users.as_deref())?;
    std::fs::create_dir_all(&job.data)
        .with_context(|| format!("cannot create the run store {}", job.data.display()))?;
    let app = Arc::new(App {
        ctx,
        data: job.data.clone(),
        max_upload: job.max_upload_bytes,
        templates: html::templates(),
        auth,
        running: Mutex::new(HashMap::new()),
        busy: Mutex::new(None),
    });
    let start = match app.auth.token() {
        Some(token) => format!("http://{addr}/?token={token}"),
        None => format!("http://{addr}/login"),
    };
    eprintln!("bgy serve: {start}");
    axum::serve(listener, router(app))
        .with_graceful_shutdown(async {
            let _ = tokio::signal::ctrl_c().await;
        })
        .await?;
    Ok(Summary {
        command: "serve",
        ..Summary::default()
    })
}

fn router(app: Arc<App>) -> Router {
    let limit = app.max_upload;
    let guarded = Router::new()
        .route("/", get(pages::home))
        .route("/runs", get(pages::runs))
        .route(
            "/check",
            post(pages::check).layer(DefaultBodyLimit::max(limit)),
        )
        .route("/runs/{id}", get(pages::run))
        .route("/runs/{id}/events", get(pages::events))
        .route("/runs/{id}/import", post(pages::import))
        .route("/runs/{id}/stop", post(pages::stop))
        .route("/runs/{id}/plan", post(pages::plan))
        .route("/runs/{id}/sync", post(pages::sync))
        .route("/runs/{id}/times", post(pages::times))
        .route("/runs/{id}/delete", post(pages::delete))
        .route("/runs/{id}/{file}", get(pages::download))
        .route("/template/{kind}", get(pages::template))
        .route("/export", post(pages::export))
        .route("/departments", get(pages::departments))
        .route("/history", get(pages::history))
        .route("/history/{run}", get(pages::history_run))
        .route("/history/{run}/undo", post(pages::undo_plan))
        .route("/runs/{id}/undo", post(pages::undo))
        .route_layer(axum::middleware::from_fn_with_state(
            app.clone(),
            auth::require_session,
        ));
    Router::new()
        .merge(guarded)
        .route("/login", get(pages::login_page).post(pages::login))
        .route("/static/app.js", get(pages::script))
        .route("/static/app.css", get(pages::style))
        .layer(axum::middleware::map_response(secure_headers))
        .with_state(app)
}

/// On every answer: a Content-Security-Policy that allows no inline script and nothing from
/// elsewhere, and no framing or sniffing.
async fn secure_headers(mut response: axum::response::Response) -> axum::response::Response {
    let h = response.headers_mut();
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
        ),
    );
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("no-referrer"),
    );
    response
}
