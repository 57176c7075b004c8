//! `playback review`, over pending files as `PLAYBACK_UPDATE=new` writes them (format
//! 1.0 of `playback_harness::pending`).

use std::path::{Path, PathBuf};

use playback_store::{DirStore, OpResult, Recording, Store};
use serde_json::json;

use crate::support::{checkout, command, playback_in, store_with};

/// A store of three checkouts, each with a pending change of its total.
fn store_with_pending(dir: &Path) -> (DirStore, Vec<Recording>) {
    let recordings: Vec<Recording> = (1..=3)
        .map(|n| {
            checkout(
                time::macros::datetime!(2026-01-02 0:00 UTC) + time::Duration::hours(n.into()),
                n,
                "acme",
                2,
                100,
            )
        })
        .collect();
    let store = store_with(dir, &recordings);
    for rec in &recordings {
        write_pending(&store, rec, 101);
    }
    (store, recordings)
}

/// Writes `<id>.json.pending` next to `rec`: its result total becomes `total`.
fn write_pending(store: &DirStore, rec: &Recording, total: u64) -> PathBuf {
    let path = store.path_for(rec).unwrap();
    let current = std::fs::read(&path).unwrap();
    let mut updated = rec.clone();
    updated.result = Some(OpResult::Returned {
        value: serde_json::value::to_raw_value(&json!({"Ok": {"total": total}})).unwrap(),
        error: false,
    });
    let doc = json!({
        "format_version": "1.0",
        "recording_id": rec.id,
        "category": rec.category,
        "test_name": format!("checkout::{}", &rec.id.as_str()[16..]),
        "recording_fingerprint": format!("fnv1a64:{:016x}", playback_store::fnv1a(&current)),
        "differences": [{"path": "/result/Ok/total", "recorded": 100, "replayed": total}],
        "recording": serde_json::from_slice::<serde_json::Value>(&updated.to_json().unwrap()).unwrap(),
    });
    let pending = PathBuf::from(format!("{}.pending", path.display()));
    std::fs::write(&pending, serde_json::to_vec_pretty(&doc).unwrap()).unwrap();
    pending
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

    write_pending(&store, &rec, 150);
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
