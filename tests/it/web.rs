//! The web console over HTTP: every route needs a session, every POST its CSRF token, uploads
//! have a limit and never choose a path, downloads come only from the run store, the ticket is
//! in no answer, and one run sends at a time. `bgy serve` runs as its own process against the
//! test's emulator.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::Child;
use std::time::Duration;

use crate::common::*;

/// A running `bgy serve`: its base URL and start token, and a client that keeps cookies.
pub struct Console {
    pub child: Child,
    pub base: String,
    pub token: Option<String>,
    pub http: reqwest::Client,
    /// What it printed on stderr after its first line.
    pub stderr: std::sync::mpsc::Receiver<String>,
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Console {
    /// Starts `bgy serve ARGS` in `b`'s folder (against `b`'s server) and waits for its line.
    pub fn start(b: &Bgy, args: &[&str]) -> Console {
        Console::start_env(b, args, &[])
    }

    /// As [`Console::start`], with more environment variables (shorter timeouts).
    pub fn start_env(b: &Bgy, args: &[&str], env: &[(&str, &str)]) -> Console {
        let mut all = vec!["serve"];
        if !args.contains(&"--listen") {
            all.extend(["--listen", "127.0.0.1:0"]);
        }
        all.extend_from_slice(args);
        let mut child = b.spawn_env(&all, env);
        let stderr = child.stderr.take().expect("stderr");
        let mut lines = BufReader::new(stderr).lines();
        let line = lines
            .next()
            .expect("bgy serve prints its address")
            .expect("a line");
        // Keep reading stderr so the server never blocks on a full pipe.
        let (tx, stderr) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            for line in lines.map_while(Result::ok) {
                let _ = tx.send(line);
            }
        });
        let url = line
            .strip_prefix("bgy serve: ")
            .unwrap_or_else(|| panic!("not the start line: {line}"))
            .to_string();
        let url = url.trim_end_matches('/').to_string();
        let (base, token) = match url.split_once("/?token=") {
            Some((b, t)) => (b.to_string(), Some(t.to_string())),
            None => (url.trim_end_matches("/login").to_string(), None),
        };
        Console {
            child,
            base,
            token,
            http: Console::client(),
            stderr,
        }
    }

    /// The next line it prints on stderr, within `wait`.
    pub fn line(&self, wait: Duration) -> Option<String> {
        self.stderr.recv_timeout(wait).ok()
    }

    /// The next line it prints on stderr that holds `needle`, each line within `wait`.
    pub fn line_with(&self, needle: &str, wait: Duration) -> Option<String> {
        std::iter::from_fn(|| self.line(wait)).find(|l| l.contains(needle))
    }

    /// A console on the same folder as a second browser would use it: its own cookies.
    pub fn client() -> reqwest::Client {
        reqwest::Client::builder()
            .cookie_store(true)
            .build()
            .unwrap()
    }

    /// Starts the console, signs in with its token, and gives the home page's CSRF token.
    pub async fn signed_in(b: &Bgy, args: &[&str]) -> (Console, String) {
        let c = Console::start(b, args);
        c.sign_in().await;
        let csrf = c.csrf().await;
        (c, csrf)
    }

    /// The start address the console printed: its one-time token.
    pub fn start_url(&self) -> String {
        format!("{}/?token={}", self.base, self.token.as_deref().unwrap())
    }

    /// Opens the start address: the client holds a session from now on.
    pub async fn sign_in(&self) {
        let r = self.http.get(self.start_url()).send().await.unwrap();
        assert_eq!(r.status(), 200, "the token leads home");
    }

    pub async fn page(&self, path: &str) -> (u16, String) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        (r.status().as_u16(), r.text().await.unwrap())
    }

    /// The CSRF token of the home page's forms.
    pub async fn csrf(&self) -> String {
        let (_, html) = self.page("/").await;
        attr_after(&html, "name=\"csrf\" value=\"")
            .unwrap_or_else(|| panic!("a csrf field: {html}"))
    }

    /// Uploads `bytes` as `name` for a check, of the form's default kind (`auto`: its header
    /// says); the status and where it led.
    pub async fn upload(
        &self,
        name: &str,
        bytes: Vec<u8>,
        csrf: Option<&str>,
    ) -> (u16, String, String) {
        self.upload_kind(name, bytes, csrf, "auto").await
    }

    /// As [`Console::upload`], for a sheet of `kind` (staff, times, delete, leave) chosen.
    pub async fn upload_kind(
        &self,
        name: &str,
        bytes: Vec<u8>,
        csrf: Option<&str>,
        kind: &str,
    ) -> (u16, String, String) {
        let mut form = reqwest::multipart::Form::new().text("kind", kind.to_string());
        if let Some(c) = csrf {
            form = form.text("csrf", c.to_string());
        }
        form = form.part(
            "file",
            reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
        );
        let r = self
            .http
            .post(format!("{}/check", self.base))
            .multipart(form)
            .send()
            .await
            .unwrap();
        let at = r.url().path().to_string();
        (r.status().as_u16(), at, r.text().await.unwrap())
    }
}

