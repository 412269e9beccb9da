//! `bgy leave` against the emulator: the people of a 离职名单 marked 已离职 and kept, each
//! once, with the row's date and reason or the run's; the guard and the confirmation as for
//! deleting; an undo that gives them back their status.

use crate::common::*;

/// A 离职名单 as an HR system writes it: 序号, the list's own date and reason columns, a
/// person twice, someone the directory lacks, and a row of totals whose count is an account.
const LIST: &str = "序号,帐号,姓名,离职日期,离职原因\n\
    1,p000001,员工1,2026-11-30,个人原因\n\
    2,p000002,员工2,,\n\
    3,nobody,谁,,\n\
    4,p000001,员工1,,\n\
    合计,4,,,\n";

async fn last_run(b: &Bgy) -> String {
    b.run(&["history", "--json", "--limit", "1"]).await.json()["runs"][0]["id"].to_string()
}

#[tokio::test]
async fn a_leave_list_marks_each_person_once_keeps_them_and_an_undo_takes_it_back() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 20)).unwrap();
    let mut four = people("q", 1);
    four[0].insert("we_userid".into(), "4".into());
    emu.store.insert_staff(four).unwrap();
    let staff = emu.store.staff_count();
    let bgy = Bgy::new().against(&emu);
    bgy.write("离职名单.csv", LIST);

    let r = bgy.run(&["leave", "离职名单.csv", "--yes", "--json"]).await;
    r.assert_code(0);
    let j = r.json();
    assert_eq!(
        [
            &j["total"],
            &j["left"],
            &j["not_found"],
            &j["skipped"],
            &j["failed"]
        ],
        [4, 2, 1, 1, 0],
        "{}",
        r.stderr
    );
    assert_eq!(emu.store.staff_count(), staff, "marked, not deleted");
    let first = emu.store.person("p000001").unwrap();
    assert_eq!(
        [
            &first["status"],
            &first["quite_time"],
            &first["quite_reason"]
        ],
        ["3", "2026-11-30", "个人原因"],
        "the row's own date and reason, from its first row"
    );
    let today = chrono::Local::now().format("%Y-%m-%d").to_string();
    let second = emu.store.person("p000002").unwrap();
    assert_eq!(second["status"], "3");
    assert_eq!(second["quite_time"], today.as_str());
    assert!(
        second["quite_reason"]
            .as_str()
            .unwrap()
            .contains("离职名单.csv"),
        "{second:?}"
    );
    assert!(
        emu.store.person("4").unwrap().get("status").is_none(),
        "the count under 合计 is nobody to mark"
    );
    assert!(
        emu.store.person("p000003").unwrap().get("status").is_none(),
        "nobody else"
    );
    let all = read_sheet(&the_report(bgy.dir.path()), "全部 All");
    let outcome = col(&all, "结果 Outcome");
    let outcomes: Vec<&str> = all[1..].iter().map(|r| r[outcome].as_str()).collect();
    assert!(outcomes[0].contains("已标记离职"), "{outcomes:?}");
    assert!(outcomes[2].contains("not found"), "{outcomes:?}");

    let run = last_run(&bgy).await;

    // The list again, with a date for the rows that give none: those already 已离职 are not
    // sent again, and keep the 离职时间 they had.
    let again = bgy
        .run(&[
            "leave",
            "离职名单.csv",
            "--date",
            "2027-01-04",
            "--yes",
            "--json",
        ])
        .await;
    again.assert_code(0);
    assert_eq!(
        [&again.json()["left"], &again.json()["unchanged"]],
        [0, 2],
        "{}",
        again.stderr
    );
    assert!(
        again.stderr.contains("2 already marked as leavers"),
        "{}",
        again.stderr
    );
    assert_eq!(
        emu.store.person("p000002").unwrap()["quite_time"],
        today.as_str()
    );

    let undo = bgy.run(&["undo", &run, "--yes"]).await;
    undo.assert_code(0);
    for account in ["p000001", "p000002"] {
        let back = emu.store.person(account).unwrap();
        assert_eq!(back["status"], "0", "{back:?}");
        assert_eq!(back["back_time"], today.as_str());
    }
}

#[tokio::test]
async fn a_leave_asks_first_and_past_a_fifth_of_the_directory_needs_force() {
    let emu = emulator().await;
    emu.store.insert_staff(people("p", 20)).unwrap();
    let bgy = Bgy::new().against(&emu);
    bgy.write("离职名单.csv", LIST);
    // Off a terminal nobody can type the count: refused, nobody marked.
    let r = bgy.run(&["leave", "离职名单.csv"]).await;
    r.assert_code(2);
    assert!(emu.store.person("p000001").unwrap().get("status").is_none());

    let mut many = String::from("帐号,离职原因\n");
    for i in 0..6 {
        many.push_str(&format!("p{i:06},合同到期\n"));
    }
    bgy.write("many.csv", many);
    let r = bgy.run(&["leave", "many.csv", "--yes"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert!(emu.store.person("p000000").unwrap().get("status").is_none());
    let r = bgy
        .run(&["leave", "many.csv", "--yes", "--force", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["left"], 6);
}

#[tokio::test]
async fn check_knows_a_leave_list_by_its_reason_column_and_a_bad_date_stops_the_row() {
    let bgy = Bgy::new();
    bgy.write(
        "离职名单.csv",
        "工号,姓名,部门,离职日期,离职原因\nl1,甲,研发部,2026-11-30,个人原因\nl2,乙,研发部,2026-13-01,\n",
    );
    let r = bgy
        .run(&["check", "离职名单.csv", "--map", "工号=帐号", "--json"])
        .await;
    r.assert_code(1);
    assert!(r.stderr.contains("a list of leavers"), "{}", r.stderr);
    assert_eq!(
        (r.json()["ok"].as_u64(), r.json()["invalid"].as_u64()),
        (Some(1), Some(1))
    );
    // With a contact column it is a staff sheet, whatever else it holds.
    bgy.write(
        "staff.csv",
        "帐号,姓名,手机,离职原因\ns1,丙,13800138000,个人原因\n",
    );
    let r = bgy.run(&["check", "staff.csv", "--json"]).await;
    assert!(!r.stderr.contains("a list of leavers"), "{}", r.stderr);
}
