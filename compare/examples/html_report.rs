//! Writes a sample comparison report (HTML, JSON and JUnit) from a small shop: a few
//! checkout, refund and search recordings replayed by an in-process player, with one
//! real regression, one fix, one failed replay, a field that is random per run, a
//! checkout cancelled while it was recorded (skipped) and a receipt that could not be
//! recorded (not comparable).
//!
//! Used by `.ci/html-check.sh`, which renders the HTML in headless Chromium.
//!
//! ```text
//! cargo run -p playback-compare --example html_report -- target/playback/report.html
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use playback_compare::{JsonDiff, Progress, Studio, SummaryOptions, Tuning};
use playback_replay::{Output, Playback, Side};
use playback_store::{OpResult, Outcome, Recording, RecordingId};
use serde_json::{Value, json};

/// A recorded checkout: the order total and lines, and the order saved as an output.
fn order(lines: &[(&str, u32, f64)]) -> Value {
    let total: f64 = lines.iter().map(|(_, q, p)| f64::from(*q) * p).sum();
    let lines: Vec<Value> = lines
        .iter()
        .map(|(sku, qty, price)| json!({"sku": sku, "qty": qty, "price": price}))
        .collect();
    json!({"Ok": {"order_id": 4711, "currency": "EUR", "total": (total * 100.0).round() / 100.0, "lines": lines}})
}

fn recording(category: &str, n: u32, recorded: Value, replayed: Value) -> Recording {
    let id = RecordingId::parse(&format!("{category}-{n:02}"))
        .unwrap_or_else(|_| RecordingId::generate());
    Recording::builder(category)
        .id(id)
        .operation(format!("shop::{category}"))
        .duration(Duration::from_micros(1200 + u64::from(n) * 37))
        .result(OpResult::Returned {
            value: serde_json::value::to_raw_value(&recorded)
                .unwrap_or_else(|_| Default::default()),
            error: recorded.get("Err").is_some(),
        })
        .metadata("recorded", recorded)
        .metadata("replayed", replayed)
        .build()
}

fn recordings() -> Vec<Recording> {
    let basket = [("apple", 3, 0.5), ("bread", 1, 2.4)];
    let mut recs = vec![
        recording("checkout", 1, order(&basket), order(&basket)),
        recording(
            "checkout",
            2,
            order(&[("milk", 2, 1.1)]),
            order(&[("milk", 2, 1.1)]),
        ),
        // The regression: bread now costs 2.6.
        recording(
            "checkout",
            3,
            order(&basket),
            order(&[("apple", 3, 0.5), ("bread", 1, 2.6)]),
        ),
        recording("checkout", 4, order(&basket), json!("mismatch")),
        recording(
            "refund",
            1,
            json!({"Err": "refund window closed"}),
            json!({"Ok": {"refunded": 2.4}}),
        ),
        recording(
            "refund",
            2,
            json!({"Ok": {"refunded": 1.1}}),
            json!({"Ok": {"refunded": 1.1}}),
        ),
        // The receipt's `Serialize` failed in production: not comparable, not different.
        recording(
            "refund",
            3,
            json!({"Ok": {"refunded": 0.5, "receipt": playback_store::unrecordable("`Receipt` is not Serialize")}}),
            json!({"Ok": {"refunded": 0.5, "receipt": {"pdf": "JVBERi0xLjc="}}}),
        ),
    ];
    // The client hung up while this checkout was being recorded: it is skipped.
    let mut cancelled = recording("checkout", 5, json!(null), order(&basket));
    cancelled.outcome = Outcome::Incomplete;
    recs.push(cancelled);
    for n in 1..=3 {
        let hits = json!({"Ok": {"hits": ["apple", "apricot", "avocado"], "took_ms": 3}});
        // The new index returns the same hits in another order: equal, as `hits` is unordered.
        let reordered = json!({"Ok": {"hits": ["avocado", "apple", "apricot"], "took_ms": 3}});
        recs.push(recording(
            "search",
            n,
            hits.clone(),
            if n == 2 { reordered } else { hits },
        ));
    }
    recs
}

fn side(result: Value, outputs: Vec<Output>, micros: u64) -> Side {
    let error = result.get("Err").is_some();
    Side::new(result, error, outputs, Duration::from_micros(micros))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let path = std::env::args()
        .nth(1)
        .unwrap_or_else(|| "target/playback/report.html".to_owned());
    let runs = AtomicU64::new(0);
    // An in-process player standing in for automatic replay: it takes the replayed
    // result from the recording and adds a request id that is random per run.
    let player = move |rec: &Recording| -> Result<Playback, std::io::Error> {
        let recorded = rec.metadata.get("recorded").cloned().unwrap_or(Value::Null);
        let replayed = rec.metadata.get("replayed").cloned().unwrap_or(Value::Null);
        if replayed == "mismatch" {
            return Err(std::io::Error::other(
                "input `shop::load_price` #2 was not recorded with the arguments {\"sku\":\"bread\"}: \
                 the code asks for a price the recording never saw",
            ));
        }
        let run = runs.fetch_add(1, Ordering::Relaxed);
        let save = |result: &Value, request: String| {
            let args = json!({"order": result.get("Ok").cloned().unwrap_or(Value::Null), "request_id": request});
            vec![Output::new(
                "shop::save_order",
                1,
                args,
                json!({"Ok": null}),
                false,
            )]
        };
        let recorded_side = side(
            recorded.clone(),
            save(&recorded, "req-7f3a".to_owned()),
            1200,
        );
        let replayed_side = side(
            replayed.clone(),
            save(&replayed, format!("req-{:04x}", run * 7919 % 65536)),
            310,
        );
        Ok(Playback::new(
            rec.id.clone(),
            rec.category.clone(),
            recorded_side,
            replayed_side,
            vec![],
        ))
    };
    let report = Studio::from_recordings(recordings())
        .player(player)
        .learn_noise(2)
        .defaults(Tuning::new().comparator(JsonDiff::new().float_tolerance(1e-9)))
        .tune(
            "refund",
            Tuning::new().comparator(JsonDiff::new().detect_fixed(true)),
        )
        .tune(
            "search",
            Tuning::new().comparator(JsonDiff::new().unordered("/**/hits")),
        )
        .progress(Progress::Never)
        .run();
    report.write_html(&path)?;
    let base = path.strip_suffix(".html").unwrap_or(&path);
    report.write_json(format!("{base}.json"))?;
    report.write_junit(format!("{base}.junit.xml"))?;
    print!(
        "{}",
        report.summary(&SummaryOptions::new().max_recordings(3))
    );
    println!("wrote {path}");
    Ok(())
}
