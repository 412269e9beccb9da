//! The unattended sync: `bgy schedule --once` against the emulator and a local 企业微信 robot
//! (a webhook receiver in the test), `bgy approve` / `bgy reject`, leavers marked and undone.

use std::sync::{Arc, Mutex};

use axum::extract::{RawQuery, State};
use bgy::emulator::{self, Running, Seed};

use crate::common::*;
use crate::console_runs::post;
use crate::web::{wait_until_done, Console};

const KEY: &str = "R0b0tKey-Never-Shown";

/// One call the robot received: its path, query and body.
type Call = (String, String, Vec<u8>);

/// What the robot received.
#[derive(Clone, Default)]
pub struct Robot {
    calls: Arc<Mutex<Vec<Call>>>,
    down: Arc<Mutex<bool>>,
}

impl Robot {
    fn messages(&self) -> Vec<serde_json::Value> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(path, _, _)| path.ends_with("/send"))
            .map(|(_, _, body)| serde_json::from_slice(body).expect("JSON message"))
            .collect()
    }

    fn uploads(&self) -> Vec<(String, Vec<u8>)> {
        self.calls
            .lock()
            .unwrap()
            .iter()
            .filter(|(path, _, _)| path.ends_with("/upload_media"))
            .map(|(_, q, body)| (q.clone(), body.clone()))
            .collect()
    }

    /// The markdown messages' text.
    pub fn texts(&self) -> Vec<String> {
        self.messages()
            .iter()
            .filter_map(|m| m["markdown"]["content"].as_str().map(str::to_string))
            .collect()
    }
}

pub async fn robot() -> (Robot, String) {
    let robot = Robot::default();
    async fn send(
        State(r): State<Robot>,
        RawQuery(q): RawQuery,
        body: axum::body::Bytes,
    ) -> (axum::http::StatusCode, String) {
        r.calls.lock().unwrap().push((
            "/cgi-bin/webhook/send".into(),
            q.unwrap_or_default(),
            body.to_vec(),
        ));
        if *r.down.lock().unwrap() {
            return (axum::http::StatusCode::BAD_GATEWAY, String::new());
        }
        (
            axum::http::StatusCode::OK,
            r#"{"errcode":0,"errmsg":"ok"}"#.into(),
        )
    }
    async fn upload(
        State(r): State<Robot>,
        RawQuery(q): RawQuery,
        body: axum::body::Bytes,
    ) -> String {
        r.calls.lock().unwrap().push((
            "/cgi-bin/webhook/upload_media".into(),
            q.unwrap_or_default(),
            body.to_vec(),
        ));
        r#"{"errcode":0,"errmsg":"ok","type":"file","media_id":"MEDIA-1","created_at":"1"}"#.into()
    }
    let app = axum::Router::new()
        .route("/cgi-bin/webhook/send", axum::routing::post(send))
        .route("/cgi-bin/webhook/upload_media", axum::routing::post(upload))
        .with_state(robot.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!(
        "http://{}/cgi-bin/webhook/send?key={KEY}",
        listener.local_addr().unwrap()
    );
    tokio::spawn(async move { axum::serve(listener, app).await });
    (robot, url)
}

/// An emulator holding the small org's departments and `n` generated people (`p000000` …),
/// nobody else.
pub async fn directory(n: usize) -> Running {
    let mut seed: Seed = small_seed();
    seed.staff.clear();
    let emu = emulator_with(
        &seed,
        emulator::Options {
            ticket: TICKET.into(),
            ..Default::default()
        },
    )
    .await;
    emu.store.insert_staff(people("p", n)).unwrap();
    emu
}

/// The sheet of generated people `range` (as `people("p", …)` made them), and `extra` rows.
pub fn sheet(range: std::ops::Range<usize>, extra: &[&str]) -> String {
    let mut s = String::from("帐号,姓名,手机,部门ID\n");
    for i in range {
        let dept = if i % 2 == 0 { 2 } else { 4 };
        s.push_str(&format!("p{i:06},员工{i},{},{dept}\n", mobile("p", i)));
    }
    for line in extra {
        s.push_str(line);
        s.push('\n');
    }
    s
}

/// [`sheet`] with a 部门 column after 部门ID, empty in its rows: for rows that give a path.
fn sheet_with_paths(range: std::ops::Range<usize>) -> String {
    let mut csv = String::from("帐号,姓名,手机,部门ID,部门\n");
    for line in sheet(range, &[]).lines().skip(1) {
        csv.push_str(&format!("{line},\n"));
    }
    csv
}

/// `bgy.toml` with the job reading `hr/` and the robot at `hook`.
pub fn settings(bgy: &Bgy, hook: &str, more: &str) {
    std::fs::create_dir_all(bgy.path("hr")).unwrap();
    bgy.write(
        "bgy.toml",
        format!(
            "[schedule]\ncron = \"0 30 2 * * *\"\nfolder = \"hr\"\npattern = \"花名册*\"\nsettle_seconds = 0.05\n{more}\n[notify]\nwecom_webhook = \"{hook}\"\n"
        ),
    );
}

/// Two new people, as an HR export names them.
pub const NEWCOMERS: [&str; 2] = ["new01,新人一,13900000001,2", "new02,新人二,13900000002,4"];

/// The history's runs, as `bgy history --json` gives them.
pub async fn runs(bgy: &Bgy) -> Vec<serde_json::Value> {
    let out = bgy.run(&["history", "--json"]).await;
    out.assert_code(0);
    out.json()["runs"].as_array().cloned().unwrap_or_default()
}

/// Neither the robot's key nor the ticket in any output or file.
fn nothing_leaks(bgy: &Bgy, outs: &[&Run]) {
    for out in outs {
        for secret in [KEY, TICKET] {
            assert!(!out.stdout.contains(secret), "{secret} in stdout");
            assert!(!out.stderr.contains(secret), "{secret} in stderr");
        }
    }
    // bgy.toml holds the key, as the person wrote it there.
    for (path, bytes) in all_files(bgy.dir.path()) {
        if path.ends_with("bgy.toml") {
            continue;
        }
        for secret in [KEY, TICKET] {
            assert!(!contains(&bytes, secret), "{secret} in {}", path.display());
        }
    }
}

#[tokio::test]
async fn check_says_when_and_what_and_a_bad_key_is_exit_2_naming_it() {
    let (_, hook) = robot().await;
    let bgy = Bgy::new();
    settings(&bgy, &hook, "max_changes = \"5%\"");
    bgy.write("hr/花名册-11月.csv", sheet(0..3, &[]));
    bgy.write("hr/notes.txt", "not a sheet");
    let out = bgy.run(&["schedule", "--check"]).await;
    out.assert_code(0);
    // 02:30 each day: three of them, each a day apart, with its weekday.
    let next = out
        .stderr
        .split("next runs ")
        .nth(1)
        .unwrap_or_else(|| panic!("{}", out.stderr));
    let days: Vec<&str> = next.split(", ").take(3).collect();
    assert!(
        days.iter()
            .all(|d| d.ends_with(" 02:30") || d.contains(" 02:30 (")),
        "{days:?}"
    );
    assert_eq!(days.len(), 3, "{days:?}");
    assert!(out.stderr.contains("花名册-11月.csv"), "{}", out.stderr);
    assert!(out.stderr.contains("prune leave"), "{}", out.stderr);
    // The robot's address as IT wrote it, its port too, the key hidden.
    let shown = hook.replace(KEY, "***");
    assert!(out.stderr.contains(&shown), "{shown} in {}", out.stderr);
    nothing_leaks(&bgy, &[&out]);
    // A folder that is not there is a setting to fix, said in both languages.
    bgy.write(
        "bgy.toml",
        "[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"gone\"\n",
    );
    let out = bgy.run(&["schedule", "--check"]).await;
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("无法读取文件夹 gone([schedule] folder):文件夹不存在")
            && out.stderr.contains("cannot read the folder gone"),
        "{}",
        out.stderr
    );
    bgy.write("bgy.toml", "[columns]\n\"工号\" = \"帐号\"\n");
    let out = bgy.run(&["schedule", "--check"]).await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("没有 [schedule]") && out.stderr.contains("has no [schedule]"),
        "{}",
        out.stderr
    );
    settings(&bgy, &hook, "max_changes = \"many\"");
    let out = bgy.run(&["schedule", "--check"]).await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("[schedule] max_changes"),
        "{}",
        out.stderr
    );
    bgy.write(
        "bgy.toml",
        "[schedule]\ncron = \"at night\"\nfolder = \"hr\"\n",
    );
    let out = bgy.run(&["schedule", "--check"]).await;
    out.assert_code(2);
    assert!(out.stderr.contains("[schedule] cron"), "{}", out.stderr);
    // Other commands still read the file's [columns] beside a [schedule].
    bgy.write(
        "bgy.toml",
        "[columns]\n\"工号\" = \"帐号\"\n[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"hr\"\n",
    );
    bgy.write(
        "x.csv",
        "工号,姓名,手机,部门\nq1,甲,13700000001,办公逸/研发部\n",
    );
    bgy.run(&["check", "x.csv"]).await.assert_code(0);
}

