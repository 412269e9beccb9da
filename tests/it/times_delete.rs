//! `bgy times` and `bgy delete` against the emulator: chunk limits, per-row failures mapped to
//! the right rows, the backup that restores, and no deletion without consent.

use std::collections::HashMap;

use serde_json::json;

use crate::common::*;

#[tokio::test]
async fn times_resume_sends_only_what_its_journal_lacks() {
    let emu = emulator().await;
    emu.store.insert_staff(people("r", 120)).unwrap();
    let bgy = Bgy::new().against(&emu);
    let mut csv = String::from("帐号*,入职时间\n");
    for i in 0..120 {
        csv.push_str(&format!("r{i:06},2020-01-02\n"));
    }
    bgy.write("dates.csv", &csv);
    bgy.run(&["times", "dates.csv"]).await.assert_code(0);
    let sent = emu.stats.calls("staff/entry-time");
    assert_eq!(sent, 3, "120 rows, 50 a call");
    // Everything is in the journal: a resume sends nothing and still reports every row.
    let r = bgy.run(&["times", "dates.csv", "--resume", "--json"]).await;
    r.assert_code(0);
    assert!(r.stderr.contains("120 rows already done"), "{}", r.stderr);
    assert_eq!(
        emu.stats.calls("staff/entry-time"),
        sent,
        "nothing sent again"
    );
    assert_eq!(r.json()["updated"], 120);
}

