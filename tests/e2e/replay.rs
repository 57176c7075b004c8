//! Replaying recordings through the facade, as a user does: record with the layer into a
//! `DirStore`, load the recording back, replay it on code whose live sources changed.
//! The scenarios re-create the Python reference's playback tests.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use playback::{
    DirStore, OnMissing, PlaybackLayer, Query, Recording, ReplayError, ReplayRuntime, Replayer,
    Store,
};
use serde::{Deserialize, Serialize};
use serde_json::json;
use tracing::Instrument as _;
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum ShopError {
    UnknownSku(u64),
    Declined(String),
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Receipt {
    pub(crate) cart_id: u64,
    pub(crate) total: u64,
    pub(crate) charge: String,
}

/// The live sources: what the database and the payment provider answer today, and how
/// often the real code ran.
#[derive(Debug, Default)]
pub(crate) struct Db {
    prices: HashMap<u64, u64>,
    declined: bool,
    price_calls: AtomicUsize,
    charge_calls: AtomicUsize,
    notify_calls: AtomicUsize,
}

impl Db {
    fn with_prices(prices: &[(u64, u64)]) -> Db {
        Db {
            prices: prices.iter().copied().collect(),
            ..Db::default()
        }
    }
}

#[playback::instrument(playback = "operation", category = "replay_checkout", skip(db))]
fn checkout(db: &Db, cart_id: u64, skus: Vec<u64>) -> Result<Receipt, ShopError> {
    let mut total = 0;
    for sku in &skus {
        total += price_of(db, *sku)?;
    }
    let charge = charge(db, cart_id, total)?;
    notify(db, cart_id, format!("charged {total}"));
    Ok(Receipt {
        cart_id,
        total,
        charge,
    })
}

#[playback::instrument(playback = "input", skip(db))]
fn price_of(db: &Db, sku: u64) -> Result<u64, ShopError> {
    db.price_calls.fetch_add(1, Ordering::Relaxed);
    db.prices
        .get(&sku)
        .copied()
        .ok_or(ShopError::UnknownSku(sku))
}

#[playback::instrument(playback = "output", skip(db))]
fn charge(db: &Db, cart_id: u64, amount: u64) -> Result<String, ShopError> {
    db.charge_calls.fetch_add(1, Ordering::Relaxed);
    if db.declined {
        return Err(ShopError::Declined(format!("cart {cart_id}")));
    }
    Ok(format!("ch_{cart_id}_{amount}"))
}

#[playback::instrument(playback = "output", skip(db))]
fn notify(db: &Db, cart_id: u64, message: String) -> bool {
    let _ = (cart_id, message);
    db.notify_calls.fetch_add(1, Ordering::Relaxed);
    true
}

/// Records `f` into a fresh `DirStore` and loads the recordings back, oldest first.
fn record_all(f: impl FnOnce()) -> Vec<Recording> {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path()).unwrap();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .queue_capacity(4096)
        .build()
        .unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), f);
    assert!(guard.flush(Duration::from_secs(30)), "flush timed out");
    let mut ids: Vec<_> = store
        .list(&Query::all())
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().id)
        .collect();
    ids.sort();
    // the way a test gets a recording: by id, from the store
    ids.iter().map(|id| store.get(id).unwrap()).collect()
}

fn record_one(f: impl FnOnce()) -> Recording {
    let mut all = record_all(f);
    assert_eq!(all.len(), 1, "expected one recording");
    all.remove(0)
}

#[test]
fn an_input_replays_its_recorded_value_after_the_live_source_changed() {
    let rec = record_one(|| {
        let db = Db::with_prices(&[(1, 10), (2, 20)]);
        checkout(&db, 7, vec![1, 2]).unwrap();
    });
    // the prices changed since production; the replay does not read them
    let today = Db::with_prices(&[(1, 999), (2, 999)]);
    let playback = playback::replay(&rec, || checkout(&today, 7, vec![1, 2])).unwrap();
    assert_eq!(today.price_calls.load(Ordering::Relaxed), 0);
    assert_eq!(
        playback.replayed().result(),
        &json!({"Ok": {"cart_id": 7, "total": 30, "charge": "ch_7_30"}})
    );
    assert_eq!(playback.recorded(), playback.replayed());
    assert!(playback.unused().is_empty());
}

