//! Departments as part of plan/sync, and `bgy dept`: creates parents first, renames, row
//! errors before anything is sent, and no twin departments under lost answers.

use serde_json::json;

use crate::common::*;

/// Writes the export's staff sheet (as is, or with edits) and a departments sheet.
pub fn write_book(path: &std::path::Path, staff: &[Vec<String>], depts: &[Vec<String>]) {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for (name, rows) in [("成员 Staff", staff), ("部门 Departments", depts)] {
        let ws = wb.add_worksheet();
        ws.set_name(name).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                if !v.is_empty() {
                    ws.write_string(r as u32, c as u16, v).unwrap();
                }
            }
        }
    }
    wb.save(path).unwrap();
}

/// The directory exported, its staff sheet read back.
async fn exported_staff(bgy: &Bgy) -> Vec<Vec<String>> {
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    read_sheet(&bgy.path("x.xlsx"), "成员 Staff")
}

/// A sheet row of `v`.
fn cells(v: &[&str]) -> Vec<String> {
    v.iter().map(|x| x.to_string()).collect()
}

/// The edited departments sheet: 客服部 → 客户成功部, 后端组 → 服务端组, and three nested new
/// departments under 研发部; one person moves into the deepest new one.
async fn edited_book(bgy: &Bgy) -> std::path::PathBuf {
    bgy.run(&["export", "-o", "x.xlsx"]).await.assert_code(0);
    let mut staff = read_sheet(&bgy.path("x.xlsx"), "成员 Staff");
    let mut depts = read_sheet(&bgy.path("x.xlsx"), "部门 Departments");
    for row in depts.iter_mut() {
        match row[0].as_str() {
            "3" => row[1] = "客户成功部".into(),
            "4" => row[1] = "服务端组".into(),
            _ => {}
        }
    }
    for path in [
        "办公逸/研发部/平台组",
        "办公逸/研发部/平台组/存储",
        "办公逸/研发部/平台组/存储/冷存储",
    ] {
        depts.push(vec![
            String::new(),
            String::new(),
            String::new(),
            path.into(),
        ]);
    }
    let (acc, dept, ids) = (
        col(&staff, "帐号*"),
        col(&staff, "部门"),
        col(&staff, "部门ID"),
    );
    let i = staff.iter().position(|r| r[acc] == "zhangsan").unwrap();
    staff[i][dept] = "办公逸/研发部/平台组/存储/冷存储".into();
    staff[i][ids] = String::new();
    let path = bgy.path("edited.xlsx");
    write_book(&path, &staff, &depts);
    path
}

