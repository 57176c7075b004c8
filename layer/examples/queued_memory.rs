//! Peak memory with a store that does not move: 1,000 operations, each capturing a
//! ~100 KB value, end while the store takes nothing, so every recording the layer keeps
//! waits in memory. Prints the process's peak RSS (`VmHWM`, Linux).
//!
//! ```sh
//! cargo run --release -p playback-layer --example queued_memory                   # default bound, 64 MiB
//! cargo run --release -p playback-layer --example queued_memory -- unbounded      # no byte bound (the count bound, 1024, only)
//! ```

use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use playback_layer::{PlaybackLayer, input};
use playback_store::{MemoryStore, Query, Recording, RecordingId, Store, StoreError, Summary};
use tracing_subscriber::prelude::*;

/// A store whose `put` waits for a permit from `main`.
#[derive(Debug)]
struct Stalled {
    inner: MemoryStore,
    gate: Mutex<mpsc::Receiver<()>>,
}

impl Store for Stalled {
    fn put(&self, rec: &Recording) -> Result<(), StoreError> {
        let _ = self.gate.lock().map(|g| g.recv());
        // Keep only the count: the point is what the layer holds, not the store.
        self.inner.put(
            &Recording::builder(rec.category.clone())
                .id(rec.id.clone())
                .build(),
        )
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

fn peak_rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let unbounded = std::env::args().any(|a| a == "unbounded");
    let (open, gate) = mpsc::channel();
    let inner = MemoryStore::new();
    let store = Arc::new(Stalled {
        inner: inner.clone(),
        gate: Mutex::new(gate),
    });
    let mut builder = PlaybackLayer::builder().shared_store(store);
    if unbounded {
        builder = builder.max_queued_bytes(usize::MAX);
    }
    let (layer, guard) = builder.build().expect("layer");
    let before = peak_rss_kib();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        for n in 0..1000u32 {
            let _op = tracing::info_span!("bulk", playback = "operation").entered();
            let body: String = input("body", &n, || {
                // ~100 KB of text that differs per call.
                (0..100_000u32)
                    .map(|i| char::from(b'a' + ((i ^ n) % 26) as u8))
                    .collect()
            });
            assert_eq!(body.len(), 100_000);
        }
    });
    let s = guard.stats().snapshot();
    let peak = peak_rss_kib();
    println!(
        "{}: 1000 operations of ~100 KB with the store stalled: kept {}, over_queued_bytes {}, dropped (queue full) {}, peak queued {:.1} MiB",
        if unbounded {
            "no byte bound"
        } else {
            "max_queued_bytes 64 MiB"
        },
        1000 - s.over_queued_bytes - s.dropped,
        s.over_queued_bytes,
        s.dropped,
        s.peak_queued_bytes as f64 / 1048576.0,
    );
    println!(
        "peak RSS {:.0} MiB (at start {:.0} MiB)",
        peak as f64 / 1024.0,
        before as f64 / 1024.0
    );
    for _ in 0..1000 {
        let _ = open.send(());
    }
    assert!(guard.flush(Duration::from_secs(60)));
    let s = guard.stats().snapshot();
    assert_eq!(s.recorded + s.over_queued_bytes + s.dropped, 1000, "{s:?}");
    assert_eq!(inner.len() as u64, s.recorded);
}