#[test]
fn outputs_are_not_executed_and_their_args_are_captured_in_order() {
    let rec = record_one(|| {
        let db = Db::with_prices(&[(1, 10), (2, 20)]);
        checkout(&db, 7, vec![1, 2]).unwrap();
    });
    let today = Db::with_prices(&[]);
    let playback = playback::replay(&rec, || checkout(&today, 7, vec![1, 2])).unwrap();
    assert_eq!(today.charge_calls.load(Ordering::Relaxed), 0);
    assert_eq!(today.notify_calls.load(Ordering::Relaxed), 0);
    let outputs: Vec<_> = playback
        .replayed()
        .outputs()
        .iter()
        .map(|o| {
            (
                o.alias.rsplit("::").next().unwrap().to_owned(),
                o.args.value().clone(),
            )
        })
        .collect();
    assert_eq!(
        outputs,
        vec![
            ("charge".to_owned(), json!({"cart_id": 7, "amount": 30})),
            (
                "notify".to_owned(),
                json!({"cart_id": 7, "message": "charged 30"})
            ),
        ]
    );
    assert_eq!(playback.recorded().outputs(), playback.replayed().outputs());
}

#[test]
fn an_operation_error_is_its_result_and_the_replay_does_not_fail() {
    let rec = record_one(|| {
        let db = Db::with_prices(&[(1, 10)]);
        assert!(checkout(&db, 7, vec![1, 404]).is_err());
    });
    let today = Db::with_prices(&[(1, 10)]);
    let playback = playback::replay(&rec, || checkout(&today, 7, vec![1, 404])).unwrap();
    assert_eq!(
        playback.replayed().result(),
        &json!({"Err": {"UnknownSku": 404}})
    );
    assert!(playback.replayed().is_error());
    assert!(playback.recorded().is_error());
}

#[test]
fn an_input_or_output_that_errored_in_recording_returns_the_same_error() {
    // the input: sku 5 was unknown in production, and is known today
    let rec = record_one(|| {
        let _ = checkout(&Db::with_prices(&[]), 1, vec![5]);
    });
    let today = Db::with_prices(&[(5, 50)]);
    let playback = playback::replay(&rec, || checkout(&today, 1, vec![5])).unwrap();
    assert_eq!(
        playback.replayed().result(),
        &json!({"Err": {"UnknownSku": 5}})
    );
    // the output: the charge was declined in production, and goes through today
    let rec = record_one(|| {
        let db = Db {
            declined: true,
            ..Db::with_prices(&[(1, 10)])
        };
        let _ = checkout(&db, 2, vec![1]);
    });
    let today = Db::with_prices(&[(1, 10)]);
    let playback = playback::replay(&rec, || checkout(&today, 2, vec![1])).unwrap();
    assert_eq!(
        playback.replayed().result(),
        &json!({"Err": {"Declined": "cart 2"}})
    );
    assert_eq!(
        playback.replayed().outputs()[0].value,
        json!({"Err": {"Declined": "cart 2"}})
    );
    assert!(playback.replayed().outputs()[0].error);
    assert_eq!(today.charge_calls.load(Ordering::Relaxed), 0);
}

#[test]
fn changed_input_args_give_a_mismatch_error_naming_everything_needed() {
    let rec = record_one(|| {
        let db = Db::with_prices(&[(1, 10), (2, 20)]);
        checkout(&db, 7, vec![1, 2]).unwrap();
    });
    let today = Db::with_prices(&[(1, 10), (3, 30)]);
    let err = playback::replay(&rec, || checkout(&today, 7, vec![1, 3])).unwrap_err();
    let ReplayError::InputMismatch {
        alias,
        tried_key,
        nearest,
        recording_id,
        site,
    } = &err
    else {
        panic!("expected a mismatch, got {err}")
    };
    assert!(alias.ends_with("::price_of"), "{alias}");
    assert_eq!(tried_key, r#"{"sku":3}"#);
    assert!(nearest.contains("-   \"sku\": 2"), "{nearest}");
    assert!(nearest.contains("+   \"sku\": 3"), "{nearest}");
    assert_eq!(recording_id, &rec.id().to_string());
    assert!(site.starts_with("tests/e2e/replay.rs:"), "{site}");
    let message = err.to_string();
    for part in [
        *alias,
        tried_key.as_str(),
        recording_id.as_str(),
        site.as_str(),
    ] {
        assert!(message.contains(part), "{part} missing from: {message}");
    }
}

#[playback::instrument(
    playback = "operation",
    category = "replay_discount",
    skip(db, variant)
)]
fn apply_discount(db: &Db, variant: Variant, code: String) -> u64 {
    match variant {
        Variant::Original => discount(db, code),
        Variant::Live => discount_live(db, code),
        Variant::Default => discount_default(db, code),
        Variant::Renamed => discount_renamed(db, code),
    }
}

