//! Who may use the console, as what, and for how long.
//!
//! On a loopback address with no `--users`: whoever opens the address printed at start. Its
//! token works once and for a few minutes; a page asked for without a session prints a new
//! one in the terminal. With `--users` (`name:argon2-hash` or `name:role:argon2-hash` lines):
//! a login page, whose form carries a token of its own (login CSRF), with backoff per name and
//! per address after a few failures, and the same work for a name that does not exist as for
//! one that does (no timing tells which names exist). Password hashing runs off the async
//! runtime, a few at a time.
//!
//! A session ends when idle and at an absolute age, and at `/logout`. Its cookie is HttpOnly,
//! SameSite=Strict, and Secure on TLS. Every state-changing request needs the session's CSRF
//! token besides.

use std::collections::HashMap;
use std::net::IpAddr;
use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use serde::Serialize;
use tokio::sync::Semaphore;

use super::throttle::Throttle;
use crate::outcome::Summary;

pub const COOKIE: &str = "bgy_session";
/// The login form's own token, before there is a session.
pub const LOGIN_COOKIE: &str = "bgy_login";

/// What a person may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Counts and statuses: no sheets, no reports, no changes.
    View,
    /// Checks, imports, plans, syncs without deleting, dates, exports: their own runs.
    Run,
    /// Everything: every run, deleting, pruning, undoing, deciding runs that wait.
    Approve,
}

impl Role {
    fn parse(s: &str) -> Option<Role> {
        match s.trim() {
            "view" => Some(Role::View),
            "run" => Some(Role::Run),
            "approve" => Some(Role::Approve),
            _ => None,
        }
    }
}

/// A person's session: who, their role, and the token their forms carry.
#[derive(Clone, Debug)]
pub struct Session {
    pub user: String,
    pub role: Role,
    pub csrf: String,
    created: Instant,
    seen: Instant,
}

impl Session {
    /// May act on (and see the sheets of) a run started by `who`.
    pub fn owns(&self, who: &str) -> bool {
        self.role == Role::Approve || (self.role == Role::Run && self.user == who)
    }
}

/// How long things last. Shortened by environment variables in tests only.
#[derive(Debug, Clone, Copy)]
pub struct Lifetimes {
    /// The start token.
    pub token: Duration,
    /// A session without a request.
    pub idle: Duration,
    /// A session, however busy.
    pub max: Duration,
}

impl Lifetimes {
    pub fn from_env() -> Lifetimes {
        Lifetimes::from_vars(|name| std::env::var(name).ok())
    }

    /// A start token lasts 5 minutes, a session an hour idle and 12 hours at most, unless
    /// `var` gives a variable of seconds.
    fn from_vars(var: impl Fn(&str) -> Option<String>) -> Lifetimes {
        let secs = |name: &str, default: u64| {
            Duration::from_secs(var(name).and_then(|v| v.parse().ok()).unwrap_or(default))
        };
        Lifetimes {
            token: secs("BGY_TOKEN_SECS", 5 * 60),
            idle: secs("BGY_SESSION_IDLE_SECS", 60 * 60),
            max: secs("BGY_SESSION_MAX_SECS", 12 * 60 * 60),
        }
    }
}

struct User {
    hash: String,
    role: Role,
}

struct Token {
    value: String,
    until: Instant,
}

pub struct Auth {
    /// Token mode (loopback, no users): the current start token, if one is valid.
    token: Option<Mutex<Option<Token>>>,
    /// When a new start token was last printed.
    reissued: Mutex<Option<Instant>>,
    users: HashMap<String, User>,
    /// What an unknown name is checked against, so it costs what a known one does.
    dummy: String,
    sessions: Mutex<HashMap<String, Session>>,
    /// What signs the login forms' tokens.
    forms: Forms,
    throttle: Throttle,
    /// Password checks at once (each is ~20 ms of a core).
    hashing: Arc<Semaphore>,
    pub lifetimes: Lifetimes,
    /// The console is reached over TLS: cookies are Secure.
    pub secure: bool,
    /// Who signs in with the start token: the person who started the console.
    local: String,
}

/// How long a login form's token is good for.
const LOGIN_FORM_SECS: u64 = 600;

