//! The client under faults: injected failures, lost responses, servers that never answer or
//! answer nonsense, and the ticket in none of the resulting errors.

use std::time::Duration;

use axum::extract::RawQuery;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use axum::routing::any;
use bgy::api::{ApiError, Client, ClientOptions, Endpoint, Ticket};

use crate::common::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_fail_rate_every_call_eventually_succeeds_once() {
    let emu = emulator().await;
    emu.set_fail_rate(0.15);
    let c = client_for(&emu, TICKET);
    let mut lost_then_1204 = 0;
    let calls = people("f", 120).into_iter().map(|p| {
        let c = c.clone();
        async move {
            let mut form: Vec<(String, String)> = p.into_iter().collect();
            form.push(("cover".into(), "0".into()));
            c.add_staff(form).await
        }
    });
    for reply in futures::future::join_all(calls).await {
        let reply = reply.expect("every call succeeds after retries");
        match reply.errno {
            0 => {}
            // Applied, answer lost, retried: the account exists now, which is what we wanted.
            1204 => {
                assert!(reply.after_lost_response, "1204 only after a lost response");
                lost_then_1204 += 1;
            }
            other => panic!("unexpected errno {other}"),
        }
    }
    assert_eq!(emu.store.staff_count(), 122);
    assert!(
        emu.stats
            .injected_failures
            .load(std::sync::atomic::Ordering::Relaxed)
            > 0
    );
    // Listings survive the same faults.
    let all = c.staff(0, false).await.unwrap();
    assert_eq!(all.items.len(), 122);
    eprintln!("lost-then-1204: {lost_then_1204}");
}

#[tokio::test]
async fn a_server_that_never_answers_is_given_up_after_its_tries() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let _hold = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((sock, _)) = listener.accept().await {
            open.push(sock); // accept, never answer
        }
    });
    let mut o = ClientOptions::new(
        format!("http://{addr}").parse().unwrap(),
        Ticket::new(TICKET),
    );
    o.timeout = Duration::from_millis(200);
    o.tries = 3;
    o.backoff = Duration::from_millis(5);
    let started = std::time::Instant::now();
    let client = Client::new(o).unwrap();
    let e = client.departments().await.unwrap_err();
    assert!(matches!(e, ApiError::Unreachable { tries: 3, .. }), "{e:?}");
    assert_eq!(client.calls(), 3, "three tries, no more");
    assert!(e.is_fatal());
    assert!(e.to_string().contains("after 3 tries"), "{e}");
    assert!(
        started.elapsed() >= Duration::from_millis(600),
        "three timeouts were waited for"
    );
}

