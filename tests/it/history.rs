//! The history: every run that changes the directory, every change with the record before
//! it and what was sent, crash-safe, with bank cards stored and never shown.

use std::time::Duration;

use bgy::history::History;

use crate::common::*;
use crate::console_runs::post;
use crate::web::Console;

const FULL: &str = "帐号,姓名,手机,部门,银行卡号,开户行,考勤号,职级\n\
h1,甲,13800000001,办公逸/研发部,6222020200001111,工商银行,9001,P1\n\
h2,乙,13800000002,办公逸/研发部,6222020200002222,建设银行,9002,P2\n";

fn history(b: &Bgy) -> History {
    History::open(&b.path(".bgy/history.sqlite")).unwrap()
}

#[tokio::test]
async fn every_change_is_recorded_with_the_record_before_and_what_was_sent() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("staff.csv", FULL);
    b.run(&["import", "staff.csv"]).await.assert_code(0);
    b.write("renamed.csv", FULL.replace("甲", "甲二"));
    b.run(&["import", "renamed.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    b.run(&["check", "staff.csv"]).await.assert_code(0);

    let r = b.run(&["history", "--json"]).await;
    r.assert_code(0);
    let runs = r.json()["runs"].as_array().unwrap().clone();
    assert_eq!(runs.len(), 2, "a check changes nothing and is not recorded");
    assert_eq!(runs[0]["command"], "import");
    assert_eq!(runs[0]["input"], "renamed.csv");
    assert_eq!(runs[0]["counts"]["updated"], 2);
    assert_eq!(runs[1]["counts"]["created"], 2);
    assert_eq!(runs[0]["status"], "ok");
    assert!(!r.stdout.contains("6222"), "no bank card in the listing");

    let h = history(&b);
    let created = h.changes(runs[1]["id"].as_i64().unwrap()).unwrap();
    assert_eq!(created.len(), 2);
    let h1 = created.iter().find(|c| c.account == "h1").unwrap();
    assert_eq!(h1.kind, bgy::history::ChangeKind::Created);
    assert_eq!(h1.sent["bank_card"], "6222020200001111", "stored");
    let updated = h.changes(runs[0]["id"].as_i64().unwrap()).unwrap();
    let first = updated.iter().find(|c| c.account == "h1").unwrap();
    assert_eq!(first.kind, bgy::history::ChangeKind::Updated);
    assert_eq!(first.before["we_name"]["value"], "甲");
    assert_eq!(first.before["we_name"]["source"], "listing");
    assert_eq!(first.before["bank_card"]["value"], "6222020200001111");
    assert_eq!(
        first.before["bank_card"]["source"], "sent",
        "known from the history"
    );
    assert_eq!(first.sent["we_name"], "甲二");

    let r = b
        .run(&["history", "show", &runs[0]["id"].to_string(), "--json"])
        .await;
    r.assert_code(0);
    assert!(!r.stdout.contains("6222"), "bank cards are never shown");
    assert_eq!(r.json()["changes"][0]["sent"]["bank_card"], "***");
    let text = b
        .run(&["history", "show", &runs[0]["id"].to_string()])
        .await;
    assert!(text.stdout.contains("we_name=甲二") && !text.stdout.contains("6222"));

    let r = b.run(&["history", "--export", "audit.xlsx"]).await;
    r.assert_code(0);
    let audit = Sheet::read(&b.path("audit.xlsx"), "审计 Audit");
    let renamed = audit.row_where("新值 New", "甲二");
    assert_eq!(audit.cell(renamed, "原值 Old"), "甲");
    assert_eq!(audit.cell(renamed, "字段 Field"), "we_name");
    assert!(!audit.rows.iter().flatten().any(|c| c.contains("6222")));
}

#[tokio::test]
async fn a_delete_records_every_field_bgy_knew() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("staff.csv", FULL);
    b.run(&["import", "staff.csv"]).await.assert_code(0);
    b.write("leavers.csv", "帐号\nh2\n");
    b.run(&["delete", "leavers.csv", "--yes", "--force"])
        .await
        .assert_code(0);
    let h = history(&b);
    let run = h.runs(1).unwrap().remove(0);
    assert_eq!(run.command, "delete");
    let changes = h.changes(run.id).unwrap();
    assert_eq!(changes.len(), 1);
    let before = &changes[0].before;
    assert_eq!(changes[0].kind, bgy::history::ChangeKind::Deleted);
    assert_eq!(before["we_name"]["value"], "乙");
    assert_eq!(before["bank_card"]["value"], "6222020200002222");
    assert_eq!(before["check_id"]["value"], "9002");
    assert_eq!(before["position_level_id"]["value"], "P2");
}

