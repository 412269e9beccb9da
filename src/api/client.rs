//! The HTTP client: one place for concurrency, rate, retries, fatal detection and redaction.
//!
//! In: typed requests for the seven endpoints. Out: typed replies or an [`ApiError`] that never
//! contains the ticket. It never decides what a row's outcome is; callers do.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::de::DeserializeOwned;
use tokio::sync::{OwnedSemaphorePermit, Semaphore};

use super::error::{redact, ApiError, Endpoint, Ticket, MAX_RETRY_AFTER_SECS};
use super::types::*;
use crate::text::{cut_bytes, cut_chars, MESSAGE_BYTES};

/// Records a page of `department/list` and `staff/list` holds.
pub const PAGE_SIZE: usize = 1000;
/// `staff/entry-time` takes at most this many rows a call.
pub const TIMES_CHUNK: usize = 50;
/// `staff/delete` takes at most this many accounts a call.
pub const DELETE_CHUNK: usize = 200;
/// A listing stops here even if the server's `count` says there is more (it is then
/// incomplete): no directory bgy serves is this large, and a server that pages forever must
/// not exhaust memory.
pub const MAX_LISTED: usize = 2_000_000;

#[derive(Debug, Clone)]
pub struct ClientOptions {
    pub base_url: reqwest::Url,
    pub ticket: Ticket,
    pub concurrency: usize,
    /// Requests a second; 0 = unlimited.
    pub rate: f64,
    pub timeout: Duration,
    pub tries: u32,
    /// First backoff; doubles each try, with jitter.
    pub backoff: Duration,
}

impl ClientOptions {
    pub fn new(base_url: reqwest::Url, ticket: Ticket) -> ClientOptions {
        ClientOptions {
            base_url,
            ticket,
            concurrency: 8,
            rate: 0.0,
            timeout: Duration::from_secs(30),
            tries: 5,
            backoff: Duration::from_millis(200),
        }
    }
}

/// How a request may be retried after a response that was lost.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Retry {
    /// Reads and idempotent writes: retry anything transient.
    Always,
    /// Writes whose double effect the server reports (1204, 1213): retry, and tell the caller.
    Reported,
    /// Writes that could double (department create): a lost response is returned as
    /// [`ApiError::Ambiguous`] so the caller checks the server before trying again.
    Never,
}

enum Body {
    None,
    Form(Vec<(String, String)>),
    Json(serde_json::Value),
}

/// An answer with errno 0 or a documented row-level errno.
#[derive(Debug)]
pub struct Reply<T> {
    pub errno: i64,
    pub errmsg: String,
    pub data: Option<T>,
    /// An earlier try of this request may have been applied (its response was lost).
    pub after_lost_response: bool,
}

impl<T> Reply<T> {
    pub fn into_result(self, endpoint: Endpoint) -> Result<Option<T>, ApiError> {
        if self.errno == 0 {
            Ok(self.data)
        } else {
            Err(ApiError::Errno {
                endpoint,
                errno: self.errno,
                message: self.errmsg,
            })
        }
    }
}

/// All records of a paged listing, and the `count` the server announced.
#[derive(Debug, Clone)]
pub struct Listing<T> {
    pub items: Vec<T>,
    pub count: i64,
}

impl<T> Listing<T> {
    pub fn is_complete(&self) -> bool {
        self.items.len() as i64 >= self.count
    }

    /// The records, or [`ApiError::Incomplete`] when fewer came back than announced.
    pub fn complete(self, endpoint: Endpoint) -> Result<Vec<T>, ApiError> {
        if self.is_complete() {
            Ok(self.items)
        } else {
            Err(ApiError::Incomplete {
                endpoint,
                got: self.items.len(),
                count: self.count,
            })
        }
    }
}

#[derive(Clone)]
pub struct Client {
    inner: Arc<Inner>,
    /// Whose waits [`Client::cancel`] ends: every clone's, but not a [`Client::for_run`]'s.
    cancel: Arc<Cancel>,
}

/// Set by [`Client::cancel`]: waits between tries end at once.
#[derive(Default)]
struct Cancel {
    cancelled: AtomicBool,
    wake: tokio::sync::Notify,
}

