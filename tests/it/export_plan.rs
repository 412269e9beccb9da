//! `bgy export`, `bgy plan` and `bgy sync`: the export is a round trip, the plan names exactly
//! the edited cells, sync sends exactly the plan, and pruning past the guard deletes nothing.

use std::collections::HashSet;

use serde_json::json;

use crate::common::*;

/// Writes `rows` (strings) as a one-sheet workbook named like the export's staff sheet.
fn write_rows(path: &std::path::Path, rows: &[Vec<String>]) {
    let cells: Vec<Vec<C>> = rows
        .iter()
        .map(|r| r.iter().map(|s| C::T(s.as_str())).collect())
        .collect();
    write_xlsx(path, "成员 Staff", &cells);
}

#[tokio::test]
async fn export_of_three_pages_has_everyone_once_with_department_paths() {
    let emu = emulator().await;
    emu.store.insert_staff(people("e", 2100)).unwrap();
    let bgy = Bgy::new().against(&emu);
    let r = bgy.run(&["export", "-o", "all.xlsx", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["total"], 2102);
    assert!(emu.stats.calls("staff/list") >= 3, "paged 1000 at a time");
    let sheet = read_sheet(&bgy.path("all.xlsx"), "成员 Staff");
    assert_eq!(sheet.len(), 2103);
    let (acc, dept, ids) = (
        col(&sheet, "帐号*"),
        col(&sheet, "部门"),
        col(&sheet, "部门ID"),
    );
    let accounts: HashSet<&str> = sheet[1..].iter().map(|r| r[acc].as_str()).collect();
    assert_eq!(accounts.len(), 2102, "everyone once");
    let row = |a: &str| sheet.iter().find(|r| r[acc] == a).unwrap();
    assert_eq!(row("e000000")[dept], "办公逸/研发部");
    assert_eq!(row("e000001")[dept], "办公逸/研发部/后端组");
    assert_eq!(
        (row("lisi")[dept].as_str(), row("lisi")[ids].as_str()),
        ("办公逸/客服部;办公逸/研发部/后端组", "3,4")
    );
    assert_eq!(row("zhangsan")[col(&sheet, "手机")], "13800138000");
    let depts = read_sheet(&bgy.path("all.xlsx"), "部门 Departments");
    let backend = depts.iter().find(|r| r[1] == "后端组").unwrap();
    assert_eq!(
        (backend[3].as_str(), backend[5].as_str()),
        ("办公逸/研发部/后端组", "1051")
    );

    // One department (its direct members); and CSV with a BOM.
    let r = bgy
        .run(&[
            "export",
            "-o",
            "dev.csv",
            "--department",
            "办公逸/研发部/后端组",
            "--json",
        ])
        .await;
    assert_eq!(r.json()["total"], 1051);
    let bytes = std::fs::read(bgy.path("dev.csv")).unwrap();
    assert!(bytes.starts_with(b"\xEF\xBB\xBF"), "a BOM");
    assert!(String::from_utf8_lossy(&bytes[3..]).starts_with("帐号*,姓名*"));
    let r = bgy
        .run(&["export", "-o", "x.xlsx", "--department", "办公逸/没有"])
        .await;
    r.assert_code(2);
    assert!(r.stderr.contains("no department"), "{}", r.stderr);
}

#[tokio::test]
async fn export_round_trips_through_plan_and_import() {
    let emu = emulator().await;
    emu.store.insert_staff(people("r", 300)).unwrap();
    emu.store
        .insert_staff(vec![[
            ("we_userid", "dated"),
            ("we_name", "日期"),
            ("we_email", "d@x.cn"),
            ("we_id", "3"),
            ("entry_time", "2016-01-01"),
            ("positive_time", "2016-04-01"),
            ("we_gender", "2"),
            ("we_position", "经理"),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()])
        .unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let r = bgy.run(&["plan", "x.xlsx", "--json"]).await;
    r.assert_code(0);
    let j = r.json();
    assert_eq!(
        (
            j["created"].clone(),
            j["updated"].clone(),
            j["unchanged"].clone(),
            j["deleted"].clone()
        ),
        (json!(0), json!(0), json!(303), json!(0)),
        "{}",
        r.stderr
    );
    // A plan updates the people it has: that they exist is no warning (a check's is).
    assert!(!r.stderr.contains("account exists"), "{}", r.stderr);
    let before: Vec<_> = emu
        .store
        .accounts()
        .iter()
        .map(|a| emu.store.person(a))
        .collect();
    let r = bgy
        .run(&["import", "x.xlsx", "--cover", "overwrite", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["updated"], 303);
    let after: Vec<_> = emu
        .store
        .accounts()
        .iter()
        .map(|a| emu.store.person(a))
        .collect();
    assert_eq!(
        before, after,
        "re-importing the unedited export changes nothing"
    );
}

#[tokio::test]
async fn six_edited_cells_are_six_updates_six_calls_then_zero() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 100)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let mut sheet = read_sheet(&bgy.path("x.xlsx"), "成员 Staff");
    let (acc, name, mobile, email, dept, ids) = (
        col(&sheet, "帐号*"),
        col(&sheet, "姓名*"),
        col(&sheet, "手机"),
        col(&sheet, "邮箱"),
        col(&sheet, "部门"),
        col(&sheet, "部门ID"),
    );
    let at = |sheet: &Vec<Vec<String>>, a: &str| sheet.iter().position(|r| r[acc] == a).unwrap();
    let i = at(&sheet, "p000001");
    sheet[i][name] = "新名字".into();
    let i = at(&sheet, "p000002");
    sheet[i][mobile] = "13911112222".into();
    let i = at(&sheet, "p000003");
    sheet[i][email] = "p3@example.com".into();
    let i = at(&sheet, "p000004");
    sheet[i][dept] = "办公逸/客服部".into();
    sheet[i][ids] = String::new();
    let i = at(&sheet, "lisi");
    sheet[i][mobile] = "13700001111".into();
    // Moved by its 部门ID alone: the ids decide.
    let i = at(&sheet, "p000005");
    sheet[i][dept] = String::new();
    sheet[i][ids] = "3".into();
    write_rows(&bgy.path("edited.xlsx"), &sheet);

    let r = bgy.run(&["plan", "edited.xlsx", "--json"]).await;
    r.assert_code(0);
    assert_eq!(
        (r.json()["updated"].clone(), r.json()["unchanged"].clone()),
        (json!(6), json!(96))
    );
    for expected in [
        "p000001 (新名字)  姓名 we_name: 员工1 → 新名字",
        &format!(
            "p000002 (员工2)  手机 we_mobile: {} → 13911112222",
            crate::common::mobile("p", 2)
        ),
        "p000003 (员工3)  邮箱 we_email: (空 empty) → p3@example.com",
        "p000004 (员工4)  部门 we_department: 办公逸/研发部 → 办公逸/客服部",
        "lisi (李四)  手机 we_mobile: (空 empty) → 13700001111",
    ] {
        assert!(r.stderr.contains(expected), "{expected:?} in\n{}", r.stderr);
    }
    let moved = r
        .stderr
        .lines()
        .find(|l| l.contains("p000005 (员工5)  部门 we_department: "))
        .unwrap_or_else(|| panic!("p000005 moved by its 部门ID in\n{}", r.stderr));
    assert!(moved.ends_with(" → 办公逸/客服部"), "{moved}");
    let plan = read_sheet(&the_report(bgy.dir.path()), "计划 Plan");
    assert_eq!(plan.len(), 7, "six lines: {plan:?}");
    assert!(plan.iter().any(|l| l[0] == "更新 (update)"
        && l[3] == crate::common::mobile("p", 2)
        && l[4] == "13911112222"));

    emu.stats.reset();
    let r = bgy
        .run(&["sync", "edited.xlsx", "--json", "--report", "sync.xlsx"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["updated"], 6);
    assert_eq!(emu.stats.calls("staff/add"), 6, "exactly the plan");
    assert_eq!(emu.stats.calls("staff/delete"), 0);
    assert_eq!(emu.store.person("p000004").unwrap()["we_department"], "3");
    assert_eq!(emu.store.person("p000005").unwrap()["we_department"], "3");
    assert_eq!(
        emu.store.person("lisi").unwrap()["we_mobile"],
        "13700001111"
    );
    // Every row's outcome in the report, those written before the first row sent and after.
    let all = read_sheet(&bgy.path("sync.xlsx"), "全部 All");
    let outcome = col(&all, "结果 Outcome");
    let account = col(&all, "帐号*");
    let mut seen = std::collections::BTreeMap::new();
    for row in &all[1..] {
        let updated = [
            "p000001", "p000002", "p000003", "p000004", "p000005", "lisi",
        ]
        .contains(&row[account].as_str());
        let want = if updated {
            "updated 更新"
        } else {
            "unchanged 无变化"
        };
        assert_eq!(row[outcome], want, "{}", row[account]);
        *seen.entry(want).or_insert(0) += 1;
    }
    assert_eq!(seen.values().sum::<i32>(), 102, "every row once: {seen:?}");
    // The sync's Plan sheet is the plan's, each line naming its person, though the rows'
    // values went into the sends before it was written.
    assert_eq!(read_sheet(&bgy.path("sync.xlsx"), "计划 Plan"), plan);
    assert!(plan.iter().any(|l| l[1] == "p000001 (新名字)"), "{plan:?}");

    let r = bgy
        .run(&["plan", "edited.xlsx", "--json", "--report", "again.xlsx"])
        .await;
    assert_eq!(
        (r.json()["updated"].clone(), r.json()["created"].clone()),
        (json!(0), json!(0)),
        "{}",
        r.stderr
    );
}

/// HR moves people in the export by typing a new 部门 and leaves the 部门ID the export wrote:
/// each such row was an error ("部门 and 部门ID name different departments"). The column that
/// still names where the person is, is the one HR left; the other is the move.
#[tokio::test]
async fn a_person_moved_by_one_of_部门_and_部门id_is_moved_and_both_changed_is_an_error() {
    let emu = emulator().await;
    emu.store.insert_staff(people("m", 10)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let mut sheet = read_sheet(&bgy.path("x.xlsx"), "成员 Staff");
    let (acc, dept, ids) = (
        col(&sheet, "帐号*"),
        col(&sheet, "部门"),
        col(&sheet, "部门ID"),
    );
    let at = |sheet: &Vec<Vec<String>>, a: &str| sheet.iter().position(|r| r[acc] == a).unwrap();
    let i = at(&sheet, "m000001");
    sheet[i][dept] = "办公逸/客服部".into();
    let i = at(&sheet, "m000002");
    sheet[i][ids] = "3".into();
    // Both changed, each elsewhere: nobody can tell which is meant.
    let i = at(&sheet, "m000003");
    sheet[i][dept] = "办公逸/客服部".into();
    sheet[i][ids] = "1".into();
    write_rows(&bgy.path("moved.xlsx"), &sheet);
    let r = bgy.run(&["sync", "moved.xlsx", "--json"]).await;
    r.assert_code(1);
    assert_eq!(
        (r.json()["updated"].clone(), r.json()["invalid"].clone()),
        (json!(2), json!(1)),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("部门ID still names the person's departments and 部门 was changed"),
        "{}",
        r.stderr
    );
    for moved in ["m000001", "m000002"] {
        assert_eq!(
            emu.store.person(moved).unwrap()["we_department"],
            "3",
            "{moved}"
        );
    }
    assert_eq!(emu.store.person("m000003").unwrap()["we_department"], "4");
    assert!(
        r.stderr
            .contains("部门 (paths) and 部门ID name different departments"),
        "{}",
        r.stderr
    );
}

/// An export of another directory (a test one, or an old one) carries 部门ID values this one
/// does not have. Each such row said its 部门 and 部门ID "name different departments", or that
/// 部门ID "is used" where it named nothing: it says what clearing the column does instead.
#[tokio::test]
async fn a_部门id_of_another_directory_says_what_its_部门_would_do_without_it() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    for (row, said) in [
        (
            "o1,甲,13800000071,办公逸/研发部,999",
            "no department with we_id 999; clear 部门ID and 部门 办公逸/研发部 is used",
        ),
        (
            "o2,乙,13800000072,办公逸/新中心,998",
            "部门ID 998 不存在;部门 办公逸/新中心 也不存在:清空 部门ID 列后可以自动创建",
        ),
    ] {
        bgy.write("other.csv", format!("帐号,姓名,手机,部门,部门ID\n{row}\n"));
        let r = bgy.run(&["check", "other.csv"]).await;
        r.assert_code(1);
        assert!(r.stderr.contains(said), "{said}: {}", r.stderr);
        for not_said in ["name different departments", "部门ID is used"] {
            assert!(!r.stderr.contains(not_said), "{not_said}: {}", r.stderr);
        }
    }
}

#[tokio::test]
async fn an_export_of_a_department_with_no_one_of_its_own_says_its_sub_departments_have_some() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    // 办公逸 itself holds nobody: 张三 is in 研发部, 李四 in 客服部 and 后端组.
    let r = bgy
        .run(&[
            "export",
            "--department",
            "办公逸",
            "-o",
            "root.csv",
            "--json",
        ])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["total"], 0);
    assert!(
        r.stderr.contains(
            "办公逸 本身没有人;含下级部门有 2 人 (no one is directly in 办公逸; with its sub-departments, 2 people) → --recursive"
        ),
        "{}",
        r.stderr
    );
    // With people of its own, or taken with its sub-departments: nothing to say.
    for args in [
        &["export", "--department", "办公逸/客服部", "-o", "a.csv"][..],
        &[
            "export",
            "--department",
            "办公逸",
            "--recursive",
            "-o",
            "b.csv",
        ],
    ] {
        let r = bgy.run(args).await;
        r.assert_code(0);
        assert!(!r.stderr.contains("本身没有人"), "{args:?}: {}", r.stderr);
    }
}

