//! Ctrl-C, SIGTERM (kill, timeout, systemctl stop) and SIGHUP (the terminal closed) end a run
//! the same way: a run that sends finishes its calls in flight and writes its report, journal
//! and history; a second signal, or the first in a run that sends nothing, quits at once and
//! leaves no empty or partial file behind; the console stops its runs cleanly before it ends.
//! A signal ignored when bgy started (`nohup`) stays ignored.

use std::time::Duration;

use crate::common::*;
use crate::console_runs::{importing, status};
use crate::web::{wait_until_done, Console};

/// The report-like files in `dir`: reports, and the partial files of a save.
fn reports(dir: &std::path::Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.ends_with(".xlsx") || n.contains("partial"))
        .collect()
}

/// Sends SIGTERM to `child` and waits for it to end, at most `limit` (then kills it and fails):
/// how it ended.
async fn terminated(child: &mut std::process::Child, limit: Duration) -> std::process::ExitStatus {
    send_signal(child, "TERM");
    let sent = std::time::Instant::now();
    loop {
        if let Some(exit) = child.try_wait().unwrap() {
            return exit;
        }
        if sent.elapsed() > limit {
            child.kill().unwrap();
            panic!("still running {limit:?} after SIGTERM");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_an_import_as_ctrl_c_does_and_everything_says_why() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(40));
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("t", 100));
    let child = bgy.spawn(&["--concurrency", "2", "import", "s.csv", "--json"]);
    wait_for_journal(bgy.dir.path(), 6).await;
    let out = signal(child, "TERM").await;
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("SIGTERM: finishing the calls in flight"),
        "{stderr}"
    );
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let created = summary["created"].as_u64().unwrap() as usize;
    assert!(created < 100, "{summary}");
    assert_eq!(emu.store.staff_count() as usize, 2 + created);
    let report = the_report(bgy.dir.path());
    assert_eq!(read_sheet(&report, "全部 All").len(), 101, "every row");
    let failed = read_sheet(&report, "失败 Failed");
    assert_eq!(failed.len() - 1, 100 - created, "the rest, to run again");
    assert!(
        failed[1][col(&failed, "错误 Error")].contains("SIGTERM"),
        "{:?}",
        failed[1]
    );
    let shown = bgy.run(&["history", "--json"]).await.json();
    assert_eq!(shown["runs"][0]["status"], "interrupted", "{shown}");
    assert!(
        !bgy.run(&["history"])
            .await
            .stderr
            .contains("had been stopped"),
        "the run ended itself: nothing is left for the next one to settle"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_closed_terminal_stops_a_run_unless_it_was_started_with_nohup() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(40));
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("h", 100));
    let child = bgy.spawn(&["--concurrency", "2", "import", "s.csv"]);
    wait_for_journal(bgy.dir.path(), 6).await;
    signal(child, "HUP").await;
    let failed = read_sheet(&the_report(bgy.dir.path()), "失败 Failed");
    assert!(
        failed[1][col(&failed, "错误 Error")].contains("SIGHUP"),
        "{:?}",
        failed[1]
    );
    // As `nohup` starts it: SIGHUP ignored, and so it stays.
    let before = emu.store.staff_count();
    bgy.write("n.csv", staff_csv("n", 60));
    let mut command = bgy.command(&["--concurrency", "2", "-q", "import", "n.csv"]);
    // SAFETY: sets one signal's disposition in the child before it runs bgy; nothing else.
    unsafe {
        std::os::unix::process::CommandExt::pre_exec(&mut command, || {
            libc::signal(libc::SIGHUP, libc::SIG_IGN);
            Ok(())
        });
    }
    let child = command
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    while emu.store.staff_count() < before + 6 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    send_signal(&child, "HUP");
    ended(child, 0).await;
    assert_eq!(
        emu.store.staff_count(),
        before + 60,
        "it went on to the end"
    );
}

