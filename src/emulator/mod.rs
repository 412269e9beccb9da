//! The emulator: the seven endpoints of the reference over HTTP (axum), backed by SQLite.
//!
//! In: HTTP requests with a ticket in the query string, form or JSON bodies. Out: the
//! reference's envelopes, numbers as strings. Faults on demand: latency, HTTP 500 before a
//! request is applied, and a dropped connection after it was applied (a lost response).

pub mod store;

use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

use axum::body::{Body, Bytes};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, Method, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::any;
use axum::Router;
use serde_json::{json, Map, Value};

pub use store::{Refusal, Seed, Store};

/// The seed of a new `--emulator` state: a few dozen departments, a few hundred people.
pub const SAMPLE_ORG: &str = include_str!("../../samples/org.json");

/// The ticket the emulator accepts unless told otherwise.
pub const DEFAULT_TICKET: &str = "emulator-ticket";
/// The errno the emulator answers to a wrong ticket (the reference names none).
pub const BAD_TICKET_ERRNO: i64 = 1201;

#[derive(Debug, Clone)]
pub struct Options {
    pub ticket: String,
    pub latency: Duration,
    /// Share of requests that fail: half with HTTP 500 before being applied, half applied and
    /// then the connection dropped. The same request (path, query and body) never fails more
    /// than [`MAX_FAILURE_STREAK`] times in a row, so a client that retries gets through.
    pub fail_rate: f64,
    /// How long a change's answer is held after the change was applied (tests: a client
    /// killed between the server applying its call and hearing the answer).
    pub hold: Duration,
}

impl Default for Options {
    fn default() -> Options {
        Options {
            ticket: DEFAULT_TICKET.into(),
            latency: Duration::ZERO,
            fail_rate: 0.0,
            hold: Duration::ZERO,
        }
    }
}

/// Injected failures in a row for one request at most.
pub const MAX_FAILURE_STREAK: u32 = 2;

/// Requests per endpoint that passed the ticket check, and how many were applied.
#[derive(Debug, Default)]
pub struct Stats {
    calls: std::sync::Mutex<HashMap<String, u64>>,
    pub injected_failures: AtomicU64,
    /// Failures in a row by request fingerprint.
    streaks: std::sync::Mutex<HashMap<u64, u32>>,
}

impl Stats {
    fn count(&self, path: &str) {
        let mut calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        *calls.entry(path.to_string()).or_default() += 1;
    }

    /// Requests that reached `path` (e.g. `staff/add`), faults included.
    pub fn calls(&self, path: &str) -> u64 {
        let calls = self.calls.lock().unwrap_or_else(|e| e.into_inner());
        calls.get(path).copied().unwrap_or(0)
    }

    /// Whether to fail this request now: with probability `p`, but never more than
    /// [`MAX_FAILURE_STREAK`] times in a row for the same fingerprint.
    fn inject(&self, fingerprint: u64, p: f64) -> bool {
        let mut streaks = self.streaks.lock().unwrap_or_else(|e| e.into_inner());
        let streak = streaks.entry(fingerprint).or_default();
        if *streak < MAX_FAILURE_STREAK && rand::random::<f64>() < p {
            *streak += 1;
            self.injected_failures.fetch_add(1, Ordering::Relaxed);
            true
        } else {
            streaks.remove(&fingerprint);
            false
        }
    }

    pub fn reset(&self) {
        self.calls.lock().unwrap_or_else(|e| e.into_inner()).clear();
    }
}

#[derive(Clone)]
struct App {
    store: Arc<Store>,
    stats: Arc<Stats>,
    options: Arc<std::sync::RwLock<Options>>,
}

/// A running emulator: its address, its store and its counters.
pub struct Running {
    pub addr: SocketAddr,
    pub store: Arc<Store>,
    pub stats: Arc<Stats>,
    options: Arc<std::sync::RwLock<Options>>,
    task: tokio::task::JoinHandle<()>,
}

impl Running {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Change the faults while running (tests: fail only during one phase).
    pub fn set_fail_rate(&self, p: f64) {
        self.options
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .fail_rate = p;
    }

