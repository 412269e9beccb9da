//! Who may use the console. On a loopback address, whoever opens the address printed at start:
//! its one-time token sets a session cookie (HttpOnly, SameSite=Strict). Elsewhere, the people
//! named in `--users` (`name:argon2-hash` lines), with a login page. Every request without a
//! valid session gets 401 or the login page; every state-changing request also needs the
//! session's CSRF token.

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Mutex};

use anyhow::Context as _;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use axum::extract::{Request, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};

use super::App;
use crate::outcome::Summary;

const COOKIE: &str = "bgy_session";

/// A person's session: who, and the token their forms carry.
#[derive(Clone)]
pub struct Session {
    pub user: String,
    pub csrf: String,
}

pub struct Auth {
    /// The start token (loopback only).
    token: Option<String>,
    users: HashMap<String, String>,
    sessions: Mutex<HashMap<String, Session>>,
}

/// 32 random hex digits.
pub fn random_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

impl Auth {
    pub fn new(loopback: bool, users: Option<&Path>) -> anyhow::Result<Auth> {
        let users = match users {
            Some(path) => read_users(path)?,
            None if loopback => HashMap::new(),
            None => anyhow::bail!(
                "bgy serve listens beyond this computer only with --users FILE (one name:argon2-hash a line; make a hash with bgy serve --hash-password)"
            ),
        };
        Ok(Auth {
            token: users.is_empty().then(random_token),
            users,
            sessions: Mutex::new(HashMap::new()),
        })
    }

    pub fn token(&self) -> Option<&str> {
        self.token.as_deref()
    }

    fn start(&self, user: &str) -> (String, Session) {
        let id = random_token();
        let session = Session {
            user: user.to_string(),
            csrf: random_token(),
        };
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .insert(id.clone(), session.clone());
        (id, session)
    }

    pub fn session(&self, headers: &HeaderMap) -> Option<Session> {
        let id = cookie(headers, COOKIE)?;
        self.sessions
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .get(&id)
            .cloned()
    }

    /// A session for `name` when the password matches its hash.
    pub fn login(&self, name: &str, password: &str) -> Option<String> {
        let hash = self.users.get(name)?;
        let parsed = PasswordHash::new(hash).ok()?;
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .ok()?;
        Some(self.start(name).0)
    }
}

/// The `Set-Cookie` of a new session.
pub fn session_cookie(id: &str) -> String {
    format!("{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/")
}

fn cookie(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|kv| kv.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v.to_string())
}

fn read_users(path: &Path) -> anyhow::Result<HashMap<String, String>> {
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read --users {}", path.display()))?;
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let (name, hash) = line
            .split_once(':')
            .with_context(|| format!("{} line {}: not name:argon2-hash", path.display(), i + 1))?;
        PasswordHash::new(hash.trim()).map_err(|e| {
            anyhow::anyhow!(
                "{} line {}: not an argon2 hash ({e}); make one with bgy serve --hash-password",
                path.display(),
                i + 1
            )
        })?;
        users.insert(name.trim().to_string(), hash.trim().to_string());
    }
    anyhow::ensure!(!users.is_empty(), "{} names nobody", path.display());
    Ok(users)
}

/// `bgy serve --hash-password`: a line for `--users`.
pub fn hash_password_from_stdin() -> anyhow::Result<Summary> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    let hash = Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Summary {
        command: "serve --hash-password",
        output: Some(hash.to_string()),
        ..Summary::default()
    })
}

/// Lets a request through with its session; the start token makes one. Otherwise 401, or the
/// login page when there are users.
pub async fn require_session(
    State(app): State<Arc<App>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some(session) = app.auth.session(request.headers()) {
        request.extensions_mut().insert(session);
        return next.run(request).await;
    }
    let given = request.uri().query().and_then(|q| {
        q.split('&')
            .filter_map(|kv| kv.split_once('='))
            .find(|(k, _)| *k == "token")
            .map(|(_, v)| v.to_string())
    });
    if let (Some(token), Some(given)) = (app.auth.token(), given) {
        if constant_eq(token, &given) {
            let user = std::env::var("USER").unwrap_or_else(|_| "local".into());
            let (id, _) = app.auth.start(&user);
            return (
                [(header::SET_COOKIE, session_cookie(&id))],
                Redirect::to("/"),
            )
                .into_response();
        }
    }
    if app.auth.token().is_none() {
        return Redirect::to("/login").into_response();
    }
    (
        StatusCode::UNAUTHORIZED,
        super::html::plain_page(
            "需要登录 Sign-in needed",
            "请打开 bgy serve 启动时打印的地址 (open the address bgy serve printed when it started).",
        ),
    )
        .into_response()
}

/// Compares without stopping at the first difference.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}