#[tokio::test]
async fn the_history_survives_a_kill() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(20));
    let b = Bgy::new().against(&emu);
    b.write("staff.csv", staff_csv("k", 300));
    let mut child = b.spawn(&["import", "staff.csv", "--concurrency", "2"]);
    wait_for_journal(b.dir.path(), 20).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let h = history(&b);
    let run = h.runs(1).unwrap().remove(0);
    assert_eq!(
        run.status,
        bgy::history::RunStatus::Running,
        "killed before its end"
    );
    let changes = h.changes(run.id).unwrap();
    let journaled = journal_entries(b.dir.path()).len();
    assert!(changes.len() >= 20, "{} changes", changes.len());
    assert!(
        changes.len() <= journaled + 2,
        "{} vs {journaled}",
        changes.len()
    );
    // Calls in flight at the kill may have landed unrecorded, as with the journal.
    let made = emu.store.staff_count() as usize - 2;
    assert!(
        (changes.len()..=changes.len() + 2).contains(&made),
        "{made} made"
    );
}

#[tokio::test]
async fn a_delete_backup_restores_every_field_bgy_knew() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("staff.csv", FULL);
    b.run(&["import", "staff.csv"]).await.assert_code(0);
    b.write("leavers.csv", "帐号\nh1\nh2\nzhangsan\n");
    let r = b.run(&["delete", "leavers.csv", "--yes", "--force"]).await;
    r.assert_code(0);
    // zhangsan came from the seed: bgy never sent his bank card, and says so first.
    assert!(r.stderr.contains("银行卡号 1/3"), "{}", r.stderr);
    assert_eq!(emu.store.staff_count(), 1);
    let backup = std::fs::read_dir(b.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains(".backup-"))
        .expect("a backup");
    let first = read_sheet(&backup, "成员 Staff");
    assert!(
        first[0][0].contains("银行卡号 1/3"),
        "its first line: {:?}",
        first[0]
    );
    b.run(&["import", backup.to_str().unwrap()])
        .await
        .assert_code(0);
    let h1 = emu.store.person("h1").unwrap();
    assert_eq!(h1["bank_card"], "6222020200001111");
    assert_eq!(h1["bank_name"], "工商银行");
    assert_eq!(h1["check_id"], "9001");
    assert_eq!(h1["position_level_id"], "P1");
    assert_eq!(h1["we_mobile"], "13800000001");
    assert_eq!(
        emu.store.staff_count(),
        4,
        "lisi stayed, the three came back"
    );
}

/// `n` people with every field filled, as a CSV.
fn everyone(prefix: &str, n: usize, name: &str) -> String {
    let mut s = String::from(
        "帐号,姓名,英文名,性别,手机,邮箱,部门,职位,职级,工作电话,工作地址,入职时间,银行卡号,开户行,考勤号\n",
    );
    for i in 0..n {
        s.push_str(&format!(
            "{prefix}{i:03},{name}{i},Name{i},{},139{i:08},{prefix}{i}@example.com,办公逸/研发部,工程师,P{},010-{i:04},北京路{i}号,2020-01-{:02},62220202{i:011},工商银行,{}\n",
            if i % 2 == 0 { "男" } else { "女" },
            i % 5,
            1 + i % 28,
            7000 + i,
        ));
    }
    s
}

fn records(
    emu: &bgy::emulator::Running,
    prefix: &str,
    n: usize,
) -> Vec<serde_json::Map<String, serde_json::Value>> {
    (0..n)
        .map(|i| emu.store.person(&format!("{prefix}{i:03}")).unwrap())
        .collect()
}

/// The id of the newest run in the history.
async fn last_run(b: &Bgy) -> String {
    b.run(&["history", "--json", "--limit", "1"]).await.json()["runs"][0]["id"].to_string()
}

