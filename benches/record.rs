//! The recording hot paths, each against its baseline in the same run.
//!
//! `cargo bench --bench record`
//!
//! 1. an instrumented call outside any operation vs plain `#[tracing::instrument]`;
//! 2. an operation with one input and one output (~100 B values), recorded to a
//!    MemoryStore, vs the same functions with plain `#[tracing::instrument]`;
//! 3. the same with ~100 KB values vs `serde_json::to_vec` of those values alone;
//! 4. a sampled-out operation vs plain `#[tracing::instrument]`;
//! 5. the operation of 2. recorded with no redaction, with 5 path rules, and with every
//!    detector on (`cargo bench --bench record -- 5_redaction`).
//!
//! Recorded operations are measured twice: `caller` times what the request pays (the
//! background writer works on the other core), `end_to_end` also times the waits for
//! the writer every 1,000 operations, so its JSON encoding and store write are counted.
//! Nothing is dropped in either.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;
use std::time::{Duration, Instant};

use criterion::{Criterion, criterion_group, criterion_main};
use playback::{MemoryStore, PlaybackGuard, PlaybackLayer};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Payload {
    id: u64,
    name: String,
    tags: Vec<String>,
    data: Vec<u32>,
}

/// A value whose JSON is about `bytes` long.
fn payload(bytes: usize) -> Payload {
    let mut p = Payload {
        id: 42,
        name: "customer-0042".into(),
        tags: vec!["gold".into(), "eu".into()],
        data: Vec::new(),
    };
    let mut i = 0u32;
    while serde_json::to_vec(&p).unwrap().len() < bytes {
        // grow in chunks so large payloads do not take quadratic time to build
        let chunk = ((bytes - serde_json::to_vec(&p).unwrap().len()) / 5).max(1);
        for _ in 0..chunk {
            p.data.push(i % 1000);
            i += 1;
        }
    }
    p
}

// ---- with playback ----

#[playback::instrument(playback = "operation", skip_all)]
fn op_pb(key: u64, p: &Payload) -> u64 {
    let v = input_pb(key, p);
    output_pb(&v);
    v.id
}

#[playback::instrument(playback = "input", skip(p))]
fn input_pb(key: u64, p: &Payload) -> Payload {
    let _ = key;
    p.clone()
}

#[playback::instrument(playback = "output")]
fn output_pb(v: &Payload) -> bool {
    black_box(v.id) > 0
}

// ---- baseline: plain tracing ----

#[tracing::instrument(skip_all)]
fn op_plain(key: u64, p: &Payload) -> u64 {
    let v = input_plain(key, p);
    output_plain(&v);
    v.id
}

#[tracing::instrument(skip(p))]
fn input_plain(key: u64, p: &Payload) -> Payload {
    let _ = key;
    p.clone()
}

#[tracing::instrument]
fn output_plain(v: &Payload) -> bool {
    black_box(v.id) > 0
}

#[playback::instrument(playback = "input")]
fn lookup_pb(key: u64) -> u64 {
    black_box(key) + 1
}

#[tracing::instrument]
fn lookup_plain(key: u64) -> u64 {
    black_box(key) + 1
}

fn recording_dispatch(rate: f64) -> (tracing::Dispatch, PlaybackGuard, MemoryStore) {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .sample_rate("op_pb", rate)
        .queue_capacity(4096)
        .build()
        .unwrap();
    (
        tracing::Dispatch::new(tracing_subscriber::registry().with(layer)),
        guard,
        store,
    )
}

/// Runs `f` `iters` times, waiting for the writer every 1,000 calls. With
/// `count_writer`, the waits are timed too (end to end: the writer's JSON encoding and
/// store write are counted); without, only the calls are timed (what a request pays,
/// while the writer works on another core). The store is emptied after each wait,
/// untimed, so the run measures recording rather than the page faults of a store that
/// grows to gigabytes.
fn timed(
    iters: u64,
    guard: &PlaybackGuard,
    store: &MemoryStore,
    count_writer: bool,
    mut f: impl FnMut(u64),
) -> Duration {
    let mut total = Duration::ZERO;
    let mut start = Instant::now();
    for i in 0..iters {
        f(i);
        if i % 1000 == 999 || i + 1 == iters {
            if !count_writer {
                total += start.elapsed();
            }
            assert!(guard.flush(Duration::from_secs(60)));
            if count_writer {
                total += start.elapsed();
            }
            store.clear();
            start = Instant::now();
        }
    }
    total
}

fn outside_operation(c: &mut Criterion) {
    let (dispatch, _guard, _store) = recording_dispatch(1.0);
    let mut g = c.benchmark_group("1_call_outside_operation");
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("tracing_instrument", |b| {
            b.iter(|| lookup_plain(black_box(7)))
        });
        g.bench_function("playback_instrument", |b| {
            b.iter(|| lookup_pb(black_box(7)))
        });
    });
    g.finish();
}