#[tokio::test]
async fn times_in_chunks_of_50_and_accounts_the_directory_lacks_never_sent() {
    let emu = emulator().await;
    emu.store.insert_staff(people("t", 110)).unwrap();
    let bgy = Bgy::new().against(&emu);
    let forms = [
        "2016-01-01",
        "2016/1/1",
        "2016.1.1",
        "2016年1月1日",
        "20160101",
    ];
    let mut csv = String::from("帐号*,姓名,入职时间,参加工作时间,转正时间,离职时间\n");
    let mut unknown_rows = Vec::new();
    let mut known = 0;
    for line in 2..=121 {
        if line % 12 == 0 {
            csv.push_str(&format!("ghost{line},,2020-01-01,,,\n"));
            unknown_rows.push(line.to_string());
        } else {
            csv.push_str(&format!(
                "t{known:06},,{},2010-07-01,,\n",
                forms[known % forms.len()]
            ));
            known += 1;
        }
    }
    assert_eq!((known, unknown_rows.len()), (110, 10));
    bgy.write("times.csv", csv);
    let r = bgy.run(&["times", "times.csv", "--json"]).await;
    r.assert_code(1);
    // Caught before anything is sent, as a check online catches them, not refused by the
    // server one by one.
    assert!(
        r.stderr
            .contains("10 × 帐号: 帐号不在通讯录中 (we_userid: account not found), e.g. 帐号: 帐号不在通讯录中 (we_userid: the account is not in the directory) (first: row 12)"),
        "{}",
        r.stderr
    );
    let j = r.json();
    assert_eq!(
        (
            j["updated"].clone(),
            j["invalid"].clone(),
            j["failed"].clone()
        ),
        (json!(110), json!(10), json!(0))
    );
    assert_eq!(
        emu.stats.calls("staff/entry-time"),
        3,
        "110 rows, 50 a call"
    );
    for i in [0, 3, 109] {
        let p = emu.store.person(&format!("t{i:06}")).unwrap();
        assert_eq!(
            (p["entry_time"].as_str(), p["work_time"].as_str()),
            (Some("2016-01-01"), Some("2010-07-01"))
        );
    }
    let failed = read_sheet(&the_report(bgy.dir.path()), "失败 Failed");
    let src = col(&failed, "源行号 Source row");
    let rows: Vec<String> = failed[1..].iter().map(|r| r[src].clone()).collect();
    assert_eq!(rows, unknown_rows);
    assert!(failed[1..]
        .iter()
        .all(|r| r[0].starts_with("ghost")
            && r[col(&failed, "错误 Error")].contains("帐号不在通讯录中")));
    // The account's cell is the one marked.
    let report = the_report(bgy.dir.path());
    assert!(fill(&report, "失败 Failed", 1, 0).is_some(), "帐号 is red");
    assert_eq!(fill(&report, "失败 Failed", 1, 2), None, "入职时间 is not");
    // A check online says the same of them.
    let r = bgy.run(&["check", "times.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(
        (r.json()["ok"].clone(), r.json()["invalid"].clone()),
        (json!(110), json!(10))
    );
}

#[tokio::test]
async fn delete_450_with_5_unknown_backs_up_and_restores() {
    let emu = emulator().await;
    emu.store.insert_staff(people("d", 2500)).unwrap();
    let before: HashMap<String, serde_json::Value> = (0..445)
        .map(|i| format!("d{i:06}"))
        .map(|a| {
            (
                a.clone(),
                emu.store.person(&a).unwrap()["we_mobile"].clone(),
            )
        })
        .collect();
    let bgy = Bgy::new().against(&emu);
    let mut csv = String::from("帐号*,姓名\n");
    for i in 0..445 {
        csv.push_str(&format!("d{i:06},\n"));
    }
    for i in 0..5 {
        csv.push_str(&format!("nobody{i},\n"));
    }
    csv.push_str("d000001,\n"); // the same account twice: deleted once
    bgy.write("leavers.csv", csv);
    let r = bgy.run(&["delete", "leavers.csv", "--yes", "--json"]).await;
    // Accounts already absent are 'not found', not failures: nothing failed.
    r.assert_code(0);
    let j = r.json();
    assert_eq!(
        (
            j["deleted"].clone(),
            j["not_found"].clone(),
            j["failed"].clone(),
            j["skipped"].clone(),
            j["total"].clone()
        ),
        (json!(445), json!(5), json!(0), json!(1), json!(451))
    );
    assert!(
        r.stderr.contains("deleted once"),
        "the repeat is a warning: {}",
        r.stderr
    );
    assert!(r.stderr.contains("5 not found"), "{}", r.stderr);
    assert!(r.stderr.contains("1 skipped (repeated)"), "{}", r.stderr);
    assert_eq!(
        emu.stats.calls("staff/delete"),
        3,
        "445 accounts, 200 a call"
    );
    assert_eq!(
        emu.store.staff_count(),
        2502 - 445,
        "nobody else was touched"
    );
    assert!(emu.store.person("d000444").is_none() && emu.store.person("d000445").is_some());
    assert!(emu.store.person("zhangsan").is_some());

    let backup = std::fs::read_dir(bgy.dir.path())
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().contains("leavers.backup-"))
        .expect("a backup next to the input");
    let sheet = read_sheet(&backup, "成员 Staff");
    assert_eq!(sheet.len(), 447, "a title line, the header and the 445");
    assert!(sheet[0][0].starts_with("备份 Backup"), "{:?}", sheet[0]);
    let r = bgy
        .run(&["import", backup.to_str().unwrap(), "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 445);
    assert_eq!(emu.store.staff_count(), 2502);
    for i in 0..445 {
        let account = format!("d{i:06}");
        let p = emu
            .store
            .person(&account)
            .unwrap_or_else(|| panic!("{account} restored"));
        assert_eq!(p["we_mobile"], before[&account]);
    }
}

#[tokio::test]
async fn no_deletion_without_consent_or_past_the_guard() {
    let emu = emulator().await;
    emu.store.insert_staff(people("g", 100)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.write("few.csv", "帐号\ng000001\ng000002\n");
    // No terminal (the test's stdin is not one) and no --yes.
    let r = bgy.run(&["delete", "few.csv"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("needs --yes"), "{}", r.stderr);
    // Not confirmed: what the backup cannot restore was said, but no backup was written.
    assert!(
        r.stderr.contains("the backup cannot restore"),
        "{}",
        r.stderr
    );
    assert!(
        !has_backup(&bgy),
        "a backup of a delete that did not happen"
    );
    // Past the guard: 30 of 102 people.
    let mut csv = String::from("帐号\n");
    for i in 0..30 {
        csv.push_str(&format!("g{i:06}\n"));
    }
    bgy.write("many.csv", csv);
    let r = bgy.run(&["delete", "many.csv", "--yes"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("refusing to remove 30 of the 102 people"),
        "{}",
        r.stderr
    );
    // The guard refuses first: nothing about a backup that will not be made.
    assert!(!r.stderr.contains("backup"), "{}", r.stderr);
    assert!(!has_backup(&bgy));
    assert_eq!(emu.stats.calls("staff/delete"), 0);
    assert_eq!(emu.store.staff_count(), 102);
    // --force lets it through, the backup written first.
    let r = bgy
        .run(&["delete", "many.csv", "--yes", "--force", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(emu.store.staff_count(), 72);
    assert!(has_backup(&bgy));
}

/// Whether a `*.backup-*.xlsx` is in the run's folder.
fn has_backup(bgy: &Bgy) -> bool {
    std::fs::read_dir(bgy.dir.path())
        .unwrap()
        .flatten()
        .any(|e| e.file_name().to_string_lossy().contains(".backup-"))
}

/// An HR system's list of leavers ends with 合计 | 2 under 序号 | 工号: where accounts are
/// numbers, that count is someone's account, and the row is a total, not a person to delete.
#[tokio::test]
async fn a_row_of_totals_in_a_delete_sheet_deletes_nobody() {
    let emu = emulator().await;
    let mut numbered = people("n", 3);
    for (i, p) in numbered.iter_mut().enumerate() {
        p.insert("we_userid".into(), (i + 1).to_string());
    }
    emu.store.insert_staff(numbered).unwrap();
    // Enough others that two are within the guard on removing many.
    emu.store.insert_staff(people("x", 20)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "离职名单.csv",
        "序号,帐号,姓名\n1,1,员工0\n2,3,员工2\n合计,2,\n",
    );
    let r = bgy
        .run(&["delete", "离职名单.csv", "--yes", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(
        (r.json()["total"].as_u64(), r.json()["deleted"].as_u64()),
        (Some(2), Some(2)),
        "{}",
        r.stderr
    );
    assert!(
        emu.store.person("2").is_some(),
        "the count is nobody to delete"
    );
    assert!(emu.store.person("1").is_none() && emu.store.person("3").is_none());
    assert!(
        r.stderr.contains("row 4: a total, not a person; not read"),
        "{}",
        r.stderr
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deletes_with_lost_answers_count_once_as_deleted() {
    let emu = emulator().await;
    emu.store.insert_staff(people("l", 1000)).unwrap();
    emu.set_fail_rate(0.5);
    let bgy = Bgy::new().against(&emu);
    let mut csv = String::from("帐号\n");
    for i in 0..150 {
        csv.push_str(&format!("l{i:06}\n"));
    }
    bgy.write("l.csv", csv);
    let r = bgy
        .run(&["--concurrency", "1", "delete", "l.csv", "--yes", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["deleted"], 150);
    assert_eq!(emu.store.staff_count(), 1002 - 150);
}

#[tokio::test]
async fn a_partial_delete_re_lists_and_fails_exactly_the_ones_still_there() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 200)).unwrap();
    // Two people an administrator placed in the read-only department: the server keeps them
    // and answers 1214 without saying who.
    let outsourced = ["ro1", "ro2"].map(|a| {
        HashMap::from([
            ("we_userid".to_string(), a.to_string()),
            ("we_name".to_string(), format!("外包{a}")),
            ("we_email".to_string(), format!("{a}@example.com")),
            ("we_id".to_string(), "9".to_string()),
        ])
    });
    emu.store.insert_staff(outsourced).unwrap();
    let bgy = Bgy::new().against(&emu);
    let mut csv = String::from("帐号\n");
    for i in 0..20 {
        csv.push_str(&format!("p{i:06}\n"));
        if i == 7 {
            csv.push_str("ro1\n");
        }
    }
    csv.push_str("ro2\n");
    bgy.write("p.csv", csv);
    let r = bgy.run(&["delete", "p.csv", "--yes", "--json"]).await;
    r.assert_code(1);
    let j = r.json();
    assert_eq!(
        (j["deleted"].clone(), j["failed"].clone()),
        (json!(20), json!(2))
    );
    assert_eq!(emu.stats.calls("staff/delete"), 1, "22 accounts, one call");
    assert!(emu.store.person("ro1").is_some() && emu.store.person("ro2").is_some());
    assert!(emu.store.person("p000019").is_none() && emu.store.person("p000020").is_some());

    let failed = read_sheet(&the_report(bgy.dir.path()), "失败 Failed");
    let src = col(&failed, "源行号 Source row");
    let err = col(&failed, "错误 Error");
    let rows: Vec<(&str, &str)> = failed[1..]
        .iter()
        .map(|r| (r[0].as_str(), r[src].as_str()))
        .collect();
    assert_eq!(rows, [("ro1", "10"), ("ro2", "23")]);
    assert!(
        failed[1..].iter().all(|r| r[err].contains("1214")),
        "{failed:?}"
    );
}

#[tokio::test]
async fn check_knows_a_times_or_delete_sheet_by_its_columns() {
    let bgy = Bgy::new();
    bgy.write(
        "dates.csv",
        "帐号,姓名,入职时间,转正时间\nt1,甲,2026-01-05,2026-04-05\n",
    );
    let r = bgy.run(&["check", "dates.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["ok"], 1, "no contact or department asked of it");
    assert!(r.stderr.contains("a sheet of dates"), "{}", r.stderr);

    bgy.write("leavers.csv", "帐号,姓名\nd1,乙\nd2,\n");
    let r = bgy.run(&["check", "leavers.csv", "--json"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("a sheet of accounts to delete"),
        "{}",
        r.stderr
    );

    // --kind still decides, and a staff sheet stays one.
    let r = bgy
        .run(&["check", "leavers.csv", "--kind", "staff", "--json"])
        .await;
    r.assert_code(1);
    bgy.write(
        "staff.csv",
        "帐号,姓名,手机,入职时间\ns1,丙,13800138000,2026-01-05\n",
    );
    let r = bgy.run(&["check", "staff.csv", "--json"]).await;
    r.assert_code(1);
    assert!(!r.stderr.contains("sheet's columns"), "{}", r.stderr);

    // HR's 转正名单 also says each person's 部门 and 职位: without a contact column, a sheet
    // of dates all the same. Read as staff (an import), it says what it seems to be.
    let list =
        "序号,帐号,姓名,部门,职位,入职日期,转正日期\n1,t1,甲,办公逸,工程师,2026-06-01,2026-12-01\n";
    bgy.write("转正名单.csv", list);
    let r = bgy.run(&["check", "转正名单.csv", "--json"]).await;
    r.assert_code(0);
    // …its columns read as a sheet of dates reads them: 部门 and 职位 are not.
    assert!(
        r.stderr.contains("a sheet of dates")
            && r.stderr
                .contains(r#"column D1 "部门" is not read in a sheet of dates; ignored"#)
            && r.stderr
                .contains(r#"column E1 "职位" is not read in a sheet of dates; ignored"#),
        "{}",
        r.stderr
    );
    let r = bgy.run(&["import", "转正名单.csv", "--dry-run"]).await;
    r.assert_code(1);
    assert!(
        r.stderr.contains("it looks like a sheet of dates")
            && r.stderr
                .contains("→ bgy check FILE --kind times, bgy times FILE"),
        "{}",
        r.stderr
    );
    // A 离职时间 and no other date: a 离职名单, which bgy leave marks as leavers.
    let leavers = "帐号,姓名,部门,离职日期\nt1,甲,办公逸,2026-12-01\n";
    bgy.write("离职.csv", leavers);
    let r = bgy.run(&["check", "离职.csv", "--json"]).await;
    r.assert_code(0);
    assert!(r.stderr.contains("a list of leavers"), "{}", r.stderr);
    let r = bgy.run(&["import", "离职.csv", "--dry-run"]).await;
    assert!(
        r.stderr.contains("it looks like a list of leavers")
            && r.stderr
                .contains("→ bgy check FILE --kind leave, bgy leave FILE"),
        "{}",
        r.stderr
    );
    // A column bgy does not know may be the contact: a staff sheet, and nothing suggested.
    bgy.write("花名册.csv", list.replace("职位", "联系方式XYZ"));
    let r = bgy.run(&["check", "花名册.csv", "--json"]).await;
    r.assert_code(1);
    assert!(!r.stderr.contains("sheet's columns"), "{}", r.stderr);
    let r = bgy.run(&["import", "花名册.csv", "--dry-run"]).await;
    assert!(!r.stderr.contains("looks like"), "{}", r.stderr);
}

#[tokio::test]
async fn a_backup_speaks_of_fields_it_cannot_restore_only_for_people_bgy_did_not_create() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 20)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.write("new.csv", staff_csv("n", 2));
    bgy.run(&["import", "new.csv"]).await.assert_code(0);
    // bgy created them: every field they had is one bgy sent, and the backup has it.
    bgy.write("gone.csv", "帐号\nn0000\nn0001\n");
    let r = bgy.run(&["delete", "gone.csv", "--yes"]).await;
    r.assert_code(0);
    assert!(!r.stderr.contains("cannot restore"), "{}", r.stderr);
    // Someone who was there before bgy may have had fields no listing returns.
    bgy.write("old.csv", "帐号\nzhangsan\n");
    let r = bgy.run(&["delete", "old.csv", "--yes"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("the backup cannot restore"),
        "{}",
        r.stderr
    );
}

/// A row whose 姓名 is not the directory's for its account (a mistyped account, most likely)
/// is warned about before anything is sent or confirmed, by `times`, `delete` and `leave`
/// and by their checks; the dates go to the directory's person, whose name stays.
#[tokio::test]
async fn a_name_other_than_the_directory_s_is_warned_about_and_renames_nobody() {
    let emu = emulator().await;
    emu.store.insert_staff(people("n", 10)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "dates.csv",
        "帐号,姓名,入职时间\nn000000,员工0,2024-01-01\nn000001,张 三,2024-01-02\n",
    );
    let r = bgy.run(&["times", "dates.csv"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("1 行的姓名与通讯录中该帐号的姓名不同")
            && r.stderr.contains("n000001 在通讯录中叫 员工1,不是 张 三"),
        "{}",
        r.stderr
    );
    let p = emu.store.person("n000001").unwrap();
    assert_eq!(
        (p["we_name"].as_str(), p["entry_time"].as_str()),
        (Some("员工1"), Some("2024-01-02"))
    );
    // Spaces and case aside, the same name is no warning.
    bgy.write(
        "same.csv",
        "帐号,姓名,入职时间\nn000002, 员工 2 ,2024-01-03\n",
    );
    let r = bgy.run(&["times", "same.csv"]).await;
    r.assert_code(0);
    assert!(!r.stderr.contains("姓名不同"), "{}", r.stderr);
    // Told before the confirmation a delete needs, and in a check of the list.
    bgy.write("gone.csv", "帐号,姓名\nn000003,李四\n");
    let r = bgy.run(&["delete", "gone.csv"]).await;
    r.assert_code(2);
    let (warned, refused) = (
        r.stderr
            .find("n000003 在通讯录中叫 员工3,不是 李四")
            .unwrap(),
        r.stderr.find("--yes").unwrap(),
    );
    assert!(warned < refused, "{}", r.stderr);
    for kind in ["delete", "leave"] {
        let r = bgy.run(&["check", "--kind", kind, "gone.csv"]).await;
        r.assert_code(0);
        assert!(r.stderr.contains("不是 李四"), "{kind}: {}", r.stderr);
    }
    let r = bgy.run(&["leave", "gone.csv", "--yes"]).await;
    r.assert_code(0);
    assert!(r.stderr.contains("不是 李四"), "{}", r.stderr);
}
