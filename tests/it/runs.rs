//! Runs that could trample each other, and accounts that differ only in letter case. Named
//! after what broke.

use std::time::{Duration, Instant};

use crate::common::*;

#[tokio::test]
async fn two_imports_of_one_file_at_once_send_each_row_once() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(20));
    let b = Bgy::new().against(&emu);
    b.write("staff.csv", staff_csv("t", 120));
    let first = b.spawn(&["import", "staff.csv", "--concurrency", "2"]);
    wait_for_journal(b.dir.path(), 1).await;
    let second = b.run(&["import", "staff.csv"]).await;
    second.assert_code(2);
    assert!(
        second.stderr.contains("another bgy run is sending")
            && second
                .stderr
                .contains(&format!("process {} (bgy import", first.id())),
        "{}",
        second.stderr
    );
    ended(first, 0).await;
    assert_eq!(emu.store.staff_count(), 2 + 120);
    the_report(b.dir.path());
    // The lock went with the process: the next run goes ahead.
    b.run(&["import", "staff.csv"]).await.assert_code(0);
}

/// Two working directories (two history stores, so two directory locks) on one file: the
/// file's own lock is what stops the second.
#[tokio::test]
async fn imports_of_one_file_from_two_working_directories_send_each_row_once() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(20));
    let (a, b) = (Bgy::new().against(&emu), Bgy::new().against(&emu));
    let file = a.write("staff.csv", staff_csv("w", 120));
    let first = a.spawn(&["import", "staff.csv", "--concurrency", "2"]);
    wait_for_journal(a.dir.path(), 1).await;
    let second = b.run(&["import", &file.to_string_lossy()]).await;
    second.assert_code(2);
    assert!(
        second.stderr.contains(&format!(
            "another bgy run is sending from {}: process {} (bgy import",
            file.display(),
            first.id()
        )),
        "{}",
        second.stderr
    );
    ended(first, 0).await;
    assert_eq!(emu.store.staff_count(), 2 + 120);
    // The file's lock went with the process: the other directory's run goes ahead.
    let third = b.run(&["import", &file.to_string_lossy(), "--json"]).await;
    third.assert_code(0);
    assert_eq!(third.json()["skipped"], 120, "{}", third.stdout);
}

#[tokio::test]
async fn runs_started_together_never_share_a_report() {
    let b = Bgy::new();
    b.write("staff.csv", staff_csv("s", 3));
    let started = Instant::now();
    let children: Vec<_> = (0..3).map(|_| b.spawn(&["check", "staff.csv"])).collect();
    let mut reports = Vec::new();
    for child in children {
        let out = child.wait_with_output().unwrap();
        assert_eq!(out.status.code(), Some(0));
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        let line = err
            .lines()
            .find(|l| l.starts_with("report: "))
            .unwrap()
            .to_string();
        reports.push(line);
    }
    reports.sort();
    reports.dedup();
    assert_eq!(reports.len(), 3, "{reports:?}");
    assert!(started.elapsed() < Duration::from_secs(30));
}

#[tokio::test]
async fn letter_case_never_makes_a_second_account() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write(
        "staff.csv",
        "帐号,姓名,手机,部门\nZhangSan,张三丰,13800138000,办公逸/研发部\n",
    );
    let r = b.run(&["import", "staff.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["skipped"], 1, "ZhangSan is zhangsan");
    let r = b
        .run(&["import", "staff.csv", "--cover", "overwrite", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["updated"], 1);
    assert_eq!(emu.store.staff_count(), 2, "no second account");
    assert!(
        emu.store.accounts().contains(&"zhangsan".to_string()),
        "the first spelling is kept: {:?}",
        emu.store.accounts()
    );
    // The emulator itself: an add of another spelling is 1204.
    let c = client_for(&emu, TICKET);
    let reply = c
        .add_staff(vec![
            ("we_userid".into(), "LISI".into()),
            ("we_name".into(), "李四".into()),
            ("we_mobile".into(), "13900000000".into()),
            ("we_id".into(), "2".into()),
            ("cover".into(), "0".into()),
        ])
        .await
        .unwrap();
    assert_eq!(reply.errno, 1204);
    // A sheet naming ZHANGSAN deletes zhangsan, and only that one.
    b.write("leavers.csv", "帐号\nZHANGSAN\n");
    let r = b
        .run(&["delete", "leavers.csv", "--yes", "--force", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["deleted"], 1);
    assert_eq!(emu.store.accounts(), vec!["lisi".to_string()]);
}