/// The text after `marker` up to the next `"`.
pub fn attr_after(html: &str, marker: &str) -> Option<String> {
    let at = html.find(marker)? + marker.len();
    Some(html[at..].split('"').next()?.to_string())
}

/// The number in `data-count="NAME"`.
pub fn count(html: &str, name: &str) -> u64 {
    let marker = format!("data-count=\"{name}\">");
    let at = html
        .find(&marker)
        .unwrap_or_else(|| panic!("no data-count={name} in the page"))
        + marker.len();
    html[at..]
        .split('<')
        .next()
        .unwrap()
        .trim()
        .parse()
        .unwrap()
}

fn sample(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("samples")
            .join(name),
    )
    .unwrap()
}

#[tokio::test]
async fn every_page_needs_a_session_and_the_token_gives_a_strict_cookie() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let c = Console::start(&b, &[]);
    for path in [
        "/",
        "/runs",
        "/runs/20260101-000000-abcdef",
        "/runs/x/report",
    ] {
        let (status, html) = c.page(path).await;
        assert_eq!(status, 401, "{path}");
        assert!(!html.contains("csrf"), "no data without a session: {path}");
    }
    let r = c
        .http
        .post(format!("{}/check", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 401);
    // A wrong token is no way in; the right one sets the cookie and leads home.
    let (status, _) = c.page("/?token=0123456789abcdef0123456789abcdef").await;
    assert_eq!(status, 401);
    let bare = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = bare.get(c.start_url()).send().await.unwrap();
    assert_eq!(r.status(), 303);
    let cookie = r.headers()["set-cookie"].to_str().unwrap().to_string();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
    // Static files carry no data and need no session; every answer has the CSP.
    let r = bare
        .get(format!("{}/static/app.js", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let csp = r.headers()["content-security-policy"].to_str().unwrap();
    assert!(
        csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
        "{csp}"
    );
}

#[tokio::test]
async fn a_check_shows_the_counts_the_red_cells_and_the_report() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (status, at, html) = c
        .upload(
            "staff-with-errors.xlsx",
            sample("staff-with-errors.xlsx"),
            Some(&csrf),
        )
        .await;
    assert_eq!(status, 200, "{html}");
    assert!(at.starts_with("/runs/"), "{at}");
    assert!(html.contains("data-testid=\"summary\""));
    // The same counts as the command line's check of the same file, online.
    b.write("same.xlsx", sample("staff-with-errors.xlsx"));
    let cli = b.run(&["check", "same.xlsx", "--json"]).await.json();
    assert_eq!(
        (
            count(&html, "total"),
            count(&html, "valid"),
            count(&html, "invalid")
        ),
        (
            11,
            cli["ok"].as_u64().unwrap(),
            cli["invalid"].as_u64().unwrap()
        )
    );
    assert!(count(&html, "invalid") >= 9);
    assert!(
        count(&html, "warnings") >= 1,
        "the unknown column and the row warning"
    );
    assert!(html.matches("<td class=\"bad\">").count() >= 11, "{html}");
    assert!(html.contains("考勤号: 考勤号不能以 0 开头 (1208)"));
    let (status, report) = c.page(&format!("{at}/report")).await;
    assert_eq!(status, 200);
    assert!(report.starts_with("PK"), "an xlsx");
    let (_, runs) = c.page("/runs").await;
    assert!(runs.contains("staff-with-errors.xlsx") && runs.contains("检查"));
    // Nothing was sent.
    assert_eq!(emu.stats.calls("staff/add"), 0);
    // A form's address opened as a page (a bookmark, the address of a refusal) is the page of
    // its button, not the browser's own "HTTP ERROR 405"; an address of no page, one of ours.
    let r = c
        .http
        .get(format!("{}{at}/import", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!((r.status().as_u16(), r.url().path()), (200, at.as_str()));
    let r = c
        .http
        .get(format!("{}/export", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), "/");
    let (status, html) = c.page("/no/such/page").await;
    assert_eq!(status, 404);
    assert!(
        html.contains("没有这个页面") && html.contains("返回首页"),
        "{html}"
    );
}

#[tokio::test]
async fn every_post_needs_its_csrf_token() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let c = Console::start(&b, &[]);
    c.sign_in().await;
    let (status, _, _) = c.upload("staff.xlsx", sample("staff.xlsx"), None).await;
    assert_eq!(status, 403);
    let (status, _, _) = c
        .upload("staff.xlsx", sample("staff.xlsx"), Some("0000"))
        .await;
    assert_eq!(status, 403);
    let csrf = c.csrf().await;
    let (_, at, _) = c
        .upload("staff.xlsx", sample("staff.xlsx"), Some(&csrf))
        .await;
    for body in ["cover=skip", "csrf=wrong&cover=skip"] {
        let r = c
            .http
            .post(format!("{}{at}/import", c.base))
            .header("content-type", "application/x-www-form-urlencoded")
            .body(body)
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{body}");
    }
    for route in ["stop", "plan", "sync", "times", "delete", "undo"] {
        let r = c
            .http
            .post(format!("{}{at}/{route}", c.base))
            .form(&[("confirm", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{route}");
    }
    for path in ["/history/1/undo", "/logout"] {
        let r = c
            .http
            .post(format!("{}{path}", c.base))
            .form(&[("confirm", "1")])
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 403, "{path}");
    }
    let r = c
        .http
        .post(format!("{}/export", c.base))
        .form(&[("format", "csv")])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 403, "export");
    assert_eq!(emu.stats.calls("staff/add"), 0, "nothing was sent");
    assert_eq!(
        emu.stats.calls("staff/list"),
        1,
        "only the check listed the directory"
    );
}

#[tokio::test]
async fn an_upload_over_the_limit_gets_a_clear_413() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--max-upload-mb", "1"]).await;
    let (status, _, html) = c.upload("big.csv", vec![b'x'; 2 << 20], Some(&csrf)).await;
    assert_eq!(status, 413);
    assert!(
        html.contains("文件太大") && html.contains("1 MB") && !html.contains("File too large"),
        "{html}"
    );
    // What HR can do about it, not only what went wrong.
    assert!(
        html.contains("分成几个较小的文件") && html.contains("请 IT 调大"),
        "{html}"
    );
}

#[tokio::test]
async fn names_from_uploads_never_become_paths_and_downloads_stay_in_the_store() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, at, _) = c
        .upload(
            "../../evil.csv",
            staff_csv("e", 2).into_bytes(),
            Some(&csrf),
        )
        .await;
    let id = at.trim_start_matches("/runs/");
    let dir = b.path("runs").join(id);
    assert!(
        dir.join("input.csv").is_file(),
        "stored under the store's own name"
    );
    for (path, _) in all_files(b.dir.path()) {
        assert!(
            !path.to_string_lossy().contains("evil"),
            "{}",
            path.display()
        );
    }
    for path in [
        format!("/runs/{id}/..%2Frun.json"),
        format!("/runs/{id}/run.json"),
        "/runs/..%2F..%2Fetc/report".to_string(),
        "/runs/..%2Fruns/input".to_string(),
    ] {
        let (status, body) = c.page(&path).await;
        assert_eq!(status, 404, "{path}");
        assert!(!body.contains("\"who\""), "{path}");
    }
    let (status, input) = c.page(&format!("/runs/{id}/input")).await;
    assert_eq!((status, input.starts_with("帐号")), (200, true));
    // A sheet that cannot be read is named in its error as the person named it, never by
    // its path in the store.
    let (_, at, _) = c
        .upload("花名册.xlsx", b"PK\x03\x04damaged".to_vec(), Some(&csrf))
        .await;
    let html = wait_until_ended(&c, &at).await;
    let store = b.path("runs").display().to_string();
    assert!(
        html.contains("花名册.xlsx") && !html.contains("input.xlsx") && !html.contains(&store),
        "{html}"
    );
}

