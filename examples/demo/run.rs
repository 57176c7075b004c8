//! The demo, step by step: serve the shop, send it traffic without and with recording,
//! take its database away, replay every recording on the same code and on a candidate
//! change, and report.
//!
//! Everything is reached through [`run`], which both the example's `main` and the
//! end-to-end test (`tests/e2e/demo.rs`) call.

#[path = "http.rs"]
mod http;
#[path = "recordings.rs"]
mod recordings;
#[path = "server.rs"]
mod server;
#[path = "shop.rs"]
pub(crate) mod shop;
#[path = "traffic.rs"]
mod traffic;

use std::collections::BTreeMap;
use std::io::Write;
use std::path::PathBuf;
use std::sync::atomic::Ordering;
use std::time::{Duration, Instant};

use anyhow::Context as _;
use playback::redact::Detector;
use playback::{
    Equalizer, FingerprintKey, PlaybackLayer, Query, Replayer, Report, StatsSnapshot, Status,
    Store, SummaryOptions,
};
use tracing_subscriber::prelude::*;

pub(crate) use self::recordings::StoreChoice;
use self::server::Server;
use self::shop::Shop;
use self::traffic::Sent;

/// The only JSON path the candidate change may touch.
pub(crate) const CHANGED_PATH: &str = "/result/Ok/total";

/// What the demo does.
#[derive(Debug, Clone)]
pub(crate) struct Options {
    /// How many requests each traffic run sends.
    pub(crate) requests: usize,
    /// How many requests are in flight at once.
    pub(crate) concurrency: usize,
    /// The traffic's seed: the same seed sends the same requests.
    pub(crate) seed: u64,
    pub(crate) store: StoreChoice,
    /// Keep the recordings after the run.
    pub(crate) keep: bool,
    /// Where the HTML report goes.
    pub(crate) report: PathBuf,
}

/// Client-measured latency of one traffic run.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Latency {
    pub(crate) p50: Duration,
    pub(crate) p99: Duration,
}

/// What the demo found.
#[derive(Debug)]
pub(crate) struct Outcome {
    /// What the client saw during the recorded run, in plan order.
    pub(crate) sent: Vec<Sent>,
    /// The recordings the store held after the recorded run, by category.
    pub(crate) recordings: BTreeMap<String, usize>,
    /// The layer's counters after the recorded run.
    pub(crate) stats: StatsSnapshot,
    /// Recordings in the store that hold a customer's email address (redaction: none).
    pub(crate) emails_in_store: usize,
    /// Whether the database and the outbox were gone before the replays.
    pub(crate) dependencies_removed: bool,
    /// Every recording replayed on the same code.
    pub(crate) same_code: Report,
    /// Every recording replayed on the candidate change.
    pub(crate) candidate: Report,
    /// The HTML report of the candidate's replay.
    pub(crate) report: PathBuf,
    pub(crate) without_recording: Latency,
    pub(crate) with_recording: Latency,
}

impl Outcome {
    /// The number of recordings.
    pub(crate) fn recorded(&self) -> usize {
        self.recordings.values().sum()
    }