#[tokio::test]
async fn three_nested_creates_and_two_renames_plan_sync_export_then_nothing() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let book = edited_book(&bgy).await;
    let book = book.to_str().unwrap();

    let r = bgy
        .run(&["plan", book, "--json", "--report", "plan.xlsx"])
        .await;
    r.assert_code(0);
    let j = r.json();
    assert_eq!(
        (
            j["departments_created"].clone(),
            j["departments_renamed"].clone()
        ),
        (json!(3), json!(2)),
        "{}",
        r.stderr
    );
    assert_eq!(
        (j["updated"].clone(), j["unchanged"].clone()),
        (json!(1), json!(1))
    );
    assert!(
        r.stderr
            .contains("新建部门 (create department) 办公逸/研发部/平台组/存储/冷存储"),
        "{}",
        r.stderr
    );
    assert!(
        r.stderr
            .contains("办公逸/客服部 (we_id 3)  名称 we_name: 客服部 → 客户成功部"),
        "{}",
        r.stderr
    );
    let plan = read_sheet(&bgy.path("plan.xlsx"), "计划 Plan");
    assert_eq!(
        plan.iter()
            .filter(|l| l[0] == "新建部门 (create department)")
            .count(),
        3
    );
    assert_eq!(
        plan.iter()
            .filter(|l| l[0] == "重命名部门 (rename department)")
            .count(),
        2
    );
    assert_eq!(
        emu.stats.calls("department/createdepartment")
            + emu.stats.calls("department/editdepartment"),
        0
    );

    let r = bgy
        .run(&["sync", book, "--json", "--report", "sync.xlsx"])
        .await;
    r.assert_code(0);
    assert_eq!(
        (
            r.json()["departments_created"].clone(),
            r.json()["updated"].clone()
        ),
        (json!(3), json!(1))
    );
    assert_eq!(emu.stats.calls("department/createdepartment"), 3);
    assert_eq!(emu.stats.calls("department/editdepartment"), 2);
    let depts = emu.store.departments();
    let by_name = |n: &str| {
        depts
            .iter()
            .find(|d| d.we_name == n)
            .unwrap_or_else(|| panic!("{n} in {depts:?}"))
            .clone()
    };
    let (platform, storage, cold) = (by_name("平台组"), by_name("存储"), by_name("冷存储"));
    assert_eq!(
        (platform.we_parentid, storage.we_parentid, cold.we_parentid),
        (2, platform.we_id, storage.we_id)
    );
    assert!(
        platform.we_id < storage.we_id && storage.we_id < cold.we_id,
        "parents first"
    );
    assert_eq!(
        (by_name("客户成功部").we_id, by_name("服务端组").we_id),
        (3, 4)
    );
    assert_eq!(
        emu.store.person("zhangsan").unwrap()["we_department"],
        cold.we_id.to_string()
    );

    bgy.run(&["export", "-o", "after.xlsx"])
        .await
        .assert_code(0);
    let paths: Vec<String> = read_sheet(&bgy.path("after.xlsx"), "部门 Departments")
        .iter()
        .map(|r| r[3].clone())
        .collect();
    for p in [
        "办公逸/客户成功部",
        "办公逸/研发部/服务端组",
        "办公逸/研发部/平台组/存储/冷存储",
    ] {
        assert!(paths.contains(&p.to_string()), "{p} in {paths:?}");
    }
    emu.stats.reset();
    for input in ["after.xlsx", book] {
        let r = bgy
            .run(&["plan", input, "--json", "--report", "again.xlsx"])
            .await;
        let j = r.json();
        assert_eq!(
            (
                j["departments_created"].clone(),
                j["departments_renamed"].clone(),
                j["updated"].clone(),
                j["created"].clone()
            ),
            (json!(0), json!(0), json!(0), json!(0)),
            "{input}: {}",
            r.stderr
        );
    }
    let r = bgy
        .run(&["sync", book, "--json", "--report", "again.xlsx"])
        .await;
    r.assert_code(0);
    assert_eq!(
        emu.stats.calls("department/createdepartment")
            + emu.stats.calls("department/editdepartment")
            + emu.stats.calls("staff/add"),
        0,
        "a re-run is a no-op"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn under_faults_the_same_sync_makes_exactly_three_departments() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let book = edited_book(&bgy).await;
    emu.set_fail_rate(0.35);
    let r = bgy.run(&["sync", book.to_str().unwrap(), "--json"]).await;
    r.assert_code(0);
    emu.set_fail_rate(0.0);
    let depts = emu.store.departments();
    assert_eq!(depts.len(), 5 + 3, "{depts:?}");
    for n in ["平台组", "存储", "冷存储", "客户成功部", "服务端组"] {
        assert_eq!(depts.iter().filter(|d| d.we_name == n).count(), 1, "{n}");
    }
}

#[tokio::test]
async fn bad_department_rows_are_errors_before_anything_is_sent() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let staff = exported_staff(&bgy).await;
    let depts = vec![
        cells(&[
            "部门ID we_id",
            "名称 Name",
            "上级ID Parent",
            "完整路径 Path",
        ]),
        cells(&["2", "", "", ""]),
        cells(&["3", "研发部", "", ""]),
        cells(&["4", "a/b", "", ""]),
        cells(&["", "", "", "办公逸/新部门"]),
        cells(&["", "", "", "办公逸/新部门"]),
        cells(&["", "", "", "办公逸/不存在/子部门"]),
        cells(&["", "", "", "办公逸/好部门"]),
    ];
    write_book(&bgy.path("bad.xlsx"), &staff, &depts);
    let r = bgy.run(&["sync", "bad.xlsx", "--json"]).await;
    r.assert_code(1);
    let j = r.json();
    assert_eq!(
        (j["invalid"].clone(), j["departments_created"].clone()),
        (json!(6), json!(1)),
        "{}",
        r.stderr
    );
    for expected in [
        "名称不能为空",
        "同级已有名为 \"研发部\"",
        "不能包含 / 或 ;",
        "与第 6 行新建同一个部门",
        "上级部门 办公逸/不存在 不存在",
    ] {
        assert!(r.stderr.contains(expected), "{expected} in {}", r.stderr);
    }
    assert_eq!(emu.stats.calls("department/editdepartment"), 0);
    assert_eq!(
        emu.stats.calls("department/createdepartment"),
        1,
        "only the valid create"
    );
    assert!(emu
        .store
        .departments()
        .iter()
        .any(|d| d.we_name == "好部门"));
}

