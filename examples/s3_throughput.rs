//! Sustained write throughput into the S3 store on loopback (issue 16): small operations
//! (one input, one output, ~100 B values) recorded through `#[playback::instrument]` at
//! a paced target rate for a number of seconds, into an `S3Store` on the in-process S3
//! server (s3s + s3s-fs, signatures checked). It prints the recordings made, delivered
//! and dropped, the delivered rate, the process CPU per recording and the store's
//! request counts, then counts the recordings in the bucket with a listing; it fails
//! (exit code 1) unless every recording made is in the bucket and nothing was dropped,
//! spooled or over a queue bound.
//!
//! ```sh
//! cargo run --release --example s3_throughput --features s3 -- --rate 20000 --secs 10
//! cargo run --release --example s3_throughput --features s3 -- --per-object --rate 1500
//! ```
//!
//! Flags: `--rate N` operations per second in all (default 20000), `--secs N` (default
//! 10), `--threads N` calling threads (default 2), `--per-object` (one object per
//! recording instead of packs, `S3StoreBuilder::packed(false)`).

use std::process::ExitCode;
use std::sync::Arc;
use std::time::{Duration, Instant};

use playback::{PlaybackLayer, Query, S3Store, Store};
use playback_testkit::s3::{ACCESS_KEY, SECRET_KEY, TestServer};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

/// About 100 bytes of JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Quote {
    order: u64,
    sku: String,
    cents: u64,
    currency: String,
}

#[playback::instrument(playback = "input")]
fn load_quote(order: u64) -> Quote {
    Quote {
        order,
        sku: format!("SKU-{:08}-blue-medium", order % 1000),
        cents: order * 7 % 10_000,
        currency: "EUR".to_owned(),
    }
}

#[playback::instrument(playback = "output", skip(quote))]
fn save_quote(quote: &Quote) -> u64 {
    quote.cents
}

#[playback::instrument(playback = "operation", name = "quote")]
fn handle(order: u64) -> u64 {
    let quote = load_quote(order);
    save_quote(&quote)
}

struct Args {
    rate: u64,
    secs: u64,
    threads: u64,
    packed: bool,
}

fn args() -> Args {
    let mut args = Args {
        rate: 20_000,
        secs: 10,
        threads: 2,
        packed: true,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().and_then(|v| v.parse().ok()).unwrap_or(0);
        match flag.as_str() {
            "--rate" => args.rate = value().max(1),
            "--secs" => args.secs = value().max(1),
            "--threads" => args.threads = value().max(1),
            "--per-object" => args.packed = false,
            other => eprintln!("ignoring unknown flag {other}"),
        }
    }
    args
}

/// User + system CPU time of this process so far.
fn cpu_time() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    let fields: Vec<&str> = stat
        .rsplit(')')
        .next()
        .unwrap_or("")
        .split_whitespace()
        .collect();
    let ticks = |i: usize| {
        fields
            .get(i)
            .and_then(|v| v.parse::<u64>().ok())
            .unwrap_or(0)
    };
    // utime and stime are fields 14 and 15 (1-based), 12 and 13 after the ')'.
    Duration::from_millis((ticks(11) + ticks(12)) * 10)
}

fn main() -> ExitCode {
    let args = args();
    let server = TestServer::start("throughput");
    let spool = tempfile::tempdir().expect("temp dir");
    let store = Arc::new(
        S3Store::builder()
            .bucket("throughput")
            .prefix("svc/")
            .endpoint_url(server.endpoint())
            .force_path_style(true)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .spool_dir(spool.path())
            .packed(args.packed)
            .build_blocking()
            .expect("store"),
    );
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store.clone())
        .queue_capacity(1 << 16)
        .build()
        .expect("layer");
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));

    let total = args.rate * args.secs;
    let per_thread = total / args.threads;
    let interval = Duration::from_secs_f64(args.threads as f64 / args.rate as f64);
    let cpu_before = cpu_time();
    let began = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..args.threads {
            let dispatch = dispatch.clone();
            scope.spawn(move || {
                tracing::dispatcher::with_default(&dispatch, || {
                    let start = Instant::now();
                    for i in 0..per_thread {
                        // Paced: operation i is due at start + i * interval.
                        let due = start + interval.mul_f64(i as f64);
                        let now = Instant::now();
                        if due > now {
                            std::thread::sleep(due - now);
                        }
                        std::hint::black_box(handle(t * per_thread + i));
                    }
                });
            });
        }
    });
    let made_in = began.elapsed();
    let flushed = guard.flush(Duration::from_secs(120)) && store.drain(Duration::from_secs(120));
    let delivered_in = began.elapsed();
    let cpu = cpu_time().saturating_sub(cpu_before);
    let made = per_thread * args.threads;

    let stats = guard.stats().snapshot();
    let counter = |name| store.counter(name);
    let listed = store
        .list(&Query::category("quote"))
        .expect("list the bucket");
    let in_bucket = listed.iter().filter(|e| e.is_ok()).count() as u64;
    println!(
        "layout: {}; target {} ops/s for {} s on {} threads",
        if args.packed {
            "packs"
        } else {
            "one object per recording"
        },
        args.rate,
        args.secs,
        args.threads
    );
    println!(
        "made {made} in {:.2} s ({:.0}/s); all delivered after {:.2} s: {:.0} recordings/s",
        made_in.as_secs_f64(),
        made as f64 / made_in.as_secs_f64(),
        delivered_in.as_secs_f64(),
        in_bucket as f64 / delivered_in.as_secs_f64()
    );
    println!(
        "process CPU {:.2} s: {:.1} us per recording (caller, layer writer, S3 client and the \
         in-process S3 server together)",
        cpu.as_secs_f64(),
        cpu.as_secs_f64() * 1e6 / made.max(1) as f64
    );
    println!(
        "layer: recorded {}, dropped {}, over_queued_bytes {}, failed {}; s3: uploaded {}, \
         spooled {}, queue_over_bytes {}, dropped_over_cap {}, PutObject requests {}, \
         peak queued {} KiB",
        stats.recorded,
        stats.dropped,
        stats.over_queued_bytes,
        stats.failed,
        counter("s3_uploaded"),
        counter("s3_spooled"),
        counter("s3_queue_over_bytes"),
        counter("s3_dropped_over_cap"),
        server.requests("PutObject"),
        counter("s3_peak_queued_bytes") / 1024,
    );
    println!("in the bucket: {in_bucket} of {made}");
    let clean = flushed
        && in_bucket == made
        && stats.dropped == 0
        && stats.over_queued_bytes == 0
        && stats.failed == 0
        && counter("s3_spooled") == 0
        && counter("s3_queue_over_bytes") == 0
        && counter("s3_dropped_over_cap") == 0;
    if clean {
        ExitCode::SUCCESS
    } else {
        eprintln!("FAILED: not every recording made reached the bucket without drops or spooling");
        ExitCode::FAILURE
    }
}
