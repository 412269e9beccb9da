//! The console as HR reads it: one language, the names HR knows, no command line, and what
//! each page is about. Named after what broke.

use std::path::Path;

use crate::common::*;
use crate::console_runs::{confirmed, post};
use crate::web::{attr_after, count, wait_until_done, wait_until_ended, Console};

fn fixture(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/fixtures")
            .join(name),
    )
    .unwrap()
}

/// The text of `<title>`.
fn title(html: &str) -> String {
    let at = html.find("<title>").unwrap() + "<title>".len();
    html[at..].split("</title>").next().unwrap().to_string()
}

#[tokio::test]
async fn an_hr_export_s_columns_are_chosen_in_the_page_remembered_and_recorded() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, at, html) = c
        .upload("花名册 11月.xlsx", fixture("hr-export.xlsx"), Some(&csrf))
        .await;
    assert!(html.contains("data-testid=\"column-map\""), "{html}");
    assert!(
        html.contains("data-header=\"工号\"") && html.contains("data-header=\"参加工作日起\""),
        "{html}"
    );
    // A column to choose: not told to add one.
    assert!(!html.contains("data-testid=\"lacks\""), "{html}");
    // Nothing went wrong: the columns are to be chosen, here and in the list of runs (the
    // status for automation stays `failed`: the check did not run).
    let asks = "class=\"status asks\" data-testid=\"status\" data-status=\"failed\">需要选择列<";
    assert!(html.contains(asks), "{html}");
    let runs = c.page("/runs").await.1;
    assert!(
        runs.contains("data-status=\"failed\">需要选择列<") && !runs.contains(">失败<"),
        "{runs}"
    );
    // A column 办公逸 has no field for is no question: ignored, and said so.
    assert!(
        !html.contains("data-header=\"紧急联系人\"")
            && html.contains("<tr><td>紧急联系人</td><td>\n        忽略"),
        "{html}"
    );
    // Why, in the page's language only (the error has two sentences, each in both).
    let said = |html: &str| {
        let at = html
            .find("没有 帐号 列")
            .or_else(|| html.find("has no 帐号 column"));
        html[at.unwrap_or(0)..]
            .lines()
            .next()
            .unwrap_or("")
            .to_string()
    };
    let chinese = said(&html);
    assert!(
        chinese.contains("没有 帐号 列") && chinese.contains("工号不会自动当作帐号"),
        "{html}"
    );
    assert!(
        !chinese.contains("header row") && !chinese.contains("may hold"),
        "{chinese}"
    );
    let english = said(&c.page(&format!("/lang/en?back={at}")).await.1);
    assert!(
        english.contains("has no 帐号 column") && english.contains("an HR number is never taken"),
        "{english}"
    );
    assert!(
        !english.contains("没有") && !english.contains("可能"),
        "{english}"
    );
    c.page("/lang/zh?back=/").await;
    // The form's fields are named by position; the header names the select.
    let field_of = |header: &str| {
        let at = html.find(&format!("data-header=\"{header}\"")).unwrap();
        let before = &html[..at];
        let name_at = before.rfind("name=\"").unwrap() + 6;
        before[name_at..].split('"').next().unwrap().to_string()
    };
    let (employee, typo) = (field_of("工号"), field_of("参加工作日起"));
    let r = post(
        &c,
        &format!("{at}/columns"),
        &[
            ("csrf", &csrf),
            (&employee, "we_userid"),
            (&typo, "-"),
            ("remember", "1"),
        ],
    )
    .await;
    let html = r.text().await.unwrap();
    assert_eq!(count(&html, "total"), 4, "{html}");
    assert!(
        html.contains("工号 → 帐号"),
        "the mapping on the page: {html}"
    );
    // Remembered for the company: the command line reads the same sheet with it.
    let toml = std::fs::read_to_string(b.path("bgy.toml")).unwrap();
    assert!(
        toml.contains("[columns]") && toml.contains("\"工号\" = \"帐号\""),
        "{toml}"
    );
    b.write("hr.xlsx", fixture("hr-export.xlsx"));
    let cli = b.run(&["check", "hr.xlsx", "--json"]).await;
    assert_eq!(cli.json()["total"], 4, "{}", cli.stderr);
    // The import keeps the columns, and the history records them and the file's own name.
    let check = attr_after(&html, "action=\"/runs/").unwrap();
    let check = check.split('/').next().unwrap();
    let r = post(
        &c,
        &format!("/runs/{check}/import"),
        &[
            ("csrf", &csrf),
            ("cover", "skip"),
            ("create_departments", "1"),
        ],
    )
    .await;
    let done = wait_until_done(&c, r.url().path()).await;
    assert!(count(&done, "created") >= 3, "{done}");
    let history = b.run(&["history", "--json"]).await.json();
    let run = &history["runs"][0];
    assert_eq!(run["input"], "花名册 11月.xlsx", "{history}");
    assert!(
        run["columns"].as_str().unwrap().contains("工号→帐号"),
        "{history}"
    );
    // Downloads carry the uploaded name.
    let report = c
        .http
        .get(format!("{}{}/report", c.base, r.url().path()))
        .send()
        .await
        .unwrap();
    let disposition = report.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.contains("filename*=UTF-8''%E8%8A%B1%E5%90%8D%E5%86%8C%2011%E6%9C%88.report-"),
        "{disposition}"
    );
    // …and so does the report's Summary.
    let bytes = report.bytes().await.unwrap();
    b.write("got.xlsx", &bytes);
    let summary = read_sheet(&b.path("got.xlsx"), "汇总 Summary");
    let input = summary.iter().find(|r| r[0] == "输入 Input").unwrap();
    assert_eq!(input[1], "花名册 11月.xlsx");
    // A bgy.toml broken while the console serves does not stop HR's check; the page says the
    // remembered columns were not used, and why.
    b.write(
        "bgy.toml",
        format!("{toml}\n[schedul]\ncron = \"0 30 2 * * *\"\n"),
    );
    let (_, _, html) = c
        .upload("花名册 11月.xlsx", fixture("hr-export.xlsx"), Some(&csrf))
        .await;
    assert!(html.contains("data-testid=\"column-map\""), "{html}");
    assert!(
        html.contains("bgy.toml 有误,本次没有使用其中记住的列,请管理员改好:bgy.toml 第 ")
            && html.contains("schedul:没有这个设置,是不是 schedule?"),
        "{html}"
    );
}

