//! Recording and replaying an operation whose input returns a 100 KB payload (850 items,
//! the peer benchmark's large case) and whose output stores the transformed payload,
//! against what serde alone costs for the same values, in the same run.
//!
//! ```text
//! cargo bench -p playback-replay --bench large
//! ```
//!
//! - `100kb_replay/serde_json::from_slice of the recorded values`: the input's value and
//!   the output's arguments read into the user's types, the least a replay can do.
//! - `100kb_replay/replay (raw)`: `playback::replay` from a parsed recording, as it is:
//!   both sides keep the values as raw JSON ([`playback::Json`]).
//! - `100kb_replay/replay, then every value as a tree`: the same, then each value of both
//!   sides read as a `serde_json::Value`, which is what a replay built before raw values.
//! - `100kb_record/serde_json::to_vec of the recorded values`: the input's value and the
//!   output's arguments serialized, the least a recording can do.
//! - `100kb_record/the operation, not recorded`: the same call with no subscriber (its
//!   own work: cloning the payload, transforming it), to subtract.
//! - `100kb_record/record + store (write through)`: one operation recorded into a
//!   `MemoryStore` with `write_through`, so the writer's work (building and encoding the
//!   recording) is on the measured thread too.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented `pub fn`"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use playback::{MemoryStore, PlaybackLayer, Recording, Store};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Item {
    id: u64,
    sku: String,
    name: String,
    qty: u64,
    price: f64,
    tags: Vec<String>,
    ok: bool,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct ItemDone {
    id: u64,
    sku: String,
    name: String,
    qty: u64,
    price: f64,
    tags: Vec<String>,
    ok: bool,
    done: bool,
}

fn payload() -> Vec<Item> {
    (0..850u64)
        .map(|i| Item {
            id: i,
            sku: format!("SKU-{i:06}"),
            name: format!("item-{i}-{}", "x".repeat((i % 7) as usize)),
            qty: (i * 7) % 13,
            price: 1.5 + (i % 100) as f64 * 0.25,
            tags: vec![format!("t{}", i % 5), format!("t{}", i % 3)],
            ok: i % 2 == 0,
        })
        .collect()
}

fn transform(items: Vec<Item>) -> Vec<ItemDone> {
    items
        .into_iter()
        .map(|d| ItemDone {
            id: d.id,
            sku: d.sku,
            name: d.name,
            qty: d.qty,
            price: d.price,
            tags: d.tags,
            ok: d.ok,
            done: true,
        })
        .collect()
}

/// The output's recorded arguments, read back into the user's type.
#[derive(Deserialize)]
struct StoreArgs {
    #[expect(dead_code, reason = "read only to measure deserializing it")]
    result: Vec<ItemDone>,
}

struct Service {
    payload: Option<Vec<Item>>,
}

impl Service {
    #[playback::instrument(playback = "operation", skip(self))]
    fn execute(&self) -> String {
        let items = self.get_request();
        let done = transform(items);
        self.store(&done)
    }

    #[playback::instrument(playback = "input", skip(self))]
    fn get_request(&self) -> Vec<Item> {
        self.payload
            .clone()
            .expect("an input ran live during replay")
    }

    #[playback::instrument(playback = "output", skip(self))]
    fn store(&self, result: &Vec<ItemDone>) -> String {
        format!("stored:{}", result.len())
    }
}

/// A subscriber with the layer over `store`, writing each recording before the call returns.
fn recording_dispatch(store: &MemoryStore) -> (tracing::Dispatch, playback::PlaybackGuard) {
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .write_through(true)
        .build()
        .expect("layer");
    (
        tracing::Dispatch::new(tracing_subscriber::registry().with(layer)),
        guard,
    )
}

fn record_one(payload: &[Item]) -> Recording {
    let store = MemoryStore::new();
    let (dispatch, _guard) = recording_dispatch(&store);
    let svc = Service {
        payload: Some(payload.to_vec()),
    };
    tracing::dispatcher::with_default(&dispatch, || svc.execute());
    let id = store.ids().pop().expect("one recording");
    store.get(&id).expect("readable")
}

fn bench(c: &mut Criterion) {
    let items = payload();
    let rec = record_one(&items);
    let input = rec.interceptions[0].value.as_ref().expect("input value");
    let args = rec.interceptions[1].args.as_ref().expect("output args");
    let check = playback::replay(&rec, || Service { payload: None }.execute()).expect("replay");
    assert_eq!(check.recorded(), check.replayed());

    let mut g = c.benchmark_group("100kb_replay");
    g.bench_function("serde_json::from_slice of the recorded values", |b| {
        b.iter(|| {
            let i: Vec<Item> = serde_json::from_slice(input.get().as_bytes()).expect("input");
            let o: StoreArgs = serde_json::from_slice(args.get().as_bytes()).expect("args");
            black_box((i, o))
        })
    });
    g.bench_function("replay (raw)", |b| {
        b.iter(|| {
            black_box(
                playback::replay(&rec, || Service { payload: None }.execute()).expect("replay"),
            )
        })
    });
    g.bench_function("replay, then every value as a tree", |b| {
        b.iter(|| {
            let p = playback::replay(&rec, || Service { payload: None }.execute()).expect("replay");
            for side in [p.recorded(), p.replayed()] {
                black_box(side.result());
                for o in side.outputs() {
                    black_box((o.args.value(), o.value.value()));
                }
            }
            black_box(p)
        })
    });
    g.finish();

    let done = transform(items.clone());
    let mut g = c.benchmark_group("100kb_record");
    g.bench_function("serde_json::to_vec of the recorded values", |b| {
        b.iter(|| {
            black_box(serde_json::to_vec(&items).expect("input"));
            black_box(serde_json::to_vec(&done).expect("output"))
        })
    });
    let svc = Service {
        payload: Some(items.clone()),
    };
    g.bench_function("the operation, not recorded", |b| {
        b.iter(|| black_box(svc.execute()))
    });
    let store = MemoryStore::new();
    let (dispatch, _guard) = recording_dispatch(&store);
    g.bench_function("record + store (write through)", |b| {
        b.iter(|| {
            tracing::dispatcher::with_default(&dispatch, || black_box(svc.execute()));
            store.clear();
        })
    });
    g.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4));
    targets = bench
}
criterion_main!(benches);
