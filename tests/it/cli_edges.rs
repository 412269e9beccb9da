//! The command line as IT uses it: pipes that close early, a command's product on stdout, the
//! directory on stdout, Excel's binary workbooks, who ran it, help that shows what a command
//! uses, reports somewhere else, and short department paths. Named after what broke.

use std::io::Read;
use std::path::Path;
use std::process::Stdio;

use crate::common::*;

/// Runs `bgy ARGS` with stdout and stderr into pipes whose readers have gone before it says
/// anything (as `| head -0` would): its exit code.
fn with_readers_gone(b: &Bgy, args: &[&str]) -> i32 {
    let mut child = b.spawn(args);
    drop(child.stdin.take());
    drop(child.stdout.take());
    drop(child.stderr.take());
    child.wait().unwrap().code().unwrap_or(-1)
}

// Blocking reads of a child's output while the emulator answers it: two threads.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_reader_that_goes_early_ends_nothing_but_its_own_reading() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.sample("staff.xlsx", "staff.xlsx");
    b.sample("staff-with-errors.xlsx", "errors.xlsx");
    b.run(&["import", "staff.xlsx", "--create-departments"])
        .await
        .assert_code(0);
    for (args, code) in [
        (vec!["check", "errors.xlsx"], 1),
        (vec!["plan", "staff.xlsx", "--prune"], 0),
        (vec!["history"], 0),
        (vec!["history", "show", "1"], 0),
        (vec!["dept", "list"], 0),
        (vec!["export", "-o", "-"], 0),
        (vec!["--help"], 0),
        (vec!["import", "errors.xlsx", "--dry-run"], 1),
    ] {
        assert_eq!(with_readers_gone(&b, &args), code, "bgy {args:?}");
    }
    // The run went on to its end: its report is there.
    let reports = std::fs::read_dir(b.dir.path())
        .unwrap()
        .flatten()
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("errors.report-")
        })
        .count();
    assert!(reports >= 2, "the reports of the check and the dry run");
}

#[tokio::test]
async fn a_command_s_product_is_on_stdout_and_what_it_says_on_stderr() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write(
        "plan.csv",
        "帐号,姓名,手机,部门\nzhangsan,张三丰,13800138000,办公逸/研发部\n",
    );
    let r = b.run(&["plan", "plan.csv"]).await;
    r.assert_code(0);
    assert!(r.stdout.contains("更新 (update) zhangsan"), "{}", r.stdout);
    assert!(!r.stderr.contains("zhangsan"), "{}", r.stderr);
    // With --json, stdout is the one object.
    let r = b.run(&["plan", "plan.csv", "--json"]).await;
    assert_eq!(r.json()["updated"], 1);
    b.write("new.csv", staff_csv("o", 2));
    b.run(&["import", "new.csv"]).await.assert_code(0);
    let r = b.run(&["history"]).await;
    let mut lines = r.stdout.lines();
    assert!(
        lines
            .next()
            .unwrap()
            .trim_start()
            .starts_with("run  started"),
        "a header row: {}",
        r.stdout
    );
    assert!(lines.next().unwrap().contains("import"), "{}", r.stdout);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_directory_goes_to_stdout_as_csv_in_utf8_or_gbk() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let r = b.run(&["export", "-o", "-"]).await;
    r.assert_code(0);
    assert!(
        r.stdout.starts_with("帐号*,姓名*"),
        "no BOM: {:?}",
        &r.stdout[..20]
    );
    assert!(r.stdout.contains("zhangsan,张三"), "{}", r.stdout);
    let mut child = b.spawn(&["export", "-o", "-", "--encoding", "gbk"]);
    let mut bytes = Vec::new();
    child
        .stdout
        .take()
        .unwrap()
        .read_to_end(&mut bytes)
        .unwrap();
    assert!(child.wait().unwrap().success());
    let (text, _, bad) = encoding_rs::GB18030.decode(&bytes);
    assert!(!bad && text.contains("zhangsan,张三"), "{text}");
    assert!(std::str::from_utf8(&bytes).is_err(), "not UTF-8");
    // Its one JSON object would share stdout.
    b.run(&["export", "-o", "-", "--json"]).await.assert_code(2);
    // A department as a sheet names it: the end of its path when only one ends so.
    let r = b
        .run(&["export", "--department", "后端组", "-o", "backend.csv"])
        .await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("taken as 办公逸/研发部/后端组"),
        "{}",
        r.stderr
    );
    let text = std::fs::read_to_string(b.path("backend.csv")).unwrap();
    assert!(
        text.contains("lisi") && !text.contains("zhangsan"),
        "{text}"
    );
}