#[tokio::test]
async fn unchanged_rows_that_fill_columns_the_listing_does_not_show_are_told() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 20)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let mut sheet = read_sheet(&bgy.path("x.xlsx"), "成员 Staff");
    let (acc, name, status, card) = (
        col(&sheet, "帐号*"),
        col(&sheet, "姓名*"),
        col(&sheet, "人事状态"),
        col(&sheet, "银行卡号"),
    );
    let at = |sheet: &Vec<Vec<String>>, a: &str| sheet.iter().position(|r| r[acc] == a).unwrap();
    for a in ["p000010", "p000011"] {
        let i = at(&sheet, a);
        sheet[i][status] = "试用期".into();
    }
    let i = at(&sheet, "p000012");
    sheet[i][card] = "6222020200112233445".into();
    // Updated for its name: sent whole, its 人事状态 with it, so not counted.
    let i = at(&sheet, "p000001");
    sheet[i][name] = "新名字".into();
    sheet[i][status] = "试用期".into();
    sheet[i][card] = "6222020200556677889".into();
    write_rows(&bgy.path("hr.xlsx"), &sheet);

    for command in ["plan", "sync"] {
        emu.stats.reset();
        let r = bgy.run(&[command, "hr.xlsx", "--json"]).await;
        r.assert_code(0);
        assert_eq!(r.json()["updated"], 1, "{}", r.stderr);
        assert!(
            r.stderr.contains("3 行计划为不变,但填了通讯录列表读不到、bgy 也没有发送过的列 (人事状态、银行卡号)")
                && r.stderr.contains("3 unchanged rows fill columns the directory's listing does not show (status, bank_card)")
                && r.stderr.contains("→ bgy import FILE --cover overwrite"),
            "{}",
            r.stderr
        );
        assert!(!r.stderr.contains("6222"), "{}", r.stderr);
        // What the update sends of those columns is in its plan, from a value nobody knows.
        for line in [
            "(新名字)  人事状态 status: 未知 (unknown) → 试用期",
            "(新名字)  银行卡号 bank_card: 未知 (unknown) → **** 7889",
        ] {
            assert!(r.stderr.contains(line), "{line}: {}", r.stderr);
        }
        let sent = if command == "sync" { 1 } else { 0 };
        assert_eq!(emu.stats.calls("staff/add"), sent, "{command}");
    }
    // The export as it was fills none: nothing to tell.
    let r = bgy.run(&["plan", "x.xlsx"]).await;
    assert!(!r.stderr.contains("listing does not show"), "{}", r.stderr);
}