#[tokio::test]
async fn pages_speak_one_language_and_no_command_line() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let sample = Path::new(env!("CARGO_MANIFEST_DIR")).join("samples/staff-with-errors.xlsx");
    let (_, at, html) = c
        .upload(
            "staff-with-errors.xlsx",
            std::fs::read(sample).unwrap(),
            Some(&csrf),
        )
        .await;
    // Warnings are listed, not only counted; statuses are words.
    assert!(
        html.contains("data-testid=\"warnings\"") && html.contains("备注"),
        "{html}"
    );
    assert!(html.contains("完成,部分行未通过"), "{html}");
    for english in [
        "Warnings",
        "Rows that did not pass the check",
        "Download the report",
        "rows failed",
    ] {
        assert!(!html.contains(english), "{english} on a Chinese page");
    }
    let flag = html
        .match_indices("--")
        .find(|(i, _)| html[i + 2..].starts_with(|ch: char| ch.is_ascii_lowercase()));
    assert!(flag.is_none(), "a command-line option: {html}");
    // The English switch: the same page in English, and back.
    let r = c
        .http
        .get(format!("{}/lang/en?back={at}", c.base))
        .send()
        .await
        .unwrap();
    assert_eq!(r.url().path(), at);
    let english = r.text().await.unwrap();
    assert!(
        english.contains("Warnings") && english.contains("lang=\"en\""),
        "{english}"
    );
    assert!(
        english.contains("Rows that did not pass the check") && !english.contains("未通过检查的行"),
        "{english}"
    );
    // A column is named in words, not by its API key as the command line names it (the keys
    // that are not also English words: "address: " is one in any sentence).
    let keys = bgy::model::Field::ALL
        .iter()
        .map(|f| f.key())
        .filter(|k| !k.chars().all(|c| c.is_ascii_lowercase()));
    for key in keys {
        let key = format!("{key}: ");
        assert!(!english.contains(&key), "{key} in {english}");
    }
    assert!(english.contains("Mobile: "), "{english}");
    c.page("/lang/zh?back=/").await;
    // A switch back to another site is a switch back home, however the address is dressed
    // (a browser drops a tab or line break in one: `/<TAB>/` is `//`).
    for back in [
        "//evil.example/",
        "/%09/evil.example/",
        "/%0A/evil.example/",
        "/%5C/evil.example/",
    ] {
        let r = c
            .http
            .get(format!("{}/lang/en?back={back}", c.base))
            .send()
            .await
            .unwrap();
        assert_eq!(r.url().host_str(), Some("127.0.0.1"), "{back}");
        assert_eq!(r.url().path(), "/", "{back}");
    }
}

/// A file the console cannot use is explained in the page's language, with no command in it:
/// these sentences were the command line's English on the Chinese page.
#[tokio::test]
async fn a_file_that_cannot_be_read_is_explained_in_the_page_s_language() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let cases = [
        ("protected.xlsx", "设了密码", "is password-protected"),
        ("no-header.xlsx", "找不到表头", "no header row"),
        (
            "random-bytes.xlsx",
            "内容却不是",
            "is named like a workbook",
        ),
    ];
    for (name, zh, en) in cases {
        let (_, at, _) = c.upload(name, fixture(name), Some(&csrf)).await;
        let mut html = String::new();
        for _ in 0..100 {
            html = c.page(&at).await.1;
            if html.contains("data-status=\"failed\"") {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        let error = |html: &str| {
            let at = html
                .find("<p class=\"error\">")
                .expect("the reason on the page")
                + 17;
            html[at..].split("</p>").next().unwrap().to_string()
        };
        let chinese = error(&html);
        assert!(chinese.contains(zh) && !chinese.contains(en), "{chinese}");
        assert!(
            !chinese.contains("bgy "),
            "a command on the page: {chinese}"
        );
        let english = error(&c.page(&format!("/lang/en?back={at}")).await.1);
        assert!(english.contains(en) && !english.contains(zh), "{english}");
        assert!(
            !english.contains("bgy "),
            "a command on the page: {english}"
        );
        c.page("/lang/zh?back=/").await;
    }
}

#[tokio::test]
async fn each_page_is_titled_by_what_it_does_and_a_failed_export_offers_nothing() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    // An export of a department that does not exist fails, and offers no download.
    let r = post(
        &c,
        "/export",
        &[
            ("csrf", &csrf),
            ("format", "xlsx"),
            ("department", "办公逸/没有"),
        ],
    )
    .await;
    let export = r.url().path().to_string();
    let html = r.text().await.unwrap();
    assert!(title(&html).starts_with("导出"), "{}", title(&html));
    assert!(!html.contains("data-testid=\"export\""), "{html}");
    let (status, page) = c.page(&format!("{export}/output")).await;
    assert_eq!(status, 404);
    assert!(!page.contains("没有这个运行"), "the run exists: {page}");
    // An export of everyone is titled in the page's language, not in both.
    let r = post(&c, "/export", &[("csrf", &csrf), ("format", "xlsx")]).await;
    let everyone = r.url().path().to_string();
    assert!(title(&r.text().await.unwrap()).starts_with("导出 · 全部 · "));
    let english = c.page(&format!("/lang/en?back={everyone}")).await.1;
    assert!(
        title(&english).contains("· everyone · "),
        "{}",
        title(&english)
    );
    assert!(!title(&english).contains("全部"), "{}", title(&english));
    let runs = c.page("/runs").await.1;
    assert!(runs.contains("<td>everyone</td>"), "{runs}");
    c.page("/lang/zh?back=/").await;
    // A plan is titled as one; an undo's plan counts what it does, with no rerun hint.
    let (_, checked, _) = c
        .upload("two.csv", staff_csv("u", 2).into_bytes(), Some(&csrf))
        .await;
    let r = post(&c, &format!("{checked}/plan"), &[("csrf", &csrf)]).await;
    assert!(title(&r.text().await.unwrap()).starts_with("对比计划"));
    let r = post(
        &c,
        &format!("{checked}/import"),
        &[("csrf", &csrf), ("cover", "skip")],
    )
    .await;
    wait_until_done(&c, r.url().path()).await;
    let r = post(&c, "/history/1/undo", &[("csrf", &csrf)]).await;
    let html = r.text().await.unwrap();
    assert!(title(&html).starts_with("撤销计划"), "{}", title(&html));
    assert_eq!(count(&html, "deleted"), 2, "{html}");
    assert!(
        !html.contains("失败”表"),
        "no rerun hint on an undo: {html}"
    );
}