    pub fn set_latency(&self, latency: Duration) {
        self.options
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .latency = latency;
    }

    /// See [`Options::hold`].
    pub fn set_hold(&self, hold: Duration) {
        self.options.write().unwrap_or_else(|e| e.into_inner()).hold = hold;
    }
}

impl Drop for Running {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Opens the state file (its folder made when missing); a new, empty one is seeded from
/// `seed`, or from the built-in sample organisation. A seed given for a state that holds
/// data already is not used, and `events` hears so.
pub fn open_store(
    state: &Path,
    seed: Option<&Path>,
    events: &dyn crate::events::Observer,
) -> anyhow::Result<Store> {
    use crate::events::Emit;
    use crate::text::Unwritten;
    use anyhow::Context;
    if let Some(dir) = state.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).cannot_make_folder(dir)?;
    }
    let store = Store::open(state).unwritten(|| {
        let state = state.display();
        (
            format!("无法打开模拟器的状态文件 {state}({{why}})"),
            format!("cannot open the emulator state {state}"),
        )
    })?;
    if !store.is_empty() {
        if let Some(seed) = seed {
            let (seed, state) = (seed.display(), state.display());
            events.warn(format!(
                "--seed {seed} 没有用上:状态文件 {state} 已有数据;删掉它或换一个 --state 才会从种子开始 (--seed {seed} not used: the state {state} holds data already; delete it, or give another --state, to start from the seed)"
            ));
        }
        return Ok(store);
    }
    let seed: Seed = match seed {
        Some(seed) => {
            let text =
                std::fs::read_to_string(seed).map_err(|error| crate::read::ReadError::Io {
                    path: seed.display().to_string(),
                    error,
                })?;
            serde_json::from_str(&text).with_context(|| {
                let seed = seed.display();
                format!("种子 {seed} 不是有效的组织文件 (the seed {seed} is not a valid org file)")
            })?
        }
        None => serde_json::from_str(SAMPLE_ORG)
            .context("the built-in samples/org.json is not valid")?,
    };
    store.seed(&seed).map_err(|r| {
        anyhow::anyhow!(
            "种子被拒绝 (the seed was refused): errno {}: {}",
            r.errno,
            r.message
        )
    })?;
    // A run that only reads (an export) may end before the connection is closed: the seed
    // would stay in the log beside a state file of 4 KB.
    store.checkpoint().cannot_write(state)?;
    Ok(store)
}

/// Serves `store` on `listener` until the task is dropped.
pub async fn start(
    listener: tokio::net::TcpListener,
    store: Store,
    options: Options,
) -> std::io::Result<Running> {
    let addr = listener.local_addr()?;
    let store = Arc::new(store);
    let stats = Arc::new(Stats::default());
    let options = Arc::new(std::sync::RwLock::new(options));
    let app = App {
        store: store.clone(),
        stats: stats.clone(),
        options: options.clone(),
    };
    let router = Router::new()
        .route("/address/api/{group}/{action}", any(handle))
        .with_state(app);
    let task = tokio::spawn(async move {
        let _ = axum::serve(listener, router).await;
    });
    Ok(Running {
        addr,
        store,
        stats,
        options,
        task,
    })
}

/// Binds a free loopback port and serves `store` there.
pub async fn start_local(store: Store, options: Options) -> std::io::Result<Running> {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
    start(listener, store, options).await
}

fn envelope(errno: i64, errmsg: &str, data: Option<Value>) -> Response {
    let mut body = json!({ "errno": errno, "errmsg": errmsg });
    if let Some(data) = data {
        body["data"] = data;
    }
    (StatusCode::OK, axum::Json(body)).into_response()
}