#[tokio::test]
async fn the_ticket_reaches_no_page_event_or_header() {
    const CANARY: &str = "WEB~CANARY*77";
    let emu = emulator_with(
        &small_seed(),
        bgy::emulator::Options {
            ticket: CANARY.into(),
            ..Default::default()
        },
    )
    .await;
    let b = Bgy::new().against(&emu).ticket(CANARY);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, at, checked) = c
        .upload("staff.xlsx", sample("staff-with-errors.xlsx"), Some(&csrf))
        .await;
    let valid = count(&checked, "valid");
    assert!(valid > 0, "some rows are sent");
    let r = c
        .http
        .post(format!("{}{at}/import", c.base))
        .form(&[("csrf", csrf.as_str()), ("cover", "skip")])
        .send()
        .await
        .unwrap();
    let import = r.url().path().to_string();
    wait_until_done(&c, &import).await;
    let mut seen = Vec::new();
    for path in [
        "/".to_string(),
        "/runs".to_string(),
        at.clone(),
        import.clone(),
        format!("{import}/events"),
    ] {
        let r = c
            .http
            .get(format!("{}{path}", c.base))
            .send()
            .await
            .unwrap();
        for (k, v) in r.headers() {
            seen.push(format!("{k}: {}", v.to_str().unwrap_or_default()));
        }
        seen.push(r.text().await.unwrap());
    }
    for text in &seen {
        for spelling in ["CANARY", "WEB%7E", "WEB~"] {
            assert!(!text.contains(spelling), "{spelling} in {text}");
        }
    }
    assert_eq!(
        emu.stats.calls("staff/add"),
        valid,
        "the valid rows were sent"
    );
}

