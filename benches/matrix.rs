//! Scenario matrices (`playback::matrix`) over the demo shop's quote operation.
//!
//! - `matrix/2400_walks`: 200 quote recordings × rounding (3) × rates (2) × cache (2)
//!   = 2,400 walks, replayed and compared on all cores;
//! - `matrix/plain_replay_2400`: the same 2,400 replays as a plain Equalizer run (the
//!   200 recordings 12 times, with the same replayer), the baseline of the per-walk
//!   overhead;
//! - then, outside criterion: a 10⁶-walk action matrix, with the growth of the peak
//!   resident memory (`VmHWM`), streamed and with `gather_states(true)`.
//!
//! `cargo bench --bench matrix --features matrix`

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

#[path = "../examples/demo/shop.rs"]
#[expect(
    dead_code,
    reason = "the shop's serving half (database, HTTP client) is not needed to replay"
)]
mod shop;

use std::time::Instant;

use criterion::{Criterion, Throughput, criterion_group};
use playback::matrix::{Matrix, RecordingMatrix, Setup, action};
use playback::{DirStore, Equalizer, Progress, Query, Recording, RecordingId, Store};

/// 200 quote recordings: the 8 committed ones, each copied 25 times under new ids.
fn quotes(n: usize) -> Vec<Recording> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings");
    let base: Vec<Recording> = DirStore::new(dir)
        .unwrap()
        .find(&Query::category("quote"))
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    (0..n)
        .map(|i| {
            let mut rec = base[i % base.len()].clone();
            rec.id = RecordingId::generate();
            rec
        })
        .collect()
}

fn matrix(recordings: Vec<Recording>) -> RecordingMatrix {
    RecordingMatrix::over(recordings)
        .replayer(shop::replayer())
        .axis(action(
            "rounding",
            || {
                [
                    shop::Rounding::Nearest,
                    shop::Rounding::Floor,
                    shop::Rounding::Ceil,
                ]
                .into_iter()
            },
            |mode: &shop::Rounding, setup: &mut Setup| {
                setup.set("rounding", mode);
                Ok::<_, String>(())
            },
        ))
        .axis(action(
            "rates",
            || ["recorded", "reference"].into_iter().map(String::from),
            |source: &String, setup: &mut Setup| {
                if source == "reference" {
                    let key = serde_json::json!({ "currency": "JPY" });
                    setup.override_input_for(
                        "shop::exchange_rate",
                        key,
                        serde_json::json!({ "Ok": 163.0 }),
                    );
                }
                Ok::<_, String>(())
            },
        ))
        .axis(action(
            "cache",
            || [false, true].into_iter(),
            |on: &bool, setup: &mut Setup| {
                setup.set("cache", on);
                Ok::<_, String>(())
            },
        ))
        .configure(|setup, replayer| {
            let mode = setup
                .get("rounding")
                .and_then(|v| serde_json::from_value(v.clone()).ok())
                .unwrap_or(shop::Rounding::Nearest);
            replayer.provide(move || shop::Shop::detached_with(mode))
        })
}

fn bench(c: &mut Criterion) {
    let recs = quotes(200);
    let mut g = c.benchmark_group("matrix");
    g.sample_size(10);
    g.throughput(Throughput::Elements(2_400));
    g.bench_function("2400_walks", |b| {
        b.iter(|| {
            let m = matrix(recs.clone()).run().unwrap();
            assert_eq!(m.walks, 2_400);
            m
        })
    });
    let twelve: Vec<Recording> = (0..12)
        .flat_map(|_| recs.iter().cloned())
        .map(|mut r| {
            r.id = RecordingId::generate();
            r
        })
        .collect();
    g.bench_function("plain_replay_2400", |b| {
        b.iter(|| {
            let report = Equalizer::new(twelve.clone())
                .replayer(shop::replayer())
                .progress(Progress::Never)
                .run();
            assert_eq!(report.comparisons.len(), 2_400);
            report
        })
    });
    g.finish();
}

/// The peak resident set size so far, in KiB (Linux `VmHWM`).
fn peak_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

/// A 10⁶-walk matrix: 1000 × 1000 options, a small state, all cores.
fn million(gather: bool) -> (usize, f64, u64) {
    let before = peak_kib();
    let started = Instant::now();
    let run = Matrix::new()
        .action(action(
            "a",
            || 0..1000u32,
            |n: &u32, s: &mut u64| {
                *s += u64::from(*n);
                Ok::<_, String>(())
            },
        ))
        .action(action(
            "b",
            || 0..1000u32,
            |n: &u32, s: &mut u64| {
                *s ^= u64::from(*n);
                Ok::<_, String>(())
            },
        ))
        .gather_states(gather)
        .run(0u64)
        .unwrap();
    let secs = started.elapsed().as_secs_f64();
    (run.walks, secs, peak_kib().saturating_sub(before))
}

fn streaming() {
    let (walks, secs, growth) = million(false);
    println!(
        "matrix/1e6_walks_streamed: {walks} walks in {secs:.2} s, peak RSS growth {growth} KiB"
    );
    assert_eq!(walks, 1_000_000);
    assert!(
        growth < 16 * 1024,
        "a streamed 10^6-walk matrix grew the peak RSS by {growth} KiB"
    );
    let (walks, secs, growth) = million(true);
    println!(
        "matrix/1e6_walks_gathered: {walks} walks in {secs:.2} s, peak RSS growth {growth} KiB (one state per walk kept)"
    );
}

criterion_group!(benches, bench);

fn main() {
    streaming();
    benches();
    criterion::Criterion::default()
        .configure_from_args()
        .final_summary();
}