/// The directory exported, and the export edited into edited.xlsx (its rows returned): each
/// of `renamed` renamed 新ACCOUNT, and `refused` moved into 外包, a department the API may not
/// write to (1202), which has a sync's report written whole at its end.
async fn edited_export(bgy: &Bgy, renamed: &[&str], refused: &str) -> Vec<Vec<String>> {
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let mut sheet = read_sheet(&bgy.path("x.xlsx"), "成员 Staff");
    let (acc, name, dept, ids) = (
        col(&sheet, "帐号*"),
        col(&sheet, "姓名*"),
        col(&sheet, "部门"),
        col(&sheet, "部门ID"),
    );
    let at = |sheet: &Vec<Vec<String>>, a: &str| sheet.iter().position(|r| r[acc] == a).unwrap();
    for a in renamed {
        let i = at(&sheet, a);
        sheet[i][name] = format!("新{a}");
    }
    let i = at(&sheet, refused);
    sheet[i][dept] = "办公逸/外包".into();
    sheet[i][ids] = String::new();
    write_rows(&bgy.path("edited.xlsx"), &sheet);
    sheet
}

#[tokio::test]
async fn a_send_the_server_refuses_is_failed_in_the_sync_report() {
    // A sync's report is written as the sheet is planned, each row to send as its send
    // succeeding leaves it; a refused send has it written again, whole.
    let emu = emulator().await;
    emu.store.insert_staff(people("r", 600)).unwrap();
    let bgy = Bgy::new().against(&emu);
    let sheet = edited_export(&bgy, &["r000001", "r000500"], "r000300").await;

    let r = bgy
        .run(&[
            "sync",
            "edited.xlsx",
            "--yes",
            "--json",
            "--report",
            "sync.xlsx",
        ])
        .await;
    r.assert_code(1);
    assert_eq!(
        (r.json()["updated"].clone(), r.json()["failed"].clone()),
        (json!(2), json!(1))
    );
    let all = read_sheet(&bgy.path("sync.xlsx"), "全部 All");
    let (outcome, account) = (col(&all, "结果 Outcome"), col(&all, "帐号*"));
    let of = |a: &str| all.iter().find(|r| r[account] == a).unwrap()[outcome].clone();
    assert_eq!(of("r000001"), "updated 更新");
    assert_eq!(of("r000500"), "updated 更新");
    assert_eq!(of("r000300"), "failed 失败");
    assert_eq!(of("r000299"), "unchanged 无变化");
    assert_eq!(all.len(), sheet.len(), "every row once");
    let failed = read_sheet(&bgy.path("sync.xlsx"), "失败 Failed");
    assert_eq!(failed.len(), 2, "the refused row alone: {failed:?}");
    assert!(failed[1].iter().any(|c| c.contains("1202")), "{failed:?}");
}

