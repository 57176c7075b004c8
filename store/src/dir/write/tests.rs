//! `DirStore::put_batch` on real files: every item stored and readable, failures alone,
//! replacement as `put` does it, and no temporary file left behind.

use std::fs;
use std::path::Path;

use time::macros::datetime;

use crate::{DirStore, Query, Recording, RecordingId, Store, StoreError};

fn store() -> (tempfile::TempDir, DirStore) {
    let tmp = tempfile::tempdir().unwrap();
    let store = DirStore::new(tmp.path().join("root")).unwrap();
    (tmp, store)
}

/// Every file name under `dir`, recursively, that starts with a dot.
fn hidden_files(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().to_string_lossy().into_owned();
        if entry.file_type().unwrap().is_dir() {
            out.extend(hidden_files(&entry.path()));
        } else if name.starts_with('.') {
            out.push(name);
        }
    }
    out
}

/// The same recording: the same bytes when written.
fn assert_same(a: &Recording, b: &Recording) {
    assert_eq!(a.to_json().unwrap(), b.to_json().unwrap());
}

#[test]
fn put_batch_stores_every_recording_in_its_category_and_day() {
    let (_tmp, store) = store();
    let batch: Vec<Recording> = (0..300)
        .map(|n| {
            let day = if n % 2 == 0 {
                datetime!(2026-01-02 03:04 UTC)
            } else {
                datetime!(2026-01-03 03:04 UTC)
            };
            let category = if n % 3 == 0 { "checkout" } else { "refund" };
            Recording::builder(category)
                .recorded_at(day)
                .operation(format!("op{n}"))
                .build()
        })
        .collect();
    let results = store.put_batch(&batch);
    assert_eq!(results.len(), batch.len());
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    for rec in &batch {
        let path = store.path_for(rec).unwrap();
        assert!(path.is_file(), "{}", path.display());
        assert_same(&store.get(rec.id()).unwrap(), rec);
    }
    assert_eq!(store.list(&Query::category("checkout")).unwrap().len(), 100);
    assert_eq!(store.list(&Query::category("refund")).unwrap().len(), 200);
    assert!(hidden_files(store.root()).is_empty());
    assert!(store.put_batch(&[]).is_empty());
}

#[test]
fn put_batch_reports_bad_items_and_stores_the_others() {
    let (tmp, store) = store();
    let at = datetime!(2026-01-02 03:04 UTC);
    // A category folder that is a symbolic link, and a day folder that is a file.
    let outside = tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, store.root().join("evil")).unwrap();
    fs::create_dir_all(store.root().join("blocked")).unwrap();
    fs::write(store.root().join("blocked/2026-01-02"), b"not a folder").unwrap();

    let batch = [
        Recording::builder("checkout").recorded_at(at).build(),
        Recording::builder("../escape").recorded_at(at).build(),
        Recording::builder("evil").recorded_at(at).build(),
        Recording::builder("blocked").recorded_at(at).build(),
        Recording::builder("checkout").recorded_at(at).build(),
    ];
    let results = store.put_batch(&batch);
    assert!(results[0].is_ok(), "{:?}", results[0]);
    assert!(
        matches!(results[1], Err(StoreError::InvalidCategory { .. })),
        "{:?}",
        results[1]
    );
    assert!(
        matches!(results[2], Err(StoreError::Symlink { .. })),
        "{:?}",
        results[2]
    );
    match &results[3] {
        Err(StoreError::Io { path, op, .. }) => {
            assert_eq!(*op, "create directory");
            assert!(path.ends_with("blocked/2026-01-02"), "{}", path.display());
        }
        other => panic!("expected an I/O error for the blocked day, got {other:?}"),
    }
    assert!(results[4].is_ok(), "{:?}", results[4]);
    assert_same(&store.get(batch[0].id()).unwrap(), &batch[0]);
    assert_same(&store.get(batch[4].id()).unwrap(), &batch[4]);
    for bad in &batch[1..4] {
        assert!(matches!(
            store.get(bad.id()),
            Err(StoreError::NotFound { .. })
        ));
    }
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    assert!(!tmp.path().join("escape").exists());
    assert!(hidden_files(store.root()).is_empty());
}

