//! `bgy serve`: the web console, a second front-end on the same stages. It runs the commands'
//! own code (`cmd::run`) with an observer that keeps each run's progress for the browser,
//! and it adds no rule, reader or sender of its own.
//!
//! In: requests from a browser that holds a session (a one-time token on a loopback address,
//! a login elsewhere). Out: server-rendered pages (minijinja, everything embedded), server-sent
//! progress, downloads from the run store. Never: the ticket, in any page, event or header;
//! a bank card number whole on a page; a path made from an upload's name; a download from
//! outside the run store; blocking work on the async runtime's threads.
//!
//! `net` owns connections, `auth` sessions, `jobs` a run's life, `runs` the store, `pages/`
//! one file a page.

mod auth;
mod cookies;
mod error;
mod html;
mod i18n;
mod jobs;
mod net;
mod pages;
mod runs;
mod schedule;
mod throttle;
mod upload;
mod watch;

use std::sync::Arc;
use std::time::Duration;

use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};
use axum::Router;
use tokio::sync::Semaphore;

use crate::config::ServeJob;
use crate::context::Context;
use crate::events::Emit as _;
use crate::outcome::Summary;
use crate::text::Unwritten as _;

pub use auth::hash_password_from_stdin;

/// What every request shares.
pub struct App {
    /// The directory: each run gets `ctx.for_run(..)`, with its own observer and stop.
    ctx: Context,
    store: runs::Store,
    max_upload: u64,
    auth: auth::Auth,
    hosts: net::Hosts,
    /// `--trust-proxy`: the client's address is the proxy's `X-Forwarded-For`.
    trust_proxy: bool,
    jobs: jobs::Jobs,
    uploads: Semaphore,
    /// `bgy.toml`'s unattended job, which this console runs on its schedule.
    schedule: Option<Arc<crate::config::unattended::Settings>>,
    /// The scheduled run in progress, which the console's shutdown stops.
    scheduled: schedule::Scheduled,
}

/// Serves the console until Ctrl-C or SIGTERM; then stops its runs (the calls in flight
/// finish, the reports are written) and ends. A second signal ends it at once.
pub async fn serve(ctx: Context, job: &ServeJob) -> anyhow::Result<Summary> {
    let tls = match (&job.tls_cert, &job.tls_key) {
        (Some(cert), Some(key)) => Some(net::tls(cert, key)?),
        _ => None,
    };
    let listener = crate::os::bind(&job.listen).await?;
    let addr = listener.local_addr()?;
    let secure = tls.is_some() || job.trust_proxy;
    let auth = auth::Auth::new(
        addr.ip().is_loopback(),
        job.users.as_deref(),
        auth::Lifetimes::from_env(),
        secure,
        &ctx.who,
    )?;
    std::fs::create_dir_all(&job.data).cannot_make_folder(&job.data)?;
    let app = Arc::new(App {
        store: runs::Store {
            data: job.data.clone(),
            keep: Duration::from_secs(job.keep_runs_days * 24 * 3600),
            max_bytes: job.max_store_bytes,
        },
        ctx,
        max_upload: job.max_upload_bytes,
        hosts: net::Hosts::new(addr, &job.hosts),
        trust_proxy: job.trust_proxy,
        auth,
        jobs: jobs::Jobs::default(),
        uploads: Semaphore::new(upload::AT_ONCE),
        schedule: job.schedule.clone(),
        scheduled: schedule::Scheduled::default(),
    });
    let scheme = if tls.is_some() { "https" } else { "http" };
    let shown = match addr {
        std::net::SocketAddr::V6(a) => format!("[{}]:{}", a.ip(), a.port()),
        a => a.to_string(),
    };
    let base = format!("{scheme}://{shown}");
    match app.auth.token() {
        Some(token) => crate::console::say(format!("bgy serve: {base}/?token={token}")),
        None => crate::console::say(format!("bgy serve: {base}/login")),
    }
    // A server's clock is often UTC: HR reading 04:11 for 12:11 is told how to have it right.
    let offset = chrono::Local::now().offset().to_string();
    if crate::model::zone().is_none() && offset != "+08:00" {
        crate::console::say(format!("bgy serve: 时间按本机时区 (UTC{offset}) 显示;在 bgy.toml 写上 tz = \"Asia/Shanghai\" 即按公司的时区 (times are shown in this machine's zone, UTC{offset}; tz = \"Asia/Shanghai\" in bgy.toml shows the company's)"));
    }
    tidy(&app).await;
    let keeper = tokio::spawn(keep_tidy(app.clone()));
    let scheduler = app
        .schedule
        .clone()
        .map(|settings| tokio::spawn(schedule::scheduled(app.clone(), settings)));
    let (_signals, shutdown) = crate::signals::first(
        "bgy serve: 立即退出,运行中的导入已中断,可在其页面继续 (quitting at once: runs in progress are cut off, and an import can be resumed from its page)",
    );
    net::serve(
        listener,
        tls,
        router(app.clone(), base),
        net::Limits::from_env(),
        shutdown,
    )
    .await;
    keeper.abort();
    crate::console::say("bgy serve: stopping: the runs in progress finish their calls in flight and write their reports");
    // The scheduled run, which runs on a thread of its own, is stopped and waited for: the
    // scheduler's task ended alone would leave it sending.
    tokio::join!(app.scheduled.close(), app.jobs.stop_all());
    if let Some(s) = scheduler {
        s.abort();
    }
    Ok(Summary {
        command: "serve",
        ..Summary::default()
    })
}