#[tokio::test]
async fn departments_show_the_path_a_sheet_needs_and_everyone_below() {
    let emu = emulator().await;
    emu.store.insert_staff(people("t", 6)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, _) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, html) = c.page("/departments").await;
    // (The page escapes `/` as `&#x2f;`, which a browser shows as `/`.)
    let esc = |path: &str| path.replace('/', "&#x2f;");
    assert!(
        html.contains(&format!(
            "<td class=\"depth-2\">{}</td>",
            esc("办公逸/研发部/后端组")
        )),
        "{html}"
    );
    // 研发部: zhangsan; lisi, through 后端组; the six generated people (in 研发部 and 后端组).
    // 办公逸: everyone, lisi once though in 客服部 and 后端组.
    let total = |path: &str| {
        let marker = format!("data-total=\"{}\">", esc(path));
        let at = html.find(&marker).unwrap() + marker.len();
        html[at..].split('<').next().unwrap().to_string()
    };
    assert_eq!(total("办公逸"), "8", "{html}");
    let total = total("办公逸/研发部");
    assert_eq!(total, "8", "{html}");
}

/// HR adds a department (and the level above it) and renames one from the 部门 page, as `bgy
/// dept` does: each in the history under the person signed in, the page saying what it made;
/// a name a sibling has is refused in the page, the form kept.
#[tokio::test]
async fn departments_are_added_and_renamed_from_their_page_and_recorded() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let esc = |path: &str| path.replace('/', "&#x2f;");
    let id_of = |name: &str| {
        emu.store
            .departments()
            .iter()
            .find(|d| d.we_name == name)
            .map(|d| d.we_id)
    };
    // Two levels to make: listed, and made only once confirmed (the API deletes none).
    let asked = post(
        &c,
        "/departments/add",
        &[("csrf", &csrf), ("path", " 办公逸/研发部/AI组/大模型 ")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        asked.contains("data-testid=\"dept-confirm\"")
            && asked.contains(&format!("<li>{}</li>", esc("办公逸/研发部/AI组")))
            && asked.contains(&format!("<li>{}</li>", esc("办公逸/研发部/AI组/大模型"))),
        "{asked}"
    );
    assert_eq!(id_of("AI组"), None, "nothing made before it is confirmed");
    let r = post(
        &c,
        "/departments/add",
        &[
            ("csrf", &csrf),
            ("path", " 办公逸/研发部/AI组/大模型 "),
            ("confirmed", "1"),
        ],
    )
    .await;
    let made = id_of("大模型").expect("the department is made");
    let parent = id_of("AI组").expect("the level above it too");
    assert_eq!(r.url().query(), Some(format!("added={made}").as_str()));
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"dept-done\"")
            && html.contains(&format!("已新建部门 {}", esc("办公逸/研发部/AI组/大模型"))),
        "{html}"
    );
    let id = parent.to_string();
    let r = post(
        &c,
        "/departments/rename",
        &[("csrf", &csrf), ("we_id", &id), ("name", "人工智能组")],
    )
    .await;
    assert_eq!(r.url().query(), Some(format!("renamed={parent}").as_str()));
    assert_eq!(id_of("人工智能组"), Some(parent));
    let html = r.text().await.unwrap();
    assert!(
        html.contains(&esc("办公逸/研发部/人工智能组/大模型")),
        "the page lists the new path: {html}"
    );
    let history = b.run(&["history", "--json"]).await.json();
    let runs: Vec<_> = history["runs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| (r["command"].as_str().unwrap(), r["who"].as_str().unwrap()))
        .collect();
    assert_eq!(runs.len(), 2, "{history}");
    assert_eq!(runs[0].0, "dept rename", "{history}");
    assert_eq!(runs[1].0, "dept add", "{history}");
    assert_ne!(runs[0].1, "", "{history}");
    // A sibling's name: refused, nothing renamed, the page says why with the form as typed.
    let html = post(
        &c,
        "/departments/rename",
        &[("csrf", &csrf), ("we_id", &id), ("name", "后端组")],
    )
    .await
    .text()
    .await
    .unwrap();
    assert!(
        html.contains("data-testid=\"dept-error\"") && html.contains("已经有名为"),
        "{html}"
    );
    assert!(
        html.contains("value=\"后端组\""),
        "the form keeps it: {html}"
    );
    assert_eq!(id_of("人工智能组"), Some(parent));
    let html = post(&c, "/departments/add", &[("csrf", &csrf), ("path", " ")])
        .await
        .text()
        .await
        .unwrap();
    assert!(html.contains("请填写新部门的完整路径"), "{html}");
    // A path the directory has already: nothing made, and the page says so, not 已新建.
    let r = post(
        &c,
        "/departments/add",
        &[("csrf", &csrf), ("path", "办公逸/研发部")],
    )
    .await;
    let rd = id_of("研发部").unwrap();
    assert_eq!(r.url().query(), Some(format!("exists={rd}").as_str()));
    let html = r.text().await.unwrap();
    assert!(
        html.contains("data-testid=\"dept-exists\"")
            && html.contains(&format!("部门 {} 已存在", esc("办公逸/研发部")))
            && !html.contains("data-testid=\"dept-done\""),
        "{html}"
    );
    assert_eq!(
        b.run(&["history", "--json"]).await.json()["runs"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    // The add made departments only, which the API cannot delete: nothing to undo, and said.
    let added = history["runs"][1]["id"].as_i64().unwrap();
    let (_, page) = c.page(&format!("/history/{added}")).await;
    assert!(
        page.contains("data-testid=\"no-undo\"") && !page.contains("data-testid=\"undo\""),
        "{page}"
    );
    // Planned anyway (an old page's button): the plan says it sends nothing, and offers nothing.
    let r = post(&c, &format!("/history/{added}/undo"), &[("csrf", &csrf)]).await;
    let plan = r.text().await.unwrap();
    assert!(
        plan.contains("data-testid=\"nothing-to-undo\"") && !plan.contains("apply-undo"),
        "{plan}"
    );
    // The rename is undone from its page.
    let renamed = history["runs"][0]["id"].as_i64().unwrap();
    let (_, page) = c.page(&format!("/history/{renamed}")).await;
    assert!(page.contains("data-testid=\"undo\""), "{page}");
    // One level to make: made at once.
    let r = post(
        &c,
        "/departments/add",
        &[("csrf", &csrf), ("path", "办公逸/研发部/人工智能组/小模型")],
    )
    .await;
    let made = id_of("小模型").expect("one level is made without asking");
    assert_eq!(r.url().query(), Some(format!("added={made}").as_str()));
}

/// An HR workbook whose first sheet is a cover: the failed check offers the sheet after it
/// that has a header row; reading it checks the same upload again, and the import from that
/// check reads the same sheet. Only the sheet offered can be asked for.
#[tokio::test]
async fn a_workbook_whose_first_sheet_is_a_cover_offers_the_sheet_with_the_people() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let mut wb = workbook_of(&[
        ("填写说明", &[&["请勿修改表头"]]),
        (
            "员工 & 信息",
            &[
                &["帐号", "姓名", "手机", "部门", "工号"],
                &["cov1", "甲", "13800000001", "办公逸", "E1"],
                &["cov2", "乙", "13800000002", "办公逸", "E2"],
            ],
        ),
    ]);
    let bytes = wb.save_to_buffer().unwrap();
    let (_, at, html) = c.upload("花名册.xlsx", bytes, Some(&csrf)).await;
    assert!(
        html.contains("工作表 &quot;员工 &amp; 信息&quot; 有表头"),
        "{html}"
    );
    assert!(
        html.contains("data-testid=\"read-sheet\"")
            && html.contains("name=\"sheet\" value=\"员工 &amp; 信息\""),
        "{html}"
    );
    let r = post(
        &c,
        &format!("{at}/sheet"),
        &[("csrf", &csrf), ("sheet", "填写说明")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 404, "a sheet the page did not offer");
    let r = post(
        &c,
        &format!("{at}/sheet"),
        &[("csrf", &csrf), ("sheet", "员工 & 信息")],
    )
    .await;
    let checked = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&checked, "valid"), 2, "{checked}");
    assert!(
        checked.contains("<span data-testid=\"sheet\">员工 &amp; 信息</span>"),
        "{checked}"
    );
    // 工号 beside 帐号 is asked about, without the notice that it is no account.
    assert!(
        checked.contains("data-header=\"工号\"") && !checked.contains("常常不是 HR 系统里的工号"),
        "{checked}"
    );
    let r = post(
        &c,
        &format!("{}/import", r.url().path()),
        &[("csrf", &csrf), ("cover", "skip")],
    )
    .await;
    let done = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&done, "created"), 2, "{done}");
    assert!(done.contains("员工 &amp; 信息</span>"), "{done}");
}

