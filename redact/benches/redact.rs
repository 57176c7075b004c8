//! The writer's side of redaction, isolated: applying the rules to a recording like the
//! one `cargo bench --bench record -- 5_redaction` records (one input, one output, ~100 B
//! values), then encoding it as the store does, against encoding it alone.
//!
//! `cargo bench -p playback-redact --bench redact`

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::hint::black_box;

use criterion::{Criterion, criterion_group, criterion_main};
use playback_redact::{FingerprintKey, Mode, Redactor, Rules};
use playback_store::{Interception, OpResult, Recording};
use serde_json::json;
use serde_json::value::to_raw_value;

/// The recording of the root bench's small operation: `op_pb(key, p)` calls the input
/// `input_pb(key)` returning a ~100 B payload and the output `output_pb(v)`.
fn recording() -> Recording {
    let payload = json!({
        "id": 42,
        "name": "customer-0042",
        "tags": ["gold", "eu"],
        "data": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13]
    });
    let value = to_raw_value(&payload).expect("a payload serializes");
    let args = to_raw_value(&json!({ "v": payload })).expect("arguments serialize");
    Recording::builder("op_pb")
        .interception(Interception::input(
            "record::input_pb",
            1,
            json!({"key": 7}),
            value,
            false,
        ))
        .interception(Interception::output(
            "record::output_pb",
            1,
            args,
            to_raw_value(&true).expect("a bool serializes"),
            false,
        ))
        .result(OpResult::Returned {
            value: to_raw_value(&42).expect("a number serializes"),
            error: false,
        })
        .build()
}

fn redactors() -> [(&'static str, Option<Redactor>); 3] {
    let key = || Some(FingerprintKey::new([7u8; 32]).expect("a 32-byte key"));
    let five = Rules::new()
        .path("/inputs/*/key/key", Mode::Fingerprint)
        .path("/inputs/*/value/name", Mode::Fingerprint)
        .path("/outputs/*/args/v/name", Mode::Fingerprint)
        .path("**/tags", Mode::MaskLength)
        .path("/result", Mode::Fingerprint);
    [
        ("none", None),
        (
            "5_path_rules",
            Some(five.compile(key()).expect("rules compile")),
        ),
        (
            "all_detectors",
            Some(
                Rules::new()
                    .detect_all()
                    .compile(key())
                    .expect("rules compile"),
            ),
        ),
    ]
}

fn writer_side(c: &mut Criterion) {
    let rec = recording();
    let mut g = c.benchmark_group("redact_and_encode_100B");
    for (name, redactor) in redactors() {
        g.bench_function(name, |b| {
            b.iter_batched(
                || rec.clone(),
                |mut rec| {
                    if let Some(r) = &redactor {
                        r.redact_recording(&mut rec);
                    }
                    black_box(rec.to_json().expect("a recording encodes")).len()
                },
                criterion::BatchSize::SmallInput,
            )
        });
    }
    g.finish();
}

criterion_group!(benches, writer_side);
criterion_main!(benches);
