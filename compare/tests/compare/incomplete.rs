//! Incomplete recordings (the operation was cancelled while recording): skipped by
//! default, never failing the run; with `include_incomplete(true)`, compared on what
//! was recorded only.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use playback_compare::{Equalizer, Progress, Report, Status, Studio, SummaryOptions};
use playback_replay::{Output, Playback, Side};
use playback_store::{Outcome, Recording};
use serde_json::{Value, json};

use crate::support::{id, player, rec};

const SKIP_MESSAGE: &str = "incomplete recording: the operation was cancelled while recording; use .include_incomplete(true) to compare what was recorded";

fn incomplete(n: usize) -> Recording {
    let mut r = rec("checkout", &id(n), json!(null), json!({"Ok": 1}));
    r.outcome = Outcome::Incomplete;
    r.result = None;
    r
}

fn output(n: u32, total: u64) -> Output {
    Output::new(
        "shop::notify",
        n,
        json!({"total": total}),
        json!(null),
        false,
    )
}

/// Production was cancelled after `recorded` outputs; the replay runs to the end,
/// makes `replayed` outputs and returns a result.
fn cancelled_player(
    recorded: Vec<Output>,
    replayed: Vec<Output>,
) -> impl Fn(&Recording) -> Result<Playback, std::io::Error> + Send + Sync + 'static {
    move |rec: &Recording| {
        let a = Side::new(Value::Null, false, recorded.clone(), Duration::ZERO);
        let b = Side::new(json!({"Ok": 7}), false, replayed.clone(), Duration::ZERO);
        Ok(Playback::new(
            rec.id.clone(),
            rec.category.clone(),
            a,
            b,
            vec![],
        ))
    }
}

#[test]
fn incomplete_recordings_are_skipped_by_default_and_never_fail_the_run() {
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    let recs = vec![
        rec("checkout", &id(1), json!({"Ok": 1}), json!({"Ok": 1})),
        incomplete(2),
        incomplete(3),
    ];
    let report = Equalizer::new(recs)
        .player(move |r: &Recording| {
            counted.fetch_add(1, Ordering::Relaxed);
            player(r)
        })
        .progress(Progress::Never)
        .run();
    assert_eq!(
        calls.load(Ordering::Relaxed),
        1,
        "only the complete one replays"
    );
    let statuses: Vec<Status> = report.comparisons.iter().map(|c| c.status).collect();
    assert_eq!(statuses, [Status::Equal, Status::Skipped, Status::Skipped]);
    assert_eq!(report.comparisons[1].message.as_deref(), Some(SKIP_MESSAGE));
    assert_eq!(report.counts().skipped, 2);
    assert_eq!(report.counts().failing(), 0);
    assert_eq!(report.categories()[0].counts.skipped, 2);
    assert_eq!(report.exit_code(), 0);

    let summary = report.summary(&SummaryOptions::new().color(false));
    assert!(
        summary.contains("2 recordings skipped (not compared, they do not fail):"),
        "{summary}"
    );
    assert!(summary.contains(&format!("checkout  {}  {SKIP_MESSAGE}", id(2))));
    assert!(
        summary.ends_with("OK: 1 equal, 0 fixed; 2 skipped\n"),
        "{summary}"
    );

    let junit = report.to_junit().unwrap();
    assert!(
        junit.contains(&format!(
            "<skipped message=\"{}\" type=\"skipped\"/>",
            SKIP_MESSAGE
        )),
        "{junit}"
    );
    let html = report.to_html();
    assert!(html.contains("<span class=\"badge skipped\">skipped</span>"));
    assert!(html.contains("OK: 1 equal, 0 fixed, 2 skipped"));
    let json = report.to_json().unwrap();
    assert!(json.contains("\"skipped\": 2"), "{json}");
    assert_eq!(
        Report::from_json(json.as_bytes()).unwrap().comparisons,
        report.comparisons
    );
}

#[test]
fn skipped_recordings_do_not_hide_a_failure() {
    let recs = vec![
        rec("checkout", &id(1), json!({"Ok": 1}), json!({"Ok": 2})),
        incomplete(2),
    ];
    let report = Equalizer::new(recs)
        .player(player)
        .progress(Progress::Never)
        .run();
    assert_eq!(report.exit_code(), 1);
    let summary = report.summary(&SummaryOptions::new().color(false));
    assert!(
        summary.ends_with("FAILED: 1 different (exit code 1); 1 skipped\n"),
        "{summary}"
    );
}