#[tokio::test]
async fn an_excel_binary_workbook_is_read() {
    let b = Bgy::new();
    std::fs::copy(
        Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/issues.xlsb"),
        b.path("issues.xlsb"),
    )
    .unwrap();
    let r = b.run(&["check", "issues.xlsb"]).await;
    // Read: it is not a staff sheet (no header), rather than "damaged".
    r.assert_code(2);
    assert!(r.stderr.contains("no header row"), "{}", r.stderr);
    assert!(!r.stderr.contains("damaged"), "{}", r.stderr);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_history_says_who_without_user_and_whom_a_script_names() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write("a.csv", staff_csv("a", 1));
    b.write("b.csv", staff_csv("b", 1));
    let mut no_user = bgy_command();
    no_user
        .current_dir(b.dir.path())
        .args(["import", "a.csv"])
        .env_remove("USER")
        .env_remove("LOGNAME")
        .env("BGY_BASE_URL", emu.base_url())
        .env("BGY_TICKET", TICKET)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    assert!(no_user.status().unwrap().success());
    let r = b.run(&["import", "b.csv", "--who", "王经理"]).await;
    r.assert_code(0);
    let runs = b.run(&["history", "--json"]).await.json();
    assert_eq!(runs["runs"][0]["who"], "王经理");
    let os = runs["runs"][1]["who"].as_str().unwrap().to_string();
    assert!(!os.is_empty() && os != "unknown", "{os}");
}

#[tokio::test]
async fn each_command_s_help_shows_the_options_it_uses() {
    let b = Bgy::new();
    let emulator = b.run(&["emulator", "--help"]).await.stdout;
    for unused in [
        "--history",
        "--base-url",
        "--emulator ",
        "--concurrency",
        "--who",
    ] {
        assert!(!emulator.contains(unused), "{unused}: {emulator}");
    }
    assert!(emulator.contains("--ticket") && emulator.contains("--latency-ms"));
    let history = b.run(&["history", "--help"]).await.stdout;
    assert!(!history.contains("--ticket") && history.contains("--history"));
    let import = b.run(&["import", "--help"]).await.stdout;
    for used in [
        "--ticket",
        "--history",
        "--who",
        "--report-dir",
        "--concurrency",
    ] {
        assert!(import.contains(used), "{used}: {import}");
    }
}

#[tokio::test]
async fn reports_go_where_they_are_told_or_nowhere_for_a_quick_look() {
    let b = Bgy::new();
    b.write("s.csv", staff_csv("r", 2));
    let beside = |b: &Bgy| {
        std::fs::read_dir(b.dir.path())
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().contains(".report-"))
            .count()
    };
    let r = b.run(&["check", "s.csv", "--no-report"]).await;
    r.assert_code(0);
    assert!(!r.stderr.contains("report:"), "{}", r.stderr);
    assert_eq!(beside(&b), 0);
    b.run(&["check", "s.csv", "--report-dir", "reports"])
        .await
        .assert_code(0);
    assert_eq!(std::fs::read_dir(b.path("reports")).unwrap().count(), 1);
    b.write("bgy.toml", "report_dir = \"from-toml\"\n");
    b.run(&["check", "s.csv"]).await.assert_code(0);
    assert_eq!(std::fs::read_dir(b.path("from-toml")).unwrap().count(), 1);
    assert_eq!(beside(&b), 0, "none beside the input");
}

