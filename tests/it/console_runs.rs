//! The console keeps the command line's promises about runs: one sender per working directory
//! (whoever starts it), a run cut off by a kill can be resumed, a Stop stops its own run only,
//! a full disk ends a run as failed and loses nothing, and a history emptied behind its back
//! is said. Named after what broke.

use std::time::Duration;

use crate::common::*;
use crate::web::{attr_after, count, wait_until_done, Console};

/// POSTs a form of the console's.
pub async fn post(c: &Console, path: &str, form: &[(&str, &str)]) -> reqwest::Response {
    c.http
        .post(format!("{}{path}", c.base))
        .form(form)
        .send()
        .await
        .unwrap()
}

/// POSTs a removal's typed count `n` to `path` (a delete, a plan's sync), with the box that
/// allows more than a fifth of the directory ticked when `force`.
pub async fn confirmed(
    c: &Console,
    path: &str,
    csrf: &str,
    n: &str,
    force: bool,
) -> reqwest::Response {
    let mut form = vec![("csrf", csrf), ("confirm", n)];
    if force {
        form.push(("force", "1"));
    }
    post(c, path, &form).await
}

/// The `data-status` of a run's page.
pub fn status(html: &str) -> String {
    attr_after(html, "data-status=\"").expect("a status")
}

/// Journal lines written so far in a run's folder.
fn journaled(dir: &std::path::Path) -> usize {
    std::fs::read_to_string(dir.join("report.journal.jsonl"))
        .map(|t| t.lines().count().saturating_sub(1))
        .unwrap_or(0)
}

fn run_dir(b: &Bgy, page: &str) -> std::path::PathBuf {
    b.path("runs").join(page.rsplit('/').next().unwrap())
}

#[tokio::test]
async fn two_consoles_on_one_directory_send_each_row_once() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(20));
    let b = Bgy::new().against(&emu);
    let args = ["--data", "runs", "--concurrency", "2"];
    let (one, csrf_one) = Console::signed_in(&b, &args).await;
    let (two, csrf_two) = Console::signed_in(&b, &args).await;
    let (_, checked, _) = one
        .upload(
            "many.csv",
            staff_csv("d", 150).into_bytes(),
            Some(&csrf_one),
        )
        .await;
    // The same checked run, imported from both consoles at once.
    let form = |csrf: &str| vec![("csrf", csrf.to_string()), ("cover", "skip".to_string())];
    let (a, b_) = tokio::join!(
        one.http
            .post(format!("{}{checked}/import", one.base))
            .form(&form(&csrf_one))
            .send(),
        two.http
            .post(format!("{}{checked}/import", two.base))
            .form(&form(&csrf_two))
            .send(),
    );
    let (a, b_) = (a.unwrap(), b_.unwrap());
    let mut statuses = [a.status().as_u16(), b_.status().as_u16()];
    statuses.sort();
    assert_eq!(statuses, [200, 409], "one sends, the other is refused");
    let (running, refused, runner) = if a.status() == 409 {
        (b_, a, &two)
    } else {
        (a, b_, &one)
    };
    let run = running.url().path().to_string();
    let text = refused.text().await.unwrap();
    // The home page of the console that sends names its run while it sends, and not after.
    let home = || async { runner.page("/").await.1 };
    let notice = format!("有一个运行正在修改通讯录: <a href=\"{run}\">");
    assert!(home().await.contains(&notice), "{notice}");
    assert!(
        text.contains("另一个运行正在修改通讯录")
            && text.contains(run.trim_start_matches("/runs/")),
        "names who holds it: {text}"
    );
    // The command line on the same folder is refused too.
    b.write("cli.csv", staff_csv("c", 3));
    let cli = b.run(&["import", "cli.csv"]).await;
    cli.assert_code(2);
    assert!(
        cli.stderr.contains("another bgy run is sending")
            && cli.stderr.contains("另一个 bgy 正在向同一通讯录(记录在 ")
            && cli.stderr.contains("bgy serve: import"),
        "{}",
        cli.stderr
    );
    let html = wait_until_done(runner, &run).await;
    assert_eq!(count(&html, "created"), 150, "{html}");
    assert!(!home().await.contains("有一个运行正在修改通讯录"));
    assert_eq!(emu.stats.calls("staff/add"), 150, "each row sent once");
    // One run in the history.
    let history = b.run(&["history", "--json"]).await.json();
    let imports = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["command"] == "import")
        .count();
    assert_eq!(imports, 1, "{history}");
}

