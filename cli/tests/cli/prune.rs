//! `playback prune`.

use playback_store::{Query, Recording, Store};
use time::OffsetDateTime;

use crate::support::{playback_in, store_with};

#[test]
fn prune_deletes_recordings_older_than_the_duration_and_dry_run_deletes_none() {
    let dir = tempfile::tempdir().unwrap();
    let now = OffsetDateTime::now_utc();
    let at = |days| {
        Recording::builder("checkout")
            .recorded_at(now - time::Duration::days(days))
            .build()
    };
    let (fresh, old, older) = (at(1), at(40), at(400));
    let store = store_with(dir.path(), &[fresh.clone(), old.clone(), older.clone()]);

    let run = playback_in(store.root(), &["prune", "--older-than", "30d", "--dry-run"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains(old.id.as_str()) && run.stdout.contains(older.id.as_str()));
    assert!(!run.stdout.contains(fresh.id.as_str()));
    assert!(
        run.stdout.contains("would delete 2 recording(s)"),
        "{}",
        run.stdout
    );
    assert_eq!(store.list(&Query::all()).unwrap().len(), 3);

    let run = playback_in(store.root(), &["prune", "--older-than", "30d"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("deleted 2 recording(s)"),
        "{}",
        run.stdout
    );
    let left: Vec<_> = store
        .list(&Query::all())
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().id)
        .collect();
    assert_eq!(left, [fresh.id]);
}

#[test]
fn prune_keeps_other_categories_with_category() {
    let dir = tempfile::tempdir().unwrap();
    let old = OffsetDateTime::now_utc() - time::Duration::days(60);
    let a = Recording::builder("health").recorded_at(old).build();
    let b = Recording::builder("checkout").recorded_at(old).build();
    let store = store_with(dir.path(), &[a.clone(), b.clone()]);
    let run = playback_in(
        store.root(),
        &["prune", "--older-than", "1w", "--category", "health"],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(store.get(&a.id).is_err());
    assert!(store.get(&b.id).is_ok());
}

#[test]
fn prune_refuses_a_bad_duration() {
    let dir = tempfile::tempdir().unwrap();
    let run = playback_in(dir.path(), &["prune", "--older-than", "30 days"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("invalid duration `30 days`"),
        "{}",
        run.stderr
    );
}