/// Polls a run's page until its status is no longer `running` (a run that failed has no
/// counts to wait for).
pub async fn wait_until_ended(c: &Console, run: &str) -> String {
    for _ in 0..100 {
        let html = c.page(run).await.1;
        if crate::console_runs::status(&html) != "running" {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{run} never ended");
}

/// Polls a run's page until it no longer shows progress.
pub async fn wait_until_done(c: &Console, run: &str) -> String {
    for _ in 0..300 {
        let (_, html) = c.page(run).await;
        if !html.contains("data-testid=\"progress\"") && html.contains("data-testid=\"summary\"") {
            return html;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("{run} never finished");
}

/// The first progress event of the run at `run` (its `/events` stream) that counts at least
/// `n` rows sent, whether they succeeded or failed.
async fn sent_so_far(c: &Console, run: &str, n: u64) -> serde_json::Value {
    let mut events = c
        .http
        .get(format!("{}{run}/events", c.base))
        .send()
        .await
        .unwrap();
    let mut text = String::new();
    let read = async {
        while let Some(chunk) = events.chunk().await.unwrap() {
            text.push_str(&String::from_utf8_lossy(&chunk));
            let sent = (text.lines())
                .filter_map(|l| l.strip_prefix("data: "))
                .filter_map(|d| serde_json::from_str::<serde_json::Value>(d).ok())
                .find(|p| p["ok"].as_u64().unwrap_or(0) + p["failed"].as_u64().unwrap_or(0) >= n);
            if sent.is_some() {
                return sent;
            }
        }
        None
    };
    let sent = tokio::time::timeout(Duration::from_secs(20), read).await;
    sent.ok()
        .flatten()
        .unwrap_or_else(|| panic!("no event counts {n} rows sent"))
}

#[tokio::test]
async fn one_run_sends_at_a_time_and_stop_ends_it_with_a_report() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(40));
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs", "--concurrency", "1"]).await;
    let (_, at, _) = c
        .upload("many.csv", staff_csv("m", 200).into_bytes(), Some(&csrf))
        .await;
    let start = |c: &Console| {
        c.http
            .post(format!("{}{at}/import", c.base))
            .form(&[("csrf", csrf.as_str()), ("cover", "skip")])
            .send()
    };
    let first = start(&c).await.unwrap();
    let running = first.url().path().to_string();
    let html = first.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"progress\""),
        "the progress view: {html}"
    );
    let second = start(&c).await.unwrap();
    assert_eq!(second.status(), 409);
    let text = second.text().await.unwrap();
    assert!(
        text.contains(running.trim_start_matches("/runs/")),
        "names the busy run: {text}"
    );
    // The progress stream counts the rows sent as they succeed.
    let progress = sent_so_far(&c, &running, 3).await;
    assert!(
        progress["ok"].as_u64() >= Some(3) && progress["failed"] == 0,
        "{progress}"
    );
    // Stop: calls in flight finish, the rest is not sent, the report is written.
    let r = c
        .http
        .post(format!("{}{running}/stop", c.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let html = wait_until_done(&c, &running).await;
    assert!(count(&html, "not_sent") > 0, "{html}");
    assert!(count(&html, "created") < 200);
    assert!(html.contains("data-testid=\"report\""));
    assert!(emu.stats.calls("staff/add") < 200);
}

#[tokio::test]
async fn beyond_loopback_it_needs_users_and_a_login() {
    let b = Bgy::new();
    let r = b
        .run(&["--emulator", "serve", "--listen", "0.0.0.0:0"])
        .await;
    r.assert_code(2);
    assert!(r.stderr.contains("--users"), "{}", r.stderr);
    // A users file made with --hash-password, and a login page.
    let mut child = b.spawn(&["serve", "--hash-password"]);
    use std::io::Write;
    child
        .stdin
        .take()
        .map(|mut i| i.write_all(b"s3cret pass\n"));
    let out = child.wait_with_output().unwrap();
    let hash = String::from_utf8(out.stdout).unwrap().trim().to_string();
    assert!(hash.starts_with("$argon2"), "{hash}");
    b.write("users.txt", format!("hr:{hash}\n"));
    let emu = emulator().await;
    let b2 = Bgy::new().against(&emu);
    std::fs::copy(b.path("users.txt"), b2.path("users.txt")).unwrap();
    let c = Console::start(&b2, &["--users", "users.txt"]);
    assert!(c.token.is_none(), "no token with users");
    let (status, html) = c.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("name=\"password\""), "the login page");
    let token = |html: &str| attr_after(html, "name=\"csrf\" value=\"").expect("the form's token");
    let login = |p: &'static str, form: String| {
        c.http
            .post(format!("{}/login", c.base))
            .form(&[("name", "hr"), ("password", p), ("csrf", form.as_str())])
            .send()
    };
    let wrong = login("wrong", token(&html)).await.unwrap();
    assert_eq!(wrong.status(), 401);
    // The form shown again carries a token of its own.
    let again = wrong.text().await.unwrap();
    let r = login("s3cret pass", token(&again)).await.unwrap();
    assert_eq!(r.status(), 200);
    let (status, html) = c.page("/").await;
    assert_eq!(status, 200);
    assert!(html.contains("data-testid=\"upload\"") && html.contains(">hr<"));
}