/// HR's 转正名单 uploaded as 员工资料 (chosen on the page): every row would fail for want of a
/// contact, so the check says it looks like a sheet of dates and offers to check it as one;
/// that check can set the dates. Only the kind offered can be asked for.
#[tokio::test]
async fn a_list_of_confirmations_checked_as_staff_is_offered_as_a_sheet_of_dates() {
    let emu = emulator().await;
    emu.store.insert_staff(people("z", 3)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let mut wb = workbook_of(&[(
        "转正名单",
        &[
            &[
                "序号",
                "帐号",
                "姓名",
                "部门",
                "职位",
                "入职日期",
                "转正日期",
            ],
            &[
                "1",
                "z000000",
                "甲",
                "办公逸/研发部",
                "工程师",
                "2026-06-01",
                "2026-12-01",
            ],
            &[
                "2",
                "z000001",
                "乙",
                "办公逸/研发部",
                "工程师",
                "2026-06-02",
                "2026-12-02",
            ],
            &[
                "3",
                "nobody1",
                "丙",
                "办公逸",
                "专员",
                "2026-06-03",
                "2026-12-03",
            ],
        ],
    )]);
    let (_, at, _) = c
        .upload_kind(
            "转正名单.xlsx",
            wb.save_to_buffer().unwrap(),
            Some(&csrf),
            "staff",
        )
        .await;
    let html = wait_until_done(&c, &at).await;
    assert_eq!(count(&html, "invalid"), 3, "{html}");
    assert!(
        html.contains("它像是日期表")
            && html.contains("data-testid=\"check-as\"")
            && html.contains("name=\"kind\" value=\"times\""),
        "{html}"
    );
    let r = post(
        &c,
        &format!("{at}/kind"),
        &[("csrf", &csrf), ("kind", "leave")],
    )
    .await;
    assert_eq!(r.status().as_u16(), 404, "a kind the page did not offer");
    let r = post(
        &c,
        &format!("{at}/kind"),
        &[("csrf", &csrf), ("kind", "times")],
    )
    .await;
    let checked = wait_until_done(&c, r.url().path()).await;
    assert_eq!(
        (count(&checked, "valid"), count(&checked, "invalid")),
        (2, 1),
        "{checked}"
    );
    assert!(
        checked.contains("data-testid=\"times\"") && !checked.contains("data-testid=\"check-as\""),
        "{checked}"
    );
    // In English, one account is one account.
    let english = c.page(&format!("/lang/en?back={}", r.url().path())).await.1;
    assert!(
        english.contains("Update the dates of 2 people")
            && english.contains("1 more account is not in the directory"),
        "{english}"
    );
    c.page("/lang/zh?back=/").await;
    let r = post(&c, &format!("{}/times", r.url().path()), &[("csrf", &csrf)]).await;
    let done = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&done, "updated"), 2, "{done}");
    let p = emu.store.person("z000001").unwrap();
    assert_eq!(
        (p["entry_time"].as_str(), p["positive_time"].as_str()),
        (Some("2026-06-02"), Some("2026-12-02"))
    );
}

