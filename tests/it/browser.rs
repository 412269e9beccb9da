//! The web console in a real browser: headless Chromium (Debian's `chromium`), driven over
//! WebDriver (`chromedriver`, Debian's `chromium-driver`). An HR system's export goes from
//! its own columns, chosen in the page, to a finished import, in Chinese and in English, every
//! page scanned by axe-core (from the npm registry) for serious accessibility faults; a sheet
//! with errors shows its red cells, imports, and its fixed report reruns only those rows; Stop
//! says who stopped, and a console killed mid-import resumes. It fails, never skips, when the
//! browser is missing. Its screenshots (target/screenshots/) are the README's.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{Client, ClientBuilder, Locator};

use crate::common::*;
use crate::web::Console;

/// chromedriver on a free port, ended with the test.
struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

async fn driver() -> Driver {
    let port = free_port();
    let child = Command::new("chromedriver")
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromedriver runs: apt-get install chromium chromium-driver (.ci/run does)");
    // Dropping the Driver kills and waits for it, whatever happens next.
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    for _ in 0..100 {
        if reqwest::get(format!("{}/status", driver.url)).await.is_ok() {
            return driver;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("chromedriver did not answer on {}", driver.url);
}

async fn browser(driver: &Driver, profile: &Path) -> Client {
    let chromium = ["/usr/bin/chromium", "/usr/bin/chromium-browser"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("chromium is installed: apt-get install chromium (.ci/run does)");
    let mut caps = serde_json::Map::new();
    caps.insert(
        "goog:chromeOptions".into(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--no-first-run", "--disable-quic", "--window-size=1400,1000", "--lang=zh-CN",
                format!("--user-data-dir={}", profile.display()),
            ]
        }),
    );
    ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(caps)
        .connect(&driver.url)
        .await
        .expect("a headless Chromium session")
}

/// The text of the element `css` names, once the page has it. A page that reloads itself
/// (a run's page, when the run ends) aborts a lookup under way: it is looked up again in the
/// new page, within the same 30 s.
async fn text(c: &Client, css: &str) -> String {
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    loop {
        let left = deadline.saturating_duration_since(std::time::Instant::now());
        let found = c.wait().at_most(left).for_element(Locator::Css(css)).await;
        let read = match found {
            Ok(element) => element.text().await,
            Err(e) => Err(e),
        };
        match read {
            Ok(text) => return text,
            Err(e) if e.to_string().contains("aborted by navigation") && !left.is_zero() => {}
            Err(e) => panic!("{css}: {e}"),
        }
    }
}

async fn count(c: &Client, name: &str) -> u64 {
    text(
        c,
        &format!("[data-testid=\"summary\"] [data-count=\"{name}\"]"),
    )
    .await
    .trim()
    .parse()
    .unwrap()
}

/// The colour of a count's number.
async fn count_color(c: &Client, name: &str) -> String {
    c.find(Locator::Css(&format!(
        "[data-testid=\"summary\"] [data-count=\"{name}\"]"
    )))
    .await
    .unwrap()
    .css_value("color")
    .await
    .unwrap()
}

async fn upload(c: &Client, file: &Path) {
    let input = c
        .wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=\"upload\"]"))
        .await
        .unwrap();
    input.send_keys(&file.display().to_string()).await.unwrap();
    click(c, "check").await;
}

/// Clicks the element of a `data-testid`.
/// Opens the console's start address: the browser holds a session from now on.
async fn sign_in(c: &Client, console: &Console) {
    let token = console.token.as_deref().expect("a start token");
    c.goto(&format!("{}/?token={token}", console.base))
        .await
        .unwrap();
}

async fn click(c: &Client, testid: &str) {
    c.find(Locator::Css(&format!("[data-testid=\"{testid}\"]")))
        .await
        .unwrap_or_else(|e| panic!("{testid}: {e}"))
        .click()
        .await
        .unwrap();
}

async fn screenshot(c: &Client, name: &str) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("target/screenshots");
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join(name), c.screenshot().await.unwrap()).unwrap();
}

