//! The command line itself: bad options are exit 2 with a message, and the ticket never shows.

use crate::common::*;

#[tokio::test]
async fn bad_option_values_are_exit_2_with_a_message() {
    let bgy = Bgy::new();
    let r = bgy.run(&["--concurrency", "-1", "template"]).await;
    assert_eq!(r.code, 2, "{}", r.stderr);
    assert!(
        r.stderr
            .contains("--concurrency must be between 1 and 1024, not -1"),
        "{}",
        r.stderr
    );
    let r = bgy
        .run(&["--base-url", "::nope::", "--ticket", "x", "template"])
        .await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("is not an http(s) URL"), "{}", r.stderr);
    let r = bgy.run(&["--concurrency", "many", "template"]).await;
    assert_eq!(r.code, 2);
    let r = bgy.run(&["import", "x.xlsx"]).await;
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("BGY_TICKET"), "{}", r.stderr);
}

#[tokio::test]
async fn help_never_shows_the_ticket_from_the_environment() {
    let bgy = Bgy::new();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_bgy"))
        .arg("--help")
        .env("BGY_TICKET", TICKET)
        .output()
        .unwrap();
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("--ticket"), "{text}");
    assert!(!text.contains(TICKET));
    drop(bgy);
}