/// The login forms' tokens, signed rather than kept: each is a random nonce and the second
/// (from the console's start) it expires at, with their tag under a key drawn at the start
/// (SipHash-2-4, 128 bits: a MAC for short messages). Kept in a map, each form shown was held
/// for ten minutes, and the map was emptied at 10,000: that many GETs of `/login` made every
/// open login form fail once.
struct Forms {
    key: [u8; 16],
    born: Instant,
}

impl Forms {
    fn new() -> Forms {
        Forms {
            key: rand::random(),
            born: Instant::now(),
        }
    }

    /// Seconds since the console started.
    fn now(&self) -> u64 {
        self.born.elapsed().as_secs()
    }

    /// The tag of a nonce and an expiry, as hex.
    fn tag(&self, nonce: &str, until: &str) -> String {
        use siphasher::sip128::{Hasher128, SipHasher24};
        use std::hash::Hasher;
        let mut h = SipHasher24::new_with_key(&self.key);
        h.write(nonce.as_bytes());
        h.write(until.as_bytes());
        format!("{:032x}", h.finish128().as_u128())
    }

    /// A token good until second `until`: 32 hex digits of nonce, 16 of expiry, 32 of tag.
    fn token(&self, until: u64) -> String {
        let (nonce, until) = (random_token(), format!("{until:016x}"));
        let tag = self.tag(&nonce, &until);
        format!("{nonce}{until}{tag}")
    }

    /// A token this console made, not yet expired.
    fn good(&self, token: &str) -> bool {
        let (Some(nonce), Some(until), Some(tag)) =
            (token.get(..32), token.get(32..48), token.get(48..))
        else {
            return false;
        };
        constant_eq(tag, &self.tag(nonce, until))
            && u64::from_str_radix(until, 16).is_ok_and(|u| u > self.now())
    }
}

