//! Hostile servers: small axum apps on 127.0.0.1 inside the test process, each answering the way
//! a broken or malicious server might. bgy must stop cleanly (exit 3 where the whole run is
//! doomed), write its report, and leak the ticket nowhere. Tests are named after what broke.

use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::any;

use crate::common::*;

/// What a hostile server got: the path, the raw query and the body.
#[derive(Clone)]
struct Got {
    path: String,
    query: String,
    body: String,
}

type Handler = Arc<dyn Fn(&Got) -> Response + Send + Sync>;

/// Serves `handler` on 127.0.0.1:0; returns its URL and a count of requests per path suffix.
struct Hostile {
    url: String,
    hits: Arc<std::sync::Mutex<Vec<String>>>,
}

impl Hostile {
    async fn start(handler: impl Fn(&Got) -> Response + Send + Sync + 'static) -> Hostile {
        let handler: Handler = Arc::new(handler);
        let hits = Arc::new(std::sync::Mutex::new(Vec::new()));
        let seen = hits.clone();
        let route = move |uri: Uri, body: String| {
            let handler = handler.clone();
            let seen = seen.clone();
            async move {
                let got = Got {
                    path: uri.path().to_string(),
                    query: uri.query().unwrap_or_default().to_string(),
                    body,
                };
                seen.lock().unwrap().push(got.path.clone());
                handler(&got)
            }
        };
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let addr = listener.local_addr().unwrap();
        let app = axum::Router::new().fallback(any(route));
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        Hostile {
            url: format!("http://{addr}"),
            hits,
        }
    }

    /// A server whose listings are well formed (the root and 研发部, nobody in them) and
    /// whose every other call `writes` answers.
    async fn writes(writes: impl Fn(&Got) -> Response + Send + Sync + 'static) -> Hostile {
        Hostile::start(move |g| {
            if g.path.ends_with("department/list") {
                departments()
            } else if g.path.ends_with("staff/list") {
                no_staff()
            } else {
                writes(g)
            }
        })
        .await
    }

    fn hits(&self, suffix: &str) -> usize {
        self.hits
            .lock()
            .unwrap()
            .iter()
            .filter(|p| p.ends_with(suffix))
            .count()
    }
}

fn json(text: String) -> Response {
    ([("content-type", "application/json")], text).into_response()
}

/// A well-formed department listing: the root and 研发部.
fn departments() -> Response {
    json(
        r#"{"errno":0,"errmsg":"ok","data":{"count":"2","department_list":[
        {"we_id":"1","we_name":"办公逸","we_parentid":"0"},
        {"we_id":"2","we_name":"研发部","we_parentid":"1"}]}}"#
            .into(),
    )
}

