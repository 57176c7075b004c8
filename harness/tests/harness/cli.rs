//! libtest's command line, names, incomplete recordings and failure messages.

use std::fs;

use playback_compare::Status;
use playback_store::{Outcome, Query};
use serde_json::json;

use crate::{Fixture, recording, run};

#[test]
fn list_prints_one_test_per_recording_and_replays_none() {
    let f = Fixture::new();
    let (outcome, log) = run(f.harness(2), &["--list"]);
    assert_eq!(
        log,
        "broken::0000000004: test\nprice::0000000001: test\nprice::0000000002: test\nquote::0000000003: test\n"
    );
    assert!(outcome.tests.is_empty());
    assert_eq!(f.replays(), 0);
    let (_, terse) = run(f.harness(2), &["--list", "--format", "terse", "price"]);
    assert_eq!(terse, "price::0000000001: test\nprice::0000000002: test\n");
}

#[test]
fn filters_exact_skip_and_nocapture_behave_as_libtest() {
    let f = Fixture::new();
    let (outcome, _) = run(f.harness(2), &["price"]);
    assert_eq!(outcome.passed(), ["price::0000000001", "price::0000000002"]);
    assert_eq!(outcome.conclusion.num_filtered_out, 2);
    assert_eq!(f.replays(), 2, "only the selected recordings replay");

    let (outcome, _) = run(f.harness(2), &["--exact", "price::0000000002"]);
    assert_eq!(outcome.passed(), ["price::0000000002"]);
    let (outcome, _) = run(f.harness(2), &["--exact", "price::000000000"]);
    assert!(outcome.tests.is_empty(), "--exact does not match a prefix");

    let (outcome, _) = run(f.harness(2), &["--skip", "broken", "--nocapture"]);
    assert_eq!(outcome.failed(), Vec::<&str>::new());
    assert_eq!(outcome.passed().len(), 3);
    assert!(!outcome.conclusion.has_failed());
}