    /// Checks what the demo promises: no recording lost, the same code replays all
    /// Equal, the candidate differs only in `quote` and only at [`CHANGED_PATH`], the
    /// replays ran without the shop's dependencies, and there is a report.
    pub(crate) fn check(&self) -> Result<(), String> {
        let mut problems = Vec::new();
        let sent = self.sent.len();
        if self.recorded() != sent || self.stats.recorded != sent as u64 {
            problems.push(format!(
                "{sent} requests, but {} recordings in the store and {} written by the layer",
                self.recorded(),
                self.stats.recorded
            ));
        }
        if self.emails_in_store > 0 {
            problems.push(format!(
                "{} recordings hold a customer's email address",
                self.emails_in_store
            ));
        }
        if !self.dependencies_removed {
            problems.push("the shop's database was still there during the replays".to_owned());
        }
        let same = self.same_code.counts();
        if same.equal != same.total || same.total != self.recorded() {
            problems.push(format!(
                "the same code replayed {} of {} recordings Equal",
                same.equal,
                self.recorded()
            ));
        }
        let mut changed = 0;
        for c in &self.candidate.comparisons {
            match (c.category.as_str(), c.status) {
                (_, Status::Equal) => {}
                ("quote", Status::Different)
                    if c.differences.iter().all(|d| d.path == CHANGED_PATH) =>
                {
                    changed += 1
                }
                (category, status) => problems.push(format!(
                    "the candidate made recording {} ({category}) {}",
                    c.recording_id,
                    status.as_str()
                )),
            }
        }
        if changed == 0 {
            problems.push("the candidate changed no quote".to_owned());
        }
        if !self.report.is_file() {
            problems.push(format!("no report at {}", self.report.display()));
        }
        for (label, l) in [("off", self.without_recording), ("on", self.with_recording)] {
            if l.p50.is_zero() || l.p99 < l.p50 {
                problems.push(format!("implausible latency with recording {label}: {l:?}"));
            }
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("; "))
        }
    }
}