fn small_operation(c: &mut Criterion) {
    let p = payload(100);
    assert!((80..=140).contains(&serde_json::to_vec(&p).unwrap().len()));
    let mut g = c.benchmark_group("2_operation_100B");
    let (dispatch, guard, store) = recording_dispatch(1.0);
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("tracing_instrument", |b| {
            b.iter(|| op_plain(black_box(1), &p))
        });
        g.bench_function("playback_recorded_caller", |b| {
            b.iter_custom(|iters| {
                timed(iters, &guard, &store, false, |i| {
                    black_box(op_pb(i, &p));
                })
            })
        });
        g.bench_function("playback_recorded_end_to_end", |b| {
            b.iter_custom(|iters| {
                timed(iters, &guard, &store, true, |i| {
                    black_box(op_pb(i, &p));
                })
            })
        });
    });
    let s = guard.stats().snapshot();
    assert_eq!(s.dropped + s.failed + s.oversize, 0, "{s:?}");
    g.finish();
}

fn large_operation(c: &mut Criterion) {
    let p = payload(100_000);
    assert!((90_000..=130_000).contains(&serde_json::to_vec(&p).unwrap().len()));
    let mut g = c.benchmark_group("3_operation_100KB");
    g.sample_size(20);
    g.bench_function("serde_json_to_vec_baseline", |b| {
        // what the operation records: the input's value and the output's argument
        b.iter(|| {
            let a = serde_json::to_vec(black_box(&p)).unwrap();
            let b2 = serde_json::to_vec(black_box(&p)).unwrap();
            (a.len(), b2.len())
        })
    });
    let (dispatch, guard, store) = recording_dispatch(1.0);
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("playback_recorded_caller", |b| {
            b.iter_custom(|iters| {
                timed(iters, &guard, &store, false, |i| {
                    black_box(op_pb(i, &p));
                })
            })
        });
        g.bench_function("playback_recorded_end_to_end", |b| {
            b.iter_custom(|iters| {
                timed(iters, &guard, &store, true, |i| {
                    black_box(op_pb(i, &p));
                })
            })
        });
    });
    let s = guard.stats().snapshot();
    assert_eq!(s.dropped + s.failed + s.oversize, 0, "{s:?}");
    g.finish();
}

/// A recording layer with `rules` applied to its builder.
fn redacting_dispatch(
    rules: impl FnOnce(playback::PlaybackLayerBuilder) -> playback::PlaybackLayerBuilder,
) -> (tracing::Dispatch, PlaybackGuard, MemoryStore) {
    let store = MemoryStore::new();
    let builder = PlaybackLayer::builder()
        .store(store.clone())
        .queue_capacity(4096)
        .fingerprint_key(playback::FingerprintKey::new([7u8; 32]).unwrap());
    let (layer, guard) = rules(builder).build().unwrap();
    (
        tracing::Dispatch::new(tracing_subscriber::registry().with(layer)),
        guard,
        store,
    )
}

fn redaction(c: &mut Criterion) {
    use playback::redact::Mode;
    let p = payload(100);
    let mut g = c.benchmark_group("5_redaction_operation_100B");
    type Rules = fn(playback::PlaybackLayerBuilder) -> playback::PlaybackLayerBuilder;
    let configs: [(&str, Rules); 3] = [
        ("none", |b| b),
        ("5_path_rules", |b| {
            b.redact("/inputs/*/key/key")
                .redact("/inputs/*/value/name")
                .redact("/outputs/*/args/v/name")
                .redact_with("**/tags", Mode::MaskLength)
                .redact("/result")
        }),
        ("all_detectors", |b| b.detect_all()),
    ];
    for (name, rules) in configs {
        let (dispatch, guard, store) = redacting_dispatch(rules);
        tracing::dispatcher::with_default(&dispatch, || {
            g.bench_function(format!("{name}_caller"), |b| {
                b.iter_custom(|iters| {
                    timed(iters, &guard, &store, false, |i| {
                        black_box(op_pb(i, &p));
                    })
                })
            });
            g.bench_function(format!("{name}_end_to_end"), |b| {
                b.iter_custom(|iters| {
                    timed(iters, &guard, &store, true, |i| {
                        black_box(op_pb(i, &p));
                    })
                })
            });
        });
        let s = guard.stats().snapshot();
        assert_eq!(s.dropped + s.failed + s.oversize, 0, "{s:?}");
        // (a filter that leaves this configuration's benches out records nothing)
        assert!(
            s.recorded == 0 || s.unmatched_redaction_rules.is_empty(),
            "{s:?}"
        );
    }
    g.finish();
}

fn sampled_out_operation(c: &mut Criterion) {
    let p = payload(100);
    let (dispatch, _guard, _store) = recording_dispatch(0.0);
    let mut g = c.benchmark_group("4_sampled_out_operation");
    tracing::dispatcher::with_default(&dispatch, || {
        g.bench_function("tracing_instrument", |b| {
            b.iter(|| op_plain(black_box(1), &p))
        });
        g.bench_function("playback_sampled_out", |b| {
            b.iter(|| op_pb(black_box(1), &p))
        });
    });
    g.finish();
}

criterion_group!(
    benches,
    outside_operation,
    small_operation,
    large_operation,
    sampled_out_operation,
    redaction
);
criterion_main!(benches);