#[derive(Debug, Clone, Copy)]
enum Variant {
    Original,
    Live,
    Default,
    Renamed,
}

fn live_discount(db: &Db, code: &str) -> u64 {
    db.price_calls.fetch_add(1, Ordering::Relaxed);
    if code.is_empty() { 0 } else { 15 }
}

#[playback::instrument(playback = "input", alias = "shop::discount", skip(db))]
fn discount(db: &Db, code: String) -> u64 {
    live_discount(db, &code)
}

#[playback::instrument(
    playback = "input",
    alias = "shop::discount",
    on_missing = "live",
    skip(db)
)]
fn discount_live(db: &Db, code: String) -> u64 {
    live_discount(db, &code)
}

#[playback::instrument(
    playback = "input",
    alias = "shop::discount",
    on_missing = "default",
    skip(db)
)]
fn discount_default(db: &Db, code: String) -> u64 {
    live_discount(db, &code)
}

#[playback::instrument(
    playback = "input",
    alias = "shop::discount_v2",
    fallback_aliases = ["shop::discount"],
    skip(db)
)]
fn discount_renamed(db: &Db, code: String) -> u64 {
    live_discount(db, &code)
}

#[test]
fn live_default_and_a_fallback_alias_each_rescue_a_missing_input() {
    let rec = record_one(|| {
        assert_eq!(
            apply_discount(&Db::default(), Variant::Original, "SPRING".into()),
            15
        );
    });
    let replay = |variant, code: &str| {
        let db = Db::default();
        let playback = playback::replay(&rec, || apply_discount(&db, variant, code.into()));
        (playback, db.price_calls.load(Ordering::Relaxed))
    };
    // without rescue: a mismatch
    let (err, _) = replay(Variant::Original, "SUMMER");
    assert!(matches!(err, Err(ReplayError::InputMismatch { .. })));
    // "live": the real function runs
    let (playback, live_calls) = replay(Variant::Live, "SUMMER");
    let playback = playback.unwrap();
    assert_eq!(playback.replayed().result(), &json!(15));
    assert_eq!(live_calls, 1);
    assert_eq!(playback.warnings().len(), 1, "{:?}", playback.warnings());
    // "default": Default::default()
    let (playback, live_calls) = replay(Variant::Default, "SUMMER");
    assert_eq!(playback.unwrap().replayed().result(), &json!(0));
    assert_eq!(live_calls, 0);
    // a renamed call site finds the old alias's recording
    let (playback, live_calls) = replay(Variant::Renamed, "SPRING");
    let playback = playback.unwrap();
    assert_eq!(playback.replayed().result(), &json!(15));
    assert!(playback.unused().is_empty());
    assert_eq!(live_calls, 0);
    // the per-replay setting rescues the original call site
    let db = Db::default();
    let playback = Replayer::new()
        .on_missing(OnMissing::Live)
        .replay(&rec, || {
            apply_discount(&db, Variant::Original, "SUMMER".into())
        })
        .unwrap();
    assert_eq!(playback.replayed().result(), &json!(15));
}

#[playback::instrument(playback = "operation", category = "replay_signup", skip(db, welcome))]
fn signup(db: &Db, email: String, welcome: bool) -> u32 {
    let id = 41 + u32::from(email.len() > 3);
    if welcome {
        let _: u32 = send_welcome(db, email);
    }
    id
}

#[playback::instrument(playback = "output", fail_on_missing = false, skip(db))]
fn send_welcome(db: &Db, email: String) -> u32 {
    let _ = email;
    db.notify_calls.fetch_add(1, Ordering::Relaxed);
    200
}

