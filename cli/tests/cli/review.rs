//! `playback review`, over the pending files a `PLAYBACK_UPDATE=new` run of
//! `playback_harness` writes next to the recordings it replays.

use std::time::Duration;

use playback_compare::BoxError;
use playback_harness::{Arguments, Harness, Update};
use playback_replay::{Output, Playback, Side};
use playback_store::{DirStore, InterceptionKind, OpResult, Recording, Store};
use serde_json::{Value, json};

use crate::support::{checkout, command, playback_in, store_with};

/// The code under test after a change: every checkout total is one more than recorded,
/// the outputs are unchanged.
fn one_more(rec: &Recording) -> Result<Playback, BoxError> {
    let outputs: Vec<Output> = rec
        .interceptions
        .iter()
        .filter(|i| i.kind == InterceptionKind::Output)
        .map(|i| {
            Output::new(
                i.alias.clone(),
                i.invocation,
                i.args_value(),
                i.value_json(),
                i.error,
            )
        })
        .collect();
    let result = rec.result.as_ref().map_or(Value::Null, OpResult::to_json);
    let total = result["Ok"]["total"].as_u64().ok_or("no total")?;
    let recorded = Side::new(result, false, outputs.clone(), Duration::ZERO);
    let replayed = Side::new(
        json!({"Ok": {"total": total + 1}}),
        false,
        outputs,
        Duration::ZERO,
    );
    Ok(Playback::new(
        rec.id.clone(),
        rec.category.clone(),
        recorded,
        replayed,
        vec![],
    ))
}

/// Replays the store as tests with `PLAYBACK_UPDATE=new`: each changed recording gets
/// its pending file.
fn run_tests_with_update_new(store: &DirStore) {
    // libtest-mimic prints past the test's output capture: into a log file instead.
    let log = store.root().with_extension("log");
    let log = log.to_str().expect("UTF-8 temp path");
    let outcome = Harness::new()
        .dir(store.root())
        .player(one_more)
        .update(Update::New)
        .run_with_args(&Arguments::from_iter([
            "recordings",
            "--quiet",
            "--logfile",
            log,
        ]));
    assert!(!outcome.failed().is_empty(), "the changed recordings fail");
}

/// A store of three checkouts with total 100, each with a pending change to 101.
fn store_with_pending(dir: &std::path::Path) -> (DirStore, Vec<Recording>) {
    let recordings: Vec<Recording> = (1..=3)
        .map(|n| {
            let at = time::macros::datetime!(2026-01-02 0:00 UTC) + time::Duration::hours(n.into());
            checkout(at, n, "acme", 2, 100)
        })
        .collect();
    let store = store_with(dir, &recordings);
    run_tests_with_update_new(&store);
    assert_eq!(pending_count(&store), 3);
    (store, recordings)
}

fn total_of(store: &DirStore, rec: &Recording) -> serde_json::Value {
    store.get(&rec.id).unwrap().result.unwrap().to_json()["Ok"]["total"].clone()
}

fn pending_count(store: &DirStore) -> usize {
    playback_harness::pending::find(store.root()).unwrap().len()
}

#[test]
fn review_accept_updates_every_recording_and_removes_the_pending_files() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = store_with_pending(dir.path());
    let run = playback_in(store.root(), &["review", "--accept"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("accepted 3, rejected 0, left pending 0\n"),
        "{}",
        run.stdout
    );
    for rec in &recs {
        assert_eq!(total_of(&store, rec), 101);
    }
    assert_eq!(pending_count(&store), 0);
}

#[test]
fn review_reject_keeps_the_recordings_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = store_with_pending(dir.path());
    let run = playback_in(store.root(), &["review", "--reject"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stdout
            .ends_with("accepted 0, rejected 3, left pending 0\n"),
        "{}",
        run.stdout
    );
    for rec in &recs {
        assert_eq!(total_of(&store, rec), 100);
    }
    assert_eq!(pending_count(&store), 0);
}

#[test]
fn review_asks_about_each_change_in_turn() {
    let dir = tempfile::tempdir().unwrap();
    let (store, recs) = store_with_pending(dir.path());
    let out = command()
        .args(["review", "--interactive", "--dir"])
        .arg(store.root())
        .write_stdin("x\na\nr\ns\n")
        .output()
        .unwrap();
    let stdout = String::from_utf8(out.stdout).unwrap();
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("`x` is not an answer"), "{stderr}");
    assert!(stdout.contains("[1/3] checkout::"), "{stdout}");
    assert!(
        stdout.contains("/result/Ok/total"),
        "the change's diff: {stdout}"
    );
    assert!(
        stdout.contains("? a\naccepted checkout::"),
        "answers echoed: {stdout}"
    );
    assert!(stdout.contains("? s\nleft checkout::"), "{stdout}");
    assert!(
        stdout.ends_with("accepted 1, rejected 1, left pending 1\n"),
        "{stdout}"
    );
    // `find` orders by path: the recordings' day folder and ids sort by time.
    assert_eq!(total_of(&store, &recs[0]), 101);
    assert_eq!(total_of(&store, &recs[1]), 100);
    assert_eq!(total_of(&store, &recs[2]), 100);
    assert_eq!(pending_count(&store), 1);
}

#[test]
fn review_off_a_terminal_lists_the_changes_and_applies_none() {
    let dir = tempfile::tempdir().unwrap();
    let (store, _) = store_with_pending(dir.path());
    let run = playback_in(store.root(), &["review"]);
    assert_eq!(run.code, 1);
    assert_eq!(
        run.stdout.matches("/result/Ok/total").count(),
        3,
        "{}",
        run.stdout
    );
    assert!(
        run.stderr
            .contains("3 change(s) pending; pass --accept or --reject"),
        "{}",
        run.stderr
    );
    assert_eq!(pending_count(&store), 3);
}

#[test]
fn review_of_a_clean_directory_succeeds_and_a_stale_change_is_an_error() {
    let dir = tempfile::tempdir().unwrap();
    let rec = checkout(
        time::macros::datetime!(2026-01-02 0:00 UTC),
        1,
        "acme",
        2,
        100,
    );
    let store = store_with(dir.path(), std::slice::from_ref(&rec));
    let run = playback_in(store.root(), &["review", "--accept"]);
    assert_eq!(
        (run.code, run.stdout.as_str()),
        (
            0,
            format!("no pending changes in {}\n", store.root().display()).as_str()
        )
    );

    run_tests_with_update_new(&store);
    let mut edited = rec.clone();
    edited.metadata.insert("edited".into(), json!(true));
    store.put(&edited).unwrap();
    let run = playback_in(store.root(), &["review", "--accept"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("error: recording "),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("changed after its pending change was written"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("\nhint: "), "{}", run.stderr);
    assert_eq!(
        store.get(&rec.id).unwrap().metadata["edited"],
        true,
        "the edit is kept"
    );
}