#[tokio::test]
async fn a_stopped_import_resumes_from_its_journal_without_sending_a_row_twice() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(30));
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs", "--concurrency", "1"]).await;
    let (_, at, _) = c
        .upload("many.csv", staff_csv("r", 120).into_bytes(), Some(&csrf))
        .await;
    let form = [("csrf", csrf.as_str()), ("cover", "skip")];
    let first = c
        .http
        .post(format!("{}{at}/import", c.base))
        .form(&form)
        .send()
        .await
        .unwrap();
    let stopped = first.url().path().to_string();
    tokio::time::sleep(Duration::from_millis(600)).await;
    c.http
        .post(format!("{}{stopped}/stop", c.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let html = wait_until_done(&c, &stopped).await;
    let created = count(&html, "created");
    assert!(created > 0 && created < 120, "stopped halfway: {created}");
    assert!(
        html.contains("data-testid=\"resume\""),
        "a stopped import offers to resume"
    );
    emu.stats.reset();
    let resumed = c
        .http
        .post(format!("{}{stopped}/import", c.base))
        .form(&[("csrf", csrf.as_str()), ("resume", "1")])
        .send()
        .await
        .unwrap();
    let resumed = resumed.url().path().to_string();
    let html = wait_until_done(&c, &resumed).await;
    // Every row with its outcome, the first run's carried over from the journal.
    assert_eq!(count(&html, "created"), 120, "{html}");
    assert_eq!(
        emu.stats.calls("staff/add"),
        120 - created,
        "nothing sent twice"
    );
    assert_eq!(emu.store.staff_count(), 2 + 120);
}

#[tokio::test]
async fn templates_export_and_the_department_tree() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let c = Console::start(&b, &["--data", "runs"]);
    c.sign_in().await;
    for kind in ["staff", "times", "delete"] {
        let r = c
            .http
            .get(format!("{}/template/{kind}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.status(), 200);
        let bytes = r.bytes().await.unwrap();
        let layout = match kind {
            "staff" => bgy::model::Layout::Staff,
            "times" => bgy::model::Layout::Times,
            _ => bgy::model::Layout::Delete,
        };
        // With a server, a staff template lists its departments, as `bgy template` does.
        let listed = (kind == "staff").then(|| {
            vec![
                "办公逸".to_string(),
                "办公逸/外包".into(),
                "办公逸/客服部".into(),
                "办公逸/研发部".into(),
                "办公逸/研发部/后端组".into(),
            ]
        });
        let expected = bgy::template::build(layout, listed.as_deref()).unwrap();
        assert_eq!(
            bytes.as_ref(),
            expected.as_slice(),
            "{kind}: bgy template's own"
        );
    }
    let csrf = c.csrf().await;
    let export = |department: &'static str| {
        c.http
            .post(format!("{}/export", c.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("format", "csv"),
                ("department", department),
            ])
            .send()
    };
    let r = export("").await.unwrap();
    let run = r.url().path().to_string();
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"export\""), "{html}");
    assert_eq!(count(&html, "total"), 2, "the people exported: {html}");
    // 办公逸 itself, without its sub-departments, holds nobody: the page says where they are,
    // and names its own checkbox, not an option.
    let r = export("办公逸").await.unwrap();
    let html = r.text().await.unwrap();
    assert_eq!(count(&html, "total"), 0, "{html}");
    assert!(
        html.contains("办公逸 本身没有人;含下级部门有 2 人") && !html.contains("--recursive"),
        "{html}"
    );
    let (status, csv) = c.page(&format!("{run}/output")).await;
    assert_eq!(status, 200);
    assert!(
        csv.contains("帐号") && csv.contains("zhangsan") && csv.contains("lisi"),
        "{csv}"
    );
    let (_, tree) = c.page("/departments").await;
    assert!(tree.contains("data-testid=\"departments\""));
    for name in ["办公逸", "研发部", "后端组", "客服部"] {
        assert!(tree.contains(name), "{name} in the tree");
    }
}

