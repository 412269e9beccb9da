//! The command line itself: bad options are exit 2 with a message, and the ticket never shows.

use crate::common::*;

#[tokio::test]
async fn bad_option_values_are_exit_2_with_a_message() {
    let bgy = Bgy::new();
    let r = bgy.run(&["--concurrency", "-1", "template"]).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("--concurrency must be between 1 and 1024, not -1"),
        "{}",
        r.stderr
    );
    let r = bgy
        .run(&["--base-url", "::nope::", "--ticket", "x", "template"])
        .await;
    r.assert_code(2);
    assert!(r.stderr.contains("is not an http(s) URL"), "{}", r.stderr);
    let r = bgy.run(&["--concurrency", "many", "template"]).await;
    r.assert_code(2);
    let r = bgy.run(&["import", "x.xlsx"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("BGY_TICKET"), "{}", r.stderr);
}

#[tokio::test]
async fn help_never_shows_the_ticket_from_the_environment() {
    let bgy = Bgy::new();
    let out = bgy_command()
        .arg("--help")
        .env("BGY_TICKET", TICKET)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--ticket"), "{text}");
    assert!(!text.contains(TICKET));
    drop(bgy);
}

#[tokio::test]
async fn template_never_overwrites_a_filled_in_sheet() {
    let b = Bgy::new();
    b.write("staff.xlsx", b"a filled-in sheet");
    let r = b.run(&["template", "-o", "staff.xlsx"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    assert_eq!(
        std::fs::read(b.path("staff.xlsx")).unwrap(),
        b"a filled-in sheet"
    );
    b.run(&["template", "-o", "staff.xlsx", "--force"])
        .await
        .assert_code(0);
    assert!(std::fs::read(b.path("staff.xlsx"))
        .unwrap()
        .starts_with(b"PK"));
}

#[tokio::test]
async fn an_output_extension_is_honoured_or_refused() {
    let b = Bgy::new();
    let r = b.run(&["template", "-o", "t.csv"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains(".xlsx"), "{}", r.stderr);
    assert!(!b.path("t.csv").exists());
    let r = b.run(&["--emulator", "export", "-o", "all.txt"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains(".xlsx or .csv"), "{}", r.stderr);
    assert!(!b.path("all.txt").exists());
}

#[tokio::test]
async fn a_file_named_without_o_is_the_output() {
    let b = Bgy::new();
    b.run(&["template", "roster.xlsx"]).await.assert_code(0);
    assert!(std::fs::read(b.path("roster.xlsx"))
        .unwrap()
        .starts_with(b"PK"));
    assert!(!b.path("bgy-template.xlsx").exists());
    // The same care as with -o: a filled-in sheet is not overwritten.
    let r = b.run(&["template", "roster.xlsx"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("--force"), "{}", r.stderr);
    // A kind's name is the kind, written where its default name says, beside the staff one.
    b.run(&["template", "times"]).await.assert_code(0);
    assert!(!b.path("times").exists());
    let times = std::fs::read(b.path("bgy-times-template.xlsx")).unwrap();
    b.run(&["template", "--kind", "times", "-o", "t.xlsx"])
        .await
        .assert_code(0);
    assert_eq!(times.len(), std::fs::read(b.path("t.xlsx")).unwrap().len());
    b.run(&["template"]).await.assert_code(0);
    assert!(b.path("bgy-template.xlsx").exists());
    // Two kinds at once is a file named like a kind, refused for its missing .xlsx.
    let r = b.run(&["template", "--kind", "delete", "times"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("times:"), "{}", r.stderr);
    assert!(!b.path("bgy-delete-template.xlsx").exists());
    b.run(&["--emulator", "export", "all.csv"])
        .await
        .assert_code(0);
    let csv = std::fs::read_to_string(b.path("all.csv")).unwrap();
    assert!(csv.contains("帐号"), "{csv}");
    let r = b.run(&["--emulator", "export", "all.txt"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("all.txt:"), "{}", r.stderr);
    assert!(!b.path("all.txt").exists());
    let r = b
        .run(&["--emulator", "export", "a.xlsx", "-o", "b.xlsx"])
        .await;
    r.assert_code(2);
    assert!(!b.path("a.xlsx").exists() && !b.path("b.xlsx").exists());
}

#[tokio::test]
async fn a_closed_pipe_ends_the_output_quietly() {
    let b = Bgy::new();
    let mut child = b.spawn(&["--emulator", "dept", "list"]);
    // The reader goes away before bgy writes a line (`bgy dept list | head -0`).
    drop(child.stdout.take());
    let out = ended(child, 0).await;
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(!err.contains("panicked"), "{err}");
}

#[tokio::test]
async fn control_characters_in_names_are_refused() {
    let b = Bgy::new();
    // An xlsx holds a NUL as `_x0000_`; a CSV with NUL bytes is not text at all.
    b.write(
        "staff.xlsx",
        crate::workbooks::xlsx_bytes(
            r#"<row r="1"><c r="A1" t="inlineStr"><is><t>帐号</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t></is></c><c r="C1" t="inlineStr"><is><t>手机</t></is></c><c r="D1" t="inlineStr"><is><t>部门</t></is></c></row><row r="2"><c r="A2" t="inlineStr"><is><t>n1</t></is></c><c r="B2" t="inlineStr"><is><t>张_x0000_三</t></is></c><c r="C2" t="inlineStr"><is><t>13800000001</t></is></c><c r="D2" t="inlineStr"><is><t>办公逸</t></is></c></row>"#,
            None,
        ),
    );
    let r = b.run(&["check", "staff.xlsx"]).await;
    r.assert_code(1);
    assert!(r.stderr.contains("U+0000"), "{}", r.stderr);
    b.write(
        "staff.csv",
        "帐号,姓名,手机,部门\nn1,张\u{1}三,13800000001,办公逸\n",
    );
    let r = b.run(&["check", "staff.csv"]).await;
    r.assert_code(1);
    assert!(r.stderr.contains("U+0001"), "{}", r.stderr);
    let r = b
        .run(&["--emulator", "dept", "add", "办公逸/a\u{1}b"])
        .await;
    r.assert_code(2);
    assert!(r.stderr.contains("U+0001"), "{}", r.stderr);
}

#[tokio::test]
async fn a_zero_timeout_says_what_is_allowed() {
    let r = Bgy::new().run(&["--timeout", "0", "template"]).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("--timeout must be more than 0 and at most 3600 seconds, not 0"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn an_empty_level_in_a_department_path_is_an_error() {
    let b = Bgy::new();
    let r = b.run(&["--emulator", "dept", "add", "办公逸//x"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("empty level"), "{}", r.stderr);
    let r = b.run(&["--emulator", "dept", "list"]).await;
    assert!(
        !r.stdout.contains(" x ["),
        "nothing was created: {}",
        r.stdout
    );
}

#[tokio::test]
async fn a_base_url_without_a_ticket_is_an_error_not_an_offline_run() {
    let b = Bgy::new();
    b.write("staff.csv", staff_csv("o", 1));
    let r = b
        .run(&["--base-url", "http://127.0.0.1:9", "check", "staff.csv"])
        .await;
    r.assert_code(2);
    assert!(r.stderr.contains("BGY_TICKET"), "{}", r.stderr);
    assert!(!b.dir.path().join(".bgy").exists());
}

#[tokio::test]
async fn with_json_an_error_is_still_one_json_object() {
    let b = Bgy::new();
    let r = b.run(&["check", "missing.xlsx", "--json"]).await;
    r.assert_code(2);
    let j = r.json();
    assert_eq!(j["command"], "check");
    assert_eq!(j["exit"], 2);
    assert!(j["error"].as_str().unwrap().contains("missing.xlsx"), "{j}");
    let r = b
        .run(&["--concurrency", "0", "import", "x.csv", "--json"])
        .await;
    r.assert_code(2);
    assert_eq!(r.json()["command"], "import");
    // What clap itself refuses too.
    let r = b.run(&["check", "x.csv", "--map", "工号", "--json"]).await;
    r.assert_code(2);
    let j = r.json();
    assert_eq!(j["command"], "check");
    assert!(
        j["error"].as_str().unwrap().contains("HEADER=COLUMN")
            && j["error"]
                .as_str()
                .unwrap()
                .starts_with("命令行有误:参数的值不对"),
        "{j}"
    );
    // Without --json, clap's words and usage follow the gist in Chinese.
    let r = b.run(&["import"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.starts_with("bgy: 命令行有误:缺少必须给出的参数")
            && r.stderr.contains("required arguments were not provided"),
        "{}",
        r.stderr
    );
    // An option's value before the command is never taken for the command's name.
    let r = b
        .run(&["--ticket", "S3cr3tTicket", "--json", "chek", "x.csv"])
        .await;
    r.assert_code(2);
    assert_eq!(r.json()["command"], "bgy");
    assert!(!r.stdout.contains("S3cr3tTicket"), "{}", r.stdout);
}

#[tokio::test]
async fn the_emulator_help_names_its_default_ticket() {
    let r = Bgy::new().run(&["emulator", "--help"]).await;
    r.assert_code(0);
    assert!(r.stdout.contains("emulator-ticket"), "{}", r.stdout);
}
