//! The HTML report, rendered by headless Chromium.

use std::path::Path;
use std::process::Command;

use crate::snapshots::sample_report;

fn chromium() -> Option<&'static str> {
    ["chromium", "chromium-browser"].into_iter().find(|name| {
        Command::new(name)
            .arg("--version")
            .output()
            .is_ok_and(|o| o.status.success())
    })
}

/// Runs headless Chromium on `page` with `args` and returns its stdout.
fn headless(browser: &str, page: &Path, args: &[&str]) -> String {
    let profile = tempfile::tempdir().unwrap();
    let output = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(format!("file://{}", page.display()))
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

#[test]
fn html_report_renders_in_chromium_and_shows_the_differing_path() {
    let dir = tempfile::tempdir().unwrap();
    let page = dir.path().join("report.html");
    sample_report().write_html(&page).unwrap();
    let html = std::fs::read_to_string(&page).unwrap();
    // Self-contained: no external resource.
    assert!(
        !html.contains("src=\"http") && !html.contains("href=\"http"),
        "the page loads nothing"
    );
    assert!(html.contains("/result/Ok/total"));
    assert!(html.contains("<span class=\"badge skipped\">skipped</span>"));
    assert!(html.contains(
        "<tr class=\"not-comparable\"><td class=\"path\"><code>/result/Ok/receipt</code></td>"
    ));

    let Some(browser) = chromium() else {
        eprintln!(
            "\n**********\nSKIPPED html_report_renders_in_chromium: `chromium` is not installed \
             (apt-get install chromium); .ci/html-check.sh runs this check in CI\n**********\n"
        );
        return;
    };
    let dom = headless(browser, &page, &["--dump-dom"]);
    assert!(
        dom.contains("<h1>playback report</h1>"),
        "the page rendered: {}",
        &dom[..dom.len().min(500)]
    );
    assert!(
        dom.contains("/result/Ok/total"),
        "the differing path is shown"
    );
    assert!(
        dom.contains("class=\"mark-diff\" title=\"/result/Ok/total\""),
        "the differing value is highlighted"
    );
    assert!(
        dom.contains("Paths learned as noise"),
        "noise is shown apart"
    );
    assert!(
        dom.contains("class=\"mark-na\" title=\"/result/Ok/receipt\""),
        "a path that is not comparable is marked apart"
    );

    let shot = dir.path().join("shot.png");
    headless(
        browser,
        &page,
        &[
            "--window-size=1280,900",
            &format!("--screenshot={}", shot.display()),
        ],
    );
    let png = std::fs::read(&shot).unwrap();
    assert_eq!(&png[..8], b"\x89PNG\r\n\x1a\n");
    assert!(
        png.len() > 10_000,
        "the screenshot has content ({} bytes)",
        png.len()
    );
}
