//! The sheets HR already have (#15): their own column names (built-in aliases, `--map`,
//! `bgy.toml`), department paths as HR writes them, Excel's number habits, and a template
//! that knows the company's departments. The sheet is `tests/fixtures/hr-export.xlsx`, made by
//! XlsxWriter (`make_hr_sheet.py`), not by bgy.

use std::path::Path;

use crate::common::*;

fn hr_sheet(bgy: &Bgy) {
    let bytes =
        std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hr-export.xlsx"))
            .unwrap();
    bgy.write("hr.xlsx", bytes);
}

#[tokio::test]
async fn an_hr_export_is_read_once_its_employee_number_is_named_the_account() {
    let bgy = Bgy::new();
    hr_sheet(&bgy);
    // 工号 is never guessed to be 帐号: the error says how to say so.
    let r = bgy.run(&["check", "hr.xlsx"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("no 帐号 column"), "{}", r.stderr);
    assert!(r.stderr.contains("--map '工号=we_userid'"), "{}", r.stderr);
    // Too long for one line with its hint: both languages whole, the hint on a line of its
    // own (the line cut to fit had dropped the Chinese of the second sentence).
    assert!(
        r.stderr.contains("工号不会自动当作帐号 (the header row")
            && r.stderr
                .contains("never taken for the account on its own)\n  → --map"),
        "{}",
        r.stderr
    );

    let r = bgy
        .run(&[
            "check",
            "hr.xlsx",
            "--map",
            "工号=帐号",
            "--json",
            "--report",
            "first.xlsx",
        ])
        .await;
    r.assert_code(1);
    let j = r.json();
    // The aliases found 员工姓名, 手机号码, 所属部门, 入职日期 …; the phone shown as 1.38E+10
    // is the one invalid row, the full-width phone and the date typed as 20261103 are fine.
    assert_eq!(
        (j["total"].as_u64(), j["invalid"].as_u64()),
        (Some(4), Some(1)),
        "{j}"
    );
    assert!(
        r.stderr.contains("1.38E+10 is in scientific notation"),
        "{}",
        r.stderr
    );
    // A typo'd header is ignored with the column it most likely meant.
    assert!(
        r.stderr.contains(r#""参加工作日起" is not a known column; ignored; did you mean 参加工作时间 (work_time)?"#),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains(r#"(columns ignored, as 办公逸 has no field for them: "紧急联系人")"#),
        "{}",
        r.stderr
    );

    // The report's Failed sheet, fixed or not and run again, still points at the HR file's row.
    let failed = |report: &str| {
        let sheet = read_sheet(&bgy.path(report), "失败 Failed");
        let at = sheet[0]
            .iter()
            .position(|t| t == "源行号 Source row")
            .unwrap();
        assert_eq!(sheet[1][0], "E002", "{sheet:?}");
        sheet[1][at].clone()
    };
    assert_eq!(failed("first.xlsx"), "4");
    bgy.run(&[
        "check",
        "first.xlsx",
        "--map",
        "工号=帐号",
        "--report",
        "second.xlsx",
    ])
    .await
    .assert_code(1);
    assert_eq!(failed("second.xlsx"), "4", "not the report's own row 2");
    // The column `--map` named is headed by its label in the Failed sheet: the report runs
    // again without the `--map` that its first run needed.
    let titles = read_sheet(&bgy.path("first.xlsx"), "失败 Failed")[0].clone();
    assert!(
        titles.contains(&"帐号".to_string()) && !titles.contains(&"工号".to_string()),
        "{titles:?}"
    );
    bgy.run(&["check", "first.xlsx", "--report", "third.xlsx"])
        .await
        .assert_code(1);
    assert_eq!(failed("third.xlsx"), "4");

    // `-` silences a column on purpose; the report still carries it, so the rerun file keeps
    // the person's data.
    let r = bgy
        .run(&[
            "check",
            "hr.xlsx",
            "--map",
            "工号=we_userid",
            "--map",
            "紧急联系人=-",
            "--report",
            "quiet.xlsx",
        ])
        .await;
    assert!(!r.stderr.contains("紧急联系人"), "{}", r.stderr);
    let sheet = read_sheet(&bgy.path("quiet.xlsx"), "失败 Failed");
    assert!(sheet[0].iter().any(|t| t == "紧急联系人"), "{:?}", sheet[0]);

    let r = bgy.run(&["check", "hr.xlsx", "--map", "工号=职员"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("\"职员\" 不是 bgy 认识的列")
            && r.stderr.contains("\"职员\" is not a column bgy knows"),
        "{}",
        r.stderr
    );
}

#[tokio::test]
async fn bgy_toml_names_the_columns_and_paths_are_completed_or_corrected() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    hr_sheet(&bgy);
    bgy.write(
        "bgy.toml",
        "[columns]\n\"工号\" = \"帐号\"\n\"参加工作日起\" = \"work_time\"\n",
    );

    let r = bgy.run(&["check", "hr.xlsx", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"].as_u64(), Some(2), "{}", r.stderr);
    // A path without its root that ends one department's path is completed, with a warning.
    assert!(
        r.stderr
            .contains("department 研发部/后端组 taken as 办公逸/研发部/后端组"),
        "{}",
        r.stderr
    );
    // An unknown one suggests the nearest existing path.
    assert!(
        r.stderr.contains("no department 办公逸/研发部/后端; it can be created; did you mean 办公逸/研发部/后端组?) (first: row 5) → --create-departments"),
        "{}",
        r.stderr
    );

    bgy.run(&["import", "hr.xlsx"]).await.assert_code(1);
    bgy.run(&["export", "-o", "after.csv"]).await.assert_code(0);
    let csv = std::fs::read_to_string(bgy.path("after.csv")).unwrap();
    let line = |account: &str| {
        csv.lines()
            .find(|l| l.to_lowercase().starts_with(&format!("{account},")))
            .unwrap_or_else(|| panic!("{account} in {csv}"))
            .to_string()
    };
    for (account, expected) in [
        (
            "e001",
            [
                "13800000101",
                "办公逸/研发部/后端组",
                "2026-11-02",
                "2020-07-01",
            ],
        ),
        (
            "e004",
            ["13800000104", "办公逸/研发部/后端组", "2026-11-04", ""],
        ),
    ] {
        let l = line(account);
        for e in expected.iter().filter(|e| !e.is_empty()) {
            assert!(l.contains(e), "{account}: {e} in {l}");
        }
    }
    assert!(
        !csv.to_lowercase().contains("e002"),
        "the 1.38E+10 row is not sent"
    );
    assert!(
        !csv.to_lowercase().contains("e003"),
        "the unknown path is not sent"
    );

    // A bad bgy.toml is a clear error naming the file.
    bgy.write("bgy.toml", "[columns]\n\"工号\" = \"帐\"\n");
    let r = bgy.run(&["check", "hr.xlsx"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("bgy.toml: [columns] \"工号\""),
        "{}",
        r.stderr
    );
    bgy.write("bgy.toml", "[column]\n");
    let r = bgy.run(&["check", "hr.xlsx"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("bgy.toml"), "{}", r.stderr);
    // A command that uses none of it is not stopped by it.
    bgy.run(&["template", "-o", "blank.xlsx"])
        .await
        .assert_code(0);
    bgy.run(&["history"]).await.assert_code(0);
}

#[tokio::test]
async fn a_template_made_against_a_server_offers_its_departments() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let r = bgy.run(&["template", "-o", "ours.xlsx"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("部门列表 sheet with 5 departments"),
        "{}",
        r.stderr
    );
    let listed = read_sheet(&bgy.path("ours.xlsx"), "部门列表");
    let paths: Vec<&str> = listed.iter().skip(1).map(|r| r[0].as_str()).collect();
    assert_eq!(
        paths,
        [
            "办公逸",
            "办公逸/外包",
            "办公逸/客服部",
            "办公逸/研发部",
            "办公逸/研发部/后端组"
        ]
    );
    // The 部门 column's dropdown is that list, with the error alert off (a;b still goes in).
    let mut zip =
        zip::ZipArchive::new(std::fs::File::open(bgy.path("ours.xlsx")).unwrap()).unwrap();
    let mut sheet = String::new();
    std::io::Read::read_to_string(
        &mut zip.by_name("xl/worksheets/sheet1.xml").unwrap(),
        &mut sheet,
    )
    .unwrap();
    let dv = sheet
        .split("<dataValidation ")
        .find(|d| d.contains("部门列表"))
        .unwrap_or_else(|| panic!("a validation from 部门列表: {sheet}"));
    assert!(
        dv.contains("<formula1>'部门列表'!$A$2:$A$6</formula1>"),
        "{dv}"
    );
    assert!(
        dv.contains(r#"sqref="H2:H100001""#),
        "on 部门 (column H): {dv}"
    );
    assert!(!dv.contains("showErrorMessage=\"1\""), "{dv}");

    // A server that cannot be reached costs the dropdown, not the template.
    let closed = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap();
    let unreachable = Bgy::new().base(&format!("http://{closed}")).ticket(TICKET);
    let r = unreachable.run(&["template", "-o", "t.xlsx"]).await;
    r.assert_code(0);
    assert!(r.stderr.contains("could not be listed"), "{}", r.stderr);
    assert!(!r.stderr.contains(TICKET), "{}", r.stderr);
    let sheets = calamine::open_workbook_auto(unreachable.path("t.xlsx")).unwrap();
    assert!(!calamine::Reader::sheet_names(&sheets).contains(&"部门列表".to_string()));

    // Offline, the template is the committed one: no departments sheet.
    let offline = Bgy::new();
    offline
        .run(&["template", "-o", "t.xlsx"])
        .await
        .assert_code(0);
    let wb = calamine::open_workbook_auto(offline.path("t.xlsx")).unwrap();
    assert!(!calamine::Reader::sheet_names(&wb).contains(&"部门列表".to_string()));
}

#[tokio::test]
async fn an_hr_systems_in_service_status_is_read_as_none_and_said_once() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    // 在职状态 as HR systems export it: 在职 for everyone still employed, 试用 for some.
    bgy.write(
        "roster.csv",
        "帐号,姓名,手机,部门ID,在职状态\n\
         zaizhi1,在职一,13900000101,2,在职\n\
         zaizhi2,在职二,13900000102,2, 在岗 \n\
         shiyong,试用一,13900000103,2,试用\n\
         shixi,实习一,13900000105,2,实习\n",
    );
    let r = bgy.run(&["import", "roster.csv"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("3 × warning: 人事状态")
            && r.stderr.contains("在职/在岗 (in service), 实习 (intern), 劳务派遣/外包 (agency staff) and the like are none of")
            && r.stderr.contains("(first: row 2)"),
        "{}",
        r.stderr
    );
    for account in ["zaizhi1", "zaizhi2", "shixi"] {
        let p = emu.store.person(account).expect("created");
        assert!(p.get("status").is_none(), "nothing sent: {p:?}");
    }
    assert_eq!(emu.store.person("shiyong").unwrap()["status"], "1");
    // Any other word is still an error, with the four the API knows.
    bgy.write(
        "bad.csv",
        "帐号,姓名,手机,部门ID,在职状态\nzaizhi3,在职三,13900000104,2,休假\n",
    );
    let r = bgy.run(&["check", "bad.csv"]).await;
    r.assert_code(1);
    assert!(
        r.stderr.contains("已转正/试用期/兼职/已离职"),
        "{}",
        r.stderr
    );
}

/// An HR workbook whose first sheet is a cover (说明), a hidden lookup sheet after it and the
/// people on the third, under a merged title row. The first visible sheet is the one read
/// unless another is named: the error names the sheet that has a header row, and `--sheet`
/// reads it (never guessed: `delete` and `sync --prune` remove people by the sheet they read).
#[tokio::test]
async fn a_workbook_whose_first_sheet_is_a_cover_names_the_sheet_with_the_people() {
    let bgy = Bgy::new();
    let head: &[&str] = &["帐号", "姓名", "手机", "部门"];
    let mut wb = workbook_of(&[
        ("说明", &[&["本表由人事系统导出,请勿修改格式"]]),
        ("字典", &[head]),
        ("员工 信息", &[]),
    ]);
    wb.worksheet_from_name("字典").unwrap().set_hidden(true);
    let people = wb.worksheet_from_name("员工 信息").unwrap();
    people
        .merge_range(0, 0, 0, 3, "基本信息", &rust_xlsxwriter::Format::new())
        .unwrap();
    let rows: &[&[&str]] = &[
        head,
        &["cover1", "甲", "13800000001", "办公逸"],
        &["cover2", "乙", "13800000002", "办公逸"],
    ];
    write_rows(people, 1, rows);
    wb.save(bgy.path("花名册.xlsx")).unwrap();

    let r = bgy.run(&["check", "花名册.xlsx"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("花名册.xlsx, sheet \"说明\": 找不到表头")
            && r.stderr.contains("工作表 \"员工 信息\" 有表头")
            && r.stderr.contains("; sheet \"员工 信息\" has one)")
            && r.stderr.contains("→ --sheet '员工 信息'"),
        "{}",
        r.stderr
    );

    let r = bgy
        .run(&["check", "花名册.xlsx", "--sheet", "员工 信息", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["ok"], 2);
    // A workbook where no sheet has one says nothing more.
    let mut wb = workbook_of(&[("封面", &[&["封面"]]), ("附录", &[&["附录"]])]);
    wb.save(bgy.path("none.xlsx")).unwrap();
    let r = bgy.run(&["check", "none.xlsx"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("no header row") && !r.stderr.contains("has one"),
        "{}",
        r.stderr
    );
}

/// A workbook of a sheet a department: the first is read, and the warning names the others
/// that have a header row too (a prune from it would remove their people), with `--sheet`.
#[tokio::test]
async fn a_workbook_of_a_sheet_a_department_says_which_sheets_were_not_read() {
    let bgy = Bgy::new();
    let head: &[&str] = &["帐号", "姓名", "手机", "部门"];
    let person = |account| [account, "某人", "13800000001", "办公逸"];
    let mut wb = workbook_of(&[
        ("研发部", &[head, &person("dev1")]),
        ("市场部", &[head, &person("mkt1")]),
        ("销售部", &[head, &person("sal1")]),
        ("说明", &[&["每个部门一个工作表"]]),
    ]);
    wb.save(bgy.path("分部门.xlsx")).unwrap();
    let r = bgy.run(&["check", "分部门.xlsx", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["total"], 1);
    assert!(
        r.stderr
            .contains("没有读取:\"市场部\"、\"销售部\";每次只读一个工作表")
            && r.stderr
                .contains("not read: \"市场部\", \"销售部\"; one sheet")
            && r.stderr.contains("→ --sheet '市场部'")
            && !r.stderr.contains("说明\""),
        "{}",
        r.stderr
    );
    // Asked for by name: that sheet, and nothing said of the others.
    let r = bgy
        .run(&[
            "check",
            "分部门.xlsx",
            "--sheet",
            "销售部",
            "--report",
            "sales.xlsx",
        ])
        .await;
    r.assert_code(0);
    assert!(!r.stderr.contains("not read"), "{}", r.stderr);
    let all = read_sheet(&bgy.path("sales.xlsx"), "全部 All");
    assert_eq!(all[1][0], "sal1");
}

/// A hand-made sheet with its department and position merged down the rows of their people
/// (合并单元格): each row is read with the value the person sees, and a warning says so.
#[tokio::test]
async fn merged_cells_are_read_as_the_value_their_range_shows() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut wb = workbook_of(&[(
        "员工",
        &[
            &["帐号", "姓名", "手机", "部门", "职位"],
            &["mg1", "一", "13800000021"],
            &["mg2", "二", "13800000022"],
            &["mg3", "三", "13800000023"],
            &["mg4", "四", "13800000024", "办公逸", "专员"],
        ],
    )]);
    let ws = wb.worksheet_from_name("员工").unwrap();
    let format = rust_xlsxwriter::Format::new();
    ws.merge_range(1, 3, 3, 3, "办公逸", &format).unwrap();
    ws.merge_range(1, 4, 3, 4, "工程师", &format).unwrap();
    wb.save(bgy.path("合并.xlsx")).unwrap();
    let r = bgy
        .run(&["import", "合并.xlsx", "--dry-run", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["ok"], 4, "{}", r.stderr);
    for account in ["mg2", "mg3"] {
        let sent = r
            .stderr
            .lines()
            .find(|l| l.contains(&format!("we_userid={account} ")));
        assert!(
            sent.is_some_and(|l| l.contains("we_department=办公逸 we_position=工程师")),
            "{account}: {}",
            r.stderr
        );
    }
    assert!(
        r.stderr.contains(
            "4 cells of merged ranges were read as the value their range shows: D2:D4, E2:E4"
        ),
        "{}",
        r.stderr
    );
}

/// A roster of `n` people (`fl000001` …, their phones from [`mobile`]), its 人事状态 试用期
/// but every third 已离职, filtered in Excel (筛选) to show the 试用期 ones: the file keeps
/// the others, hidden. Each row has a note of `note` characters (an HR export's 备注).
fn filtered_roster(n: usize, note: usize) -> rust_xlsxwriter::Workbook {
    let mut wb = rust_xlsxwriter::Workbook::new();
    let ws = wb.add_worksheet().set_name("花名册").unwrap();
    write_rows(
        ws,
        0,
        &[&["帐号", "姓名", "手机", "部门", "人事状态", "备注"]],
    );
    // Notes that do not compress away: a larger workbook takes fewer rows.
    let mut seed = 0x2545_f491_4f6c_dd1d_u64;
    for i in 1..=n {
        let status = if i % 3 == 0 { "已离职" } else { "试用期" };
        let text: String = (0..note)
            .map(|_| {
                seed ^= seed << 13;
                seed ^= seed >> 7;
                seed ^= seed << 17;
                char::from(b'a' + (seed % 26) as u8)
            })
            .collect();
        let row = [
            format!("fl{i:06}"),
            format!("员工{i}"),
            mobile("fl", i),
            "办公逸/研发部".into(),
            status.into(),
            text,
        ];
        for (c, t) in row.iter().enumerate() {
            ws.write_string(i as u32, c as u16, t).unwrap();
        }
    }
    ws.autofilter(0, 0, n as u32, 5).unwrap();
    let only = rust_xlsxwriter::FilterCondition::new().add_list_filter("试用期");
    ws.filter_column(4, &only).unwrap();
    wb
}

/// A sheet filtered in Excel (筛选) keeps the rows it hides: the person does not see them, so
/// they are not sent. Each is in the report with why, and a rerun of the report's Failed sheet
/// (where nothing is hidden) sends them. A row hidden by hand is not sent either.
#[tokio::test]
async fn a_filtered_sheets_hidden_rows_are_not_sent() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut wb = filtered_roster(9, 0);
    wb.save(bgy.path("筛选.xlsx")).unwrap();
    let r = bgy.run(&["import", "筛选.xlsx", "--json"]).await;
    r.assert_code(1);
    let json = r.json();
    assert_eq!(
        (json["created"].as_u64(), json["invalid"].as_u64()),
        (Some(6), Some(3)),
        "{}",
        r.stderr
    );
    for i in 1..=9 {
        let account = format!("fl{i:06}");
        assert_eq!(
            emu.store.person(&account).is_some(),
            i % 3 != 0,
            "{account}"
        );
    }
    assert!(
        r.stderr.contains("3 × 隐藏的行 (hidden row)") && r.stderr.contains("(first: row 4)"),
        "{}",
        r.stderr
    );
    let report = json["report"].as_str().unwrap().to_string();
    let failed = read_sheet(&bgy.path(&report), "失败 Failed");
    assert!(
        failed[1]
            .iter()
            .any(|c| c.contains("this row is hidden in the sheet")),
        "{failed:?}"
    );
    let again = bgy.run(&["import", &report, "--json"]).await;
    again.assert_code(0);
    assert_eq!(again.json()["created"], 3, "{}", again.stderr);
    assert!(emu.store.person("fl000009").is_some());

    // By hand, without a filter.
    let mut wb = workbook_of(&[(
        "员工",
        &[
            &["帐号", "姓名", "手机", "部门"],
            &["hd1", "一", "13800000031", "研发部"],
            &["hd2", "二", "13800000032", "研发部"],
            &["hd3", "三", "13800000033", "研发部"],
        ],
    )]);
    wb.worksheet_from_name("员工")
        .unwrap()
        .set_row_hidden(2)
        .unwrap();
    wb.save(bgy.path("隐藏.xlsx")).unwrap();
    let r = bgy
        .run(&["check", "隐藏.xlsx", "--json", "--no-report"])
        .await;
    r.assert_code(1);
    assert_eq!(
        (r.json()["ok"].as_u64(), r.json()["invalid"].as_u64()),
        (Some(2), Some(1))
    );
    assert!(r.stderr.contains("(first: row 3)"), "{}", r.stderr);
}

/// A list of leavers made by filtering the roster deletes only the rows the person sees.
#[tokio::test]
async fn a_delete_leaves_the_people_of_hidden_rows_alone() {
    let emu = emulator().await;
    emu.store.insert_staff(people("hx", 20)).unwrap();
    let bgy = Bgy::new().against(&emu);
    let mut wb = workbook_of(&[(
        "离职",
        &[
            &["帐号", "姓名"],
            &["hx000001", "员工1"],
            &["hx000002", "员工2"],
            &["hx000003", "员工3"],
        ],
    )]);
    wb.worksheet_from_name("离职")
        .unwrap()
        .set_row_hidden(2)
        .unwrap();
    wb.save(bgy.path("离职.xlsx")).unwrap();
    let r = bgy.run(&["delete", "离职.xlsx", "--yes", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 1, "{}", r.stderr);
    assert!(emu.store.person("hx000001").is_none() && emu.store.person("hx000003").is_none());
    assert!(emu.store.person("hx000002").is_some());
}

/// Past the size up to which every workbook's hidden rows are looked for, a sheet with a filter
/// still has them found: its hidden rows are checked as such.
#[tokio::test]
async fn a_large_filtered_sheets_hidden_rows_are_found() {
    let bgy = Bgy::new();
    let mut wb = filtered_roster(15_000, 60);
    wb.save(bgy.path("大表.xlsx")).unwrap();
    let size = std::fs::metadata(bgy.path("大表.xlsx")).unwrap().len();
    assert!(size > bgy::read::marks::MARKS_UP_TO as u64, "{size} bytes");
    let r = bgy
        .run(&["check", "大表.xlsx", "--json", "--no-report"])
        .await;
    r.assert_code(1);
    assert_eq!(
        (r.json()["ok"].as_u64(), r.json()["invalid"].as_u64()),
        (Some(10_000), Some(5_000)),
        "{}",
        r.stderr
    );
}

/// An xlsx as a program writes one with formulas and no results (openpyxl, or a library that
/// does not calculate): its 部门 a VLOOKUP whose value only Excel would work out. The rows
/// fail for their empty 部门, and a warning says why it is empty and what to do.
#[tokio::test]
async fn formulas_a_program_left_without_results_are_named() {
    let bgy = Bgy::new();
    let rows: String = (2..=4)
        .map(|r| {
            format!(
                r#"<row r="{r}"><c r="A{r}" t="inlineStr"><is><t>fx{r}</t></is></c><c r="B{r}" t="inlineStr"><is><t>员工{r}</t></is></c><c r="C{r}" t="inlineStr"><is><t>1380000004{r}</t></is></c><c r="D{r}"><f>VLOOKUP(E{r},部门表!A:B,2,FALSE)</f><v/></c></row>"#
            )
        })
        .collect();
    let sheet = format!(
        r#"<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData><row r="1"><c r="A1" t="inlineStr"><is><t>帐号</t></is></c><c r="B1" t="inlineStr"><is><t>姓名</t></is></c><c r="C1" t="inlineStr"><is><t>手机</t></is></c><c r="D1" t="inlineStr"><is><t>部门</t></is></c></row>{rows}</sheetData></worksheet>"#
    );
    let parts = [
        ("[Content_Types].xml", r#"<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>"#.to_string()),
        ("_rels/.rels", r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>"#.to_string()),
        ("xl/workbook.xml", r#"<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"><sheets><sheet name="员工" sheetId="1" r:id="rId1"/></sheets></workbook>"#.to_string()),
        ("xl/_rels/workbook.xml.rels", r#"<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/></Relationships>"#.to_string()),
        ("xl/worksheets/sheet1.xml", sheet),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, text) in parts {
        zip.start_file(name, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut zip, text.as_bytes()).unwrap();
    }
    bgy.write("公式.xlsx", zip.finish().unwrap().into_inner());
    let r = bgy
        .run(&["check", "公式.xlsx", "--json", "--no-report"])
        .await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 3, "{}", r.stderr);
    assert!(
        r.stderr.contains("3 formula cells have no saved result and were read as empty (rows 2, 3, 4): the file seems made by a program; open it in Excel or WPS, save it"),
        "{}",
        r.stderr
    );
}

/// 部门 paths as HR systems export them, their levels apart by `-` (钉钉), `>` or `\`, are
/// read as paths when exactly that reading names a department, with a warning; a department
/// whose own name holds the separator is that department. Other text stays an error.
#[tokio::test]
async fn department_paths_with_another_separator_are_read_as_paths() {
    let emu = emulator().await;
    let own = emu.store.create_department("客服部-夜班", 1).unwrap();
    // …though 客服部/夜班 exists too.
    emu.store.create_department("夜班", 3).unwrap();
    let bgy = Bgy::new().against(&emu);
    let mut wb = workbook_of(&[(
        "员工",
        &[
            &["帐号", "姓名", "手机", "部门"],
            &["sp1", "一", "13800000051", "研发部-后端组"],
            &["sp2", "二", "13800000052", "办公逸>研发部>后端组"],
            &["sp3", "三", "13800000053", "研发部\\后端组"],
            &["sp4", "四", "13800000054", "客服部-夜班"],
            &["sp5", "五", "13800000055", "研发部 后端组"],
        ],
    )]);
    wb.save(bgy.path("分隔.xlsx")).unwrap();
    let r = bgy.run(&["import", "分隔.xlsx", "--json"]).await;
    r.assert_code(1);
    let json = r.json();
    assert_eq!(
        (json["created"].as_u64(), json["invalid"].as_u64()),
        (Some(4), Some(1)),
        "{}",
        r.stderr
    );
    for account in ["sp1", "sp2", "sp3"] {
        assert_eq!(
            emu.store.person(account).unwrap()["we_department"],
            "4",
            "{account}"
        );
    }
    assert_eq!(
        emu.store.person("sp4").unwrap()["we_department"],
        own.to_string()
    );
    assert!(emu.store.person("sp5").is_none());
    assert!(
        r.stderr.contains("department 研发部-后端组 taken as 办公逸/研发部/后端组 (a path's levels are separated by /)"),
        "{}",
        r.stderr
    );
}

/// A path written with dashes under an HR system's name for the company (`总公司-研发部-后端组`):
/// read from the directory's root, as the same path with slashes is, and one that goes on below
/// a department of the root is made on request. It was "no root department
/// 总公司-研发部-后端组". A dashed name whose rest does not start at a department of the root
/// is not guessed at.
#[tokio::test]
async fn a_dashed_path_under_the_company_s_name_is_read_from_the_root() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "总公司.csv",
        "帐号,姓名,手机,部门\n\
         cd1,一,13800000081,总公司-研发部-后端组\n\
         cd2,二,13800000082,总公司-客服部\n\
         cd3,三,13800000083,华东-后端组\n\
         cd4,四,13800000084,总公司-研发部-移动组\n",
    );
    let departments = emu.store.departments().len();
    let r = bgy
        .run(&["import", "总公司.csv", "--json", "--create-departments"])
        .await;
    r.assert_code(1);
    assert_eq!(r.json()["created"].as_u64(), Some(3), "{}", r.stderr);
    assert_eq!(emu.store.departments().len(), departments + 1);
    assert!(emu.store.person("cd4").is_some());
    let placed = |account: &str| emu.store.person(account).unwrap()["we_department"].clone();
    assert_eq!((placed("cd1"), placed("cd2")), ("4".into(), "3".into()));
    assert!(emu.store.person("cd3").is_none());
    assert!(
        r.stderr.contains("department 总公司-研发部-后端组 taken as 办公逸/研发部/后端组 (a path's levels are separated by /; the directory's root department is 办公逸)"),
        "{}",
        r.stderr
    );
}

/// A dashed path under the company's name whose departments are all new (`总公司-新中心-一组`)
/// is read as the slash form is: to be made under the root, when the sheet's other dashed
/// paths under that name name departments of the root.
#[tokio::test]
async fn a_dashed_path_of_new_departments_under_the_company_s_name_is_made_under_the_root() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "总公司.csv",
        "帐号,姓名,手机,部门\n\
         nd1,一,13800000091,总公司-研发部-后端组\n\
         nd2,二,13800000092,总公司-客服部\n\
         nd3,三,13800000093,总公司-新中心-一组\n",
    );
    let check = bgy.run(&["check", "总公司.csv"]).await;
    check.assert_code(1);
    assert!(
        check
            .stderr
            .contains("no department 办公逸/新中心; it can be created")
            && !check.stderr.contains("no root department"),
        "{}",
        check.stderr
    );
    let departments = emu.store.departments().len();
    let r = bgy
        .run(&["import", "总公司.csv", "--json", "--create-departments"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["created"].as_u64(), Some(3), "{}", r.stderr);
    assert_eq!(emu.store.departments().len(), departments + 2);
    let made = emu.store.person("nd3").unwrap()["we_department"].clone();
    let tree = emu.store.departments();
    let group = tree
        .iter()
        .find(|d| d.we_name == "一组")
        .expect("一组 made");
    let centre = tree.iter().find(|d| d.we_id == group.we_parentid).unwrap();
    assert_eq!(
        (made, centre.we_name.as_str()),
        (group.we_id.to_string().into(), "新中心")
    );
    assert_eq!(centre.we_parentid, 1, "under the root");
}

/// A person's departments as HR systems list them, apart by `,` or `、` rather than `;`: each
/// the department it names, with a warning; a department and one under it stay an error (more
/// likely one path than a person in both), as does a part that names none.
#[tokio::test]
async fn departments_listed_apart_by_commas_are_each_read() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut wb = workbook_of(&[(
        "员工",
        &[
            &["帐号", "姓名", "手机", "部门"],
            &["ls1", "一", "13800000071", "后端组,客服部"],
            &["ls2", "二", "13800000072", "办公逸/客服部， 研发部/后端组"],
            &["ls3", "三", "13800000073", "研发部、后端组"],
            &["ls4", "四", "13800000074", "客服部,没有这个部门"],
        ],
    )]);
    wb.save(bgy.path("多部门.xlsx")).unwrap();
    let r = bgy.run(&["import", "多部门.xlsx", "--json"]).await;
    r.assert_code(1);
    let json = r.json();
    assert_eq!(
        (json["created"].as_u64(), json["invalid"].as_u64()),
        (Some(2), Some(2)),
        "{}",
        r.stderr
    );
    let placed = |account: &str| emu.store.person(account).unwrap()["we_department"].clone();
    assert_eq!(placed("ls1"), "4,3");
    assert_eq!(placed("ls2"), "3,4");
    assert!(emu.store.person("ls3").is_none() && emu.store.person("ls4").is_none());
    assert!(
        r.stderr.contains("department 后端组,客服部 taken as 办公逸/研发部/后端组;办公逸/客服部 (departments are separated by ;)"),
        "{}",
        r.stderr
    );
}

/// An HR system names the company (the root) otherwise than 办公逸 does: every row failed as
/// "no root department", though the rest of each path was the directory's.
#[tokio::test]
async fn department_paths_from_another_name_of_the_root_are_read_from_the_root() {
    let emu = emulator().await;
    // 研发部 exists under the root, and so does a department called 华东区 (not a root).
    emu.store.create_department("华东区", 1).unwrap();
    let departments = emu.store.departments().len();
    let bgy = Bgy::new().against(&emu);
    let mut wb = workbook_of(&[(
        "员工",
        &[
            &["帐号", "姓名", "手机", "部门"],
            // The company's head, in the department named after the company: the root, as
            // the rows below start their paths with that name.
            &["ro0", "零", "13800000060", "北京某某科技有限公司"],
            &[
                "ro1",
                "一",
                "13800000061",
                "北京某某科技有限公司/研发部/后端组",
            ],
            // The rest by its end alone, as a path without its root is read.
            &["ro2", "二", "13800000062", "北京某某科技有限公司/后端组"],
            // Its first level is a department of the directory's: not another root's name.
            &["ro3", "三", "13800000063", "华东区/研发部"],
            // Nothing of the rest exists: an error, and nothing is created.
            &["ro4", "四", "13800000064", "北京某某科技有限公司/新部门"],
            // One level no other row's path starts with: not taken for the root.
            &["ro5", "五", "13800000065", "上海某某分公司"],
        ],
    )]);
    wb.save(bgy.path("根.xlsx")).unwrap();
    let r = bgy
        .run(&[
            "import",
            "根.xlsx",
            "--json",
            "--create-departments",
            "--report",
            "r.xlsx",
        ])
        .await;
    r.assert_code(1);
    let json = r.json();
    assert_eq!(
        (json["created"].as_u64(), json["invalid"].as_u64()),
        (Some(3), Some(3)),
        "{}",
        r.stderr
    );
    assert_eq!(emu.store.person("ro0").unwrap()["we_department"], "1");
    assert!(
        r.stderr.contains("department 北京某某科技有限公司 taken as 办公逸 (the directory's root department is 办公逸)"),
        "{}",
        r.stderr
    );
    assert!(emu.store.person("ro5").is_none());
    assert!(said_of(&bgy.path("r.xlsx"), "ro5").contains("no root department 上海某某分公司"));
    for account in ["ro1", "ro2"] {
        assert_eq!(
            emu.store.person(account).unwrap()["we_department"],
            "4",
            "{account}"
        );
    }
    assert!(said_of(&bgy.path("r.xlsx"), "ro1").contains(
        "department 北京某某科技有限公司/研发部/后端组 taken as 办公逸/研发部/后端组 (the directory's root department is 办公逸)"
    ));
    assert_eq!(
        emu.store.departments().len(),
        departments,
        "no department was made from such a reading"
    );
}

/// An HR system's export writes its company's name above every department, and has the
/// departments HR made since the directory's last import: those were "no root department", and
/// HR had to rewrite every such cell. When every path of the sheet starts with that name and
/// some of them are the directory's departments read from its root, the new ones are read from
/// the root too, and created there on request, whatever row comes first. A sheet whose paths
/// start at two first levels is not read so.
#[tokio::test]
async fn new_departments_under_an_hr_system_s_name_of_the_root_are_made_under_the_root() {
    let emu = emulator().await;
    let departments = emu.store.departments().len();
    let bgy = Bgy::new().against(&emu);
    let roster = |extra: &[&'static str]| {
        let mut rows: Vec<&[&str]> = vec![
            &["帐号", "姓名", "手机", "部门"],
            // Before the row that shows what the first level is.
            &[
                "nd1",
                "一",
                "13800000081",
                "北京某某科技有限公司/研发中心/移动端",
            ],
            &[
                "nd2",
                "二",
                "13800000082",
                "北京某某科技有限公司/研发部/后端组",
            ],
            &[
                "nd3",
                "三",
                "13800000083",
                "北京某某科技有限公司/研发中心/平台部",
            ],
        ];
        if !extra.is_empty() {
            rows.push(extra);
        }
        workbook_of(&[("员工", &rows)])
    };
    roster(&[]).save(bgy.path("新部门.xlsx")).unwrap();
    // Checked: the new departments could be made, under the root.
    let r = bgy.run(&["check", "新部门.xlsx"]).await;
    r.assert_code(1);
    assert!(
        r.stderr
            .contains("2 × 部门: 部门不存在 (we_department: unknown department)")
            && r.stderr
                .contains("no department 办公逸/研发中心; it can be created"),
        "{}",
        r.stderr
    );
    assert!(!r.stderr.contains("no root department"), "{}", r.stderr);
    // Another first level beside it: the name may be a department to make, not the company's.
    roster(&["nd4", "四", "13800000084", "上海某某分公司/研发部"])
        .save(bgy.path("两个.xlsx"))
        .unwrap();
    let r = bgy
        .run(&["check", "两个.xlsx", "--report", "r2.xlsx"])
        .await;
    r.assert_code(1);
    assert!(
        said_of(&bgy.path("r2.xlsx"), "nd1").contains("no root department 北京某某科技有限公司"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.store.departments().len(), departments);
    // Imported with --create-departments: made under the root, everyone placed.
    let r = bgy
        .run(&["import", "新部门.xlsx", "--create-departments", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 3, "{}", r.stderr);
    let id_of = |path: &str| {
        let all = emu.store.departments();
        let path_of = |mut id: i64| {
            let mut names = Vec::new();
            while let Some(d) = all.iter().find(|d| d.we_id == id) {
                names.insert(0, d.we_name.clone());
                id = d.we_parentid;
            }
            names.join("/")
        };
        (all.iter().find(|d| path_of(d.we_id) == path)).map(|d| d.we_id.to_string())
    };
    for (account, path) in [
        ("nd1", "办公逸/研发中心/移动端"),
        ("nd2", "办公逸/研发部/后端组"),
        ("nd3", "办公逸/研发中心/平台部"),
    ] {
        let id = id_of(path).unwrap_or_else(|| panic!("no department {path}"));
        assert_eq!(
            emu.store.person(account).unwrap()["we_department"],
            id.as_str()
        );
    }
    assert_eq!(emu.store.departments().len(), departments + 3);
    assert!(id_of("北京某某科技有限公司").is_none());
}

/// A roster whose department is split into a column a level (一级部门, 二级部门, 三级部门), as
/// HR systems export it, in any column order: the levels are read as one path, top level first.
/// Each level was "did you mean 部门?", and taken so, only the first level was read: everyone
/// in their top-level department. The report's Failed sheet keeps the columns, and reads the
/// same way when it is run again.
#[tokio::test]
async fn a_department_split_into_a_column_a_level_is_read_as_one_path() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut wb = workbook_of(&[(
        "花名册",
        &[
            &["帐号", "姓名", "手机", "二级部门", "一级部门", "三级部门"],
            &["lv1", "一", "13800000071", "研发部", "办公逸", "后端组"],
            &["lv2", "二", "13800000072", "客服部", "办公逸", ""],
            // A level left empty between two filled is skipped.
            &["lv3", "三", "13800000073", "", "办公逸", "研发部"],
            &["lv4", "四", "13800000074", "研发部", "办公逸", "前端组"],
        ],
    )]);
    wb.save(bgy.path("花名册.xlsx")).unwrap();
    let r = bgy
        .run(&["import", "花名册.xlsx", "--json", "--report", "r.xlsx"])
        .await;
    r.assert_code(1);
    assert!(!r.stderr.contains("did you mean 部门"), "{}", r.stderr);
    assert_eq!(
        (r.json()["created"].as_u64(), r.json()["invalid"].as_u64()),
        (Some(3), Some(1)),
        "{}",
        r.stderr
    );
    for (account, dept) in [("lv1", "4"), ("lv2", "3"), ("lv3", "2")] {
        assert_eq!(
            emu.store.person(account).unwrap()["we_department"],
            dept,
            "{account}"
        );
    }
    assert!(
        said_of(&bgy.path("r.xlsx"), "lv4").contains("办公逸/研发部/前端组"),
        "{}",
        said_of(&bgy.path("r.xlsx"), "lv4")
    );
    // The Failed sheet as HR fixes it: the level columns under their own titles.
    let failed = read_sheet(&bgy.path("r.xlsx"), "失败 Failed");
    let third = col(&failed, "三级部门");
    assert_eq!(
        (col(&failed, "一级部门") < third, failed[1][third].as_str()),
        (true, "前端组")
    );
    let mut fixed = failed.clone();
    fixed[1][third] = "后端组".into();
    write_fixed_report(&bgy.path("fixed.xlsx"), &fixed);
    let r = bgy.run(&["import", "fixed.xlsx", "--json"]).await;
    r.assert_code(0);
    assert_eq!(emu.store.person("lv4").unwrap()["we_department"], "4");

    // Beside a column of the whole path, the levels are repeats of it, read as nothing.
    let mut wb = workbook_of(&[(
        "花名册",
        &[
            &["帐号", "姓名", "手机", "一级部门", "部门", "二级部门"],
            &[
                "lv5",
                "五",
                "13800000075",
                "客服部",
                "办公逸/研发部/后端组",
                "研发部",
            ],
        ],
    )]);
    wb.save(bgy.path("两种.xlsx")).unwrap();
    let r = bgy.run(&["import", "两种.xlsx", "--json"]).await;
    r.assert_code(0);
    assert!(
        r.stderr
            .contains("column D1 \"一级部门\" repeats the 部门 column before it; ignored")
            && r.stderr
                .contains("column F1 \"二级部门\" repeats the 部门 column before it; ignored"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.store.person("lv5").unwrap()["we_department"], "4");
}

/// A roster (花名册) whose header is two rows, as HR groups its columns: 联系方式 over 手机 and
/// 邮箱, 帐号, 姓名 and 部门 merged down both. Every row was invalid: the lower row was read as a
/// person, and the columns under a group not at all. Printed again under the people, with its
/// merged titles, it is left out, and its titles are no one's value either.
#[tokio::test]
async fn a_header_of_two_rows_is_read_as_one() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut wb = workbook_of(&[(
        "花名册",
        &[
            &["帐号", "姓名", "部门", "联系方式", "", "任职信息"],
            &["", "", "", "手机", "邮箱", "职位"],
            &[
                "tw1",
                "一",
                "研发部",
                "13800000061",
                "tw1@example.com",
                "工程师",
            ],
            &["帐号", "姓名", "部门", "联系方式", "", "任职信息"],
            &["", "", "", "手机", "邮箱", "职位"],
            &[
                "tw2",
                "二",
                "研发部",
                "13800000062",
                "tw2@example.com",
                "经理",
            ],
        ],
    )]);
    let ws = wb.worksheet_from_name("花名册").unwrap();
    let format = rust_xlsxwriter::Format::new();
    for top in [0, 3] {
        for (c, title) in ["帐号", "姓名", "部门"].iter().enumerate() {
            ws.merge_range(top, c as u16, top + 1, c as u16, title, &format)
                .unwrap();
        }
        ws.merge_range(top, 3, top, 4, "联系方式", &format).unwrap();
    }
    wb.save(bgy.path("两行表头.xlsx")).unwrap();
    let r = bgy.run(&["import", "两行表头.xlsx", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 2, "{}", r.stderr);
    let p = emu.store.person("tw2").unwrap();
    assert_eq!(
        (&p["we_mobile"], &p["we_email"], &p["we_position"]),
        (
            &"13800000062".into(),
            &"tw2@example.com".into(),
            &"经理".into()
        )
    );
    // The header's own merged titles, and its copy's, are no one's value: not warned about.
    assert!(
        !r.stderr.contains("not a known column") && !r.stderr.contains("merged ranges"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("row 4, 5: the header again, not a person; not read"),
        "{}",
        r.stderr
    );
}

/// An HR template marks the columns to fill in (`*姓名`, `手机号码（必填）`, `邮箱(选填)`) and says
/// how to write a cell (`入职日期（格式：2024-01-01）`, `性别（男/女）`). Such a sheet stopped at
/// "no 姓名 column", its `*工号` was not offered as the account, and its dates were left out.
#[tokio::test]
async fn titles_marked_to_fill_in_are_read_as_the_column_they_name() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "marked.csv",
        "*帐号,*姓名,性别（男/女）,手机号码（必填）,邮箱(选填),部门*,入职日期（格式：2024-01-01）\n\
         mk1,标记一,女,13800138411,mk1@example.com,研发部,2024-03-05\n",
    );
    let r = bgy.run(&["import", "marked.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 1, "{}", r.stderr);
    let p = emu.store.person("mk1").unwrap();
    assert_eq!(
        (
            &p["we_name"],
            &p["we_gender"],
            &p["we_mobile"],
            &p["we_email"],
            &p["entry_time"]
        ),
        (
            &"标记一".into(),
            &"2".into(),
            &"13800138411".into(),
            &"mk1@example.com".into(),
            &"2024-03-05".into()
        )
    );
    bgy.write(
        "工号.csv",
        "*工号,*姓名,手机(必填)\nmk2,标记二,13800138412\n",
    );
    let r = bgy.run(&["check", "工号.csv"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("--map '*工号=we_userid'"), "{}", r.stderr);
}

/// Text pasted from a web page or a chat brings invisible characters along (a zero-width space,
/// a byte-order mark): a cell that looks like `zw1` is `zw1`, and is sent as such.
#[tokio::test]
async fn invisible_characters_pasted_into_cells_are_not_part_of_them() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "pasted.csv",
        "帐号,姓名,手机,部门\n\
         zw1\u{200b},零宽\u{200b},138\u{200b}00138401,研发部\u{feff}\n\
         \u{feff}zw2,二,13800138402,研发部\n",
    );
    let r = bgy.run(&["import", "pasted.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 2, "{}", r.stderr);
    let p = emu.store.person("zw1").unwrap();
    assert_eq!(
        (&p["we_name"], &p["we_mobile"]),
        (&"零宽".into(), &"13800138401".into())
    );
    assert!(
        emu.store.accounts().iter().all(|a| a.is_ascii()),
        "{:?}",
        emu.store.accounts()
    );
}

/// A zip of `parts` (a Word document, a Numbers file, an archive of sheets), each a few bytes.
fn zip_of(parts: &[&str]) -> Vec<u8> {
    let mut out = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for part in parts {
        out.start_file(*part, zip::write::SimpleFileOptions::default())
            .unwrap();
        std::io::Write::write_all(&mut out, b"<x/>").unwrap();
    }
    out.finish().unwrap().into_inner()
}

#[tokio::test]
async fn a_word_document_a_numbers_file_or_a_zip_of_sheets_is_told_for_what_it_is() {
    let bgy = Bgy::new();
    let files = [
        (
            "填写说明.docx",
            zip_of(&["[Content_Types].xml", "word/document.xml"]),
            "is a Word document, not a spreadsheet bgy can read: choose the Excel sheet",
        ),
        (
            "花名册.numbers",
            zip_of(&["Index/Document.iwa", "Metadata/Properties.plist"]),
            "in Numbers, choose File → Export To → Excel",
        ),
        (
            "花名册.zip",
            zip_of(&["花名册.xlsx", "说明.docx"]),
            "is a zip archive, not a spreadsheet bgy can read: unzip it first",
        ),
    ];
    // Word 97–2003's .doc: an OLE file, as an .xls is.
    let mut doc = cfb::CompoundFile::create(std::io::Cursor::new(Vec::new())).unwrap();
    std::io::Write::write_all(&mut doc.create_stream("/WordDocument").unwrap(), b"x").unwrap();
    let doc = doc.into_inner().into_inner();
    let others = [
        (
            "说明.pptx",
            zip_of(&["[Content_Types].xml", "ppt/presentation.xml"]),
            "is a PowerPoint presentation, not a spreadsheet bgy can read",
        ),
        (
            "说明.xls",
            doc,
            "is a Word document, not a spreadsheet bgy can read",
        ),
    ];
    for (name, bytes, said) in files.iter().chain(&others) {
        bgy.write(name, bytes.clone());
        let r = bgy.run(&["check", name]).await;
        r.assert_code(2);
        assert!(r.stderr.contains(said), "{name}: {}", r.stderr);
        assert!(!r.stderr.contains("damaged"), "{name}: {}", r.stderr);
    }
    // A package of Office's that is none of those stays damaged, with calamine's detail.
    bgy.write("坏.xlsx", zip_of(&["[Content_Types].xml"]));
    let r = bgy.run(&["check", "坏.xlsx"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("is damaged"), "{}", r.stderr);
    // The console says it in the page's language.
    let (c, csrf) = crate::web::Console::signed_in(&bgy, &["--data", "runs"]).await;
    let (_, _, html) = c
        .upload("花名册.numbers", files[1].1.clone(), Some(&csrf))
        .await;
    assert!(
        html.contains("是 Apple Numbers 文件,不是 bgy 能读取的表格"),
        "{html}"
    );
}

/// An HR system ends its roster with a row of totals: the row is no person and fails nothing
/// (a scheduled sync of a sheet with an invalid row sends nothing, every night), but it is
/// named in a warning.
#[tokio::test]
async fn a_row_of_totals_under_the_people_is_left_out_and_named() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut sheet = staff_csv("tt", 3);
    sheet.push_str("合计,3人,,\n");
    bgy.write("花名册.csv", sheet);
    let r = bgy.run(&["import", "花名册.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(
        (r.json()["total"].as_u64(), r.json()["created"].as_u64()),
        (Some(3), Some(3)),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr.contains("row 5: a total, not a person; not read"),
        "{}",
        r.stderr
    );
    let summary = read_sheet(&the_report(bgy.dir.path()), "汇总 Summary");
    assert!(
        summary
            .iter()
            .flatten()
            .any(|c| c.contains("第 5 行是合计行")),
        "{summary:?}"
    );
}

/// A roster whose 直属主管 gives each leader's name, as 钉钉 and 北森 export it.
fn roster_by_leader_name(rows: &[&str]) -> String {
    format!("姓名,帐号,手机,部门,直属主管\n{}\n", rows.join("\n"))
}

/// An emulator whose directory has three 李四: the seed's lisi in 客服部 and 后端组, lisi2 in
/// 客服部 and lisi3 at the root; and a folder against it.
async fn three_namesakes() -> (bgy::emulator::Running, Bgy) {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "more.csv",
        roster_by_leader_name(&[
            "李四,lisi2,13900000011,办公逸/客服部,",
            "李四,lisi3,13900000012,办公逸,",
        ]),
    );
    bgy.run(&["import", "more.csv"]).await.assert_code(0);
    (emu, bgy)
}

/// `bgy check roster.csv --json`, its report `report`.
async fn check_roster(bgy: &Bgy, report: &str) -> Run {
    bgy.run(&["check", "roster.csv", "--json", "--report", report])
        .await
}

/// `roster` as `roster.csv` for `bgy`, and for a run offline, checked there (its report
/// `offline.xlsx`): both runs' folders, and what the offline check said.
async fn checked_offline(bgy: Bgy, roster: &str) -> (Bgy, Bgy, Run) {
    bgy.write("roster.csv", roster);
    let offline = Bgy::new();
    offline.write("roster.csv", roster);
    let r = check_roster(&offline, "offline.xlsx").await;
    (bgy, offline, r)
}

/// The report's 全部 All sheet says each `(account, said)`'s `said` of the account's row.
#[track_caller]
fn says(report: &Path, expected: &[(&str, &str)]) {
    for (account, said) in expected {
        let all = said_of(report, account);
        assert!(all.contains(said), "{account}: {said}: {all}");
    }
}

/// As [`says`], each of the rows with one issue of its leader, no more.
#[track_caller]
fn says_of_the_leader_once(report: &Path, expected: &[(&str, &str)]) {
    says(report, expected);
    for (account, _) in expected {
        let all = said_of(report, account);
        let issues = all.matches("lead_id:").count();
        assert_eq!(issues, 1, "one issue of the leader: {account}: {all}");
    }
}

/// `bgy import roster.csv --report import.xlsx`, which fails the rows it cannot send: its
/// people `created` and rows `invalid`.
async fn import_roster(bgy: &Bgy, (created, invalid): (u64, u64)) {
    let r = (bgy.run(&["import", "roster.csv", "--json", "--report", "import.xlsx"])).await;
    r.assert_code(1);
    let j = r.json();
    assert_eq!(
        (j["created"].as_u64(), j["invalid"].as_u64()),
        (Some(created), Some(invalid)),
        "{j}"
    );
}

/// What a report's 全部 All sheet says of `account`'s row.
#[track_caller]
fn said_of(report: &Path, account: &str) -> String {
    let all = Sheet::read(report, "全部 All");
    all.cell(all.row_where("帐号", account), "错误 Error")
        .to_string()
}

#[tokio::test]
async fn a_leader_given_by_name_is_sent_as_the_account_of_the_one_person_so_named() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    // 王总 and 李 经理 are in the sheet; 张三 only in the directory; 孙悟空 nowhere.
    let roster = roster_by_leader_name(&[
        "王总,wangzong,13900000001,办公逸,",
        "李经理,lijingli,13900000002,办公逸/研发部,王总",
        "赵六,zhaoliu,13900000003,办公逸/研发部/后端组,李 经理",
        "钱七,qianqi,13900000004,办公逸/研发部/后端组,张三",
        "孙八,sunba,13900000005,办公逸/研发部/后端组,孙悟空",
    ]);
    // Offline, the sheet's names are found, and those it lacks are left to the directory.
    let (bgy, offline, r) = checked_offline(bgy, &roster).await;
    r.assert_code(0);
    assert_eq!(r.json()["invalid"], 0, "{}", r.stdout);
    let report = offline.path("offline.xlsx");
    says(
        &report,
        &[
            (
                "lijingli",
                r#"leader "王总", by name, is account wangzong (row 2 of this file)"#,
            ),
            (
                "zhaoliu",
                r#"leader "李 经理", by name, is account lijingli (row 3 of this file)"#,
            ),
            (
                "sunba",
                r#"leader "孙悟空" is not an account, and nobody in this file has that name: a check online or an import looks for the name in the directory"#,
            ),
        ],
    );

    import_roster(&bgy, (4, 1)).await;
    let lead = |account: &str| emu.store.person(account).unwrap()["lead_id"].clone();
    assert_eq!(lead("lijingli"), "wangzong");
    assert_eq!(lead("zhaoliu"), "lijingli");
    assert_eq!(lead("qianqi"), "zhangsan");
    assert!(emu.store.person("sunba").is_none());
    let report = bgy.path("import.xlsx");
    assert!(said_of(&report, "qianqi")
        .contains(r#"leader "张三", by name, is account zhangsan in the directory"#));
    // Online, the name nobody has is the row's error, the offline warning taken back.
    let sunba = said_of(&report, "sunba");
    assert!(
        sunba.contains("neither an account (letters, digits, _ - . @) nor the name of anyone in this file or the directory")
            && !sunba.contains("looks for the name in the directory"),
        "{sunba}"
    );
    let failed = Sheet::read(&report, "失败 Failed");
    assert_eq!(
        failed.cell(failed.row_where("帐号", "sunba"), "直属主管"),
        "孙悟空"
    );
}

#[tokio::test]
async fn a_leaders_name_that_several_people_have_is_an_error_naming_two_of_them() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    // A second 李四 in the directory (lisi is the seed's).
    bgy.write(
        "second.csv",
        roster_by_leader_name(&["李四,lisi2,13900000011,办公逸/客服部,"]),
    );
    bgy.run(&["import", "second.csv"]).await.assert_code(0);
    bgy.write(
        "roster.csv",
        roster_by_leader_name(&[
            "王五,wangwu,13900000012,办公逸/研发部,",
            "王五,wangwu2,13900000013,办公逸/客服部,",
            // Neither 王五 sits in 办公逸 or above it.
            "周九,zhoujiu,13900000014,办公逸,王五",
            // The 王五 of 研发部 is above 后端组: the sheet's namesakes are told apart by the
            // 部门 of their rows, as the directory's are.
            "孙七,sunqi,13900000019,办公逸/研发部/后端组,王五",
            "吴十,wushi,13900000015,办公逸/研发部,李四",
            // One person's row twice is one person (the duplicate is an error of its own).
            "郑一,zhengyi,13900000016,办公逸/研发部,",
            "郑一,ZhengYi,13900000017,办公逸/研发部,",
            "冯二,fenger,13900000018,办公逸/研发部,郑一",
        ]),
    );
    let r = check_roster(&bgy, "check.xlsx").await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 4, "{}", r.stdout);
    let report = bgy.path("check.xlsx");
    says(
        &report,
        &[
            (
                "zhoujiu",
                r#"more than one person in this file is named "王五" (such as rows 2, 3): give the leader's account"#,
            ),
            (
                "wushi",
                r#"more than one person in the directory is named "李四" (such as lisi, lisi2): give the leader's account"#,
            ),
            (
                "sunqi",
                r#"more than one person in this file is named "王五": account wangwu (row 2), in 办公逸/研发部 (this row's department or one above it), is taken"#,
            ),
            (
                "fenger",
                r#"leader "郑一", by name, is account zhengyi (row 7 of this file)"#,
            ),
        ],
    );
    // What the import sends.
    bgy.run(&["import", "roster.csv"]).await.assert_code(1);
    let sunqi = emu.store.person("sunqi").unwrap();
    assert_eq!(sunqi["lead_id"], "wangwu", "{sunqi:?}");
    assert!(emu.store.person("zhoujiu").is_none());
}

/// A leader named in the rows after the leader's own is guessed as the sheet is read (so that
/// its report row is written then): a namesake further down takes the guess back, and the
/// report and what is sent say what the whole sheet shows.
#[tokio::test]
async fn a_leader_guessed_from_the_rows_before_gives_way_to_a_namesake_after() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "roster.csv",
        roster_by_leader_name(&[
            "王五,wangwu,13900000012,办公逸/研发部,",
            // Nowhere under either 王五's department: an error.
            "周九,zhoujiu,13900000014,办公逸,王五",
            "孙七,sunqi,13900000019,办公逸/研发部/后端组,王五",
            "吴十,wushi,13900000015,办公逸/客服部,王五",
            "王五,wangwu2,13900000013,办公逸/客服部,",
            // The one 赵六, before: the guess stands.
            "赵六,zhaoliu,13900000016,办公逸/研发部,",
            "冯二,fenger,13900000018,办公逸/研发部,赵六",
        ]),
    );
    let r = check_roster(&bgy, "check.xlsx").await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 1, "{}", r.stdout);
    let report = bgy.path("check.xlsx");
    says_of_the_leader_once(
        &report,
        &[
            (
                "zhoujiu",
                r#"named "王五" (such as rows 2, 6): give the leader's account"#,
            ),
            (
                "sunqi",
                r#"account wangwu (row 2), in 办公逸/研发部 (this row's"#,
            ),
            (
                "sunqi",
                "按部门取 办公逸/研发部 的帐号 wangwu(第 2 行;本行所在部门或其上级部门)",
            ),
            (
                "wushi",
                r#"account wangwu2 (row 6), in 办公逸/客服部 (this row's"#,
            ),
            (
                "fenger",
                r#"leader "赵六", by name, is account zhaoliu (row 7 of this file)"#,
            ),
        ],
    );
    bgy.run(&["import", "roster.csv"]).await.assert_code(1);
    let lead = |account: &str| emu.store.person(account).unwrap()["lead_id"].clone();
    assert_eq!(lead("sunqi"), "wangwu");
    assert_eq!(lead("wushi"), "wangwu2");
    assert_eq!(lead("fenger"), "zhaoliu");
}

/// Several people of the directory share the leader's name: the one who sits in the row's
/// department, else in the nearest department above it, is the leader, as HR would tell
/// them apart; two as near, or none above the row, is still the row's error.
#[tokio::test]
async fn a_leaders_name_several_people_have_is_told_apart_by_the_rows_department() {
    let (emu, bgy) = three_namesakes().await;
    bgy.write(
        "roster.csv",
        roster_by_leader_name(&[
            "周九,zhoujiu,13900000014,办公逸/研发部/后端组,李四",
            "郑一,zhengyi,13900000016,办公逸/研发部,李四",
            "吴十,wushi,13900000015,办公逸/客服部,李四",
        ]),
    );
    let r = bgy
        .run(&["import", "roster.csv", "--json", "--report", "import.xlsx"])
        .await;
    r.assert_code(1);
    assert_eq!(r.json()["created"], 2, "{}", r.stdout);
    let lead = |account: &str| emu.store.person(account).map(|p| p["lead_id"].clone());
    let lisi = |n: &str| Some(serde_json::Value::from(n));
    assert_eq!(lead("zhoujiu"), lisi("lisi"), "in the row's own department");
    assert_eq!(lead("zhengyi"), lisi("lisi3"), "the nearest above the row");
    assert_eq!(lead("wushi"), None, "two as near: not sent");
    let report = bgy.path("import.xlsx");
    let said = said_of(&report, "zhoujiu");
    assert!(
        said.contains(r#"more than one person in the directory is named "李四": account lisi, in 办公逸/研发部/后端组 (this row's department or one above it), is taken"#),
        "{said}"
    );
    assert!(said_of(&report, "zhengyi").contains("account lisi3, in 办公逸 ("));
    let said = said_of(&report, "wushi");
    assert!(
        said.contains(r#"more than one person in the directory is named "李四" (such as"#),
        "{said}"
    );

    // Nobody leads themselves: lisi's own row means another 李四 (lisi3, at the root, is above
    // 后端组), and 孙七's means nobody, nor 张三's (the directory's one 张三 is the row's own).
    bgy.write(
        "self.csv",
        roster_by_leader_name(&[
            "李四,lisi,13900000019,办公逸/研发部/后端组,李四",
            "孙七,sunqi,13900000017,办公逸/研发部,孙七",
            "张三,zhangsan,13900000018,办公逸/研发部,张三",
        ]),
    );
    let r = bgy
        .run(&[
            "import",
            "self.csv",
            "--json",
            "--cover",
            "overwrite",
            "--report",
            "self.xlsx",
        ])
        .await;
    r.assert_code(1);
    assert_eq!(lead("lisi"), lisi("lisi3"), "{}", r.stdout);
    assert!(
        emu.store.person("sunqi").is_none(),
        "孙七 leads nobody but himself"
    );
    let zhangsan = emu.store.person("zhangsan").unwrap();
    assert!(
        zhangsan.get("lead_id").is_none_or(|l| l == ""),
        "张三 is not sent as his own leader: {zhangsan:?}"
    );
    for own in ["sunqi", "zhangsan"] {
        let said = said_of(&bgy.path("self.xlsx"), own);
        assert!(
            said.contains(
                "is this row's own name, and nobody else in this file or the directory has it"
            ),
            "{own}: {said}"
        );
    }
}

/// A row without 部门 (a template of 部门ID) is placed by its 部门ID to tell a leader's
/// namesakes apart.
#[tokio::test]
async fn a_row_of_department_ids_tells_a_leaders_namesakes_apart_by_them() {
    let (emu, bgy) = three_namesakes().await;
    let lead = |account: &str| emu.store.person(account).map(|p| p["lead_id"].clone());
    let lisi = |n: &str| Some(serde_json::Value::from(n));

    // 后端组 is we_id 4, 研发部 2.
    bgy.write(
        "ids.csv",
        "姓名,帐号,手机,部门ID,直属主管\n\
         周九,zhoujiu,13900000014,4,李四\n\
         郑一,zhengyi,13900000016,2,李四\n",
    );
    let r = bgy.run(&["import", "ids.csv", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 2, "{}", r.stdout);
    assert_eq!(
        lead("zhoujiu"),
        lisi("lisi"),
        "in the department its id names"
    );
    assert_eq!(
        lead("zhengyi"),
        lisi("lisi3"),
        "above the department its id names"
    );
}

/// An HR export names each person's own department only (`后端组`, not
/// `办公逸/研发部/后端组`), as 北森 and 钉钉 do: two 王磊 are told apart once the directory's
/// tree completes those names, so 孙丽 of 后端组 reports to the 王磊 of 研发部, above it. Offline,
/// nothing says 后端组 is under 研发部: the row is an error that names both.
#[tokio::test]
async fn namesakes_are_told_apart_by_departments_the_sheet_names_by_their_ends() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let roster = roster_by_leader_name(&[
        "王磊,wanglei_a,13900000021,研发部,",
        "孙丽,sunli,13900000022,后端组,王磊",
        "王磊,wanglei_b,13900000023,客服部,",
        "周九,zhoujiu,13900000024,客服部,王磊",
        // The root is above both 王磊: still an error.
        "陈静,chenjing,13900000025,办公逸,王磊",
    ]);
    let (bgy, offline, r) = checked_offline(bgy, &roster).await;
    assert_eq!(r.json()["invalid"], 2, "{}", r.stdout);
    let said = said_of(&offline.path("offline.xlsx"), "sunli");
    assert!(
        said.contains(r#"named "王磊" (such as rows 2, 4)"#),
        "{said}"
    );

    let r = check_roster(&bgy, "check.xlsx").await;
    assert_eq!(r.json()["invalid"], 1, "{}", r.stdout);
    let report = bgy.path("check.xlsx");
    says_of_the_leader_once(
        &report,
        &[
            (
                "sunli",
                r#"account wanglei_a (row 2), in 办公逸/研发部 (this row's"#,
            ),
            (
                "zhoujiu",
                r#"account wanglei_b (row 4), in 客服部 (this row's"#,
            ),
            ("chenjing", r#"named "王磊" (such as rows 2, 4)"#),
        ],
    );
    bgy.run(&["import", "roster.csv"]).await.assert_code(1);
    let lead = |account: &str| emu.store.person(account).map(|p| p["lead_id"].clone());
    let account = |a: &str| Some(serde_json::Value::from(a));
    assert_eq!(lead("sunli"), account("wanglei_a"));
    assert_eq!(lead("zhoujiu"), account("wanglei_b"));
    assert_eq!(lead("chenjing"), None, "not sent");
}

/// Namesakes are told apart by department up to 200 of them: a 姓名 and a 直接上级 dragged
/// down a sheet (20,000 张伟, each led by 张伟) made every row look at every 张伟, 32 s. With
/// 200 张伟 the one in 研发部 leads 孙丽 of 研发部; with 201 the row must give the account.
#[tokio::test]
async fn more_namesakes_than_are_told_apart_ask_for_the_account() {
    for (n, told) in [(200, true), (201, false)] {
        let mut rows = vec!["张伟,zw0,13900100000,办公逸/研发部,".to_string()];
        rows.extend((1..n).map(|k| format!("张伟,zw{k},139{:08},办公逸/客服部,", 100_000 + k)));
        rows.push("孙丽,sunli,13900099999,办公逸/研发部,张伟".into());
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let bgy = Bgy::new();
        bgy.write("roster.csv", roster_by_leader_name(&rows));
        let r = check_roster(&bgy, "check.xlsx").await;
        assert_eq!(r.json()["invalid"], u32::from(!told), "{n}: {}", r.stdout);
        let said = said_of(&bgy.path("check.xlsx"), "sunli");
        let expected = match told {
            true => "account zw0 (row 2), in 办公逸/研发部 (this row's",
            false => r#"named "张伟" (such as rows 2, 3): give the leader's account"#,
        };
        assert!(said.contains(expected), "{n}: {said}");
    }
}

/// The company's head far down a long sheet, checked while the sheet is still read: the
/// department named after the company is the root only once the whole sheet shows its other
/// paths start with that name, so the row waits for it.
#[tokio::test]
async fn the_company_named_alone_is_the_root_however_far_down_the_sheet() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let mut csv = String::from("帐号,姓名,手机,部门\n");
    for i in 0..20_000 {
        csv.push_str(&format!("f{i},员工{i},{},办公逸/研发部\n", mobile("f", i)));
    }
    csv.push_str("boss,老板,13800000070,北京某某科技有限公司\n");
    csv.push_str("dev,开发,13800000071,北京某某科技有限公司/研发部\n");
    bgy.write("long.csv", csv);
    let r = bgy
        .run(&["check", "long.csv", "--json", "--report", "r.xlsx"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["invalid"], 0, "{}", r.stderr);
    assert!(said_of(&bgy.path("r.xlsx"), "boss").contains(
        "department 北京某某科技有限公司 taken as 办公逸 (the directory's root department is 办公逸)"
    ));
}

/// A leader written as a one-word Latin name (`tom`) is spelled like an account: when nobody
/// has it as an account, the one person so named, in the sheet or else the directory, is meant.
#[tokio::test]
async fn a_leader_spelled_as_an_account_nobody_has_is_the_one_person_of_that_name() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "butch.csv",
        roster_by_leader_name(&["Butch,butch.cat,13900000021,办公逸/研发部,"]),
    );
    bgy.run(&["import", "butch.csv"]).await.assert_code(0);
    bgy.write(
        "roster.csv",
        roster_by_leader_name(&[
            "Tom,tom.wang,13900000022,办公逸/研发部,",
            "Jerry,jerry,13900000023,办公逸/研发部,tom",
            "Spike,spike,13900000024,办公逸/研发部,butch",
            "Tyke,tyke,13900000025,办公逸/研发部,lisi",
            "Nibbles,nibbles,13900000026,办公逸/研发部,nobody9",
            "Droopy,droopy1,13900000027,办公逸/研发部,",
            "Droopy,droopy2,13900000028,办公逸/研发部,",
            "Barney,barney,13900000029,办公逸/研发部,droopy",
        ]),
    );
    let r = bgy
        .run(&["import", "roster.csv", "--json", "--report", "r.xlsx"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 8, "{}", r.stdout);
    let lead = |account: &str| emu.store.person(account).unwrap()["lead_id"].clone();
    assert_eq!(lead("jerry"), "tom.wang");
    assert_eq!(lead("spike"), "butch.cat");
    assert_eq!(lead("tyke"), "lisi");
    // Nobody has it, as an account or a name: sent as written, with the warning it had.
    assert_eq!(lead("nibbles"), "nobody9");
    // Several called so: none of them is guessed.
    assert_eq!(lead("barney"), "droopy");
    let report = bgy.path("r.xlsx");
    says(
        &report,
        &[
            (
                "jerry",
                r#"leader "tom", by name, is account tom.wang (row 2 of this file)"#,
            ),
            (
                "spike",
                r#"leader "butch", by name, is account butch.cat in the directory"#,
            ),
            (
                "nibbles",
                "leader nobody9 is neither in the directory nor in this file",
            ),
            (
                "barney",
                "leader droopy is neither in the directory nor in this file; more than one person is called so (rows 7, 8 of this file): give the account",
            ),
        ],
    );
    assert_eq!(said_of(&report, "tyke"), "");
}

/// A 直接上级 written as HR systems write a person, `王总(wangzong)`: the account in brackets
/// when it is that name's (in the sheet or the directory), the name alone when nobody has the
/// account (HR's own number), an error when it is somebody else's.
#[tokio::test]
async fn a_leader_written_as_a_name_and_an_account_in_brackets_is_that_account() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let roster = roster_by_leader_name(&[
        "王总,wangzong,13900000031,办公逸,",
        "李经理,lijingli,13900000032,办公逸/研发部,王总(wangzong)",
        "赵六,zhaoliu,13900000033,办公逸/研发部/后端组,李 经理（lijingli）",
        "钱七,qianqi,13900000034,办公逸/研发部/后端组,张三(zhangsan)",
        // HR's own number in the brackets: the name alone.
        "孙八,sunba,13900000035,办公逸/研发部/后端组,王总(10086)",
        // Somebody else's account: in the sheet, in the directory.
        "周九,zhoujiu,13900000036,办公逸/研发部,王总(lijingli)",
        "吴十,wushi,13900000037,办公逸/研发部,王总(lisi)",
        // The leader's row after the row that names it.
        "郑一,zhengyi,13900000038,办公逸,陈大(chenda)",
        "陈大,chenda,13900000039,办公逸,",
    ]);
    let (bgy, offline, r) = checked_offline(bgy, &roster).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 1, "{}", r.stdout);
    let report = offline.path("offline.xlsx");
    says_of_the_leader_once(
        &report,
        &[
            (
                "zhoujiu",
                r#"leader "王总(lijingli)": account lijingli is "李经理" (row 3 of this file), not "王总""#,
            ),
            (
                "wushi",
                r#"leader "王总(lisi)": nobody in this file has account lisi. A check online or an import looks for the account in the directory"#,
            ),
            (
                "qianqi",
                r#"leader "张三(zhangsan)": nobody in this file has account zhangsan"#,
            ),
        ],
    );
    for exact in ["lijingli", "zhaoliu", "zhengyi"] {
        assert_eq!(said_of(&report, exact), "", "{exact}");
    }

    import_roster(&bgy, (7, 2)).await;
    let lead = |account: &str| emu.store.person(account).unwrap()["lead_id"].clone();
    assert_eq!(lead("lijingli"), "wangzong");
    assert_eq!(lead("zhaoliu"), "lijingli");
    assert_eq!(lead("qianqi"), "zhangsan");
    assert_eq!(lead("sunba"), "wangzong");
    assert_eq!(lead("zhengyi"), "chenda");
    assert!(emu.store.person("zhoujiu").is_none() && emu.store.person("wushi").is_none());
    let report = bgy.path("import.xlsx");
    says_of_the_leader_once(
        &report,
        &[
            (
                "sunba",
                r#"leader "王总(10086)", by name, is account wangzong (row 2 of this file)"#,
            ),
            (
                "wushi",
                r#"leader "王总(lisi)": account lisi is "李四" in the directory, not "王总"; check it and give the leader's account alone"#,
            ),
        ],
    );
    for exact in ["lijingli", "zhaoliu", "qianqi", "zhengyi"] {
        assert_eq!(said_of(&report, exact), "", "{exact}");
    }
}

/// A row whose 直属主管 is the row's own person, as some HR systems fill it for whoever leads
/// the company: the account, alone or in brackets, is taken as written; a name is looked for
/// among the others only, and said so when only the row has it.
#[tokio::test]
async fn a_leader_who_is_the_row_itself_is_taken_by_account_and_never_by_name() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let roster = roster_by_leader_name(&[
        "王总,wangzong,13900000041,办公逸,wangzong",
        "李总,lizong,13900000042,办公逸,李总(lizong)",
        "赵总,zhaozong,13900000043,办公逸,赵 总",
        // Its own account with another's name: somebody else's account, as anywhere.
        "钱总,qianzong,13900000044,办公逸,王总(qianzong)",
        // The directory's 张三 (zhangsan) is another person of the row's name.
        "张三,zhangsan2,13900000045,办公逸/研发部,张三",
    ]);
    let (bgy, offline, r) = checked_offline(bgy, &roster).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 1, "{}", r.stdout);
    let report = offline.path("offline.xlsx");
    says_of_the_leader_once(
        &report,
        &[
            (
                "zhaozong",
                r#"leader "赵 总" is this row's own name, and nobody else in this file has it: a check online or an import looks for someone else of that name in the directory, and fails the row if there is nobody"#,
            ),
            (
                "qianzong",
                r#"leader "王总(qianzong)": account qianzong is "钱总" (row 5 of this file), not "王总""#,
            ),
        ],
    );
    for exact in ["wangzong", "lizong"] {
        assert_eq!(said_of(&report, exact), "", "{exact}");
    }

    import_roster(&bgy, (3, 2)).await;
    let lead = |account: &str| emu.store.person(account).unwrap()["lead_id"].clone();
    assert_eq!(lead("wangzong"), "wangzong");
    assert_eq!(lead("lizong"), "lizong");
    assert_eq!(lead("zhangsan2"), "zhangsan");
    assert!(emu.store.person("zhaozong").is_none());
    let zhaozong = said_of(&bgy.path("import.xlsx"), "zhaozong");
    assert!(
        zhaozong.contains(r#"leader "赵 总" is this row's own name, and nobody else in this file or the directory has it (a leader given by name is never the person themselves): give the leader's account or name, or leave it empty"#)
            && zhaozong.matches("lead_id:").count() == 1,
        "{zhaozong}"
    );
}

#[tokio::test]
async fn a_lunar_birthday_is_a_day_of_the_lunar_calendar() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    // 2001's 二月 has 30 days, 1998's 29; 1998 has a 闰五月 and no 闰二月.
    let rows: &[&[&str]] = &[
        &["帐号", "姓名", "手机", "部门", "农历生日"],
        &["lu01", "陆一", "13900000101", "办公逸", "2001-02-30"],
        &["lu02", "陆二", "13900000102", "办公逸", "1998年腊月初八"],
        &[
            "lu03",
            "陆三",
            "13900000103",
            "办公逸",
            "农历1998年闰五月二十三",
        ],
        &["lu04", "陆四", "13900000104", "办公逸", "1998-02-30"],
        &["lu05", "陆五", "13900000105", "办公逸", "腊月初八"],
        &["lu06", "陆六", "13900000106", "办公逸", "1998-01-31"],
        &["lu07", "陆七", "13900000107", "办公逸", "1998年闰二月初一"],
        &["lu08", "陆八", "13900000108", "办公逸", ""],
    ];
    let mut wb = workbook_of(&[("Sheet1", rows)]);
    // Typed as 2001-03-15, made a date cell by Excel: the numbers typed.
    let day = rust_xlsxwriter::ExcelDateTime::from_ymd(2001, 3, 15).unwrap();
    let date = rust_xlsxwriter::Format::new().set_num_format("yyyy-mm-dd");
    let ws = wb.worksheet_from_index(0).unwrap();
    ws.write_datetime_with_format(8, 4, &day, &date).unwrap();
    wb.save(bgy.path("lunar.xlsx")).unwrap();

    let r = bgy
        .run(&["import", "lunar.xlsx", "--json", "--report", "import.xlsx"])
        .await;
    r.assert_code(1);
    let j = r.json();
    assert_eq!(
        (j["created"].as_u64(), j["invalid"].as_u64()),
        (Some(4), Some(4)),
        "{j}"
    );
    let lunar = |account: &str| emu.store.person(account).unwrap()["birthday_l"].clone();
    assert_eq!(lunar("lu01"), "2001-02-30");
    assert_eq!(lunar("lu02"), "1998-12-08");
    assert_eq!(lunar("lu03"), "1998-05-23");
    assert_eq!(lunar("lu08"), "2001-03-15");
    let report = bgy.path("import.xlsx");
    for (account, said) in [
        (
            "lu03",
            "leap month 5 of the lunar year 1998 is sent as month 5 (1998-05-23)",
        ),
        (
            "lu04",
            "no such lunar date: 1998-02-30 (month 2 of the lunar year 1998 has 29 days)",
        ),
        (
            "lu05",
            r#"the lunar date "腊月初八" has no year; add the year, as in 1998年腊月初八"#,
        ),
        ("lu06", "no such day of the lunar calendar: 1998-01-31"),
        ("lu07", "农历1998年闰二月不存在"),
    ] {
        let error = said_of(&report, account);
        assert!(error.contains(said), "{account}: {error}");
    }

    // The export writes the directory's lunar days as text, a day 30 of 二月 included, and
    // reads them back as they were.
    bgy.run(&["export", "-o", "export.xlsx"])
        .await
        .assert_code(0);
    let export = Sheet::read(&bgy.path("export.xlsx"), "成员 Staff");
    for (account, day) in [("lu01", "2001-02-30"), ("lu02", "1998-12-08")] {
        let row = export.row_where("帐号*", account);
        assert_eq!(export.cell(row, "农历生日"), day, "{account}");
    }
    let r = bgy
        .run(&["plan", "export.xlsx", "--json", "--report", "plan.xlsx"])
        .await;
    r.assert_code(0);
    let j = r.json();
    let count = |k: &str| j[k].as_u64();
    assert_eq!(
        (count("unchanged"), count("updated"), count("invalid")),
        (count("total"), Some(0), Some(0)),
        "{j}"
    );
}

#[tokio::test]
async fn a_year_or_a_month_in_a_date_column_is_not_sent_as_a_day_of_1900_1905() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    // HR writes 参加工作时间 as 2010 or 2010.07, and a 生日 as 5.20, which Excel stores as
    // numbers: as serials, days of 1900-1905. 45000 is a serial (2023-03-15).
    let header = ["帐号", "姓名", "手机", "部门", "参加工作时间", "生日"]
        .map(C::T)
        .to_vec();
    let row = |account, mobile, work, birthday| {
        vec![
            C::T(account),
            C::T("王一"),
            C::T(mobile),
            C::T("办公逸"),
            work,
            birthday,
        ]
    };
    let none = C::T("");
    write_xlsx(
        &bgy.path("years.xlsx"),
        "Sheet1",
        &[
            header,
            row("y01", "13900000201", C::N(2010.0), none),
            row("y02", "13900000202", C::N(2010.07), none),
            row("y03", "13900000203", C::T("2010.07"), none),
            row("y04", "13900000204", C::T("2010年7月"), none),
            row("y05", "13900000205", C::N(45000.0), none),
            row("y06", "13900000206", none, C::N(5.2)),
        ],
    );
    let r = bgy
        .run(&["import", "years.xlsx", "--json", "--report", "import.xlsx"])
        .await;
    r.assert_code(1);
    let j = r.json();
    assert_eq!(
        (j["created"].as_u64(), j["invalid"].as_u64()),
        (Some(1), Some(5)),
        "{j}"
    );
    assert_eq!(emu.store.person("y05").unwrap()["work_time"], "2023-03-15");
    let report = bgy.path("import.xlsx");
    for (account, shown) in [
        ("y01", "2010"),
        ("y02", "2010.07"),
        ("y03", "2010.07"),
        ("y04", "2010年7月"),
        ("y06", "5.2"),
    ] {
        assert!(emu.store.person(account).is_none(), "{account}");
        let error = said_of(&report, account);
        let said = format!("{shown} is not a whole date (a year, a year.month or a month.day?)");
        assert!(error.contains(&said), "{account}: {error}");
    }
}
