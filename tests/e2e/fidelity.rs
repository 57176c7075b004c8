//! What production did is what the recording holds: panics inside inputs and outputs,
//! values that do not serialize, operations hidden by a global filter, and the id of
//! the recording being made.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Duration;

use playback::{Codec, MemoryStore, PlaybackLayer, Query, ReplayError, Store};
use serde_json::json;
use tracing_subscriber::prelude::*;

use crate::support::record_with;

// ---- 2. a panic inside an input or output

static STOCK_RUNS: AtomicUsize = AtomicUsize::new(0);

#[playback::instrument(playback = "input")]
fn flaky_stock(sku: u64) -> u32 {
    STOCK_RUNS.fetch_add(1, Ordering::SeqCst);
    if sku == 13 {
        panic!("stock service exploded for sku {sku}");
    }
    5
}

#[playback::instrument(playback = "operation")]
fn reserve_caught(sku: u64) -> Result<u32, String> {
    std::panic::catch_unwind(|| flaky_stock(sku))
        .map_err(|p| format!("recovered: {}", playback::panic_message(p.as_ref())))
}

#[playback::instrument(playback = "operation")]
fn reserve_uncaught(sku: u64) -> u32 {
    flaky_stock(sku) + 1
}

#[test]
fn a_panic_inside_an_input_is_recorded_and_replays_as_the_same_panic_without_running() {
    let (recs, _g, results) = record_with(PlaybackLayer::builder(), || {
        let caught = reserve_caught(13);
        let uncaught = std::panic::catch_unwind(|| reserve_uncaught(13));
        (caught, uncaught.is_err())
    });
    assert_eq!(
        results,
        (
            Err("recovered: stock service exploded for sku 13".to_owned()),
            true
        )
    );
    assert_eq!(recs.len(), 2);
    for rec in &recs {
        let i = &rec.interceptions[0];
        assert_eq!(
            i.panic.as_deref(),
            Some("stock service exploded for sku 13")
        );
        assert!(i.value.is_none());
    }
    let uncaught = recs
        .iter()
        .find(|r| r.category == "reserve_uncaught")
        .unwrap();
    assert_eq!(uncaught.outcome, playback::Outcome::Panicked);

    let runs = STOCK_RUNS.load(Ordering::SeqCst);
    for rec in &recs {
        let playback = playback::replay_recording(rec).unwrap();
        assert_eq!(playback.recorded(), playback.replayed(), "{}", rec.category);
        assert!(playback.unused().is_empty());
    }
    assert_eq!(
        STOCK_RUNS.load(Ordering::SeqCst),
        runs,
        "the body never runs on replay"
    );
    let report = playback::Equalizer::new(recs)
        .progress(playback::Progress::Never)
        .run();
    assert_eq!(report.counts().equal, 2);
    assert_eq!(report.exit_code(), 0);
}

#[playback::instrument(playback = "output")]
async fn post_invoice(order: u64) -> bool {
    tokio::task::yield_now().await;
    panic!("invoice service down for {order}");
}

#[playback::instrument(playback = "operation")]
async fn invoice(order: u64) -> bool {
    post_invoice(order).await
}

#[test]
fn a_panic_inside_an_async_output_is_recorded_and_replayed() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let (recs, _g, panicked) = record_with(PlaybackLayer::builder(), || {
        rt.block_on(async {
            let task = tokio::spawn(
                tracing::instrument::WithSubscriber::with_current_subscriber(invoice(4)),
            );
            task.await.is_err()
        })
    });
    assert!(panicked);
    let rec = &recs[0];
    assert_eq!(
        rec.interceptions[0].panic.as_deref(),
        Some("invoice service down for 4")
    );
    assert_eq!(rec.interceptions[0].args_value(), json!({"order": 4}));
    let playback = playback::replay_recording(rec).unwrap();
    assert_eq!(
        playback.replayed().result(),
        &json!({"panic": "invoice service down for 4"})
    );
    assert_eq!(playback.recorded(), playback.replayed());
}

// ---- 4. values that do not serialize, and codecs that panic