#[tokio::test]
async fn plan_then_sync_with_a_typed_confirmation_and_a_backup() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 20)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let mut csv = String::from("帐号,姓名,手机,部门ID\n");
    for (i, p) in people("p", 20).iter().enumerate() {
        // A name such as HR writes it, which the page must not take for Chinese and English.
        let name = if i < 2 {
            format!("新名{i} (New Name)")
        } else {
            p["we_name"].clone()
        };
        csv.push_str(&format!(
            "{},{name},{},{}\n",
            p["we_userid"], p["we_mobile"], p["we_id"]
        ));
    }
    csv.push_str("newbie,新人,13700000000,2\n");
    let (_, at, _) = c.upload("all.csv", csv.into_bytes(), Some(&csrf)).await;
    let r = c
        .http
        .post(format!("{}{at}/plan", c.base))
        .form(&[("csrf", csrf.as_str()), ("prune", "1")])
        .send()
        .await
        .unwrap();
    let plan = r.url().path().to_string();
    let html = r.text().await.unwrap();
    let planned = ["created", "updated", "unchanged", "deleted"].map(|k| count(&html, k));
    assert_eq!(planned, [1, 2, 18, 2], "{html}");
    assert!(html.contains("data-testid=\"plan-lines\""), "{html}");
    assert!(html.contains("<td>新名0 (New Name)</td>"), "{html}");
    assert!(html.contains("删除前会先写一份可以恢复的备份"), "{html}");
    // 2 of 22: no box allowing more than a fifth, which could change nothing.
    assert!(!html.contains("name=\"force\""), "{html}");
    assert_eq!(
        emu.stats.calls("staff/add") + emu.stats.calls("staff/delete"),
        0
    );
    // Deleting needs the count typed.
    let sync = |confirm: &'static str| {
        c.http
            .post(format!("{}{plan}/sync", c.base))
            .form(&[("csrf", csrf.as_str()), ("confirm", confirm)])
            .send()
    };
    let refused = sync("1").await.unwrap();
    assert_eq!(refused.status(), 400);
    // Said in the page's language alone: it was half of each.
    let refused = refused.text().await.unwrap();
    assert!(
        refused.contains("请在框中输入 2 确认;什么也没有删除") && !refused.contains("type 2"),
        "{refused}"
    );
    assert_eq!(emu.store.staff_count(), 22);
    let r = sync("2").await.unwrap();
    let run = r.url().path().to_string();
    let html = wait_until_done(&c, &run).await;
    assert_eq!(
        [
            count(&html, "created"),
            count(&html, "updated"),
            count(&html, "unchanged"),
            count(&html, "deleted")
        ],
        [1, 2, 18, 2],
        "{html}"
    );
    assert!(html.contains("data-testid=\"backup\""));
    let (status, backup) = c.page(&format!("{run}/backup")).await;
    assert_eq!((status, backup.starts_with("PK")), (200, true));
    assert_eq!(emu.store.staff_count(), 22 + 1 - 2);
    assert!(!emu.store.accounts().contains(&"zhangsan".to_string()));
}

