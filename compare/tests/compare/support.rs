//! Recordings and players shared by the tests.

use std::time::Duration;

use playback_replay::{Output, Playback, Side};
use playback_store::{OpResult, Recording, RecordingId};
use serde_json::{Value, json};
use time::macros::datetime;

/// A recording whose metadata says what the test player should do:
/// `recorded` and `replayed` are the operation results of each side; `player` may be
/// `"err"` (the player returns an error) or `"panic"`.
pub(crate) fn rec(category: &str, id: &str, recorded: Value, replayed: Value) -> Recording {
    Recording::builder(category)
        .recorded_at(datetime!(2026-01-02 03:04:05 UTC))
        .id(RecordingId::parse(id).unwrap())
        .operation(format!("shop::{category}"))
        .duration(Duration::from_micros(800))
        .result(OpResult::Returned {
            value: serde_json::value::to_raw_value(&recorded).unwrap(),
            error: false,
        })
        .metadata("recorded", recorded)
        .metadata("replayed", replayed)
        .build()
}

/// Like [`rec`], with a player instruction.
pub(crate) fn rec_with(category: &str, id: &str, player: &str) -> Recording {
    let mut r = rec(category, id, json!({"Ok": 1}), json!({"Ok": 1}));
    r.metadata.insert("player".into(), player.into());
    r
}

/// A side with an output whose args carry the result, so paths exist under both
/// `/result` and `/outputs`.
pub(crate) fn side(result: &Value, micros: u64) -> Side {
    let out = Output::new(
        "shop::save",
        1,
        json!({"saved": result}),
        json!({"Ok": null}),
        false,
    );
    let error = result.get("Err").is_some();
    Side::new(
        result.clone(),
        error,
        vec![out],
        Duration::from_micros(micros),
    )
}

#[derive(Debug, thiserror::Error)]
#[error("input `shop::load_cart` #1 was not recorded with these arguments")]
pub(crate) struct Mismatch;

/// The test player: builds the playback from the recording's metadata, with fixed
/// durations so reports are deterministic.
pub(crate) fn player(rec: &Recording) -> Result<Playback, Mismatch> {
    match rec.metadata.get("player").and_then(Value::as_str) {
        Some("err") => return Err(Mismatch),
        Some("panic") => panic!("replay of {} blew up", rec.id),
        _ => {}
    }
    let get = |key: &str| rec.metadata.get(key).cloned().unwrap_or(Value::Null);
    let recorded = side(&get("recorded"), 800);
    let replayed = side(&get("replayed"), 90);
    Ok(Playback::new(
        rec.id.clone(),
        rec.category.clone(),
        recorded,
        replayed,
        vec![],
    ))
}

/// A ULID-shaped id ending in `n`, so ids sort like `n`.
pub(crate) fn id(n: usize) -> String {
    format!("01JGZ000000000000000{n:06}")
}
