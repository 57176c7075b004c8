//! `playback stats`.

use crate::support::{fixture_store, playback_in};

#[test]
fn stats_count_per_category_outcome_and_day_with_the_size() {
    let (dir, store) = fixture_store();
    let run = playback_in(store.root(), &["stats", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let on_disk: u64 = walk_sizes(store.root());
    let stats = run.json();
    assert_eq!(stats["size_bytes"], on_disk);
    insta::assert_snapshot!(run.stdout);
    drop(dir);
}

#[test]
fn stats_text_names_every_group_and_honours_the_query() {
    let (_dir, store) = fixture_store();
    let run = playback_in(store.root(), &["stats", "--category", "checkout"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.starts_with("recordings 4\nsize "),
        "{}",
        run.stdout
    );
    for line in [
        "by category",
        "  checkout       4",
        "by outcome",
        "  panicked       1",
        "by day",
        "  2026-01-05       1",
    ] {
        assert!(run.stdout.contains(line), "{line:?} in\n{}", run.stdout);
    }
    assert!(!run.stdout.contains("refund"));
}

fn walk_sizes(dir: &std::path::Path) -> u64 {
    std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            if e.file_type().unwrap().is_dir() {
                walk_sizes(&e.path())
            } else {
                e.metadata().unwrap().len()
            }
        })
        .sum()
}