/// An export whose accounts are headed 工号 stops the job; the terminal and the robot say the
/// line of bgy.toml that reads it, not the option that a command run by hand would take.
#[tokio::test]
async fn an_export_headed_工号_names_the_setting_that_reads_it() {
    let emu = directory(3).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "");
    bgy.write(
        "hr/花名册-1.csv",
        sheet(0..3, &[]).replacen("帐号", "工号", 1),
    );
    let out = bgy.run(&["schedule", "--once"]).await;
    out.assert_code(2);
    let setting = "在 bgy.toml 的 [columns] 中写 \"工号\" = \"帐号\"";
    assert!(
        out.stderr.contains(&format!("→ {setting}")) && !out.stderr.contains("--map"),
        "{}",
        out.stderr
    );
    let told = robot.texts().pop().unwrap();
    assert!(told.contains(&format!("> 处理:{setting}\n")), "{told}");
    // A command run by hand still names its option.
    let check = bgy.run(&["check", "hr/花名册-1.csv"]).await;
    assert!(
        check.stderr.contains("→ --map '工号=we_userid'"),
        "{}",
        check.stderr
    );
}

/// Under cron, which starts a job in the home folder, a run without `cd` finds no bgy.toml:
/// that is said first, with the folder, before the ticket the job also lacks.
#[tokio::test]
async fn a_job_run_outside_the_folder_of_its_settings_says_where_it_looked() {
    let bgy = Bgy::new();
    let folder = std::path::absolute(bgy.dir.path()).unwrap();
    for how in ["--once", "--check"] {
        let out = bgy.run(&["schedule", how]).await;
        out.assert_code(2);
        let said = format!("there is no bgy.toml in {}", folder.display());
        assert!(
            out.stderr.contains(&said)
                && out.stderr.contains("里没有 bgy.toml")
                && out.stderr.contains("cd to that folder first")
                && !out.stderr.contains("no ticket"),
            "{how}: {}",
            out.stderr
        );
    }
    // With its settings there, the ticket is what is missing.
    bgy.write(
        "bgy.toml",
        "[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \".\"\n",
    );
    let out = bgy.run(&["schedule", "--once"]).await;
    out.assert_code(2);
    assert!(out.stderr.contains("no ticket"), "{}", out.stderr);
}

/// A run system cron started that failed before it planned is in no history: the console's
/// 定时同步 page still says how the job's last run ended, from the line the run wrote beside
/// the history (the console's own runs of the job write it too).
#[tokio::test]
async fn the_console_hears_of_a_cron_run_that_failed_before_it_planned() {
    let emu = emulator().await;
    let (_, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "");
    let out = bgy.run(&["schedule", "--once"]).await;
    assert_ne!(out.code, 0, "{}", out.stderr);
    let (c, _) = Console::signed_in(&bgy, &["--data", "runs"]).await;
    let last = |html: String| {
        let at = html.find("data-testid=\"last-scheduled\">").expect(&html);
        html[at..].split("</p>").next().unwrap().to_string()
    };
    let failed = last(c.page("/schedule").await.1);
    assert!(
        failed.contains("失败")
            && failed.contains("没有可读的表格")
            && !failed.contains("no sheet"),
        "{failed}"
    );
    // The next night's file: past max_changes (the seed's two people would be marked), it waits.
    bgy.write("hr/花名册.csv", sheet(0..3, &[]));
    bgy.run(&["schedule", "--once"]).await.assert_code(4);
    let waits = last(c.page("/schedule").await.1);
    assert!(waits.contains("等待确认 #"), "{waits}");
}

#[tokio::test]
async fn a_test_message_tells_the_robot_or_says_why_not() {
    let (robot, hook) = robot().await;
    let bgy = Bgy::new();
    settings(&bgy, &hook, "");
    let out = bgy.run(&["schedule", "--test-notify"]).await;
    out.assert_code(0);
    let texts = robot.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("定时同步:测试") && texts[0].contains("下次运行"),
        "{}",
        texts[0]
    );
    assert!(
        out.stderr.contains("测试消息已发给 企业微信机器人"),
        "{}",
        out.stderr
    );
    *robot.down.lock().unwrap() = true;
    let down = bgy.run(&["schedule", "--test-notify"]).await;
    down.assert_code(2);
    let shown = hook.replace(KEY, "***");
    assert!(
        down.stderr.contains("测试消息没有发出") && down.stderr.contains(&shown),
        "{}",
        down.stderr
    );
    nothing_leaks(&bgy, &[&out, &down]);
    bgy.write(
        "bgy.toml",
        "[schedule]\ncron = \"0 0 2 * * *\"\nfolder = \"hr\"\n",
    );
    let nobody = bgy.run(&["schedule", "--test-notify"]).await;
    nobody.assert_code(2);
    assert!(
        nobody.stderr.contains("nobody to tell"),
        "{}",
        nobody.stderr
    );
}

#[tokio::test]
async fn a_run_within_its_limits_sends_tells_the_robot_and_the_same_file_again_is_a_no_op() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 5");
    bgy.write("hr/花名册-1.csv", sheet(0..20, &NEWCOMERS));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["created"], 2, "{}", out.stdout);
    assert!(emu.store.person("new01").is_some() && emu.store.person("new02").is_some());
    let texts = robot.texts();
    assert_eq!(texts.len(), 1, "{texts:?}");
    assert!(
        texts[0].contains("成功") && texts[0].contains("新增 **2**"),
        "{}",
        texts[0]
    );
    assert!(texts[0].contains("花名册-1.csv"), "{}", texts[0]);
    // The report follows as a file: uploaded, then sent by its media id.
    let uploads = robot.uploads();
    assert_eq!(uploads.len(), 1);
    assert!(uploads[0].0.contains("type=file"), "{}", uploads[0].0);
    assert!(contains(&uploads[0].1, "PK"), "a workbook in the upload");
    assert_eq!(robot.messages()[1]["file"]["media_id"], "MEDIA-1");
    let history = runs(&bgy).await;
    assert_eq!(history[0]["who"], "schedule");
    assert_eq!(history[0]["sha256"].as_str().unwrap().len(), 64);
    assert!(texts[0].contains("撤销:`bgy undo"), "{}", texts[0]);
    // The same file again: nothing run, nothing recorded, nobody told.
    let again = bgy.run(&["schedule", "--once"]).await;
    again.assert_code(0);
    assert!(
        again.stderr.contains("读过的文件相同 (完成),无需再做")
            && again
                .stderr
                .contains("the same file as run 1, ok: nothing to do"),
        "{}",
        again.stderr
    );
    assert_eq!(runs(&bgy).await.len(), history.len());
    assert_eq!(robot.texts().len(), 1);
    nothing_leaks(&bgy, &[&out, &again]);
}