#[tokio::test]
async fn a_check_or_a_plan_cut_off_by_a_signal_leaves_no_empty_report() {
    let emu = emulator().await;
    // The listing is slow: the signal comes while the report's name is taken and empty.
    emu.set_latency(Duration::from_secs(3));
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("c", 20));
    for (command, name) in [("check", "INT"), ("plan", "TERM")] {
        let child = bgy.spawn(&[command, "s.csv"]);
        for _ in 0..100 {
            if reports(bgy.dir.path())
                .iter()
                .any(|n| n.contains(".report-"))
            {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        assert!(
            !reports(bgy.dir.path()).is_empty(),
            "{command} takes its report's name first"
        );
        let out = signal(child, name).await;
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("stopped at once"),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert_eq!(
            reports(bgy.dir.path()),
            Vec::<String>::new(),
            "{command}: no empty report left after SIG{name}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_second_signal_quits_at_once_and_a_resume_sends_the_rest_once() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(40));
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("q", 100));
    let child = bgy.spawn(&["--concurrency", "2", "import", "s.csv"]);
    wait_for_journal(bgy.dir.path(), 6).await;
    // The calls in flight are applied and never answered: the first signal waits for them.
    emu.set_hold(Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(200)).await;
    send_signal(&child, "TERM");
    tokio::time::sleep(Duration::from_millis(300)).await;
    let out = signal(child, "INT").await;
    assert!(
        String::from_utf8_lossy(&out.stderr).contains("Ctrl-C: 已中断 (stopped at once)"),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        reports(bgy.dir.path()),
        Vec::<String>::new(),
        "the report's name, never written, is not left as an empty workbook"
    );
    let done = journal_entries(bgy.dir.path()).len();
    assert!(done > 0 && done < 100, "{done}");
    emu.set_hold(Duration::ZERO);
    emu.stats.reset();
    let landed = emu.store.staff_count() as usize - 2;
    let r = bgy.run(&["import", "s.csv", "--resume", "--json"]).await;
    r.assert_code(0);
    assert_eq!(emu.store.staff_count(), 2 + 100);
    assert_eq!(
        emu.stats.calls("staff/add") as usize,
        100 - landed,
        "nothing the cut-off run had sent is sent again"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_console_after_its_runs_write_their_reports() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(25));
    let b = Bgy::new().against(&emu);
    let args = ["--data", "runs", "--concurrency", "2"];
    let (c, _, run, dir) = importing(&b, &args, "s", 20).await;
    let mut c = c;
    let exit = terminated(&mut c.child, Duration::from_secs(5)).await;
    assert_eq!(exit.code(), Some(0), "a clean stop");
    let said: Vec<String> = std::iter::from_fn(|| c.line(Duration::from_millis(200))).collect();
    assert!(
        said.iter().any(|l| l.contains("bgy serve: stopping")),
        "{said:?}"
    );
    // The run ended itself: interrupted, with its report, and nothing for the next console
    // to settle.
    let (c, _) = Console::signed_in(&b, &args).await;
    let said: Vec<String> = std::iter::from_fn(|| c.line(Duration::from_millis(300))).collect();
    assert!(!said.iter().any(|l| l.contains("cut off")), "{said:?}");
    let html = wait_until_done(&c, &run).await;
    assert_eq!(status(&html), "interrupted", "{html}");
    assert!(html.contains("控制台已关闭"), "says why: {html}");
    assert!(
        html.contains("<h2>未发送的行 ("),
        "the rows left are not sent, not failed: {html}"
    );
    assert!(dir.join("report.xlsx").metadata().unwrap().len() > 0);
}

/// The console's scheduled run runs on a thread of its own: stopping the console ended the
/// scheduler's task and left that run sending (or cut it off when the process ended). It is
/// stopped now as the runs people start are.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_stops_the_consoles_scheduled_run_too() {
    use crate::unattended::{directory, robot, runs, settings, sheet};
    let emu = directory(20).await;
    emu.set_latency(Duration::from_millis(100));
    let (_robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 1000");
    let toml = std::fs::read_to_string(bgy.path("bgy.toml")).unwrap();
    bgy.write(
        "bgy.toml",
        toml.replace("cron = \"0 30 2 * * *\"", "cron = \"* * * * * *\""),
    );
    let newcomers: Vec<String> = (0..40)
        .map(|i| format!("n{i:03},新人{i},1390000{i:04},2"))
        .collect();
    let newcomers: Vec<&str> = newcomers.iter().map(String::as_str).collect();
    bgy.write("hr/花名册-1.csv", sheet(0..20, &newcomers));
    let mut c = Console::start(&bgy, &["--data", "runs", "--concurrency", "1"]);
    while emu.store.staff_count() < 20 + 3 {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let exit = terminated(&mut c.child, Duration::from_secs(3)).await;
    assert_eq!(exit.code(), Some(0));
    assert!(
        emu.store.staff_count() < 20 + 40,
        "stopped, not run to its end"
    );
    // It ended itself, with its report: nothing left for the next bgy to settle.
    assert!(
        !bgy.run(&["history"])
            .await
            .stderr
            .contains("had been stopped"),
        "the scheduled run was cut off, not stopped"
    );
    let scheduled = runs(&bgy).await;
    assert_eq!(scheduled[0]["who"], "schedule", "{scheduled:?}");
    assert_eq!(scheduled[0]["status"], "interrupted", "{scheduled:?}");
    let report = std::fs::read_dir(bgy.path(".bgy/schedule"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .find(|p| p.to_string_lossy().ends_with(".xlsx"))
        .expect("the scheduled run's report");
    let failed = read_sheet(&report, "失败 Failed");
    assert!(
        failed[1][col(&failed, "错误 Error")].contains("控制台已关闭"),
        "{:?}",
        failed[1]
    );
}

/// `bgy delete` at a terminal asks to type the count; a signal at that prompt, where nothing
/// was sent, used to wait for the answer ("finishing the calls in flight") until a second one.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signal_at_the_confirmation_ends_bgy_at_once_and_deletes_nothing() {
    use std::io::Read;
    use std::os::fd::FromRawFd;
    let emu = emulator().await;
    emu.store.insert_staff(people("d", 20)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.write("leavers.csv", "帐号\nd000001\nd000002\n");
    // A terminal for its stdin, as a person runs it, so that it asks.
    let (mut terminal, mut its_end) = (0, 0);
    // SAFETY: openpty writes the two descriptors it opens; the others may be null.
    let opened = unsafe {
        libc::openpty(
            &mut terminal,
            &mut its_end,
            std::ptr::null_mut(),
            std::ptr::null(),
            std::ptr::null(),
        )
    };
    assert_eq!(opened, 0, "a pseudo-terminal");
    let mut command = bgy.command(&["delete", "leavers.csv"]);
    // SAFETY: `its_end` was just opened, and is the child's stdin alone from here.
    let stdin = unsafe { std::process::Stdio::from_raw_fd(its_end) };
    let mut child = command
        .stdin(stdin)
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The prompt ends without a newline: read what comes, as it comes.
    let said = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let mut stderr = child.stderr.take().unwrap();
    let into = said.clone();
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        while let Ok(n) = stderr.read(&mut buf) {
            if n == 0 {
                break;
            }
            into.lock().unwrap().extend_from_slice(&buf[..n]);
        }
    });
    let asked = || String::from_utf8_lossy(&said.lock().unwrap()).contains("Type 2 to go on");
    for _ in 0..200 {
        if asked() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(
        asked(),
        "{}",
        String::from_utf8_lossy(&said.lock().unwrap())
    );
    let exit = terminated(&mut child, Duration::from_secs(3)).await;
    assert_eq!(exit.code(), Some(130), "not waiting at the prompt");
    // SAFETY: the terminal's side this test opened, closed once.
    unsafe { libc::close(terminal) };
    assert_eq!(emu.store.staff_count(), 22, "nothing deleted");
    assert_eq!(
        reports(bgy.dir.path()),
        Vec::<String>::new(),
        "no report, no backup"
    );
    assert!(
        crate::unattended::runs(&bgy).await.is_empty(),
        "no run in the history: it never began"
    );
}