#[test]
fn a_new_output_with_no_recording_returns_default_when_fail_on_missing_is_false() {
    let rec = record_one(|| {
        signup(&Db::default(), "ann@example.com".into(), false);
    });
    let today = Db::default();
    let playback =
        playback::replay(&rec, || signup(&today, "ann@example.com".into(), true)).unwrap();
    assert_eq!(today.notify_calls.load(Ordering::Relaxed), 0);
    let outputs = playback.replayed().outputs();
    assert_eq!(outputs.len(), 1);
    assert_eq!(outputs[0].args, json!({"email": "ann@example.com"}));
    assert!(playback.recorded().outputs().is_empty());
    assert!(
        playback.warnings()[0].contains("send_welcome"),
        "{:?}",
        playback.warnings()
    );
}

#[playback::instrument(playback = "operation", category = "replay_nested", skip(db))]
fn nested_op(db: &Db, cart_id: u64) -> u64 {
    cart_total(db, cart_id) + 1
}

#[playback::instrument(playback = "input", skip(db))]
fn cart_total(db: &Db, cart_id: u64) -> u64 {
    // an input called inside an input: part of the outer one, never intercepted itself
    price_of(db, cart_id).unwrap_or(0) * 2
}

#[test]
fn nested_interceptions_behave_as_in_recording() {
    let rec = record_one(|| {
        assert_eq!(nested_op(&Db::with_prices(&[(3, 5)]), 3), 11);
    });
    let aliases: Vec<_> = rec
        .interceptions
        .iter()
        .map(|i| i.alias.rsplit("::").next().unwrap())
        .collect();
    assert_eq!(aliases, vec!["cart_total"]);
    let today = Db::with_prices(&[(3, 500)]);
    let playback = playback::replay(&rec, || nested_op(&today, 3)).unwrap();
    assert_eq!(playback.replayed().result(), &json!(11));
    assert_eq!(today.price_calls.load(Ordering::Relaxed), 0);
    assert!(playback.unused().is_empty());
}

#[playback::instrument(playback = "operation", category = "replay_panics", skip(db))]
fn panicky(db: &Db, sku: u64) -> u64 {
    let price = price_of(db, sku).unwrap_or(0);
    assert!(price < 100, "price {price} too high");
    price
}

#[test]
fn a_panic_of_the_operation_is_its_replayed_result() {
    let rec = record_one(|| {
        panicky(&Db::with_prices(&[(1, 10)]), 1);
    });
    let rec_high = {
        let mut rec = rec.clone();
        let i = &mut rec.interceptions[0];
        i.value = Some(serde_json::value::to_raw_value(&json!({"Ok": 500})).unwrap());
        rec
    };
    let playback = playback::replay(&rec_high, || panicky(&Db::default(), 1)).unwrap();
    assert_eq!(
        playback.replayed().result(),
        &json!({"panic": "price 500 too high"})
    );
    assert!(playback.replayed().is_error());
}

#[test]
fn time_and_random_values_replay_deterministically() {
    let op = || {
        let span = tracing::info_span!("replay_clock", playback = "operation");
        let _entered = span.enter();
        let started = playback::now();
        let seed: u64 = playback::value("seed", || {
            started.elapsed().map_or(1, |d| d.as_nanos() as u64)
        });
        let later = playback::now();
        playback::output("audit::log", &(started, seed, later), || ());
    };
    let rec = record_one(op);
    let first = playback::replay(&rec, op).unwrap();
    std::thread::sleep(Duration::from_millis(2));
    let second = playback::replay(&rec, op).unwrap();
    assert_eq!(first.recorded().outputs(), first.replayed().outputs());
    assert_eq!(first, second);
}

#[playback::instrument(playback = "input", alias = "shop::stock")]
fn stock_v1(sku: u64) -> u32 {
    u32::try_from(sku).unwrap_or(0)
}

#[playback::instrument(playback = "input", alias = "shop::stock")]
fn stock_wider(sku: u64) -> u64 {
    sku
}

#[playback::instrument(playback = "input", alias = "shop::stock")]
fn stock_text(sku: u64) -> String {
    sku.to_string()
}

#[derive(Debug, Clone, Copy)]
enum Stock {
    V1,
    Wider,
    Text,
}

#[playback::instrument(playback = "operation", category = "replay_stock", skip(version))]
fn stock_report(version: Stock, sku: u64) -> String {
    match version {
        Stock::V1 => stock_v1(sku).to_string(),
        Stock::Wider => stock_wider(sku).to_string(),
        Stock::Text => stock_text(sku),
    }
}