#[test]
fn put_batch_replaces_other_copies_of_an_id_as_put_does() {
    let (_tmp, store) = store();
    let id = RecordingId::generate_at(datetime!(2026-01-02 03:04 UTC));
    let at = datetime!(2026-01-02 03:04 UTC);
    let old = Recording::builder("checkout")
        .recorded_at(at)
        .id(id.clone())
        .build();
    store.put(&old).unwrap();

    // The same id twice in one batch, in two other categories: the last one wins, and
    // the copy stored before the batch is gone.
    let first = Recording::builder("refund")
        .recorded_at(at)
        .id(id.clone())
        .build();
    let last = Recording::builder("returns")
        .recorded_at(at)
        .id(id.clone())
        .build();
    let other = Recording::builder("checkout").recorded_at(at).build();
    let results = store.put_batch(&[first, other.clone(), last.clone()]);
    assert!(results.iter().all(Result::is_ok), "{results:?}");
    assert_same(&store.get(&id).unwrap(), &last);
    for category in ["checkout", "refund", "returns"] {
        let listed = store.list(&Query::category(category)).unwrap();
        let ids: Vec<RecordingId> = listed.into_iter().map(|s| s.unwrap().id).collect();
        let expected = match category {
            "checkout" => vec![other.id().clone()],
            "refund" => vec![],
            _ => vec![id.clone()],
        };
        assert_eq!(ids, expected, "{category}");
    }
}

#[test]
fn put_batch_of_an_existing_id_in_the_same_place_overwrites_it() {
    let (_tmp, store) = store();
    let mut rec = Recording::builder("checkout").build();
    store.put(&rec).unwrap();
    rec.duration_us = 42;
    assert!(store.put_batch(std::slice::from_ref(&rec))[0].is_ok());
    assert_eq!(store.get(rec.id()).unwrap().duration_us, 42);
    assert_eq!(store.list(&Query::category("checkout")).unwrap().len(), 1);
}

#[test]
fn a_batch_through_arc_and_box_reaches_the_dir_store() {
    let (_tmp, store) = store();
    let arc: std::sync::Arc<dyn Store> = std::sync::Arc::new(store.clone());
    let boxed: Box<dyn Store> = Box::new(store.clone());
    let a = [
        Recording::builder("../bad").build(),
        Recording::builder("ok").build(),
    ];
    let b = [Recording::builder("ok").build()];
    let from_arc = arc.put_batch(&a);
    assert!(matches!(
        from_arc[0],
        Err(StoreError::InvalidCategory { .. })
    ));
    assert!(from_arc[1].is_ok());
    assert!(boxed.put_batch(&b)[0].is_ok());
    assert_eq!(store.list(&Query::category("ok")).unwrap().len(), 2);
}

#[test]
fn concurrent_batches_and_reads_never_see_a_partial_file() {
    let (_tmp, store) = store();
    let rec = Recording::builder("checkout").build();
    store.put(&rec).unwrap();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for n in 0..50 {
                // The same id several times per batch, and other recordings beside it.
                let batch: Vec<Recording> = (0..4)
                    .map(|k| {
                        let mut r = rec.clone();
                        r.duration_us = n * 4 + k;
                        r
                    })
                    .chain([Recording::builder("refund").build()])
                    .collect();
                let results = store.put_batch(&batch);
                assert!(results.iter().all(Result::is_ok), "{results:?}");
            }
        });
        for _ in 0..100 {
            let back = store.get(rec.id()).unwrap();
            assert_eq!(back.id, rec.id);
            let listed = store.list(&Query::category("checkout")).unwrap();
            assert_eq!(listed.len(), 1, "{listed:?}");
            assert!(listed[0].is_ok(), "{listed:?}");
        }
        writer.join().unwrap();
    });
    assert_eq!(store.get(rec.id()).unwrap().duration_us, 199);
    assert_eq!(store.list(&Query::category("refund")).unwrap().len(), 50);
    assert!(hidden_files(store.root()).is_empty());
}