#[tokio::test]
async fn a_place_that_cannot_be_written_is_said_in_chinese_and_english() {
    let b = Bgy::new();
    b.write("s.csv", staff_csv("w", 2));
    // A file where a folder should be: refused whoever runs the test (root writes anywhere).
    b.write("blocker", "not a folder");
    let r = b
        .run(&["check", "s.csv", "--report-dir", "blocker/reports"])
        .await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("无法在 blocker/reports 写报告(路径中有一段不是文件夹)")
            && r.stderr
                .contains("(cannot write a report in blocker/reports)"),
        "{}",
        r.stderr
    );
    let r = b
        .run(&["serve", "--listen", "127.0.0.1:0", "--data", "blocker/runs"])
        .await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("无法建立文件夹 blocker/runs(路径中有一段不是文件夹)"),
        "{}",
        r.stderr
    );
    let r = b.run(&["template", "-o", "blocker/t.xlsx"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains(
            "无法写入 blocker/t.xlsx(路径中有一段不是文件夹) (cannot write blocker/t.xlsx)"
        ),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_port_another_program_has_is_said_and_the_way_out_named() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let b = Bgy::new();
    for args in [
        vec!["emulator", "--listen", &listen],
        vec!["serve", "--emulator", "--listen", &listen],
    ] {
        let r = b.run(&args).await;
        r.assert_code(2);
        assert!(
            r.stderr.contains(&format!("无法在 {listen} 监听:端口已被别的程序占用;用 --listen 换一个端口 (cannot listen on {listen})")),
            "{}",
            r.stderr
        );
    }
    drop(taken);
}

#[tokio::test]
async fn a_file_that_is_no_database_and_a_seed_left_unused_are_said() {
    let b = Bgy::new();
    b.write(
        "junk.sqlite",
        "not a database, but a note someone saved over it",
    );
    let r = b.run(&["history", "--history", "junk.sqlite"]).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("无法打开历史记录 junk.sqlite(不是 SQLite 数据库文件")
            && r.stderr.contains("(cannot open the history junk.sqlite)"),
        "{}",
        r.stderr
    );
    // The emulator's state and seed are read before it listens: a port taken ends the run
    // once they are said.
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let listen = taken.local_addr().unwrap().to_string();
    let r = b
        .run(&["emulator", "--state", "junk.sqlite", "--listen", &listen])
        .await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("无法打开模拟器的状态文件 junk.sqlite(不是 SQLite 数据库文件"),
        "{}",
        r.stderr
    );
    b.write("s.csv", staff_csv("e", 1));
    b.run(&["check", "s.csv", "--emulator"])
        .await
        .assert_code(0);
    let r = b
        .run(&["emulator", "--seed", "ours.json", "--listen", &listen])
        .await;
    assert!(
        r.stderr
            .contains("--seed ours.json 没有用上:状态文件 .bgy/emulator.sqlite 已有数据"),
        "{}",
        r.stderr
    );
    drop(taken);
}

#[tokio::test]
async fn a_users_file_that_cannot_be_read_or_used_names_the_line_in_both_languages() {
    let b = Bgy::new();
    let serve = |users: &'static str| ["serve", "--listen", "127.0.0.1:0", "--users", users];
    let r = b.run(&serve("missing.txt")).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("无法读取 missing.txt:文件不存在"),
        "{}",
        r.stderr
    );
    b.write("users.txt", "# who may log in\nhr:view:x:y:z\n");
    let r = b.run(&serve("users.txt")).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("users.txt 第 2 行 (line 2): 应为 名字:argon2 哈希")
            && r.stderr
                .contains("(not name:argon2-hash or name:role:argon2-hash)"),
        "{}",
        r.stderr
    );
    b.write(
        "users.txt",
        "hr:boss:$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA\n",
    );
    let r = b.run(&serve("users.txt")).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("角色 \"boss\" 应为 view、run 或 approve"),
        "{}",
        r.stderr
    );
}