/// With the upload form's default, the sheet's header says what it holds: a 转正名单 is
/// checked as a sheet of dates and a 离职名单 as leavers, each saying so; with 工号 for 帐号 it
/// asks the columns first, then reads the header so chosen. A sheet of 帐号 and 姓名 alone is
/// staff, never accounts to delete (deleting is chosen, not guessed).
#[tokio::test]
async fn the_form_s_default_reads_a_sheet_as_its_header_says_but_never_as_deletes() {
    let emu = emulator().await;
    emu.store.insert_staff(people("z", 3)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let sheet = |head: &[&str], rows: &[&[&str]]| {
        let mut all: Vec<&[&str]> = vec![head];
        all.extend(rows);
        workbook_of(&[("Sheet1", &all)]).save_to_buffer().unwrap()
    };
    let dates: &[&[&str]] = &[
        &["z000000", "甲", "办公逸/研发部", "2026-12-01"],
        &["z000001", "乙", "办公逸/研发部", "2026-12-02"],
    ];
    let (_, at, _) = c
        .upload(
            "转正名单.xlsx",
            sheet(&["帐号", "姓名", "部门", "转正日期"], dates),
            Some(&csrf),
        )
        .await;
    let html = wait_until_done(&c, &at).await;
    assert_eq!(
        (count(&html, "valid"), count(&html, "invalid")),
        (2, 0),
        "{html}"
    );
    assert!(
        html.contains("按表头识别为日期表")
            && html.contains("data-testid=\"times\"")
            && html.contains("列 C1 &quot;部门&quot; 不是日期表的列")
            && !html.contains("data-testid=\"check-as\""),
        "{html}"
    );
    let leavers: &[&[&str]] = &[&["z000002", "丙", "2026-11-30", "个人原因"]];
    let (_, at, _) = c
        .upload(
            "离职名单.xlsx",
            sheet(&["帐号", "姓名", "离职时间", "离职原因"], leavers),
            Some(&csrf),
        )
        .await;
    let html = wait_until_done(&c, &at).await;
    assert!(
        html.contains("按表头识别为离职名单") && html.contains("data-testid=\"leave\""),
        "{html}"
    );
    // 帐号 and 姓名 alone: staff, each row failing for want of a contact; nothing offers a delete.
    let names: &[&[&str]] = &[&["z000000", "甲"], &["z000001", "乙"]];
    let (_, at, _) = c
        .upload("名单.xlsx", sheet(&["帐号", "姓名"], names), Some(&csrf))
        .await;
    let html = wait_until_done(&c, &at).await;
    assert_eq!(count(&html, "invalid"), 2, "{html}");
    assert!(
        !html.contains("data-testid=\"delete\"") && !html.contains("按表头识别"),
        "{html}"
    );
    // 工号 for 帐号: the columns first, then a sheet of dates.
    let (_, at, asks) = c
        .upload(
            "转正名单工号.xlsx",
            sheet(&["工号", "姓名", "部门", "转正日期"], dates),
            Some(&csrf),
        )
        .await;
    assert!(asks.contains("data-testid=\"column-map\""), "{asks}");
    // The form's fields are named by position; the header names the select.
    let before = &asks[..asks.find("data-header=\"工号\"").expect(&asks)];
    let field = before[before.rfind("name=\"").unwrap() + 6..]
        .split('"')
        .next()
        .unwrap();
    let r = post(
        &c,
        &format!("{at}/columns"),
        &[("csrf", &csrf), (field, "we_userid")],
    )
    .await;
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&html, "valid"), 2, "{html}");
    assert!(
        html.contains("按表头识别为日期表") && html.contains("data-testid=\"times\""),
        "{html}"
    );
}

/// A sheet with no 帐号 and no column bgy does not know (none could be it): the page says to
/// add the column, what it holds, and where the template is; it was a dead end. So were a
/// header with no rows under it (a page of zeros) and a file of no bytes ("choose a file").
#[tokio::test]
async fn a_sheet_without_accounts_or_rows_or_bytes_is_told_what_to_do() {
    let b = Bgy::new();
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let sheet = "姓名,手机,部门\n张三,13800000001,办公逸\n";
    let (_, _, html) = c.upload("无帐号.csv", sheet.into(), Some(&csrf)).await;
    let lacks = html.split("data-testid=\"lacks\">").nth(1).expect(&html);
    assert!(
        lacks.starts_with("表格需要一列“帐号”") && lacks.contains("<a href=\"/template/staff\">"),
        "{lacks}"
    );
    assert!(!html.contains("data-testid=\"column-map\""), "{html}");
    assert!(!html.contains("data-testid=\"no-rows\""), "{html}");
    // A header and nothing under it: said, not a page of zeros.
    let (_, at, _) = c
        .upload("空表.csv", "帐号,姓名,手机,部门\n".into(), Some(&csrf))
        .await;
    let html = wait_until_done(&c, &at).await;
    assert!(
        html.contains("data-testid=\"no-rows\">表头下面没有数据行"),
        "{html}"
    );
    // A file of no bytes at all: empty, not "choose a file".
    let (status, _, html) = c.upload("空.xlsx", Vec::new(), Some(&csrf)).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("文件是空的") && !html.contains("请选择一个文件"),
        "{html}"
    );
    // No file chosen (a browser sends the field with no name and nothing in it): "choose a
    // file", not "empty".
    let (status, _, html) = c.upload("", Vec::new(), Some(&csrf)).await;
    assert_eq!(status, 400, "{html}");
    assert!(
        html.contains("请选择一个文件") && !html.contains("文件是空的"),
        "{html}"
    );
}

