//! Store sources with a cache, offline runs, and setup errors.

use std::fs;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use playback_harness::{Error, Harness, Update};
use playback_store::{
    DirStore, MemoryStore, Query, Recording, RecordingId, Store, StoreError, Summary,
};

use crate::{Fixture, player, recording, run};

/// A store that can be switched off, as a network store goes offline.
#[derive(Debug, Default)]
struct Flaky {
    inner: MemoryStore,
    offline: AtomicBool,
    gets: AtomicUsize,
    lists: AtomicUsize,
}

impl Flaky {
    fn check(&self) -> Result<(), StoreError> {
        if self.offline.load(Ordering::SeqCst) {
            return Err(StoreError::Io {
                path: "s3://bucket".into(),
                op: "list",
                source: std::io::Error::other("network is unreachable"),
            });
        }
        Ok(())
    }
}

impl Store for Flaky {
    fn put(&self, recording: &Recording) -> Result<(), StoreError> {
        self.inner.put(recording)
    }
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        self.check()?;
        self.gets.fetch_add(1, Ordering::SeqCst);
        self.inner.get(id)
    }
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        self.inner.delete(id)
    }
    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        self.check()?;
        self.lists.fetch_add(1, Ordering::SeqCst);
        self.inner.list(query)
    }
}

#[test]
fn a_store_source_fetches_each_recording_once_into_the_cache_and_runs_offline_from_it() {
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let store = Arc::new(Flaky::default());
    for rec in [
        recording("price", "01KE4F9ZQE0000000000000001", 3, 2),
        recording("quote", "01KE4F9ZQE0000000000000003", 7, 2),
    ] {
        store.put(&rec).unwrap();
    }
    let replays = Arc::new(AtomicUsize::new(0));
    let harness = |factor| {
        Harness::new()
            .store(store.clone())
            .cache_dir(&cache)
            .query(Query::category("price"))
            .player(player(factor, replays.clone()))
            .update(Update::New)
    };
    let (outcome, _) = run(harness(2), &[]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    let (outcome, _) = run(harness(2), &[]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(store.gets.load(Ordering::SeqCst), 1, "fetched once");
    assert_eq!(store.lists.load(Ordering::SeqCst), 2);
    // one test by name, already cached: the store is not even listed
    let (outcome, _) = run(harness(2), &["--exact", "price::0000000001"]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);
    assert_eq!(store.lists.load(Ordering::SeqCst), 2);
    assert_eq!(
        DirStore::new(&cache)
            .unwrap()
            .list(&Query::all())
            .unwrap()
            .len(),
        1
    );

    store.offline.store(true, Ordering::SeqCst);
    let (outcome, _) = run(harness(2), &[]);
    assert_eq!(outcome.passed(), ["price::0000000001"]);

    // a change is reported, but a store's recording is not updated
    let (outcome, _) = run(harness(3), &[]);
    let failed = outcome.get("price::0000000001").unwrap();
    assert!(failed.message.as_deref().unwrap().contains("playback pull"));
    assert!(failed.pending.is_none());

    // offline with an empty cache: the store's error, as the one failing test
    let empty = Harness::new()
        .store(store.clone())
        .cache_dir(dir.path().join("none"));
    let (outcome, _) = run(empty, &[]);
    assert_eq!(outcome.failed(), ["playback::setup"]);
    let message = outcome.tests[0].message.as_deref().unwrap();
    assert!(
        message.contains("failed to list `s3://bucket`")
            && message.contains("network is unreachable"),
        "{message}"
    );
}

#[test]
fn setup_problems_and_unreadable_recordings_are_failing_tests_that_say_what_to_do() {
    let (outcome, _) = run(Harness::new().dir("no/such/dir"), &[]);
    assert_eq!(outcome.failed(), ["playback::setup"]);
    let message = outcome.tests[0].message.clone().unwrap();
    assert!(
        message.contains("no/such/dir") && message.contains("playback pull"),
        "{message}"
    );
    assert!(matches!(Harness::new().test_names(), Err(Error::NoSource)));

    let f = Fixture::new();
    let day = f.put(&recording("price", "01KE4F9ZQE0000000000000007", 1, 2));
    fs::write(&day, "{ truncated").unwrap();
    let (outcome, _) = run(f.harness(2), &["--skip", "broken"]);
    assert_eq!(outcome.failed(), ["playback::unreadable::1"]);
    assert!(
        outcome
            .tests
            .iter()
            .any(|t| t.message.as_deref().is_some_and(|m| m.contains("corrupt")))
    );
    assert_eq!(outcome.passed().len(), 3);
}