struct Inner {
    /// Reads' connections (the listings' pages), apart from the writes' and let go after each
    /// staff listing: each of a listing's grew a read buffer to a page's size (~0.4 MB), and
    /// a sync that sent on them after listing 100,000 people held ~19 MB of buffers it no
    /// longer needed.
    reads: Connections,
    /// Writes' connections, made at the first write (a plan makes none).
    writes: Connections,
    options: ClientOptions,
    slots: Arc<Semaphore>,
    /// Permits to retire as they come back, after the server asked us to slow down.
    debt: AtomicUsize,
    /// The concurrency in force now (≤ options.concurrency).
    width: AtomicUsize,
    successes_since_shrink: AtomicUsize,
    next_slot: Mutex<Instant>,
    any_success: AtomicBool,
    calls: AtomicUsize,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base_url", &self.inner.options.base_url.as_str())
            .finish_non_exhaustive()
    }
}

/// A concurrency slot; retired instead of returned while the client is shrinking.
struct Slot<'a> {
    permit: Option<OwnedSemaphorePermit>,
    inner: &'a Inner,
}

impl Drop for Slot<'_> {
    fn drop(&mut self) {
        let retire = self
            .inner
            .debt
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| d.checked_sub(1))
            .is_ok();
        if let Some(p) = self.permit.take() {
            if retire {
                p.forget();
            }
        }
    }
}

/// A try that failed in a way another try may cure.
#[derive(Default)]
struct Transient {
    /// The request may have been applied (its response was lost).
    lost: bool,
    message: String,
    status: Option<u16>,
    retry_after: Option<Duration>,
    rate_limited: bool,
    network: bool,
}

impl Transient {
    /// The error of a call whose every try failed this way.
    fn into_error(self, endpoint: Endpoint, tries: u32) -> ApiError {
        let message = self.message;
        if self.rate_limited {
            ApiError::RateLimited {
                endpoint,
                tries,
                message,
            }
        } else if let Some(status) = self.status {
            ApiError::Status {
                endpoint,
                status,
                tries,
            }
        } else if self.network {
            ApiError::Unreachable {
                endpoint,
                tries,
                message,
            }
        } else {
            ApiError::Malformed { endpoint, message }
        }
    }
}

/// The answer's envelope, or a try to repeat when its message says the server is rate
/// limiting (an errno whose message says 频率/frequency/limit).
fn envelope_or_slow_down<T>(envelope: Envelope<T>) -> Result<Envelope<T>, Transient> {
    if envelope.errno == 0 || !is_rate_limit_message(&envelope.errmsg) {
        return Ok(envelope);
    }
    Err(Transient {
        message: format!(
            "errno {}: {}",
            envelope.errno,
            cut_bytes(&envelope.errmsg, MESSAGE_BYTES)
        ),
        rate_limited: true,
        ..Transient::default()
    })
}

/// An HTTP client of its own connections, made when first asked for, let go on demand: its
/// connections close once their requests are done.
#[derive(Default)]
struct Connections(Mutex<Option<reqwest::Client>>);

impl Connections {
    fn client(&self, options: &ClientOptions) -> Result<reqwest::Client, ApiError> {
        let mut client = self.0.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(c) = &*client {
            return Ok(c.clone());
        }
        let made = http_client(options)?;
        *client = Some(made.clone());
        Ok(made)
    }

    fn let_go(&self) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).take();
    }
}

/// An HTTP client as `options` ask: its own pool of connections.
fn http_client(options: &ClientOptions) -> Result<reqwest::Client, ApiError> {
    reqwest::Client::builder()
        .timeout(options.timeout)
        .connect_timeout(options.timeout.min(Duration::from_secs(10)))
        .pool_max_idle_per_host(options.concurrency.max(1))
        .user_agent(concat!("bgy/", env!("CARGO_PKG_VERSION")))
        // A redirect is an error (see `ApiError::Redirected`), never followed.
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .map_err(|e| ApiError::Malformed {
            endpoint: Endpoint::DepartmentList,
            message: format!("cannot build the HTTP client: {}", e.without_url()),
        })
}