/// 300 good rows and three bad ones: a phone too short, no contact at all, a department
/// that does not exist.
fn sheet(path: &Path) {
    let mut rows = vec![text_rows(&[&["帐号*", "姓名*", "手机", "部门"]]).remove(0)];
    let mut data: Vec<[String; 4]> = (0..300)
        .map(|i| {
            [
                format!("web{i:04}"),
                format!("员工{i}"),
                format!("139{i:08}"),
                "办公逸/研发部".to_string(),
            ]
        })
        .collect();
    data.insert(
        10,
        [
            "bad1".into(),
            "甲".into(),
            "12345".into(),
            "办公逸/研发部".into(),
        ],
    );
    data.insert(
        50,
        [
            "bad2".into(),
            "乙".into(),
            "".into(),
            "办公逸/研发部".into(),
        ],
    );
    data.insert(
        90,
        [
            "bad3".into(),
            "丙".into(),
            "13900099999".into(),
            "办公逸/不存在".into(),
        ],
    );
    let cells: Vec<Vec<C>> = data
        .iter()
        .map(|r| r.iter().map(|s| C::T(s.as_str())).collect())
        .collect();
    rows.extend(cells);
    write_xlsx(path, "员工", &rows);
}

/// The report's Failed sheet with its red cells fixed, as a person would save it.
fn fixed_report(report: &Path, out: &Path) -> usize {
    let failed = Sheet::read(report, "失败 Failed");
    let mut rows = failed.rows.clone();
    let (phone, dept) = (col(&rows, "手机"), col(&rows, "部门"));
    for (i, row) in rows.iter_mut().enumerate().skip(1) {
        row[phone] = format!("1370000{i:04}");
        row[dept] = "办公逸/研发部".into();
    }
    write_fixed_report(out, &rows);
    rows.len() - 1
}

