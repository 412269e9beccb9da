//! `bgy check` and the readers: bad files are exit 2 with one sentence; bad rows are in the
//! report with their row, column and reason; nothing is ever sent.

use std::path::Path;

use crate::common::*;

fn fixture(name: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[tokio::test]
async fn bad_files_are_exit_2_with_one_clear_sentence() {
    let bgy = Bgy::new();
    // Said in Chinese and in English.
    let cases = [
        ("empty.xlsx", "is empty", "是空文件"),
        ("random-bytes.xlsx", "its content is not one", "内容却不是"),
        ("protected.xlsx", "is password-protected", "设了密码"),
        ("no-header.xlsx", "no header row", "找不到表头"),
        (
            "big-cell.xlsx",
            "cell B2: 5242880 characters",
            "单元格 B2:5242880 个字符",
        ),
        (
            "not-utf8-not-gbk.csv",
            "is neither UTF-8 nor GBK/GB18030",
            "既不是 UTF-8",
        ),
    ];
    for (name, expected, chinese) in cases {
        let r = bgy.run(&["check", fixture(name).to_str().unwrap()]).await;
        assert_eq!(r.code, 2, "{name}: {}", r.stderr);
        assert!(r.stderr.contains(expected), "{name}: {}", r.stderr);
        assert!(r.stderr.contains(chinese), "{name}: {}", r.stderr);
        assert!(r.stderr.trim_end().ends_with(')'), "{name}: {}", r.stderr);
        assert_eq!(
            r.stderr.trim().lines().count(),
            1,
            "{name}: one sentence: {}",
            r.stderr
        );
        assert!(!r.stderr.contains("panicked"));
    }
    // A 5 MB cell in a CSV too, and a file that does not exist.
    let big = format!("帐号,姓名\nzs,{}\n", "长".repeat(2_000_000));
    bgy.write("big.csv", big);
    let r = bgy.run(&["check", "big.csv"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("cell B2: 2000000 characters"),
        "{}",
        r.stderr
    );
    let r = bgy.run(&["check", "missing.xlsx"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("无法读取 missing.xlsx:文件不存在")
            && r.stderr.contains("cannot read missing.xlsx"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn the_report_lists_exactly_the_invalid_rows_with_red_cells() {
    let bgy = Bgy::new();
    bgy.sample("staff-with-errors.xlsx", "mistakes.xlsx");
    let r = bgy.run(&["check", "mistakes.xlsx", "--json"]).await;
    r.assert_code(1);
    let json = r.json();
    assert_eq!(json["command"], "check");
    assert_eq!(json["total"], 11);
    assert_eq!(json["invalid"], 9);
    // The per-reason summary names the column and the first row.
    assert!(r.stderr.contains("1 × 考勤号: 考勤号不能以 0 开头 (1208) (check_id: check id must not start with 0 (1208)) (first: row 6)"), "{}", r.stderr);

    let report = the_report(bgy.dir.path());
    assert_eq!(
        json["report"],
        report.file_name().unwrap().to_str().unwrap()
    );
    let failed = read_sheet(&report, "失败 Failed");
    let src = col(&failed, "源行号 Source row");
    let rows: Vec<&str> = failed[1..].iter().map(|r| r[src].as_str()).collect();
    assert_eq!(rows, ["3", "4", "5", "6", "7", "8", "9", "10", "12"]);
    // The input's layout, as the person wrote it.
    assert_eq!(&failed[0][..4], ["帐号*", "姓名*", "性别", "手机"]);
    let err = col(&failed, "错误 Error");
    let phone_row = failed.iter().position(|r| r[0] == "err002").unwrap();
    assert_eq!(failed[phone_row][3], "1.38E+10");
    assert!(
        failed[phone_row][err].contains("手机: 1.38E+10 是科学计数法"),
        "{}",
        failed[phone_row][err]
    );
    assert_eq!(
        fill(&report, "失败 Failed", phone_row as u32, 3),
        Some(0xFFC7CE),
        "the phone cell is red"
    );
    assert_eq!(
        fill(&report, "失败 Failed", phone_row as u32, 1),
        None,
        "the name cell is not"
    );
    // All: every row with its outcome; the warning row is valid and says why it warns.
    let all = read_sheet(&report, "全部 All");
    assert_eq!(all.len(), 12);
    // It names each row by its account and name; the other cells are on Failed and in the input.
    assert_eq!(
        all[0],
        [
            "帐号*",
            "姓名*",
            "源行号 Source row",
            "结果 Outcome",
            "错误 Error"
        ]
    );
    let outcome = col(&all, "结果 Outcome");
    let warned = all.iter().find(|r| r[0] == "err009").unwrap();
    assert_eq!(warned[outcome], "valid 校验通过");
    assert!(warned[col(&all, "错误 Error")].contains("警告 warning: 转正时间"));
    let summary = read_sheet(&report, "汇总 Summary");
    assert!(summary
        .iter()
        .any(|r| r[0] == "校验失败 Invalid" && r[1] == "9"));
}

#[tokio::test]
async fn a_red_cell_carries_a_note_with_its_reason() {
    let bgy = Bgy::new();
    bgy.sample("staff-with-errors.xlsx", "mistakes.xlsx");
    bgy.run(&["check", "mistakes.xlsx"]).await.assert_code(1);
    let report = the_report(bgy.dir.path());
    let failed = Sheet::read(&report, "失败 Failed");
    let row = failed.row_where("帐号*", "err004");
    assert_eq!(failed.cell(row, "考勤号"), "030004");
    assert_eq!(failed.cell(row, "源行号 Source row"), "6");
    let notes = notes(&report);
    let check_id = col(&failed.rows, "考勤号");
    let at = format!("ref=\"{}\"", bgy::read::cell_ref(check_id, row as u32 + 1));
    assert!(notes.contains(&at), "a note on the red cell {at}: {notes}");
    assert!(
        notes.contains("考勤号不能以 0 开头 (1208)"),
        "the note says why: {notes}"
    );
}

#[tokio::test]
async fn number_and_date_cells_are_read_as_the_person_sees_them() {
    let bgy = Bgy::new();
    let path = bgy.path("numbers.xlsx");
    let mut rows = text_rows(&[&[
        "帐号",
        "姓名",
        "手机",
        "部门ID",
        "考勤号",
        "入职时间",
        "银行卡号",
        "邮箱",
    ]]);
    rows.push(vec![
        C::N(10086.0),
        C::T("张三"),
        C::N(13800138001.0),
        C::N(2.0),
        C::N(1234.0),
        C::N(42370.0),
        C::N(6222020200112.0),
        // Invalid on purpose: the Failed sheet repeats every cell of the row as it was read.
        C::T("不是邮箱"),
    ]);
    rows.push(vec![
        C::T("lisi"),
        C::T("李四"),
        C::T("1.38001380000E+10"),
        C::T("2"),
        C::T(""),
        C::T("2016年1月1日"),
        C::T(""),
        C::T(""),
    ]);
    write_xlsx(&path, "Sheet1", &rows);
    let r = bgy.run(&["check", "numbers.xlsx", "--json"]).await;
    assert_eq!(r.json()["invalid"], 1, "only the e-mail is wrong");
    let failed = read_sheet(&the_report(bgy.dir.path()), "失败 Failed");
    assert_eq!(
        &failed[1][..5],
        ["10086", "张三", "13800138001", "2", "1234"]
    );
}

#[tokio::test]
async fn gbk_csv_with_semicolons_and_a_title_row() {
    let bgy = Bgy::new();
    let text = "十一月入职;;\r\n帐号*;姓名*;手机;部门\r\nzs;张三;13800138000;办公逸/研发部\r\nls;李四;12345;办公逸/研发部\r\n";
    let (bytes, _, _) = encoding_rs::GBK.encode(text);
    bgy.write("gbk.csv", &bytes);
    let r = bgy.run(&["check", "gbk.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 1);
    assert!(
        r.stderr.contains("第") || r.stderr.contains("手机"),
        "{}",
        r.stderr
    );
    let failed = read_sheet(&the_report(bgy.dir.path()), "失败 Failed");
    assert_eq!(failed[1][1], "李四");
    assert_eq!(failed[1][col(&failed, "源行号 Source row")], "4");
}

/// A leader named before their own row is found in the file: only the row whose leader is
/// nowhere is warned about, in the report as on the terminal.
#[tokio::test]
async fn a_leader_further_down_the_sheet_is_found_in_it() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "s.csv",
        "帐号,姓名,手机,部门,直接上级\n\
         b1,甲,13800138001,办公逸/研发部,b3\n\
         b2,乙,13800138002,办公逸/研发部,nobody\n\
         b3,丙,13800138003,办公逸/研发部,zhangsan\n",
    );
    let r = bgy.run(&["check", "s.csv"]).await;
    r.assert_code(0);
    assert!(r.stderr.contains("直接上级 nobody"), "{}", r.stderr);
    assert!(!r.stderr.contains("直接上级 b3"), "{}", r.stderr);
    let all = read_sheet(&the_report(bgy.dir.path()), "全部 All");
    let error = |account: &str| {
        let row = all.iter().find(|r| r[0] == account).unwrap();
        row[col(&all, "错误 Error")].clone()
    };
    assert!(error("b2").contains("nobody"), "{all:?}");
    assert_eq!(error("b1"), "", "{all:?}");
    assert_eq!(error("b3"), "", "{all:?}");
}

#[tokio::test]
async fn online_check_finds_unknown_departments_and_sends_nothing() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "s.csv",
        "帐号,姓名,手机,部门,部门ID,直接上级\n\
         a1,甲,13800138001,办公逸/研发部/后端组,,zhangsan\n\
         a2,乙,13800138002,办公逸/研发部/不存在,,\n\
         a3,丙,13800138003,,77,\n\
         a4,丁,13800138004,办公逸/客服部,,nobody\n\
         zhangsan,张三,13800138000,办公逸/研发部,,\n",
    );
    let r = bgy.run(&["check", "s.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 2);
    assert!(
        r.stderr.contains("部门 办公逸/研发部/不存在 不存在"),
        "{}",
        r.stderr
    );
    assert!(r.stderr.contains("部门ID 77 不存在"), "{}", r.stderr);
    assert!(
        r.stderr.contains("warning: 直接上级: 直接上级 nobody"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("warning: 帐号: 帐号已在通讯录中")
            && r.stderr.contains("→ bgy import FILE --cover overwrite"),
        "{}",
        r.stderr
    );
    for write in [
        "staff/add",
        "staff/delete",
        "staff/entry-time",
        "department/createdepartment",
        "department/editdepartment",
    ] {
        assert_eq!(emu.stats.calls(write), 0, "check sent {write}");
    }
    assert!(emu.stats.calls("department/list") >= 1);
    // With --create-departments the missing path is fine.
    let r = bgy
        .run(&["check", "s.csv", "--create-departments", "--json"])
        .await;
    assert_eq!(r.json()["invalid"], 1);
    assert_eq!(emu.stats.calls("department/createdepartment"), 0);
}

#[tokio::test]
async fn template_command_writes_the_committed_template() {
    let bgy = Bgy::new();
    for kind in ["staff", "times", "delete", "leave"] {
        let out = format!("{kind}.xlsx");
        let r = bgy.run(&["template", "--kind", kind, "-o", &out]).await;
        r.assert_code(0);
        let committed = std::fs::read(
            Path::new(env!("CARGO_MANIFEST_DIR"))
                .join("templates")
                .join(&out),
        )
        .unwrap();
        assert!(
            std::fs::read(bgy.path(&out)).unwrap() == committed,
            "{kind}"
        );
        // Its own 说明 Instructions sheet, which lists each column by title and by key, is
        // not taken for another sheet with a header row that went unread.
        let r = bgy.run(&["check", "--kind", kind, &out]).await;
        assert!(
            r.stderr.contains("bgy check:") && !r.stderr.contains("Instructions"),
            "{kind}: {}",
            r.stderr
        );
    }
    let sheet = read_sheet(&bgy.path("staff.xlsx"), "成员 Staff");
    assert_eq!(&sheet[0][..3], ["帐号*", "姓名*", "英文名"]);
    assert!(sheet[1][0].starts_with("示例"));
    let help = read_sheet(&bgy.path("staff.xlsx"), "说明 Instructions");
    assert!(help
        .iter()
        .any(|r| r.first().is_some_and(|c| c == "考勤号")));
    // The times sheet's 说明 agrees with its rules: 姓名 is not required there.
    let help = read_sheet(&bgy.path("times.xlsx"), "说明 Instructions");
    let name = help
        .iter()
        .find(|r| r[0] == "姓名")
        .expect("姓名 explained");
    assert_eq!(name[2], "", "{name:?}");
    assert!(!name[3].contains("必填"), "{name:?}");
    bgy.write(
        "t.csv",
        "帐号,姓名,入职时间
t1,,2026-01-05
",
    );
    bgy.run(&["check", "t.csv", "--kind", "times"])
        .await
        .assert_code(0);
}

#[tokio::test]
async fn xls_ods_and_misnamed_files_are_read_by_content() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    // The .ods under a name with no extension: sniffed from its content.
    std::fs::copy(fixture("staff.ods"), bgy.path("from-wps")).unwrap();
    // Copied, so that the report is written in the temp dir, not among the fixtures.
    std::fs::copy(fixture("staff.xls"), bgy.path("staff.xls")).unwrap();
    for input in [bgy.path("staff.xls"), bgy.path("from-wps")] {
        let r = bgy
            .run(&[
                "import",
                input.to_str().unwrap(),
                "--cover",
                "overwrite",
                "--json",
            ])
            .await;
        assert_eq!(r.code, 0, "{}: {}", input.display(), r.stderr);
        assert_eq!(r.json()["ok"], 2);
        let p = emu.store.person("xls1").unwrap();
        assert_eq!(
            (p["we_mobile"].as_str(), p["entry_time"].as_str()),
            (Some("13800000001"), Some("2016-01-01"))
        );
        assert_eq!(
            emu.store.person("xls2").unwrap()["entry_time"],
            "2016-01-02"
        );
    }
    // A workbook named .csv is still a workbook.
    write_xlsx(
        &bgy.path("really.csv"),
        "S",
        &text_rows(&[
            &["帐号", "姓名", "手机", "部门"],
            &["w1", "王", "13800000009", "办公逸"],
        ]),
    );
    let r = bgy.run(&["check", "really.csv", "--json"]).await;
    assert_eq!(
        (r.code, r.json()["ok"].clone()),
        (0, serde_json::json!(1)),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn sheet_picks_a_sheet_by_name() {
    let bgy = Bgy::new();
    let mut wb = rust_xlsxwriter::Workbook::new();
    wb.add_worksheet()
        .set_name("封面")
        .unwrap()
        .write_string(0, 0, "2026 名单")
        .unwrap();
    let ws = wb.add_worksheet();
    ws.set_name("名单").unwrap();
    for (c, v) in ["帐号", "姓名", "手机", "部门"].iter().enumerate() {
        ws.write_string(0, c as u16, *v).unwrap();
    }
    for (c, v) in ["s1", "孙", "13800000001", "办公逸"].iter().enumerate() {
        ws.write_string(1, c as u16, *v).unwrap();
    }
    wb.save(bgy.path("two.xlsx")).unwrap();
    let r = bgy.run(&["check", "two.xlsx"]).await;
    assert_eq!(r.code, 2, "the first sheet has no header: {}", r.stderr);
    let r = bgy
        .run(&["check", "two.xlsx", "--sheet", "名单", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["ok"], 1);
    let r = bgy.run(&["check", "two.xlsx", "--sheet", "Sheet9"]).await;
    r.assert_code(2);
    assert!(
        r.stderr
            .contains("has no sheet named \"Sheet9\" (it has: 封面, 名单)"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn full_width_digits_and_a_date_typed_as_a_number_reach_the_server_normalised() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let path = bgy.path("habits.xlsx");
    let mut rows = text_rows(&[&["帐号", "姓名", "手机", "部门", "入职时间"]]);
    rows.push(vec![
        C::T("ｆｗ１"),
        C::T("全角"),
        C::T("１３８００１３８００１"),
        C::T("办公逸/研发部"),
        C::N(20261102.0),
    ]);
    rows.push(vec![
        C::T("fw2"),
        C::T("半角"),
        C::T("13800138002"),
        C::T("办公逸/研发部"),
        C::T("２０２６－１１－０３"),
    ]);
    write_xlsx(&path, "Sheet1", &rows);
    bgy.run(&["import", "habits.xlsx"]).await.assert_code(0);
    bgy.run(&["export", "-o", "after.csv"]).await.assert_code(0);
    let csv = std::fs::read_to_string(bgy.path("after.csv")).unwrap();
    let line = |account: &str| {
        csv.lines()
            .find(|l| l.starts_with(&format!("{account},")))
            .unwrap_or_else(|| panic!("{account} in {csv}"))
            .to_string()
    };
    assert!(line("fw1").contains(",13800138001,"), "{}", line("fw1"));
    assert!(line("fw1").contains("2026-11-02"), "{}", line("fw1"));
    assert!(line("fw2").contains("2026-11-03"), "{}", line("fw2"));
}

#[tokio::test]
async fn the_report_prints_one_page_wide_with_numbers_and_the_reasons_table() {
    use calamine::{Data, Reader};
    let bgy = Bgy::new();
    bgy.write(
        "s.csv",
        "帐号,姓名,手机,部门\na1,甲,12345,办公逸/研发部\na2,乙,12346,办公逸/研发部\na3,丙,13800138003,办公逸/研发部\n",
    );
    bgy.run(&["check", "s.csv"]).await.assert_code(1);
    let report = the_report(bgy.dir.path());

    let mut wb = calamine::open_workbook_auto(&report).unwrap();
    let summary = wb.worksheet_range("汇总 Summary").unwrap();
    let value = |title: &str| {
        summary
            .rows()
            .find(|r| r[0] == Data::String(title.into()))
            .unwrap_or_else(|| panic!("{title} in the Summary"))[1]
            .clone()
    };
    assert_eq!(
        value("有效 Valid"),
        Data::Float(1.0),
        "a count, as a number"
    );
    assert_eq!(value("校验失败 Invalid"), Data::Float(2.0));
    let reasons = summary
        .rows()
        .position(|r| r[0] == Data::String("原因 Reason".into()))
        .expect("the reasons table");
    let first = summary.rows().nth(reasons + 1).unwrap();
    assert!(first[0].to_string().contains("手机"), "{first:?}");
    assert_eq!(first[1], Data::Float(2.0), "both rows under one reason");
    assert_eq!(first[2], Data::Float(2.0), "first seen on row 2");

    // Page setup, as the workbook's XML says it.
    let mut zip = zip::ZipArchive::new(std::fs::File::open(&report).unwrap()).unwrap();
    let mut part = |name: &str| {
        let mut text = String::new();
        std::io::Read::read_to_string(&mut zip.by_name(name).unwrap(), &mut text).unwrap();
        text
    };
    for n in 1..=3 {
        let sheet = part(&format!("xl/worksheets/sheet{n}.xml"));
        assert!(sheet.contains(r#"orientation="landscape""#), "sheet{n}");
        assert!(sheet.contains(r#"fitToPage="1""#), "sheet{n}");
    }
    let titles = part("xl/workbook.xml");
    assert!(titles.contains("_xlnm.Print_Titles"), "{titles}");
    let failed = part("xl/worksheets/sheet2.xml");
    assert!(
        !failed.contains(r#"width="14.7109375""#),
        "widths come from the content, not one for all: {failed}"
    );

    // Each cell takes its column's format: text on the Failed sheet (what HR types in to fix
    // a row stays as typed), wrapped in the error column; a red cell its own.
    let styles = part("xl/styles.xml");
    let xfs: Vec<&str> = styles
        .split("<cellXfs")
        .nth(1)
        .and_then(|x| x.split("</cellXfs>").next())
        .unwrap()
        .split("<xf ")
        .skip(1)
        .collect();
    let style_of = |cell: &str| {
        let at = failed
            .find(&format!(r#"<c r="{cell}""#))
            .unwrap_or_else(|| panic!("no {cell} in {failed}"));
        let tag = &failed[at..at + failed[at..].find('>').unwrap()];
        let n: usize = tag
            .split(r#" s=""#)
            .nth(1)
            .map_or(0, |t| t.split('"').next().unwrap().parse().unwrap());
        xfs[n]
    };
    let header = &failed[failed.find(r#"<row r="1""#).unwrap()..];
    let header = &header[..header.find("</row>").unwrap()];
    let last = header.rsplit(r#"<c r=""#).next().unwrap();
    let error_column = last
        .trim_start_matches(|c: char| c.is_ascii_uppercase())
        .len();
    let error_column = &last[..last.len() - error_column];
    let is_text = |xf: &str| {
        let id = xf
            .split(r#"numFmtId=""#)
            .nth(1)
            .unwrap()
            .split('"')
            .next()
            .unwrap();
        id == "49" || styles.contains(&format!(r#"<numFmt numFmtId="{id}" formatCode="@"/>"#))
    };
    for cell in ["A2", "B2", "A3", "D3", "C2"] {
        assert!(is_text(style_of(cell)), "{cell}: {}", style_of(cell));
    }
    assert!(
        style_of("C2").contains(r#"applyFill="1""#),
        "the bad mobile is red: {}",
        style_of("C2")
    );
    let error = style_of(&format!("{error_column}2"));
    assert!(
        error.contains(r#"wrapText="1""#),
        "{error_column}2: {error}"
    );
}

/// While the sheet is read, progress counts its rows (the total is known only at the end); a
/// directory listing still running when the run waits for it shows its progress then (how it is
/// held back until then is `cmd::tests`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn progress_counts_the_rows_read_then_shows_the_listing() {
    use bgy::events::{phases, Collect, Event};
    use clap::Parser;

    let emu = emulator().await;
    emu.store.insert_staff(people("p", 2_500)).unwrap();
    // Slow enough that the listing (four calls) outlasts reading the sheet.
    emu.set_latency(std::time::Duration::from_millis(400));
    let bgy = Bgy::new().against(&emu);
    let input = bgy.write("many.csv", staff_csv("n", 12_000));
    let url = emu.base_url();
    let args = [
        "bgy",
        "--base-url",
        &url,
        "--ticket",
        TICKET,
        "check",
        input.to_str().unwrap(),
    ];
    let config = bgy::config::Config::from_args(bgy::cli::Args::try_parse_from(args).unwrap())
        .expect("config");
    let collect = std::sync::Arc::new(Collect::default());
    bgy::run_with(config, collect.clone()).await.expect("check");
    let events = collect.events();

    let phase = |name: &str| {
        events
            .iter()
            .position(|e| matches!(e, Event::Phase { what, .. } if what == name))
            .unwrap_or_else(|| panic!("no {name} phase in {events:?}"))
    };
    let (reading, listing) = (phase(phases::READING), phase(phases::LISTING));
    assert!(reading < listing, "{events:?}");
    let counted: Vec<u64> = events[reading..listing]
        .iter()
        .filter_map(|e| match e {
            Event::Progress { done, total: 0 } => Some(*done),
            _ => None,
        })
        .collect();
    assert_eq!(counted, [5_000, 10_000]);
    // Nothing of the listing's before it is shown: no progress with a total, no second phase.
    assert!(
        events[..listing]
            .iter()
            .all(|e| !matches!(e, Event::Progress { total, .. } if *total > 0)),
        "{events:?}"
    );
    // Then its pages, up to the whole directory.
    let people = emu.store.staff_count() as u64;
    assert!(
        events[listing..].iter().any(
            |e| matches!(e, Event::Progress { done, total } if *done == people && *total == people)
        ),
        "{events:?}"
    );
    // A run that sends nothing ends on its report.
    let last = events.iter().rev().find_map(|e| match e {
        Event::Phase { what, .. } => Some(what.as_str()),
        _ => None,
    });
    assert_eq!(last, Some(phases::REPORT));
}

/// A sheet that is wrong in every row still gets a report in bounded memory: the first
/// MAX_NOTES red cells have a note, the rest are red with their reason in the 错误 column, and
/// the Summary says so. (Before the cap, 100,000 notes took 1.5 GB.)
#[tokio::test]
async fn notes_stop_at_the_cap_and_every_row_keeps_its_reason() {
    let bgy = Bgy::new();
    let n = bgy::report::MAX_NOTES as usize + 150;
    let mut csv = String::from("帐号,姓名,手机,部门\n");
    for i in 0..n {
        csv.push_str(&format!("u{i:05},员工{i},123,办公逸/研发部\n"));
    }
    bgy.write("wrong.csv", csv);
    let r = bgy.run(&["check", "wrong.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], n);
    let report = the_report(bgy.dir.path());
    assert_eq!(
        notes(&report).matches("<comment ").count(),
        bgy::report::MAX_NOTES as usize
    );
    let failed = read_sheet(&report, "失败 Failed");
    assert_eq!(failed.len(), n + 1);
    let err = col(&failed, "错误 Error");
    let phone = col(&failed, "手机");
    // The last row has no note, but is red and says why.
    assert!(failed[n][err].contains("手机"), "{}", failed[n][err]);
    assert_eq!(
        fill(&report, "失败 Failed", n as u32, phone as u32),
        Some(0xFFC7CE)
    );
    let summary = read_sheet(&report, "汇总 Summary");
    let line = summary
        .iter()
        .find(|r| r[0] == "批注 Notes")
        .expect("a Notes line in the Summary");
    assert!(
        line[1].contains(&format!(
            "only the first {} red cells",
            bgy::report::MAX_NOTES
        )) && line[1].contains("the other 150"),
        "{}",
        line[1]
    );
}

/// `--report` naming the input is refused before anything is read or written: the person's
/// sheet stays as it was. (It used to be overwritten by the report.)
#[tokio::test]
async fn a_report_never_overwrites_its_input() {
    let bgy = Bgy::new();
    let input = bgy.sample("staff.xlsx", "staff.xlsx");
    let before = std::fs::read(&input).unwrap();
    let r = bgy
        .run(&["check", "staff.xlsx", "--report", "./staff.xlsx"])
        .await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("that is the input itself"),
        "{}",
        r.stderr
    );
    assert_eq!(std::fs::read(&input).unwrap(), before);
    let r = bgy
        .run(&["check", "staff.xlsx", "--report", "out.csv"])
        .await;
    r.assert_code(2);
    assert!(!bgy.path("out.csv").exists());
}

#[tokio::test]
async fn one_account_dragged_down_twenty_thousand_rows_names_the_first_row_and_reports() {
    let b = Bgy::new();
    let mut csv = String::from("帐号,姓名,手机,部门\n");
    for i in 0..20_000 {
        csv.push_str(&format!("same,员工{i},{},办公逸/研发部\n", mobile("d", i)));
    }
    b.write("dragged.csv", csv);
    let r = b.run(&["check", "dragged.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 20_000);
    let failed = read_sheet(&the_report(b.dir.path()), "失败 Failed");
    let error = col(&failed, "错误 Error");
    // The first row was valid, and written, until the second came: its cells are read again.
    assert_eq!(failed[1][col(&failed, "姓名")], "员工0");
    assert_eq!(failed[1][col(&failed, "帐号")], "same");
    // Every row names the first (row 2), which names the second.
    assert_eq!(
        failed[1][error],
        "帐号: 帐号与第 3 行重复 (we_userid: the same account as row 3)"
    );
    assert_eq!(
        failed[20_000][error],
        "帐号: 帐号与第 2 行重复 (we_userid: the same account as row 2)"
    );
    assert!(
        r.stderr
            .contains("20000 × 帐号: 帐号重复 (we_userid: duplicate account)"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn duplicates_thousands_of_rows_apart_are_found() {
    // The keys are sorted in runs of a few thousand as they come, and past 32,768 a field the
    // runs are written to a temporary file: a pair in different runs, one of them on file, is
    // found only if the runs are merged back.
    let b = Bgy::new();
    let mut csv = String::from("帐号,姓名,手机,部门\n");
    for i in 0..40_000 {
        let account = if i == 39_999 {
            "u0".to_string()
        } else {
            format!("u{i}")
        };
        let phone = mobile("far", if i == 35_000 { 5 } else { i });
        csv.push_str(&format!("{account},员工{i},{phone},办公逸/研发部\n"));
    }
    b.write("far.csv", csv);
    let r = b.run(&["check", "far.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 4, "{}", r.stdout);
    let failed = read_sheet(&the_report(b.dir.path()), "失败 Failed");
    let error = col(&failed, "错误 Error");
    let reasons: Vec<&str> = failed[1..].iter().map(|row| row[error].as_str()).collect();
    assert_eq!(
        reasons,
        [
            "帐号: 帐号与第 40001 行重复 (we_userid: the same account as row 40001)",
            "手机: 手机号与第 35002 行重复:企业微信中一个手机号只属于一人 (we_mobile: the same mobile as row 35002: in WeCom a mobile belongs to one member)",
            "手机: 手机号与第 7 行重复:企业微信中一个手机号只属于一人 (we_mobile: the same mobile as row 7: in WeCom a mobile belongs to one member)",
            "帐号: 帐号与第 2 行重复 (we_userid: the same account as row 2)",
        ]
    );
    // The rows the first was written as valid before its clash, read again.
    assert_eq!(failed[1][col(&failed, "姓名")], "员工0");
}

#[tokio::test]
async fn a_row_that_fails_offline_is_told_the_directory_s_errors_too() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "s.csv",
        "帐号,姓名,手机,邮箱,部门\n\
         b1,甲,1380013800,,办公逸/研发部/新组\n\
         b2,乙,13800138000,b2@example,办公逸/研发部\n\
         b3,丙,13800138003,,办公逸/研发部/新组\n\
         b4,丁,1380013804,,办公逸/研发部/旧组\n\
         ,戊,13800138005,,办公逸/没有\n",
    );
    // The 错误 of the report's failed row from `source_row`.
    let why = |source_row: &str| {
        let failed = Sheet::read(&the_report(bgy.dir.path()), "失败 Failed");
        let row = failed.row_where("源行号 Source row", source_row);
        failed.cell(row, "错误 Error").to_string()
    };
    let r = bgy.run(&["check", "s.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 5, "{}", r.stderr);
    // Every reason at once: the sheet's own, then the directory's.
    let b1 = why("2");
    assert!(
        b1.contains("不是有效的手机号") && b1.contains("部门 办公逸/研发部/新组 不存在"),
        "{b1}"
    );
    let b2 = why("3");
    assert!(
        b2.contains("不是有效的邮箱地址") && b2.contains("手机号已属于通讯录中的 zhangsan"),
        "{b2}"
    );
    // A row without an account (a note under the people, maybe) is not looked up.
    let none = why("6");
    assert!(none.contains("必填") && !none.contains("没有"), "{none}");
    std::fs::remove_file(the_report(bgy.dir.path())).unwrap();

    // A path an import would create is no failed row's error, and only a row that is sent
    // has its path created (b1's, the same as b3's, is; b4's is not).
    let r = bgy.run(&["check", "s.csv", "--create-departments"]).await;
    r.assert_code(1);
    let b1 = why("2");
    assert!(
        b1.contains("不是有效的手机号") && !b1.contains("不存在"),
        "{b1}"
    );
    std::fs::remove_file(the_report(bgy.dir.path())).unwrap();
    bgy.run(&["import", "s.csv", "--create-departments"])
        .await
        .assert_code(1);
    assert_eq!(emu.stats.calls("department/createdepartment"), 1);
    let r = bgy.run(&["dept", "list"]).await;
    assert!(
        r.stdout.contains("新组") && !r.stdout.contains("旧组"),
        "{}",
        r.stdout
    );
}

/// The same, far down a long sheet: the directory is listed by then, and the rows are checked
/// against it as they are read, a failed one too. A one-level path that names no department
/// waits for the whole sheet (it may be the company, as the other paths call it).
#[tokio::test]
async fn a_failed_row_far_down_a_long_sheet_gets_the_same_errors() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut csv = String::from("帐号,姓名,手机,部门\n");
    for i in 0..20_000 {
        csv.push_str(&format!("g{i},员工{i},{},办公逸/研发部\n", mobile("g", i)));
    }
    csv.push_str("late,迟到,1380013800,办公逸/研发部/没有这个\n");
    csv.push_str("boss,老板,1380000007,北京某某科技有限公司\n");
    csv.push_str("dev,开发,13800000071,北京某某科技有限公司/研发部\n");
    bgy.write("long.csv", csv);
    let r = bgy.run(&["check", "long.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 2, "{}", r.stderr);
    let failed = Sheet::read(&the_report(bgy.dir.path()), "失败 Failed");
    let why = |account: &str| failed.cell(failed.row_where("帐号", account), "错误 Error");
    let late = why("late");
    assert!(
        late.contains("不是有效的手机号") && late.contains("办公逸/研发部/没有这个 不存在"),
        "{late}"
    );
    let boss = why("boss");
    assert!(
        boss.contains("不是有效的手机号") && !boss.contains("部门"),
        "{boss}"
    );
}

#[tokio::test]
async fn a_mobile_or_an_e_mail_belongs_to_one_member() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    b.write(
        "twice.csv",
        "帐号,姓名,手机,邮箱,部门\n\
         a1,甲,13700000001,A@Example.com,办公逸/研发部\n\
         a2,乙,+86 137 0000 0001,,办公逸/研发部\n\
         a3,丙,13700000003,a@example.COM,办公逸/研发部\n\
         a4,丁,13800138000,,办公逸/研发部\n\
         a5,戊,13700000005,lisi@EXAMPLE.com,办公逸/研发部\n",
    );
    let r = b.run(&["check", "twice.csv", "--json"]).await;
    r.assert_code(1);
    let failed = read_sheet(&the_report(b.dir.path()), "失败 Failed");
    let (acc, error) = (col(&failed, "帐号"), col(&failed, "错误 Error"));
    let why = |account: &str| {
        failed
            .iter()
            .find(|r| r[acc] == account)
            .map(|r| r[error].clone())
            .unwrap_or_default()
    };
    // In the sheet: the same phone by its digits, the same e-mail in any case.
    assert!(why("a1").contains("手机号与第 3 行重复"), "{}", why("a1"));
    assert!(why("a2").contains("手机号与第 2 行重复"), "{}", why("a2"));
    assert!(why("a3").contains("邮箱与第 2 行重复"), "{}", why("a3"));
    // In the directory, on another account (zhangsan keeps his own).
    assert!(
        why("a4").contains("手机号已属于通讯录中的 zhangsan"),
        "{}",
        why("a4")
    );
    assert!(
        why("a5").contains("邮箱已属于通讯录中的 lisi"),
        "{}",
        why("a5")
    );
    // A person's own number is theirs.
    b.write(
        "own.csv",
        "帐号,姓名,手机,部门\nZhangSan,张三,13800138000,办公逸/研发部\n",
    );
    b.run(&["check", "own.csv"]).await.assert_code(0);
}

#[tokio::test]
async fn a_report_that_cannot_be_written_says_why() {
    // The report's writer needs a temporary file. Without one, the report is tried again
    // whole, which reads the rows let go once written again from the sheet's bytes: they must
    // still be there, and the error must name the temporary file, not the sheet.
    let b = Bgy::new();
    b.write(
        "s.csv",
        "帐号,姓名,手机,部门\nzhang,张三,13800138000,办公逸/研发部\n",
    );
    let missing = b.path("no-such-dir");
    let missing = missing.to_str().unwrap();
    let out = b
        .spawn_env(&["check", "s.csv"], &[("TMPDIR", missing)])
        .wait_with_output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.contains("无法写入 s.report-") && stderr.contains("(cannot write s.report-"),
        "{stderr}"
    );
    assert!(stderr.contains(missing), "{stderr}");
    assert!(!stderr.contains("is empty"), "{stderr}");
}