impl Client {
    pub fn new(options: ClientOptions) -> Result<Client, ApiError> {
        // Made now, so that a client that cannot be made is an error here.
        let reads = Connections(Mutex::new(Some(http_client(&options)?)));
        let width = options.concurrency.max(1);
        Ok(Client {
            inner: Arc::new(Inner {
                reads,
                writes: Connections::default(),
                slots: Arc::new(Semaphore::new(width)),
                debt: AtomicUsize::new(0),
                width: AtomicUsize::new(width),
                successes_since_shrink: AtomicUsize::new(0),
                next_slot: Mutex::new(Instant::now()),
                any_success: AtomicBool::new(false),
                calls: AtomicUsize::new(0),
                options,
            }),
            cancel: Arc::default(),
        })
    }

    pub fn base_url(&self) -> &reqwest::Url {
        &self.inner.options.base_url
    }

    /// HTTP requests sent so far, retries included.
    pub fn calls(&self) -> usize {
        self.inner.calls.load(Ordering::Relaxed)
    }

    /// The same server, connections, concurrency and rate, for one run of its own: its
    /// [`Client::cancel`] ends that run's waits, and no other's (the web console runs many).
    pub fn for_run(&self) -> Client {
        Client {
            inner: self.inner.clone(),
            cancel: Arc::default(),
        }
    }

    /// Ends every wait between tries at once, now and later (Ctrl-C): a call that would wait
    /// returns [`ApiError::Interrupted`]. Calls in flight finish. Only this client and its
    /// clones: not the other runs' ([`Client::for_run`]).
    pub fn cancel(&self) {
        self.cancel.cancelled.store(true, Ordering::SeqCst);
        self.cancel.wake.notify_waiters();
    }

    /// Sleeps `d`, or less when cancelled; false when cancelled.
    async fn pause(&self, d: Duration) -> bool {
        let woken = self.cancel.wake.notified();
        if self.cancel.cancelled.load(Ordering::SeqCst) {
            return false;
        }
        tokio::select! {
            _ = tokio::time::sleep(d) => true,
            _ = woken => false,
        }
    }

    /// The concurrency in force now (halved while the server rate-limits).
    pub fn concurrency(&self) -> usize {
        self.inner.width.load(Ordering::Relaxed)
    }

    pub async fn department_page(&self, page: usize) -> Result<DepartmentPage, ApiError> {
        let q = vec![("page".to_string(), page.to_string())];
        self.expect_data(Endpoint::DepartmentList, q, Body::None)
            .await
    }

    pub async fn staff_page(
        &self,
        we_id: i64,
        fetch_child: bool,
        page: usize,
    ) -> Result<StaffPage, ApiError> {
        let q = vec![
            ("we_id".to_string(), we_id.to_string()),
            ("fetch_child".to_string(), (fetch_child as u8).to_string()),
            ("page".to_string(), page.to_string()),
        ];
        self.expect_data(Endpoint::StaffList, q, Body::None).await
    }

    /// Every department, all pages.
    pub async fn departments(&self) -> Result<Listing<Department>, ApiError> {
        let mut items = Vec::new();
        let first = self.department_page(1).await?;
        let count = self
            .listing(
                (first.count, first.department_list),
                |page| async move {
                    let p = self.department_page(page).await?;
                    Ok((p.count, p.department_list))
                },
                |_, _| {},
                |page| {
                    items.extend(page);
                    true
                },
            )
            .await?;
        Ok(Listing { items, count })
    }

    /// Every person in `we_id` (0 = everyone), all pages.
    pub async fn staff(&self, we_id: i64, fetch_child: bool) -> Result<Listing<Staff>, ApiError> {
        self.staff_with_progress(we_id, fetch_child, |_, _| {})
            .await
    }

    /// As [`Client::staff`], calling `progress(records so far, count)` after each page.
    pub async fn staff_with_progress(
        &self,
        we_id: i64,
        fetch_child: bool,
        progress: impl Fn(usize, i64),
    ) -> Result<Listing<Staff>, ApiError> {
        let mut items = Vec::new();
        let count = self
            .staff_pages(we_id, fetch_child, progress, |page| {
                items.extend(page);
                true
            })
            .await?;
        Ok(Listing { items, count })
    }