#[test]
fn exact_finds_its_one_recording_without_reading_the_others() {
    let f = Fixture::new();
    // a sibling that cannot be read: a full listing makes it a test of its own
    let corrupt = f.put(&recording("price", "01KE4F9ZQE0000000000000007", 1, 2));
    fs::write(&corrupt, "{ truncated").unwrap();

    let (outcome, _) = run(f.harness(2), &["--exact", "price::0000000001"]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(
        outcome.conclusion.num_filtered_out, 0,
        "nothing else was listed"
    );
    assert_eq!(f.replays(), 1);
    // with --skip the harness lists everything, and the result is the same
    let (outcome, _) = run(
        f.harness(2),
        &["--exact", "price::0000000001", "--skip", "x"],
    );
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(outcome.conclusion.num_filtered_out, 4);

    // names the full listing would not give select nothing, as libtest's --exact does
    f.put(&recording("price", "01KE4F9ZQE1000000000000002", 3, 2)); // collides with ..0002
    let mut named = recording("quote", "01KE4F9ZQE0000000000000009", 3, 2);
    named.metadata.insert("test_name".into(), json!("usd"));
    f.put(&named);
    for name in ["price::0000000002", "quote::0000000009", "nope::0000000001"] {
        let (outcome, _) = run(f.harness(2), &["--exact", name]);
        assert!(outcome.tests.is_empty(), "{name}: {:?}", outcome.tests);
    }
    let (outcome, _) = run(f.harness(2), &["--exact", "quote::usd"]);
    assert_eq!(outcome.passed(), ["quote::usd"]);
    let (outcome, _) = run(
        f.harness(2).query(Query::category("quote")),
        &["--exact", "price::0000000001"],
    );
    assert!(outcome.tests.is_empty());
    let (outcome, _) = run(f.harness(2), &["--exact", "price::0000000000000002"]);
    assert_eq!(outcome.passed(), ["price::0000000000000002"]);
}

#[test]
fn incomplete_recordings_are_ignored_tests_replayed_with_ignored() {
    let f = Fixture::new();
    let mut cut = recording("price", "01KE4F9ZQE0000000000000005", 4, 2);
    cut.outcome = Outcome::Incomplete;
    cut.result = None;
    f.put(&cut);

    let (_, log) = run(f.harness(2), &["--list", "--ignored"]);
    assert_eq!(log, "price::0000000005: test\n");
    let (outcome, log) = run(f.harness(2), &["price"]);
    assert_eq!(outcome.passed(), ["price::0000000001", "price::0000000002"]);
    assert_eq!(outcome.conclusion.num_ignored, 1);
    assert!(log.contains("test price::0000000005 ... ignored"), "{log}");

    // --ignored replays it, comparing only what was recorded: the audit output
    let (outcome, _) = run(f.harness(2), &["--ignored"]);
    assert_eq!(outcome.passed(), ["price::0000000005"]);
    let (outcome, _) = run(f.harness(2), &["--include-ignored", "price"]);
    assert_eq!(outcome.passed().len(), 3);
    // include_incomplete(true): an ordinary test
    let (outcome, _) = run(f.harness(2).include_incomplete(true), &["price"]);
    assert_eq!(outcome.passed().len(), 3);
    assert_eq!(outcome.conclusion.num_ignored, 0);
}

#[test]
fn names_come_from_the_short_id_lengthened_on_collision_or_from_metadata() {
    let f = Fixture::new();
    // shares its last 10 characters with 0000000001, in the same category
    f.put(&recording("price", "01KE4F9ZQE1000000000000001", 3, 2));
    // the same suffix in another category does not collide
    f.put(&recording("quote", "01KE4F9ZQE2000000000000001", 3, 2));
    let mut named = recording("quote", "01KE4F9ZQE0000000000000009", 3, 2);
    named
        .metadata
        .insert("test_name".into(), json!("three mugs in USD"));
    f.put(&named);
    let names = f.harness(2).test_names().unwrap();
    assert_eq!(
        names,
        [
            "broken::0000000004",
            "price::0000000000000001",
            "price::0000000002",
            "price::1000000000000001",
            "quote::0000000003",
            "quote::three mugs in USD",
            "quote::0000000001",
        ]
    );
    let scenario = f.harness(2).name_key("scenario").test_names().unwrap();
    assert!(scenario.contains(&"quote::0000000009".to_owned()));
    let (outcome, _) = run(f.harness(2), &["--exact", "quote::three mugs in USD"]);
    assert_eq!(outcome.passed(), ["quote::three mugs in USD"]);
}

#[test]
fn a_failing_test_prints_the_equalizer_diff_or_the_replay_error() {
    let f = Fixture::new();
    let (outcome, log) = run(f.harness(3), &["--color", "never"]);
    assert_eq!(
        outcome.failed(),
        [
            "broken::0000000004",
            "price::0000000001",
            "price::0000000002",
            "quote::0000000003"
        ]
    );
    let price = outcome.get("price::0000000001").unwrap();
    assert_eq!(price.status, Status::Different);
    assert_eq!(
        price.message.as_deref().unwrap(),
        "different  price  01KE4F9ZQE0000000000000001  shop::price\n  /outputs/0/args/total\n    - 6\n    + 9\n  /result/Ok\n    - 6\n    + 9\n"
    );
    let broken = outcome.get("broken::0000000004").unwrap();
    assert_eq!(broken.status, Status::Failed);
    assert!(
        broken
            .message
            .as_deref()
            .unwrap()
            .contains("price: n is 0; record a real order")
    );
    assert!(log.contains("---- broken::0000000004 ----"), "{log}");
    assert!(!log.contains('\u{1b}'));

    let (outcome, _) = run(f.harness(3), &["--color", "always", "price::0000000001"]);
    assert!(
        outcome.tests[0]
            .message
            .as_deref()
            .unwrap()
            .contains('\u{1b}')
    );
    // a log file without --color always has no colour
    let (outcome, _) = run(f.harness(3), &["price::0000000001"]);
    assert!(
        !outcome.tests[0]
            .message
            .as_deref()
            .unwrap()
            .contains('\u{1b}')
    );
}
