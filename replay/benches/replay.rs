//! The replay of a small operation (one input and one output, about 100 bytes each),
//! against a baseline in the same run: the same functions called without playback.
//!
//! ```text
//! cargo bench -p playback-replay --bench replay
//! ```
//!
//! Two forms of the same operation: instrumented with `#[playback::instrument]`, and
//! written by hand with a plain operation span and `playback::input`/`playback::output`.
//! Each replay includes everything `playback::replay` does: installing the provider,
//! matching the calls, and building the `Playback` with both sides.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented `pub fn`"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use playback::{MemoryStore, PlaybackLayer, Query, Recording, Store};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Cart {
    id: u64,
    customer: String,
    items: Vec<u64>,
    currency: String,
}

fn cart(id: u64) -> Cart {
    Cart {
        id,
        customer: "customer-0001@example.com".to_owned(),
        items: vec![101, 202, 303, 404, 505, 606],
        currency: "EUR".to_owned(),
    }
}

#[playback::instrument(playback = "operation")]
fn checkout(id: u64) -> u64 {
    let cart = load_cart(id);
    let total: u64 = cart.items.iter().sum();
    if save_order(&cart, total) { total } else { 0 }
}

#[playback::instrument(playback = "input")]
fn load_cart(id: u64) -> Cart {
    cart(id)
}

#[playback::instrument(playback = "output")]
fn save_order(cart: &Cart, total: u64) -> bool {
    cart.id > 0 && total > 0
}

/// The same operation without the attribute: a plain operation span and the function API.
fn checkout_by_hand(id: u64) -> u64 {
    let span = tracing::info_span!("checkout_by_hand", playback = "operation");
    let _entered = span.enter();
    let cart: Cart = playback::input("shop::load_cart", &id, || cart(id));
    let total = cart.items.iter().sum();
    let saved: bool = playback::output("shop::save_order", &(&cart, total), || {
        cart.id > 0 && total > 0
    });
    if saved { total } else { 0 }
}

fn record(run: impl FnOnce() -> u64) -> Recording {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .expect("layer");
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, run);
    assert!(guard.flush(Duration::from_secs(10)));
    let mut found = store.find(&Query::all()).expect("find");
    found.remove(0).expect("recording")
}

fn sizes(rec: &Recording) -> Vec<usize> {
    rec.interceptions
        .iter()
        .map(|i| {
            i.value.as_ref().map_or(0, |v| v.get().len())
                + i.args.as_ref().map_or(0, |a| a.get().len())
        })
        .collect()
}

fn bench(c: &mut Criterion) {
    let rec = record(|| checkout(7));
    let by_hand = record(|| checkout_by_hand(7));
    eprintln!(
        "interception payload sizes (bytes): {:?} / {:?}",
        sizes(&rec),
        sizes(&by_hand)
    );
    let mut group = c.benchmark_group("replay_small_operation");
    group.bench_function("instrumented/baseline_without_playback", |b| {
        b.iter(|| black_box(checkout(black_box(7))))
    });
    group.bench_function("instrumented/replay", |b| {
        b.iter(|| black_box(playback::replay(&rec, || checkout(black_box(7))).expect("replay")))
    });
    group.bench_function("by_hand/baseline_without_playback", |b| {
        b.iter(|| black_box(checkout_by_hand(black_box(7))))
    });
    group.bench_function("by_hand/replay", |b| {
        b.iter(|| {
            black_box(
                playback::replay(&by_hand, || checkout_by_hand(black_box(7))).expect("replay"),
            )
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