#[tokio::test]
async fn dept_add_rename_and_list() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let r = bgy.run(&["dept", "add", "办公逸／市场部/华东区"]).await;
    r.assert_code(0);
    let depts = emu.store.departments();
    let east = depts.iter().find(|d| d.we_name == "华东区").unwrap();
    assert_eq!(r.stdout.trim(), east.we_id.to_string());
    let r = bgy.run(&["dept", "add", "办公逸/市场部/华东区"]).await;
    assert_eq!(
        (r.code, r.stdout.trim()),
        (0, east.we_id.to_string().as_str()),
        "idempotent"
    );
    assert!(r.stderr.contains("已存在,没有新建"), "{}", r.stderr);
    assert_eq!(emu.stats.calls("department/createdepartment"), 2);

    let r = bgy
        .run(&["dept", "rename", "办公逸/市场部", "品牌市场部"])
        .await;
    r.assert_code(0);
    let r = bgy.run(&["dept", "rename", "3", "研发部"]).await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("下已经有名为 \"研发部\" 的部门")
            && r.stderr
                .contains("already has a department named \"研发部\""),
        "{}",
        r.stderr
    );

    let r = bgy.run(&["dept", "list"]).await;
    r.assert_code(0);
    assert!(
        r.stdout
            .contains("办公逸 [1] 0\n  研发部 [2] 1\n    后端组 [4] 1\n"),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("  品牌市场部 ["), "{}", r.stdout);
    let r = bgy.run(&["dept", "list", "--json"]).await;
    let list = r.json()["departments"].as_array().unwrap().clone();
    let east = list.iter().find(|d| d["name"] == "华东区").unwrap();
    assert_eq!(east["path"], "办公逸/品牌市场部/华东区");
}

#[tokio::test]
async fn a_path_without_its_root_is_completed_when_one_department_ends_it() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    bgy.write(
        "tails.csv",
        // The same 部门 on two rows: each row is completed, not only the first.
        "帐号,姓名,手机,部门\ntail1,甲,13800000101,研发部/后端组\ntail1b,丁,13800000103,研发部/后端组\n",
    );
    let r = bgy.run(&["import", "tails.csv"]).await;
    r.assert_code(0);
    assert!(
        r.stderr.contains("taken as 办公逸/研发部/后端组"),
        "{}",
        r.stderr
    );
    for account in ["tail1", "tail1b"] {
        assert_eq!(
            emu.store.person(account).unwrap()["we_department"],
            "4",
            "{account} sent as the full path"
        );
    }

    // Two 后端组 now: the tail alone could be either.
    bgy.run(&["dept", "add", "办公逸/客服部/后端组"])
        .await
        .assert_code(0);
    bgy.write(
        "ambiguous.csv",
        "帐号,姓名,手机,部门\ntail2,乙,13800000102,后端组\ntail3,丙,13800000104,后端组\n",
    );
    let r = bgy.run(&["import", "ambiguous.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(
        r.json()["invalid"],
        2,
        "each row naming the tail is refused"
    );
    assert!(
        r.stderr
            .contains("办公逸/客服部/后端组、办公逸/研发部/后端组"),
        "both candidates named: {}",
        r.stderr
    );
    assert!(emu.store.person("tail2").is_none());
}

#[tokio::test]
async fn a_department_path_has_one_rule_wherever_it_is_typed() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let long = format!("办公逸/{}", "长".repeat(65));
    // A staff sheet's 部门 column.
    bgy.write(
        "staff.csv",
        format!(
            "帐号,姓名,手机,部门\nx1,甲,13700000001,办公逸//研发部\nx2,乙,13700000002,{long}\n"
        ),
    );
    bgy.run(&["check", "staff.csv"]).await.assert_code(1);
    let failed = read_sheet(&the_report(bgy.dir.path()), "失败 Failed");
    let error = col(&failed, "错误 Error");
    assert!(
        failed[1][error].contains("has an empty level"),
        "{:?}",
        failed[1]
    );
    assert!(
        failed[2][error].contains("longer than 64 characters"),
        "{:?}",
        failed[2]
    );
    // A departments sheet: refused, not dropped.
    let staff = exported_staff(&bgy).await;
    let header = [
        "部门ID we_id",
        "名称 Name",
        "上级ID Parent",
        "完整路径 Path",
    ]
    .map(String::from);
    let row = ["", "", "", "办公逸//新部门"].map(String::from);
    write_book(
        &bgy.path("depts.xlsx"),
        &staff,
        &[header.to_vec(), row.to_vec()],
    );
    let r = bgy.run(&["plan", "depts.xlsx", "--json"]).await;
    assert_eq!(r.json()["invalid"], 1, "{}", r.stderr);
    // dept add and export --department.
    let r = bgy.run(&["dept", "add", "办公逸//新部门"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("has an empty level"), "{}", r.stderr);
    let r = bgy
        .run(&["export", "--department", &long, "-o", "y.csv"])
        .await;
    r.assert_code(2);
    assert!(
        r.stderr.contains("longer than 64 characters"),
        "{}",
        r.stderr
    );
    assert_eq!(emu.stats.calls("department/createdepartment"), 0);
}