#[tokio::test]
async fn a_sync_report_written_whole_has_the_cells_it_read_though_the_sheet_was_saved_since() {
    // The cells of rows let go are read again from the run's own copy of its input, not from
    // the sheet, which HR may save again while a sync sends.
    let emu = emulator().await;
    emu.store.insert_staff(people("s", 40)).unwrap();
    let bgy = Bgy::new().against(&emu);
    let mut sheet = edited_export(&bgy, &["s000001"], "s000030").await;
    let name = col(&sheet, "姓名*");

    // Each call answered after a while: the sheet is saved again while the sends are out.
    emu.set_latency(std::time::Duration::from_millis(800));
    let child = bgy.spawn(&["sync", "edited.xlsx", "--yes", "--report", "sync.xlsx"]);
    let journal = bgy.path("sync.journal.jsonl");
    // Listed (a few calls, each 0.8 s) and planned: up to 20 s on a slow machine.
    for _ in 0..2000 {
        if journal.exists() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(journal.exists(), "the sync started sending");
    for row in sheet.iter_mut().skip(1) {
        row[name] = "保存后".into();
    }
    sheet.swap(1, 2);
    write_rows(&bgy.path("edited.xlsx"), &sheet);
    ended(child, 1).await;

    let all = read_sheet(&bgy.path("sync.xlsx"), "全部 All");
    let (account, shown, outcome) = (
        col(&all, "帐号*"),
        col(&all, "姓名*"),
        col(&all, "结果 Outcome"),
    );
    let row = |a: &str| all.iter().find(|r| r[account] == a).unwrap();
    assert_eq!(row("s000001")[shown], "新s000001");
    assert_eq!(row("s000001")[outcome], "updated 更新");
    assert_eq!(row("s000030")[outcome], "failed 失败");
    assert_eq!(row("s000002")[shown], "员工2", "{:?}", row("s000002"));
    assert!(all.iter().all(|r| r[shown] != "保存后"), "{all:?}");
    let failed = read_sheet(&bgy.path("sync.xlsx"), "失败 Failed");
    assert_eq!(failed[1][col(&failed, "部门")], "办公逸/外包", "{failed:?}");
}

#[tokio::test]
async fn prune_past_the_guard_refuses_and_within_it_deletes_exactly_the_missing() {
    let emu = emulator().await;
    emu.store.insert_staff(people("q", 100)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let sheet = read_sheet(&bgy.path("x.xlsx"), "成员 Staff");
    // Keep 10 of 102: pruning 92 is far past 20 %.
    write_rows(&bgy.path("few.xlsx"), &sheet[..11]);
    let r = bgy.run(&["sync", "few.xlsx", "--prune", "--yes"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("refusing to remove 92 of the 102"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats.calls("staff/delete"), 0);
    assert_eq!(emu.store.staff_count(), 102);
    // Drop 5 rows: 5 to prune, within the guard.
    let keep: Vec<Vec<String>> = sheet
        .iter()
        .enumerate()
        .filter(|(i, _)| !(10..15).contains(i))
        .map(|(_, r)| r.clone())
        .collect();
    let gone: Vec<String> = sheet[10..15].iter().map(|r| r[0].clone()).collect();
    write_rows(&bgy.path("most.xlsx"), &keep);
    let r = bgy.run(&["plan", "most.xlsx", "--prune", "--json"]).await;
    assert_eq!(r.json()["deleted"], 5);
    assert_eq!(emu.store.staff_count(), 102, "plan changes nothing");
    let r = bgy.run(&["sync", "most.xlsx", "--prune"]).await;
    assert_eq!(r.code, 2, "no terminal, no --yes: {}", r.stderr);
    let r = bgy
        .run(&["sync", "most.xlsx", "--prune", "--yes", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["deleted"], 5);
    assert_eq!(emu.store.staff_count(), 97);
    assert!(gone.iter().all(|a| emu.store.person(a).is_none()));
    // The prunes count wherever the run's counts are shown, not in --json alone: the line on
    // stderr, the report's Summary, the history.
    assert!(r.stderr.contains("97 unchanged, 5 deleted"), "{}", r.stderr);
    let report = bgy.path(r.json()["report"].as_str().unwrap());
    let summary = read_sheet(&report, "汇总 Summary");
    let deleted = summary.iter().find(|l| l[0] == "已删除 Deleted").unwrap();
    assert_eq!(deleted[1], "5");
    let runs = bgy.run(&["history", "--json"]).await.json()["runs"].clone();
    assert_eq!(runs[0]["command"], "sync");
    assert_eq!(runs[0]["counts"]["deleted"], 5);
    assert!(
        r.stderr.contains("97 rows and 5 accounts not in the sheet"),
        "{}",
        r.stderr
    );
    // One more left out: one account, said so.
    let fewer: Vec<Vec<String>> = keep
        .iter()
        .enumerate()
        .filter(|(i, _)| *i != 20)
        .map(|(_, r)| r.clone())
        .collect();
    write_rows(&bgy.path("fewer.xlsx"), &fewer);
    let r = bgy.run(&["sync", "fewer.xlsx", "--prune", "--yes"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("96 rows and 1 account not in the sheet"),
        "{}",
        r.stderr
    );
}