/// 32 random hex digits.
pub fn random_token() -> String {
    let bytes: [u8; 16] = rand::random();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What a login attempt came to.
pub enum Login {
    /// A new session, by its cookie value.
    Ok(String),
    Wrong,
    /// Too many failures: try again in this many seconds (nothing was checked).
    Wait(u64),
}

impl Auth {
    /// `loopback`: the console listens on a loopback address (token mode without `--users`).
    pub fn new(
        loopback: bool,
        users: Option<&Path>,
        lifetimes: Lifetimes,
        secure: bool,
        local: &str,
    ) -> anyhow::Result<Auth> {
        let users = match users {
            Some(path) => read_users(path)?,
            None if loopback => HashMap::new(),
            None => anyhow::bail!(
                "bgy serve 在本机以外的地址上要用 --users FILE:每行 name:role:argon2-hash,role 为 view、run 或 approve,哈希用 bgy serve --hash-password 生成 (beyond this computer bgy serve needs --users FILE: name:role:argon2-hash a line, role view, run or approve; bgy serve --hash-password makes a hash)"
            ),
        };
        let dummy = hash(&random_token())?;
        let token = users.is_empty().then(|| {
            Mutex::new(Some(Token {
                value: random_token(),
                until: Instant::now() + lifetimes.token,
            }))
        });
        Ok(Auth {
            token,
            reissued: Mutex::new(None),
            users,
            dummy,
            sessions: Mutex::default(),
            forms: Forms::new(),
            throttle: Throttle::default(),
            hashing: Arc::new(Semaphore::new(2)),
            lifetimes,
            secure,
            local: local.to_string(),
        })
    }

    /// Token mode: no users, the printed address signs in.
    pub fn token_mode(&self) -> bool {
        self.token.is_some()
    }

    /// The start token, while it is valid and unused.
    pub fn token(&self) -> Option<String> {
        let slot = self
            .token
            .as_ref()?
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        slot.as_ref()
            .filter(|t| t.until > Instant::now())
            .map(|t| t.value.clone())
    }

    /// Signs in with the start token: it works once, and only before it expires.
    pub fn use_token(&self, given: &str) -> Option<String> {
        let mut slot = self
            .token
            .as_ref()?
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let valid = slot
            .as_ref()
            .is_some_and(|t| t.until > Instant::now() && constant_eq(&t.value, given));
        if !valid {
            return None;
        }
        *slot = None;
        drop(slot);
        Some(self.start(&self.local.clone(), Role::Approve))
    }

    /// A new start token, when none is valid and none was made in the last 30 seconds (a page
    /// asked for without a session makes one, printed where the console was started).
    pub fn reissue(&self) -> Option<String> {
        let slot = self.token.as_ref()?;
        let mut last = self.reissued.lock().unwrap_or_else(|e| e.into_inner());
        if last.is_some_and(|at| at.elapsed() < Duration::from_secs(30)) {
            return None;
        }
        let mut slot = slot.lock().unwrap_or_else(|e| e.into_inner());
        if slot.as_ref().is_some_and(|t| t.until > Instant::now()) {
            return None;
        }
        let value = random_token();
        *slot = Some(Token {
            value: value.clone(),
            until: Instant::now() + self.lifetimes.token,
        });
        *last = Some(Instant::now());
        Some(value)
    }

    fn sessions(&self) -> std::sync::MutexGuard<'_, HashMap<String, Session>> {
        self.sessions.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn start(&self, user: &str, role: Role) -> String {
        let id = random_token();
        let now = Instant::now();
        let session = Session {
            user: user.to_string(),
            role,
            csrf: random_token(),
            created: now,
            seen: now,
        };
        let mut sessions = self.sessions();
        let (idle, max) = (self.lifetimes.idle, self.lifetimes.max);
        sessions.retain(|_, s| s.seen.elapsed() < idle && s.created.elapsed() < max);
        sessions.insert(id.clone(), session);
        id
    }

    /// The session of a cookie, while it is neither idle too long nor too old; the request
    /// counts as activity.
    pub fn session(&self, cookie_value: &str) -> Option<Session> {
        let mut sessions = self.sessions();
        let s = sessions.get_mut(cookie_value)?;
        if s.seen.elapsed() >= self.lifetimes.idle || s.created.elapsed() >= self.lifetimes.max {
            sessions.remove(cookie_value);
            return None;
        }
        s.seen = Instant::now();
        Some(s.clone())
    }

    /// Ends a session (`/logout`).
    pub fn end(&self, cookie_value: &str) {
        self.sessions().remove(cookie_value);
    }

    /// A token for one login form, valid for ten minutes.
    pub fn login_form(&self) -> String {
        self.forms.token(self.forms.now() + LOGIN_FORM_SECS)
    }

    /// The login form's token came back, with the cookie set when the form was shown.
    pub fn login_form_ok(&self, cookie: Option<&str>, field: &str) -> bool {
        let Some(cookie) = cookie else {
            return false;
        };
        constant_eq(cookie, field) && self.forms.good(field)
    }

    /// A login by `name` with `password` from `addr`.
    pub async fn login(&self, name: &str, password: &str, addr: IpAddr) -> Login {
        if let Some(wait) = self.throttle.wait(name, addr) {
            return Login::Wait(wait.as_secs().max(1));
        }
        let (hash, role) = match self.users.get(name) {
            Some(u) => (u.hash.clone(), Some(u.role)),
            // The same work for a name that does not exist.
            None => (self.dummy.clone(), None),
        };
        let Ok(_permit) = self.hashing.clone().acquire_owned().await else {
            return Login::Wrong;
        };
        let password = password.to_string();
        let matches = tokio::task::spawn_blocking(move || {
            PasswordHash::new(&hash).is_ok_and(|parsed| {
                Argon2::default()
                    .verify_password(password.as_bytes(), &parsed)
                    .is_ok()
            })
        })
        .await
        .unwrap_or(false);
        match (matches, role) {
            (true, Some(role)) => {
                self.throttle.forget(name, addr);
                Login::Ok(self.start(name, role))
            }
            _ => {
                self.throttle.failed(name, addr);
                Login::Wrong
            }
        }
    }

    /// The `Set-Cookie` of a new session.
    pub fn session_cookie(&self, id: &str) -> String {
        format!(
            "{COOKIE}={id}; HttpOnly; SameSite=Strict; Path=/{}",
            self.secure_flag()
        )
    }

    /// The `Set-Cookie` of a login form's token.
    pub fn login_cookie(&self, value: &str) -> String {
        format!(
            "{LOGIN_COOKIE}={value}; HttpOnly; SameSite=Strict; Path=/login; Max-Age=600{}",
            self.secure_flag()
        )
    }

    /// The `Set-Cookie` that ends a session in the browser.
    pub fn cleared_cookie(&self) -> String {
        format!(
            "{COOKIE}=; HttpOnly; SameSite=Strict; Path=/; Max-Age=0{}",
            self.secure_flag()
        )
    }

    fn secure_flag(&self) -> &'static str {
        if self.secure {
            "; Secure"
        } else {
            ""
        }
    }
}

