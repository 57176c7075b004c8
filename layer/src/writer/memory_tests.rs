//! The byte bound (`max_queued_bytes`): a flood of large recordings into a store that
//! does not move keeps the bytes held within the bound, counts every recording it
//! drops, and never makes the caller wait.

use std::sync::mpsc;
use std::sync::{Barrier, Mutex};
use std::time::Duration;

use playback_store::MemoryStore;
use tracing_subscriber::prelude::*;

use crate::tests::BlockingStore;
use crate::{PlaybackGuard, PlaybackLayer, input};

const KB: usize = 1024;

/// A store that takes nothing until the test sends one permit per `put`.
fn blocked_store() -> (BlockingStore, MemoryStore, mpsc::Sender<()>) {
    let (open_gate, gate) = mpsc::channel();
    let inner = MemoryStore::new();
    let store = BlockingStore {
        inner: inner.clone(),
        gate: Mutex::new(gate),
    };
    (store, inner, open_gate)
}

/// One operation whose single input returns `size` bytes.
fn large_operation(n: usize, size: usize) -> usize {
    let _op = tracing::info_span!("flood", playback = "operation").entered();
    let body: String = input("body", &n, || "x".repeat(size));
    body.len()
}

fn release_all(open_gate: &mpsc::Sender<()>, guard: &PlaybackGuard, n: usize) {
    for _ in 0..n {
        let _ = open_gate.send(());
    }
    assert!(guard.flush(Duration::from_secs(30)), "flush timed out");
}

#[test]
fn a_flood_of_large_recordings_into_a_blocked_store_stays_within_max_queued_bytes() {
    const BOUND: usize = 1024 * KB;
    const THREADS: usize = 4;
    const PER_THREAD: usize = 50;
    let (store, inner, open_gate) = blocked_store();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store)
        .queue_capacity(100_000)
        .max_queued_bytes(BOUND)
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let start = Barrier::new(THREADS);
    // Every operation returns while the store takes nothing: the callers never wait.
    std::thread::scope(|s| {
        for t in 0..THREADS {
            let (dispatch, start) = (&dispatch, &start);
            s.spawn(move || {
                tracing::dispatcher::with_default(dispatch, || {
                    start.wait();
                    for i in 0..PER_THREAD {
                        assert_eq!(large_operation(t * PER_THREAD + i, 100 * KB), 100 * KB);
                    }
                });
            });
        }
    });
    let made = (THREADS * PER_THREAD) as u64;
    let s = guard.stats().snapshot();
    assert!(s.peak_queued_bytes > 0);
    assert!(
        s.peak_queued_bytes <= BOUND as u64,
        "peak {} over the bound {BOUND}",
        s.peak_queued_bytes
    );
    assert!(s.queued_bytes <= BOUND as u64);
    // ~100 KB each: at most 10 fit in 1 MiB, so at least 190 were dropped and counted.
    assert!(s.over_queued_bytes >= made - 10, "{s:?}");
    assert_eq!(s.dropped, 0, "the count bound never applied: {s:?}");
    release_all(&open_gate, &guard, THREADS * PER_THREAD);
    let s = guard.stats().snapshot();
    assert_eq!(s.recorded + s.over_queued_bytes, made, "{s:?}");
    assert_eq!(inner.len() as u64, s.recorded);
    assert_eq!(s.queued_bytes, 0, "every byte is given back once stored");
}

#[test]
fn capture_stops_at_the_value_that_would_not_fit_and_frees_what_it_held() {
    let (store, inner, open_gate) = blocked_store();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store)
        .max_queued_bytes(10 * KB)
        .build()
        .unwrap();
    let stats = guard.stats();
    let held =
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            let _op = tracing::info_span!("big", playback = "operation").entered();
            let mut held = Vec::new();
            for i in 0..3u32 {
                let value: String = input("part", &i, || "y".repeat(4 * KB));
                assert_eq!(value.len(), 4 * KB, "the call still runs live");
                held.push(stats.snapshot().queued_bytes);
            }
            held
        });
    // Two 4 KiB values fit in 10 KiB; the third does not: the operation let go of all.
    assert!(
        held[0] > 4 * KB as u64 && held[1] > 8 * KB as u64,
        "{held:?}"
    );
    assert_eq!(held[2], 0, "{held:?}");
    let s = stats.snapshot();
    assert_eq!((s.over_queued_bytes, s.oversize, s.dropped), (1, 0, 0));
    release_all(&open_gate, &guard, 0);
    assert_eq!((inner.len(), stats.snapshot().recorded), (0, 0));
}

#[test]
fn bytes_are_given_back_once_the_store_takes_a_recording() {
    let (store, inner, open_gate) = blocked_store();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store)
        .max_queued_bytes(300 * KB)
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let run = |n| tracing::dispatcher::with_default(&dispatch, || large_operation(n, 100 * KB));
    for n in 0..4 {
        run(n);
    }
    let s = guard.stats().snapshot();
    assert_eq!((s.over_queued_bytes, s.recorded), (2, 0), "{s:?}");
    release_all(&open_gate, &guard, 2);
    assert_eq!(guard.stats().snapshot().queued_bytes, 0);
    // The bytes came back, so two more fit.
    for n in 4..6 {
        run(n);
    }
    release_all(&open_gate, &guard, 2);
    let s = guard.stats().snapshot();
    assert_eq!((s.recorded, s.over_queued_bytes), (4, 2), "{s:?}");
    assert_eq!(inner.len(), 4);
}
