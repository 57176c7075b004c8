use std::fs;
use std::path::{Path, PathBuf};

use playback_compare::{Comparison, Difference, Status};
use playback_store::{
    DirStore, Interception, OpResult, Query, Recording, RecordingId, Store, StoreError,
};
use serde_json::json;
use serde_json::value::to_raw_value;
use time::macros::datetime;

use super::*;
use crate::error::Error;

/// A recording with nothing random in it, stored under `root` as `DirStore` files it.
fn stored(root: &Path) -> (Recording, PathBuf) {
    let rec = Recording::builder("quote")
        .recorded_at(datetime!(2026-01-02 03:04:05 UTC))
        .id(RecordingId::parse("01KE4F9ZQE0000000000000000").unwrap())
        .operation("shop::quote")
        .arg(
            "req",
            to_raw_value(&json!({"sku": "mug", "qty": 2})).unwrap(),
        )
        .interception(Interception::input(
            "shop::exchange_rate",
            1,
            json!({"currency": "USD"}),
            to_raw_value(&json!({"Ok": 1.0825})).unwrap(),
            false,
        ))
        .result(OpResult::Returned {
            value: to_raw_value(&json!({"Ok": {"total": 1730}})).unwrap(),
            error: false,
        })
        .build();
    let store = DirStore::new(root).unwrap();
    store.put(&rec).unwrap();
    let path = store.path_for(&rec).unwrap();
    (rec, path)
}

fn changed(rec: &Recording) -> (Comparison, Recording) {
    let mut c = Comparison::new(rec, Status::Different);
    c.differences = vec![Difference::changed(
        "/result/Ok/total",
        json!(1730),
        json!(1729),
    )];
    let mut updated = rec.clone();
    updated.result = Some(OpResult::Returned {
        value: to_raw_value(&json!({"Ok": {"total": 1729}})).unwrap(),
        error: false,
    });
    (c, updated)
}

fn write_pending(root: &Path) -> (Recording, PathBuf, Pending) {
    let (rec, path) = stored(root);
    let (c, updated) = changed(&rec);
    let original = fs::read(&path).unwrap();
    let pending = Pending::write(&path, &original, "quote::0000000000", &c, updated).unwrap();
    (rec, path, pending)
}

#[test]
fn pending_file_matches_snapshot() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, pending) = write_pending(dir.path());
    let text = fs::read_to_string(pending.pending_path()).unwrap();
    insta::assert_snapshot!(text);
}

#[test]
fn pending_file_is_next_to_the_recording_and_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, path, written) = write_pending(dir.path());
    assert_eq!(written.pending_path(), pending_path_of(&path));
    assert!(
        written
            .pending_path()
            .to_string_lossy()
            .ends_with(".json.pending")
    );
    let back = Pending::read(written.pending_path()).unwrap();
    assert_eq!(back.recording_id(), &rec.id);
    assert_eq!(back.category(), "quote");
    assert_eq!(back.test_name(), "quote::0000000000");
    assert_eq!(back.recording_path(), path);
    assert_eq!(back.differences(), written.differences());
    assert_eq!(
        back.updated().to_json().unwrap(),
        written.updated().to_json().unwrap()
    );
    assert_eq!(
        back.to_json().unwrap(),
        fs::read(written.pending_path()).unwrap()
    );
}

#[test]
fn dir_store_does_not_list_pending_files() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, _, _) = write_pending(dir.path());
    let listed = DirStore::new(dir.path())
        .unwrap()
        .list(&Query::all())
        .unwrap();
    let ids: Vec<RecordingId> = listed.into_iter().map(|s| s.unwrap().id).collect();
    assert_eq!(ids, vec![rec.id]);
}

#[test]
fn render_shows_the_test_the_files_and_the_json_pointer_diff() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path, pending) = write_pending(dir.path());
    let text = pending.render(false);
    assert!(text.starts_with("quote::0000000000\n"), "{text}");
    assert!(
        text.contains(&format!("recording: {}", path.display())),
        "{text}"
    );
    assert!(
        text.contains("/result/Ok/total\n    - 1730\n    + 1729"),
        "{text}"
    );
    assert!(!text.contains('\u{1b}'), "no colour: {text}");
    assert!(pending.render(true).contains('\u{1b}'));
}

