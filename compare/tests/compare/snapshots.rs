//! Snapshots of the JSON and JUnit reports, so a format change is a reviewed diff.
//!
//! Everything time-dependent is fixed: the test player reports fixed durations, one
//! worker thread makes the noisy tokens deterministic, and `generated_at`/`elapsed`
//! are set before rendering.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use playback_compare::{JsonDiff, Progress, Report, Studio, SummaryOptions, Tuning};
use playback_replay::Playback;
use playback_store::{Outcome, Recording};
use serde_json::json;
use time::macros::datetime;

use crate::support::{id, player, rec, rec_with, side};

/// A report with every status, learned noise and a problem.
pub(crate) fn sample_report() -> Report {
    let mut cancelled = rec("checkout", &id(9), json!(null), json!({"Ok": {"total": 3}}));
    cancelled.outcome = Outcome::Incomplete;
    let recs = vec![
        cancelled,
        rec(
            "checkout",
            &id(1),
            json!({"Ok": {"total": 10, "currency": "EUR"}}),
            json!({"Ok": {"total": 10, "currency": "EUR"}}),
        ),
        rec(
            "checkout",
            &id(2),
            json!({"Ok": {"total": 10, "currency": "EUR"}}),
            json!({"Ok": {"total": 11, "currency": "EUR"}}),
        ),
        rec_with("checkout", &id(3), "err"),
        rec(
            "refund",
            &id(4),
            json!({"Err": "declined"}),
            json!({"Ok": {"refunded": 5}}),
        ),
        rec(
            "refund",
            &id(5),
            json!({"Ok": {"refunded": 5, "receipt": {"playback.unrecordable": "Receipt is not Serialize"}}}),
            json!({"Ok": {"refunded": 5, "receipt": {"pdf": "JVBERi0="}}}),
        ),
        rec("search", &id(6), json!({"Ok": []}), json!({"Ok": []})),
        rec("tokens", &id(7), json!(1), json!(1)),
        rec("tokens", &id(8), json!(1), json!(2)),
    ];
    let runs = AtomicU64::new(1);
    let noisy = move |r: &Recording| {
        let token = runs.fetch_add(1, Ordering::Relaxed);
        let recorded = side(
            &json!({"Ok": {"token": "t-0", "n": r.metadata["recorded"]}}),
            700,
        );
        let replayed = side(
            &json!({"Ok": {"token": format!("t-{token}"), "n": r.metadata["replayed"]}}),
            70,
        );
        Ok::<_, std::io::Error>(Playback::new(
            r.id.clone(),
            r.category.clone(),
            recorded,
            replayed,
            vec![],
        ))
    };
    let mut report = Studio::from_recordings(recs)
        .player(player)
        .threads(1)
        .learn_noise(1)
        .tune(
            "refund",
            Tuning::new().comparator(JsonDiff::new().detect_fixed(true)),
        )
        .tune("tokens", Tuning::new().player(noisy))
        .tuner(|category: &str| Err::<Tuning, _>(format!("no tuning for category {category}")))
        .tune("checkout", Tuning::new())
        .progress(Progress::Never)
        .run();
    report.generated_at = datetime!(2026-01-02 03:04:05 UTC);
    report.elapsed = Duration::from_millis(1234);
    report
}

#[test]
fn json_report_snapshot() {
    let report = sample_report();
    let json = report.to_json().unwrap();
    insta::assert_snapshot!("report_json", json);
    // And it reads back to the same report.
    let back = Report::from_json(json.as_bytes()).unwrap();
    assert_eq!(back.comparisons, report.comparisons);
    assert_eq!(back.generated_at, report.generated_at);
}

#[test]
fn junit_report_snapshot() {
    insta::assert_snapshot!("report_junit", sample_report().to_junit().unwrap());
}

#[test]
fn terminal_summary_snapshot() {
    let text = sample_report().summary(&SummaryOptions::new().color(false));
    insta::assert_snapshot!("report_summary", text);
}

#[test]
fn coloured_summary_highlights_the_changed_characters() {
    let text = sample_report().summary(&SummaryOptions::new().color(true));
    assert!(text.contains("\u{1b}["), "ANSI colours are used");
    assert!(text.contains("/result/Ok/total"));
}