/// A success whose `data` is JSON text already (a page of the listing, perhaps cached).
fn data_envelope(data: &str) -> Response {
    let body = format!(r#"{{"errno":0,"errmsg":"ok","data":{data}}}"#);
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

fn refused(r: Refusal) -> Response {
    envelope(r.errno, &r.message, None)
}

/// A POST body: its scalar fields, its array items (`we_userids`), and the JSON itself.
struct Fields {
    form: HashMap<String, String>,
    list: Vec<String>,
    json: Value,
}

/// The fields of a POST body, form-encoded or JSON.
fn body_fields(headers: &HeaderMap, body: &[u8]) -> Result<Fields, Refusal> {
    let is_json = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("json"));
    let mut fields = HashMap::new();
    let mut list = Vec::new();
    if is_json {
        let value: Value = serde_json::from_slice(body).map_err(|_| Refusal {
            errno: 1211,
            message: "参数错误: 请求体不是 JSON".into(),
        })?;
        if let Some(obj) = value.as_object() {
            for (k, v) in obj {
                match v {
                    Value::Array(items) => list.extend(items.iter().map(text)),
                    other => {
                        fields.insert(k.clone(), text(other));
                    }
                }
            }
        }
        return Ok(Fields {
            form: fields,
            list,
            json: value,
        });
    }
    for (k, v) in form_urlencoded::parse(body) {
        // `we_userids[]=a&we_userids[]=b` and `we_userids[0]=a` are arrays.
        if k.ends_with(']') {
            list.push(v.into_owned());
        } else {
            fields.insert(k.into_owned(), v.into_owned());
        }
    }
    Ok(Fields {
        form: fields,
        list,
        json: Value::Null,
    })
}

fn text(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

/// Waits `d`, to a fraction of a millisecond. tokio's timer rounds every sleep up to its next
/// 1 ms tick (a 20 ms sleep lasts ~21.1 ms here), which would make `--latency-ms 20` a 21 ms
/// server; a parked blocking-pool thread wakes within tens of microseconds.
async fn delay(d: Duration) {
    let _ = tokio::task::spawn_blocking(move || std::thread::sleep(d)).await;
}

/// The same request (path, query and body) hashes the same, to count its failures in a row.
fn fingerprint(path: &str, query: &HashMap<String, String>, body: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    path.hash(&mut h);
    let mut q: Vec<_> = query.iter().collect();
    q.sort();
    q.hash(&mut h);
    body.hash(&mut h);
    h.finish()
}

async fn handle(
    State(app): State<App>,
    UrlPath((group, action)): UrlPath<(String, String)>,
    method: Method,
    Query(query): Query<HashMap<String, String>>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = format!("{group}/{action}");
    let options = app
        .options
        .read()
        .unwrap_or_else(|e| e.into_inner())
        .clone();
    if !options.latency.is_zero() {
        delay(options.latency).await;
    }
    if query.get("ticket").map(String::as_str) != Some(options.ticket.as_str()) {
        return envelope(BAD_TICKET_ERRNO, "ticket 无效或已过期", None);
    }
    let expected = match path.as_str() {
        "department/list" | "staff/list" => Method::GET,
        "department/createdepartment"
        | "department/editdepartment"
        | "staff/add"
        | "staff/delete"
        | "staff/entry-time" => Method::POST,
        _ => return (StatusCode::NOT_FOUND, "no such endpoint").into_response(),
    };
    if method != expected {
        return (StatusCode::METHOD_NOT_ALLOWED, "method not allowed").into_response();
    }
    app.stats.count(&path);
    // Faults: half before applying (HTTP 500), half after (the answer is lost on the wire).
    let mut drop_answer = false;
    if options.fail_rate > 0.0
        && app
            .stats
            .inject(fingerprint(&path, &query, &body), options.fail_rate)
    {
        if rand::random::<bool>() {
            return (StatusCode::INTERNAL_SERVER_ERROR, "injected failure").into_response();
        }
        drop_answer = true;
    }
    let store = app.store.clone();
    let answer =
        tokio::task::spawn_blocking(move || dispatch(&store, &path, &query, &headers, &body))
            .await
            .unwrap_or_else(|_| envelope(1210, "保存失败: internal error", None));
    if method == Method::POST && !options.hold.is_zero() {
        tokio::time::sleep(options.hold).await;
    }
    if drop_answer {
        let failing = futures::stream::once(async {
            Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
        });
        return Response::builder()
            .status(StatusCode::OK)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from_stream(failing))
            .unwrap_or_else(|_| StatusCode::INTERNAL_SERVER_ERROR.into_response());
    }
    answer
}

fn page_of(query: &HashMap<String, String>) -> i64 {
    query
        .get("page")
        .and_then(|p| p.trim().parse().ok())
        .unwrap_or(1)
}

fn dispatch(
    store: &Store,
    path: &str,
    query: &HashMap<String, String>,
    headers: &HeaderMap,
    body: &[u8],
) -> Response {
    let fields = match path {
        "department/list" | "staff/list" => Fields {
            form: HashMap::new(),
            list: Vec::new(),
            json: Value::Null,
        },
        _ => match body_fields(headers, body) {
            Ok(f) => f,
            Err(r) => return refused(r),
        },
    };
    if path == "staff/list" {
        return match staff_list(store, query) {
            Ok(data) => data_envelope(&data),
            Err(r) => refused(r),
        };
    }
    match route(store, path, query, fields) {
        Ok(data) => {
            let msg = if path == "staff/add" {
                "保存成功"
            } else {
                "ok"
            };
            envelope(0, msg, data)
        }
        Err(r) => refused(r),
    }
}

/// The endpoints but `staff/list` (see [`dispatch`]): what each answers in `data`.
fn route(
    store: &Store,
    path: &str,
    query: &HashMap<String, String>,
    fields: Fields,
) -> Result<Option<Value>, Refusal> {
    let Fields { form, list, json } = fields;
    match path {
        "department/list" => store.department_page(page_of(query)).map(|(count, list)| {
            Some(json!({ "count": count.to_string(), "department_list": list }))
        }),
        "department/createdepartment" => match number(&form, "we_parentid") {
            Some(parent) => store
                .create_department(form.get("we_name").map_or("", String::as_str), parent)
                .map(|_| None),
            None => refuse_1205(),
        },
        "department/editdepartment" => match number(&form, "we_id") {
            Some(we_id) => store
                .edit_department(we_id, form.get("we_name").map_or("", String::as_str))
                .map(|_| None),
            None => refuse_1205(),
        },
        "staff/add" => store.add_staff(&form).map(|id| Some(json!({ "id": id }))),
        "staff/delete" => {
            let mut accounts = list;
            if let Some(s) = form.get("we_userids") {
                accounts.extend(s.split(',').map(|a| a.trim().to_string()));
            }
            store.delete_staff(&accounts).map(|_| None)
        }
        "staff/entry-time" => entry_time(store, &json),
        _ => Err(Refusal {
            errno: 1211,
            message: "参数错误".into(),
        }),
    }
}

fn number(form: &HashMap<String, String>, key: &str) -> Option<i64> {
    form.get(key).and_then(|v| v.trim().parse().ok())
}

fn refuse_1205() -> Result<Option<Value>, Refusal> {
    Err(Refusal {
        errno: 1205,
        message: "部门不存在".into(),
    })
}

fn staff_list(store: &Store, query: &HashMap<String, String>) -> Result<Arc<str>, Refusal> {
    let we_id = query
        .get("we_id")
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    let fetch_child = query.get("fetch_child").is_some_and(|v| v.trim() == "1");
    store.staff_page(we_id, fetch_child, page_of(query))
}

fn entry_time(store: &Store, body: &Value) -> Result<Option<Value>, Refusal> {
    let rows: Option<Vec<Map<String, Value>>> = body
        .get("data")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(|v| v.as_object().cloned()).collect());
    let Some(rows) = rows.filter(|r| !r.is_empty()) else {
        return Err(Refusal {
            errno: 1211,
            message: "参数错误: data 为空".into(),
        });
    };
    store.entry_time(&rows).map(|failures| {
        (!failures.is_empty()).then(|| {
            Value::Array(
                failures
                    .into_iter()
                    .map(|(we_userid, msg)| json!({ "we_userid": we_userid, "msg": msg }))
                    .collect(),
            )
        })
    })
}
