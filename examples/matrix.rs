//! A scenario matrix over the demo shop's recorded quotes: every quote in
//! `tests/recordings/` × three rounding modes × two sources of currency rates, replayed
//! with no database and no network, compared with what production answered, and
//! reported per combination.
//!
//! ```sh
//! cargo run --example matrix --features matrix
//! PLAYBACK_SHARD=2/4 cargo run --example matrix --features matrix   # one shard of four
//! ```
//!
//! Sharded (`PLAYBACK_SHARD=k/n`, or `JOB_COMPLETION_INDEX` with `PLAYBACK_SHARDS=n`), it
//! runs only its shard's walks and writes its partial report to
//! `target/playback/matrix-<k>-of-<n>.json` (or `PLAYBACK_MATRIX_REPORT`);
//! `playback report merge` joins the shards' reports into the report of one run. See
//! `examples/matrix/k8s-job.yaml` and `examples/matrix/github-actions.yml`.
//!
//! The two axes reach the code under test in the two ways a matrix offers:
//!
//! - **rounding** (`nearest`, `floor`, `ceil`) through your closure: the walk's
//!   replayer provides a shop that rounds that way (`Shop::detached_with`);
//! - **rates** (`recorded`, `reference`) through a replay override by alias: with
//!   `reference`, the input `shop::exchange_rate` answers from a reference table
//!   instead of the recorded rate.
//!
//! It prints which combinations change results, the per-axis breakdown, writes the
//! HTML report (with its axis table) to `target/playback/matrix.html` and the trace to
//! `target/playback/matrix.jsonl`, and shows how to re-run one walk.

#[path = "demo/shop.rs"]
#[expect(
    dead_code,
    reason = "the shop's serving half (database, HTTP client) is not needed to replay"
)]
mod shop;

use playback::matrix::{RecordingMatrix, Setup, action, shard_from_env};
use playback::{DirStore, Query, Store};

/// The reference rates (per euro) the `reference` source answers with.
const REFERENCE: [(&str, f64); 4] = [("GBP", 0.85), ("JPY", 163.0), ("SEK", 11.5), ("USD", 1.08)];

fn main() -> anyhow::Result<()> {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/recordings");
    let store = DirStore::new(dir)?;
    let quotes = store
        .find(&Query::category("quote"))?
        .into_iter()
        .collect::<Result<Vec<_>, _>>()?;

    let matrix = RecordingMatrix::over(quotes)
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
                    for (currency, rate) in REFERENCE {
                        let key = serde_json::json!({ "currency": currency });
                        setup.override_input_for(
                            "shop::exchange_rate",
                            key,
                            serde_json::json!({ "Ok": rate }),
                        );
                    }
                }
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
        .shard(shard_from_env()?)
        .trace("target/playback/matrix.jsonl");

    let result = matrix.run()?;
    println!(
        "{} walks ({} quotes x {} combinations) in {:.0?}: {} change the result",
        result.walks,
        result.walks / result.combinations().len().max(1),
        result.combinations().len(),
        result.elapsed,
        result.errors
    );
    println!("\nwhich combinations change results:");
    for (options, counts) in result.combinations() {
        let label: Vec<String> = options
            .iter()
            .map(|o| format!("{}={}", o.axis, o.value))
            .collect();
        let verdict = if counts.failing() == 0 {
            "same as production"
        } else {
            "CHANGED"
        };
        println!(
            "  {:<42} {} of {} quotes differ  {verdict}",
            label.join(", "),
            counts.failing(),
            counts.total
        );
    }
    println!("\nper axis:");
    for axis in result.report.axes() {
        println!("  {}", axis.sentence());
    }
    let json = std::env::var("PLAYBACK_MATRIX_REPORT").unwrap_or_else(|_| match shard_from_env() {
        Ok(Some(s)) => format!("target/playback/matrix-{}-of-{}.json", s.index(), s.total()),
        _ => "target/playback/matrix.json".to_owned(),
    });
    result.report.write_html("target/playback/matrix.html")?;
    result.report.write_json(&json)?;
    println!("\nwrote target/playback/matrix.html (axis table) and {json}");
    if let Some(id) = result.failed.first() {
        println!(
            "re-run one walk: playback matrix replay --trace target/playback/matrix.jsonl --id {id}"
        );
    }
    Ok(())
}
