//! Benchmarks of the comparison engine.
//!
//! - `equalizer_overhead`: the Equalizer's own overhead on 10,000 small recordings, on
//!   all cores: extraction, diff, worker pool, report. The player is
//!   [`in_process_player`], which builds the playback from the recording itself (no
//!   replay of user code), so this measures everything but the replay.
//! - `json_diff`: the diff of two ~100 KB documents, against plain `==` on the same
//!   values as a baseline.
//! - `isolation`: 20 small recordings replayed with `isolate(true)` (a child
//!   process per recording) against the same run in-process.
//!
//! ```text
//! cargo bench -p playback-compare --bench equalizer
//! CARGO_TARGET_DIR=$PWD/target cargo bench -p playback-compare --bench equalizer -- isolation
//! ```
//!
//! A child process of an isolated run is this bench binary started again with the
//! same arguments: it runs criterion from the start until it reaches the isolated
//! run. So the `isolation` group comes first, its isolated benches before the
//! in-process one, and each isolated run is made on a fresh thread (it is then the
//! thread's first isolated run, which is the one the child looks for). Set
//! `CARGO_TARGET_DIR`: without it, criterion started by `cargo bench` runs
//! `cargo metadata` at startup, in every child too (about 0.5 s each).

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented `pub fn`"
)]

use std::hint::black_box;
use std::time::Duration;

use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use playback_compare::{Equalizer, JsonDiff, Progress};
use playback_replay::{Output, Playback, Side};
use playback_store::{Interception, InterceptionKind, OpResult, Recording, RecordingId};
use serde_json::{Value, json};

fn raw(v: &Value) -> Box<serde_json::value::RawValue> {
    serde_json::value::to_raw_value(v).expect("a JSON value serializes")
}

/// A small recording: a result, one input and two outputs, ~600 bytes of JSON.
fn small_recording(n: usize) -> Recording {
    let result = json!({"Ok": {"order_id": n, "total": 12.5, "currency": "EUR", "lines": 2}});
    // A fixed id: the child process of an isolated run builds the same recordings.
    let id = RecordingId::parse(&format!("01JGZ00000000000000{n:07}")).expect("a valid id");
    Recording::builder("checkout")
        .id(id)
        .operation("shop::checkout")
        .duration(Duration::from_micros(900))
        .arg("cart_id", raw(&json!(n)))
        .result(OpResult::Returned {
            value: raw(&result),
            error: false,
        })
        .interception(Interception::input(
            "shop::load_cart",
            1,
            json!({"cart_id": n}),
            raw(
                &json!({"Ok": {"items": [{"sku": "apple", "qty": 3}, {"sku": "bread", "qty": 1}]}}),
            ),
            false,
        ))
        .interception(Interception::output(
            "shop::save_order",
            1,
            raw(&json!({"order": {"id": n, "total": 12.5}})),
            raw(&json!({"Ok": null})),
            false,
        ))
        .interception(Interception::output(
            "shop::send_email",
            1,
            raw(&json!({"to": format!("user{n}@example.com"), "template": "receipt"})),
            raw(&json!({"Ok": true})),
            false,
        ))
        .build()
}

/// The stand-in player: both sides are read from the recording (what a replay that
/// changes nothing returns). It parses the recorded result and output arguments, as
/// the real replay does for the recorded side, and does no other work, so the bench
/// measures the Equalizer's own overhead.
fn in_process_player(rec: &Recording) -> Result<Playback, std::convert::Infallible> {
    let result = rec
        .result
        .as_ref()
        .map(OpResult::to_json)
        .unwrap_or(Value::Null);
    let outputs: Vec<Output> = rec
        .interceptions
        .iter()
        .filter(|i| i.kind == InterceptionKind::Output)
        .map(|i| {
            Output::new(
                i.alias.clone(),
                i.invocation,
                i.args_value(),
                i.value_json(),
                i.error,
            )
        })
        .collect();
    let recorded = Side::new(result, false, outputs, rec.duration());
    let replayed = recorded.clone();
    Ok(Playback::new(
        rec.id.clone(),
        rec.category.clone(),
        recorded,
        replayed,
        Vec::new(),
    ))
}