    /// As [`Client::staff_with_progress`], handing each page to `each` instead of keeping it
    /// (`each` returns false to stop); returns the `count` the server announced.
    pub async fn staff_pages(
        &self,
        we_id: i64,
        fetch_child: bool,
        progress: impl Fn(usize, i64),
        each: impl FnMut(Vec<Staff>) -> bool,
    ) -> Result<i64, ApiError> {
        let first = self.staff_page(we_id, fetch_child, 1).await?;
        self.staff_pages_after(first, we_id, fetch_child, progress, each)
            .await
    }

    /// As [`Client::staff_pages`], from its `first` page, fetched beside something else (the
    /// departments, by [`crate::live::Live::fetch`]: one round trip less).
    pub async fn staff_pages_after(
        &self,
        first: StaffPage,
        we_id: i64,
        fetch_child: bool,
        progress: impl Fn(usize, i64),
        each: impl FnMut(Vec<Staff>) -> bool,
    ) -> Result<i64, ApiError> {
        let count = self
            .listing(
                (first.count, first.staff_list),
                |page| async move {
                    let p = self.staff_page(we_id, fetch_child, page).await?;
                    Ok((p.count, p.staff_list))
                },
                progress,
                each,
            )
            .await;
        self.inner.reads.let_go();
        count
    }

    /// From the `first` page (its `count` and records), pages 2, 3, … (several in flight)
    /// until `count` records came back, each handed to `each` in order. The first empty page,
    /// or [`MAX_LISTED`] records, ends it early: the listing is then incomplete. Nothing is
    /// allocated from `count`, which the server may get wrong. Returns `count`.
    async fn listing<T, F, Fut>(
        &self,
        (count, first): (i64, Vec<T>),
        fetch: F,
        progress: impl Fn(usize, i64),
        mut each: impl FnMut(Vec<T>) -> bool,
    ) -> Result<i64, ApiError>
    where
        F: Fn(usize) -> Fut,
        Fut: std::future::Future<Output = Result<(i64, Vec<T>), ApiError>>,
    {
        use futures::StreamExt;
        let mut got = first.len();
        progress(got, count);
        if !each(first) {
            return Ok(count);
        }
        let pages = pages_after_first(count, got);
        let mut stream = futures::stream::iter(pages.map(&fetch))
            .buffered(self.inner.options.concurrency.max(1));
        while let Some(page) = stream.next().await {
            let (_, list) = page?;
            if list.is_empty() {
                break;
            }
            got += list.len();
            progress(got, count);
            if !each(list) || got >= MAX_LISTED {
                break;
            }
        }
        Ok(count)
    }

    /// `department/createdepartment`. A lost response comes back as [`ApiError::Ambiguous`]:
    /// re-list before trying again, or the department may be made twice.
    pub async fn create_department(&self, name: &str, parent: i64) -> Result<(), ApiError> {
        let form = vec![
            ("we_name".to_string(), name.to_string()),
            ("we_parentid".to_string(), parent.to_string()),
        ];
        let reply: Reply<serde_json::Value> = self
            .call(
                Endpoint::CreateDepartment,
                vec![],
                Body::Form(form),
                Retry::Never,
            )
            .await?;
        reply.into_result(Endpoint::CreateDepartment).map(drop)
    }

    /// `department/editdepartment` (renaming twice is harmless, so it is retried freely).
    pub async fn edit_department(&self, we_id: i64, name: &str) -> Result<(), ApiError> {
        let form = vec![
            ("we_name".to_string(), name.to_string()),
            ("we_id".to_string(), we_id.to_string()),
        ];
        let reply: Reply<serde_json::Value> = self
            .call(
                Endpoint::EditDepartment,
                vec![],
                Body::Form(form),
                Retry::Always,
            )
            .await?;
        reply.into_result(Endpoint::EditDepartment).map(drop)
    }

    /// `staff/add` with the given form fields (`cover` included by the caller).
    pub async fn add_staff(&self, form: Vec<(String, String)>) -> Result<Reply<Saved>, ApiError> {
        self.call(
            Endpoint::StaffAdd,
            vec![],
            Body::Form(form),
            Retry::Reported,
        )
        .await
    }

    /// `staff/delete` for at most [`DELETE_CHUNK`] accounts, as a comma string.
    pub async fn delete_staff(
        &self,
        accounts: &[&str],
    ) -> Result<Reply<serde_json::Value>, ApiError> {
        let form = vec![("we_userids".to_string(), accounts.join(","))];
        self.call(
            Endpoint::StaffDelete,
            vec![],
            Body::Form(form),
            Retry::Reported,
        )
        .await
    }