/// At start: runs a killed console left "running" become interrupted (in the store and in the
/// history), and old runs go.
async fn tidy(app: &Arc<App>) {
    let app = app.clone();
    let _ = tokio::task::spawn_blocking(move || {
        let mut runs = app.store.list();
        let settled = app.store.settle(&mut runs);
        if settled > 0 {
            crate::console::say(format!(
                "bgy serve: {settled} run(s) had been cut off while running (the console was killed, the machine went down, or the run's end could not be recorded): now interrupted, and an import can be resumed from its page"
            ));
        }
        match app.ctx.history() {
            Ok(history) => {
                for info in &mut runs {
                    app.store.link_history(info, &history);
                }
            }
            Err(e) => {
                let warning = format!("the history cannot be opened: {e:#}");
                app.ctx.events.warn(warning);
            }
        }
        app.store.prune(None);
        app.store.reserve();
    })
    .await;
}

/// Every hour: the store's retention and size cap.
async fn keep_tidy(app: Arc<App>) {
    loop {
        tokio::time::sleep(Duration::from_secs(3600)).await;
        let app = app.clone();
        let _ = tokio::task::spawn_blocking(move || app.store.prune(None)).await;
    }
}

/// An address the console has no page at: said as its pages say things, with a way back (the
/// browser showed its own "HTTP ERROR 404").
async fn no_such_page() -> axum::response::Response {
    use axum::response::IntoResponse;
    let text = "这个地址不是控制台的页面,可能是旧的书签或复制错了;请从首页进入 (this address is no page of the console: an old bookmark, or a link copied wrong; start from the home page).";
    let page = html::message("没有这个页面 (No such page)", text);
    (axum::http::StatusCode::NOT_FOUND, page).into_response()
}

/// An address a form sends to, opened as a page (a bookmark, a link copied, the address of a
/// form's answer): the page the form is on, where its button is (the browser showed its own
/// "HTTP ERROR 405"). Another method is refused as a page.
async fn not_a_page(method: axum::http::Method, uri: axum::http::Uri) -> axum::response::Response {
    use axum::response::{IntoResponse, Redirect};
    if method == axum::http::Method::GET || method == axum::http::Method::HEAD {
        return Redirect::to(form_page(uri.path())).into_response();
    }
    let text = "这个地址不接受这种请求;请从页面上的按钮操作 (this address does not take that request: use the page's buttons).";
    let page = html::message("不能这样操作 (Not allowed here)", text);
    (axum::http::StatusCode::METHOD_NOT_ALLOWED, page).into_response()
}

