//! Redacted paths in every report format: a path redacted on both sides compares by
//! fingerprint; a changed one is Different at its path, as "redacted value changed",
//! and no report shows a value or a fingerprint for it.

use std::time::Duration;

use playback_compare::{Progress, REDACTED_CHANGED, Report, Status, Studio, SummaryOptions};
use serde_json::{Value, json};
use time::macros::datetime;

use crate::support::{id, player, rec};

fn marker(fingerprint: &str) -> Value {
    json!({"playback.redacted": fingerprint})
}

/// One recording whose redacted email is unchanged, one whose email changed.
fn redacted_report() -> Report {
    let recs = vec![
        rec(
            "contact",
            &id(1),
            json!({"Ok": {"email": marker("0f1e2d3c"), "plan": "gold"}}),
            json!({"Ok": {"email": marker("0f1e2d3c"), "plan": "gold"}}),
        ),
        rec(
            "contact",
            &id(2),
            json!({"Ok": {"email": marker("0f1e2d3c"), "plan": "gold"}}),
            json!({"Ok": {"email": marker("9a8b7c6d"), "plan": "gold"}}),
        ),
    ];
    let mut report = Studio::from_recordings(recs)
        .player(player)
        .threads(1)
        .progress(Progress::Never)
        .run();
    report.generated_at = datetime!(2026-01-02 03:04:05 UTC);
    report.elapsed = Duration::from_millis(1234);
    report
}

#[test]
fn a_changed_redacted_value_is_different_at_its_path_and_an_unchanged_one_is_equal() {
    let report = redacted_report();
    let statuses: Vec<Status> = report.comparisons.iter().map(|c| c.status).collect();
    assert_eq!(statuses, vec![Status::Equal, Status::Different]);
    let changed = &report.comparisons[1];
    let paths: Vec<&str> = changed
        .differences
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        paths,
        vec!["/outputs/0/args/saved/Ok/email", "/result/Ok/email"]
    );
    assert!(changed.differences.iter().all(|d| d.is_redacted()));
}

/// Every line of `text` that names the changed path.
fn lines_about_the_change(text: &str) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let mut out = Vec::new();
    for (i, line) in lines.iter().enumerate() {
        if line.contains("/result/Ok/email") {
            out.extend(lines[i..(i + 2).min(lines.len())].iter().copied());
        }
    }
    out.join("\n")
}

#[test]
fn terminal_summary_shows_the_path_and_redacted_value_changed() {
    let text = redacted_report().summary(&SummaryOptions::new().color(false));
    assert!(text.contains(REDACTED_CHANGED));
    assert!(!text.contains("9a8b7c6d"), "no fingerprint is printed");
    insta::assert_snapshot!("redacted_summary", lines_about_the_change(&text));
}

#[test]
fn json_report_shows_the_path_and_redacted_value_changed() {
    let json = redacted_report().to_json().unwrap();
    let parsed: Value = serde_json::from_str(&json).unwrap();
    let diffs = &parsed["comparisons"][1]["differences"];
    insta::assert_snapshot!(
        "redacted_json",
        serde_json::to_string_pretty(diffs).unwrap()
    );
}

#[test]
fn junit_report_shows_the_path_and_redacted_value_changed() {
    let xml = redacted_report().to_junit().unwrap();
    assert!(!xml.contains("9a8b7c6d"), "no fingerprint is printed");
    insta::assert_snapshot!("redacted_junit", lines_about_the_change(&xml));
}

#[test]
fn html_report_shows_the_path_and_redacted_value_changed() {
    let html = redacted_report().to_html();
    let rows: Vec<&str> = html
        .lines()
        .filter(|l| l.starts_with("<tr class=\"diff\">"))
        .collect();
    assert_eq!(rows.len(), 2);
    insta::assert_snapshot!("redacted_html", rows.join("\n"));
}