struct Exploding;
impl Codec<u64> for Exploding {
    type Stored = u64;
    fn record(_: &u64) -> u64 {
        panic!("codec exploded")
    }
    fn replay(stored: u64) -> u64 {
        stored
    }
}

#[playback::instrument(playback = "input", with(id = Exploding))]
fn lookup(id: u64) -> u64 {
    id * 2
}

#[playback::instrument(playback = "input", with = Exploding)]
fn counter(id: u64) -> u64 {
    id + 1
}

#[playback::instrument(playback = "operation")]
fn codecs(id: u64) -> u64 {
    lookup(id) + counter(id)
}

#[test]
fn a_panicking_codec_never_reaches_the_host_and_the_call_is_marked_unrecordable() {
    let (recs, guard, v) = record_with(PlaybackLayer::builder(), || codecs(5));
    assert_eq!(v, 16, "both calls ran live");
    assert_eq!(recs.len(), 1, "the recording is kept");
    let rec = &recs[0];
    assert_eq!(rec.interceptions.len(), 2);
    for i in &rec.interceptions {
        let reason = i.unrecordable.as_deref().unwrap();
        assert!(
            reason.contains("codec panicked: codec exploded"),
            "{reason}"
        );
    }
    assert_eq!(
        playback::unrecordable_reason(&rec.interceptions[0].key.clone().unwrap()["id"])
            .map(|r| r.contains("codec exploded")),
        Some(true)
    );
    let stats = guard.stats().snapshot();
    assert_eq!(stats.unrecordable, 2);
    assert_eq!(stats.failed, 0);
    assert!(
        stats
            .unrecordable_aliases
            .iter()
            .any(|(a, n)| a.ends_with("::lookup") && *n == 1)
    );
    assert!(
        stats
            .unrecordable_aliases
            .iter()
            .any(|(a, n)| a.ends_with("::counter") && *n == 1)
    );

    // replaying it is a clear, typed error naming the call site
    let err = playback::replay(rec, || codecs(5)).unwrap_err();
    assert!(
        matches!(err, ReplayError::Unserializable { alias, .. } if alias.ends_with("::lookup")),
        "{err}"
    );
}

#[playback::instrument(playback = "operation")]
fn grid(n: u32) -> HashMap<(u32, u32), u32> {
    (0..n).map(|i| ((i, i), i)).collect()
}

#[test]
fn a_result_that_does_not_serialize_still_gives_a_recording_with_a_placeholder() {
    let (recs, guard, v) = record_with(PlaybackLayer::builder(), || grid(2));
    assert_eq!(v.len(), 2);
    assert_eq!(recs.len(), 1);
    let result = recs[0].result.as_ref().unwrap().to_json();
    let reason = playback::unrecordable_reason(&result).unwrap();
    assert!(reason.contains("key must be a string"), "{reason}");
    assert_eq!(guard.stats().snapshot().unrecordable, 1);

    // the comparison says the result is not comparable, instead of different
    let report = playback::Equalizer::new(recs.clone())
        .progress(playback::Progress::Never)
        .run();
    let entry = report.get(&recs[0].id).unwrap();
    assert_eq!(entry.status, playback::Status::Equal, "{entry:?}");
    assert_eq!(entry.not_comparable.len(), 1, "{entry:?}");
    assert_eq!(entry.not_comparable[0].path, "/result");
    assert_eq!(report.exit_code(), 0);
}

static KEY_FAILS: AtomicBool = AtomicBool::new(false);

#[derive(Debug)]
struct Region(&'static str);
impl serde::Serialize for Region {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        if KEY_FAILS.load(Ordering::SeqCst) {
            return Err(serde::ser::Error::custom(
                "region is not serializable today",
            ));
        }
        s.serialize_str(self.0)
    }
}

#[playback::instrument(playback = "input")]
fn tax_rate(region: &Region) -> u32 {
    let _ = region;
    20
}

#[playback::instrument(playback = "operation", skip(region))]
fn taxed(region: &Region, amount: u32) -> u32 {
    amount * (100 + tax_rate(region)) / 100
}

