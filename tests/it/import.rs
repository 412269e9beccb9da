//! `bgy import` against the emulator over HTTP: exactly the valid rows land, normalised; the
//! report's Failed sheet reruns exactly the fixed rows; faults, kills, Ctrl-C and a bad ticket
//! lose nothing and send nothing twice.

use std::collections::HashSet;
use std::time::Duration;

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn a_mixed_file_lands_the_valid_rows_and_the_fixed_report_reruns_only_the_rest() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut rows = text_rows(&[
        &["员工名单"],
        &[
            "帐号*",
            "姓名*",
            "性别",
            "手机",
            "部门",
            "人事状态",
            "入职时间",
            "考勤号",
        ],
    ]);
    rows.push(vec![
        C::T("new1"),
        C::T("甲"),
        C::T("女"),
        C::N(13800000001.0),
        C::T("办公逸/研发部/后端组"),
        C::T("试用期"),
        C::T("2016/1/1"),
        C::N(501.0),
    ]);
    rows.push(vec![
        C::T("new2"),
        C::T("乙"),
        C::T("男"),
        C::T("12345"),
        C::T("办公逸/研发部"),
        C::T(""),
        C::T(""),
        C::T(""),
    ]);
    rows.push(vec![
        C::T("new3"),
        C::T("丙"),
        C::T("M"),
        C::T("138-0000-0003"),
        C::T("办公逸／客服部"),
        C::T("已转正"),
        C::N(42370.0),
        C::T(""),
    ]);
    rows.push(vec![
        C::T("new4"),
        C::T("丁"),
        C::T(""),
        C::T("13800000004"),
        C::T("办公逸/客服部"),
        C::T(""),
        C::T(""),
        C::T("0123"),
    ]);
    rows.push(vec![
        C::T("new5"),
        C::T("戊"),
        C::T(""),
        C::T("13800000005"),
        C::T("办公逸/研发部"),
        C::T(""),
        C::T("2016年1月2日"),
        C::T(""),
    ]);
    write_xlsx(&bgy.path("mixed.xlsx"), "Sheet1", &rows);

    let r = bgy.run(&["import", "mixed.xlsx", "--json"]).await;
    r.assert_code(1);
    let j = r.json();
    assert_eq!(
        (
            j["total"].clone(),
            j["created"].clone(),
            j["invalid"].clone()
        ),
        (json!(5), json!(3), json!(2))
    );
    assert_eq!(
        emu.stats.calls("staff/add"),
        3,
        "only the valid rows were sent"
    );
    let p = emu.store.person("new1").expect("new1 landed");
    assert_eq!(p["we_mobile"], "13800000001");
    assert_eq!(p["we_gender"], "2");
    assert_eq!(p["status"], "1");
    assert_eq!(p["entry_time"], "2016-01-01");
    assert_eq!(p["check_id"], "501");
    assert_eq!(p["we_department"], "4");
    let p = emu.store.person("new3").unwrap();
    assert_eq!(p["we_mobile"], "13800000003");
    assert_eq!(p["we_gender"], "1");
    assert_eq!(p["entry_time"], "2016-01-01");
    assert_eq!(p["we_department"], "3");
    assert!(emu.store.person("new2").is_none() && emu.store.person("new4").is_none());

    let report = the_report(bgy.dir.path());
    let failed = Sheet::read(&report, "失败 Failed");
    assert_eq!(failed.rows.len(), 3);
    for (row, account, source) in [(1, "new2", "4"), (2, "new4", "6")] {
        assert_eq!(failed.cell(row, "帐号*"), account);
        assert_eq!(failed.cell(row, "源行号 Source row"), source);
    }

    // The person fixes the red cells in the report and imports the report itself.
    let mut fixed = failed.rows.clone();
    let (phone, check_id) = (col(&fixed, "手机"), col(&fixed, "考勤号"));
    fixed[1][phone] = "13800000002".into();
    fixed[2][check_id] = "123".into();
    let rerun = bgy.path("mixed.report-fixed.xlsx");
    write_fixed_report(&rerun, &fixed);
    emu.stats.reset();
    let r = bgy
        .run(&[
            "import",
            rerun.to_str().unwrap(),
            "--json",
            "--report",
            "rerun.xlsx",
        ])
        .await;
    r.assert_code(0);
    assert!(r.stderr.contains("is a report"), "{}", r.stderr);
    assert_eq!(r.json()["created"], 2);
    assert_eq!(
        emu.stats.calls("staff/add"),
        2,
        "only the fixed rows were sent"
    );
    assert_eq!(emu.store.person("new4").unwrap()["check_id"], "123");
    assert_eq!(
        read_sheet(&bgy.path("rerun.xlsx"), "失败 Failed").len(),
        1,
        "nothing failed"
    );
    // The rerun's rows keep the rows of the person's own file, not the report's.
    let all = Sheet::read(&bgy.path("rerun.xlsx"), "全部 All");
    assert_eq!(all.cell(1, "源行号 Source row"), "4");
    assert_eq!(all.cell(2, "源行号 Source row"), "6");
}