#[test]
fn a_changed_signature_is_a_warning_while_the_value_fits_and_a_clear_error_otherwise() {
    let rec = record_one(|| {
        stock_report(Stock::V1, 12);
    });
    assert_eq!(
        rec.interceptions[0].signature,
        "fn stock_v1(sku: u64) -> u32"
    );
    let playback = playback::replay(&rec, || stock_report(Stock::Wider, 12)).unwrap();
    assert_eq!(playback.replayed().result(), &json!("12"));
    assert!(playback.warnings()[0].contains("fn stock_wider(sku: u64) -> u64"));
    let err = playback::replay(&rec, || stock_report(Stock::Text, 12)).unwrap_err();
    let ReplayError::StaleSignature {
        recorded,
        current,
        detail,
        ..
    } = &err
    else {
        panic!("expected a stale signature, got {err}")
    };
    assert_eq!(recorded, "fn stock_v1(sku: u64) -> u32");
    assert_eq!(*current, "fn stock_text(sku: u64) -> String");
    assert!(detail.contains("alloc::string::String"), "{detail}");
    assert!(detail.contains("invalid type: integer `12`"), "{detail}");
}

#[test]
fn a_recorded_value_that_no_longer_deserializes_names_alias_type_and_serde_message() {
    let mut rec = record_one(|| {
        stock_report(Stock::V1, 12);
    });
    // an older recording whose value has another shape, under today's signature
    rec.interceptions[0].value = Some(serde_json::value::to_raw_value(&json!("twelve")).unwrap());
    let err = playback::replay(&rec, || stock_report(Stock::V1, 12)).unwrap_err();
    let ReplayError::TypeMismatch {
        alias,
        type_name,
        message,
        ..
    } = &err
    else {
        panic!("expected a type mismatch, got {err}")
    };
    assert_eq!(*alias, "shop::stock");
    assert_eq!(*type_name, "u32");
    assert!(
        message.contains("invalid type: string \"twelve\""),
        "{message}"
    );
}

#[test]
fn one_hundred_recordings_replay_on_parallel_threads_without_cross_talk() {
    let recs = record_all(|| {
        let db = Db::with_prices(&(0..100).map(|sku| (sku, sku * 3)).collect::<Vec<_>>());
        for cart in 0..100u64 {
            checkout(&db, cart, vec![cart, (cart + 1) % 100]).unwrap();
        }
    });
    assert_eq!(recs.len(), 100);
    std::thread::scope(|s| {
        for chunk in recs.chunks(25) {
            s.spawn(move || {
                let today = Db::default();
                for rec in chunk {
                    let cart: u64 = rec.arg("cart_id").unwrap();
                    let skus: Vec<u64> = rec.arg("skus").unwrap();
                    let playback = playback::replay(rec, || checkout(&today, cart, skus)).unwrap();
                    let total = cart * 3 + ((cart + 1) % 100) * 3;
                    assert_eq!(playback.replayed().result()["Ok"]["total"], total);
                    assert_eq!(playback.recorded(), playback.replayed());
                    assert!(playback.unused().is_empty());
                }
            });
        }
    });
}

#[test]
fn replaying_one_recording_100_times_gives_100_identical_playbacks() {
    let rec = record_one(|| {
        checkout(&Db::with_prices(&[(1, 10)]), 3, vec![1, 1]).unwrap();
    });
    let today = Db::default();
    let playbacks: Vec<_> = (0..100)
        .map(|_| playback::replay(&rec, || checkout(&today, 3, vec![1, 1])).unwrap())
        .collect();
    assert!(playbacks.iter().all(|p| p == &playbacks[0]));
    assert_eq!(playbacks[0].replayed().result()["Ok"]["total"], 20);
}

static PRICE_ASYNC_CALLS: AtomicUsize = AtomicUsize::new(0);