fn read_users(path: &Path) -> anyhow::Result<HashMap<String, User>> {
    let text = std::fs::read_to_string(path).map_err(|error| {
        let path = path.display().to_string();
        anyhow::Error::new(crate::read::ReadError::Io { path, error }).context("--users")
    })?;
    let mut users = HashMap::new();
    for (i, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let at = || format!("{} 第 {} 行 (line {})", path.display(), i + 1, i + 1);
        let parts: Vec<&str> = line.split(':').collect();
        let (name, role, hash) = match parts.as_slice() {
            [name, hash] => (*name, Role::Approve, *hash),
            [name, role, hash] => (
                *name,
                Role::parse(role).with_context(|| {
                    format!("{}: 角色 {role:?} 应为 view、run 或 approve (role {role:?} is not view, run or approve)", at())
                })?,
                *hash,
            ),
            _ => anyhow::bail!(
                "{}: 应为 名字:argon2 哈希 或 名字:角色:argon2 哈希 (not name:argon2-hash or name:role:argon2-hash)",
                at()
            ),
        };
        PasswordHash::new(hash.trim()).map_err(|e| {
            anyhow::anyhow!(
                "{}: 不是 argon2 哈希,用 bgy serve --hash-password 生成 (not an argon2 hash ({e}); make one with bgy serve --hash-password)",
                at()
            )
        })?;
        users.insert(
            name.trim().to_string(),
            User {
                hash: hash.trim().to_string(),
                role,
            },
        );
    }
    anyhow::ensure!(!users.is_empty(), "{} names nobody", path.display());
    Ok(users)
}

fn hash(password: &str) -> anyhow::Result<String> {
    let salt_bytes: [u8; 16] = rand::random();
    let salt = SaltString::encode_b64(&salt_bytes).map_err(|e| anyhow::anyhow!("{e}"))?;
    Ok(Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map_err(|e| anyhow::anyhow!("{e}"))?
        .to_string())
}

/// `bgy serve --hash-password`: a line for `--users`.
pub fn hash_password_from_stdin() -> anyhow::Result<Summary> {
    let mut password = String::new();
    std::io::stdin().read_line(&mut password)?;
    let password = password.trim_end_matches(['\n', '\r']);
    anyhow::ensure!(!password.is_empty(), "no password on stdin");
    Ok(Summary {
        command: "serve --hash-password",
        detail: crate::outcome::Detail::Hash {
            output: hash(password)?,
        },
        ..Summary::default()
    })
}