/// A console on `b` (`args`) importing 300 new people `{prefix}NNNN`, once `rows` of them are
/// journaled: the console, its CSRF token, the run's page and the run's folder.
pub async fn importing(
    b: &Bgy,
    args: &[&str],
    prefix: &str,
    rows: usize,
) -> (Console, String, String, std::path::PathBuf) {
    let (c, csrf) = Console::signed_in(b, args).await;
    let (_, checked, _) = c
        .upload("many.csv", staff_csv(prefix, 300).into_bytes(), Some(&csrf))
        .await;
    let r = post(
        &c,
        &format!("{checked}/import"),
        &[("csrf", &csrf), ("cover", "skip")],
    )
    .await;
    let run = r.url().path().to_string();
    let dir = run_dir(b, &run);
    for _ in 0..200 {
        if journaled(&dir) >= rows {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (c, csrf, run, dir)
}

#[tokio::test]
async fn a_console_killed_mid_import_leaves_a_run_to_resume_and_nothing_is_sent_twice() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(25));
    let b = Bgy::new().against(&emu);
    let args = ["--data", "runs", "--concurrency", "2"];
    let (c, _, run, dir) = importing(&b, &args, "k", 40).await;
    // The calls in flight are applied and their answers held: the kill cuts them off.
    emu.set_hold(Duration::from_secs(60));
    tokio::time::sleep(Duration::from_millis(300)).await;
    // kill -9.
    let mut c = c;
    c.child.kill().unwrap();
    c.child.wait().unwrap();
    let done = journaled(&dir);
    assert!(done > 0 && done < 300, "killed halfway: {done}");
    // The history does not say it is still running.
    let shown = b.run(&["history", "--json"]).await.json();
    assert_eq!(shown["runs"][0]["status"], "interrupted", "{shown}");
    // A new console: the run is interrupted, with Resume.
    let (c, csrf) = Console::signed_in(&b, &args).await;
    let (_, html) = c.page(&run).await;
    assert_eq!(status(&html), "interrupted", "{html}");
    assert!(html.contains("data-testid=\"resume\""), "{html}");
    assert!(!html.contains("data-testid=\"stop\""));
    // And its changes so far, to be seen or undone, though the killed console never said them.
    let history_run = shown["runs"][0]["id"].to_string();
    assert!(
        html.contains(&format!("href=\"/history/{history_run}\"")),
        "{html}"
    );
    emu.stats.reset();
    // The journal's rows are not sent again, nor the calls in flight at the kill that the
    // server had applied (the listing says so).
    let landed = emu.store.staff_count() as usize - 2;
    assert!(
        landed > done,
        "calls applied and never answered: {landed} > {done}"
    );
    emu.set_hold(Duration::ZERO);
    let r = post(
        &c,
        &format!("{run}/import"),
        &[("csrf", &csrf), ("resume", "1")],
    )
    .await;
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(status(&html), "ok", "{html}");
    assert_eq!(emu.store.staff_count(), 2 + 300);
    let sent = emu.stats.calls("staff/add") as usize;
    assert_eq!(
        sent,
        300 - landed,
        "{sent} sent after {done} done, {landed} on the server"
    );
}

#[tokio::test]
async fn a_stop_ends_its_own_run_and_the_next_import_still_retries() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(30));
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs", "--concurrency", "1"]).await;
    let (_, first, _) = c
        .upload("first.csv", staff_csv("s", 100).into_bytes(), Some(&csrf))
        .await;
    let r = post(
        &c,
        &format!("{first}/import"),
        &[("csrf", &csrf), ("cover", "skip")],
    )
    .await;
    let stopped = r.url().path().to_string();
    tokio::time::sleep(Duration::from_millis(300)).await;
    post(&c, &format!("{stopped}/stop"), &[("csrf", &csrf)]).await;
    let html = wait_until_done(&c, &stopped).await;
    assert_eq!(status(&html), "stopped", "{html}");
    assert!(
        html.contains("data-testid=\"stopped\"")
            && html.contains("已停止,由")
            && !html.contains("Ctrl-C"),
        "{html}"
    );
    // The next import meets a failing server: its retries wait, and are not cut short by the
    // Stop pressed for the other run.
    emu.set_latency(Duration::ZERO);
    emu.set_fail_rate(0.5);
    let (_, second, _) = c
        .upload("second.csv", staff_csv("t", 40).into_bytes(), Some(&csrf))
        .await;
    let r = post(
        &c,
        &format!("{second}/import"),
        &[("csrf", &csrf), ("cover", "skip")],
    )
    .await;
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(
        (status(&html).as_str(), count(&html, "created")),
        ("ok", 40),
        "{html}"
    );
}

