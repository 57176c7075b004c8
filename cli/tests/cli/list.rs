//! `playback list`.

use playback_store::Recording;
use time::OffsetDateTime;

use crate::support::{fixture_store, fixtures, listed_ids, playback, playback_in, store_with};

#[test]
fn list_prints_a_table_newest_first() {
    let (dir, _store) = fixture_store();
    let run = playback_in(&dir.path().join("recordings"), &["list"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn list_json_is_stable() {
    let (dir, _store) = fixture_store();
    let run = playback_in(&dir.path().join("recordings"), &["list", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
}

#[test]
fn list_filters_by_category_operation_outcome_and_limit() {
    let (dir, _store) = fixture_store();
    let root = dir.path().join("recordings");
    let ids = |args: &[&str]| {
        let mut all = vec!["list", "--json"];
        all.extend_from_slice(args);
        let run = playback_in(&root, &all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        listed_ids(&run)
    };
    let fx = fixtures();
    let id = |i: usize| fx[i].id.to_string();
    assert_eq!(ids(&["--category", "refund"]), [id(3)]);
    assert_eq!(
        ids(&["--operation", "shop::checkout", "--outcome", "panicked"]),
        [id(4)]
    );
    assert_eq!(
        ids(&["--outcome", "error", "--outcome", "panicked"]),
        [id(4), id(3)]
    );
    assert_eq!(ids(&["--limit", "2"]), [id(2), id(4)]);
    assert_eq!(
        ids(&["--since", "2026-01-04", "--until", "2026-01-05"]),
        [id(4)]
    );
    assert_eq!(ids(&["--until", "2026-01-02T12:00:00Z"]), [id(0)]);
}

#[test]
fn list_filters_by_metadata_with_every_operator() {
    let (dir, _store) = fixture_store();
    let root = dir.path().join("recordings");
    let ids = |meta: &[&str]| {
        let mut all = vec!["list", "--json"];
        for m in meta {
            all.extend_from_slice(&["--meta", m]);
        }
        let run = playback_in(&root, &all);
        assert_eq!(run.code, 0, "{}", run.stderr);
        listed_ids(&run)
    };
    let fx = fixtures();
    let id = |i: usize| fx[i].id.to_string();
    assert_eq!(ids(&["tenant=globex"]), [id(1)]);
    assert_eq!(ids(&["tenant=acme", "region~eu-*"]), [id(2), id(0)]);
    assert_eq!(ids(&["items>3"]), [id(2), id(3)]);
    assert_eq!(ids(&["items>=5", "items<7"]), [id(3)]);
    assert_eq!(ids(&["items<=1"]), [id(1)]);
    assert_eq!(ids(&["items=3"]), [id(0)]);
    assert_eq!(ids(&["tenant!=acme"]), [id(4), id(1)]);
}

#[test]
fn list_since_a_duration_counts_back_from_now() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let recent = Recording::builder("checkout")
        .recorded_at(now - time::Duration::hours(1))
        .build();
    let older = Recording::builder("checkout")
        .recorded_at(now - time::Duration::hours(30))
        .build();
    let store = store_with(dir.path(), &[recent.clone(), older.clone()]);
    let root = store.root().to_owned();
    let ids = |since: &str| listed_ids(&playback_in(&root, &["list", "--json", "--since", since]));
    assert_eq!(ids("2h"), [recent.id.to_string()]);
    assert_eq!(ids("90m"), [recent.id.to_string()]);
    assert_eq!(ids("2d"), [recent.id.to_string(), older.id.to_string()]);
}

#[test]
fn list_reads_the_store_from_playback_store() {
    let (dir, _store) = fixture_store();
    let run = crate::support::command()
        .env("PLAYBACK_STORE", dir.path().join("recordings"))
        .args(["list", "--json", "--category", "refund"])
        .output()
        .unwrap();
    assert_eq!(run.status.code(), Some(0));
    let listed: serde_json::Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(listed[0]["id"], fixtures()[3].id.to_string());
}

#[test]
fn list_of_an_empty_store_says_so_and_succeeds() {
    let dir = tempfile::tempdir().unwrap();
    let run = playback(&["list", "--dir", dir.path().to_str().unwrap()]);
    assert_eq!(run.code, 0);
    assert_eq!(run.stdout, "");
    assert_eq!(run.stderr, "no recordings match\n");
}

#[test]
fn list_warns_about_a_corrupt_recording_and_exits_2() {
    let (_dir, store) = fixture_store();
    let bad = store.path_for(&fixtures()[3]).unwrap();
    std::fs::write(&bad, b"{\"format_version\": \"1.1\", \"id\": ").unwrap();
    let run = playback_in(store.root(), &["list", "--json"]);
    assert_eq!(run.code, 2);
    assert_eq!(listed_ids(&run).len(), 4);
    assert!(
        run.stderr
            .contains("warning: skipped an unreadable recording"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("error: 1 recording(s) could not be read"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("hint: "), "{}", run.stderr);
}

#[cfg(unix)]
#[test]
fn list_of_a_hostile_store_warns_once_per_bad_file_and_lists_the_rest() {
    let (dir, store) = fixture_store();
    let fixtures = fixtures();
    // A 1 GB sparse file, 100,000 levels of JSON, a link out of the root and a
    // misplaced recording, each in place of one fixture.
    let huge = store.path_for(&fixtures[0]).unwrap();
    std::fs::File::create(&huge)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let deep = store.path_for(&fixtures[1]).unwrap();
    std::fs::write(&deep, "{\"a\": [".repeat(100_000)).unwrap();
    let linked = store.path_for(&fixtures[2]).unwrap();
    let outside = dir.path().join("outside.json");
    std::fs::rename(&linked, &outside).unwrap();
    std::os::unix::fs::symlink(&outside, &linked).unwrap();
    let misplaced = store.path_for(&fixtures[3]).unwrap();
    std::fs::write(&misplaced, fixtures[4].to_json().unwrap()).unwrap();

    let run = playback_in(store.root(), &["list", "--json"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(listed_ids(&run).len(), fixtures.len() - 4, "{}", run.stdout);
    for expected in [
        "MAX_RECORDING_BYTES",
        "nests JSON deeper than 127 levels",
        "refusing to follow the symbolic link",
        "which does not match its location",
        "error: 4 recording(s) could not be read",
    ] {
        assert!(run.stderr.contains(expected), "{expected}: {}", run.stderr);
    }
}