#[tokio::test]
async fn dates_and_deletes_from_their_own_sheets() {
    let emu = emulator().await;
    emu.store.insert_staff(people("d", 10)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    // Dates.
    let (_, at, html) = c
        .upload_kind(
            "dates.csv",
            "帐号,入职时间\nd000000,2020-03-04\nd000001,2020/3/5\nnobody,2020-03-06\n".into(),
            Some(&csrf),
            "times",
        )
        .await;
    assert_eq!(
        (count(&html, "valid"), count(&html, "invalid")),
        (2, 1),
        "{html}"
    );
    assert!(
        html.contains("更新 2 人的日期") && html.contains("另有 1 个帐号不在通讯录中"),
        "the people the directory has: {html}"
    );
    assert!(html.contains("data-testid=\"times\"") && !html.contains("data-testid=\"import\""));
    let r = c
        .http
        .post(format!("{}{at}/times", c.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&html, "updated"), 2, "{html}");
    // The unknown account is caught before anything is sent, not refused by the server;
    // nothing is said to be deleted.
    assert_eq!(
        (count(&html, "invalid"), count(&html, "failed")),
        (1, 0),
        "{html}"
    );
    for none in ["created", "deleted", "left", "skipped"] {
        assert!(
            !html.contains(&format!("data-count=\"{none}\"")),
            "{none}: {html}"
        );
    }
    assert_eq!(
        emu.store.person("d000001").unwrap()["entry_time"],
        "2020-03-05"
    );
    // Deletes: the typed count, then the backup first.
    let (_, at, html) = c
        .upload_kind(
            "leavers.csv",
            "帐号\nd000008\nd000009\n".into(),
            Some(&csrf),
            "delete",
        )
        .await;
    assert!(html.contains("data-testid=\"delete\""));
    let delete = |confirm: &'static str| {
        c.http
            .post(format!("{}{at}/delete", c.base))
            .form(&[("csrf", csrf.as_str()), ("confirm", confirm)])
            .send()
    };
    assert_eq!(delete("3").await.unwrap().status(), 400);
    assert_eq!(emu.store.staff_count(), 12);
    let r = delete("2").await.unwrap();
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&html, "deleted"), 2, "{html}");
    assert!(html.contains("data-testid=\"backup\""));
    assert_eq!(emu.store.staff_count(), 10);
}

/// A 离职名单 checked as one: the typed count of those the directory has (a person written twice
/// counted once), then each marked 已离职 with its row's date and reason, and kept.
#[tokio::test]
async fn a_leave_list_marks_after_the_typed_count_and_keeps_everyone() {
    let emu = emulator().await;
    emu.store.insert_staff(people("d", 10)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, at, html) = c
        .upload_kind(
            "离职名单.csv",
            "帐号,姓名,离职日期,离职原因\nd000008,甲,2026-11-30,个人原因\nd000009,乙,,\nnobody,丙,,\nd000008,甲,2026-11-30,个人原因\nNoBody,丙,,\n"
                .into(),
            Some(&csrf),
            "leave",
        )
        .await;
    assert_eq!(count(&html, "valid"), 5, "{html}");
    assert!(
        html.contains("这会把 2 人标记为已离职(另有 1 个帐号不在通讯录中)。请输入 2 确认")
            && html.contains("data-testid=\"leave\"")
            && !html.contains("data-testid=\"delete\""),
        "{html}"
    );
    let leave = |confirm: &'static str| {
        c.http
            .post(format!("{}{at}/leave", c.base))
            .form(&[("csrf", csrf.as_str()), ("confirm", confirm)])
            .send()
    };
    assert_eq!(leave("3").await.unwrap().status(), 400);
    assert!(emu.store.person("d000008").unwrap().get("status").is_none());
    let r = leave("2").await.unwrap();
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(
        (count(&html, "left"), count(&html, "not_found")),
        (2, 1),
        "{html}"
    );
    assert_eq!(
        count(&html, "skipped"),
        2,
        "the second rows of d000008 and of nobody: {html}"
    );
    assert_eq!(emu.store.staff_count(), 12, "nobody deleted");
    let first = emu.store.person("d000008").unwrap();
    assert_eq!(
        [
            &first["status"],
            &first["quite_time"],
            &first["quite_reason"]
        ],
        ["3", "2026-11-30", "个人原因"]
    );
    assert_eq!(emu.store.person("d000009").unwrap()["status"], "3");
}