/// A run whose history fills its disk while its report has room elsewhere ends as the full
/// disk it is, with the way on (space, then resume), not as a bare database error.
#[tokio::test]
async fn a_full_history_disk_is_said_as_a_full_disk() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(2));
    let b = Bgy::new().against(&emu);
    let disk = SmallDisk::mount(&b.path("disk"), 8);
    let args = ["--history", "disk/history.sqlite", "--data", "runs"];
    let (c, csrf) = Console::signed_in(&b, &args).await;
    let (run, html) = import_with_room(&c, &csrf, &disk, "h", 200_000).await;
    assert_eq!(status(&html), "failed", "{html}");
    let said = |html: &str| {
        let at = html.find("<p class=\"error\">").expect("the error is said");
        html[at..].split("</p>").next().unwrap().to_string()
    };
    let zh = said(&html);
    assert!(
        zh.contains("磁盘已满")
            && zh.contains("腾出空间后可以继续:")
            && !zh.contains("the disk is full"),
        "{zh}"
    );
    let en = said(&c.page(&format!("/lang/en?back={run}")).await.1);
    assert!(
        en.contains("the disk is full")
            && en.contains("database or disk is full")
            && !en.contains("磁盘"),
        "{en}"
    );
}

/// A tmpfs of `mb` megabytes mounted on `dir` for as long as it lives.
struct SmallDisk {
    dir: std::path::PathBuf,
}

impl SmallDisk {
    fn mount(dir: &std::path::Path, mb: u32) -> SmallDisk {
        std::fs::create_dir_all(dir).unwrap();
        let out = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={mb}m"), "tmpfs"])
            .arg(dir)
            .output()
            .expect("mount runs");
        assert!(
            out.status.success(),
            "mounting a tmpfs (the test runs as root, as CI does): {}",
            String::from_utf8_lossy(&out.stderr)
        );
        SmallDisk {
            dir: dir.to_path_buf(),
        }
    }

    /// Free bytes on it.
    fn free(&self) -> u64 {
        let out = std::process::Command::new("df")
            .args(["--output=avail", "-B1"])
            .arg(&self.dir)
            .output()
            .unwrap();
        String::from_utf8_lossy(&out.stdout)
            .lines()
            .nth(1)
            .unwrap()
            .trim()
            .parse()
            .unwrap()
    }
}

/// `c` imports 3,000 new people `{prefix}NNNN` once `disk` has only `room` bytes left (the
/// rest taken by its file `filler`): the run's address and its page once it has ended.
async fn import_with_room(
    c: &Console,
    csrf: &str,
    disk: &SmallDisk,
    prefix: &str,
    room: u64,
) -> (String, String) {
    let (_, checked, _) = c
        .upload("all.csv", staff_csv(prefix, 3000).into_bytes(), Some(csrf))
        .await;
    let filler = vec![0u8; (disk.free() - room) as usize];
    std::fs::write(disk.dir.join("filler"), filler).unwrap();
    let r = post(
        c,
        &format!("{checked}/import"),
        &[("csrf", csrf), ("cover", "skip")],
    )
    .await;
    let run = r.url().path().to_string();
    let html = wait_until_done(c, &run).await;
    (run, html)
}

impl Drop for SmallDisk {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg("-l")
            .arg(&self.dir)
            .status();
    }
}

