//! The soak: the demo shop under a constant, bounded load for a while, recorded into the
//! S3 store on the in-process S3 server, which is stopped for a window in the middle and
//! restarted on the same port. It prints the request latencies with recording off, on,
//! and on during the outage (the phases alternate every half second, so the machine's
//! noise hits all three alike), the peak RSS, and what happened to every recording; and
//! it fails (exit code 1) unless every recording made was delivered or counted as
//! dropped, the peak RSS stayed under the bound, and nothing panicked.
//!
//! ```sh
//! cargo run --release --example soak --features s3                # 60 s, outage 15 s
//! cargo run --example soak --all-features -- --secs 20         # what CI runs (debug build)
//! ```
//!
//! Flags: `--secs N` (default 60), `--outage-secs N` (default a quarter of `--secs`),
//! `--rate N` requests per second (default 400), `--concurrency N` requests in flight at
//! most (default 4), `--max-queued-mib N` for the layer and for the S3 upload queue
//! (default 64, the default of both), `--slack-mib N` (default [`SLACK_MIB`]), `--pack-delay-ms N` (the S3 store's
//! `pack_max_delay`; default its own, 20 ms).

#[path = "demo/http.rs"]
#[allow(dead_code, reason = "the soak serves the shop; it does not replay")]
mod http;
#[path = "demo/server.rs"]
mod server;
#[path = "demo/shop.rs"]
#[allow(dead_code, reason = "the soak serves the shop; it does not replay")]
mod shop;
#[path = "demo/traffic.rs"]
#[allow(dead_code, reason = "the soak sends its own paced load")]
mod traffic;

use std::process::ExitCode;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use playback::redact::Detector;
use playback::{FingerprintKey, PlaybackLayer, Query, S3Store, StatsSnapshot, Store as _};
use playback_testkit::s3::{ACCESS_KEY, SECRET_KEY, TestServer};
use tracing_subscriber::prelude::*;

use crate::server::Server;
use crate::shop::Shop;
use crate::traffic::Call;

/// What the process holds besides the recordings' bounded queues (the shop, its
/// exchange-rate service, SQLite, the S3 test server, the runtimes, the recording the
/// writer is storing, allocator slack). Measured: 15 MiB when the load starts, and a
/// peak of 31 to 57 MiB for whole runs (BENCHMARKS.md), with small recordings.
const SLACK_MIB: u64 = 96;
/// How long each phase runs before the next one takes over.
const SLICE: Duration = Duration::from_millis(500);
const BUCKET: &str = "soak";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Phase {
    Off,
    On,
    OnOutage,
}

#[derive(Debug)]
struct Options {
    secs: u64,
    outage_secs: u64,
    rate: u64,
    concurrency: usize,
    max_queued_mib: u64,
    slack_mib: u64,
    /// The S3 store's `pack_max_delay`, when not its default.
    pack_delay_ms: Option<u64>,
}

static PANICS: AtomicU64 = AtomicU64::new(0);

fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(e) => {
            eprintln!("error: {e:#}");
            return ExitCode::from(2);
        }
    };
    let default_hook = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        PANICS.fetch_add(1, Ordering::SeqCst);
        default_hook(info);
    }));
    match run(&options) {
        Ok(failures) if failures.is_empty() => ExitCode::SUCCESS,
        Ok(failures) => {
            for f in failures {
                eprintln!("soak FAILED: {f}");
            }
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn parse(mut args: impl Iterator<Item = String>) -> anyhow::Result<Options> {
    let mut o = Options {
        secs: 60,
        outage_secs: 0,
        rate: 400,
        concurrency: 4,
        max_queued_mib: 64,
        slack_mib: SLACK_MIB,
        pack_delay_ms: None,
    };
    let mut outage = None;
    while let Some(flag) = args.next() {
        let value = args
            .next()
            .with_context(|| format!("{flag} needs a number"))?;
        let n: u64 = value
            .parse()
            .with_context(|| format!("{flag} takes a number"))?;
        match flag.as_str() {
            "--secs" => o.secs = n,
            "--outage-secs" => outage = Some(n),
            "--rate" => o.rate = n,
            "--concurrency" => o.concurrency = n as usize,
            "--max-queued-mib" => o.max_queued_mib = n,
            "--slack-mib" => o.slack_mib = n,
            "--pack-delay-ms" => o.pack_delay_ms = Some(n),
            other => anyhow::bail!("unknown flag {other}"),
        }
    }
    o.outage_secs = outage.unwrap_or(o.secs / 4);
    anyhow::ensure!(o.secs >= 4, "--secs must be at least 4");
    anyhow::ensure!(
        o.outage_secs < o.secs,
        "--outage-secs must be shorter than --secs"
    );
    anyhow::ensure!(
        o.rate > 0 && o.concurrency > 0,
        "--rate and --concurrency must be positive"
    );
    Ok(o)
}

fn run(o: &Options) -> anyhow::Result<Vec<String>> {
    let mib = 1024 * 1024;
    let s3 = TestServer::start(BUCKET);
    let spool = tempfile::tempdir()?;
    let store = Arc::new({
        let builder = S3Store::builder()
            .bucket(BUCKET)
            .prefix("soak/")
            .endpoint_url(s3.endpoint())
            .force_path_style(true)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .spool_dir(spool.path())
            .max_queued_bytes(o.max_queued_mib * mib)
            .max_attempts(3)
            .retry_backoff(Duration::from_millis(50), Duration::from_millis(500))
            .probe_interval(Duration::from_millis(500))
            .timeouts(Duration::from_secs(1), Duration::from_secs(5));
        match o.pack_delay_ms {
            Some(ms) => builder.pack_max_delay(Duration::from_millis(ms)),
            None => builder,
        }
        .build_blocking()?
    });

    let world = tempfile::tempdir()?;
    let db = world.path().join("shop.sqlite3");
    let outbox = world.path().join("outbox.jsonl");
    Shop::create_database(&db)?;
    let rates = Server::start(
        "exchange-rate service",
        http::rates_router(),
        tracing::Dispatch::none(),
    )?;
    let shop = |dispatch| -> anyhow::Result<Server> {
        Server::start(
            "shop",
            http::router(Shop::open(&db, &rates.url(), &outbox)?),
            dispatch,
        )
    };
    // The demo's recording setup: customers' emails replaced by keyed fingerprints.
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store.clone())
        .max_queued_bytes((o.max_queued_mib * mib) as usize)
        .fingerprint_key(FingerprintKey::new(
            b"the soak's key; use a secret manager",
        )?)
        .detect(Detector::Email)
        .build()?;
    let off = shop(tracing::Dispatch::new(tracing_subscriber::registry()))?;
    let on = shop(tracing::Dispatch::new(
        tracing_subscriber::registry().with(layer),
    ))?;
    let rss_at_start = peak_rss_mib();

    let total = Duration::from_secs(o.secs);
    let outage_from = total.saturating_sub(Duration::from_secs(o.outage_secs)) / 2;
    let outage_to = outage_from + Duration::from_secs(o.outage_secs);
    println!(
        "soak: {} s at {} requests/s ({} in flight at most), S3 down from {:.0} s to {:.0} s; phases alternate every {} ms",
        o.secs,
        o.rate,
        o.concurrency,
        outage_from.as_secs_f64(),
        outage_to.as_secs_f64(),
        SLICE.as_millis()
    );
    let load = Load::new(o, off.url(), on.url());
    let started = Instant::now();
    let results = std::thread::scope(|scope| -> anyhow::Result<Vec<(Phase, Duration)>> {
        let driver = scope.spawn(|| load.drive(started, total));
        // The outage, from this thread, at its times.
        sleep_until(started + outage_from);
        s3.stop();
        load.outage.store(1, Ordering::SeqCst);
        sleep_until(started + outage_to);
        s3.restart();
        load.outage.store(0, Ordering::SeqCst);
        driver
            .join()
            .map_err(|_| anyhow::anyhow!("the load thread panicked"))?
    })?;
    off.stop()?;
    on.stop()?;
    let sent_on = results.iter().filter(|(p, _)| *p != Phase::Off).count() as u64;

    // Recovery: everything the layer queued reaches the store, the spool empties.
    let recovering = Instant::now();
    let flushed = guard.flush(Duration::from_secs(120));
    let drained = store.drain(Duration::from_secs(300));
    let recovery = recovering.elapsed();
    let stats = guard.stats().snapshot();
    // A listing through the store: with packs, it reads one index object per pack and
    // category-day, not one object per recording.
    let listed = store
        .list(&Query::all())
        .context("list the recordings in the bucket")?;
    let unreadable = listed.iter().filter(|e| e.is_err()).count();
    anyhow::ensure!(
        unreadable == 0,
        "{unreadable} entries of the bucket's listing did not read"
    );
    let delivered = listed.len() as u64;
    let peak = peak_rss_mib();

    print_latencies(&results);
    let c = |name| counter(&stats, name);
    let layer_drops = stats.dropped + stats.over_queued_bytes + stats.failed + stats.oversize;
    let made = stats.recorded + layer_drops;
    println!("recordings: {made} made ({sent_on} requests to the recorded shop)");
    println!(
        "  layer: {} handed to the store; dropped: {} queue full, {} over max_queued_bytes, {} oversize, {} store errors",
        stats.recorded, stats.dropped, stats.over_queued_bytes, stats.oversize, stats.failed
    );
    println!(
        "  S3: {} uploaded, {} spooled during the outage ({} because the upload queue was over its bytes), {} dropped (spool full); peak queued bytes {:.1} MiB (layer) and {:.1} MiB (S3)",
        c("s3_uploaded"),
        c("s3_spooled"),
        c("s3_queue_over_bytes"),
        c("s3_dropped_over_cap"),
        stats.peak_queued_bytes as f64 / mib as f64,
        c("s3_peak_queued_bytes") as f64 / mib as f64,
    );
    println!(
        "  delivered after recovery: {delivered} in the bucket ({:.1} s to flush and drain)",
        recovery.as_secs_f64()
    );
    let bound = 2 * o.max_queued_mib + o.slack_mib;
    println!(
        "peak RSS {peak} MiB (at the start of the load {rss_at_start} MiB); bound {bound} MiB = 2 × {} MiB queued + {} MiB slack",
        o.max_queued_mib, o.slack_mib
    );
    let panics = PANICS.load(Ordering::SeqCst);
    println!("panics: {panics}");

    let mut failures = Vec::new();
    let mut check = |ok: bool, what: String| {
        if !ok {
            failures.push(what);
        }
    };
    check(
        flushed && drained,
        format!("recovery did not finish (flushed {flushed}, drained {drained})"),
    );
    check(
        made == sent_on,
        format!(
            "the layer accounted for {made} recordings but the recorded shop served {sent_on} requests"
        ),
    );
    let drops = layer_drops + c("s3_dropped_over_cap");
    check(
        made == delivered + drops,
        format!("made {made} != delivered {delivered} + counted drops {drops}"),
    );
    check(
        c("s3_uploaded") == delivered,
        format!(
            "S3 counted {} uploads, the bucket holds {delivered}",
            c("s3_uploaded")
        ),
    );
    check(
        peak <= bound,
        format!("peak RSS {peak} MiB over the bound {bound} MiB"),
    );
    check(panics == 0, format!("{panics} panics"));
    check(
        results.iter().any(|(p, _)| *p == Phase::OnOutage) && c("s3_spooled") > 0,
        "the outage window saw no recorded request or nothing was spooled".to_owned(),
    );
    drop(guard);
    Ok(failures)
}

/// The paced load: `rate` requests per second over `concurrency` workers, each sending
/// to the shop of the current phase.
struct Load {
    rate: u64,
    concurrency: usize,
    off_url: String,
    on_url: String,
    outage: AtomicU64,
}

impl Load {
    fn new(o: &Options, off_url: String, on_url: String) -> Load {
        Load {
            rate: o.rate,
            concurrency: o.concurrency,
            off_url,
            on_url,
            outage: AtomicU64::new(0),
        }
    }

    fn phase(&self, elapsed: Duration) -> Phase {
        let slice = elapsed.as_millis() / SLICE.as_millis();
        match (
            slice.is_multiple_of(2),
            self.outage.load(Ordering::SeqCst) == 1,
        ) {
            (true, _) => Phase::Off,
            (false, false) => Phase::On,
            (false, true) => Phase::OnOutage,
        }
    }

    fn drive(&self, started: Instant, total: Duration) -> anyhow::Result<Vec<(Phase, Duration)>> {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let client = reqwest::Client::builder()
            .timeout(Duration::from_secs(30))
            .build()?;
        let plan = Arc::new(traffic::plan(10_000, 7));
        let period = Duration::from_secs_f64(self.concurrency as f64 / self.rate as f64);
        runtime.block_on(async {
            let workers = (0..self.concurrency).map(|w| {
                let (client, plan) = (client.clone(), plan.clone());
                async move {
                    let mut done = Vec::new();
                    // Workers start spread over one period, then keep their own pace.
                    let mut next = started + period.mul_f64(w as f64 / self.concurrency as f64);
                    let mut i = w;
                    loop {
                        tokio::time::sleep_until(next.into()).await;
                        next += period;
                        let now = started.elapsed();
                        if now >= total {
                            break;
                        }
                        let phase = self.phase(now);
                        let url = if phase == Phase::Off {
                            &self.off_url
                        } else {
                            &self.on_url
                        };
                        let call: &Call = &plan[i % plan.len()];
                        i += self.concurrency;
                        let sent = traffic::send(&client, url, call).await?;
                        done.push((phase, sent.latency));
                    }
                    anyhow::Ok(done)
                }
            });
            let mut all = Vec::new();
            for done in futures::future::join_all(workers).await {
                all.extend(done?);
            }
            Ok(all)
        })
    }
}

fn print_latencies(results: &[(Phase, Duration)]) {
    let by_phase = |phase| {
        let mut l: Vec<Duration> = results
            .iter()
            .filter(|(p, _)| *p == phase)
            .map(|(_, d)| *d)
            .collect();
        l.sort_unstable();
        l
    };
    let at = |l: &[Duration], p: f64| -> Duration {
        let rank = ((p * l.len() as f64).ceil() as usize).clamp(1, l.len().max(1));
        l.get(rank - 1).copied().unwrap_or_default()
    };
    let off = by_phase(Phase::Off);
    let p99_off = at(&off, 0.99);
    println!(
        "{:<28} {:>8} {:>9} {:>9} {:>9} {:>11}",
        "request latency", "requests", "p50", "p99", "p999", "p99 / off"
    );
    for (name, phase) in [
        ("recording off", Phase::Off),
        ("recording on", Phase::On),
        ("recording on, S3 down", Phase::OnOutage),
    ] {
        let l = by_phase(phase);
        let p99 = at(&l, 0.99);
        println!(
            "{name:<28} {:>8} {:>9} {:>9} {:>9} {:>10.2}×",
            l.len(),
            micros(at(&l, 0.50)),
            micros(p99),
            micros(at(&l, 0.999)),
            p99.as_secs_f64() / p99_off.as_secs_f64().max(1e-9),
        );
    }
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}

fn counter(stats: &StatsSnapshot, name: &str) -> u64 {
    stats
        .store
        .iter()
        .find(|(n, _)| *n == name)
        .map_or(0, |(_, v)| *v)
}

fn sleep_until(at: Instant) {
    let now = Instant::now();
    if at > now {
        std::thread::sleep(at - now);
    }
}

/// The process's peak resident set size (`VmHWM`), in MiB; 0 where /proc is missing.
fn peak_rss_mib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmHWM:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024)
}