#[tokio::test]
async fn past_max_changes_it_pauses_and_an_approval_sends_that_plan() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 1");
    bgy.write("hr/花名册.csv", sheet(0..20, &NEWCOMERS));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(4);
    let run = out.json()["history_run"].as_i64().expect("the paused run");
    assert!(out.json()["paused"]
        .as_str()
        .unwrap()
        .contains("max_changes"));
    assert!(emu.store.person("new01").is_none(), "nothing sent");
    // What would be sent, not what was (nothing): the robot's message and --json alike.
    assert_eq!(out.json()["planned"]["create"], 2, "{}", out.stdout);
    assert_eq!(out.json()["created"], 0, "{}", out.stdout);
    let text = &robot.texts()[0];
    assert!(text.contains("等待确认"), "{text}");
    assert!(text.contains("计划:新增 **2**"), "{text}");
    // Why, in Chinese alone: the robot's readers are HR.
    assert!(
        text.contains("> 原因:改动 2 处,超过 max_changes 1 (上限 1)\n"),
        "{text}"
    );
    assert!(text.contains(&format!("bgy approve {run}")), "{text}");
    assert_eq!(runs(&bgy).await[0]["status"], "pending");
    // The schedule does not ask again for the same file.
    bgy.run(&["schedule", "--once"]).await.assert_code(0);
    assert_eq!(robot.texts().len(), 1);
    // --check says so, and what waits.
    let check = bgy.run(&["schedule", "--check"]).await;
    assert!(
        check.stderr.contains(&format!(
            "(read by run {run}, pending: the next run leaves it alone)"
        )) && check
            .stderr
            .contains(&format!("waiting for approval: run {run} (bgy approve RUN"))
            && check.stderr.contains(&format!("last run: {run} ")),
        "{}",
        check.stderr
    );
    let approved = bgy
        .run(&["approve", &run.to_string(), "--who", "王经理"])
        .await;
    approved.assert_code(0);
    assert!(emu.store.person("new01").is_some() && emu.store.person("new02").is_some());
    let history = runs(&bgy).await;
    let paused = history.iter().find(|r| r["id"] == run).unwrap();
    assert_eq!(paused["status"], "approved");
    // It names the run that sent it, in the JSON and in the list IT reads.
    assert_eq!(paused["sent_as"], history[0]["id"]);
    let listed = bgy.run(&["history"]).await;
    let sent_as = format!("sent as run {}", history[0]["id"]);
    assert!(listed.stdout.contains(&sent_as), "{}", listed.stdout);
    assert_eq!(history[0]["who"], "王经理");
    assert_eq!(history[0]["counts"]["created"], 2);
    assert!(robot.texts().last().unwrap().contains("成功"));
    // Decided once.
    let twice = bgy.run(&["approve", &run.to_string()]).await;
    twice.assert_code(2);
    assert!(
        twice.stderr.contains("已经处理过:王经理 已批准 (")
            && twice.stderr.contains("approved already by 王经理"),
        "{}",
        twice.stderr
    );
    nothing_leaks(&bgy, &[&out, &approved, &twice]);
}

#[tokio::test]
async fn a_rejected_run_sends_nothing_and_its_file_is_not_tried_again() {
    let emu = directory(20).await;
    let (_, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 1");
    bgy.write("hr/花名册.csv", sheet(0..20, &NEWCOMERS));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(4);
    let run = out.json()["history_run"].as_i64().unwrap().to_string();
    bgy.run(&["reject", &run]).await.assert_code(0);
    assert_eq!(runs(&bgy).await[0]["status"], "rejected");
    bgy.run(&["schedule", "--once"]).await.assert_code(0);
    assert!(emu.store.person("new01").is_none());
    let late = bgy.run(&["approve", &run]).await;
    late.assert_code(2);
    assert!(late.stderr.contains("rejected already"), "{}", late.stderr);
    assert!(emu.store.person("new01").is_none());
}

#[tokio::test]
async fn an_approval_whose_plan_changed_sends_nothing_and_keeps_waiting() {
    let emu = directory(20).await;
    let (_, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 1");
    bgy.write("hr/花名册.csv", sheet(0..20, &NEWCOMERS));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(4);
    let run = out.json()["history_run"].as_i64().unwrap().to_string();
    // Someone joins the directory by hand meanwhile: with prune = "leave", a leaver the
    // paused plan did not have.
    emu.store
        .add_staff(&std::collections::HashMap::from([
            ("we_userid".to_string(), "byhand".to_string()),
            ("we_name".to_string(), "手工".to_string()),
            ("we_mobile".to_string(), "13911112222".to_string()),
            ("we_id".to_string(), "2".to_string()),
        ]))
        .unwrap();
    let approved = bgy.run(&["approve", &run]).await;
    approved.assert_code(2);
    assert!(
        approved.stderr.contains("the plan changed"),
        "{}",
        approved.stderr
    );
    assert!(
        approved.stdout.contains("byhand"),
        "today's plan shown: {}",
        approved.stdout
    );
    assert!(emu.store.person("new01").is_none(), "nothing sent");
    assert!(emu.store.person("byhand").unwrap().get("status").is_none());
    let history = runs(&bgy).await;
    assert_eq!(
        history
            .iter()
            .find(|r| r["id"] == run.parse::<i64>().unwrap())
            .unwrap()["status"],
        "pending"
    );
}

#[tokio::test]
async fn a_cut_off_export_is_paused_and_nobody_is_marked_or_deleted() {
    let emu = directory(30).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    // Even a limit that would allow it: most of the directory missing is never pruned alone.
    settings(&bgy, &hook, "max_changes = \"100%\"");
    bgy.write("hr/花名册.csv", sheet(0..5, &[]));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(4);
    assert!(
        out.json()["paused"]
            .as_str()
            .unwrap()
            .contains("cut-off export"),
        "{}",
        out.stdout
    );
    for i in 5..30 {
        let person = emu.store.person(&format!("p{i:06}")).expect("not deleted");
        assert!(person.get("status").is_none(), "not marked: {person:?}");
    }
    assert!(robot.texts()[0].contains("不完整"), "{}", robot.texts()[0]);
    // With prune = "delete" too.
    settings(&bgy, &hook, "max_changes = \"100%\"\nprune = \"delete\"");
    bgy.write("hr/花名册-2.csv", sheet(0..4, &[]));
    bgy.run(&["schedule", "--once"]).await.assert_code(4);
    assert_eq!(emu.store.staff_count(), 30);
}

#[tokio::test]
async fn leavers_are_marked_once_and_an_undo_takes_the_leave_back() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    // The dates are the company's day, in the job's zone: one whose date is not the
    // machine's now (UTC+14 or UTC-11), as a server on UTC is eight hours behind Shanghai.
    let date = |tz: chrono_tz::Tz| chrono::Utc::now().with_timezone(&tz).date_naive();
    let local = chrono::Local::now().date_naive();
    let tz = [
        chrono_tz::Pacific::Kiritimati,
        chrono_tz::Pacific::Pago_Pago,
    ]
    .into_iter()
    .find(|tz| date(*tz) != local)
    .unwrap();
    settings(&bgy, &hook, &format!("max_changes = 5\ntz = \"{tz}\""));
    // p000019 left the company.
    bgy.write("hr/花名册.csv", sheet(0..19, &[]));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["left"], 1, "{}", out.stdout);
    let today = date(tz).format("%Y-%m-%d").to_string();
    let gone = emu.store.person("p000019").expect("marked, not deleted");
    assert_eq!(gone["status"], "3");
    assert_eq!(gone["quite_time"], today.as_str());
    // The file by its name, not the job's folder: 办公逸's pages show it.
    assert_eq!(gone["quite_reason"], "不在 花名册.csv 中(bgy 同步)");
    // The robot names who left.
    let told = robot.texts().pop().unwrap();
    assert!(told.contains("> 离职:p000019 (员工19)\n"), "{told}");
    let run = out.json()["history_run"].as_i64().unwrap().to_string();
    // The history's times are the company's too, as the job's next run is shown.
    let started = runs(&bgy).await[0]["started"].as_str().unwrap().to_string();
    assert!(started.starts_with(&today), "{started} is not on {today}");
    // Marked already: a plan of the same sheet has nobody to mark.
    let plan = bgy
        .run(&["plan", "hr/花名册.csv", "--prune-mode", "leave", "--json"])
        .await;
    plan.assert_code(0);
    assert_eq!(plan.json()["left"], 0, "{}", plan.stdout);
    let undo = bgy.run(&["undo", &run, "--yes"]).await;
    undo.assert_code(0);
    let back = emu.store.person("p000019").unwrap();
    assert_eq!(back["status"], "0", "{back:?}");
    assert_eq!(back["back_time"], today.as_str());
    // Taken back, so a plan would mark them again.
    let plan = bgy
        .run(&["plan", "hr/花名册.csv", "--prune-mode", "leave", "--json"])
        .await;
    assert_eq!(plan.json()["left"], 1, "{}", plan.stdout);
}