#[tokio::test]
async fn a_full_disk_ends_the_run_as_failed_serves_no_empty_file_and_resume_is_exact() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(2));
    let b = Bgy::new().against(&emu);
    let disk = SmallDisk::mount(&b.path("disk"), 20);
    // Everything of the console's on the small disk: its runs and the history.
    let args = [
        "--history",
        "disk/history.sqlite",
        "--data",
        "disk/runs",
        "--concurrency",
        "4",
    ];
    let (c, csrf) = Console::signed_in(&b, &args).await;
    // Room for the import's copy of the sheet and ~1,500 journal lines, not more.
    let room = staff_csv("f", 3000).len() as u64 + 130_000;
    let (run, html) = import_with_room(&c, &csrf, &disk, "f", room).await;
    assert_eq!(status(&html), "failed", "{html}");
    assert!(html.contains("磁盘已满"), "{html}");
    let created = count(&html, "created");
    assert!(created > 0 && created < 3000, "what was done: {created}");
    // No empty or partial file is served.
    for file in ["report", "backup", "output"] {
        let (code, body) = c.page(&format!("{run}/{file}")).await;
        assert!(
            code == 404 || (code == 200 && body.len() > 100),
            "{file}: {code}"
        );
    }
    for (path, bytes) in all_files(&b.path("disk/runs")) {
        let name = path.file_name().unwrap().to_string_lossy().into_owned();
        assert!(
            !name.ends_with(".xlsx") || !bytes.is_empty(),
            "an empty workbook: {}",
            path.display()
        );
    }
    // Space again: resume sends the rest, none twice.
    std::fs::remove_file(disk.dir.join("filler")).unwrap();
    emu.stats.reset();
    let before = emu.store.staff_count();
    let r = post(
        &c,
        &format!("{run}/import"),
        &[("csrf", &csrf), ("resume", "1")],
    )
    .await;
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(status(&html), "ok", "{html}");
    assert_eq!(emu.store.staff_count(), 2 + 3000);
    let sent = emu.stats.calls("staff/add") as usize;
    let missing = (2 + 3000 - before) as usize;
    assert!(
        sent >= missing && sent <= missing + 5,
        "{sent} calls for {missing} missing people"
    );
}

#[tokio::test]
async fn an_emptied_history_is_said_and_its_runs_are_not_undone() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, checked, _) = c
        .upload("two.csv", staff_csv("h", 2).into_bytes(), Some(&csrf))
        .await;
    let r = post(
        &c,
        &format!("{checked}/import"),
        &[("csrf", &csrf), ("cover", "skip")],
    )
    .await;
    let run = r.url().path().to_string();
    let html = wait_until_done(&c, &run).await;
    assert!(
        html.contains("href=\"/history/1\""),
        "the run's history record: {html}"
    );
    drop(c);
    // The history cut to 0 bytes (a full disk, a mistake).
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(b.path(&format!(".bgy/history.sqlite{suffix}")));
    }
    std::fs::write(b.path(".bgy/history.sqlite"), b"").unwrap();
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, history) = c.page("/history").await;
    assert!(
        history.contains("data-testid=\"history-lost\""),
        "{history}"
    );
    let r = post(&c, "/history/1/undo", &[("csrf", &csrf)]).await;
    assert_eq!(r.status(), 409);
    assert!(r.text().await.unwrap().contains("历史中没有运行 #1"));
    let undo = b.run(&["undo", "1", "--yes"]).await;
    undo.assert_code(2);
    assert!(
        undo.stderr.contains("not in the history"),
        "{}",
        undo.stderr
    );
    assert_eq!(emu.store.staff_count(), 4, "nothing undone");
}

#[tokio::test]
async fn a_check_whose_page_is_closed_while_it_runs_still_ends_and_is_recorded() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (http, base) = (c.http.clone(), c.base.clone());
    let sheet = staff_csv("g", 100_000).into_bytes();
    let upload = tokio::spawn(async move {
        let form = reqwest::multipart::Form::new()
            .text("csrf", csrf)
            .text("kind", "auto")
            .part(
                "file",
                reqwest::multipart::Part::bytes(sheet).file_name("big.csv"),
            );
        http.post(format!("{base}/check"))
            .multipart(form)
            .send()
            .await
    });
    // Once the check has begun, the person closes the page (or a proxy gives up): the
    // connection goes.
    let record = || -> Option<(std::path::PathBuf, serde_json::Value)> {
        let dir = (std::fs::read_dir(b.path("runs")).ok()?.flatten())
            .map(|e| e.path())
            .find(|d| d.join("run.json").is_file())?;
        let text = std::fs::read_to_string(dir.join("run.json")).ok()?;
        Some((dir, serde_json::from_str(&text).ok()?))
    };
    let mut begun = None;
    for _ in 0..3_000 {
        begun = record().filter(|(_, info)| info["status"] == "running");
        if begun.is_some() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(10)).await;
    }
    let (dir, _) = begun.expect("the check began");
    upload.abort();
    assert!(upload.await.is_err(), "the request went before its answer");
    // Its page, looked at until the run has ended, says it ended as it did, not that the
    // console was killed.
    let page = format!("/runs/{}", dir.file_name().unwrap().to_string_lossy());
    let mut seen = String::new();
    for _ in 0..600 {
        let (_, html) = c.page(&page).await;
        seen = status(&html);
        if seen != "running" {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(seen, "ok", "{:?}", record());
    let (_, info) = record().unwrap();
    assert_eq!(info["counts"]["ok"], 100_000, "{info}");
    assert!(dir.join("report.xlsx").is_file());
}