#[playback::instrument(playback = "operation", category = "replay_quote_async")]
async fn quote_async(skus: Vec<u64>) -> Result<u64, ShopError> {
    let mut total = 0;
    for sku in skus {
        tokio::task::yield_now().await;
        total += price_async(sku).await?;
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    publish_async(total).await;
    Ok(total)
}

#[playback::instrument(playback = "input")]
async fn price_async(sku: u64) -> Result<u64, ShopError> {
    PRICE_ASYNC_CALLS.fetch_add(1, Ordering::Relaxed);
    tokio::task::yield_now().await;
    Ok(sku * 7)
}

#[playback::instrument(playback = "output")]
async fn publish_async(total: u64) -> bool {
    total > 0
}

#[test]
fn replay_async_replays_on_a_multi_thread_runtime_across_awaits() {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let rec = record_one(|| {
        rt.block_on(quote_async(vec![1, 2, 3])).unwrap();
    });
    let live_calls = PRICE_ASYNC_CALLS.load(Ordering::Relaxed);
    let playbacks = rt.block_on(async {
        let tasks: Vec<_> = (0..16)
            .map(|_| {
                let rec = rec.clone();
                tokio::spawn(async move {
                    playback::replay_async(&rec, async { quote_async(vec![1, 2, 3]).await }).await
                })
            })
            .collect();
        let mut out = Vec::new();
        for t in tasks {
            out.push(t.await.unwrap().unwrap());
        }
        out
    });
    assert_eq!(PRICE_ASYNC_CALLS.load(Ordering::Relaxed), live_calls);
    for p in &playbacks {
        assert_eq!(p.replayed().result(), &json!({"Ok": 42}));
        assert_eq!(p.recorded(), p.replayed());
    }
}

#[playback::instrument(
    playback = "operation",
    category = "replay_fanout",
    skip(db, lose_span)
)]
async fn fanout(db: std::sync::Arc<Db>, skus: Vec<u64>, lose_span: bool) -> u64 {
    let mut handles = Vec::new();
    for sku in skus {
        let db = db.clone();
        let task = async move { price_of(&db, sku).unwrap_or(0) };
        handles.push(if lose_span {
            // a bare spawn: the task has neither the span nor the subscriber
            tokio::spawn(task)
        } else {
            // the task keeps the operation's span, but not the subscriber
            tokio::spawn(task.in_current_span())
        });
    }
    let mut total = 0;
    for h in handles {
        total += h.await.unwrap_or(0);
    }
    total
}

#[test]
fn the_replay_runtime_replays_spawned_tasks_and_catches_lost_ones() {
    let rec = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let db = std::sync::Arc::new(Db::with_prices(&[(1, 10), (2, 20), (3, 30)]));
        record_one(|| assert_eq!(rt.block_on(fanout(db, vec![1, 2, 3], false)), 60))
    };
    let rt = ReplayRuntime::builder().worker_threads(2).build().unwrap();
    let today = std::sync::Arc::new(Db::default());
    let playback = rt
        .replay(&rec, fanout(today.clone(), vec![1, 2, 3], false))
        .unwrap();
    assert_eq!(playback.replayed().result(), &json!(60));
    assert_eq!(today.price_calls.load(Ordering::Relaxed), 0);
    // a task that lost the operation's span would run live: the runtime says so instead
    let err = rt
        .replay(&rec, fanout(today.clone(), vec![1, 2, 3], true))
        .unwrap_err();
    let ReplayError::OutsideOperation { alias, fix, .. } = &err else {
        panic!("expected an outside-operation error, got {err}")
    };
    assert!(alias.ends_with("::price_of"), "{alias}");
    assert!(fix.contains(".with_current_subscriber()"), "{fix}");
}

#[test]
fn a_factory_replays_an_operation_that_cannot_register_itself() {
    let rec = record_one(|| {
        checkout(&Db::with_prices(&[(1, 10)]), 9, vec![1]).unwrap();
    });
    let replayer = Replayer::new().register("replay_checkout", |rec| {
        let db = Db::default();
        Ok(checkout(&db, rec.arg("cart_id")?, rec.arg("skus")?))
    });
    let playback = replayer.replay_recording(&rec).unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
    assert_eq!(playback.replayed().result()["Ok"]["charge"], "ch_9_10");
}