/// A server that misbehaves by path, echoing the request's query (and so the ticket) back.
async fn bad_server() -> String {
    async fn route(uri: axum::http::Uri, RawQuery(q): RawQuery) -> axum::response::Response {
        let q = q.unwrap_or_default();
        match uri.path() {
            p if p.ends_with("department/list") => format!("<html>oops {q}</html>").into_response(),
            p if p.ends_with("staff/list") => {
                r#"{"errno":0,"errmsg":"ok","data":{"count":"5","staff_list":[{"we_userid":"a"}]}}"#
                    .into_response()
            }
            p if p.ends_with("staff/add") => {
                (StatusCode::INTERNAL_SERVER_ERROR, format!("boom {q}")).into_response()
            }
            p if p.ends_with("staff/delete") => {
                (StatusCode::TOO_MANY_REQUESTS, format!("slow {q}")).into_response()
            }
            p if p.ends_with("editdepartment") => {
                (StatusCode::UNAUTHORIZED, format!("no {q}")).into_response()
            }
            p if p.ends_with("entry-time") => {
                format!(r#"{{"errno":"1211","errmsg":"参数错误 {q}"}}"#).into_response()
            }
            p if p.ends_with("createdepartment") => {
                format!(r#"{{"errno":4001,"errmsg":"unknown app {q}"}}"#).into_response()
            }
            _ => (StatusCode::BAD_GATEWAY, q).into_response(),
        }
    }
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let app = axum::Router::new().fallback(any(route));
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    format!("http://{addr}")
}

#[tokio::test]
async fn malformed_answers_are_errors_naming_the_endpoint() {
    let base = bad_server().await;
    let mut o = ClientOptions::new(base.parse().unwrap(), Ticket::new(TICKET));
    o.backoff = Duration::from_millis(1);
    let c = Client::new(o).unwrap();
    let e = c.departments().await.unwrap_err();
    assert!(
        matches!(
            e,
            ApiError::NotTheApi {
                endpoint: Endpoint::DepartmentList,
                ..
            }
        ),
        "{e:?}"
    );
    assert!(e.is_fatal(), "a web page instead of the API stops the run");
    assert_eq!(e.remedy(), Some(bgy::remedy::Remedy::ServerAddress));
    assert!(
        e.to_string().starts_with(
            "department/list: 这个地址上的服务器不像办公逸的 API,请检查服务器地址 (the server at this address does not answer like the 办公逸 API (HTTP 200, not JSON: <html>oops ticket=***"
        ),
        "{e}"
    );
    let e = c
        .staff(0, false)
        .await
        .unwrap()
        .complete(Endpoint::StaffList)
        .unwrap_err();
    assert!(e.to_string().contains("incomplete listing: 1 of 5"), "{e}");
}

#[tokio::test]
async fn the_ticket_is_in_no_error_display_or_debug() {
    let base = bad_server().await;
    let refused = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let a = l.local_addr().unwrap();
        drop(l);
        format!("http://{a}")
    };
    let make = |url: &str| {
        let mut o = ClientOptions::new(url.parse().unwrap(), Ticket::new(TICKET));
        o.backoff = Duration::from_millis(1);
        o.tries = 2;
        o.timeout = Duration::from_millis(300);
        Client::new(o).unwrap()
    };
    let bad = make(&base);
    let emu = emulator().await;
    let good = make(&emu.base_url());
    let mut errors: Vec<ApiError> = vec![
        bad.departments().await.unwrap_err(), // NotTheApi
        bad.staff(0, false)
            .await
            .unwrap()
            .complete(Endpoint::StaffList)
            .unwrap_err(), // Incomplete
        bad.add_staff(vec![("we_userid".into(), "x".into())])
            .await
            .unwrap_err(), // Status 500
        bad.delete_staff(&["x"]).await.unwrap_err(), // RateLimited
        bad.edit_department(2, "x").await.unwrap_err(), // Rejected (401)
        bad.create_department("x", 1).await.unwrap_err(), // Rejected (errno)
        bad.entry_time(&[])
            .await
            .unwrap()
            .into_result(Endpoint::EntryTime)
            .unwrap_err(), // Errno
        make(&refused).departments().await.unwrap_err(), // Unreachable
    ];
    // A row-level errno.
    let reply = good
        .add_staff(vec![
            ("we_userid".into(), "zhangsan".into()),
            ("cover".into(), "0".into()),
        ])
        .await
        .unwrap();
    errors.push(reply.into_result(Endpoint::StaffAdd).unwrap_err());
    // A lost response on a create: the emulator applies it, then drops the connection.
    emu.set_fail_rate(1.0);
    let mut ambiguous = None;
    for i in 0..40 {
        if let Err(e @ ApiError::Ambiguous { .. }) =
            good.create_department(&format!("d{i}"), 1).await
        {
            ambiguous = Some(e);
            break;
        }
    }
    errors.push(ambiguous.expect("a lost response within 40 tries"));
    let kinds: std::collections::BTreeSet<String> = errors
        .iter()
        .map(|e| {
            format!("{e:?}")
                .split([' ', '{'])
                .next()
                .unwrap()
                .to_string()
        })
        .collect();
    assert_eq!(kinds.len(), 8, "one of each kind: {kinds:?}");
    assert_eq!(errors.len(), 10);
    for e in &errors {
        let shown = format!("{e} | {e:?} | {e:#}");
        assert!(!shown.contains(TICKET), "ticket leaked: {shown}");
    }
}

#[tokio::test]
async fn rate_limits_calls_a_second() {
    let emu = emulator().await;
    let mut o = ClientOptions::new(emu.base_url().parse().unwrap(), Ticket::new(TICKET));
    o.rate = 20.0;
    let c = Client::new(o).unwrap();
    let started = std::time::Instant::now();
    futures::future::join_all((0..11).map(|_| c.department_page(1))).await;
    // 11 calls at 20 a second cannot take less than 10 intervals of 50 ms.
    assert!(
        started.elapsed() >= Duration::from_millis(500),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(emu.stats.calls("department/list"), 11);
}

#[tokio::test]
async fn a_429_is_retried_after_retry_after_and_halves_the_concurrency_until_it_earns_it_back() {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let hits = std::sync::Arc::new(AtomicUsize::new(0));
    let seen = hits.clone();
    let app = axum::Router::new().fallback(any(move || {
        let seen = seen.clone();
        async move {
            if seen.fetch_add(1, Ordering::SeqCst) == 0 {
                (
                    StatusCode::TOO_MANY_REQUESTS,
                    [("retry-after", "1")],
                    "slow down",
                )
                    .into_response()
            } else {
                r#"{"errno":0,"errmsg":"ok","data":{"count":"0","department_list":[]}}"#
                    .into_response()
            }
        }
    }));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
    let mut o = ClientOptions::new(
        format!("http://{addr}").parse().unwrap(),
        Ticket::new(TICKET),
    );
    o.concurrency = 8;
    o.backoff = Duration::from_millis(1);
    let c = Client::new(o).unwrap();
    let started = std::time::Instant::now();
    let page = c.department_page(1).await.expect("succeeds after the 429");
    assert_eq!(page.count, 0);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "Retry-After was honoured"
    );
    assert_eq!(hits.load(Ordering::SeqCst), 2);
    assert_eq!(c.concurrency(), 4, "halved");
    // Each 20 successes give one slot back, up to the 8 asked for and no further: the retry
    // that got through was the first.
    let succeed = |n: usize| futures::future::join_all((0..n).map(|_| c.department_page(1)));
    succeed(18).await;
    assert_eq!(c.concurrency(), 4, "not before the twentieth");
    succeed(1).await;
    assert_eq!(c.concurrency(), 5, "one back after 20 successes");
    succeed(100).await;
    assert_eq!(c.concurrency(), 8, "never past what was asked");
}

#[tokio::test]
async fn the_emulator_command_serves_the_api() {
    let dir = tempfile::tempdir().unwrap();
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        l.local_addr().unwrap().port()
    };
    let state = dir.path().join("state.sqlite");
    let mut child = bgy_command()
        .args([
            "emulator",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--state",
            state.to_str().unwrap(),
            "--ticket",
            TICKET,
        ])
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let mut o = ClientOptions::new(
        format!("http://127.0.0.1:{port}").parse().unwrap(),
        Ticket::new(TICKET),
    );
    o.backoff = Duration::from_millis(50);
    o.tries = 8;
    let c = Client::new(o).unwrap();
    let listed = c.staff(0, false).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let listed = listed.expect("the emulator answers");
    assert_eq!(listed.items.len() as i64, listed.count);
    assert!(
        listed.count >= 300,
        "seeded with the sample org: {}",
        listed.count
    );
    assert!(state.exists());
}