#[tokio::test]
async fn history_and_undo_in_the_console_plan_first_then_confirm() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, none) = c.page("/history").await;
    assert!(
        none.contains("data-testid=\"no-history\"") && !none.contains("/history/audit"),
        "{none}"
    );
    let sheet = "帐号,姓名,手机,部门,银行卡号\nw1,甲,13800000001,办公逸/研发部,6222000011112222\nw2,乙,13800000002,办公逸/研发部,\n";
    let (_, at, _) = c.upload("two.csv", sheet.into(), Some(&csrf)).await;
    let r = c
        .http
        .post(format!("{}{at}/import", c.base))
        .form(&[("csrf", csrf.as_str()), ("cover", "skip")])
        .send()
        .await
        .unwrap();
    wait_until_done(&c, r.url().path()).await;
    assert_eq!(emu.store.staff_count(), 4);
    let (_, list) = c.page("/history").await;
    let run = attr_after(&list, "<td><a href=\"/history/").expect("the import in the history");
    // The audit log, as `bgy history --export` writes it, from the page's link.
    assert!(
        list.contains("<a href=\"/history/audit\" data-testid=\"audit\""),
        "{list}"
    );
    let r = c
        .http
        .get(format!("{}/history/audit", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    assert!(
        r.headers()["content-disposition"]
            .to_str()
            .unwrap()
            .contains("audit-"),
        "{:?}",
        r.headers()
    );
    std::fs::write(b.path("audit.xlsx"), r.bytes().await.unwrap()).unwrap();
    let log = Sheet::read(&b.path("audit.xlsx"), "审计 Audit");
    let w1 = log.row_where("帐号 Account", "w1");
    assert_eq!(log.cell(w1, "运行 Run"), run);
    assert!(
        log.rows.iter().flatten().any(|v| v == "乙"),
        "{:?}",
        log.rows
    );
    assert!(
        !log.rows
            .iter()
            .flatten()
            .any(|v| v.contains("6222000011112222")),
        "no bank card in the audit log"
    );
    let (_, changes) = c.page(&format!("/history/{run}")).await;
    assert!(
        changes.contains(">w1<") && changes.contains("新增") && changes.contains("甲"),
        "{changes}"
    );
    assert!(
        !changes.contains("6222000011112222"),
        "no bank card on the page"
    );
    // Undo: the plan first, nothing sent.
    let r = c
        .http
        .post(format!("{}/history/{run}/undo", c.base))
        .form(&[("csrf", csrf.as_str())])
        .send()
        .await
        .unwrap();
    let plan = r.url().path().to_string();
    let html = r.text().await.unwrap();
    assert_eq!(html.matches("<td>删除</td>").count(), 2, "{html}");
    // bgy created them: it knows every field they had, and says of nothing it cannot restore.
    assert!(!html.contains("备份无法恢复"), "{html}");
    assert!(html.contains("data-testid=\"apply-undo\""));
    assert_eq!(emu.store.staff_count(), 4, "a plan sends nothing");
    let apply = |confirm: &'static str| {
        c.http
            .post(format!("{}{plan}/undo", c.base))
            .form(&[
                ("csrf", csrf.as_str()),
                ("confirm", confirm),
                ("force", "1"),
            ])
            .send()
    };
    assert_eq!(apply("1").await.unwrap().status(), 400);
    let r = apply("2").await.unwrap();
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&html, "deleted"), 2, "{html}");
    // It counts the people it changed, as the command line does; its deletes are no rows.
    assert_eq!(count(&html, "total"), 2, "{html}");
    assert!(html.contains(">改动<"), "{html}");
    // The runs list counts it the same way: its row's 总数 cell, after 撤销 and the run undone.
    let runs = c.page("/runs").await.1;
    let row = runs.split("<td>撤销</td>").nth(1).expect("the undo listed");
    let cells: Vec<&str> = row.split("<td>").skip(1).take(2).collect();
    assert!(cells[1].starts_with("2</td>"), "{cells:?}");
    assert_eq!(emu.store.staff_count(), 2, "the import is undone");
    // The backup of those it deleted, from the undo's own page.
    assert!(html.contains("data-testid=\"backup\""), "{html}");
    let undo_run = r.url().path().to_string();
    let (status, backup) = c.page(&format!("{undo_run}/backup")).await;
    assert_eq!((status, backup.starts_with("PK")), (200, true));
}
