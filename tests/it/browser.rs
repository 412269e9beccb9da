//! The web console in a real browser: headless Chromium (Debian's `chromium`), driven over
//! WebDriver (`chromedriver`, Debian's `chromium-driver`). Upload a sheet with errors, see the
//! red cells and the counts, import, watch the progress reach the end, then fix the report
//! and upload it again: only those rows are sent. It fails, never skips, when the browser is
//! missing. Its screenshots are the README's (target/screenshots/).

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

async fn text(c: &Client, css: &str) -> String {
    c.wait()
        .at_most(Duration::from_secs(30))
        .for_element(Locator::Css(css))
        .await
        .unwrap_or_else(|e| panic!("{css}: {e}"))
        .text()
        .await
        .unwrap()
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
    let start = format!(
        "{}/?token={}",
        console.base,
        console.token.as_deref().unwrap()
    );
    c.goto(&start).await.unwrap();

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
    screenshot(&c, "console-check.png").await;

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
    let report = c
        .find(Locator::Css("[data-testid=\"report\"]"))
        .await
        .unwrap()
        .attr("href")
        .await
        .unwrap()
        .unwrap();
    assert!(report.ends_with("/report"), "{report}");
    screenshot(&c, "console-import.png").await;

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
    c.goto(&format!(
        "{}/?token={}",
        console.base,
        console.token.as_deref().unwrap()
    ))
    .await
    .unwrap();
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
    c.goto(&format!(
        "{}/?token={}",
        console.base,
        console.token.as_deref().unwrap()
    ))
    .await
    .unwrap();
    c.goto(&format!("{}{run}", console.base)).await.unwrap();
    assert_eq!(status_becomes(&c, &["interrupted"]).await, "interrupted");
    screenshot(&c, "console-interrupted.png").await;
    click(&c, "resume").await;
    assert_eq!(status_becomes(&c, &["ok"]).await, "ok");
    assert_eq!(emu.store.staff_count(), 2 + 200, "every row, none twice");
    c.close().await.unwrap();
}
