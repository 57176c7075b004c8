//! `playback diff`.

use std::path::{Path, PathBuf};

use serde_json::json;

use crate::support::{checkout, fixture_store, fixtures, playback, playback_in};

#[test]
fn diff_of_two_stored_recordings_lists_the_differing_paths_and_exits_1() {
    let (_dir, store) = fixture_store();
    let fx = fixtures();
    let run = playback_in(
        store.root(),
        &["diff", fx[0].id.as_str(), fx[1].id.as_str(), "--json"],
    );
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn diff_of_the_same_operation_ignores_ids_times_and_durations() {
    let dir = tempfile::tempdir().unwrap();
    let a = checkout(
        time::macros::datetime!(2026-01-02 0:00 UTC),
        1,
        "acme",
        3,
        100,
    );
    let b = checkout(
        time::macros::datetime!(2026-02-02 0:00 UTC),
        1,
        "acme",
        3,
        100,
    );
    let (pa, pb) = (
        write(dir.path(), "a.json", &a.to_json().unwrap()),
        write(dir.path(), "b.json", &b.to_json().unwrap()),
    );
    let run = playback(&["diff", pa.to_str().unwrap(), pb.to_str().unwrap()]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.stdout, "the two recordings are the same\n");

    let run = playback(&[
        "diff",
        pa.to_str().unwrap(),
        pb.to_str().unwrap(),
        "--all",
        "--json",
    ]);
    assert_eq!(run.code, 1);
    let paths: Vec<String> = run.json()["differences"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["path"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(paths, ["/id", "/recorded_at"]);
}

#[test]
fn diff_mixes_a_file_and_a_stored_id_and_honours_ignore() {
    let (dir, store) = fixture_store();
    let fx = fixtures();
    let mut changed = fx[0].clone();
    changed.metadata.insert("tenant".into(), json!("initech"));
    let file = write(dir.path(), "changed.json", &changed.to_json().unwrap());
    let run = playback_in(
        store.root(),
        &["diff", fx[0].id.as_str(), file.to_str().unwrap()],
    );
    assert_eq!(run.code, 1);
    assert!(
        run.stdout
            .contains("/metadata/tenant\n  - \"acme\"\n  + \"initech\"\n"),
        "{}",
        run.stdout
    );
    let run = playback_in(
        store.root(),
        &[
            "diff",
            fx[0].id.as_str(),
            file.to_str().unwrap(),
            "--ignore",
            "/metadata/tenant",
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stdout);
}

fn report(generated_at: &str, comparisons: serde_json::Value) -> Vec<u8> {
    serde_json::to_vec_pretty(&json!({
        "format": "playback-report",
        "format_version": "1.1",
        "generated_at": generated_at,
        "elapsed_ms": 12,
        "comparisons": comparisons,
    }))
    .unwrap()
}

pub(crate) fn report_files(dir: &Path) -> (PathBuf, PathBuf) {
    let before = report(
        "2026-01-10T00:00:00Z",
        json!([
            {"recording_id": "01KE4F9ZQE0000000000000001", "category": "checkout", "status": "equal"},
            {"recording_id": "01KE4F9ZQE0000000000000002", "category": "refund", "status": "equal"},
        ]),
    );
    let after = report(
        "2026-01-11T00:00:00Z",
        json!([
            {"recording_id": "01KE4F9ZQE0000000000000001", "category": "checkout", "status": "different",
             "differences": [{"path": "/result/Ok/total", "recorded": 10, "replayed": 11}]},
            {"recording_id": "01KE4F9ZQE0000000000000002", "category": "refund", "status": "equal"},
        ]),
    );
    (
        write(dir, "before.json", &before),
        write(dir, "after.json", &after),
    )
}

#[test]
fn diff_of_two_reports_compares_comparisons_by_recording_id() {
    let dir = tempfile::tempdir().unwrap();
    let (before, after) = report_files(dir.path());
    let run = playback(&[
        "diff",
        before.to_str().unwrap(),
        after.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let run = playback(&["diff", before.to_str().unwrap(), before.to_str().unwrap()]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "the two reports are the same\n");
}

#[test]
fn diff_refuses_a_recording_against_a_report() {
    let dir = tempfile::tempdir().unwrap();
    let (before, _) = report_files(dir.path());
    let rec = write(dir.path(), "rec.json", &fixtures()[0].to_json().unwrap());
    let run = playback(&["diff", rec.to_str().unwrap(), before.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: cannot diff a recording with a report\nhint: "),
        "{}",
        run.stderr
    );
}

#[test]
fn diff_refuses_what_is_neither_a_file_nor_an_id() {
    let dir = tempfile::tempdir().unwrap();
    let other = write(dir.path(), "other.json", b"{\"name\": 1}");
    let run = playback(&["diff", other.to_str().unwrap(), other.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("is neither a playback recording nor a playback report"),
        "{}",
        run.stderr
    );
    let run = playback(&["diff", "../nope/x.json", "y"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: `../nope/x.json` is neither a file nor a recording id"),
        "{}",
        run.stderr
    );
}

fn write(dir: &Path, name: &str, bytes: &[u8]) -> PathBuf {
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}
