//! Matrices over recordings: replay, compare and report per combination.

use playback_compare::Status;
use playback_matrix::{RecordingMatrix, Setup, action};
use serde_json::json;

use crate::support::{recordings, replayer};

fn rounding() -> RecordingMatrix {
    RecordingMatrix::over(recordings(4))
        .replayer(replayer())
        .input_axis("rounding", "shop::rounding", || {
            ["nearest", "floor", "ceil"].into_iter().map(String::from)
        })
        .threads(2)
}

#[test]
fn every_recording_under_every_option_is_replayed_compared_and_reported_per_combination() {
    let m = rounding().run().unwrap();
    assert_eq!(m.walks, 12);
    // 15, 30, 45, 60: floor and ceil change the odd quantities only
    let statuses: Vec<(String, Status)> = m
        .report
        .comparisons
        .iter()
        .map(|c| {
            (
                c.combination.as_ref().unwrap().options[0].value.to_string(),
                c.status,
            )
        })
        .collect();
    let different = |mode: &str| {
        statuses
            .iter()
            .filter(|(m, s)| m == mode && *s == Status::Different)
            .count()
    };
    assert_eq!(
        (
            different("\"nearest\""),
            different("\"floor\""),
            different("\"ceil\"")
        ),
        (0, 2, 2)
    );
    assert_eq!(m.errors, 4);
    assert_eq!(m.failed.len(), 4);
    let c = m
        .report
        .comparisons
        .iter()
        .find(|c| {
            c.status == Status::Different
                && c.combination.as_ref().unwrap().options[0].value == "floor"
        })
        .unwrap();
    assert_eq!(c.differences[0].path, "/outputs/0/args");
    assert_eq!(c.differences[0].recorded, Some(json!(15)));
    assert_eq!(c.differences[0].replayed, Some(json!(10)));
    // which combinations change results
    let combos = m.combinations();
    assert_eq!(combos.len(), 3);
    assert_eq!(
        combos.iter().map(|(_, c)| c.different).collect::<Vec<_>>(),
        [0, 2, 2]
    );
}

#[test]
fn the_axis_breakdown_names_the_only_option_that_changes_results() {
    let m = RecordingMatrix::over(recordings(4))
        .replayer(replayer())
        .input_axis("rounding", "shop::rounding", || {
            ["nearest", "floor"].into_iter().map(String::from)
        })
        .axis(action(
            "cache",
            || [false, true].into_iter(),
            |on: &bool, s: &mut Setup| {
                s.set("cache", on);
                Ok::<_, String>(())
            },
        ))
        .run()
        .unwrap();
    assert_eq!(m.walks, 16);
    let axes = m.report.axes();
    assert_eq!(axes[0].axis, "rounding");
    assert_eq!(axes[0].only_when, Some(json!("floor")));
    assert_eq!(
        axes[0].sentence(),
        "rounding: different only when rounding = \"floor\" (4 walks)"
    );
    assert_eq!(axes[1].only_when, None);
    let summary = m
        .report
        .summary(&playback_compare::SummaryOptions::new().color(false));
    assert!(
        summary.contains("different only when rounding = \"floor\""),
        "{summary}"
    );
    let html = m.report.to_html();
    assert!(html.contains("<table class=\"totals axes\">"));
    assert!(html.contains("(only here)"));
    let junit = m.report.to_junit().unwrap();
    assert!(
        junit.contains("[rounding=&quot;floor&quot;, cache=true]"),
        "{junit}"
    );
    let json = m.report.to_json().unwrap();
    assert!(json.contains("\"combination\""));
    let back = playback_compare::Report::from_json(json.as_bytes()).unwrap();
    assert_eq!(back.comparisons, m.report.comparisons);
}

#[test]
fn a_configure_closure_and_keyed_overrides_reach_the_code_under_test() {
    let m = RecordingMatrix::over(recordings(2))
        .replayer(replayer())
        .axis(action(
            "price",
            || ["recorded", "discounted"].into_iter().map(String::from),
            |p: &String, s: &mut Setup| {
                s.set("price", p);
                Ok::<_, String>(())
            },
        ))
        .configure(|setup, replayer| {
            let mut s = Setup::default();
            s.override_input("shop::rounding", "nearest");
            if setup.get("price") == Some(&json!("discounted")) {
                s.override_input_for("shop::price", 2, 10); // qty 2 only
            }
            s.apply(replayer)
        })
        .run()
        .unwrap();
    let different: Vec<_> = m
        .report
        .comparisons
        .iter()
        .filter(|c| c.status == Status::Different)
        .collect();
    assert_eq!(different.len(), 1);
    assert_eq!(different[0].differences[0].replayed, Some(json!(20)));
    // the recorded price input was consumed by the override: nothing is reported unused
    assert!(m.report.comparisons.iter().all(|c| c.unused.is_empty()));
}

#[test]
fn replay_walk_by_id_reruns_one_recording_with_its_options() {
    let dir = tempfile::tempdir().unwrap();
    let trace = dir.path().join("m.jsonl");
    let matrix = rounding().trace(&trace);
    let m = matrix.run().unwrap();
    let id = m.failed[0];
    let c = matrix.replay_walk_by_id(&trace, id).unwrap();
    assert_eq!(c.status, Status::Different);
    assert_eq!(c.combination.as_ref().unwrap().walk_id, id.to_string());
    assert!(c.playback.is_some(), "the playback is kept for inspection");
    let line = playback_matrix::find_walk(&trace, id).unwrap().0;
    assert_eq!(line.outcome, "different");
    assert_eq!(line.recording.as_deref(), Some(c.recording_id.as_str()));
}

#[test]
fn a_failing_axis_action_makes_its_walks_errors() {
    let m = RecordingMatrix::over(recordings(2))
        .replayer(replayer())
        .axis(action(
            "rounding",
            || 0..2u8,
            |n: &u8, s: &mut Setup| {
                if *n == 1 {
                    return Err("mode 1 is not implemented".to_owned());
                }
                s.override_input("shop::rounding", "nearest");
                Ok(())
            },
        ))
        .run()
        .unwrap();
    assert_eq!((m.walks, m.errors), (4, 2));
    let errors: Vec<_> = m
        .report
        .comparisons
        .iter()
        .filter(|c| c.status == Status::Error)
        .collect();
    assert_eq!(errors.len(), 2);
    assert_eq!(
        errors[0].message.as_deref(),
        Some("action `rounding` failed: mode 1 is not implemented")
    );
}

#[test]
fn every_walk_is_a_test_that_nextest_can_partition_and_that_fails_on_a_difference() {
    let trials = rounding().trials();
    assert_eq!(trials.len(), 12);
    let names: Vec<String> = trials.iter().map(|t| t.name().to_owned()).collect();
    let mut unique = names.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(
        unique.len(),
        12,
        "names are unique, so partitions by name split the walks"
    );
    assert!(
        names
            .iter()
            .all(|n| n.starts_with("quote::01J9ZQ4Z1W2X3Y4Z5A6B7C"))
    );
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("walks.log");
    let args = libtest_mimic::Arguments {
        test_threads: Some(1),
        logfile: Some(log.display().to_string()), // not this test's own output
        ..Default::default()
    };
    let conclusion = libtest_mimic::run(&args, trials);
    assert_eq!((conclusion.num_passed, conclusion.num_failed), (8, 4));
    let log = std::fs::read_to_string(&log).unwrap();
    assert!(log.contains("different with rounding=\"floor\""), "{log}");
    assert!(log.contains("/outputs/0/args: 15 -> 10"), "{log}");
}