    /// `staff/entry-time` for at most [`TIMES_CHUNK`] rows; `data` lists the rows that failed.
    pub async fn entry_time(
        &self,
        rows: &[TimesRow],
    ) -> Result<Reply<Vec<TimesFailure>>, ApiError> {
        let time = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_secs() as i64)
            .unwrap_or(0);
        let body = serde_json::to_value(TimesRequest { time, data: rows }).map_err(|e| {
            ApiError::Malformed {
                endpoint: Endpoint::EntryTime,
                message: e.to_string(),
            }
        })?;
        let mut reply: Reply<Vec<TimesFailure>> = self
            .call(Endpoint::EntryTime, vec![], Body::Json(body), Retry::Always)
            .await?;
        for failure in reply.data.iter_mut().flatten() {
            failure.msg = cut_bytes(&failure.msg, MESSAGE_BYTES).into_owned();
        }
        Ok(reply)
    }

    async fn expect_data<T: DeserializeOwned + Redact>(
        &self,
        endpoint: Endpoint,
        query: Vec<(String, String)>,
        body: Body,
    ) -> Result<T, ApiError> {
        let reply: Reply<T> = self.call(endpoint, query, body, Retry::Always).await?;
        reply
            .into_result(endpoint)?
            .ok_or_else(|| ApiError::Malformed {
                endpoint,
                message: "no `data` in the answer".into(),
            })
    }

    async fn call<T: DeserializeOwned + Redact>(
        &self,
        endpoint: Endpoint,
        query: Vec<(String, String)>,
        body: Body,
        retry: Retry,
    ) -> Result<Reply<T>, ApiError> {
        let tries = self.inner.options.tries.max(1);
        let mut lost_before = false;
        let mut attempt = 0;
        loop {
            attempt += 1;
            let answer = match self.attempt(endpoint, &query, &body).await {
                // Cancelled while waiting for its turn: an earlier try may still have landed.
                Err(ApiError::Interrupted { .. }) => {
                    return Err(ApiError::Interrupted {
                        endpoint,
                        maybe_applied: lost_before,
                    })
                }
                other => other?,
            };
            let t = match answer {
                Ok(envelope) => match envelope_or_slow_down(envelope) {
                    Ok(envelope) => return self.classify(endpoint, envelope, lost_before),
                    Err(slow_down) => slow_down,
                },
                Err(t) => t,
            };
            if t.rate_limited {
                self.shrink();
            }
            if t.lost && retry == Retry::Never {
                return Err(ApiError::Ambiguous {
                    endpoint,
                    message: t.message,
                });
            }
            lost_before |= t.lost;
            let wait = t.retry_after;
            if attempt >= tries {
                return Err(t.into_error(endpoint, tries));
            }
            if !self
                .pause(wait.unwrap_or_else(|| self.backoff(attempt)))
                .await
            {
                return Err(ApiError::Interrupted {
                    endpoint,
                    maybe_applied: lost_before,
                });
            }
        }
    }

    fn classify<T>(
        &self,
        endpoint: Endpoint,
        envelope: Envelope<T>,
        after_lost_response: bool,
    ) -> Result<Reply<T>, ApiError> {
        // Already redacted with the rest of the answer (see `attempt`); cut to fit.
        let errmsg = cut_bytes(&envelope.errmsg, MESSAGE_BYTES).into_owned();
        if envelope.errno == 0 {
            self.inner.any_success.store(true, Ordering::Relaxed);
            self.grow();
        } else if !endpoint.row_level_errnos().contains(&envelope.errno)
            && !self.inner.any_success.load(Ordering::Relaxed)
        {
            return Err(ApiError::Rejected {
                endpoint,
                detail: format!("errno {}: {}", envelope.errno, errmsg),
            });
        }
        Ok(Reply {
            errno: envelope.errno,
            errmsg,
            data: envelope.data,
            after_lost_response,
        })
    }

    /// One HTTP exchange. `Err` only for what no retry can cure (401/403, a 4xx, bad JSON).
    async fn attempt<T: DeserializeOwned + Redact>(
        &self,
        endpoint: Endpoint,
        query: &[(String, String)],
        body: &Body,
    ) -> Result<Result<Envelope<T>, Transient>, ApiError> {
        let inner = &self.inner;
        let _slot = Slot {
            permit: Some(
                inner
                    .slots
                    .clone()
                    .acquire_owned()
                    .await
                    .expect("the semaphore is never closed"),
            ),
            inner,
        };
        if !self.wait_for_rate().await {
            return Err(ApiError::Interrupted {
                endpoint,
                maybe_applied: false,
            });
        }
        inner.calls.fetch_add(1, Ordering::Relaxed);
        let ticket = inner.options.ticket.expose();
        let response = match self.request(endpoint, query, body)?.send().await {
            Ok(r) => r,
            Err(e) => {
                return Ok(Err(Transient {
                    // A refused connection never reached the server; anything else may have.
                    lost: !e.is_connect(),
                    message: transport_message(e, ticket),
                    network: true,
                    ..Transient::default()
                }));
            }
        };
        let status = response.status();
        if let Some(t) = self.judge_status(endpoint, &response)? {
            return Ok(Err(t));
        }
        let bytes = match response.bytes().await {
            Ok(b) => b,
            Err(e) => {
                return Ok(Err(Transient {
                    lost: true,
                    message: transport_message(e, ticket),
                    network: true,
                    ..Transient::default()
                }))
            }
        };
        parse_body(endpoint, status, &bytes, ticket).map(Ok)
    }

    /// The request: the endpoint's URL with the ticket and `query`, and its body.
    fn request(
        &self,
        endpoint: Endpoint,
        query: &[(String, String)],
        body: &Body,
    ) -> Result<reqwest::RequestBuilder, ApiError> {
        let inner = &self.inner;
        let mut url = inner.options.base_url.clone();
        url.set_path(&format!(
            "{}/address/api/{}",
            url.path().trim_end_matches('/'),
            endpoint.path()
        ));
        url.query_pairs_mut()
            .append_pair("ticket", inner.options.ticket.expose())
            .extend_pairs(query.iter());
        let options = &inner.options;
        Ok(match body {
            Body::None => inner.reads.client(options)?.get(url),
            Body::Form(form) => inner.writes.client(options)?.post(url).form(form),
            Body::Json(json) => inner.writes.client(options)?.post(url).json(json),
        })
    }

    /// What the status alone says: fatal (a redirect, rejected, not the API, a wait too
    /// long), a try to repeat (429, 5xx), or nothing yet (`Ok(None)`: read the body).
    fn judge_status(
        &self,
        endpoint: Endpoint,
        response: &reqwest::Response,
    ) -> Result<Option<Transient>, ApiError> {
        let status = response.status();
        let ticket = self.inner.options.ticket.expose();
        if status.is_redirection() {
            let target = response
                .headers()
                .get(reqwest::header::LOCATION)
                .and_then(|v| v.to_str().ok())
                .map_or_else(
                    || "no Location".to_string(),
                    |loc| location_origin(&self.inner.options.base_url, loc),
                );
            return Err(ApiError::Redirected {
                endpoint,
                status: status.as_u16(),
                target: redact(&target, ticket),
            });
        }
        if status.as_u16() == 401 || status.as_u16() == 403 {
            return Err(ApiError::Rejected {
                endpoint,
                detail: format!("HTTP {}", status.as_u16()),
            });
        }
        if matches!(status.as_u16(), 404 | 405 | 410) {
            return Err(ApiError::NotTheApi {
                endpoint,
                detail: format!("HTTP {}", status.as_u16()),
            });
        }
        if status.as_u16() == 429 || status.is_server_error() {
            let rate_limited = status.as_u16() == 429;
            let asked = response
                .headers()
                .get(reqwest::header::RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok());
            if let Some(seconds) = asked.filter(|s| *s > MAX_RETRY_AFTER_SECS) {
                return Err(ApiError::TooLongWait { endpoint, seconds });
            }
            return Ok(Some(Transient {
                lost: !rate_limited,
                message: match asked {
                    Some(s) => format!("HTTP {} (Retry-After: {s} s)", status.as_u16()),
                    None => format!("HTTP {}", status.as_u16()),
                },
                status: Some(status.as_u16()),
                retry_after: asked.map(Duration::from_secs),
                rate_limited,
                network: false,
            }));
        }
        Ok(None)
    }

    /// Waits for this call's turn under `--rate`; false when cancelled meanwhile.
    async fn wait_for_rate(&self) -> bool {
        let rate = self.inner.options.rate;
        if rate <= 0.0 {
            return true;
        }
        let interval = Duration::from_secs_f64(1.0 / rate);
        let slot = {
            let mut next = self
                .inner
                .next_slot
                .lock()
                .unwrap_or_else(|e| e.into_inner());
            let now = Instant::now();
            let slot = (*next).max(now);
            *next = slot + interval;
            slot
        };
        self.pause(slot.saturating_duration_since(Instant::now()))
            .await
    }

    fn backoff(&self, attempt: u32) -> Duration {
        let base = self.inner.options.backoff.as_secs_f64();
        let exp = base * 2f64.powi(attempt.saturating_sub(1).min(10) as i32);
        let jitter = 0.5 + rand::random::<f64>();
        Duration::from_secs_f64((exp * jitter).min(10.0))
    }

    /// Halve the concurrency in force (not below 1): the slots given up are retired as they
    /// come back.
    fn shrink(&self) {
        let inner = &self.inner;
        let halve = |w: usize| (w > 1).then_some((w / 2).max(1));
        if let Ok(old) = inner
            .width
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, halve)
        {
            inner
                .debt
                .fetch_add(old - (old / 2).max(1), Ordering::SeqCst);
        }
        inner.successes_since_shrink.store(0, Ordering::Relaxed);
    }

    /// Give back one slot every 20 successes after a shrink.
    fn grow(&self) {
        let inner = &self.inner;
        let max = inner.options.concurrency.max(1);
        if inner.width.load(Ordering::Relaxed) >= max {
            return;
        }
        if inner.successes_since_shrink.fetch_add(1, Ordering::Relaxed) + 1 >= 20 {
            inner.successes_since_shrink.store(0, Ordering::Relaxed);
            let grown = inner
                .width
                .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |w| {
                    (w < max).then_some(w + 1)
                })
                .is_ok();
            if grown {
                // Pay back debt first, else return a permit.
                if inner
                    .debt
                    .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |d| d.checked_sub(1))
                    .is_err()
                {
                    inner.slots.add_permits(1);
                }
            }
        }
    }
}

