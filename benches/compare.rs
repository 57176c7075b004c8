//! Replay plus compare of 10,000 small recordings, on all cores, with the facade's
//! defaults: automatic replay of a `#[playback::instrument]` operation (one input and
//! one output, ~100 B values), the default extractor and `JsonDiff`.
//!
//! `cargo bench --bench compare`

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use playback::{Equalizer, MemoryStore, PlaybackLayer, Progress, Query, Recording, Store};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Item {
    id: u64,
    name: String,
    tags: Vec<String>,
    data: Vec<u32>,
}

#[playback::instrument(playback = "operation")]
fn handle(key: u64) -> u64 {
    let item = load(key);
    store_item(&item);
    item.data.iter().map(|&d| u64::from(d)).sum()
}

#[playback::instrument(playback = "input")]
fn load(key: u64) -> Item {
    Item {
        id: key,
        name: format!("customer-{key:04}"),
        tags: vec!["gold".into(), "eu".into()],
        data: (0..12).collect(),
    }
}

#[playback::instrument(playback = "output")]
fn store_item(item: &Item) -> bool {
    black_box(item.id) > 0
}

fn recordings(n: u64) -> Vec<Recording> {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .queue_capacity(n as usize + 1)
        .build()
        .unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        for key in 0..n {
            handle(key);
        }
    });
    assert!(guard.flush(Duration::from_secs(60)));
    store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn replay_and_compare(c: &mut Criterion) {
    let recs = recordings(10_000);
    assert_eq!(recs.len(), 10_000);
    let mut g = c.benchmark_group("replay_and_compare");
    g.sample_size(10);
    g.throughput(Throughput::Elements(recs.len() as u64));
    g.bench_function("10000_small_recordings_all_cores", |b| {
        b.iter(|| {
            let report = Equalizer::new(recs.clone()).progress(Progress::Never).run();
            assert_eq!(report.counts().equal, 10_000);
            report
        })
    });
    g.finish();
}

criterion_group!(benches, replay_and_compare);
criterion_main!(benches);