#[test]
fn a_key_that_fails_to_serialize_on_replay_is_a_typed_error_naming_the_call_site() {
    let (recs, _g, v) = record_with(PlaybackLayer::builder(), || taxed(&Region("eu"), 100));
    assert_eq!(v, 120);
    KEY_FAILS.store(true, Ordering::SeqCst);
    let err = playback::replay(&recs[0], || taxed(&Region("eu"), 100)).unwrap_err();
    KEY_FAILS.store(false, Ordering::SeqCst);
    match &err {
        ReplayError::Unserializable {
            alias,
            reason,
            site,
        } => {
            assert!(alias.ends_with("::tax_rate"));
            assert!(
                reason.contains("region is not serializable today"),
                "{reason}"
            );
            assert!(site.contains("fidelity.rs"), "{site}");
        }
        other => panic!("expected Unserializable, got {other}"),
    }
    assert!(err.to_string().contains("to go on"));
}

// ---- 5. operations hidden by a global filter

#[playback::instrument(playback = "operation")]
fn hidden_checkout(cart: u64) -> u64 {
    hidden_price(cart) + 1
}

#[playback::instrument(playback = "input")]
fn hidden_price(cart: u64) -> u64 {
    cart * 10
}

#[test]
fn an_operation_hidden_by_a_global_filter_is_recorded_from_its_call_and_counted() {
    for filter_first in [true, false] {
        let store = MemoryStore::new();
        let builder = PlaybackLayer::builder().store(store.clone());
        let (v, guard) = if filter_first {
            let (layer, guard) = builder.build().unwrap();
            let subscriber = tracing_subscriber::registry()
                .with(tracing_subscriber::EnvFilter::new("warn"))
                .with(layer);
            let v = tracing::subscriber::with_default(subscriber, || hidden_checkout(4));
            (v, guard)
        } else {
            let (layer, guard) = builder.build().unwrap();
            let subscriber = tracing_subscriber::registry()
                .with(layer)
                .with(tracing_subscriber::EnvFilter::new("warn"));
            let v = tracing::subscriber::with_default(subscriber, || hidden_checkout(4));
            (v, guard)
        };
        assert_eq!(v, 41);
        assert!(guard.flush(Duration::from_secs(5)));
        let stats = guard.stats().snapshot();
        assert_eq!((stats.filtered_out, stats.recorded), (1, 1), "{stats:?}");
        let rec = store.find(&Query::all()).unwrap().remove(0).unwrap();
        assert_eq!(rec.category, "hidden_checkout");
        assert_eq!(rec.arg::<u64>("cart").unwrap(), 4);
        assert_eq!(rec.interceptions.len(), 1);
        assert_eq!(rec.interceptions[0].value_json(), json!(40));
        assert_eq!(rec.result.as_ref().unwrap().to_json(), json!(41));
        let playback = playback::replay_recording(&rec).unwrap();
        assert_eq!(playback.recorded(), playback.replayed());
    }
}

#[test]
fn a_sampled_out_operation_is_not_mistaken_for_a_hidden_one() {
    let (recs, guard, _) = record_with(PlaybackLayer::builder().default_sample_rate(0.0), || {
        (0..20).map(hidden_checkout).sum::<u64>()
    });
    assert!(recs.is_empty());
    let stats = guard.stats().snapshot();
    assert_eq!(
        (stats.sampled_out, stats.filtered_out),
        (20, 0),
        "{stats:?}"
    );
}

// ---- the recording id

#[playback::instrument(playback = "operation")]
fn tagged(n: u64) -> Option<String> {
    let _ = n;
    playback::current_recording_id().map(|id| id.to_string())
}

#[test]
fn current_recording_id_names_the_stored_recording_and_the_replayed_one() {
    assert!(playback::current_recording_id().is_none());
    let (recs, _g, id) = record_with(PlaybackLayer::builder(), || tagged(1));
    let id = id.expect("inside a recorded operation");
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].id.to_string(), id);

    let (recs_out, _g, none) =
        record_with(PlaybackLayer::builder().sample_rate("tagged", 0.0), || {
            tagged(1)
        });
    assert!(recs_out.is_empty());
    assert_eq!(none, None, "sampled out: no id");

    let playback = playback::replay_recording(&recs[0]).unwrap();
    assert_eq!(playback.replayed().result(), &json!(id));
}

// ---- 3. cancelled operations

