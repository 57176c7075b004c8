//! The writer hands its queue to `Store::put_batch` a batch at a time: every recording
//! queued before a flush is stored before the flush acks, each item's result is counted
//! on its own, and a panicking store fails only its batch.

use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use playback_store::{MemoryStore, Query, Recording, RecordingId, Store, StoreError, Summary};
use tracing_subscriber::prelude::*;

use crate::{PlaybackLayer, input};

/// One operation with one input, filed under `category`.
fn operation(category: &'static str, n: u64) -> u64 {
    let span = match category {
        "bad" => tracing::info_span!("bad", playback = "operation"),
        "boom" => tracing::info_span!("boom", playback = "operation"),
        _ => tracing::info_span!("suite", playback = "operation"),
    };
    let _op = span.entered();
    input("price", &n, || n * 2)
}

/// A store that waits for a permit before each batch, logs each batch's size, refuses
/// the category `bad` and panics on the category `boom`.
#[derive(Debug)]
struct Batches {
    inner: MemoryStore,
    gate: Mutex<mpsc::Receiver<()>>,
    sizes: Mutex<Vec<usize>>,
}

impl Batches {
    fn new() -> (Arc<Self>, mpsc::Sender<()>) {
        let (open, gate) = mpsc::channel();
        let store = Batches {
            inner: MemoryStore::new(),
            gate: Mutex::new(gate),
            sizes: Mutex::new(Vec::new()),
        };
        (Arc::new(store), open)
    }
}

impl Store for Batches {
    fn put(&self, rec: &Recording) -> Result<(), StoreError> {
        self.put_batch(std::slice::from_ref(rec)).remove(0)
    }
    fn put_batch(&self, recs: &[Recording]) -> Vec<Result<(), StoreError>> {
        let _ = self.gate.lock().unwrap().recv();
        self.sizes.lock().unwrap().push(recs.len());
        assert!(recs.iter().all(|r| r.category != "boom"), "store crashed");
        recs.iter()
            .map(|r| match r.category.as_str() {
                "bad" => Err(StoreError::InvalidCategory {
                    category: r.category.clone(),
                    reason: "refused by the test store".into(),
                }),
                _ => self.inner.put(r),
            })
            .collect()
    }
    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        self.inner.get(id)
    }
    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        self.inner.delete(id)
    }
    fn list(&self, q: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        self.inner.list(q)
    }
}

#[test]
fn queued_recordings_reach_the_store_in_batches_and_a_flush_waits_for_all_of_them() {
    let (store, open) = Batches::new();
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store.clone())
        .queue_capacity(1024)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for n in 0..200 {
            assert_eq!(operation("suite", n), n * 2);
        }
    });
    // Every operation returned while the store was closed; a flush cannot ack before the
    // store has them all.
    assert!(!guard.flush(Duration::from_millis(50)));
    assert_eq!(store.inner.len(), 0);
    // The writer holds at most one batch while the store is closed; the rest of the 200
    // (fewer than a batch's 256) is the next one.
    open.send(()).unwrap();
    open.send(()).unwrap();
    assert!(guard.flush(Duration::from_secs(30)));
    assert_eq!(store.inner.len(), 200);
    let sizes = store.sizes.lock().unwrap().clone();
    assert!(sizes.len() <= 2, "{sizes:?}");
    assert_eq!(sizes.iter().sum::<usize>(), 200);
    let s = guard.stats().snapshot();
    assert_eq!((s.recorded, s.failed, s.dropped), (200, 0, 0));
}

#[test]
fn a_refused_item_fails_alone_and_a_panicking_store_fails_only_its_batch() {
    let (store, open) = Batches::new();
    for _ in 0..100 {
        open.send(()).unwrap();
    }
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store.clone())
        .queue_capacity(1024)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for n in 0..50 {
            operation(if n == 13 { "bad" } else { "suite" }, n);
        }
        assert!(guard.flush(Duration::from_secs(30)));
        let s = guard.stats().snapshot();
        assert_eq!((s.recorded, s.failed), (49, 1));

        // Alone in its batch (the queue is empty after the flush): the store panics.
        operation("boom", 50);
        assert!(guard.flush(Duration::from_secs(30)));
        let s = guard.stats().snapshot();
        assert_eq!((s.recorded, s.failed), (49, 2));

        // The writer goes on.
        operation("suite", 51);
        assert!(guard.flush(Duration::from_secs(30)));
    });
    let s = guard.stats().snapshot();
    assert_eq!((s.recorded, s.failed, s.dropped), (50, 2, 0));
    let stored = store.inner.list(&Query::all()).unwrap();
    assert_eq!(stored.len(), 50);
    assert!(
        stored
            .iter()
            .all(|s| s.as_ref().unwrap().category == "suite")
    );
}