#[test]
fn every_skipped_recording_gets_a_warning_that_nothing_was_compared() {
    let report = Equalizer::new(vec![incomplete(1)])
        .player(player)
        .progress(Progress::Never)
        .run();
    let summary = report.summary(&SummaryOptions::new().color(false));
    assert!(
        summary.contains("warning: every recording was skipped, so nothing was compared"),
        "{summary}"
    );
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn include_incomplete_compares_only_the_recorded_outputs_and_not_the_result() {
    // The replay makes the recorded output again, then one more, and returns a
    // result production never returned: none of that is a regression.
    let report = Equalizer::new(vec![incomplete(1)])
        .player(cancelled_player(
            vec![output(1, 10)],
            vec![output(1, 10), output(2, 99)],
        ))
        .include_incomplete(true)
        .progress(Progress::Never)
        .run();
    let c = &report.comparisons[0];
    assert_eq!(c.status, Status::Equal);
    assert_eq!(
        c.message.as_deref(),
        Some(
            "incomplete recording: only what was recorded was compared (its 1 outputs, not the result)"
        )
    );
    assert_eq!(report.exit_code(), 0);

    // A change inside the recorded part is still a difference.
    let report = Equalizer::new(vec![incomplete(1)])
        .player(cancelled_player(vec![output(1, 10)], vec![output(1, 11)]))
        .include_incomplete(true)
        .progress(Progress::Never)
        .run();
    let c = &report.comparisons[0];
    assert_eq!(c.status, Status::Different);
    let paths: Vec<&str> = c.differences.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(paths, ["/outputs/0/args/total"]);
    assert_eq!(c.recorded.as_ref().unwrap()["result"], Value::Null);
    assert_eq!(
        c.replayed.as_ref().unwrap()["outputs"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
}

#[test]
fn include_incomplete_keeps_the_whole_playback_with_keep_results() {
    let report = Equalizer::new(vec![incomplete(1)])
        .player(cancelled_player(
            vec![output(1, 10)],
            vec![output(1, 10), output(2, 99)],
        ))
        .include_incomplete(true)
        .keep_results(true)
        .progress(Progress::Never)
        .run();
    let playback = report.comparisons[0].playback.as_ref().unwrap();
    assert_eq!(playback.replayed().outputs().len(), 2);
    assert_eq!(playback.replayed().result(), &json!({"Ok": 7}));
}

#[test]
fn include_incomplete_replay_error_is_failed_with_its_message() {
    let report = Studio::from_recordings(vec![incomplete(1)])
        .player(|_: &Recording| Err::<Playback, _>("the recording ended before the operation did"))
        .include_incomplete(true)
        .progress(Progress::Never)
        .run();
    let c = &report.comparisons[0];
    assert_eq!(c.status, Status::Failed);
    assert_eq!(
        c.message.as_deref(),
        Some("replay failed: the recording ended before the operation did")
    );
}

#[test]
fn merging_shards_keeps_the_skipped_recordings() {
    let recs = || -> Vec<Recording> {
        (0..30)
            .map(|n| {
                if n % 3 == 0 {
                    incomplete(n)
                } else {
                    rec("checkout", &id(n), json!({"Ok": n}), json!({"Ok": n}))
                }
            })
            .collect()
    };
    let whole = Equalizer::new(recs())
        .player(player)
        .progress(Progress::Never)
        .run();
    assert_eq!(whole.counts().skipped, 10);
    let shards: Vec<Report> = (1..=3)
        .map(|k| {
            let r = Equalizer::new(recs())
                .player(player)
                .shard(k, 3)
                .progress(Progress::Never)
                .run();
            Report::from_json(r.to_json().unwrap().as_bytes()).unwrap()
        })
        .collect();
    let merged = Report::merge(shards).unwrap();
    assert_eq!(merged.counts().skipped, 10);
    assert_eq!(merged.comparisons, whole.comparisons);
    assert_eq!(merged.exit_code(), 0);
}
