//! A small operation to replay: a quote whose rounding mode is a setting.

use playback_replay::Replayer;
use playback_store::{Interception, Recording, RecordingId};
use serde_json::value::{RawValue, to_raw_value};
use serde_json::{Value, json};

/// The unit price every recording read.
pub(crate) const PRICE: u64 = 15;

fn raw(v: Value) -> Box<RawValue> {
    to_raw_value(&v).unwrap()
}

/// The operation: reads the unit price (an input) and the rounding mode (a setting
/// recorded by nothing: the matrix overrides it), writes the total (an output).
pub(crate) fn quote(qty: u64) {
    let span = tracing::info_span!("quote", playback = "operation");
    let _entered = span.enter();
    let price: u64 = playback_layer::input("shop::price", &qty, || unreachable!("replayed"));
    let rounding: String = playback_layer::value("shop::rounding", || "nearest".to_owned());
    let gross = price * qty;
    let total = match rounding.as_str() {
        "floor" => gross / 10 * 10,
        "ceil" => gross.div_ceil(10) * 10,
        _ => gross,
    };
    playback_layer::output("shop::total", &total, || true);
}

/// A fixed recording id, the same in every process.
pub(crate) fn id(n: u64) -> RecordingId {
    RecordingId::parse(&format!("01J9ZQ4Z1W2X3Y4Z5A6B7C{n:04}")).unwrap()
}

/// Quotes of 1..=n units, recorded with the nearest rounding (total = 15 × qty).
pub(crate) fn recordings(n: u64) -> Vec<Recording> {
    (1..=n)
        .map(|qty| {
            Recording::builder("quote")
                .id(id(qty))
                .operation("shop::quote")
                .arg("qty", raw(json!(qty)))
                .interceptions(vec![
                    Interception::input("shop::price", 1, json!(qty), raw(json!(PRICE)), false),
                    Interception::output(
                        "shop::total",
                        1,
                        raw(json!(PRICE * qty)),
                        raw(json!(true)),
                        false,
                    ),
                ])
                .build()
        })
        .collect()
}

/// Replays `quote` from a recording's arguments.
pub(crate) fn replayer() -> Replayer {
    Replayer::new().register("quote", |rec| {
        quote(rec.arg("qty")?);
        Ok(())
    })
}