/// A workbook of a sheet a department: the check of the first says which others were not
/// read, and offers to read the first of them.
#[tokio::test]
async fn a_workbook_of_a_sheet_a_department_offers_the_sheets_not_read() {
    let b = Bgy::new();
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let head: &[&str] = &["帐号", "姓名", "手机", "部门"];
    let person = |account| [account, "某人", "13800000001", "办公逸"];
    let mut wb = workbook_of(&[
        ("研发部", &[head, &person("dev1")]),
        ("市场部", &[head, &person("mkt1")]),
    ]);
    let (_, at, _) = c
        .upload("分部门.xlsx", wb.save_to_buffer().unwrap(), Some(&csrf))
        .await;
    let html = wait_until_done(&c, &at).await;
    assert!(
        html.contains("没有读取:&quot;市场部&quot;")
            && html.contains("name=\"sheet\" value=\"市场部\""),
        "{html}"
    );
    let r = post(
        &c,
        &format!("{at}/sheet"),
        &[("csrf", &csrf), ("sheet", "市场部")],
    )
    .await;
    let checked = wait_until_done(&c, r.url().path()).await;
    assert!(
        checked.contains("<span data-testid=\"sheet\">市场部</span>")
            && !checked.contains("data-testid=\"read-sheet\""),
        "{checked}"
    );
}

/// HR's list of leavers names people by their HR number and carries their name, department and
/// leaving date: the console asks what 工号 is, and says of the other known columns that a sheet
/// of accounts to delete does not read them (it called them "a report's column").
#[tokio::test]
async fn a_list_of_leavers_by_hr_number_is_mapped_and_its_other_columns_named_honestly() {
    let emu = emulator().await;
    // Twelve, so that deleting two stays under the 20 % that needs forcing.
    emu.store.insert_staff(people("l", 12)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let sheet = "序号,工号,姓名,离职日期\n1,l000001,张三,2026-11-30\n";
    let (_, at, html) = c
        .upload_kind("离职名单.csv", sheet.into(), Some(&csrf), "delete")
        .await;
    assert!(html.contains("data-testid=\"column-map\""), "{html}");
    assert_eq!(
        html.matches("这类表格不用这一列").count(),
        1,
        "离职日期 (姓名 is compared with the directory's): {html}"
    );
    assert!(!html.contains("报告的列"), "{html}");
    let english = c.page(&format!("/lang/en?back={at}")).await.1;
    assert!(
        english.contains("not read in this kind of sheet"),
        "{english}"
    );
    c.page("/lang/zh?back=/").await;
    let at_select = html.find("data-header=\"工号\"").unwrap();
    let name_at = html[..at_select].rfind("name=\"").unwrap() + 6;
    let employee = html[name_at..].split('"').next().unwrap().to_string();
    let r = post(
        &c,
        &format!("{at}/columns"),
        &[("csrf", &csrf), (&employee, "we_userid")],
    )
    .await;
    let html = r.text().await.unwrap();
    assert!(html.contains("data-testid=\"delete\""), "{html}");
    assert_eq!(count(&html, "total"), 1, "{html}");
    assert!(
        html.contains("这会从通讯录删除 1 人。请输入 1 确认"),
        "{html}"
    );
    // Accounts the directory lacks are not counted among those to delete, nor typed.
    let sheet = "帐号\nl000000\nl000002\nnobody\n";
    let (_, at, html) = c
        .upload_kind("leavers.csv", sheet.into(), Some(&csrf), "delete")
        .await;
    assert!(
        html.contains("这会从通讯录删除 2 人(另有 1 个帐号不在通讯录中)。请输入 2 确认"),
        "{html}"
    );
    assert!(
        !html.contains("data-testid=\"past-guard\""),
        "2 of 14: {html}"
    );
    // Nothing to allow, so no box to tick.
    assert!(!html.contains("name=\"force\""), "2 of 14: {html}");
    let delete = |typed: &'static str| {
        c.http
            .post(format!("{}{at}/delete", c.base))
            .form(&[("csrf", csrf.as_str()), ("confirm", typed)])
            .send()
    };
    assert_eq!(
        delete("3").await.unwrap().status(),
        400,
        "the rows, not the people"
    );
    let r = delete("2").await.unwrap();
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&html, "deleted"), 2, "{html}");
    assert_eq!(emu.store.staff_count(), 2 + 12 - 2);
    // A sheet of accounts none of which is in the directory offers no delete.
    let (_, _, html) = c
        .upload_kind("gone.csv", "帐号\nnobody\n".into(), Some(&csrf), "delete")
        .await;
    assert!(html.contains("data-testid=\"nothing-to-delete\""), "{html}");
    assert!(!html.contains("data-testid=\"confirm\""), "{html}");
}

/// A delete past 20 % of the directory without its box ticked ended on a page that said only
/// that nothing was deleted: it now says what to tick, and where.
#[tokio::test]
async fn a_delete_refused_past_a_fifth_of_the_directory_says_what_to_tick_and_where() {
    let emu = emulator().await;
    emu.store.insert_staff(people("f", 3)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let (_, at, html) = c
        .upload_kind(
            "many.csv",
            "帐号\nf000000\nf000001\n".into(),
            Some(&csrf),
            "delete",
        )
        .await;
    // Said before, too: the box is required on the page (a request without it is refused
    // below all the same).
    assert!(
        html.contains("这是通讯录 5 人中的 2 人,超过 20%")
            && html.contains("required data-testid=\"force\""),
        "{html}"
    );
    let path = format!("{at}/delete");
    let delete = |force| confirmed(&c, &path, &csrf, "2", force);
    let r = delete(false).await;
    let run = r.url().path().to_string();
    let html = wait_until_ended(&c, &run).await;
    assert_eq!(crate::console_runs::status(&html), "failed", "{html}");
    assert!(html.contains("data-testid=\"force-notice\""), "{html}");
    assert!(
        html.contains(&format!("<a href=\"{at}\">"))
            && html.contains("允许删除超过通讯录 20% 的人"),
        "{html}"
    );
    assert_eq!(emu.store.staff_count(), 5, "nothing deleted");
    let r = delete(true).await;
    let html = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&html, "deleted"), 2, "{html}");
    assert!(!html.contains("data-testid=\"force-notice\""), "{html}");
}