#[test]
fn accept_writes_the_updated_recording_and_removes_the_pending_file() {
    let dir = tempfile::tempdir().unwrap();
    let (rec, path, pending) = write_pending(dir.path());
    pending.accept().unwrap();
    assert!(!pending.pending_path().exists());
    let now = Recording::from_json(&fs::read(&path).unwrap()).unwrap();
    assert_eq!(
        now.result.unwrap().to_json(),
        json!({"Ok": {"total": 1729}})
    );
    assert_eq!(now.id, rec.id);
    assert_eq!(
        serde_json::to_string(&now.interceptions).unwrap(),
        serde_json::to_string(&rec.interceptions).unwrap()
    );
    // nothing else is left in the directory
    let names: Vec<String> = fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec![format!("{}.json", rec.id)]);
}

#[test]
fn accept_refuses_a_recording_that_changed_since_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path, pending) = write_pending(dir.path());
    let edited = fs::read_to_string(&path).unwrap().replace("1730", "1731");
    fs::write(&path, &edited).unwrap();
    let err = pending.accept().unwrap_err();
    assert!(matches!(err, Error::StalePending { .. }), "{err:?}");
    assert!(
        err.to_string().contains("reject the pending change"),
        "{err}"
    );
    assert_eq!(fs::read_to_string(&path).unwrap(), edited);
    assert!(pending.pending_path().exists());
}

#[test]
fn reject_removes_the_pending_file_and_keeps_the_recording() {
    let dir = tempfile::tempdir().unwrap();
    let (_, path, pending) = write_pending(dir.path());
    let before = fs::read(&path).unwrap();
    pending.reject().unwrap();
    assert!(!pending.pending_path().exists());
    assert_eq!(fs::read(&path).unwrap(), before);
    // rejecting twice is fine: the file is already gone
    pending.reject().unwrap();
}

#[test]
fn find_walks_the_tree_and_skips_other_files() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, pending) = write_pending(dir.path());
    fs::write(dir.path().join("notes.pending"), "not a recording's").unwrap();
    fs::write(dir.path().join(".hidden.json.pending"), "{").unwrap();
    let found = find(dir.path()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].pending_path(), pending.pending_path());
    let missing = find(dir.path().join("nowhere")).unwrap_err();
    assert!(
        matches!(missing, Error::Io { op: "list", .. }),
        "{missing:?}"
    );
}

fn read_err(dir: &Path, text: &str) -> Error {
    let path = dir.join("01KE4F9ZQE0000000000000000.json.pending");
    fs::write(&path, text).unwrap();
    let err = Pending::read(&path).unwrap_err();
    assert!(
        err.to_string().contains(&path.display().to_string()) || matches!(err, Error::Store(_)),
        "{err}"
    );
    // find reports the same file
    assert!(find(dir).is_err());
    err
}

#[test]
fn corrupt_pending_files_give_typed_errors_that_say_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let (_, _, pending) = write_pending(dir.path());
    let good = fs::read_to_string(pending.pending_path()).unwrap();
    for text in [
        "",
        "{",
        &good[..good.len() / 2],
        "[]",
        "{}",
        r#"{"format_version": "1.0"}"#,
    ] {
        let err = read_err(dir.path(), text);
        assert!(
            matches!(err, Error::CorruptPending { .. }),
            "{text:?}: {err:?}"
        );
        assert!(
            err.to_string()
                .contains("re-run the tests with PLAYBACK_UPDATE=new")
        );
    }
    for version in ["2.0", "x", ""] {
        let text = good.replacen(
            "\"format_version\": \"1.0\"",
            &format!("\"format_version\": \"{version}\""),
            1,
        );
        let err = read_err(dir.path(), &text);
        match &err {
            Error::UnsupportedPendingVersion { found, .. } => assert_eq!(found, version),
            other => panic!("{version}: {other:?}"),
        }
        assert!(err.to_string().contains("upgrade playback"), "{err}");
    }
    // a newer minor version with a field this one does not know is read
    let newer = good.replacen(
        "\"format_version\": \"1.0\"",
        "\"format_version\": \"1.3\", \"later\": 1",
        1,
    );
    fs::write(pending.pending_path(), &newer).unwrap();
    assert_eq!(
        Pending::read(pending.pending_path()).unwrap().category(),
        "quote"
    );
    // the recording inside is checked by the recording format
    let future = good.replacen(
        "\"format_version\": \"1.1\"",
        "\"format_version\": \"9.0\"",
        1,
    );
    let err = read_err(dir.path(), &future);
    assert!(
        matches!(err, Error::Store(StoreError::UnsupportedVersion { .. })),
        "{err:?}"
    );
    // a pending file under another recording's name
    let other = dir.path().join("01KE4F9ZQE0000000000000001.json.pending");
    fs::write(&other, &good).unwrap();
    let err = Pending::read(&other).unwrap_err();
    assert!(matches!(err, Error::MisnamedPending { .. }), "{err:?}");
}