/// The pages still to fetch once page 1 has come back (none when it was short or empty).
fn pages_after_first(count: i64, first_len: usize) -> std::ops::Range<usize> {
    let count = count.max(0) as usize;
    if first_len == 0 || count <= first_len {
        return 2..2;
    }
    2..count.div_ceil(PAGE_SIZE) + 1
}

/// A server's way of saying "too fast" in an errmsg.
fn is_rate_limit_message(msg: &str) -> bool {
    let lower = msg.to_lowercase();
    msg.contains("频率")
        || msg.contains("频繁")
        || lower.contains("frequency")
        || lower.contains("limit")
}

/// An answer's body as its envelope, every text in it redacted, or an error naming the
/// status. Read straight into `T`: a listing of 100,000 people read first as JSON values, then
/// redacted string by string and taken apart, cost three times as much.
fn parse_body<T: DeserializeOwned + Redact>(
    endpoint: Endpoint,
    status: reqwest::StatusCode,
    bytes: &[u8],
    ticket: &str,
) -> Result<Envelope<T>, ApiError> {
    if !status.is_success() {
        return Err(ApiError::Malformed {
            endpoint,
            message: format!("HTTP {}: {}", status.as_u16(), snippet(bytes, ticket)),
        });
    }
    let parsed = match std::str::from_utf8(bytes) {
        // The body checked as UTF-8 once, not each string in it (a listing's page has 2,000
        // people of ~20 strings: `from_slice` checked them one by one, ~15% of its parse).
        Ok(text) => serde_json::from_str::<Envelope<T>>(text),
        Err(_) => serde_json::from_slice::<Envelope<T>>(bytes),
    };
    match parsed {
        Ok(mut envelope) => {
            envelope.redact(ticket);
            Ok(envelope)
        }
        // JSON, but not the shape expected. serde's message may quote the server's text.
        Err(e) if serde_json::from_slice::<serde::de::IgnoredAny>(bytes).is_ok() => {
            Err(ApiError::Malformed {
                endpoint,
                message: cut_bytes(
                    &redact(&format!("unexpected shape: {e}"), ticket),
                    MESSAGE_BYTES,
                )
                .into_owned(),
            })
        }
        Err(_) => Err(ApiError::NotTheApi {
            endpoint,
            detail: format!(
                "HTTP {}, not JSON: {}",
                status.as_u16(),
                snippet(bytes, ticket)
            ),
        }),
    }
}