/// The departments sheet is read like every other layout: its header is found among title
/// rows, the columns in any order under their short names, and a sheet whose header names
/// none of them is refused by name (exit 2) before anything is sent.
#[tokio::test]
async fn the_departments_sheet_has_a_header_found_like_any_other() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let staff = exported_staff(&bgy).await;
    let depts = vec![
        cells(&["2026 年组织调整"]),
        cells(&["路径", "部门ID", "负责人"]),
        cells(&["办公逸/新部门", "", "王总"]),
    ];
    write_book(&bgy.path("moved.xlsx"), &staff, &depts);
    let r = bgy.run(&["sync", "moved.xlsx", "--json"]).await;
    r.assert_code(0);
    assert_eq!(r.json()["departments_created"], json!(1), "{}", r.stderr);
    // A column it does not read is said, in that sheet's name.
    assert!(
        r.stderr
            .contains(r#"部门 Departments: 列 C2 "负责人" 不是已知的列,已忽略"#)
            && r.stderr.contains(
                r#"(部门 Departments: column C2 "负责人" is not a known column; ignored"#
            ),
        "{}",
        r.stderr
    );

    let depts = vec![cells(&["部门", "备注"]), cells(&["办公逸/又一个", ""])];
    write_book(&bgy.path("nohead.xlsx"), &staff, &depts);
    let r = bgy.run(&["sync", "nohead.xlsx"]).await;
    r.assert_code(2);
    assert!(r.stderr.contains("部门ID we_id"), "{}", r.stderr);
    assert_eq!(emu.stats.calls("department/createdepartment"), 1);
}

/// A sync of a sheet whose 部门 names departments the directory lacks: its rows were invalid,
/// and only an import could make them. `--create-departments` plans them (every missing level,
/// parents first), a sync makes them before anyone is sent and places the people there, and
/// the history has them: an undo takes the people back and says the departments stay.
#[tokio::test]
async fn plan_and_sync_make_the_departments_the_sheet_names_on_request() {
    let emu = emulator().await;
    let bgy = Bgy::new().against(&emu);
    let departments = emu.store.departments().len();
    bgy.write(
        "new.csv",
        "帐号,姓名,手机,部门\nnd1,一,13800000101,办公逸/新中心/一组\nnd2,二,13800000102,办公逸/新中心/二组\nnd3,三,13800000103,办公逸/研发部\n",
    );
    let r = bgy.run(&["plan", "new.csv", "--json"]).await;
    r.assert_code(1);
    assert_eq!(r.json()["invalid"], 2, "{}", r.stderr);
    assert!(r.stderr.contains("→ --create-departments"), "{}", r.stderr);

    let r = bgy
        .run(&["plan", "new.csv", "--create-departments", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 3, "{}", r.stderr);
    assert_eq!(r.json()["departments_created"], 3, "{}", r.stdout);
    for path in ["办公逸/新中心", "办公逸/新中心/一组", "办公逸/新中心/二组"]
    {
        let line = format!("新建部门 (create department) {path}\n");
        assert!(r.stderr.contains(&line), "{path}: {}", r.stderr);
    }
    assert_eq!(
        emu.store.departments().len(),
        departments,
        "a plan sends nothing"
    );

    let r = bgy
        .run(&["sync", "new.csv", "--create-departments", "--json"])
        .await;
    r.assert_code(0);
    assert_eq!(r.json()["created"], 3, "{}", r.stderr);
    let all = emu.store.departments();
    assert_eq!(all.len(), departments + 3);
    let centre = all.iter().find(|d| d.we_name == "新中心").unwrap();
    let one = all.iter().find(|d| d.we_name == "一组").unwrap();
    assert_eq!((centre.we_parentid, one.we_parentid), (1, centre.we_id));
    assert_eq!(
        emu.store.person("nd1").unwrap()["we_department"],
        one.we_id.to_string().as_str()
    );
    let run =
        bgy.run(&["history", "--json", "--limit", "1"]).await.json()["runs"][0]["id"].to_string();
    let r = bgy.run(&["undo", &run, "--yes", "--force"]).await;
    r.assert_code(0);
    let stays = r.stdout.lines().filter(|l| l.contains("left in place"));
    assert_eq!(stays.count(), 3, "{}", r.stdout);
    assert!(emu.store.person("nd1").is_none());
}