/// Runs the demo, writing what it does to `out`.
pub(crate) fn run(options: &Options, out: &mut dyn Write) -> anyhow::Result<Outcome> {
    let started = Instant::now();
    let plan = traffic::plan(options.requests, options.seed);
    // Opened first, so a store that cannot be used stops the demo before it starts.
    let store = options.store.open()?;
    writeln!(
        out,
        "playback demo: {} requests per run, {} in flight\n",
        plan.len(),
        options.concurrency
    )?;

    // 1. The shop's world: a database, an outbox, and an exchange-rate service.
    let world = tempfile::Builder::new()
        .prefix("playback-demo-")
        .tempdir()
        .context("failed to create a temporary directory for the shop's database")?;
    let db_path = world.path().join("shop.sqlite3");
    let outbox = world.path().join("outbox.jsonl");
    Shop::create_database(&db_path)?;
    let rates = Server::start(
        "exchange-rate service",
        http::rates_router(),
        tracing::Dispatch::none(),
    )?;
    let shop = |dispatch| -> anyhow::Result<Server> {
        let shop = Shop::open(&db_path, &rates.url(), &outbox)?;
        Server::start("shop", http::router(shop), dispatch)
    };
    writeln!(
        out,
        "1. the shop (axum), its database (SQLite) and its exchange-rate service (HTTP)"
    )?;
    writeln!(out, "     database:              {}", db_path.display())?;
    writeln!(out, "     exchange-rate service: {}", rates.url())?;

    // 2. The traffic: once without recording (the baseline for step 7), then recorded.
    let server = shop(tracing::Dispatch::new(tracing_subscriber::registry()))?;
    let baseline = traffic::drive(&server.url(), &plan, options.concurrency)?;
    let baseline_url = server.url();
    server.stop()?;

    // The customers' emails never reach the store: the email detector replaces each one
    // with a keyed fingerprint (a real service reads its key from a secret manager, or
    // sets PLAYBACK_FINGERPRINT_KEY).
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store.clone())
        .queue_capacity(options.requests.max(1024))
        .fingerprint_key(FingerprintKey::new(
            b"the demo's key; use a secret manager",
        )?)
        .detect(Detector::Email)
        .build()?;
    let server = shop(tracing::Dispatch::new(
        tracing_subscriber::registry().with(layer),
    ))?;
    let sent = traffic::drive(&server.url(), &plan, options.concurrency)?;
    writeln!(out, "2. sent {} requests over HTTP:", sent.len())?;
    writeln!(
        out,
        "     to {baseline_url} without recording (the baseline for step 7)"
    )?;
    writeln!(out, "     to {} with recording:", server.url())?;
    server.stop()?;
    for (route, statuses) in traffic::by_route(&sent) {
        let statuses: Vec<String> = statuses.iter().map(|(s, n)| format!("{s}: {n}")).collect();
        writeln!(out, "       {route:<20} {}", statuses.join(", "))?;
    }

    // 3. The recordings.
    anyhow::ensure!(
        guard.flush(Duration::from_secs(30)) && store.flush(Duration::from_secs(30)),
        "the recordings were not all stored within 30 s"
    );
    let stats = guard.stats().snapshot();
    drop(guard);
    let recordings = recordings::count_by_category(store.as_ref())?;
    let recorded: usize = recordings.values().sum();
    writeln!(
        out,
        "3. recorded {recorded} operations into {}",
        options.store.describe()
    )?;
    let by_category: Vec<String> = recordings
        .iter()
        .map(|(c, n)| format!("{c}: {n}"))
        .collect();
    writeln!(out, "     {}", by_category.join(", "))?;
    writeln!(
        out,
        "     layer: {} recorded, {} sampled out, {} dropped, {} failed",
        stats.recorded, stats.sampled_out, stats.dropped, stats.failed
    )?;
    let emails_in_store = recordings::holding(store.as_ref(), &traffic::CUSTOMERS)?;
    writeln!(
        out,
        "     customers' emails: redacted by the layer ({emails_in_store} recordings hold one)"
    )?;

    // 4. Take the shop's world away: replay needs none of it.
    rates.stop()?;
    let world_path = world.path().to_owned();
    world
        .close()
        .context("failed to delete the shop's database")?;
    let dependencies_removed = !db_path.exists() && !outbox.exists() && !world_path.exists();
    writeln!(out, "4. stopped the shop and the exchange-rate service")?;
    writeln!(
        out,
        "     deleted {} (the database and the outbox)",
        world_path.display()
    )?;

    // 5. Replay every recording on the same code, then on the candidate change.
    let replayer = shop::replayer();
    let same_code = replay_and_compare(store.as_ref(), &replayer)?;
    let candidate = {
        let _switch = CandidatePricing::on();
        replay_and_compare(store.as_ref(), &replayer)?
    };
    writeln!(
        out,
        "5. replayed the {recorded} recordings, with no database and no network:"
    )?;
    writeln!(out, "     on the same code:        {}", tally(&same_code))?;
    writeln!(out, "     on the candidate change: {}", tally(&candidate))?;
    writeln!(
        out,
        "       (the candidate truncates fractional cents when converting currencies, instead of rounding them)"
    )?;

    // 6. What changed, and the report.
    writeln!(
        out,
        "6. what the candidate changed (in CI, a difference fails the run: here it is the point)"
    )?;
    for line in changes(&candidate) {
        writeln!(out, "     {line}")?;
    }
    writeln!(out)?;
    candidate.write_summary(
        out,
        &SummaryOptions::new().max_recordings(3).max_differences(3),
    )?;
    candidate
        .write_html(&options.report)
        .with_context(|| format!("failed to write {}", options.report.display()))?;
    let report = std::path::absolute(&options.report)?;
    writeln!(out, "\n   HTML report: {}", report.display())?;

    // 7. The overhead, measured in step 2 on the same traffic.
    let without_recording = latency(&baseline);
    let with_recording = latency(&sent);
    writeln!(
        out,
        "7. recording overhead: request latency measured by the client, {} requests each",
        sent.len()
    )?;
    writeln!(out, "     {:<16} {:>10} {:>10}", "", "p50", "p99")?;
    for (label, l) in [
        ("recording off", without_recording),
        ("recording on", with_recording),
    ] {
        writeln!(
            out,
            "     {label:<16} {:>10} {:>10}",
            micros(l.p50),
            micros(l.p99)
        )?;
    }

    if options.keep {
        writeln!(
            out,
            "\ndone in {:.1} s; the recordings stay in {}",
            started.elapsed().as_secs_f64(),
            options.store.describe()
        )?;
    } else {
        options.store.forget(store.as_ref())?;
        writeln!(
            out,
            "\ndone in {:.1} s; deleted the recordings (pass --keep to look at them)",
            started.elapsed().as_secs_f64()
        )?;
    }
    Ok(Outcome {
        sent,
        recordings,
        stats,
        emails_in_store,
        dependencies_removed,
        same_code,
        candidate,
        report,
        without_recording,
        with_recording,
    })
}

