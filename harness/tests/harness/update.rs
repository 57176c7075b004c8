//! The update modes, pending files and `PLAYBACK_UPDATE`.

use std::fs;
use std::path::PathBuf;
use std::sync::Arc;

use playback_harness::{Error, Harness, Update, pending};
use playback_store::{DirStore, Recording};
use serde_json::json;

use crate::{Fixture, player, recording, run};

#[test]
fn update_no_writes_nothing_and_update_new_writes_a_pending_change_to_review() {
    let f = Fixture::new();
    let file = DirStore::new(f.root())
        .unwrap()
        .path_for(&recording("price", "01KE4F9ZQE0000000000000001", 3, 2))
        .unwrap();
    let before = fs::read(&file).unwrap();

    let (outcome, _) = run(f.harness(3), &["price"]);
    assert_eq!(outcome.failed().len(), 2);
    assert!(pending::find(f.root()).unwrap().is_empty());

    let (outcome, _) = run(f.harness(3).update(Update::New), &["price"]);
    assert_eq!(outcome.failed(), ["price::0000000001", "price::0000000002"]);
    let test = outcome.get("price::0000000001").unwrap();
    let written = test.pending.clone().unwrap();
    assert_eq!(
        written,
        PathBuf::from(format!("{}.pending", file.display()))
    );
    assert!(
        test.message
            .as_deref()
            .unwrap()
            .contains(&format!("pending change written to {}", written.display()))
    );
    assert_eq!(
        fs::read(&file).unwrap(),
        before,
        "the recording is untouched"
    );

    let changes = pending::find(f.root()).unwrap();
    assert_eq!(changes.len(), 2);
    let change = &changes[0];
    assert_eq!(change.test_name(), "price::0000000001");
    assert_eq!(change.recording_path(), file);
    let paths: Vec<&str> = change
        .differences()
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(paths, ["/outputs/0/args/total", "/result/Ok"]);
    change.accept().unwrap();
    changes[1].reject().unwrap();

    let (outcome, _) = run(f.harness(3).update(Update::New), &["price"]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(outcome.failed(), ["price::0000000002"]);
    let accepted = Recording::from_json(&fs::read(&file).unwrap()).unwrap();
    let original = Recording::from_json(&before).unwrap();
    assert_eq!(accepted.result.unwrap().to_json(), json!({"Ok": 9}));
    assert_eq!(accepted.interceptions[1].args_value(), json!({"total": 9}));
    assert_eq!(
        accepted.interceptions[0].value.as_ref().unwrap().get(),
        original.interceptions[0].value.as_ref().unwrap().get()
    );
    assert_eq!(accepted.interceptions[0].key, original.interceptions[0].key);
    assert_eq!(accepted.args["n"].get(), original.args["n"].get());

    // a pending change left behind is removed once the recording passes again
    run(
        f.harness(3).update(Update::New),
        &["--exact", "price::0000000002"],
    );
    assert_eq!(pending::find(f.root()).unwrap().len(), 1);
    let (outcome, _) = run(
        f.harness(2).update(Update::New),
        &["--exact", "price::0000000002"],
    );
    assert_eq!(outcome.passed(), ["price::0000000002"]);
    assert!(
        pending::find(f.root()).unwrap().is_empty(),
        "a stale pending change is removed"
    );
}

#[test]
fn update_always_accepts_at_once_and_failed_replays_are_never_updated() {
    let f = Fixture::new();
    let (outcome, _) = run(f.harness(3).update(Update::Always), &[]);
    assert_eq!(
        outcome.passed(),
        [
            "price::0000000001",
            "price::0000000002",
            "quote::0000000003"
        ]
    );
    assert_eq!(outcome.failed(), ["broken::0000000004"]);
    assert!(outcome.get("quote::0000000003").unwrap().accepted);
    assert!(!outcome.get("broken::0000000004").unwrap().accepted);
    assert!(pending::find(f.root()).unwrap().is_empty());
    let (outcome, _) = run(f.harness(3), &["--skip", "broken"]);
    assert_eq!(outcome.passed().len(), 3);
}

#[test]
fn find_reports_a_corrupt_pending_file_by_name() {
    let f = Fixture::new();
    run(f.harness(3).update(Update::New), &["price::0000000001"]);
    let change = &pending::find(f.root()).unwrap()[0];
    fs::write(
        change.pending_path(),
        "{\"format_version\": \"1.0\", \"recording_id\": 3}",
    )
    .unwrap();
    let err = pending::find(f.root()).unwrap_err();
    assert!(
        matches!(err, Error::CorruptPending { ref path, .. } if path == change.pending_path()),
        "{err:?}"
    );
    assert!(err.to_string().contains("delete it"), "{err}");
}

#[test]
fn update_modes_parse_from_their_names() {
    for (text, mode) in [
        ("", Update::No),
        ("no", Update::No),
        ("new", Update::New),
        ("always", Update::Always),
    ] {
        assert_eq!(Update::parse(text).unwrap(), mode);
    }
    let err = Update::parse("yes").unwrap_err();
    assert_eq!(
        err.to_string(),
        "PLAYBACK_UPDATE=yes is not a mode: use no, new or always"
    );
}

/// Set in the child process of [`playback_update_is_read_from_the_environment`]: the
/// recordings directory it runs the harness on.
const CHILD_DIR: &str = "PLAYBACK_HARNESS_TEST_DIR";

#[test]
fn playback_update_is_read_from_the_environment() {
    if let Ok(root) = std::env::var(CHILD_DIR) {
        // The child: no `.update(..)`, so the mode comes from PLAYBACK_UPDATE.
        let harness = Harness::new().dir(&root).player(player(3, Arc::default()));
        let (outcome, _) = run(harness, &["--skip", "broken"]);
        let failed = outcome.failed().join("\n");
        fs::write(PathBuf::from(root).with_file_name("failed.txt"), failed).unwrap();
        return;
    }
    // The parent runs this same test again in a child process, with the variable set
    // there only.
    let child = |f: &Fixture, mode: &str| {
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args([
                "update::playback_update_is_read_from_the_environment",
                "--exact",
                "--test-threads=1",
            ])
            .env(CHILD_DIR, f.root())
            .env("PLAYBACK_UPDATE", mode)
            .stdout(std::process::Stdio::null())
            .status()
            .unwrap();
        assert!(status.success(), "{mode}: {status}");
        fs::read_to_string(f.dir.path().join("failed.txt")).unwrap()
    };

    let f = Fixture::new();
    let all = "price::0000000001\nprice::0000000002\nquote::0000000003";
    assert_eq!(child(&f, "no"), all);
    assert!(pending::find(f.root()).unwrap().is_empty());
    assert_eq!(child(&f, "new"), all);
    assert_eq!(pending::find(f.root()).unwrap().len(), 3);
    assert_eq!(child(&f, "always"), "");
    assert!(pending::find(f.root()).unwrap().is_empty());
    assert_eq!(child(&f, "always"), "", "accepted: it passes now");

    let f = Fixture::new();
    assert_eq!(child(&f, "sometimes"), "playback::setup");
    assert!(pending::find(f.root()).unwrap().is_empty());
}