/// Compares without stopping at the first difference.
pub fn constant_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |d, (x, y)| d | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_users_file_skips_comments_and_blank_lines_and_names_a_bad_line() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("users.txt");
        let pw = hash("pw").unwrap();
        let read = |text: String| {
            std::fs::write(&path, text).unwrap();
            let users = read_users(&path).map_err(|e| format!("{e:#}"))?;
            Ok::<HashMap<String, Role>, String>(
                users.into_iter().map(|(name, u)| (name, u.role)).collect(),
            )
        };
        let users = read(format!(
            "# HR's console\n\n  \nboss:{pw}\n viewer : view :{pw}\nrunner:run:{pw}\nit:approve:{pw}\n"
        ))
        .unwrap();
        let role = |name: &str| users.get(name).copied();
        assert_eq!(role("boss"), Some(Role::Approve), "no role: approve");
        assert_eq!(role("viewer"), Some(Role::View));
        assert_eq!(role("runner"), Some(Role::Run));
        assert_eq!(role("it"), Some(Role::Approve), "approve, spelled out");
        assert_eq!(users.len(), 4);
        let e = read(format!("boss:{pw}\nann:admin:{pw}\n")).unwrap_err();
        assert!(
            e.contains("第 2 行 (line 2)") && e.contains("\"admin\""),
            "{e}"
        );
        let e = read("ann:secret\n".into()).unwrap_err();
        assert!(e.contains("line 1") && e.contains("--hash-password"), "{e}");
        let e = read("# nobody yet\n".into()).unwrap_err();
        assert!(e.contains("names nobody"), "{e}");
    }

    #[test]
    fn a_token_lasts_five_minutes_a_session_an_hour_idle_and_twelve_at_most() {
        let minutes = |d: Duration| d.as_secs() / 60;
        let standard = Lifetimes::from_vars(|_| None);
        assert_eq!(minutes(standard.token), 5);
        assert_eq!(minutes(standard.idle), 60);
        assert_eq!(minutes(standard.max), 12 * 60);
        let shortened =
            Lifetimes::from_vars(|name| (name == "BGY_SESSION_IDLE_SECS").then(|| "2".to_string()));
        assert_eq!(shortened.idle, Duration::from_secs(2));
        assert_eq!(shortened.token, standard.token);
    }

    #[test]
    fn tokens_are_equal_only_byte_for_byte() {
        assert!(constant_eq("5f0a", "5f0a"));
        assert!(constant_eq("", ""));
        assert!(!constant_eq("5f0a", "5f0b"), "one byte");
        assert!(!constant_eq("ab", "ba"), "differences that cancel out");
        assert!(!constant_eq("5f0a", "5f0a0"), "a longer one");
    }

    #[test]
    fn a_login_form_needs_its_own_token_in_both_its_cookie_and_its_field() {
        let auth = Auth::new(true, None, Lifetimes::from_env(), false, "hr").unwrap();
        let first = auth.login_form();
        let second = auth.login_form();
        assert!(
            auth.login_form_ok(Some(&first), &first),
            "still good after another"
        );
        assert!(auth.login_form_ok(Some(&second), &second));
        assert!(!auth.login_form_ok(None, &first), "no cookie");
        assert!(
            !auth.login_form_ok(Some(&second), &first),
            "another form's cookie"
        );
        let forged = random_token();
        assert!(
            !auth.login_form_ok(Some(&forged), &forged),
            "a token the console never gave"
        );
        // Its expiry put later, its tag kept.
        let later = format!("{}{:016x}{}", &first[..32], u64::MAX, &first[48..]);
        assert!(
            !auth.login_form_ok(Some(&later), &later),
            "an expiry changed"
        );
    }

    #[test]
    fn a_login_form_stays_good_however_many_are_shown_and_not_past_its_expiry() {
        let auth = Auth::new(true, None, Lifetimes::from_env(), false, "hr").unwrap();
        let first = auth.login_form();
        for _ in 0..10_000 {
            auth.login_form();
        }
        assert!(auth.login_form_ok(Some(&first), &first));
        // One that expires at this second is no longer good: only one of a later one is.
        let now = auth.forms.now();
        let (ended, good) = (auth.forms.token(now), auth.forms.token(now + 2));
        assert!(!auth.login_form_ok(Some(&ended), &ended));
        assert!(auth.login_form_ok(Some(&good), &good));
        // The seconds are counted from the console's start: 3 s or more after it, a form good
        // until the second it is now has expired.
        let forms = Forms {
            key: rand::random(),
            born: Instant::now() - Duration::from_secs(3),
        };
        let now = forms.now();
        assert!(now >= 3, "{now}");
        assert!(!forms.good(&forms.token(now)), "expired at its second");
        assert!(forms.good(&forms.token(now + 2)));
    }

    #[test]
    fn a_start_token_works_once_and_not_after_it_expires() {
        let lifetimes = Lifetimes {
            token: Duration::from_millis(300),
            idle: Duration::from_secs(60),
            max: Duration::from_secs(60),
        };
        let auth = Auth::new(true, None, lifetimes, false, "hr").unwrap();
        let token = auth.token().unwrap();
        assert!(auth.reissue().is_none(), "none while the first is good");
        assert!(auth.use_token("0000").is_none());
        let id = auth.use_token(&token).expect("the first use");
        assert!(auth.session(&id).is_some());
        assert!(auth.use_token(&token).is_none(), "used up");
        assert!(auth.reissue().is_some(), "a new one is printed");
        assert!(auth.reissue().is_none(), "not again within 30 s");
        std::thread::sleep(Duration::from_millis(400));
        assert!(auth.token().is_none(), "expired");
        let expired = auth
            .token
            .as_ref()
            .unwrap()
            .lock()
            .unwrap()
            .as_ref()
            .unwrap()
            .value
            .clone();
        assert!(auth.use_token(&expired).is_none());
        // Expired, but the last was printed under 30 s ago: no new one yet.
        assert!(auth.reissue().is_none(), "not within 30 s of the last");
    }
}