fn equalizer_overhead(c: &mut Criterion) {
    const N: usize = 10_000;
    let recs: Vec<Recording> = (0..N).map(small_recording).collect();
    let mut group = c.benchmark_group("equalizer_overhead");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(20);
    group.bench_function("10000_small_recordings_all_cores", |b| {
        b.iter_batched(
            || recs.clone(),
            |recs| {
                let report = Equalizer::new(recs)
                    .player(in_process_player)
                    .progress(Progress::Never)
                    .run();
                assert_eq!(report.counts().equal, N);
                report
            },
            BatchSize::LargeInput,
        )
    });
    group.bench_function("10000_small_recordings_1_thread", |b| {
        b.iter_batched(
            || recs.clone(),
            |recs| {
                Equalizer::new(recs)
                    .player(in_process_player)
                    .threads(1)
                    .progress(Progress::Never)
                    .run()
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

/// A ~100 KB document: 550 orders with lines and nested customer data.
fn document(changed: bool) -> Value {
    let orders: Vec<Value> = (0..550)
        .map(|i| {
            let price = if changed && i % 100 == 7 { 2.6 } else { 2.4 };
            json!({
                "id": i,
                "customer": {"name": format!("customer {i}"), "tier": if i % 3 == 0 { "gold" } else { "basic" }},
                "lines": [{"sku": "apple", "qty": 3, "price": 0.5}, {"sku": "bread", "qty": 1, "price": price}],
                "total": 1.5 + price,
                "trace_id": format!("{:016x}", if changed { i * 31 + 7 } else { i * 31 }),
            })
        })
        .collect();
    json!({"result": {"Ok": {"orders": orders}}, "outputs": []})
}

fn json_diff(c: &mut Criterion) {
    let a = document(false);
    let b = document(true);
    let size = serde_json::to_vec(&a).map(|v| v.len()).unwrap_or(0);
    assert!(
        (90_000..130_000).contains(&size),
        "document is {size} bytes"
    );
    let mut group = c.benchmark_group("json_diff");
    group.throughput(Throughput::Bytes(size as u64));
    let plain = JsonDiff::new();
    group.bench_function("100kb_plain", |bench| {
        bench.iter(|| black_box(plain.diff(black_box(&a), black_box(&b))))
    });
    let rules = JsonDiff::new()
        .ignore("/result/Ok/orders/*/trace_id")
        .float_tolerance(1e-9)
        .unordered("/result/Ok/orders/*/lines");
    group.bench_function("100kb_with_rules", |bench| {
        bench.iter(|| black_box(rules.diff(black_box(&a), black_box(&b))))
    });
    let same = a.clone();
    group.bench_function("100kb_equal_documents", |bench| {
        bench.iter(|| black_box(plain.diff(black_box(&a), black_box(&same))))
    });
    group.bench_function("baseline_value_eq", |bench| {
        bench.iter(|| black_box(black_box(&a) == black_box(&same)))
    });
    group.finish();
}

/// Runs `f` on a fresh thread, whose first isolated run it makes.
fn on_fresh_thread<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::spawn(f)
        .join()
        .expect("the run does not panic")
}

fn isolation(c: &mut Criterion) {
    const N: usize = 20;
    let recs: Vec<Recording> = (0..N).map(small_recording).collect();
    let mut group = c.benchmark_group("isolation");
    group.throughput(Throughput::Elements(N as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    for threads in [2, 1] {
        group.bench_function(format!("20_recordings_isolated_{threads}_threads"), |b| {
            b.iter_batched(
                || recs.clone(),
                |recs| {
                    let report = on_fresh_thread(move || {
                        Equalizer::new(recs)
                            .player(in_process_player)
                            .isolate(true)
                            .threads(threads)
                            .progress(Progress::Never)
                            .run()
                    });
                    assert_eq!(report.counts().equal, N, "{:?}", report.comparisons);
                    report
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.bench_function("20_recordings_in_process_2_threads", |b| {
        b.iter_batched(
            || recs.clone(),
            |recs| {
                let report = on_fresh_thread(move || {
                    Equalizer::new(recs)
                        .player(in_process_player)
                        .threads(2)
                        .progress(Progress::Never)
                        .run()
                });
                assert_eq!(report.counts().equal, N);
                report
            },
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

// `isolation` first: see the module docs.
criterion_group!(benches, isolation, equalizer_overhead, json_diff);
criterion_main!(benches);
