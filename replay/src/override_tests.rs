//! `Replayer::override_input`: an answer replaces the recording's, and an answer that
//! does not serialize fails the replay instead of falling back to the recording.

use std::collections::HashMap;

use playback_store::{Interception, Recording};
use serde_json::json;

use crate::{ReplayError, Replayer};

fn checkout() -> u64 {
    let span = tracing::info_span!("checkout", playback = "operation");
    let _entered = span.enter();
    let percent: u64 = playback_layer::value("shop::rate_percent", || 100u64);
    playback_layer::output("mail::send", &(percent * 10), || true);
    percent
}

fn recording() -> Recording {
    let raw = |v: serde_json::Value| serde_json::value::to_raw_value(&v).unwrap();
    Recording::builder("checkout")
        .interceptions(vec![
            Interception::input(
                "shop::rate_percent",
                1,
                serde_json::Value::Null,
                raw(json!(100)),
                false,
            ),
            Interception::output("mail::send", 1, raw(json!(1000)), raw(json!(true)), false),
        ])
        .build()
}

#[test]
fn an_override_answers_instead_of_the_recording_and_uses_its_interception() {
    let replayer = Replayer::new().override_input("shop::rate_percent", |_key| Some(50u64));
    let playback = replayer.replay(&recording(), checkout).unwrap();
    assert_eq!(playback.replayed().outputs()[0].args, json!(500));
    assert!(playback.unused().is_empty(), "{:?}", playback.unused());
}

#[test]
fn an_override_that_does_not_serialize_fails_the_replay() {
    // a map with non-string keys has no JSON form
    let replayer = Replayer::new().override_input("shop::rate_percent", |_key| {
        Some(HashMap::from([((1u8, 2u8), 3u8)]))
    });
    let err = replayer.replay(&recording(), checkout).unwrap_err();
    match &err {
        ReplayError::Unserializable { alias, reason, .. } => {
            assert_eq!(*alias, "shop::rate_percent");
            assert!(reason.contains("override_input"), "{reason}");
        }
        other => panic!("expected Unserializable, got {other:?}"),
    }
}