#[test]
fn the_tests_own_fmt_layer_still_sees_the_spans_with_replay_layer() {
    #[derive(Clone, Default)]
    struct Log(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Log {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(buf);
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let rec = record_one(|| {
        checkout(&Db::with_prices(&[(1, 10)]), 4, vec![1]).unwrap();
    });
    let log = Log::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::registry()
        .with(
            tracing_subscriber::fmt::layer()
                .with_writer(move || writer.clone())
                .with_ansi(false)
                .with_span_events(tracing_subscriber::fmt::format::FmtSpan::CLOSE),
        )
        .with(playback::replay_layer());
    let playback = tracing::subscriber::with_default(subscriber, || {
        playback::replay(&rec, || checkout(&Db::default(), 4, vec![1]))
    })
    .unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    assert!(text.contains("checkout"), "fmt saw no span: {text}");
    assert!(text.contains("price_of"), "fmt saw no span: {text}");
}

static LIST_PRICE_CALLS: AtomicUsize = AtomicUsize::new(0);

#[playback::instrument(playback = "operation", category = "replay_auto_quote")]
fn auto_quote(skus: Vec<u64>, currency: &str) -> Result<u64, ShopError> {
    let mut total = 0;
    for sku in skus {
        total += list_price(sku)?;
    }
    Ok(if currency == "EUR" { total } else { total * 2 })
}

#[playback::instrument(playback = "input")]
fn list_price(sku: u64) -> Result<u64, ShopError> {
    LIST_PRICE_CALLS.fetch_add(1, Ordering::Relaxed);
    Ok(sku * 10)
}

#[playback::instrument(playback = "operation", name = "replay_auto_async")]
async fn auto_async(n: u64) -> u64 {
    tokio::task::yield_now().await;
    let price = unit_price_async(n).await;
    publish_async(price).await;
    price
}

#[playback::instrument(playback = "input")]
async fn unit_price_async(n: u64) -> u64 {
    tokio::task::yield_now().await;
    n * 7
}

/// Serializable but not deserializable: the operation cannot be called from a recording.
#[derive(Debug, Serialize)]
pub(crate) struct Opaque {
    n: u64,
}

#[playback::instrument(playback = "operation", category = "replay_auto_opaque")]
fn auto_opaque(o: Opaque) -> u64 {
    o.n
}

#[test]
fn replay_recording_calls_a_self_registered_operation_with_its_recorded_args() {
    let rec = record_one(|| {
        assert_eq!(auto_quote(vec![1, 2], "EUR"), Ok(30));
    });
    let live_calls = LIST_PRICE_CALLS.load(Ordering::Relaxed);
    let playback = playback::replay_recording(&rec).unwrap();
    assert_eq!(LIST_PRICE_CALLS.load(Ordering::Relaxed), live_calls);
    assert_eq!(playback.replayed().result(), &json!({"Ok": 30}));
    assert_eq!(playback.recorded(), playback.replayed());
    assert!(playback.unused().is_empty());
}

#[test]
fn replay_recording_drives_a_self_registered_async_operation() {
    let rec = {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        record_one(|| assert_eq!(rt.block_on(auto_async(6)), 42))
    };
    assert_eq!(rec.category(), "replay_auto_async");
    // blocking: on a fresh current-thread runtime
    let playback = playback::replay_recording(&rec).unwrap();
    assert_eq!(playback.replayed().result(), &json!(42));
    assert_eq!(playback.recorded(), playback.replayed());
    // inside a runtime: the blocking form refuses, the async one works
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let (blocking, awaited) = rt.block_on(async {
        (
            playback::replay_recording(&rec),
            playback::replay_recording_async(&rec).await,
        )
    });
    assert!(matches!(blocking, Err(ReplayError::InsideRuntime { .. })));
    assert_eq!(awaited.unwrap().replayed().result(), &json!(42));
}

#[test]
fn an_operation_with_an_argument_that_cannot_be_deserialized_asks_for_a_factory() {
    let rec = record_one(|| {
        assert_eq!(auto_opaque(Opaque { n: 3 }), 3);
    });
    let err = playback::replay_recording(&rec).unwrap_err();
    let ReplayError::NotReplayable { arg, type_name, .. } = &err else {
        panic!("expected not replayable, got {err}")
    };
    assert_eq!(arg, "o");
    assert!(type_name.ends_with("Opaque"), "{type_name}");
    assert!(err.to_string().contains("register"), "{err}");
    // the factory route
    let playback = Replayer::new()
        .register("replay_auto_opaque", |rec| {
            Ok(auto_opaque(Opaque {
                n: rec.arg::<serde_json::Value>("o")?["n"]
                    .as_u64()
                    .unwrap_or(0),
            }))
        })
        .replay_recording(&rec)
        .unwrap();
    assert_eq!(playback.replayed().result(), &json!(3));
}
