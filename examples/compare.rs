//! Comparing before you push: record a few operations, change the code, replay every
//! recording against the change and report what differs, by category and JSON path.
//!
//! ```text
//! cargo run --example compare
//! ```
//!
//! It records `price` operations into a temporary `DirStore`, then flips a "candidate"
//! switch (a discount that now rounds down) and runs the `Equalizer` with its defaults:
//! automatic replay, the result plus every output's arguments, and a JSON structural
//! diff with one ignore rule. It prints the summary, writes
//! `target/playback/compare-report.html`, and exits with the report's exit code
//! (non-zero, since the candidate changes behaviour).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use playback::{DirStore, Equalizer, JsonDiff, PlaybackLayer, Progress, Query, Store};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

static CANDIDATE: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Serialize, Deserialize)]
struct Quote {
    sku: String,
    cents: u64,
    quoted_at: u64,
}

/// The operation: registered for automatic replay by the attribute.
#[playback::instrument(playback = "operation")]
fn price(sku: String, qty: u64) -> Result<Quote, String> {
    let unit = unit_price(&sku)?;
    let discount = if CANDIDATE.load(Ordering::Relaxed) {
        (unit * qty * 7) / 100 // candidate: rounds down
    } else {
        (unit * qty * 7 + 50) / 100 // current: rounds to nearest
    };
    let cents = unit * qty - discount;
    audit(&sku, cents);
    let quoted_at = playback::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(Quote {
        sku,
        cents,
        quoted_at,
    })
}

/// An input: a database read in a real service.
#[playback::instrument(playback = "input")]
fn unit_price(sku: &str) -> Result<u64, String> {
    match sku {
        "apple" => Ok(35),
        "pear" => Ok(49),
        "plum" => Ok(17),
        other => Err(format!("unknown sku {other}")),
    }
}

/// An output: an effect whose arguments the comparison looks at.
#[playback::instrument(playback = "output")]
fn audit(sku: &str, cents: u64) -> bool {
    let _ = (sku, cents);
    true
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = DirStore::new(dir.path())?;

    // 1. Record.
    let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        for (sku, qty) in [
            ("apple", 3),
            ("pear", 1),
            ("plum", 9),
            ("kiwi", 1),
            ("apple", 10),
        ] {
            let _ = price(sku.to_owned(), qty);
        }
    });
    guard.flush(Duration::from_secs(5));
    let stats = guard.stats().snapshot();
    println!(
        "recorded {} operations into {}",
        stats.recorded,
        dir.path().display()
    );

    // 2. Change the code, then replay and compare everything.
    CANDIDATE.store(true, Ordering::Relaxed);
    let report = Equalizer::new(store.find(&Query::category("price"))?)
        .comparator(JsonDiff::new().ignore("/result/Ok/quoted_at"))
        .progress(Progress::Never)
        .run();
    report.print_summary();

    std::fs::create_dir_all("target/playback")?;
    report.write_html("target/playback/compare-report.html")?;
    println!("HTML report: target/playback/compare-report.html");
    std::process::exit(report.exit_code());
}