#[tokio::test]
async fn cover_skip_and_overwrite() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", "帐号,姓名,手机,部门\nzhangsan,张三丰,13800138000,办公逸/研发部\nfresh,新人,13800138009,办公逸/研发部\n");
    let r = bgy.run(&["import", "s.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(
        (r.json()["skipped"].clone(), r.json()["created"].clone()),
        (json!(1), json!(1))
    );
    assert_eq!(emu.store.person("zhangsan").unwrap()["we_name"], "张三");
    let r = bgy
        .run(&["import", "s.csv", "--cover", "overwrite", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["updated"], 2);
    assert_eq!(emu.store.person("zhangsan").unwrap()["we_name"], "张三丰");
}

#[tokio::test]
async fn dry_run_sends_nothing() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("dry", 15));
    let r = bgy.run(&["import", "s.csv", "--dry-run", "--json"]).await;
    r.assert_code(0);
    // The first ten rows with their values (the rest are let go once written), then a count.
    for (row, account) in [(2, "dry0000"), (11, "dry0009")] {
        let line = format!("would send staff/add cover=0 (row {row}): we_userid={account}");
        assert!(r.stderr.contains(&line), "{}", r.stderr);
    }
    assert!(!r.stderr.contains("(row 12)"), "{}", r.stderr);
    assert!(r.stderr.contains("… and 5 more rows"), "{}", r.stderr);
    let all = read_sheet(&the_report(bgy.dir.path()), "全部 All");
    assert_eq!(all.len(), 16, "{all:?}");
    assert_eq!(all[15][col(&all, "帐号")], "dry0014");
    assert_eq!(emu.stats.calls("staff/add"), 0);
    assert!(emu.store.person("dry0000").is_none());
    // A card it would send is said, masked: it went unsaid.
    bgy.write(
        "card.csv",
        "帐号,姓名,手机,部门,银行卡号\ndrycard,卡,13800000401,办公逸,6222020200112233445\n",
    );
    let r = bgy.run(&["import", "card.csv", "--dry-run"]).await;
    assert!(
        r.stderr.contains("bank_card=**** 3445") && !r.stderr.contains("6222"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_dry_run_creating_departments_counts_them_again_after_a_late_duplicate() {
    // Rows are checked against the directory while the sheet is read, and let go past the
    // preview: the duplicate in the last row then fails the first, whose department only it
    // named. The paths to create are counted again from the rows still valid, let go or not.
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut csv = String::from("帐号,姓名,手机,部门\n");
    csv.push_str(&format!("late,甲,{},办公逸/新部门甲\n", mobile("late", 0)));
    for i in 1..20_000 {
        let dept = if i % 5_000 == 0 {
            "办公逸/新部门乙"
        } else {
            "办公逸/研发部"
        };
        csv.push_str(&format!("u{i},员工{i},{},{dept}\n", mobile("late", i)));
    }
    csv.push_str(&format!(
        "late,乙,{},办公逸/研发部\n",
        mobile("late", 20_000)
    ));
    bgy.write("s.csv", csv);
    let r = bgy
        .run(&["import", "s.csv", "--dry-run", "--create-departments"])
        .await;
    r.assert_code(1);
    assert!(
        r.stderr.contains("would create department 办公逸/新部门乙"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("新部门甲"), "{}", r.stderr);
    assert_eq!(emu.stats.calls("department/create"), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_faults_and_lost_answers_every_row_lands_exactly_once() {
    let emu = emulator().await;
    emu.set_fail_rate(0.2);
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("f", 200));
    let r = bgy.run(&["import", "s.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(
        r.json()["created"],
        200,
        "lost answers are not mistaken for skipped rows"
    );
    assert_eq!(emu.store.staff_count(), 202);
    assert!(
        emu.stats
            .injected_failures
            .load(std::sync::atomic::Ordering::Relaxed)
            > 10
    );
    let entries = journal_entries(bgy.dir.path());
    assert_eq!(entries.len(), 200);
    let accounts: HashSet<&str> = entries
        .iter()
        .map(|e| e["account"].as_str().unwrap())
        .collect();
    assert_eq!(accounts.len(), 200, "one journal line per row");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn new_departments_are_made_once_even_when_answers_are_lost() {
    let emu = emulator().await;
    emu.set_fail_rate(0.4);
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "s.csv",
        "帐号,姓名,手机,部门\nd1,甲,13800000001,办公逸/新部门/一组\nd2,乙,13800000002,办公逸/新部门/二组;办公逸/研发部\nd3,丙,13800000003,办公逸/新部门\n",
    );
    let r = bgy
        .run(&["import", "s.csv", "--create-departments", "--json"])
        .await;
    r.assert_code(0);
    let depts = emu.store.departments();
    let named = |n: &str| depts.iter().filter(|d| d.we_name == n).count();
    assert_eq!(
        (named("新部门"), named("一组"), named("二组")),
        (1, 1, 1),
        "{depts:?}"
    );
    assert_eq!(depts.len(), 8);
    let new = depts.iter().find(|d| d.we_name == "新部门").unwrap();
    let one = depts.iter().find(|d| d.we_name == "一组").unwrap();
    assert_eq!((new.we_parentid, one.we_parentid), (1, new.we_id));
    assert_eq!(
        emu.store.person("d1").unwrap()["we_department"],
        one.we_id.to_string()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_killed_run_resumes_without_sending_a_finished_row_again() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(25));
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("k", 120));
    let mut child = bgy.spawn(&["--concurrency", "2", "import", "s.csv"]);
    wait_for_journal(bgy.dir.path(), 20).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let done: HashSet<String> = journal_entries(bgy.dir.path())
        .iter()
        .filter(|e| e["outcome"] == "created")
        .map(|e| e["account"].as_str().unwrap().to_string())
        .collect();
    assert!(
        done.len() >= 20 && done.len() < 120,
        "killed halfway: {}",
        done.len()
    );
    emu.set_latency(Duration::ZERO);
    // The kill can land after the server applied a call and before its answer was journaled:
    // those accounts are on the server too, and are not sent again either. A call still in the
    // emulator's latency when the client died is applied (and counted) after it: the calls are
    // counted from zero once they are, or such a call counts as the resume's.
    tokio::time::sleep(Duration::from_millis(200)).await;
    emu.stats.reset();
    let landed = emu.store.staff_count() as usize - 2;
    assert!(landed >= done.len());
    let r = bgy.run(&["import", "s.csv", "--resume", "--json"]).await;
    r.assert_code(0);
    assert!(
        r.stderr
            .contains(&format!("{} rows already done", done.len())),
        "{}",
        r.stderr
    );
    assert_eq!(
        (r.json()["ok"].as_u64(), r.json()["created"].as_u64()),
        (Some(120), Some(120))
    );
    assert_eq!(emu.store.staff_count(), 122, "the final state is complete");
    let reports: Vec<_> = std::fs::read_dir(bgy.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "xlsx"))
        .map(|e| e.metadata().unwrap().len())
        .collect();
    assert_eq!(
        reports.len(),
        1,
        "the killed run's empty report is gone: {reports:?}"
    );
    assert!(reports[0] > 0);
    assert_eq!(
        emu.stats.calls("staff/add") as usize,
        120 - landed,
        "no row that had reached the server was sent again"
    );
}

/// Kills an import of `rows` new people at `--concurrency 2` while the server holds the answers
/// of the two calls it applied.
async fn killed_with_two_answers_unheard(
    emu: &bgy::emulator::Running,
    bgy: &Bgy,
    rows: usize,
    args: &[&str],
) {
    emu.set_hold(Duration::from_secs(60));
    bgy.write("s.csv", staff_csv("h", rows));
    let mut run = vec!["--concurrency", "2", "import", "s.csv"];
    run.extend(args);
    let mut child = bgy.spawn(&run);
    for _ in 0..400 {
        if emu.store.staff_count() >= 4 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    // The sending file says both calls went; nothing says what became of them.
    tokio::time::sleep(Duration::from_millis(100)).await;
    child.kill().unwrap();
    child.wait().unwrap();
    assert_eq!(emu.store.staff_count(), 4, "two calls applied, unanswered");
    assert!(journal_entries(bgy.dir.path()).is_empty());
    let sending = sending_lines(bgy.dir.path());
    assert!(
        sending.len() >= 2 && sending.iter().all(|l| l["sending"] == "create"),
        "{sending:?}"
    );
    emu.set_hold(Duration::ZERO);
    emu.stats.reset();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_asks_the_listing_what_became_of_the_calls_the_kill_cut_off() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    killed_with_two_answers_unheard(&emu, &bgy, 10, &[]).await;
    let r = bgy.run(&["import", "s.csv", "--resume", "--json"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("2 row(s) whose call was cut off"),
        "{}",
        r.stderr
    );
    assert_eq!(
        emu.stats.calls("staff/add"),
        8,
        "the two that landed were not sent again"
    );
    assert_eq!(r.json()["created"], 10, "{}", r.stdout);
    // The resumed run's history holds the two its killed run never heard back about: its
    // undo removes all ten.
    undo_newest(&emu, &bgy, 10).await;
}

/// The two creates a kill cut off, settled by the resume (its history holds them): the undo
/// of the killed run leaves them to the resume's undo, and removes nobody.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_of_a_killed_run_leaves_what_its_resume_took_over() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    killed_with_two_answers_unheard(&emu, &bgy, 10, &[]).await;
    let killed = bgy.run(&["history", "--json"]).await.json()["runs"][0]["id"].to_string();
    let resumed = bgy.run(&["import", "s.csv", "--resume", "--json"]).await;
    resumed.assert_code(0);
    let undo = bgy.run(&["undo", &killed, "--yes", "--force"]).await;
    undo.assert_code(0);
    assert_eq!(
        emu.store.staff_count(),
        12,
        "{}{}",
        undo.stdout,
        undo.stderr
    );
    assert_eq!(emu.stats.calls("staff/delete"), 0);
    // Said, not silently left: the ten calls it wrote down, the resume's since.
    assert!(
        undo.stderr.contains(&format!(
            "10 account(s) whose call run {killed} never heard back about were changed by a later run since"
        )),
        "{}",
        undo.stderr
    );
    // The resume's undo removes all ten.
    let resumed = resumed.json()["history_run"].to_string();
    bgy.run(&["undo", &resumed, "--yes", "--force"])
        .await
        .assert_code(0);
    assert_eq!(emu.store.staff_count(), 2);
}

/// Undoes the newest run in the history (`--force`: it removes most of the directory) and
/// checks that it deletes `n` people, leaving the two the emulator starts with.
async fn undo_newest(emu: &bgy::emulator::Running, bgy: &Bgy, n: usize) -> Run {
    let run =
        bgy.run(&["history", "--json", "--limit", "1"]).await.json()["runs"][0]["id"].to_string();
    let undo = bgy.run(&["undo", &run, "--yes", "--force"]).await;
    undo.assert_code(0);
    assert!(
        undo.stdout.contains(&format!("{n} to delete")),
        "{}",
        undo.stdout
    );
    assert_eq!(
        emu.store.staff_count(),
        2,
        "every person the run made is undone"
    );
    undo
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_of_a_killed_run_removes_the_people_its_cut_off_calls_made() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    killed_with_two_answers_unheard(&emu, &bgy, 10, &[]).await;
    let shown = bgy.run(&["history", "--json"]).await.json();
    assert_eq!(shown["runs"][0]["status"], "interrupted", "{shown}");
    let undo = undo_newest(&emu, &bgy, 2).await;
    assert!(
        undo.stderr.contains("2 account(s) that run"),
        "{}",
        undo.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_resume_that_overwrites_sends_the_cut_off_calls_again_as_creates() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let overwrite = ["--cover", "overwrite"];
    killed_with_two_answers_unheard(&emu, &bgy, 10, &overwrite).await;
    let mut args = vec!["import", "s.csv", "--resume", "--json"];
    args.extend(overwrite);
    let r = bgy.run(&args).await;
    r.assert_code(0);
    assert_eq!(
        emu.stats.calls("staff/add"),
        10,
        "cover=1 sends them again, knowingly"
    );
    let summary = r.json();
    assert_eq!(
        (summary["created"].as_u64(), summary["updated"].as_u64()),
        (Some(10), Some(0)),
        "made by this import, not updated by it: {summary}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ctrl_c_finishes_in_flight_calls_and_writes_the_report() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(40));
    let bgy = Bgy::new().against(&emu);
    bgy.write("s.csv", staff_csv("c", 100));
    let child = bgy.spawn(&["--concurrency", "2", "import", "s.csv", "--json"]);
    wait_for_journal(bgy.dir.path(), 6).await;
    let out = interrupt(child).await;
    let summary: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let created = summary["created"].as_u64().unwrap() as usize;
    assert!(created < 100);
    assert_eq!(
        emu.store.staff_count() as usize,
        2 + created,
        "every call sent finished and was counted"
    );
    let report = the_report(bgy.dir.path());
    let all = read_sheet(&report, "全部 All");
    assert_eq!(all.len(), 101, "every row is in the report");
    let failed = read_sheet(&report, "失败 Failed");
    assert_eq!(
        failed.len() - 1,
        100 - created,
        "the rows not sent are in Failed, to run again"
    );
    assert!(failed[1][col(&failed, "错误 Error")].contains("Ctrl-C"));
    assert_eq!(journal_entries(bgy.dir.path()).len(), created);
}

#[tokio::test]
async fn a_bad_ticket_stops_at_once_with_exit_3_and_leaks_nowhere() {
    let emu = emulator().await;
    let wrong = "Wr0ngTicket-Xq7Zp9";
    let bgy = Bgy::new().against(&emu).ticket(wrong);
    bgy.write("s.csv", staff_csv("b", 50));
    let r = bgy.run(&["import", "s.csv", "--json"]).await;
    r.assert_code(3);
    assert!(r.stderr.contains("errno 1201"), "{}", r.stderr);
    let total_calls = emu.stats.calls("department/list")
        + emu.stats.calls("staff/list")
        + emu.stats.calls("staff/add");
    assert!(
        total_calls <= 3,
        "a handful of calls, not one per row: {total_calls}"
    );
    assert_eq!(r.json()["failed"], 50);
    assert!(!r.stdout.contains(wrong) && !r.stderr.contains(wrong));
    for (path, bytes) in all_files(bgy.dir.path()) {
        assert!(
            !contains(&bytes, wrong),
            "the ticket is in {}",
            path.display()
        );
    }
    let failed = read_sheet(&the_report(bgy.dir.path()), "失败 Failed");
    assert_eq!(failed.len(), 51, "every row is in the report to run again");
}

/// `--report` may name a folder that does not exist yet: the report and its journal go there
/// (the journal used to stop the import before it started).
#[tokio::test]
async fn the_report_and_its_journal_go_into_a_new_folder() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write("staff.csv", staff_csv("nf", 3));
    let r = bgy
        .run(&["import", "staff.csv", "--report", "runs/today/import.xlsx"])
        .await;
    r.assert_code(0);
    assert!(bgy.path("runs/today/import.xlsx").exists());
    assert_eq!(journal_entries(&bgy.path("runs/today")).len(), 3);
}