#[tokio::test]
async fn a_leaver_the_next_export_names_again_is_brought_back_once() {
    let emu = directory(20).await;
    let (_, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 5");
    // p000018 is on probation, as bgy once sent it.
    bgy.write(
        "status.csv",
        format!(
            "帐号,姓名,手机,部门ID,人事状态\np000018,员工18,{},2,试用期\n",
            mobile("p", 18)
        ),
    );
    bgy.run(&["import", "status.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    // One night's export leaves p000018 and p000019 out: both are marked.
    bgy.write("hr/花名册-1.csv", sheet(0..18, &[]));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["left"], 2, "{}", out.stdout);
    // The next night both are in it again, p000019 with the day they left.
    let mut next = sheet(0..19, &[]).replace("部门ID\n", "部门ID,离职时间\n");
    next.push_str(&format!(
        "p000019,员工19,{},4,2026-11-30\n",
        mobile("p", 19)
    ));
    bgy.write("hr/花名册-2.csv", &next);
    let plan = bgy
        .run(&["plan", "hr/花名册-2.csv", "--prune-mode", "leave"])
        .await;
    plan.assert_code(0);
    // Its 复职时间 said as today, not a date: a paused plan may be approved another day.
    assert!(
        plan.stdout
            .contains("p000018 (员工18)  人事状态 status: 已离职 → 试用期")
            && plan
                .stdout
                .contains("p000018 (员工18)  复职时间 back_time: (空 empty) → 今天 (today)"),
        "{}",
        plan.stdout
    );
    // p000019's row says they left: only its date is updated, from the day the job marked
    // them (the job's zone's, Asia/Shanghai when bgy.toml names none).
    let today = chrono::Utc::now()
        .with_timezone(&chrono_tz::Asia::Shanghai)
        .format("%Y-%m-%d")
        .to_string();
    assert!(
        plan.stdout.contains(&format!(
            "p000019 (员工19)  离职时间 quite_time: {today} → 2026-11-30"
        )) && !plan.stdout.contains("p000019 (员工19)  人事状态"),
        "{}",
        plan.stdout
    );
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["updated"], 2, "{}", out.stdout);
    let back = emu.store.person("p000018").unwrap();
    assert_eq!(back["status"], "1", "{back:?}");
    assert_eq!(back["back_time"], today.as_str(), "{back:?}");
    let gone = emu.store.person("p000019").unwrap();
    assert_eq!(gone["status"], "3", "{gone:?}");
    assert_eq!(gone["quite_time"], "2026-11-30", "{gone:?}");
    assert!(gone.get("back_time").is_none(), "{gone:?}");
    // Brought back once: the same sheet plans nothing more for them.
    let again = bgy
        .run(&["plan", "hr/花名册-2.csv", "--prune-mode", "leave", "--json"])
        .await;
    assert_eq!(again.json()["updated"], 0, "{}", again.stdout);
    assert_eq!(again.json()["left"], 0, "{}", again.stdout);
}

#[tokio::test]
async fn a_sheets_status_is_compared_with_the_one_bgy_last_sent() {
    let emu = directory(20).await;
    let bgy = Bgy::new().against(&emu);
    let row = |i: usize, status: &str| {
        let dept = if i.is_multiple_of(2) { 2 } else { 4 };
        format!("p{i:06},员工{i},{},{dept},{status}\n", mobile("p", i))
    };
    let head = "帐号,姓名,手机,部门ID,人事状态\n";
    bgy.write("probation.csv", format!("{head}{}", row(18, "试用期")));
    bgy.run(&["import", "probation.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    // 18 made permanent; 17 left (never sent a status, no 离职时间 listed); 16 在职 (none of
    // the four); 15 on probation and 14 permanent, which bgy cannot compare: it never sent
    // them one, and 14's 离职时间 in the directory may be of a leave HR took back by hand.
    let row14 = serde_json::json!({"we_userid": "p000014", "quite_time": "2025-03-31"});
    let failures = emu.store.entry_time(&[row14.as_object().unwrap().clone()]);
    assert_eq!(failures.unwrap(), []);
    let sheet = [
        row(18, "已转正"),
        row(17, "离职"),
        row(16, "在职"),
        row(15, "试用期"),
        row(14, "已转正"),
    ];
    bgy.write("status.csv", format!("{head}{}", sheet.concat()));
    let plan = bgy.run(&["plan", "status.csv"]).await;
    plan.assert_code(0);
    for line in [
        "p000018 (员工18)  人事状态 status: 试用期 → 已转正",
        "p000017 (员工17)  人事状态 status: (空 empty) → 已离职",
        "plan: staff: 0 to create, 2 to update, 3 unchanged",
        "2 unchanged rows fill columns the directory's listing does not show (status)",
    ] {
        assert!(
            plan.stdout.contains(line) || plan.stderr.contains(line),
            "{line}: {}{}",
            plan.stdout,
            plan.stderr
        );
    }
    bgy.run(&["sync", "status.csv", "--yes"])
        .await
        .assert_code(0);
    assert_eq!(emu.store.person("p000018").unwrap()["status"], "0");
    assert_eq!(emu.store.person("p000017").unwrap()["status"], "3");
    for i in [16, 15, 14] {
        let p = emu.store.person(&format!("p{i:06}")).unwrap();
        assert!(
            p.get("status").is_none() && p.get("back_time").is_none(),
            "{p:?}"
        );
    }
    let again = bgy.run(&["plan", "status.csv", "--json"]).await;
    assert_eq!(again.json()["updated"], 0, "{}", again.stdout);
    // What bgy sent is compared now: only p000015's and p000014's statuses cannot be.
    assert!(
        again.stderr.contains("2 unchanged rows fill columns"),
        "{}",
        again.stderr
    );
}

/// A directory of 20 whose schedule marked 18 and 19 as leavers, and `back.csv` naming them
/// again by hand: 18's row says 在职, 19's says nothing of a status.
async fn two_marked_leavers_named_again() -> (Running, Bgy) {
    let emu = directory(20).await;
    let (_, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 5");
    bgy.write("hr/花名册.csv", sheet(0..18, &[]));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    assert_eq!(out.json()["left"], 2, "{}", out.stdout);
    let row = |i: usize, status: &str| {
        let dept = if i.is_multiple_of(2) { 2 } else { 4 };
        format!("p{i:06},员工{i},{},{dept},{status}\n", mobile("p", i))
    };
    let rows = format!(
        "帐号,姓名,手机,部门ID,人事状态\n{}{}",
        row(18, "在职"),
        row(19, "")
    );
    bgy.write("back.csv", rows);
    (emu, bgy)
}

#[tokio::test]
async fn a_leaver_bgy_marked_whose_row_says_in_service_comes_back_in_any_plan() {
    let (emu, bgy) = two_marked_leavers_named_again().await;
    let sync = bgy.run(&["sync", "back.csv", "--yes", "--json"]).await;
    sync.assert_code(0);
    assert_eq!(sync.json()["updated"], 1, "{}{}", sync.stdout, sync.stderr);
    // With --json the plan is on stderr.
    assert!(
        sync.stderr
            .contains("p000018 (员工18)  人事状态 status: 已离职 → 已转正"),
        "{}",
        sync.stderr
    );
    assert_eq!(emu.store.person("p000018").unwrap()["status"], "0");
    assert_eq!(emu.store.person("p000019").unwrap()["status"], "3");
}

/// The same by an import that updates the people it has: its 在职 row's warning says a leaver
/// bgy marked gets their status back, and `--cover overwrite` sends it; `skip` leaves them.
#[tokio::test]
async fn an_import_that_overwrites_brings_back_a_leaver_whose_row_says_in_service() {
    let (emu, bgy) = two_marked_leavers_named_again().await;
    let skip = bgy.run(&["import", "back.csv"]).await;
    skip.assert_code(0);
    assert_eq!(emu.store.person("p000018").unwrap()["status"], "3");
    let dry = bgy
        .run(&["import", "back.csv", "--cover", "overwrite", "--dry-run"])
        .await;
    assert!(
        dry.stderr.contains("we_userid=p000018") && dry.stderr.contains("status=0 back_time="),
        "{}",
        dry.stderr
    );
    let import = bgy
        .run(&["import", "back.csv", "--cover", "overwrite", "--json"])
        .await;
    import.assert_code(0);
    assert!(
        import
            .stderr
            .contains("1 leaver(s) bgy marked, whose rows say 在职, get their status back"),
        "{}",
        import.stderr
    );
    assert_eq!(emu.store.person("p000018").unwrap()["status"], "0");
    assert_eq!(emu.store.person("p000019").unwrap()["status"], "3");
    // Once back, no longer one bgy marked: a second import has no one to bring back.
    let again = bgy
        .run(&["import", "back.csv", "--cover", "overwrite"])
        .await;
    assert!(
        !again.stderr.contains("get their status back"),
        "{}",
        again.stderr
    );
}

#[tokio::test]
async fn a_sheets_bank_card_and_manager_are_compared_with_what_bgy_last_sent() {
    let emu = directory(20).await;
    let bgy = Bgy::new().against(&emu);
    let row = |i: usize, card: &str, lead: &str, check: &str| {
        format!(
            "p{i:06},员工{i},{},2,{card},{lead},{check}\n",
            mobile("p", i)
        )
    };
    let head = "帐号,姓名,手机,部门ID,银行卡号,直接上级,考勤号\n";
    let before = [
        row(18, "6222020200112233", "p000001", "9018"),
        row(17, "6222020200114455", "p000001", "9017"),
    ];
    bgy.write("before.csv", format!("{head}{}", before.concat()));
    bgy.run(&["import", "before.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    // 18 gets a new card, 17 a new manager; 16's card bgy never sent, so it cannot compare it.
    let sheet = [
        row(18, "6222020200119988", "p000001", "9018"),
        row(17, "6222020200114455", "p000002", "9017"),
        row(16, "6222020200116677", "", ""),
    ];
    bgy.write("after.csv", format!("{head}{}", sheet.concat()));
    let plan = bgy.run(&["plan", "after.csv"]).await;
    plan.assert_code(0);
    let said = format!("{}{}", plan.stdout, plan.stderr);
    for line in [
        "p000018 (员工18)  银行卡号 bank_card: **** 2233 → **** 9988",
        "p000017 (员工17)  直接上级 lead_id: p000001 (员工1) → p000002 (员工2)",
        "plan: staff: 0 to create, 2 to update, 1 unchanged",
        "1 unchanged row fills columns the directory's listing does not show (bank_card)",
    ] {
        assert!(said.contains(line), "{line}: {said}");
    }
    assert!(!said.contains("6222020200119988"), "{said}");
    bgy.run(&["sync", "after.csv", "--yes"])
        .await
        .assert_code(0);
    let p18 = emu.store.person("p000018").unwrap();
    assert_eq!(p18["bank_card"], "6222020200119988");
    assert_eq!(emu.store.person("p000017").unwrap()["lead_id"], "p000002");
    assert!(emu
        .store
        .person("p000016")
        .unwrap()
        .get("bank_card")
        .is_none());
    let again = bgy.run(&["plan", "after.csv", "--json"]).await;
    assert_eq!(again.json()["updated"], 0, "{}", again.stdout);
    // A card far down a sheet whose first rows fill none (what bgy sent is read from the
    // first row that fills one) is compared too.
    let newcomers: String = (0..2000).map(|i| row(100 + i, "", "", "")).collect();
    let last = row(18, "6222020200111111", "p000001", "9018");
    bgy.write("later.csv", format!("{head}{newcomers}{last}"));
    let later = bgy.run(&["plan", "later.csv", "--json"]).await;
    assert_eq!(later.json()["updated"], 1, "{}", later.stdout);
    // The undo of the sync gives 18 the card bgy had sent before.
    bgy.run(&["undo", "2", "--yes"]).await.assert_code(0);
    let p18 = emu.store.person("p000018").unwrap();
    assert_eq!(p18["bank_card"], "6222020200112233");
}

#[tokio::test]
async fn the_accounts_and_departments_bgy_toml_keeps_are_never_pruned() {
    let emu = directory(20).await;
    let (_, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    // Odd people are in 办公逸/研发部/后端组 (named by its end), even ones in 研发部.
    let keep = "[prune]\naccounts = [\"P0000*9\"]\ndepartments = [\"后端组\"]";
    settings(&bgy, &hook, &format!("max_changes = 5\n{keep}"));
    let check = bgy.run(&["schedule", "--check"]).await;
    assert!(
        check
            .stderr
            .contains("kept from a prune: accounts P0000*9; departments 后端组 (its departments found in the directory)"),
        "{}",
        check.stderr
    );
    check.assert_code(0);
    bgy.write("hr/花名册.csv", sheet(0..16, &[]));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["left"], 2, "{}", out.stdout);
    assert_eq!(out.json()["kept"], 2, "{}", out.stdout);
    assert!(
        out.stderr
            .contains("2 of the people not in the sheet are kept by bgy.toml [prune]"),
        "{}",
        out.stderr
    );
    for (i, marked) in [(16, true), (17, false), (18, true), (19, false)] {
        let p = emu.store.person(&format!("p{i:06}")).unwrap();
        assert_eq!(p.get("status").is_some(), marked, "{i}: {p:?}");
    }
    // A deletion spares them too.
    let plan = bgy.run(&["plan", "hr/花名册.csv", "--prune"]).await;
    plan.assert_code(0);
    let json = bgy
        .run(&["plan", "hr/花名册.csv", "--prune", "--json"])
        .await;
    assert_eq!(json.json()["kept"], 2, "{}", json.stdout);
    assert!(
        plan.stdout.contains("p000016") && !plan.stdout.contains("p000017"),
        "{}",
        plan.stdout
    );
    // A department the directory lacks would spare nobody: the prune is refused, naming it.
    settings(&bgy, &hook, "[prune]\ndepartments = [\"办公逸/外包部\"]");
    let bad = bgy.run(&["plan", "hr/花名册.csv", "--prune"]).await;
    bad.assert_code(2);
    assert!(
        bad.stderr
            .contains("bgy.toml [prune] departments:\"办公逸/外包部\" 没有部门")
            && bad
                .stderr
                .contains("(bgy.toml [prune] departments: \"办公逸/外包部\": no department"),
        "{}",
        bad.stderr
    );
    // The job's check finds it by day, not the night's run.
    let check = bgy.run(&["schedule", "--check"]).await;
    check.assert_code(2);
    assert!(
        check.stderr.contains("\"办公逸/外包部\" 没有部门"),
        "{}",
        check.stderr
    );
    // A plan that prunes nobody does not need it.
    bgy.run(&["plan", "hr/花名册.csv"]).await.assert_code(0);
}

#[tokio::test]
async fn someone_hr_gave_a_leave_date_by_hand_is_not_marked_again() {
    let emu = directory(6).await;
    let bgy = Bgy::new().against(&emu);
    // HR gave p000005 a 离职时间 in 办公逸 itself; p000004 just is not in the sheet.
    let row = serde_json::json!({"we_userid": "p000005", "quite_time": "2026-10-31"});
    let failures = emu.store.entry_time(&[row.as_object().unwrap().clone()]);
    assert_eq!(failures.unwrap(), []);
    bgy.write("sheet.csv", sheet(0..4, &[]));
    let plan = bgy
        .run(&["plan", "sheet.csv", "--prune-mode", "leave", "--json"])
        .await;
    plan.assert_code(0);
    assert_eq!(plan.json()["left"], 1, "{}", plan.stdout);
    let shown = bgy
        .run(&["plan", "sheet.csv", "--prune-mode", "leave"])
        .await;
    assert!(shown.stdout.contains("p000004"), "{}", shown.stdout);
    assert!(!shown.stdout.contains("p000005"), "{}", shown.stdout);
}

#[tokio::test]
async fn a_robot_that_is_down_is_a_warning_and_the_sync_still_succeeds() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    *robot.down.lock().unwrap() = true;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 5");
    bgy.write("hr/花名册.csv", sheet(0..20, &NEWCOMERS));
    let out = bgy.run(&["schedule", "--once"]).await;
    out.assert_code(0);
    assert!(emu.store.person("new01").is_some());
    assert!(out.stderr.contains("robot was not told"), "{}", out.stderr);
    assert!(out.stderr.contains("502"), "{}", out.stderr);
    assert_eq!(robot.texts().len(), 1, "tried once");
    nothing_leaks(&bgy, &[&out]);
}

#[tokio::test]
async fn a_sheet_with_invalid_rows_sends_nothing_unless_send_valid() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    settings(&bgy, &hook, "max_changes = 5");
    let bad = ["new01,新人一,13900000001,2", "new02,,not-a-phone,4"];
    bgy.write("hr/花名册.csv", sheet(0..20, &bad));
    let out = bgy.run(&["schedule", "--once"]).await;
    out.assert_code(1);
    assert!(emu.store.person("new01").is_none(), "nothing sent");
    // It names the setting as bgy.toml spells it, and the one that sends the valid rows.
    assert!(
        out.stderr.contains("the sheet has 1 invalid row: with on_invalid = \"skip\", the default, nothing was sent")
            && out.stderr.contains("on_invalid = \"send-valid\" sends the valid rows)"),
        "{}",
        out.stderr
    );
    assert!(robot.texts()[0].contains("失败"), "{}", robot.texts()[0]);
    assert!(
        robot.texts()[0].contains("主要原因"),
        "{}",
        robot.texts()[0]
    );
    settings(&bgy, &hook, "max_changes = 5\non_invalid = \"send-valid\"");
    // The next export (the same rows again would be the same file: not run twice).
    bgy.write(
        "hr/花名册-2.csv",
        sheet(0..20, &bad) + "new03,新人三,13900000003,2\n",
    );
    bgy.run(&["schedule", "--once"]).await.assert_code(1);
    assert!(emu.store.person("new01").is_some(), "the valid row sent");
    assert!(emu.store.person("new02").is_none());
    // Not a failure: what was valid changed the directory, and the rest is named.
    let text = robot.texts().last().unwrap().clone();
    assert!(
        text.contains("部分完成") && text.contains("新增 **2**") && text.contains("无效 **1**"),
        "{text}"
    );
    assert!(
        text.contains("主要原因") && text.contains("bgy undo"),
        "{text}"
    );
}

/// Waits until the history has a run of `status`; its id.
async fn until_run(bgy: &Bgy, status: &str) -> i64 {
    for _ in 0..100 {
        if let Some(r) = runs(bgy).await.iter().find(|r| r["status"] == status) {
            return r["id"].as_i64().unwrap();
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    panic!("no {status} run in the history");
}

#[tokio::test]
async fn bgy_serve_runs_the_job_on_its_cron_and_its_page_approves_and_rejects() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    // Every second: the console runs it as soon as it starts.
    settings(
        &bgy,
        &hook,
        "max_changes = 1\n[prune]\naccounts = [\"svc-*\"]",
    );
    let toml = std::fs::read_to_string(bgy.path("bgy.toml")).unwrap();
    bgy.write(
        "bgy.toml",
        toml.replace("cron = \"0 30 2 * * *\"", "cron = \"* * * * * *\""),
    );
    bgy.write("hr/花名册-1.csv", sheet(0..20, &NEWCOMERS));
    let (c, csrf) = Console::signed_in(&bgy, &["--data", "runs"]).await;
    let paused = until_run(&bgy, "pending").await;
    assert!(emu.store.person("new01").is_none(), "paused: nothing sent");
    let (status, html) = c.page("/schedule").await;
    assert_eq!(status, 200);
    // The next run and the two after it, each with its weekday.
    let next = html.split("data-testid=\"next-run\">").nth(1).expect(&html);
    let next = next.split("</dd>").next().unwrap();
    assert_eq!(next.matches(" 周").count(), 3, "{next}");
    assert!(next.contains(";之后 "), "{next}");
    assert!(
        html.contains("data-testid=\"kept\">帐号 <code>svc-*</code>"),
        "{html}"
    );
    // The SPEC's hooks: the run's row is pending, with its approve and reject buttons.
    assert!(
        html.contains(&format!(
            "data-run=\"{paused}\" data-testid=\"status\" data-status=\"pending\""
        )) && html.contains("data-testid=\"approve\"")
            && html.contains("data-testid=\"reject\""),
        "{html}"
    );
    assert!(!html.contains(KEY), "the robot's key is never on a page");
    // 批准: a sending run of the console, to its end.
    let r = post(
        &c,
        &format!("/schedule/{paused}/approve"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    let run_page = r.url().path().to_string();
    assert!(run_page.starts_with("/runs/"), "{run_page}");
    let done = wait_until_done(&c, &run_page).await;
    assert!(done.contains("data-status=\"ok\""), "{done}");
    assert!(emu.store.person("new01").is_some() && emu.store.person("new02").is_some());
    assert_eq!(
        runs(&bgy).await.iter().find(|r| r["id"] == paused).unwrap()["status"],
        "approved"
    );
    // Said in the page's language, with the status a script reads.
    let (_, run) = c.page(&format!("/history/{paused}")).await;
    assert!(
        run.contains("data-status=\"approved\">已批准</span>"),
        "{run}"
    );
    // The schedule's recent runs name the run that sent it, and its changes.
    let all = runs(&bgy).await;
    let sent = all
        .iter()
        .find(|r| r["id"].as_i64() > Some(paused))
        .unwrap();
    assert!(sent["changes"].as_i64() > Some(0), "{sent}");
    let (_, html) = c.page("/schedule").await;
    let id = &sent["id"];
    assert!(
        html.contains(&format!(
            "已批准 · 发送于 <a href=\"/history/{id}\">#{id}</a></td><td>{}</td>",
            sent["changes"]
        )),
        "{html}"
    );
    // So does the history's.
    let (_, history) = c.page("/history").await;
    assert!(
        history.contains(&format!(
            "已批准 · 发送于 <a href=\"/history/{id}\">#{id}</a>"
        )),
        "{history}"
    );
    // The next export pauses too; 拒绝 decides it without sending.
    bgy.write(
        "hr/花名册-2.csv",
        sheet(0..20, &NEWCOMERS) + "new03,新人三,13900000003,2\nnew04,新人四,13900000004,2\n",
    );
    let second = loop {
        let id = until_run(&bgy, "pending").await;
        if id != paused {
            break id;
        }
    };
    let r = post(
        &c,
        &format!("/schedule/{second}/reject"),
        &[("csrf", csrf.as_str())],
    )
    .await;
    assert_eq!(r.url().path(), "/schedule");
    let (_, html) = c.page("/schedule").await;
    assert!(html.contains("data-testid=\"no-pending\""), "{html}");
    assert!(html.contains("data-status=\"rejected\""), "{html}");
    let (_, history) = c.page("/history").await;
    assert!(history.contains("data-status=\"rejected\""), "{history}");
    let (_, run) = c.page(&format!("/history/{second}")).await;
    assert!(
        run.contains("data-testid=\"status\" data-status=\"rejected\""),
        "{run}"
    );
    assert!(emu.store.person("new03").is_none());
    assert!(robot.texts().iter().any(|t| t.contains("等待确认")));
    // Without the CSRF token: refused.
    let r = post(&c, &format!("/schedule/{second}/approve"), &[]).await;
    assert_eq!(r.status(), 403);
    // An export with an invalid row sends nothing (on_invalid's default): the page says that
    // nothing changed, not that the run was done.
    bgy.write("hr/花名册-3.csv", sheet(0..20, &["new05,新人五,1390000,2"]));
    let invalid = until_run(&bgy, "rows failed").await;
    let (_, html) = c.page("/schedule").await;
    assert!(
        html.contains(&format!("<a href=\"/history/{invalid}\">{invalid}</a>"))
            && html.contains("data-status=\"rows-failed\">未改动,有行未通过</td><td>0</td>"),
        "{html}"
    );
    // Its page: nothing to undo, and the report that names the invalid row, to download.
    let (_, html) = c.page(&format!("/history/{invalid}")).await;
    assert!(
        html.contains("data-testid=\"nothing-changed\"")
            && !html.contains("data-testid=\"undo\"")
            && html.contains(&format!("href=\"/history/{invalid}/report\"")),
        "{html}"
    );
    let report = c
        .http
        .get(format!("{}/history/{invalid}/report", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(report.status(), 200);
    bgy.write("downloaded.xlsx", report.bytes().await.unwrap());
    let rows = read_sheet(&bgy.path("downloaded.xlsx"), "全部 All");
    assert!(
        rows.iter().any(|r| r.iter().any(|c| c.contains("new05"))),
        "{rows:?}"
    );
    // A run of the command line keeps its report where it wrote it: not served.
    bgy.write("x.csv", sheet(0..20, &[]));
    bgy.run(&["sync", "x.csv", "--yes"]).await;
    let by_hand = runs(&bgy).await[0]["id"].as_i64().unwrap();
    assert!(by_hand > invalid);
    let (_, html) = c.page(&format!("/history/{by_hand}")).await;
    assert!(!html.contains("data-testid=\"report\""), "{html}");
    assert_eq!(c.page(&format!("/history/{by_hand}/report")).await.0, 404);
}

#[tokio::test]
async fn marking_leavers_by_hand_is_confirmed_and_guarded_like_deleting() {
    let emu = directory(20).await;
    let bgy = Bgy::new().against(&emu);
    bgy.write("most.csv", sheet(0..18, &[]));
    // Not from a terminal: --yes, as for deleting.
    let out = bgy
        .run(&["sync", "most.csv", "--prune-mode", "leave"])
        .await;
    out.assert_code(2);
    assert!(
        out.stderr
            .contains("marking 2 people as leavers needs --yes"),
        "{}",
        out.stderr
    );
    assert!(emu.store.person("p000019").unwrap().get("status").is_none());
    // A sheet that leaves out most of the directory: refused past the guard.
    bgy.write("few.csv", sheet(0..5, &[]));
    let out = bgy
        .run(&["sync", "few.csv", "--prune-mode", "leave", "--yes"])
        .await;
    out.assert_code(2);
    assert!(
        out.stderr.contains("refusing to mark 15 of the 20"),
        "{}",
        out.stderr
    );
    assert!(
        out.stderr.contains("--force"),
        "the remedy named: {}",
        out.stderr
    );
    assert!(emu.store.person("p000010").unwrap().get("status").is_none());
    bgy.run(&["sync", "most.csv", "--prune-mode", "leave", "--yes"])
        .await
        .assert_code(0);
    assert_eq!(emu.store.person("p000019").unwrap()["status"], "3");
}

#[tokio::test]
async fn the_console_marks_leavers_after_a_typed_count() {
    let emu = directory(20).await;
    let bgy = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&bgy, &["--data", "runs"]).await;
    let (_, at, html) = c
        .upload("all.csv", sheet(0..18, &[]).into_bytes(), Some(&csrf))
        .await;
    assert!(html.contains("data-testid=\"prune-leave\""), "{html}");
    let r = post(
        &c,
        &format!("{at}/plan"),
        &[("csrf", csrf.as_str()), ("prune", "leave")],
    )
    .await;
    let plan = r.url().path().to_string();
    let html = r.text().await.unwrap();
    assert_eq!(crate::web::count(&html, "left"), 2, "{html}");
    assert!(html.contains("标记离职"), "the plan's lines say it: {html}");
    // Nobody is removed: no word of a backup before removing.
    assert!(!html.contains("可以恢复的备份"), "{html}");
    let refused = post(
        &c,
        &format!("{plan}/sync"),
        &[("csrf", csrf.as_str()), ("confirm", "1")],
    )
    .await;
    assert_eq!(refused.status(), 400);
    assert!(refused.text().await.unwrap().contains("标记为已离职"));
    assert!(emu.store.person("p000019").unwrap().get("status").is_none());
    let r = post(
        &c,
        &format!("{plan}/sync"),
        &[("csrf", csrf.as_str()), ("confirm", "2")],
    )
    .await;
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(crate::web::count(&html, "left"), 2, "{html}");
    assert_eq!(emu.store.person("p000018").unwrap()["status"], "3");
    assert_eq!(emu.store.person("p000019").unwrap()["status"], "3");
}

/// One mail a test's SMTP server received: the AUTH line, the envelope and the message.
#[derive(Debug, Default, Clone)]
struct Mail {
    auth: Vec<String>,
    from: String,
    to: Vec<String>,
    data: String,
}

/// An SMTP server in the test that takes every mail (and any password), on a port of its own.
async fn mail_server() -> (Arc<Mutex<Vec<Mail>>>, u16) {
    use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
    let mails = Arc::new(Mutex::new(Vec::new()));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let kept = mails.clone();
    tokio::spawn(async move {
        while let Ok((socket, _)) = listener.accept().await {
            let kept = kept.clone();
            tokio::spawn(async move {
                let (read, mut write) = socket.into_split();
                let mut lines = BufReader::new(read).lines();
                let mut mail = Mail::default();
                write.write_all(b"220 test ESMTP\r\n").await.unwrap();
                while let Ok(Some(line)) = lines.next_line().await {
                    let upper = line.to_ascii_uppercase();
                    let reply: &[u8] = if upper.starts_with("EHLO") {
                        b"250-test\r\n250-AUTH PLAIN LOGIN\r\n250 8BITMIME\r\n"
                    } else if upper.starts_with("AUTH") {
                        mail.auth.push(line.clone());
                        b"235 2.7.0 ok\r\n"
                    } else if upper.starts_with("MAIL FROM:") {
                        mail.from = line[10..].to_string();
                        b"250 ok\r\n"
                    } else if upper.starts_with("RCPT TO:") {
                        mail.to.push(line[8..].to_string());
                        b"250 ok\r\n"
                    } else if upper == "DATA" {
                        write.write_all(b"354 go on\r\n").await.unwrap();
                        while let Ok(Some(l)) = lines.next_line().await {
                            if l == "." {
                                break;
                            }
                            mail.data.push_str(&l);
                            mail.data.push('\n');
                        }
                        kept.lock().unwrap().push(std::mem::take(&mut mail));
                        b"250 queued\r\n"
                    } else if upper == "QUIT" {
                        let _ = write.write_all(b"221 bye\r\n").await;
                        return;
                    } else {
                        b"250 ok\r\n"
                    };
                    write.write_all(reply).await.unwrap();
                }
            });
        }
    });
    (mails, port)
}

/// The base64 part after `header` in a mail, decoded.
fn base64_part(data: &str, header: &str) -> Vec<u8> {
    use base64::Engine as _;
    let at = data
        .find(header)
        .unwrap_or_else(|| panic!("{header} in {data}"));
    let body = &data[at..];
    let start = body.find("\n\n").expect("a body") + 2;
    let text: String = body[start..]
        .lines()
        .take_while(|l| !l.is_empty() && !l.starts_with("--"))
        .collect();
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .expect("base64")
}

/// A header's text, its `=?utf-8?b?…?=` words decoded.
fn header_text(data: &str, header: &str) -> String {
    use base64::Engine as _;
    let line = data
        .lines()
        .find_map(|l| l.strip_prefix(header))
        .unwrap_or_else(|| panic!("{header} in {data}"));
    let (mut out, mut rest) = (Vec::new(), line.trim_start());
    while let Some(at) = rest.find("=?") {
        out.extend_from_slice(&rest.as_bytes()[..at]);
        let word = &rest[at + 2..];
        let end = word.find("?=").expect("an encoded word's end");
        let text = word[..end].split('?').nth(2).unwrap_or("");
        out.extend(
            base64::engine::general_purpose::STANDARD
                .decode(text)
                .expect("base64"),
        );
        rest = &word[end + 2..];
    }
    out.extend_from_slice(rest.as_bytes());
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn the_run_s_end_is_mailed_with_its_report_and_the_password_never_shown() {
    const PASSWORD: &str = "Mail-Pa55word-Never-Shown";
    let emu = directory(20).await;
    let (mails, port) = mail_server().await;
    let bgy = Bgy::new().against(&emu);
    std::fs::create_dir_all(bgy.path("hr")).unwrap();
    let toml = |port: u16| {
        format!(
            "[schedule]\ncron = \"0 30 2 * * *\"\nfolder = \"hr\"\nsettle_seconds = 0.05\nmax_changes = 5\n\
             [notify]\nsmtp = {{ url = \"smtp://bgy%40example.com:{PASSWORD}@127.0.0.1:{port}\", \
             from = \"bgy <bgy@example.com>\", to = [\"hr@example.com\", \"it@example.com\"] }}\n"
        )
    };
    bgy.write("bgy.toml", toml(port));
    let check = bgy.run(&["schedule", "--check"]).await;
    check.assert_code(0);
    assert!(
        check.stderr.contains(&format!(
            "mail smtp://127.0.0.1:{port} → hr@example.com, it@example.com"
        )),
        "{}",
        check.stderr
    );
    // A test message first, as IT sends one when setting up.
    let test = bgy.run(&["schedule", "--test-notify"]).await;
    test.assert_code(0);
    let tested = mails.lock().unwrap().remove(0);
    assert_eq!(header_text(&tested.data, "Subject:"), "bgy 定时同步:测试");
    assert!(!test.stderr.contains(PASSWORD), "{}", test.stderr);
    bgy.write("hr/花名册-1.csv", sheet(0..20, &NEWCOMERS));
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["created"], 2, "{}", out.stdout);
    let mail = {
        let mails = mails.lock().unwrap();
        assert_eq!(mails.len(), 1, "{mails:?}");
        mails[0].clone()
    };
    assert_eq!(mail.from, "<bgy@example.com>");
    assert_eq!(mail.to, ["<hr@example.com>", "<it@example.com>"]);
    // Signed in with the address's user and password.
    {
        use base64::Engine as _;
        let plain = mail.auth[0].rsplit(' ').next().unwrap();
        let plain = base64::engine::general_purpose::STANDARD
            .decode(plain)
            .unwrap();
        assert_eq!(plain, format!("\0bgy@example.com\0{PASSWORD}").into_bytes());
    }
    assert_eq!(header_text(&mail.data, "Subject:"), "bgy 定时同步:成功");
    let text = String::from_utf8(base64_part(&mail.data, "Content-Type: text/plain")).unwrap();
    assert!(
        text.contains("新增 **2**") && text.contains("花名册-1.csv") && !text.contains("<font"),
        "{text}"
    );
    // The report attached: a workbook, named as it is (its name in RFC 2231's parts).
    assert!(
        mail.data.contains("%E8%8A%B1%E5%90%8D%E5%86%8C-1.report-"),
        "{}",
        mail.data
    );
    let report = base64_part(&mail.data, "Content-Disposition: attachment");
    assert!(report.starts_with(b"PK"), "a workbook attached");
    // A server that does not answer: a warning, the run itself a success.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let dead = closed.local_addr().unwrap().port();
    drop(closed);
    bgy.write("bgy.toml", toml(dead));
    bgy.write(
        "hr/花名册-2.csv",
        sheet(
            0..20,
            &[NEWCOMERS[0], NEWCOMERS[1], "new03,新人三,13900000003,2"],
        ),
    );
    let down = bgy.run(&["schedule", "--once"]).await;
    down.assert_code(0);
    assert!(
        down.stderr.contains("the e-mail was not sent"),
        "{}",
        down.stderr
    );
    for run in [&check, &out, &down] {
        assert!(!run.stdout.contains(PASSWORD) && !run.stderr.contains(PASSWORD));
    }
    for (path, bytes) in all_files(bgy.dir.path()) {
        if !path.ends_with("bgy.toml") {
            assert!(
                !contains(&bytes, PASSWORD),
                "the password in {}",
                path.display()
            );
        }
    }
}

/// An HR export naming a department HR made in its own system and not yet in 办公逸: each
/// night's run failed on those rows until someone made it by hand. With `create_departments =
/// true` the job makes it, parents first, places the people there, and the robot says so.
#[tokio::test]
async fn an_export_s_new_department_is_made_by_a_job_that_creates_departments() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    let departments = emu.store.departments().len();
    let mut csv = sheet_with_paths(0..20);
    csv.push_str("new01,新人一,13900000001,,办公逸/新中心/一组\n");
    settings(&bgy, &hook, "max_changes = 5");
    bgy.write("hr/花名册-1.csv", &csv);
    let out = bgy.run(&["schedule", "--once"]).await;
    out.assert_code(1);
    assert!(emu.store.person("new01").is_none());
    // The job takes no options: what helps is bgy.toml's setting, on the terminal and in the
    // robot's message alike.
    assert!(
        out.stderr
            .contains("→ 在 bgy.toml 的 [schedule] 中写 create_departments = true")
            && !out.stderr.contains("--create-departments"),
        "{}",
        out.stderr
    );
    let failed = robot.texts().pop().unwrap();
    assert!(
        failed.contains("→ 在 bgy.toml 的 [schedule] 中写 create_departments = true\n")
            && !failed.contains("under [schedule]"),
        "{failed}"
    );

    settings(&bgy, &hook, "max_changes = 5\ncreate_departments = true");
    let check = bgy.run(&["schedule", "--check"]).await;
    assert!(
        check.stderr.contains("create_departments true"),
        "{}",
        check.stderr
    );
    // The next night's export (the same file is not run twice).
    csv.push_str("new02,新人二,13900000002,2,\n");
    bgy.write("hr/花名册-2.csv", &csv);
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(0);
    assert_eq!(out.json()["created"], 2, "{}", out.stderr);
    assert_eq!(emu.store.departments().len(), departments + 2);
    let texts = robot.texts();
    let last = texts.last().unwrap();
    assert!(
        last.contains("成功") && last.contains("新建部门 **2**"),
        "{last}"
    );
}

/// A run paused past max_changes that would make departments makes them once approved: the
/// approval plans as the paused run did, and its plan is the one approved.
#[tokio::test]
async fn an_approved_run_makes_the_departments_its_plan_had() {
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let bgy = Bgy::new().against(&emu);
    let departments = emu.store.departments().len();
    settings(&bgy, &hook, "max_changes = 0\ncreate_departments = true");
    let mut csv = sheet_with_paths(0..20);
    csv.push_str("new01,新人一,13900000001,,办公逸/新中心\n");
    bgy.write("hr/花名册.csv", &csv);
    let out = bgy.run(&["schedule", "--once", "--json"]).await;
    out.assert_code(4);
    let run = out.json()["history_run"].as_i64().expect("the paused run");
    assert!(
        robot.texts()[0].contains("计划新建部门 **1**(尚未发送)"),
        "{}",
        robot.texts()[0]
    );
    assert_eq!(emu.store.departments().len(), departments, "nothing sent");
    // bgy.toml changed since: the approval plans as the paused run did.
    settings(&bgy, &hook, "max_changes = 0");
    bgy.run(&["approve", &run.to_string()]).await.assert_code(0);
    assert_eq!(emu.store.departments().len(), departments + 1);
    assert!(emu.store.person("new01").is_some());
}