#[tokio::test]
async fn undo_of_an_update_restores_every_field_and_undo_of_the_undo_redoes() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("all.csv", everyone("u", 10, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    let before = records(&emu, "u", 10);
    // Half of them updated, every field that can change.
    let changed: String = everyone("u", 10, "改名")
        .replace("工程师", "经理")
        .replace("工商银行", "招商银行")
        .replace("北京路", "上海路")
        .lines()
        .take(6)
        .map(|l| format!("{l}\n"))
        .collect();
    b.write("half.csv", changed);
    b.run(&["import", "half.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    let updated = records(&emu, "u", 10);
    assert_ne!(updated, before);
    let update_run = last_run(&b).await;
    let r = b.run(&["undo", &update_run, "--dry-run"]).await;
    r.assert_code(0);
    // The inverse is the product, on stdout; the last line counts what the undo would do.
    assert!(r.stdout.contains("恢复 (restore)"), "{}", r.stdout);
    // Each restore says what it sends back, as it is now and as it will be: not the fields
    // it sends as they are (性别), and never a whole card.
    let restore = (r.stdout.lines())
        .find(|l| l.contains("恢复 (restore) u001"))
        .unwrap_or_else(|| panic!("{}", r.stdout));
    let (now, back) = restore
        .split_once(" → ")
        .unwrap_or_else(|| panic!("{restore}"));
    assert!(
        now.contains("职位=经理") && back.contains("职位=工程师"),
        "{restore}"
    );
    assert!(back.contains("银行卡号=****0001"), "{restore}");
    assert!(
        !r.stdout.contains("性别=") && !r.stdout.contains("6222020200000000001"),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("bgy undo: 5 changes: 5 to update, nothing sent"),
        "{}",
        r.stderr
    );
    assert_eq!(records(&emu, "u", 10), updated, "a dry run sends nothing");
    let r = b.run(&["undo", &update_run, "--yes", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["updated"], 5);
    assert_eq!(
        records(&emu, "u", 10),
        before,
        "every field as before the update"
    );
    // The undo is a run of its own: undoing it redoes the update.
    let undo_run = last_run(&b).await;
    assert_ne!(undo_run, update_run);
    b.run(&["undo", &undo_run, "--yes"]).await.assert_code(0);
    assert_eq!(records(&emu, "u", 10), updated, "redone");
}

/// The people whose records hold what an update sent them (`改名` in the name).
fn renamed(emu: &bgy::emulator::Running, n: usize) -> usize {
    records(emu, "u", n)
        .iter()
        .filter(|r| r["we_name"].as_str().is_some_and(|s| s.contains("改名")))
        .count()
}

/// Runs `bgy ARGS` while the emulator holds every answer, kills it once `applied` says the
/// server has applied what it was waiting for (and a moment more), and lets answers go again:
/// the killed run's id, which the history records no change for.
async fn killed_unanswered(
    emu: &bgy::emulator::Running,
    b: &Bgy,
    args: &[&str],
    applied: impl Fn() -> bool,
) -> i64 {
    emu.set_hold(Duration::from_secs(60));
    let mut child = b.spawn(args);
    for _ in 0..400 {
        if applied() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    emu.set_hold(Duration::ZERO);
    let killed = newest_run(b);
    assert!(
        history(b).changes(killed).unwrap().is_empty(),
        "no answer, no change"
    );
    killed
}

/// A kill while updates are in flight: the server applied two whose answers never came, so
/// the history has no change for them. It wrote down what each was to change before it went,
/// and the undo asks the directory which landed and takes those back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_of_a_killed_run_takes_back_the_updates_it_never_heard_back_from() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("all.csv", everyone("u", 10, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    let h = history(&b);
    let import = newest_run(&b);
    let mut left = Vec::new();
    h.each_unanswered(import, |c| {
        left.push(c.account);
        Ok(())
    })
    .unwrap();
    assert_eq!(
        left,
        Vec::<String>::new(),
        "every call of a run that ended was answered"
    );
    let before = records(&emu, "u", 10);

    b.write("all.csv", everyone("u", 10, "改名"));
    let args = [
        "--concurrency",
        "2",
        "import",
        "all.csv",
        "--cover",
        "overwrite",
    ];
    let killed = killed_unanswered(&emu, &b, &args, || renamed(&emu, 10) >= 2).await;
    assert_eq!(renamed(&emu, 10), 2, "two updates applied, unanswered");

    undone_saying(&b, killed, ": 2 took effect and are undone with the rest").await;
    assert_eq!(records(&emu, "u", 10), before, "both taken back");
}

/// Updates whose every answer was lost (the server applied them and answered after the
/// client stopped waiting) fail the run's rows, and the history has no change for them: its
/// undo still takes them back, as the directory shows they took effect.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_takes_back_updates_whose_answers_were_all_lost() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("all.csv", everyone("u", 3, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    let before = records(&emu, "u", 3);

    // Answers held well past the client's patience, which still lets the listing (not held) in
    // on a busy machine.
    emu.set_hold(Duration::from_millis(2000));
    b.write("all.csv", everyone("u", 3, "改名"));
    let r = b
        .run(&[
            "--timeout",
            "0.5",
            "import",
            "all.csv",
            "--cover",
            "overwrite",
            "--json",
        ])
        .await;
    emu.set_hold(Duration::ZERO);
    assert_eq!(r.json()["failed"], 3, "{}", r.stdout);
    assert_eq!(renamed(&emu, 3), 3, "applied all the same");
    let run = newest_run(&b);
    assert!(history(&b).changes(run).unwrap().is_empty());
    // The run says so, on the command line and in the console.
    let listed = b.run(&["history"]).await;
    assert!(
        listed.stdout.contains("; 3 个调用没有收到回答"),
        "{}",
        listed.stdout
    );
    // What each was to change: `bgy history show` lists them after the changes, and the audit
    // log writes them as the changes they were to make.
    let shown = b.run(&["history", "show", &run.to_string()]).await;
    let after = shown
        .stdout
        .split("3 个调用没有收到回答")
        .nth(1)
        .unwrap_or("");
    for i in 0..3 {
        let line = after.lines().find(|l| l.contains(&format!("u{i:03}")));
        assert!(
            line.is_some_and(|l| l.contains("updated") && l.contains(&format!("we_name=改名{i}"))),
            "{}",
            shown.stdout
        );
    }
    let json = b
        .run(&["history", "show", &run.to_string(), "--json"])
        .await
        .json();
    assert_eq!(
        json["unanswered"].as_array().map(Vec::len),
        Some(3),
        "{json}"
    );
    b.run(&["history", "--export", "audit.xlsx"])
        .await
        .assert_code(0);
    let audit = read_sheet(&b.path("audit.xlsx"), "审计 Audit");
    let (kind, field) = (col(&audit, "变更 Change"), col(&audit, "字段 Field"));
    let never: Vec<_> = (audit.iter())
        .filter(|r| r[kind].contains("never answered: may have taken effect"))
        .filter(|r| r[field] == "we_name")
        .collect();
    assert_eq!(never.len(), 3, "{audit:?}");
    assert!(never
        .iter()
        .all(|r| r[kind].starts_with("updated (未收到回答")));
    let (console, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, page) = console.page(&format!("/history/{run}")).await;
    assert!(
        page.contains("data-testid=\"unanswered\">3 个调用发出后没有收到回答"),
        "{page}"
    );
    // No empty table of changes above them: no call was answered.
    assert!(
        page.contains("data-testid=\"no-changes\"") && !page.contains("data-testid=\"changes\""),
        "{page}"
    );
    // Each listed with what it was to change, bank cards masked.
    let calls = page
        .split("data-testid=\"unanswered-calls\"")
        .nth(1)
        .unwrap_or("");
    for i in 0..3 {
        assert!(
            calls.contains(&format!("<td>u{i:03}</td><td>改名{i}</td>")),
            "{page}"
        );
    }
    assert!(!calls.contains("62220202"), "{page}");
    // The console's plan of the undo says what became of them.
    let undo = format!("/history/{run}/undo");
    let plan = post(&console, &undo, &[("csrf", &csrf)]).await;
    let plan = plan.text().await.unwrap();
    assert!(plan.contains("没有收到回答:3 个已生效,一并撤销"), "{plan}");
    drop(console);

    undone_saying(
        &b,
        run,
        ": 3 took effect and are undone with the rest, 0 did not",
    )
    .await;
    assert_eq!(records(&emu, "u", 3), before, "taken back");
}

/// A kill while a department's rename is in flight (the server renamed it, the answer never
/// came), in a sync and in `bgy dept rename`: the history wrote the rename down before it
/// went, says so, and the undo renames the department back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_of_a_killed_run_renames_back_the_department_it_never_heard_back_from() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let staff = read_sheet(&b.path("x.xlsx"), "成员 Staff");
    let mut depts = read_sheet(&b.path("x.xlsx"), "部门 Departments");
    depts
        .iter_mut()
        .filter(|r| r[0] == "3")
        .for_each(|r| r[1] = "客户成功部".into());
    crate::departments::write_book(&b.path("edited.xlsx"), &staff, &depts);
    let name = || {
        let depts = emu.store.departments();
        depts.into_iter().find(|d| d.we_id == 3).unwrap().we_name
    };
    assert_eq!(name(), "客服部");

    let sync = ["sync", "edited.xlsx", "--yes"];
    let killed = killed_unanswered(&emu, &b, &sync, || name() == "客户成功部").await;
    let listed = b.run(&["history"]).await;
    assert!(
        listed.stdout.contains("; 1 个调用没有收到回答"),
        "{}",
        listed.stdout
    );
    undone_saying(
        &b,
        killed,
        ": 1 took effect and are undone with the rest, 0 did not",
    )
    .await;
    assert_eq!(name(), "客服部", "renamed back");

    let rename = ["dept", "rename", "办公逸/客服部", "服务部"];
    let killed = killed_unanswered(&emu, &b, &rename, || name() == "服务部").await;
    b.run(&["undo", &killed.to_string(), "--yes"])
        .await
        .assert_code(0);
    assert_eq!(name(), "客服部", "renamed back");
}

/// `bgy undo RUN --yes` succeeds, and says `said` of the calls the run never heard back from.
async fn undone_saying(b: &Bgy, run: i64, said: &str) {
    let r = b.run(&["undo", &run.to_string(), "--yes"]).await;
    r.assert_code(0);
    assert!(r.stderr.contains(said), "{}", r.stderr);
}

/// The id of the newest run, from the history itself (a killed run's too).
fn newest_run(b: &Bgy) -> i64 {
    history(b).runs(1).unwrap().remove(0).id
}

/// A dates run is undone the way it was sent: 50 people a `staff/entry-time` call, not a
/// `staff/add` each (100,000 dates went back in 100,000 calls).
/// An overwrite that sent everyone what they already had: its undo would send them the same,
/// and says so rather than saying nothing.
#[tokio::test]
async fn an_undo_that_changes_nothing_a_person_shows_says_so() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    // Only fields the listing shows: whether the directory still has the others, nothing says.
    let sheet: String = (0..3)
        .map(|i| format!("s00{i},员工{i},1390013900{i},办公逸/研发部\n"))
        .collect();
    b.write("all.csv", format!("帐号,姓名,手机,部门\n{sheet}"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    b.run(&["import", "all.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    let r = b.run(&["undo", &last_run(&b).await, "--dry-run"]).await;
    r.assert_code(0);
    let same = r
        .stdout
        .lines()
        .filter(|l| l.contains("与现在相同 (as it is now)"));
    assert_eq!(same.count(), 3, "{}", r.stdout);
}

#[tokio::test]
async fn undo_of_a_dates_run_sends_the_old_dates_fifty_a_call() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("all.csv", everyone("d", 60, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    let before = records(&emu, "d", 60);
    let mut dates = String::from("帐号,入职时间\n");
    for i in 0..60 {
        dates.push_str(&format!("d{i:03},2024-06-{:02}\n", 1 + i % 28));
    }
    b.write("dates.csv", dates);
    b.run(&["times", "dates.csv"]).await.assert_code(0);
    assert_ne!(records(&emu, "d", 60), before);
    let (adds, batches) = (
        emu.stats.calls("staff/add"),
        emu.stats.calls("staff/entry-time"),
    );
    let r = b
        .run(&["undo", &last_run(&b).await, "--yes", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["updated"], 60, "{}", r.stderr);
    assert_eq!(records(&emu, "d", 60), before, "every entry date as it was");
    assert_eq!(
        (
            emu.stats.calls("staff/add") - adds,
            emu.stats.calls("staff/entry-time") - batches
        ),
        (0, 2),
        "two calls of at most 50, no staff/add"
    );
}

/// A kill while a batch of dates is in flight: the undo asks the directory whether they took
/// effect and sends the old ones back.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_of_a_killed_dates_run_sends_back_the_dates_it_never_heard_back_about() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("all.csv", everyone("t", 5, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    let before = records(&emu, "t", 5);
    let dates: String = (0..5)
        .map(|i| format!("t{i:03},2024-06-0{}\n", i + 1))
        .collect();
    b.write("dates.csv", format!("帐号,入职时间\n{dates}"));
    let moved = || {
        records(&emu, "t", 5).iter().all(|r| {
            r["entry_time"]
                .as_str()
                .is_some_and(|d| d.starts_with("2024-06"))
        })
    };
    let killed = killed_unanswered(&emu, &b, &["times", "dates.csv"], moved).await;
    assert!(moved(), "the dates took effect");
    let r = b
        .run(&["undo", &killed.to_string(), "--yes", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["updated"], 5, "{}", r.stderr);
    assert_eq!(records(&emu, "t", 5), before, "every entry date as it was");
}

#[tokio::test]
async fn undo_of_a_delete_brings_back_thirty_with_every_field() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("all.csv", everyone("d", 30, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    let before = records(&emu, "d", 30);
    let leavers: String = (0..30).map(|i| format!("d{i:03}\n")).collect();
    b.write("leavers.csv", format!("帐号\n{leavers}"));
    b.run(&["delete", "leavers.csv", "--yes", "--force"])
        .await
        .assert_code(0);
    assert_eq!(emu.store.staff_count(), 2);
    let delete_run = last_run(&b).await;
    let r = b.run(&["undo", &delete_run, "--yes", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 30);
    // Named as the history recorded them, gone from the directory as they were.
    assert!(
        r.stderr.contains("重建 (re-create) d007 (员工7)"),
        "{}",
        r.stderr
    );
    let after = records(&emu, "d", 30);
    for (a, b) in before.iter().zip(&after) {
        for key in [
            "we_name",
            "english_name",
            "we_gender",
            "we_mobile",
            "we_email",
            "we_department",
            "we_position",
            "position_level_id",
            "we_tel",
            "address",
            "entry_time",
            "bank_card",
            "bank_name",
            "check_id",
        ] {
            assert_eq!(a.get(key), b.get(key), "{key} of {}", a["we_userid"]);
        }
    }
}

/// A kill while a delete is in flight: the server removed them and the answer never came.
/// The history wrote down each person's record before the call went, and the undo brings
/// back those the directory no longer has.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_of_a_killed_delete_brings_back_those_it_never_heard_back_about() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("all.csv", everyone("d", 10, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    let before = records(&emu, "d", 10);
    let leavers: String = (0..10).map(|i| format!("d{i:03}\n")).collect();
    b.write("leavers.csv", format!("帐号\n{leavers}"));
    let args = ["delete", "leavers.csv", "--yes", "--force"];
    let killed = killed_unanswered(&emu, &b, &args, || emu.store.staff_count() == 2).await;
    assert_eq!(emu.store.staff_count(), 2, "deleted, unanswered");

    let r = b
        .run(&["undo", &killed.to_string(), "--yes", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 10, "{}", r.stderr);
    assert_eq!(records(&emu, "d", 10), before, "every field back");
}

/// Two people imported, then renamed by a run (its number, returned), then the first renamed
/// again by another: undoing the first rename finds that one changed since.
pub async fn renamed_then_one_renamed_again(b: &Bgy, prefix: &str) -> String {
    b.write("all.csv", everyone(prefix, 2, "员工"));
    b.run(&["import", "all.csv"]).await.assert_code(0);
    b.write("renamed.csv", everyone(prefix, 2, "改名"));
    b.run(&["import", "renamed.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    let rename_run = last_run(b).await;
    b.write("again.csv", everyone(prefix, 1, "后来"));
    b.run(&["import", "again.csv", "--cover", "overwrite"])
        .await
        .assert_code(0);
    rename_run
}

#[tokio::test]
async fn a_person_changed_since_is_a_conflict_and_keeps_the_newer_value() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let rename_run = renamed_then_one_renamed_again(&b, "c").await;
    // The plan counts the one left alone, in what it would do and in its summary.
    let r = b.run(&["undo", &rename_run, "--dry-run"]).await;
    r.assert_code(1);
    let plan = r.stdout.lines().find(|l| l.starts_with("plan: staff:"));
    assert!(
        plan.is_some_and(
            |l| l.contains("1 to update") && l.contains("1 changed since the run, left alone")
        ),
        "{}",
        r.stdout
    );
    assert!(
        r.stderr
            .contains("bgy undo: 2 changes: 1 to update, 1 changed since (left alone)"),
        "{}",
        r.stderr
    );
    // Its line says what changed, and how.
    let line = r.stdout.lines().find(|l| l.contains("冲突 (conflict)"));
    assert!(
        line.is_some_and(|l| l.contains("c000")
            && l.contains(r#"姓名 已改为 "后来0",不是本次运行设的 "改名0" (changed since: now "后来0", the run set "改名0")"#)),
        "{}",
        r.stdout
    );
    // Its report goes: the one below is the undo's.
    std::fs::remove_file(the_report(&b.path(".bgy/undo"))).unwrap();
    let r = b.run(&["undo", &rename_run, "--yes", "--json"]).await;
    r.assert_code(1);
    assert!(r.stderr.contains("conflict"), "{}", r.stderr);
    // Its row failed, saying what it is now and what the run had set.
    let report = the_report(&b.path(".bgy/undo"));
    let failed = read_sheet(&report, "失败 Failed");
    assert_eq!(failed.len(), 2, "{failed:?}");
    let why = &failed[1][col(&failed, "错误 Error")];
    assert!(why.contains(r#"now "后来0", the run set "改名0""#), "{why}");
    // The changed cell is red, and the reasons count conflicts by the field that changed
    // (one here: the example is the reason).
    let name = col(&failed, "姓名*") as u32;
    assert!(
        fill(&report, "失败 Failed", 1, name).is_some(),
        "{failed:?}"
    );
    assert!(
        r.stderr.contains(r#"1 × 姓名: 已改为 "后来0""#),
        "{}",
        r.stderr
    );
    assert_eq!(
        emu.store.person("c000").unwrap()["we_name"],
        "后来0",
        "the newer value stays"
    );
    assert_eq!(
        emu.store.person("c001").unwrap()["we_name"],
        "员工1",
        "the other is restored"
    );
    // --force restores over the conflict.
    b.run(&["undo", &rename_run, "--yes", "--force"])
        .await
        .assert_code(0);
    assert_eq!(emu.store.person("c000").unwrap()["we_name"], "员工0");
}

/// A person the run moved, and a later run moved again, is a conflict of 部门: the undo leaves
/// them where they are now, not where they were before the run.
#[tokio::test]
async fn a_person_moved_since_is_a_conflict_of_departments() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let sheet = |dept: &str| {
        format!("帐号,姓名,手机,部门\nmv01,调动,13900000001,{dept}\nmv02,留下,13900000002,{dept}\n")
    };
    b.write("a.csv", sheet("办公逸/研发部"));
    b.run(&["import", "a.csv"]).await.assert_code(0);
    b.write("b.csv", sheet("办公逸/客服部"));
    b.run(&["sync", "b.csv", "--yes"]).await.assert_code(0);
    let moved = last_run(&b).await;
    // mv01 moves on; mv02 stays where the run put it.
    b.write(
        "c.csv",
        "帐号,姓名,手机,部门\nmv01,调动,13900000001,办公逸/研发部/后端组\n",
    );
    b.run(&["sync", "c.csv", "--yes"]).await.assert_code(0);
    let dept = |account: &str| emu.store.person(account).unwrap()["we_department"].clone();
    let (after_c, put_by_run) = (dept("mv01"), dept("mv02"));
    assert_ne!(after_c, put_by_run);

    let r = b.run(&["undo", &moved, "--yes"]).await;
    r.assert_code(1);
    assert!(
        r.stderr
            .contains(r#"部门: 已改为 "办公逸/研发部/后端组",不是本次运行设的 "办公逸/客服部""#),
        "{}",
        r.stderr
    );
    assert_eq!(dept("mv01"), after_c, "the newer department stays");
    let back = dept("mv02");
    assert_ne!(back, put_by_run, "the other goes back to 研发部");
    // --force moves mv01 back too.
    b.run(&["undo", &moved, "--yes", "--force"])
        .await
        .assert_code(0);
    assert_eq!(dept("mv01"), back);
}

/// 客服部 renamed 服务部 by a run (its number, returned).
async fn renamed_by_a_run(emu: &bgy::emulator::Running) -> (Bgy, String) {
    let b = Bgy::new().against(emu);
    b.run(&["dept", "rename", "办公逸/客服部", "服务部"])
        .await
        .assert_code(0);
    let rename = last_run(&b).await;
    (b, rename)
}

#[tokio::test]
async fn a_department_rename_is_undone_and_a_create_is_reported() {
    let emu = emulator().await;
    let (b, rename) = renamed_by_a_run(&emu).await;
    b.run(&["dept", "add", "办公逸/新部门"])
        .await
        .assert_code(0);
    let create = last_run(&b).await;
    let r = b.run(&["undo", &create, "--yes"]).await;
    r.assert_code(0);
    assert!(r.stdout.contains("left in place"), "{}", r.stdout);
    let r = b.run(&["undo", &rename, "--yes"]).await;
    r.assert_code(0);
    let back = r.stdout.lines().find(|l| l.contains("rename back"));
    assert!(back.is_some_and(|l| l.contains("客服部")), "{}", r.stdout);
    let names = dept_names(&b).await;
    assert!(
        names.contains("客服部") && !names.contains("服务部"),
        "{names:?}"
    );
    assert!(names.contains("新部门"), "a create stays: {names:?}");
    // The undo renamed it back and recorded that: undoing the undo renames it again.
    let undo = last_run(&b).await;
    b.run(&["undo", &undo, "--yes"]).await.assert_code(0);
    let names = dept_names(&b).await;
    assert!(names.contains("服务部"), "renamed again: {names:?}");
}

/// The names of the directory's departments, as `bgy dept list` gives them.
async fn dept_names(b: &Bgy) -> std::collections::HashSet<String> {
    let tree = b.run(&["dept", "list", "--json"]).await.json();
    (tree["departments"].as_array().unwrap().iter())
        .map(|d| d["name"].as_str().unwrap().to_string())
        .collect()
}

/// A department a run renamed, and someone renamed again since, is left with its newer name:
/// the undo says so, fails that line, and only `--force` renames it back.
#[tokio::test]
async fn a_department_renamed_since_is_a_conflict_and_keeps_its_newer_name() {
    let emu = emulator().await;
    let (b, rename) = renamed_by_a_run(&emu).await;
    b.run(&["dept", "rename", "办公逸/服务部", "售后部"])
        .await
        .assert_code(0);
    let r = b.run(&["undo", &rename, "--yes"]).await;
    r.assert_code(1);
    assert!(
        r.stdout
            .contains("1 renamed since, left alone (已被改名,不改回)"),
        "{}",
        r.stdout
    );
    assert!(
        r.stdout
            .contains(r#"部门已改名为 "售后部" (renamed since to "售后部")"#),
        "{}",
        r.stdout
    );
    let now = dept_names(&b).await;
    assert!(
        now.contains("售后部") && !now.contains("客服部"),
        "the newer name stays: {now:?}"
    );
    b.run(&["undo", &rename, "--yes", "--force"])
        .await
        .assert_code(0);
    let now = dept_names(&b).await;
    assert!(
        now.contains("客服部") && !now.contains("售后部"),
        "--force renames it back: {now:?}"
    );
}

/// An import that made departments (`--create-departments`) recorded its people and not the
/// departments: its undo said nothing of them, and the history did not show them.
#[tokio::test]
async fn an_import_records_the_departments_it_made_and_its_undo_says_they_stay() {
    let emu = emulator().await;
    emu.store.insert_staff(people("x", 20)).unwrap();
    let b = Bgy::new().against(&emu);
    b.write(
        "新.csv",
        "帐号,姓名,手机,部门\nnew1,一,13800000091,办公逸/新部门/小组\n",
    );
    b.run(&["import", "新.csv", "--create-departments"])
        .await
        .assert_code(0);
    let run = last_run(&b).await;
    let r = b.run(&["history", "show", &run]).await;
    r.assert_code(0);
    for path in ["办公逸/新部门", "办公逸/新部门/小组"] {
        assert!(r.stdout.contains(path), "{path}: {}", r.stdout);
    }
    let r = b.run(&["undo", &run, "--yes"]).await;
    r.assert_code(0);
    let stays = r
        .stdout
        .lines()
        .filter(|l| l.contains("left in place"))
        .count();
    assert_eq!(stays, 2, "{}", r.stdout);
    // Counted as departments, not as people it leaves unchanged.
    let out = format!("{}{}", r.stdout, r.stderr);
    assert!(
        out.contains("2 kept as they are (保留)") && out.contains(", 0 unchanged, 1 to delete"),
        "{out}"
    );
    // Named as a plan names a person, not by the account alone.
    assert!(r.stdout.contains("删除 (delete) new1 (一)"), "{}", r.stdout);
    assert!(
        emu.store.person("new1").is_none(),
        "the person is taken back"
    );
}

#[tokio::test]
async fn an_undo_says_what_it_does_not_how_many_rows_its_sheet_had() {
    let emu = emulator().await;
    emu.store.insert_staff(people("x", 20)).unwrap();
    let b = Bgy::new().against(&emu);
    b.write("new.csv", staff_csv("n", 3));
    b.run(&["import", "new.csv"]).await.assert_code(0);
    let run = last_run(&b).await;
    let r = b.run(&["undo", &run, "--dry-run"]).await;
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("bgy undo: 3 changes: 3 to delete, nothing sent"),
        "{}",
        r.stderr
    );
    let r = b.run(&["undo", &run, "--yes"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("bgy undo: 3 changes: 3 deleted"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_plan_with_a_history_it_cannot_read_plans_without_it_and_says_so() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    std::fs::create_dir_all(b.path(".bgy")).unwrap();
    b.write(".bgy/history.sqlite", "not a database, whatever it was");
    b.write("s.csv", staff_csv("s", 3));
    let plan = b.run(&["plan", "s.csv"]).await;
    plan.assert_code(0);
    assert!(
        plan.stderr
            .contains("the history cannot be read, so 人事状态 and the other columns the directory's listing does not show are not compared"),
        "{}",
        plan.stderr
    );
    assert!(plan.stderr.contains("3 to create"), "{}", plan.stderr);
    // Marking leavers needs to know whom bgy marked: that plan is refused.
    let leave = b.run(&["plan", "s.csv", "--prune-mode", "leave"]).await;
    leave.assert_code(2);
}

/// What a run filled in from empty, or in a column the listing does not show and bgy never
/// sent, an undo cannot take back (the API cannot empty a field): its plan says so, by name,
/// instead of leaving HR to find the run's 职位 still there.
#[tokio::test]
async fn an_undo_says_which_fields_it_cannot_take_back() {
    let emu = emulator().await;
    emu.store.insert_staff(people("k", 2)).unwrap();
    let b = Bgy::new().against(&emu);
    let mobile = emu.store.person("k000000").unwrap()["we_mobile"].clone();
    b.write(
        "more.csv",
        format!("帐号,姓名,手机,部门ID,职位,银行卡号\nk000000,员工0,{mobile},2,经理,6222020200112233445\n"),
    );
    b.run(&["sync", "more.csv"]).await.assert_code(0);
    let run = last_run(&b).await;
    let r = b.run(&["undo", &run, "--dry-run"]).await;
    r.assert_code(0);
    let kept = r
        .stdout
        .lines()
        .find(|l| l.contains("保留 (kept)"))
        .unwrap_or_else(|| panic!("no kept line: {}", r.stdout));
    assert!(
        kept.contains("k000000 (员工0)")
            && kept.contains("职位、银行卡号:之前为空或未知,接口不能清空"),
        "{kept}"
    );
    assert!(!r.stdout.contains("6222"), "{}", r.stdout);
    // Another run that filled nothing from empty has no such line.
    b.write(
        "again.csv",
        format!("帐号,姓名,手机,部门ID,职位\nk000000,员工0,{mobile},2,总监\n"),
    );
    b.run(&["sync", "again.csv"]).await.assert_code(0);
    let first = run;
    let run = last_run(&b).await;
    let r = b.run(&["undo", &run, "--dry-run"]).await;
    assert!(
        r.stdout.contains("职位=经理") && !r.stdout.contains("保留 (kept)"),
        "{}",
        r.stdout
    );
    // The first run's undo now finds 职位 changed since: a conflict, which still says what
    // `--force` would leave.
    let r = b.run(&["undo", &first, "--dry-run"]).await;
    let conflict = r.stdout.find("冲突 (conflict) k000000");
    let kept = r
        .stdout
        .find("保留 (kept)  k000000 (员工0)  职位、银行卡号");
    assert!(
        conflict.zip(kept).is_some_and(|(c, k)| c < k),
        "{}",
        r.stdout
    );
}
