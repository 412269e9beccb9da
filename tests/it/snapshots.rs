//! What a person reads, pinned: `--help` of bgy and of each command, the console summaries of
//! check, import and plan, and the README's copy of `bgy --help`. A change to any of them shows
//! as a snapshot diff (tests/it/snapshots/), so the README cannot drift from the binary.
//! Report times are filtered, as uv's tests filter what differs between runs.

use crate::common::*;

fn help(args: &[&str]) -> String {
    let out = bgy_command().args(args).output().expect("bgy runs");
    assert_eq!(out.status.code(), Some(0), "{args:?}");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn help_of_bgy_and_every_command() {
    for args in [
        &["--help"][..],
        &["template", "--help"],
        &["check", "--help"],
        &["import", "--help"],
        &["times", "--help"],
        &["delete", "--help"],
        &["leave", "--help"],
        &["export", "--help"],
        &["plan", "--help"],
        &["sync", "--help"],
        &["dept", "--help"],
        &["dept", "add", "--help"],
        &["dept", "rename", "--help"],
        &["emulator", "--help"],
        &["serve", "--help"],
        &["history", "--help"],
        &["undo", "--help"],
        &["schedule", "--help"],
        &["approve", "--help"],
        &["reject", "--help"],
    ] {
        let name = format!("help_{}", args[..args.len() - 1].join("_"))
            .trim_end_matches('_')
            .to_string();
        insta::assert_snapshot!(name, help(args));
    }
}

#[test]
fn the_readme_shows_the_real_help() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md"))
        .expect("README.md");
    let at = readme.find("## `bgy --help`").expect("a --help section");
    let start = readme[at..].find("```\n").expect("a code block") + at + 4;
    let end = readme[start..].find("```").expect("its end") + start;
    assert_eq!(
        readme[start..end].trim(),
        help(&["--help"]).trim(),
        "README.md's `bgy --help` differs from the binary's: copy it again"
    );
}

/// The settings of the console snapshots: report names carry the time of the run.
fn timeless() -> insta::Settings {
    let mut settings = insta::Settings::clone_current();
    settings.add_filter(r"\d{8}-\d{6}(-\d+)?", "[TIME]");
    settings
}

#[tokio::test]
async fn console_summary_of_a_check() {
    let b = Bgy::new();
    std::fs::copy(
        concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/samples/staff-with-errors.xlsx"
        ),
        b.path("staff-with-errors.xlsx"),
    )
    .unwrap();
    let r = b.run(&["check", "staff-with-errors.xlsx"]).await;
    r.assert_code(1);
    timeless().bind(|| insta::assert_snapshot!(r.stderr));
}

#[tokio::test]
async fn console_summaries_of_an_import_and_a_plan() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write(
        "staff.csv",
        "帐号,姓名,手机,部门\nn1,甲,13800000001,办公逸/研发部\nn2,乙,12345,办公逸/研发部\nzhangsan,张三,13800138000,办公逸/研发部\nn3,丙,13800000003,办公逸/没有这个部门\n",
    );
    let r = b.run(&["import", "staff.csv"]).await;
    r.assert_code(1);
    let settings = timeless();
    settings.bind(|| insta::assert_snapshot!("import", r.stderr));
    b.write(
        "plan.csv",
        "帐号,姓名,手机,部门\nn1,甲二,13800000001,办公逸/研发部\nnew1,新,13800000009,办公逸/客服部\n",
    );
    let r = b.run(&["plan", "plan.csv"]).await;
    r.assert_code(0);
    // The plan is the command's product, on stdout; what the run says, on stderr.
    settings.bind(|| insta::assert_snapshot!("plan", r.stdout));
    settings.bind(|| insta::assert_snapshot!("plan_stderr", r.stderr));
}