/// Refusals that were English alone on the command line.
#[tokio::test]
async fn options_refused_are_said_in_both_languages() {
    let b = Bgy::new();
    let r = b
        .run(&[
            "serve",
            "--emulator",
            "--listen",
            "0.0.0.0:0",
            "--data",
            "runs",
        ])
        .await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("在本机以外的地址上要用 --users FILE")
            && r.stderr
                .contains("(beyond this computer bgy serve needs --users FILE"),
        "{}",
        r.stderr
    );
    let r = b.run(&["serve", "--emulator", "--keep-runs", "0"]).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("--keep-runs 至少是 1 天 (--keep-runs must be at least 1 day)"),
        "{}",
        r.stderr
    );
    b.write("s.csv", staff_csv("w", 1));
    let r = b.run(&["check", "s.csv", "--who", " "]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("是空的") && r.stderr.contains("names nobody"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_bgy_toml_that_cannot_be_read_names_its_line_and_column() {
    let b = Bgy::new();
    b.write("s.csv", staff_csv("t", 1));
    b.write("bgy.toml", "[columns\n\"工号\" = \"帐号\"\n");
    let r = b.run(&["check", "s.csv"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains(
            "bgy.toml 第 1 行第 9 列有误 (bgy.toml line 1, column 9: unclosed table, expected `]`)"
        ),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_certificate_that_cannot_be_used_is_said_in_both_languages() {
    let b = Bgy::new();
    let one = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    let other = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
    b.write("cert.pem", one.cert.pem());
    b.write("other-key.pem", other.signing_key.serialize_pem());
    let serve = |cert: &'static str, key: &'static str| {
        [
            "serve",
            "--listen",
            "127.0.0.1:0",
            "--tls-cert",
            cert,
            "--tls-key",
            key,
        ]
    };
    let r = b.run(&serve("missing.pem", "other-key.pem")).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("--tls-cert missing.pem:无法读取证书 (cannot read the certificate"),
        "{}",
        r.stderr
    );
    let r = b.run(&serve("cert.pem", "other-key.pem")).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("--tls-cert 与 --tls-key 不是同一对证书和私钥"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn a_sheet_piped_in_as_dash_is_read_from_standard_input() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    // A file that happens to be called so is never read in its place.
    b.write("stdin", "帐号,姓名\nnot,read\n");
    let workbook = std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/staff.xlsx"));
    let check = (b.run_piped(&["check", "-", "--create-departments"], workbook.unwrap())).await;
    check.assert_code(0);
    assert!(
        check.stderr.contains("bgy check: 300 rows"),
        "{}",
        check.stderr
    );
    assert!(
        check.stderr.contains("report: stdin.report-"),
        "{}",
        check.stderr
    );
    let sync = b
        .run_piped(&["sync", "-", "--yes", "--json"], staff_csv("pp", 3))
        .await;
    sync.assert_code(0);
    assert_eq!(sync.json()["created"], 3, "{}", sync.stdout);
    let report = sync.json()["report"].as_str().unwrap().to_string();
    assert!(
        b.path(&report).exists() && report.starts_with("stdin.report-"),
        "{report}"
    );
    let history = b.run(&["history"]).await;
    assert!(
        history.stdout.contains("sync     stdin"),
        "{}",
        history.stdout
    );
    let empty = b.run_piped(&["import", "-"], "").await;
    empty.assert_code(2);
    assert!(empty.stderr.contains("stdin is empty"), "{}", empty.stderr);
}

/// The summary counts a row as one: `1 row`, not `1 rows`.
#[tokio::test]
async fn a_sheet_of_one_row_is_summed_up_as_one_row() {
    let b = Bgy::new();
    b.write(
        "one.csv",
        "帐号,姓名,手机,部门\none1,甲,13800000001,办公逸\n",
    );
    let r = b.run(&["check", "one.csv"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("bgy check: 1 row: 1 valid\n"),
        "{}",
        r.stderr
    );
}