/// Replays every recording in `store` and compares it with what was recorded.
fn replay_and_compare(store: &dyn Store, replayer: &Replayer) -> anyhow::Result<Report> {
    let recordings = store.find(&Query::all())?;
    let replayer = replayer.clone();
    Ok(Equalizer::new(recordings).replayer(replayer).run())
}

/// `"180 equal, 20 different (quote: 20)"`.
fn tally(report: &Report) -> String {
    let counts = report.counts();
    let categories = report.categories();
    let mut parts = Vec::new();
    for status in Status::ALL {
        let n = counts.get(status);
        if n == 0 {
            continue;
        }
        let mut part = format!("{n} {}", status.as_str());
        if status != Status::Equal {
            let by_category: Vec<String> = categories
                .iter()
                .filter(|c| c.counts.get(status) > 0)
                .map(|c| format!("{}: {}", c.name, c.counts.get(status)))
                .collect();
            part.push_str(&format!(" ({})", by_category.join(", ")));
        }
        parts.push(part);
    }
    parts.join(", ")
}

/// The recordings that changed at one path of one category.
#[derive(Default)]
struct Changed {
    recordings: usize,
    /// For quotes: how many were in each currency.
    currencies: BTreeMap<String, usize>,
}

/// One line per category and changed path, with the currencies of changed quotes.
fn changes(report: &Report) -> Vec<String> {
    let mut by_path: BTreeMap<(&str, &str), Changed> = BTreeMap::new();
    for c in report
        .comparisons
        .iter()
        .filter(|c| c.status == Status::Different)
    {
        for d in &c.differences {
            let changed = by_path.entry((&c.category, &d.path)).or_default();
            changed.recordings += 1;
            let currency = c
                .recorded
                .as_ref()
                .and_then(|v| v.pointer("/result/Ok/currency"));
            if let Some(currency) = currency.and_then(|v| v.as_str()) {
                *changed.currencies.entry(currency.to_owned()).or_default() += 1;
            }
        }
    }
    if by_path.is_empty() {
        return vec!["nothing".to_owned()];
    }
    let unchanged: Vec<String> = report
        .categories()
        .iter()
        .filter(|c| c.counts.equal == c.counts.total)
        .map(|c| c.name.clone())
        .collect();
    let mut lines: Vec<String> = by_path
        .into_iter()
        .map(|((category, path), changed)| {
            let mut line = format!("{category} {path}: {} recordings", changed.recordings);
            if !changed.currencies.is_empty() {
                let list: Vec<String> = changed
                    .currencies
                    .iter()
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect();
                line.push_str(&format!(" (in {})", list.join(", ")));
            }
            line
        })
        .collect();
    if !unchanged.is_empty() {
        lines.push(format!("unchanged: {}", unchanged.join(", ")));
    }
    lines
}

/// Switches the candidate pricing on for as long as it lives.
struct CandidatePricing;

impl CandidatePricing {
    fn on() -> Self {
        shop::CANDIDATE_PRICING.store(true, Ordering::SeqCst);
        CandidatePricing
    }
}

impl Drop for CandidatePricing {
    fn drop(&mut self) {
        shop::CANDIDATE_PRICING.store(false, Ordering::SeqCst);
    }
}

fn latency(sent: &[Sent]) -> Latency {
    let (p50, p99) = traffic::percentiles(sent);
    Latency { p50, p99 }
}

fn micros(d: Duration) -> String {
    format!("{} µs", d.as_micros())
}
