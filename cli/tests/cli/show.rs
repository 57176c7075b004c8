//! `playback show`.

use crate::support::{fixture_store, fixtures, playback_in};

#[test]
fn show_prints_the_recording_with_interceptions_in_call_order() {
    let (dir, _store) = fixture_store();
    let id = fixtures()[0].id.to_string();
    let run = playback_in(&dir.path().join("recordings"), &["show", &id]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    insta::assert_snapshot!(run.stdout);
    let load = run.stdout.find("shop::load_cart").unwrap();
    let send = run.stdout.find("shop::send_receipt").unwrap();
    assert!(load < send);
}

#[test]
fn show_json_prints_the_stored_document() {
    let (dir, store) = fixture_store();
    let rec = &fixtures()[3];
    let run = playback_in(store.root(), &["show", rec.id.as_str(), "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stored = std::fs::read_to_string(store.path_for(rec).unwrap()).unwrap();
    assert_eq!(run.stdout.trim_end(), stored.trim_end());
    drop(dir);
}

#[test]
fn show_of_an_unknown_id_fails_with_a_hint() {
    let (_dir, store) = fixture_store();
    let run = playback_in(store.root(), &["show", "01KE4F9ZQE0000000000000000"]);
    assert_eq!(run.code, 2);
    assert!(run.stdout.is_empty());
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(lines[0].starts_with("error: recording 01KE4F9ZQE0000000000000000 not found"));
    assert_eq!(lines[1], "hint: list the ids with `playback list`");
}

#[test]
fn show_refuses_a_path_traversal_id() {
    let (_dir, store) = fixture_store();
    for hostile in ["../../etc/passwd", "checkout/2026-01-02/x", "a.json", ".."] {
        let run = playback_in(store.root(), &["show", hostile]);
        assert_eq!(run.code, 2, "{hostile}");
        assert!(
            run.stderr.starts_with("error: invalid recording id"),
            "{hostile}: {}",
            run.stderr
        );
        assert!(
            run.stderr.contains("hint: ids are the 26-character ULIDs"),
            "{}",
            run.stderr
        );
    }
}