fn report_of(runs: &Path, page: &str) -> PathBuf {
    runs.join(page.rsplit('/').next().unwrap())
        .join("report.xlsx")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn check_import_and_rerun_in_a_real_browser() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(15));
    let b = Bgy::new().against(&emu);
    let console = Console::start(&b, &["--data", "runs", "--concurrency", "2"]);
    let driver = driver().await;
    let c = browser(&driver, &b.path("chromium-profile")).await;
    sign_in(&c, &console).await;

    // Check: the counts and the red cells.
    sheet(&b.path("staff.xlsx"));
    upload(&c, &b.path("staff.xlsx")).await;
    assert_eq!(count(&c, "total").await, 303);
    assert_eq!(count(&c, "valid").await, 300);
    assert_eq!(count(&c, "invalid").await, 3);
    let red = c.find_all(Locator::Css("td.bad")).await.unwrap();
    assert_eq!(red.len(), 3, "one red cell a bad row");
    assert_eq!(red[0].text().await.unwrap(), "12345");
    let color = red[0].css_value("background-color").await.unwrap();
    assert_eq!(color, "rgba(255, 199, 206, 1)", "red as in the report");
    let check_page = c.current_url().await.unwrap().path().to_string();
    screenshot(&c, "console-red-cells.png").await;

    // Import: the progress view, then the end's counts (the page reloads itself on `done`).
    click(&c, "import").await;
    c.wait()
        .at_most(Duration::from_secs(10))
        .for_element(Locator::Css("[data-testid=\"progress\"]"))
        .await
        .expect("the progress view");
    let mut moved = false;
    for _ in 0..100 {
        let done = match c.find(Locator::Css("[data-field=\"done\"]")).await {
            Ok(e) => e.text().await.unwrap_or_default(),
            Err(_) => break,
        };
        if done.trim().parse::<u64>().unwrap_or(0) > 0 {
            moved = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(moved, "the progress counted rows as they were sent");
    screenshot(&c, "console-import-progress.png").await;
    assert_eq!(count(&c, "created").await, 300);
    assert_eq!(count(&c, "failed").await, 0);
    assert_eq!(count(&c, "invalid").await, 3);
    // Red says something went wrong: 3 invalid rows are, 0 failed is not.
    assert_eq!(count_color(&c, "invalid").await, "rgba(156, 0, 6, 1)");
    assert_ne!(count_color(&c, "failed").await, "rgba(156, 0, 6, 1)");
    let report = c
        .find(Locator::Css("[data-testid=\"report\"]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(report.ends_with("/report"), "{report}");
    screenshot(&c, "console-import-done.png").await;

    // Fix the report's red cells and upload it again: only those rows are sent.
    let fixed = b.path("fixed.report.xlsx");
    let n = fixed_report(&report_of(&b.path("runs"), &check_page), &fixed);
    assert_eq!(n, 3);
    emu.stats.reset();
    c.goto(&format!("{}/", console.base)).await.unwrap();
    upload(&c, &fixed).await;
    assert_eq!(count(&c, "total").await, 3);
    assert_eq!(count(&c, "valid").await, 3);
    click(&c, "import").await;
    assert_eq!(count(&c, "created").await, 3);
    assert_eq!(
        emu.stats.calls("staff/add"),
        3,
        "only the fixed rows were sent"
    );
    assert_eq!(emu.store.staff_count(), 2 + 303);
    c.close().await.unwrap();
}

/// The `data-status` of the run page open in the browser, once it is one of `wanted`.
async fn status_becomes(c: &Client, wanted: &[&str]) -> String {
    for _ in 0..300 {
        if let Ok(e) = c.find(Locator::Css("[data-testid=\"status\"]")).await {
            if let Ok(Some(s)) = e.attr("data-status").await {
                if wanted.contains(&s.as_str()) {
                    return s;
                }
            }
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    panic!("the run's status never became one of {wanted:?}");
}

/// Waits until the progress view counts at least `n` rows.
async fn progress_reaches(c: &Client, n: u64) {
    for _ in 0..300 {
        if let Ok(e) = c.find(Locator::Css("[data-field=\"done\"]")).await {
            if e.text()
                .await
                .unwrap_or_default()
                .trim()
                .parse::<u64>()
                .unwrap_or(0)
                >= n
            {
                return;
            }
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the progress never reached {n}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn stop_says_who_and_a_console_killed_mid_import_resumes_in_a_real_browser() {
    let emu = emulator().await;
    emu.set_latency(Duration::from_millis(25));
    let b = Bgy::new().against(&emu);
    let args = ["--data", "runs", "--concurrency", "1"];
    let console = Console::start(&b, &args);
    let driver = driver().await;
    let c = browser(&driver, &b.path("chromium-profile")).await;
    sign_in(&c, &console).await;
    std::fs::write(b.path("many.csv"), staff_csv("b", 200)).unwrap();
    upload(&c, &b.path("many.csv")).await;
    assert_eq!(count(&c, "valid").await, 200);

    // Stop: the page says who stopped it, not Ctrl-C.
    click(&c, "import").await;
    progress_reaches(&c, 5).await;
    click(&c, "stop").await;
    assert_eq!(status_becomes(&c, &["stopped"]).await, "stopped");
    let said = text(&c, "[data-testid=\"stopped\"]").await;
    assert!(said.contains("已停止,由"), "{said}");
    let body = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!body.contains("Ctrl-C"), "{body}");
    let stopped_at = count(&c, "created").await;

    // Resume, then kill -9 the console while it sends.
    click(&c, "resume").await;
    progress_reaches(&c, stopped_at + 5).await;
    let run = c.current_url().await.unwrap().path().to_string();
    let mut console = console;
    console.child.kill().unwrap();
    console.child.wait().unwrap();

    // A new console on the same folder: the run is interrupted, and Resume finishes it.
    let console = Console::start(&b, &args);
    sign_in(&c, &console).await;
    c.goto(&format!("{}{run}", console.base)).await.unwrap();
    assert_eq!(status_becomes(&c, &["interrupted"]).await, "interrupted");
    screenshot(&c, "console-interrupted.png").await;
    click(&c, "resume").await;
    assert_eq!(status_becomes(&c, &["ok"]).await, "ok");
    assert_eq!(emu.store.staff_count(), 2 + 200, "every row, none twice");
    c.close().await.unwrap();
}

/// axe-core from the npm registry (a pinned version, its checksum verified), kept in target/.
async fn axe_source() -> String {
    const VERSION: &str = "4.14.1";
    const SHA512: &str = "1477dafa598d8d065f273d6af302aa203c02e83131707b7fa648cd41bd3d6b734f8c22a0dab86ee6a6f64b8afbe804b214d36db85a2826965edfb3a0b9d546b5";
    let cached =
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("target/axe-core-{VERSION}.min.js"));
    if let Ok(text) = std::fs::read_to_string(&cached) {
        return text;
    }
    let url = format!("https://registry.npmjs.org/axe-core/-/axe-core-{VERSION}.tgz");
    let tgz = reqwest::get(&url)
        .await
        .and_then(reqwest::Response::error_for_status)
        .unwrap_or_else(|e| panic!("axe-core from the npm registry ({url}): {e}"))
        .bytes()
        .await
        .unwrap();
    use sha2::Digest;
    let sum: String = sha2::Sha512::digest(&tgz)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    assert_eq!(sum, SHA512, "axe-core {VERSION}'s checksum");
    let mut archive = tar::Archive::new(flate2::read::GzDecoder::new(&tgz[..]));
    let mut text = None;
    for entry in archive.entries().unwrap() {
        let mut entry = entry.unwrap();
        if entry.path().unwrap().ends_with("axe.min.js") {
            let mut s = String::new();
            std::io::Read::read_to_string(&mut entry, &mut s).unwrap();
            text = Some(s);
        }
    }
    let text = text.expect("axe.min.js in the package");
    let _ = std::fs::write(&cached, &text);
    text
}

/// The serious and critical accessibility violations of the page open in the browser.
async fn violations(c: &Client, axe: &str) -> Vec<String> {
    c.execute(&format!("{axe}\nreturn true;"), vec![])
        .await
        .expect("axe-core loads");
    let found = c
        .execute_async(
            "const done = arguments[arguments.length - 1];
             axe.run(document).then(r => done(r.violations
               .filter(v => v.impact === 'serious' || v.impact === 'critical')
               .map(v => v.id + ' (' + v.impact + '): ' + v.nodes.map(n => n.target.join(' ')).join(', '))));",
            vec![],
        )
        .await
        .expect("axe-core runs");
    serde_json::from_value(found).unwrap()
}

/// Checks the page open in the browser: no serious or critical accessibility violation, and no
/// command-line option in its text.
async fn page_is_for_hr(c: &Client, axe: &str) {
    let url = c.current_url().await.unwrap();
    let found = violations(c, axe).await;
    assert!(found.is_empty(), "{url}: {found:#?}");
    let text = c
        .find(Locator::Css("body"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let flag = text
        .match_indices("--")
        .find(|(i, _)| text[i + 2..].starts_with(|ch: char| ch.is_ascii_lowercase()));
    assert!(
        flag.is_none(),
        "{url}: a command-line option on the page: {text}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_hr_export_goes_from_its_own_columns_to_a_finished_import_in_chinese_and_english() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let console = Console::start(&b, &["--data", "runs"]);
    let axe = axe_source().await;
    let driver = driver().await;
    let c = browser(&driver, &b.path("chromium-profile")).await;
    c.set_window_size(1366, 900).await.unwrap();
    sign_in(&c, &console).await;
    page_is_for_hr(&c, &axe).await;

    // The HR system's export: a title row, 工号 and no 帐号, its own names, an unknown column.
    let hr = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/hr-export.xlsx");
    upload(&c, &hr).await;
    let map = c
        .wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css("[data-testid=\"column-map\"]"))
        .await
        .expect("the columns to choose");
    let employee = map
        .find(Locator::Css("select[data-header=\"工号\"]"))
        .await
        .expect("工号 to choose for");
    assert_eq!(
        employee.prop("value").await.unwrap().as_deref(),
        Some("we_userid"),
        "the best guess"
    );
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("工号不会自动当作帐号"),
        "the rule, said: {text}"
    );
    page_is_for_hr(&c, &axe).await;
    screenshot(&c, "console-columns.png").await;
    click(&c, "apply-map").await;

    // Checked again with those columns: the counts, and what an import would do.
    assert_eq!(count(&c, "total").await, 4);
    let valid = count(&c, "valid").await;
    assert!(valid >= 2, "{valid}");
    let preview = text_of(&c, "[data-testid=\"import-preview\"]").await;
    assert!(preview.contains(&format!("将新增 {valid} 人")), "{preview}");
    page_is_for_hr(&c, &axe).await;
    screenshot(&c, "console-check.png").await;
    c.set_window_size(390, 844).await.unwrap();
    screenshot(&c, "console-check-390.png").await;
    page_is_for_hr(&c, &axe).await;
    c.set_window_size(1366, 900).await.unwrap();

    // English, and back.
    click(&c, "lang").await;
    let title = text_of(&c, "h1").await;
    assert!(title.starts_with("Check"), "{title}");
    assert!(text_of(&c, "[data-testid=\"summary\"]")
        .await
        .contains("Rows"));
    page_is_for_hr(&c, &axe).await;
    screenshot(&c, "console-check-en.png").await;
    click(&c, "lang").await;
    assert!(text_of(&c, "h1").await.starts_with("检查"));

    // The department that does not exist yet is created on import.
    click(&c, "create-departments").await;
    click(&c, "import").await;
    status_becomes(&c, &["ok", "rows-failed"]).await;
    // The rows whose department was missing are created with it.
    assert_eq!(count(&c, "created").await, valid + 1);
    assert!(
        emu.store.departments().iter().any(|d| d.we_name == "后端"),
        "the department was created"
    );
    page_is_for_hr(&c, &axe).await;
    screenshot(&c, "console-import.png").await;
    assert!(
        emu.store.person("E001").is_some(),
        "imported under the HR numbers"
    );
    let run = c.current_url().await.unwrap();
    let text = c
        .find(Locator::Css("main"))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        text.contains("工号 → 帐号"),
        "the columns chosen, on the run's page: {text}"
    );

    // Every other page HR may open.
    for path in ["/runs", "/history", "/departments", "/history/1"] {
        c.goto(&format!("{}{path}", console.base)).await.unwrap();
        page_is_for_hr(&c, &axe).await;
    }
    c.goto(run.as_str()).await.unwrap();
    c.close().await.unwrap();
}

async fn text_of(c: &Client, css: &str) -> String {
    text(c, css).await
}

/// 定时同步 in the browser: a run the schedule paused is approved with its button, sent as a
/// run of the console, and the page scanned by axe-core in both languages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_paused_scheduled_run_is_approved_with_its_button_in_a_real_browser() {
    use crate::unattended::{directory, robot, runs, settings, sheet, NEWCOMERS};
    let emu = directory(20).await;
    let (robot, hook) = robot().await;
    let b = Bgy::new().against(&emu);
    settings(&b, &hook, "max_changes = 1");
    b.write("hr/花名册-12月.csv", sheet(0..20, &NEWCOMERS));
    let paused = b.run(&["schedule", "--once", "--json"]).await;
    paused.assert_code(4);
    let run = paused.json()["history_run"].as_i64().unwrap();
    let console = Console::start(&b, &["--data", "runs"]);
    let driver = driver().await;
    let c = browser(&driver, &b.path("chromium-profile")).await;
    let axe = axe_source().await;
    sign_in(&c, &console).await;
    c.goto(&format!("{}/schedule", console.base)).await.unwrap();
    let waiting = text_of(&c, "[data-testid=\"pending\"]").await;
    assert!(waiting.contains("花名册-12月.csv"), "{waiting}");
    assert!(waiting.contains("max_changes"), "why it waits: {waiting}");
    c.find(Locator::Css("[data-testid=\"pending\"] summary"))
        .await
        .unwrap()
        .click()
        .await
        .unwrap();
    let plan = text_of(&c, "[data-testid=\"pending\"] table.plan").await;
    assert!(
        plan.contains("new01") && plan.contains("新增"),
        "the plan to read: {plan}"
    );
    page_is_for_hr(&c, &axe).await;
    screenshot(&c, "console-schedule.png").await;
    click(&c, "lang").await;
    let english = text_of(&c, "main").await;
    assert!(english.contains("Waiting for approval"), "{english}");
    page_is_for_hr(&c, &axe).await;
    click(&c, "lang").await;
    // The SPEC's hook, in the run's row.
    c.find(Locator::Css(&format!(
        "tr[data-run=\"{run}\"][data-status=\"pending\"] [data-testid=\"approve\"]"
    )))
    .await
    .unwrap()
    .click()
    .await
    .unwrap();
    assert_eq!(
        status_becomes(&c, &["ok", "rows-failed", "fatal", "failed"]).await,
        "ok"
    );
    assert_eq!(count(&c, "created").await, 2);
    assert!(emu.store.person("new01").is_some() && emu.store.person("new02").is_some());
    let history = runs(&b).await;
    assert_eq!(
        history.iter().find(|r| r["id"] == run).unwrap()["status"],
        "approved"
    );
    c.goto(&format!("{}/schedule", console.base)).await.unwrap();
    text_of(&c, "[data-testid=\"no-pending\"]").await;
    assert!(
        robot.texts().iter().any(|t| t.contains("成功")),
        "the robot told of the approval"
    );
    c.close().await.unwrap();
}

/// An undo planned in the browser counts the people changed since the run, left alone, with
/// the people it restores; the page scanned by axe-core in both languages.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_undo_planned_in_a_real_browser_counts_the_people_changed_since() {
    let emu = emulator().await;
    let b = Bgy::new().against(&emu);
    let run = crate::history::renamed_then_one_renamed_again(&b, "k").await;
    let console = Console::start(&b, &["--data", "runs"]);
    let driver = driver().await;
    let c = browser(&driver, &b.path("chromium-profile")).await;
    let axe = axe_source().await;
    sign_in(&c, &console).await;
    c.goto(&format!("{}/history/{run}", console.base))
        .await
        .unwrap();
    click(&c, "undo").await;
    assert_eq!(count(&c, "conflicts").await, 1);
    assert_eq!(count(&c, "updated").await, 1);
    let summary = text_of(&c, "[data-testid=\"summary\"]").await;
    assert!(summary.contains("已被改动,不恢复"), "{summary}");
    page_is_for_hr(&c, &axe).await;
    screenshot(&c, "console-undo-conflict.png").await;
    click(&c, "lang").await;
    let summary = text_of(&c, "[data-testid=\"summary\"]").await;
    assert!(summary.contains("Changed since, left alone"), "{summary}");
    page_is_for_hr(&c, &axe).await;
    assert_eq!(
        emu.store.person("k000").unwrap()["we_name"],
        "后来0",
        "a plan sends nothing"
    );
    c.close().await.unwrap();
}