fn no_staff() -> Response {
    json(r#"{"errno":0,"errmsg":"ok","data":{"count":"0","staff_list":[]}}"#.into())
}

fn bgy_against(url: &str, ticket: &str) -> Bgy {
    let b = Bgy::new();
    // `against` takes a running emulator; a hostile server is given by URL.
    b.base(url).ticket(ticket)
}

#[tokio::test]
async fn a_redirect_is_fatal_and_never_followed() {
    for status in [302u16, 307] {
        let elsewhere = Hostile::start(|_| departments()).await;
        let target = elsewhere.url.clone();
        let server = Hostile::start(move |g| {
            let location = format!("{target}/steal{}?{}", g.path, g.query);
            (
                StatusCode::from_u16(status).unwrap(),
                [("location", location)],
            )
                .into_response()
        })
        .await;
        let b = bgy_against(&server.url, TICKET);
        b.write("staff.csv", staff_csv("r", 2));
        let r = b.run(&["import", "staff.csv"]).await;
        r.assert_code(3);
        let host = elsewhere.url.trim_start_matches("http://");
        assert!(
            r.stderr.contains(&format!("HTTP {status}")) && r.stderr.contains(host),
            "names the status and the Location host: {}",
            r.stderr
        );
        // The option to check is the terminal's hint, not the server error's words.
        assert!(
            r.stderr.contains("检查服务器地址") && r.stderr.contains("→ --base-url / BGY_BASE_URL"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("steal") && !r.stderr.contains(TICKET));
        assert!(!r.stderr.contains(" created"), "{}", r.stderr);
        assert_eq!(elsewhere.hits(""), 0, "no request reached the other host");
        // The report of the run that was stopped is written.
        let report = the_report(b.dir.path());
        let all = read_sheet(&report, "全部 All");
        assert_eq!(all.len(), 3, "both rows are in the report");
    }
}

/// Every spelling the ticket may take in an echo: raw, form-encoded, percent-encoded in upper
/// and lower case.
fn spellings(ticket: &str) -> Vec<String> {
    let form: String = form_urlencoded::byte_serialize(ticket.as_bytes()).collect();
    let mut lower = String::new();
    let mut chars = form.chars().peekable();
    while let Some(c) = chars.next() {
        lower.push(c);
        if c == '%' {
            for _ in 0..2 {
                lower.extend(chars.next().map(|h| h.to_ascii_lowercase()));
            }
        }
    }
    let pct = form.replace('+', "%20");
    vec![ticket.to_string(), form, lower, pct]
}

#[tokio::test]
async fn the_ticket_never_leaks_from_a_server_that_echoes_everything() {
    const CANARY: &str = "LEAK~CANARY*12 34";
    let echo = |g: &Got| {
        let all = spellings(CANARY).join(" | ");
        format!("{} {} {} [{all}]", g.path, g.query, g.body)
    };
    let server = Hostile::start(move |g| {
        let said = serde_json::to_string(&echo(g)).unwrap();
        if g.path.ends_with("department/list") {
            departments()
        } else if g.path.ends_with("staff/list") {
            // The people of the dates sheet, so that their dates are sent; not those imported.
            json(
                r#"{"errno":0,"errmsg":"ok","data":{"count":"2","staff_list":[
                {"we_userid":"d0000","we_name":"甲"},{"we_userid":"d0001","we_name":"乙"}]}}"#
                    .into(),
            )
        } else if g.path.ends_with("staff/add") {
            json(format!(r#"{{"errno":1209,"errmsg":{said}}}"#))
        } else if g.path.ends_with("entry-time") {
            // Every row fails, with a message that echoes the request.
            let rows: serde_json::Value = serde_json::from_str(&g.body).unwrap();
            let failures: Vec<serde_json::Value> = rows["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|r| serde_json::json!({"we_userid": r["we_userid"], "msg": echo(g)}))
                .collect();
            json(serde_json::json!({"errno":0,"errmsg":"","data":failures}).to_string())
        } else {
            // Not JSON: the ticket starts 70 bytes in, across where a snippet is cut.
            format!("{}ticket={} {}", "x".repeat(70), CANARY, echo(g)).into_response()
        }
    })
    .await;
    let b = bgy_against(&server.url, CANARY);
    b.write("staff.csv", staff_csv("e", 3));
    b.write(
        "dates.csv",
        "帐号,入职时间\nd0000,2026-01-02\nd0001,2026-01-03\n",
    );
    let mut outputs = Vec::new();
    let r = b.run(&["import", "staff.csv"]).await;
    r.assert_code(1);
    assert!(r.stderr.contains("3 failed"), "{}", r.stderr);
    outputs.push(r);
    let r = b.run(&["times", "dates.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(server.hits("entry-time"), 1, "the dates were sent");
    outputs.push(r);
    let r = b.run(&["dept", "add", "办公逸/新部门"]).await;
    r.assert_code(3);
    assert!(r.stderr.contains("--base-url"), "{}", r.stderr);
    outputs.push(r);
    for r in &outputs {
        for text in [&r.stdout, &r.stderr] {
            assert!(
                !text.contains("CANARY"),
                "the ticket in the output:\n{text}"
            );
        }
    }
    let files = all_files(b.dir.path());
    assert!(files.len() >= 4, "reports and journals were written");
    for (path, bytes) in files {
        for text in unpacked(&path, bytes) {
            assert!(
                !text.contains("CANARY"),
                "the ticket in {}: {}",
                path.display(),
                text.chars().take(300).collect::<String>()
            );
        }
    }
}

#[tokio::test]
async fn rows_of_dates_the_server_refuses_fail_on_their_own_rows() {
    // Everyone is listed; the server refuses the dates of every account ending in 7, in
    // whichever call of 50 it comes.
    let listed: Vec<serde_json::Value> = (0..120)
        .map(|i| serde_json::json!({"we_userid": format!("t{i:03}"), "we_name": "某"}))
        .collect();
    let listing = serde_json::json!({"errno":0,"errmsg":"ok",
        "data":{"count": listed.len().to_string(), "staff_list": listed}})
    .to_string();
    let server = Hostile::start(move |g| {
        if g.path.ends_with("department/list") {
            departments()
        } else if g.path.ends_with("staff/list") {
            json(listing.clone())
        } else if g.path.ends_with("entry-time") {
            let rows: serde_json::Value = serde_json::from_str(&g.body).unwrap();
            let failures: Vec<serde_json::Value> = (rows["data"].as_array().unwrap().iter())
                .filter(|r| r["we_userid"].as_str().unwrap().ends_with('7'))
                .map(|r| serde_json::json!({"we_userid": r["we_userid"], "msg": "员工已离职"}))
                .collect();
            json(serde_json::json!({"errno":0,"errmsg":"","data":failures}).to_string())
        } else {
            (StatusCode::NOT_FOUND, "").into_response()
        }
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    let mut csv = String::from("帐号,入职时间\n");
    for i in 0..120 {
        csv.push_str(&format!("t{i:03},2026-01-02\n"));
    }
    b.write("dates.csv", csv);
    let r = b.run(&["times", "dates.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(server.hits("entry-time"), 3, "120 rows, 50 a call");
    assert_eq!(
        (r.json()["updated"].clone(), r.json()["failed"].clone()),
        (serde_json::json!(108), serde_json::json!(12))
    );
    let failed = read_sheet(&the_report(b.dir.path()), "失败 Failed");
    let (src, err) = (
        col(&failed, "源行号 Source row"),
        col(&failed, "错误 Error"),
    );
    let rows: Vec<(&str, &str)> = (failed[1..].iter())
        .map(|r| (r[0].as_str(), r[src].as_str()))
        .collect();
    let expected: Vec<(String, String)> = (0..120)
        .filter(|i| i % 10 == 7)
        .map(|i| (format!("t{i:03}"), (i + 2).to_string()))
        .collect();
    let expected: Vec<(&str, &str)> = (expected.iter())
        .map(|(a, r)| (a.as_str(), r.as_str()))
        .collect();
    assert_eq!(rows, expected);
    assert!(
        failed[1..].iter().all(|r| r[err].contains("员工已离职")),
        "{failed:?}"
    );
}

/// A listing that says 5 people and gives 1 cannot say someone is not there: a check of dates
/// warns of the account it lacks, and does not fail the row (a whole listing would).
#[tokio::test]
async fn an_incomplete_listing_fails_no_row_of_dates_for_an_account_it_lacks() {
    let server = Hostile::start(|g| {
        if g.path.ends_with("department/list") {
            departments()
        } else if g.path.ends_with("staff/list") {
            json(
                r#"{"errno":0,"errmsg":"ok","data":{"count":"5","staff_list":[
                {"we_userid":"d0000","we_name":"甲"}]}}"#
                    .into(),
            )
        } else {
            (StatusCode::NOT_FOUND, "").into_response()
        }
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    b.write(
        "dates.csv",
        "帐号,入职时间\nd0000,2026-01-02\nd0009,2026-01-03\n",
    );
    let r = b.run(&["check", "dates.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(
        (r.json()["ok"].clone(), r.json()["invalid"].clone()),
        (serde_json::json!(2), serde_json::json!(0)),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("warning: 帐号: 帐号不在通讯录中"),
        "{}",
        r.stderr
    );
}

/// A listing that says 5 people and gives 2 cannot say who is missing from the sheet: a sync
/// that would prune (delete, or mark as leavers) refuses before it sends anything, `--force`
/// or not (that is for the guard's 20 %).
#[tokio::test]
async fn an_incomplete_listing_is_never_pruned_from() {
    let server = Hostile::start(|g| {
        if g.path.ends_with("department/list") {
            departments()
        } else if g.path.ends_with("staff/list") && g.query.contains("page=1") {
            json(
                r#"{"errno":0,"errmsg":"ok","data":{"count":"5","staff_list":[
                {"we_userid":"a0001","we_name":"甲","we_mobile":"13800000001","we_department":"2"},
                {"we_userid":"a0002","we_name":"乙","we_mobile":"13800000002","we_department":"2"}]}}"#
                    .into(),
            )
        } else if g.path.ends_with("staff/list") {
            json(r#"{"errno":0,"errmsg":"ok","data":{"count":"5","staff_list":[]}}"#.into())
        } else {
            json(r#"{"errno":0,"errmsg":"ok","data":{}}"#.into())
        }
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    b.write(
        "people.csv",
        "帐号,姓名,手机,部门\na0001,甲,13800000001,办公逸/研发部\n",
    );
    for how in [&["--prune"][..], &["--prune-mode", "leave"]] {
        let args = [&["sync", "people.csv", "--yes", "--force"][..], how].concat();
        let r = b.run(&args).await;
        r.assert_code(2);
        assert!(
            r.stderr.contains("员工列表不完整") && r.stderr.contains("refusing to prune"),
            "{how:?}: {}",
            r.stderr
        );
    }
    assert_eq!(
        (server.hits("staff/delete"), server.hits("staff/add")),
        (0, 0),
        "nothing is sent from an incomplete listing"
    );
    // Without a prune the same listing is enough for a sync: a2 is not in the sheet, and is
    // left alone.
    b.run(&["sync", "people.csv", "--yes"]).await.assert_code(0);
    assert_eq!(server.hits("staff/delete"), 0);
}

/// A file's texts: each part of a zip (xlsx) inflated, or the file itself.
fn unpacked(path: &std::path::Path, bytes: Vec<u8>) -> Vec<String> {
    if !bytes.starts_with(b"PK") {
        return vec![String::from_utf8_lossy(&bytes).into_owned()];
    }
    let mut zip = zip::ZipArchive::new(std::io::Cursor::new(bytes))
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (0..zip.len())
        .map(|i| {
            let mut text = String::new();
            std::io::Read::read_to_string(&mut zip.by_index(i).unwrap(), &mut text).unwrap();
            text
        })
        .collect()
}

#[tokio::test]
async fn hostile_listings_neither_loop_nor_allocate_from_count() {
    // A department that is its own parent (we_id 0), a circle, an orphan; and a staff count
    // of two billion with nothing after page 1.
    let server = Hostile::start(|g| {
        if g.path.ends_with("department/list") {
            json(
                r#"{"errno":0,"errmsg":"ok","data":{"count":"6","department_list":[
                {"we_id":"1","we_name":"办公逸","we_parentid":"0"},
                {"we_id":"0","we_name":"自己","we_parentid":"0"},
                {"we_id":"5","we_name":"甲","we_parentid":"6"},
                {"we_id":"6","we_name":"乙","we_parentid":"5"},
                {"we_id":"7","we_name":"孤儿","we_parentid":"99"},
                {"we_id":"2","we_name":"研发部","we_parentid":"1"}]}}"#
                    .into(),
            )
        } else if g.query.contains("page=1") && !g.query.contains("page=1000") {
            json(
                r#"{"errno":0,"errmsg":"ok","data":{"count":"2000000000","staff_list":[
                {"we_userid":"a","we_name":"甲","we_department":"2"}]}}"#
                    .into(),
            )
        } else {
            no_staff()
        }
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    let started = Instant::now();
    let r = b.run(&["dept", "list"]).await;
    r.assert_code(3);
    assert!(r.stderr.contains("incomplete listing"), "{}", r.stderr);
    for name in [
        "\"自己\" [we_id 0]",
        "\"甲\" [we_id 5]",
        "\"乙\" [we_id 6]",
        "\"孤儿\" [we_id 7]",
    ] {
        assert!(r.stderr.contains(name), "{name} named: {}", r.stderr);
    }
    let r = b.run(&["export", "-o", "all.xlsx"]).await;
    r.assert_code(3);
    assert!(!b.path("all.xlsx").exists(), "no partial export");
    // The rows streamed to a file beside it are gone, and an earlier export is left whole.
    b.write("old.csv", "an earlier export");
    b.run(&["export", "-o", "old.csv"]).await.assert_code(3);
    assert_eq!(
        std::fs::read_to_string(b.path("old.csv")).unwrap(),
        "an earlier export"
    );
    let left: Vec<_> = std::fs::read_dir(b.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.contains("partial"))
        .collect();
    assert!(left.is_empty(), "{left:?}");
    assert!(started.elapsed() < Duration::from_secs(20));
    assert!(
        server.hits("staff/list") < 40,
        "paging stopped at the first empty page: {} calls",
        server.hits("staff/list")
    );
}

#[tokio::test]
async fn a_tree_with_cycles_is_listed_whole() {
    let server = Hostile::start(|g| {
        if g.path.ends_with("department/list") {
            json(
                r#"{"errno":0,"errmsg":"ok","data":{"count":"4","department_list":[
                {"we_id":"1","we_name":"办公逸","we_parentid":"0"},
                {"we_id":"0","we_name":"自己","we_parentid":"0"},
                {"we_id":"5","we_name":"甲","we_parentid":"6"},
                {"we_id":"6","we_name":"乙","we_parentid":"5"}]}}"#
                    .into(),
            )
        } else {
            no_staff()
        }
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    let r = b.run(&["dept", "list", "--json"]).await;
    r.assert_code(0);
    let names: Vec<String> = r.json()["departments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(names, ["办公逸", "自己", "甲", "乙"]);
    assert!(r.stderr.contains("its own parent"), "{}", r.stderr);
}

#[tokio::test]
async fn a_long_server_message_still_gets_its_report() {
    let server = Hostile::writes(|_| {
        let long = "长".repeat(40_000);
        json(format!(r#"{{"errno":1209,"errmsg":"{long}"}}"#))
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    b.write("staff.csv", staff_csv("l", 2));
    let r = b.run(&["import", "staff.csv"]).await;
    r.assert_code(1);
    for line in r.stderr.lines() {
        assert!(
            line.chars().count() <= 310,
            "a stderr line of {} chars",
            line.chars().count()
        );
    }
    let report = the_report(b.dir.path());
    let failed = read_sheet(&report, "失败 Failed");
    let error = &failed[1][col(&failed, "错误 Error")];
    assert!(error.starts_with("errno 1209: 长长"), "{}", &error[..40]);
    assert!(error.chars().count() <= 32_767);
    for entry in journal_entries(b.dir.path()) {
        assert!(
            entry.to_string().len() <= 4096 + 200,
            "a journal line is cut"
        );
    }

    // 50 MB in one message: the same, and quickly.
    let huge = Hostile::start(|g| {
        if g.path.ends_with("department/list") {
            (
                [("content-type", "application/json")],
                format!(r#"{{"errno":4001,"errmsg":"{}"}}"#, "x".repeat(50 << 20)),
            )
                .into_response()
        } else {
            no_staff()
        }
    })
    .await;
    let b = bgy_against(&huge.url, TICKET);
    let r = b.run(&["dept", "list"]).await;
    r.assert_code(3);
    assert!(
        r.stderr.len() < 2000,
        "stderr holds {} bytes",
        r.stderr.len()
    );
}

#[tokio::test]
async fn a_retry_after_longer_than_a_minute_is_fatal() {
    let server = Hostile::start(|_| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "99999")],
            "slow down",
        )
            .into_response()
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    let started = Instant::now();
    let r = b.run(&["dept", "list"]).await;
    r.assert_code(3);
    assert!(r.stderr.contains("99999 s"), "{}", r.stderr);
    assert!(r.stderr.contains("→ --rate / BGY_RATE"), "{}", r.stderr);
    assert!(started.elapsed() < Duration::from_secs(10), "no long wait");
}

#[tokio::test]
async fn a_server_that_rate_limits_every_call_stops_the_run() {
    let server = Hostile::writes(|_| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "0")],
            "slow down",
        )
            .into_response()
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    b.write("staff.csv", staff_csv("q", 30));
    let r = b.run(&["import", "staff.csv", "--json"]).await;
    r.assert_code(3);
    let j = r.json();
    assert_eq!(j["total"], 30);
    assert!(r.stderr.contains("rate limited"), "{}", r.stderr);
    // Stopped at the first row that ran out of tries, not after all thirty.
    assert!(
        server.hits("staff/add") < 30 * 5,
        "{} calls",
        server.hits("staff/add")
    );
}

/// SPEC: an errno whose message says 频率 (frequency, limit) is the server slowing bgy down, not
/// a row's failure: the row is tried again. This server says so to each account's first add.
#[tokio::test]
async fn an_errno_that_says_too_frequent_is_retried_not_a_row_failure() {
    let told = Arc::new(std::sync::Mutex::new(std::collections::HashSet::new()));
    let server = Hostile::writes(move |g| {
        let account = form_urlencoded::parse(g.body.as_bytes())
            .find(|(k, _)| k == "we_userid")
            .map(|(_, v)| v.into_owned())
            .unwrap_or_default();
        if told.lock().unwrap().insert(account) {
            json(r#"{"errno":1299,"errmsg":"调用频率过高,请稍后再试"}"#.into())
        } else {
            json(r#"{"errno":0,"errmsg":"ok","data":{"id":"7"}}"#.into())
        }
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    b.write("staff.csv", staff_csv("f", 6));
    let r = b.run(&["import", "staff.csv", "--json"]).await;
    r.assert_code(0);
    let j = r.json();
    assert_eq!(
        (j["created"].as_u64(), j["failed"].as_u64()),
        (Some(6), Some(0)),
        "{j}"
    );
    assert_eq!(server.hits("staff/add"), 12, "each row tried again once");
}

/// A rename the server refused with an errno was answered: the history does not keep it as a
/// call that may have taken effect, for `bgy history` to count and an undo to look for.
#[tokio::test]
async fn a_rename_refused_with_an_errno_is_not_left_unanswered() {
    let server = Hostile::writes(|_| {
        json(r#"{"errno":1210,"errmsg":"部门操作失败: 同级已有同名部门"}"#.into())
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    let r = b.run(&["dept", "rename", "办公逸/研发部", "技术部"]).await;
    assert_ne!(r.code, 0, "{}", r.stderr);
    assert!(r.stderr.contains("1210"), "{}", r.stderr);
    assert_eq!(server.hits("department/editdepartment"), 1);
    let runs = b.run(&["history", "--json"]).await.json();
    assert_eq!(runs["runs"][0]["command"], "dept rename", "{runs}");
    assert_eq!(runs["runs"][0]["unanswered"], 0, "{runs}");
}

#[tokio::test]
async fn ctrl_c_ends_a_retry_after_wait_at_once() {
    let server = Hostile::writes(|_| {
        (
            StatusCode::TOO_MANY_REQUESTS,
            [("retry-after", "50")],
            "slow down",
        )
            .into_response()
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    b.write("staff.csv", staff_csv("c", 5));
    let child = b.spawn(&["import", "staff.csv"]);
    let waited = Instant::now();
    while server.hits("staff/add") == 0 {
        assert!(waited.elapsed() < Duration::from_secs(20), "no call came");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    interrupt(child).await;
    let report = the_report(b.dir.path());
    let all = read_sheet(&report, "全部 All");
    assert_eq!(all.len(), 6, "every row is in the report");
    assert!(
        !journal_entries(b.dir.path()).is_empty()
            || all[1..]
                .iter()
                .all(|r| r.iter().any(|c| c.contains("未发送")))
    );
}

#[tokio::test]
async fn a_web_page_instead_of_the_api_is_fatal_with_a_hint_and_a_report() {
    let server = Hostile::start(|_| {
        (StatusCode::NOT_FOUND, "<html><body>Not Found</body></html>").into_response()
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    b.write("staff.csv", staff_csv("h", 2));
    let r = b.run(&["import", "staff.csv"]).await;
    r.assert_code(3);
    assert!(
        r.stderr.contains("HTTP 404") && r.stderr.contains("--base-url"),
        "{}",
        r.stderr
    );
    the_report(b.dir.path());
    let html = Hostile::start(|_| "<html>portal</html>".into_response()).await;
    let b = bgy_against(&html.url, TICKET);
    b.write("staff.csv", staff_csv("h", 2));
    let r = b.run(&["check", "staff.csv"]).await;
    r.assert_code(3);
    assert!(
        r.stderr.contains("not JSON") && r.stderr.contains("--base-url"),
        "{}",
        r.stderr
    );
    the_report(b.dir.path());
}

#[tokio::test]
async fn ctrl_c_ends_a_rate_wait_at_once() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("staff.csv", staff_csv("w", 6));
    // One call every 5 s: after the listings, each row waits its turn.
    let child = b.spawn(&["--rate", "0.2", "import", "staff.csv"]);
    tokio::time::sleep(Duration::from_millis(1500)).await;
    interrupt(child).await;
    let all = read_sheet(&the_report(b.dir.path()), "全部 All");
    let not_sent = all
        .iter()
        .filter(|r| r.iter().any(|c| c.contains("未发送")))
        .count();
    assert!(
        not_sent >= 5,
        "the rows still waiting were not sent: {all:?}"
    );
}

/// Whether `bgy args` asked for the first page of people while the departments were still
/// coming: against a server that answers the department list only once that page is asked
/// for (or after 5 s). `shows` is what its stderr must say.
async fn asks_for_people_beside_departments(
    files: &[(&str, String)],
    args: &[&str],
    shows: &str,
) -> bool {
    use std::sync::atomic::{AtomicBool, Ordering};
    let people_asked = Arc::new(AtomicBool::new(false));
    let asked_before_departments = Arc::new(AtomicBool::new(false));
    let (people, before) = (people_asked.clone(), asked_before_departments.clone());
    let server = Hostile::start(move |g| {
        if g.path.ends_with("department/list") {
            // The server's other connections go on meanwhile, on another thread.
            tokio::task::block_in_place(|| {
                let waited = Instant::now();
                while !people.load(Ordering::SeqCst) && waited.elapsed() < Duration::from_secs(5) {
                    std::thread::sleep(Duration::from_millis(5));
                }
            });
            before.store(people.load(Ordering::SeqCst), Ordering::SeqCst);
            departments()
        } else {
            people.store(true, Ordering::SeqCst);
            no_staff()
        }
    })
    .await;
    let b = bgy_against(&server.url, TICKET);
    for (name, text) in files {
        b.write(name, text.clone());
    }
    let r = b.run(args).await;
    r.assert_code(0);
    assert!(r.stderr.contains(shows), "{}", r.stderr);
    asked_before_departments.load(Ordering::SeqCst)
}

/// A check online, and an export of everyone, ask for the first page of people while the
/// departments are still coming: one round trip less before the listing.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_first_page_of_people_is_asked_for_while_the_departments_come() {
    let sheet = [("staff.csv", staff_csv("p", 2))];
    assert!(
        asks_for_people_beside_departments(&sheet, &["check", "staff.csv"], "2 valid").await,
        "check: the first page of people was asked for only once the departments were in"
    );
    assert!(
        asks_for_people_beside_departments(&[], &["export", "-o", "all.xlsx"], "all.xlsx").await,
        "export: the first page of people was asked for only once the departments were in"
    );
}

/// A server that rejects the console's ticket: the run page says what to do in the page's
/// language (ask IT), and names no command-line option in either.
#[tokio::test]
async fn a_rejected_ticket_in_the_console_is_told_without_options() {
    let server = Hostile::start(|_| (StatusCode::UNAUTHORIZED, "no").into_response()).await;
    let b = bgy_against(&server.url, TICKET);
    let (c, csrf) = crate::web::Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, at, _) = c
        .upload("staff.csv", staff_csv("t", 3).into_bytes(), Some(&csrf))
        .await;
    let mut html = String::new();
    for _ in 0..100 {
        html = c.page(&at).await.1;
        if !html.contains("data-testid=\"progress\"") && html.contains("data-status=\"fatal\"") {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert!(html.contains("data-status=\"fatal\""), "{html}");
    assert!(
        html.contains("请让 IT 检查控制台启动时设置的 ticket"),
        "{html}"
    );
    let english = c.page(&format!("/lang/en?back={at}")).await.1;
    assert!(english.contains("ask IT to check the ticket"), "{english}");
    for page in [&html, &english] {
        for option in ["--ticket", "BGY_TICKET", "--base-url"] {
            assert!(!page.contains(option), "{option} on a page: {page}");
        }
        assert!(!page.contains(TICKET), "the ticket on a page");
    }
}