/// A plan that deletes past a fifth of the directory offers the box that allows it, and its
/// sync needs it ticked; one short of it (above, and `web::plan_then_sync_…`) offers none.
#[tokio::test]
async fn a_plan_past_a_fifth_of_the_directory_offers_the_box_its_sync_needs() {
    let emu = emulator().await;
    emu.store.insert_staff(people("g", 3)).unwrap();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let p = &people("g", 1)[0];
    let csv = format!(
        "帐号,姓名,手机,部门ID\n{},{},{},{}\n",
        p["we_userid"], p["we_name"], p["we_mobile"], p["we_id"]
    );
    let (_, at, _) = c.upload("one.csv", csv.into_bytes(), Some(&csrf)).await;
    let r = post(
        &c,
        &format!("{at}/plan"),
        &[("csrf", &csrf), ("prune", "1")],
    )
    .await;
    let plan = r.url().path().to_string();
    let html = r.text().await.unwrap();
    assert_eq!(count(&html, "deleted"), 4, "{html}");
    assert!(html.contains("name=\"force\""), "{html}");
    let path = format!("{plan}/sync");
    let sync = |force| confirmed(&c, &path, &csrf, "4", force);
    let r = sync(false).await;
    let run = r.url().path().to_string();
    let html = wait_until_ended(&c, &run).await;
    assert!(html.contains("data-testid=\"force-notice\""), "{html}");
    assert_eq!(emu.store.staff_count(), 5, "nothing deleted");
    let html = wait_until_done(&c, sync(true).await.url().path()).await;
    assert_eq!(count(&html, "deleted"), 4, "{html}");
}

/// Rows that fail for one reason are counted together, with the first of them as the example:
/// the page says it is one, since the others' texts differ (two unknown departments).
#[tokio::test]
async fn a_reason_of_several_rows_shows_the_first_as_an_example() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let sheet =
        "帐号,姓名,手机,部门\nx1,甲,13800000031,办公逸/天文部\nx2,乙,13800000032,办公逸/地理部\n";
    let (_, _, html) = c.upload("two.csv", sheet.into(), Some(&csrf)).await;
    let reason = html
        .split("<li class=\"error\">2 × ")
        .nth(1)
        .and_then(|r| r.split("</li>").next())
        .unwrap_or_else(|| panic!("{html}"));
    assert!(
        reason.contains("天文部") && reason.contains("(例如第 2 行,第一处)"),
        "{reason}"
    );
}

/// A bgy report uploaded again with the form's default kind is read as the kind its run read:
/// the report of `bgy times` as dates, that of `bgy check --kind leave` as a 离职名单, each as
/// its summary's command says. As staff, each of their rows would fail for want of a contact.
#[tokio::test]
async fn a_report_fixed_and_uploaded_again_is_read_as_the_kind_its_run_read() {
    let emu = emulator().await;
    emu.store.insert_staff(people("k", 2)).unwrap();
    let b = Bgy::new().against(&emu);
    b.write(
        "dates.csv",
        "帐号,入职时间\nk000000,2026-03-01\nk000001,2026-13-01\n",
    );
    let r = b.run(&["times", "dates.csv", "--json"]).await;
    r.assert_code(1);
    let dates = resaved(&b.path(r.json()["report"].as_str().unwrap()), "2026-03-01");
    b.write("leavers.csv", "帐号,离职时间\nk000001,2026-13-01\n");
    let r = b
        .run(&["check", "--kind", "leave", "leavers.csv", "--json"])
        .await;
    r.assert_code(1);
    let report = b.path(r.json()["report"].as_str().unwrap());
    let summary = read_sheet(&report, "汇总 Summary");
    assert!(
        summary
            .iter()
            .any(|r| r[..2] == ["命令 Command", "bgy check --kind leave"]),
        "{summary:?}"
    );
    let leavers = resaved(&report, "2026-11-30");
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    for (name, bytes, offered) in [
        ("dates.report.xlsx", dates, "times"),
        ("leavers.report.xlsx", leavers, "leave"),
    ] {
        let (_, at, _) = c.upload(name, bytes, Some(&csrf)).await;
        let html = wait_until_done(&c, &at).await;
        assert_eq!(
            (count(&html, "total"), count(&html, "valid")),
            (1, 1),
            "{name}: {html}"
        );
        let button = format!("data-testid=\"{offered}\"");
        assert!(html.contains(&button), "{name}: {html}");
    }
}

/// A report as HR saves it from Excel once the red date in its Failed sheet is `date`: its
/// summary and its Failed sheet, as text.
fn resaved(report: &Path, date: &str) -> Vec<u8> {
    let mut wb = rust_xlsxwriter::Workbook::new();
    for sheet in ["汇总 Summary", "失败 Failed"] {
        let mut rows = read_sheet(report, sheet);
        for cell in rows.iter_mut().flatten() {
            if cell == "2026-13-01" {
                *cell = date.to_string();
            }
        }
        let ws = wb.add_worksheet();
        ws.set_name(sheet).unwrap();
        for (r, row) in rows.iter().enumerate() {
            for (c, v) in row.iter().enumerate() {
                ws.write_string(r as u32, c as u16, v).unwrap();
            }
        }
    }
    wb.save_to_buffer().unwrap()
}

/// A sheet whose every row names a department still to be made had no valid row: its page
/// said "tick Create" and offered neither an import nor a sync to tick it in. Both are offered
/// now; a plan with Create ticked lists the departments, and its sync makes them.
#[tokio::test]
async fn a_sheet_of_new_departments_alone_is_planned_and_synced_with_them_made() {
    let emu = emulator().await;
    let departments = emu.store.departments().len();
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let csv = "帐号,姓名,手机,部门\nnd1,一,13800000101,办公逸/新中心/一组\nnd2,二,13800000102,办公逸/新中心\n";
    let (_, at, _) = c
        .upload("新部门.csv", csv.as_bytes().to_vec(), Some(&csrf))
        .await;
    let html = wait_until_done(&c, &at).await;
    assert_eq!(count(&html, "valid"), 0, "{html}");
    for offered in [
        "data-testid=\"import\"",
        "data-testid=\"plan-create-departments\"",
    ] {
        assert!(html.contains(offered), "{offered}: {html}");
    }
    let r = post(
        &c,
        &format!("{at}/plan"),
        &[("csrf", &csrf), ("create_departments", "1")],
    )
    .await;
    let plan = wait_until_done(&c, r.url().path()).await;
    assert!(
        plan.contains("<td>新建部门</td><td>办公逸&#x2f;新中心&#x2f;一组</td>"),
        "{plan}"
    );
    assert_eq!(
        emu.store.departments().len(),
        departments,
        "a plan sends nothing"
    );
    let r = post(
        &c,
        &format!("{}/sync", r.url().path()),
        &[("csrf", &csrf), ("confirm", "")],
    )
    .await;
    let done = wait_until_done(&c, r.url().path()).await;
    assert_eq!(count(&done, "created"), 2, "{done}");
    assert_eq!(emu.store.departments().len(), departments + 2);
    assert!(emu.store.person("nd1").is_some() && emu.store.person("nd2").is_some());
}