/// A transport error's message and causes, without the URL and without the ticket.
fn transport_message(e: reqwest::Error, ticket: &str) -> String {
    let timeout = e.is_timeout();
    let e = e.without_url();
    let mut parts = vec![e.to_string()];
    let mut source = std::error::Error::source(&e);
    while let Some(s) = source {
        let text = s.to_string();
        if !parts.iter().any(|p| p.contains(&text)) {
            parts.push(text);
        }
        source = s.source();
    }
    if timeout && !parts.iter().any(|p| p.contains("timed out")) {
        parts.push("timed out".into());
    }
    cut_bytes(&redact(&parts.join(": "), ticket), MESSAGE_BYTES).into_owned()
}

/// Characters of a body that is not the JSON expected, shown in an error.
const SNIPPET_CHARS: usize = 120;

/// The start of a body, redacted first and then cut, on one line.
fn snippet(bytes: &[u8], ticket: &str) -> String {
    // Enough bytes for SNIPPET_CHARS characters plus any spelling of the ticket that starts
    // among them (at most three bytes a ticket byte, `%XX`).
    let window = &bytes[..bytes.len().min(SNIPPET_CHARS * 4 + ticket.len() * 3)];
    let text = redact(&String::from_utf8_lossy(window), ticket).replace(['\n', '\r'], " ");
    cut_chars(text.trim(), SNIPPET_CHARS).into_owned()
}