/// The page whose form sends to `path`: a run's, a history entry's, the schedule, else home.
fn form_page(path: &str) -> &str {
    let parent = path.rsplit_once('/').map_or("", |(p, _)| p);
    match parent.split('/').nth(1) {
        Some("runs" | "history") if parent.matches('/').count() == 2 => parent,
        Some("schedule") => "/schedule",
        _ => "/",
    }
}

fn router(app: Arc<App>, base: String) -> Router {
    // The whole form: the file at its cap, and room for the form's few small fields. Its
    // parts' headers are held until they end, so they too need a bound.
    let form_cap = usize::try_from(app.max_upload)
        .map_or(usize::MAX, |cap| cap.saturating_add(upload::FORM_ROOM));
    let guarded = Router::new()
        .route("/", get(pages::home::page))
        .route("/runs", get(pages::runs::page))
        .route(
            "/check",
            post(pages::check::upload).layer(DefaultBodyLimit::max(form_cap)),
        )
        .route("/runs/{id}", get(pages::run::page))
        .route("/runs/{id}/events", get(pages::run::events))
        .route("/runs/{id}/stop", post(pages::run::stop))
        .route("/runs/{id}/{file}", get(pages::download::download))
        .route("/runs/{id}/import", post(pages::import::start))
        .route("/runs/{id}/columns", post(pages::columns::apply))
        .route("/runs/{id}/sheet", post(pages::columns::sheet))
        .route("/runs/{id}/kind", post(pages::columns::kind))
        .route("/runs/{id}/plan", post(pages::plan::plan))
        .route("/runs/{id}/sync", post(pages::plan::sync))
        .route("/runs/{id}/times", post(pages::times::start))
        .route("/runs/{id}/delete", post(pages::delete::start))
        .route("/runs/{id}/leave", post(pages::leave::start))
        .route("/runs/{id}/undo", post(pages::undo::apply))
        .route("/template/{kind}", get(pages::template::download))
        .route("/export", post(pages::export::start))
        .route("/departments", get(pages::departments::page))
        .route("/departments/add", post(pages::departments::add))
        .route("/departments/rename", post(pages::departments::rename))
        .route("/history", get(pages::history::page))
        .route("/history/audit", get(pages::history::audit))
        .route("/history/{run}", get(pages::history::run))
        .route("/history/{run}/report", get(pages::history::report))
        .route("/history/{run}/undo", post(pages::undo::plan))
        .route("/schedule", get(pages::schedule::page))
        .route("/schedule/{run}/approve", post(pages::schedule::approve))
        .route("/schedule/{run}/reject", post(pages::schedule::reject))
        .route("/logout", post(pages::login::logout))
        .route_layer(axum::middleware::from_fn_with_state(
            (app.clone(), base),
            pages::login::require_session,
        ));
    let limits = net::Limits::from_env();
    Router::new()
        .merge(guarded)
        .route(
            "/login",
            get(pages::login::page)
                .post(pages::login::login)
                .layer(DefaultBodyLimit::max(pages::login::FORM_MAX)),
        )
        .route("/lang/{to}", get(i18n::switch))
        .route("/static/app.js", get(pages::assets::script))
        .route("/static/app.css", get(pages::assets::style))
        .fallback(no_such_page)
        .method_not_allowed_fallback(not_a_page)
        .layer(tower_http::timeout::RequestBodyTimeoutLayer::new(
            limits.body,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            net::secure_headers,
        ))
        .layer(axum::middleware::from_fn_with_state(
            app.clone(),
            net::guard,
        ))
        // Outermost: every answer, refusals included, in the person's language.
        .layer(axum::middleware::from_fn(i18n::scope))
        .with_state(app)
}
