//! What the e2e modules share: recording through a real layer into a `MemoryStore`, and
//! counting the bodies that really ran.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::Duration;

use playback::{
    MemoryStore, PlaybackGuard, PlaybackLayer, PlaybackLayerBuilder, Query, Recording, Store,
};
use tracing_subscriber::prelude::*;

/// Runs `f` with a recording layer (built from `builder`) as this thread's subscriber,
/// flushes, and returns every recording, the guard and what `f` returned.
pub(crate) fn record_with<R>(
    builder: PlaybackLayerBuilder,
    f: impl FnOnce() -> R,
) -> (Vec<Recording>, PlaybackGuard, R) {
    let store = MemoryStore::new();
    let (layer, guard) = builder.store(store.clone()).build().unwrap();
    let r = tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
    assert!(guard.flush(Duration::from_secs(10)));
    (all(&store), guard, r)
}

/// Records `f`, which must make exactly one recording.
pub(crate) fn record_one(f: impl FnOnce()) -> Recording {
    let (mut recs, _guard, ()) = record_with(PlaybackLayer::builder(), f);
    assert_eq!(recs.len(), 1);
    recs.remove(0)
}

/// Every recording in `store`, newest first.
pub(crate) fn all(store: &MemoryStore) -> Vec<Recording> {
    store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

/// Counts the bodies that really ran (live calls), across threads and tasks.
#[derive(Clone, Default)]
pub(crate) struct Live(Arc<AtomicUsize>);

impl Live {
    pub(crate) fn hit(&self) {
        self.0.fetch_add(1, Ordering::SeqCst);
    }

    pub(crate) fn count(&self) -> usize {
        self.0.load(Ordering::SeqCst)
    }
}

/// Serializes the tests that switch the demo shop's `CANDIDATE_PRICING`, a
/// process-global static (`demo` replays with it on, `harness` with it on and off).
static CANDIDATE_PRICING_LOCK: Mutex<()> = Mutex::new(());

/// Holds the demo shop's candidate pricing for the caller alone while it lives (a
/// failed test that held it does not block the others).
pub(crate) fn candidate_pricing_lock() -> MutexGuard<'static, ()> {
    CANDIDATE_PRICING_LOCK
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
}