#[playback::instrument(playback = "input")]
async fn cart_lines(cart: u64) -> Vec<u64> {
    tokio::task::yield_now().await;
    vec![cart, cart + 1]
}

#[playback::instrument(playback = "output")]
async fn reserve(lines: Vec<u64>) -> bool {
    tokio::task::yield_now().await;
    !lines.is_empty()
}

/// Never answers: the client gives up first.
#[playback::instrument(playback = "input")]
async fn payment_gateway(cart: u64) -> bool {
    let _ = cart;
    std::future::pending::<()>().await;
    true
}

#[playback::instrument(playback = "operation")]
async fn pay(cart: u64) -> bool {
    let lines = cart_lines(cart).await;
    reserve(lines).await && payment_gateway(cart).await
}

#[test]
fn a_cancelled_operation_is_skipped_by_default_and_compared_up_to_its_end_on_request() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let (recs, _g, timed_out) = record_with(PlaybackLayer::builder(), || {
        rt.block_on(async {
            // a client timeout drops the handler's future mid-way
            tokio::time::timeout(Duration::from_millis(20), pay(7))
                .await
                .is_err()
        })
    });
    assert!(timed_out);
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec.outcome, playback::Outcome::Incomplete);
    assert_eq!(
        rec.interceptions.len(),
        2,
        "what ran before the cancellation"
    );

    // by default: not replayed, Skipped with a reason, never failing the run
    let report = playback::Equalizer::new(recs.clone())
        .progress(playback::Progress::Never)
        .run();
    let entry = report.get(&rec.id).unwrap();
    assert_eq!(entry.status, playback::Status::Skipped);
    assert!(
        entry
            .message
            .as_deref()
            .unwrap_or("")
            .contains("include_incomplete"),
        "{entry:?}"
    );
    assert_eq!(report.exit_code(), 0);

    // on request: replayed up to the recorded point, comparing what was recorded
    let report = playback::Equalizer::new(recs.clone())
        .include_incomplete(true)
        .progress(playback::Progress::Never)
        .run();
    assert_eq!(report.get(&rec.id).unwrap().status, playback::Status::Equal);
    assert_eq!(report.exit_code(), 0);
    let playback = playback::replay_recording(rec).unwrap();
    assert!(playback.stopped_at_recording_end());
    assert_eq!(playback.recorded().outputs(), playback.replayed().outputs());
}

// ---- a value nested deeper than the reader accepts

/// `levels` arrays inside each other, around `1`.
fn nested(levels: usize) -> serde_json::Value {
    (0..levels).fold(json!(1), |v, _| json!([v]))
}

#[playback::instrument(playback = "input")]
fn deep_config(levels: usize) -> serde_json::Value {
    nested(levels)
}

#[playback::instrument(playback = "operation")]
fn load_deep(levels: usize) -> usize {
    deep_config(levels).to_string().len()
}

#[test]
fn a_value_too_deep_for_the_reader_is_marked_unrecordable_when_captured() {
    // 123 levels fit (the document adds four around a value); one more does not.
    let (recs, guard, _) = record_with(PlaybackLayer::builder(), || {
        (load_deep(123), load_deep(124))
    });
    assert_eq!(
        guard.stats().snapshot().unrecordable,
        1,
        "counted and logged"
    );
    assert_eq!(recs.len(), 2, "both recordings were stored and read back");
    let by_levels = |levels: u64| {
        recs.iter()
            .find(|r| r.args["levels"].get() == levels.to_string())
            .unwrap()
    };
    let fits = &by_levels(123).interceptions[0];
    assert_eq!(fits.unrecordable, None);
    assert_eq!(fits.value.as_ref().unwrap().get(), nested(123).to_string());

    let deep = by_levels(124);
    let reason = deep.interceptions[0].unrecordable.as_deref().unwrap();
    assert!(reason.contains("deeper than 123 levels"), "{reason}");
    // the rest of the recording is kept, and replaying the call is a clear error
    assert_eq!(deep.result.as_ref().unwrap().to_json(), json!(249));
    let err = playback::replay(deep, || load_deep(124)).unwrap_err();
    assert!(err.to_string().contains("deeper than 123 levels"), "{err}");
}