/// A departments row that is invalid is named, in the plan, in the page's language alone: it
/// read "部门表第 3 行 (departments row 3)" on the English page.
#[tokio::test]
async fn an_invalid_departments_row_is_named_in_the_page_s_language() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let mut wb = workbook_of(&[
        (
            "成员 Staff",
            &[
                &["帐号", "姓名", "手机", "部门"],
                &["dr1", "甲", "13800000001", "办公逸/研发部"],
            ],
        ),
        (
            "部门 Departments",
            &[
                &[
                    "部门ID we_id",
                    "名称 Name",
                    "上级ID Parent",
                    "完整路径 Path",
                ],
                &["2", "研发部", "1", "办公逸/研发部"],
                &["999", "幽灵部", "1", "办公逸/幽灵部"],
            ],
        ),
    ]);
    let bytes = wb.save_to_buffer().unwrap();
    let (_, at, _) = c.upload("全员.xlsx", bytes, Some(&csrf)).await;
    wait_until_done(&c, &at).await;
    let r = post(&c, &format!("{at}/plan"), &[("csrf", &csrf)]).await;
    let plan_at = r.url().path().to_string();
    let chinese = wait_until_done(&c, &plan_at).await;
    assert!(
        chinese.contains("<td>部门表第 3 行</td>") && !chinese.contains("departments row 3"),
        "{chinese}"
    );
    let english = c.page(&format!("/lang/en?back={plan_at}")).await.1;
    assert!(
        english.contains("<td>departments row 3</td>") && !english.contains("部门表第"),
        "{english}"
    );
    c.page("/lang/zh?back=/").await;
}

/// The directory's own export uploaded as it is: everyone exists, and an import that skips
/// them does nothing. The page said "import the 320 that passed" and left it at that; it says
/// what that would do and where an update is.
#[tokio::test]
async fn an_export_of_people_all_in_the_directory_points_to_the_comparison() {
    let emu = emulator().await;
    emu.store.insert_staff(people("ae", 5)).unwrap();
    let b = Bgy::new().against(&emu);
    b.run(&["export", "-o", "all.xlsx"]).await.assert_code(0);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let bytes = std::fs::read(b.path("all.xlsx")).unwrap();
    let (_, at, _) = c.upload("all.xlsx", bytes, Some(&csrf)).await;
    let html = wait_until_done(&c, &at).await;
    assert!(
        html.contains("data-testid=\"all-existing\"") && html.contains("对比通讯录"),
        "{html}"
    );
    // One new person: the import does something, and nothing is said.
    let csv = "帐号,姓名,手机,部门\nae_new,新,13800000201,办公逸\n";
    let (_, at, _) = c
        .upload("new.csv", csv.as_bytes().to_vec(), Some(&csrf))
        .await;
    let html = wait_until_done(&c, &at).await;
    assert!(html.contains("data-testid=\"import-preview\""), "{html}");
    assert!(!html.contains("data-testid=\"all-existing\""), "{html}");
}

/// A store of many runs shows the newest hundred, and the older ones a link away: it made one
/// page of them all (3,000 runs: 0.86 MB, read from disk on each view).
#[tokio::test]
async fn the_runs_page_shows_the_newest_hundred_and_links_to_older_ones() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    let csv = "帐号,姓名,手机,部门\nrp1,一,13800000301,办公逸\n";
    let (_, at, _) = c
        .upload("one.csv", csv.as_bytes().to_vec(), Some(&csrf))
        .await;
    wait_until_done(&c, &at).await;
    // 119 more runs like it, older, each its own folder and id.
    let one = b.path("runs").join(at.trim_start_matches("/runs/"));
    let info: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("run.json")).unwrap()).unwrap();
    for i in 0..119 {
        let id = format!("20200101-{:06}-{i:06x}", i);
        let dir = b.path("runs").join(&id);
        std::fs::create_dir_all(&dir).unwrap();
        let mut info = info.clone();
        info["id"] = id.into();
        std::fs::write(dir.join("run.json"), info.to_string()).unwrap();
    }
    let rows = |html: &str| html.matches("<tr>\n  <td><a href=\"/runs/").count();
    let (_, first) = c.page("/runs").await;
    assert_eq!(rows(&first), 100, "{first}");
    assert!(
        first.contains(&format!("href=\"{at}\"")),
        "the newest first"
    );
    let older = first
        .split("href=\"/runs?before=")
        .nth(1)
        .and_then(|s| s.split('"').next())
        .unwrap_or_else(|| panic!("no link to older runs: {first}"))
        .to_string();
    let (_, second) = c.page(&format!("/runs?before={older}")).await;
    assert_eq!(rows(&second), 20, "{second}");
    assert!(!second.contains("data-testid=\"older\"") && second.contains("data-testid=\"newest\""));
    assert!(!second.contains(&format!("href=\"{at}\"")));
}

#[tokio::test]
async fn a_workbook_that_arrives_without_its_extension_is_read_as_a_workbook() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let (c, csrf) = Console::signed_in(&b, &["--data", "runs"]).await;
    // A file passed on through a chat often loses its extension: its first bytes say what it
    // is, and the HR export's columns are offered as from the .xlsx itself.
    let (_, _, html) = c
        .upload("花名册", fixture("hr-export.xlsx"), Some(&csrf))
        .await;
    assert!(html.contains("data-header=\"工号\""), "{html}");
}