/// The scheme, host and port a `Location` points to (relative ones against `base`); never its
/// path or query, which may carry the ticket.
fn location_origin(base: &reqwest::Url, location: &str) -> String {
    match base.join(location) {
        Ok(url) => match (url.host_str(), url.port()) {
            (Some(h), Some(p)) => format!("{}://{h}:{p}", url.scheme()),
            (Some(h), None) => format!("{}://{h}", url.scheme()),
            _ => "an address without a host".into(),
        },
        Err(_) => "an address that is not a URL".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_follow_count() {
        assert_eq!(pages_after_first(260, 260).count(), 0);
        assert_eq!(
            pages_after_first(2500, 1000).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert_eq!(pages_after_first(1000, 1000).count(), 0);
        assert_eq!(pages_after_first(5, 0).count(), 0);
    }

    #[test]
    fn a_body_is_read_as_text_or_refused_whole() {
        let ok = reqwest::StatusCode::OK;
        let page = |body: &[u8]| {
            parse_body::<crate::api::types::StaffPage>(Endpoint::StaffList, ok, body, "TK-1")
        };
        let body = r#"{"errno":0,"errmsg":"ok","data":{"count":1,"staff_list":[{"we_userid":"zhang","we_name":"张三 TK-1"}]}}"#;
        let read = page(body.as_bytes()).unwrap();
        let staff = &read.data.unwrap().staff_list[0];
        assert_eq!(staff.we_userid(), "zhang");
        assert!(
            !staff.we_name().contains("TK-1"),
            "redacted: {}",
            staff.we_name()
        );
        // A byte that is not UTF-8 inside a string: an answer of the wrong shape, said where,
        // without the ticket.
        let mut broken = body.as_bytes().to_vec();
        let at = body.find("张").unwrap();
        broken[at] = 0xff;
        match page(&broken) {
            Err(e @ ApiError::Malformed { .. }) => {
                let text = e.to_string();
                assert!(text.contains("invalid unicode"), "{text}");
                assert!(!text.contains("TK-1"), "{text}");
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn rate_limit_messages() {
        assert!(is_rate_limit_message("调用频率过高"));
        assert!(is_rate_limit_message("API frequency exceeded"));
        assert!(!is_rate_limit_message("帐号已存在"));
    }
}
