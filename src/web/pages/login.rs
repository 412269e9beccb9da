//! Signing in and out: the start token (loopback), the login page (`--users`), `/logout`, and
//! the check in front of every other page.

use std::net::SocketAddr;
use std::sync::Arc;

use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use axum::{Extension, Form};
use serde::Deserialize;

use super::Posted;
use crate::web::auth::{Login, Session, COOKIE, LOGIN_COOKIE};
use crate::web::cookies::cookie;
use crate::web::error::AppError;
use crate::web::{html, net, App};

/// Lets a request through with its session. Otherwise: the start token (once) makes one;
/// with users, the login page; without, a 401 that prints a new start address in the
/// terminal where the console runs.
pub async fn require_session(
    State((app, base)): State<(Arc<App>, String)>,
    mut request: Request,
    next: Next,
) -> Response {
    let session = cookie(request.headers(), COOKIE).and_then(|id| app.auth.session(&id));
    if let Some(session) = session {
        request.extensions_mut().insert(session);
        return next.run(request).await;
    }
    if !app.auth.token_mode() {
        return Redirect::to("/login").into_response();
    }
    let given = request.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_string())
    });
    if let (Some(given), &Method::GET) = (given, request.method()) {
        if let Some(id) = app.auth.use_token(&given) {
            return (
                [(header::SET_COOKIE, app.auth.session_cookie(&id))],
                Redirect::to("/"),
            )
                .into_response();
        }
    }
    if let Some(token) = app.auth.reissue() {
        crate::console::say(format!("bgy serve: a new sign-in address (works once, for a few minutes): {base}/?token={token}"));
    }
    (
        StatusCode::UNAUTHORIZED,
        html::message(
            "需要登录 (Sign-in needed)",
            "请打开运行 bgy serve 的终端里打印的最新地址;每个地址只能用一次,几分钟内有效 (open the newest address printed in the terminal where bgy serve runs; each works once, for a few minutes).",
        ),
    )
        .into_response()
}

/// The login form, with a token of its own (set as a cookie too).
pub async fn page(State(app): State<Arc<App>>) -> Response {
    if app.auth.token_mode() {
        return Redirect::to("/").into_response();
    }
    form(&app, StatusCode::OK, None)
}

fn form(app: &App, status: StatusCode, error: Option<String>) -> Response {
    let token = app.auth.login_form();
    (
        status,
        [(header::SET_COOKIE, app.auth.login_cookie(&token))],
        html::render("login.html", minijinja::context! { csrf => token, error }),
    )
        .into_response()
}

#[derive(Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    csrf: String,
    name: String,
    password: String,
}

/// The most a login form may hold: a name, a password and the form's token. axum's 2 MB let a
/// failed login keep a name of megabytes.
pub const FORM_MAX: usize = 16 << 10;

pub async fn login(
    State(app): State<Arc<App>>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Form(f): Form<LoginForm>,
) -> Result<Response, AppError> {
    if app.auth.token_mode() {
        return Ok(Redirect::to("/").into_response());
    }
    // Login CSRF: the form's token, with the cookie set when this browser was shown the form.
    if !app
        .auth
        .login_form_ok(cookie(&headers, LOGIN_COOKIE).as_deref(), &f.csrf)
    {
        return Err(AppError::Forbidden);
    }
    let addr = net::client(&headers, Some(peer), app.trust_proxy);
    Ok(
        match app.auth.login(f.name.trim(), &f.password, addr).await {
            Login::Ok(id) => (
                [(header::SET_COOKIE, app.auth.session_cookie(&id))],
                Redirect::to("/"),
            )
                .into_response(),
            Login::Wrong => form(
                &app,
                StatusCode::UNAUTHORIZED,
                Some("用户名或密码不对 (wrong name or password).".into()),
            ),
            Login::Wait(secs) => {
                let mut answer = form(
                &app,
                StatusCode::TOO_MANY_REQUESTS,
                Some(format!(
                    "登录失败次数太多,请 {secs} 秒后再试 (too many failed sign-ins: try again in {secs} s)."
                )),
            );
                answer
                    .headers_mut()
                    .insert(header::RETRY_AFTER, secs.into());
                answer
            }
        },
    )
}

/// Ends the session here and in the browser.
pub async fn logout(
    State(app): State<Arc<App>>,
    headers: HeaderMap,
    Extension(_): Extension<Session>,
    Posted(super::Nothing {}): Posted<super::Nothing>,
) -> Response {
    if let Some(id) = cookie(&headers, COOKIE) {
        app.auth.end(&id);
    }
    let cleared = [(header::SET_COOKIE, app.auth.cleared_cookie())];
    if app.auth.token_mode() {
        return (
            cleared,
            html::message(
                "已退出 (Signed out)",
                "要再次登录,请打开运行 bgy serve 的终端里打印的新地址 (to sign in again, open the new address printed in the terminal where bgy serve runs).",
            ),
        )
            .into_response();
    }
    (cleared, Redirect::to("/login")).into_response()
}
