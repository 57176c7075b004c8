//! Recording through `#[playback::instrument]` and the layer.

use std::collections::HashMap;
use std::time::Duration;

use playback::{
    InterceptionKind, MemoryStore, Outcome, PlaybackGuard, PlaybackLayer, Query, Recording, Store,
};
use serde::{Deserialize, Serialize};
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Cart {
    pub(crate) id: u64,
    pub(crate) items: Vec<u64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum ShopError {
    NotFound(u64),
    Declined,
}

/// Not serializable: must be skipped.
pub(crate) struct Db {
    pub(crate) carts: HashMap<u64, Cart>,
}

#[playback::instrument(playback = "operation", skip(db))]
fn checkout(db: &Db, cart_id: u64) -> Result<u64, ShopError> {
    let cart = load_cart(db, cart_id)?;
    let price: u64 = cart.items.iter().sum();
    save_order(db, &cart, price)?;
    Ok(price)
}

#[playback::instrument(playback = "input", skip(db))]
fn load_cart(db: &Db, cart_id: u64) -> Result<Cart, ShopError> {
    db.carts
        .get(&cart_id)
        .cloned()
        .ok_or(ShopError::NotFound(cart_id))
}

#[playback::instrument(playback = "output", skip(_db))]
fn save_order(_db: &Db, cart: &Cart, price: u64) -> Result<u64, ShopError> {
    if price > 1000 {
        return Err(ShopError::Declined);
    }
    Ok(cart.id * 100)
}

#[playback::instrument(playback = "operation")]
async fn checkout_async(cart_id: u64) -> Result<u64, ShopError> {
    let cart = load_cart_async(cart_id).await?;
    tokio::task::yield_now().await;
    let rate = exchange_rate("EUR").await;
    tokio::task::yield_now().await;
    Ok((cart.items.iter().sum::<u64>() as f64 * rate) as u64)
}

#[playback::instrument(playback = "input")]
async fn load_cart_async(cart_id: u64) -> Result<Cart, ShopError> {
    tokio::task::yield_now().await;
    Ok(Cart {
        id: cart_id,
        items: vec![cart_id, 1],
    })
}

#[playback::instrument(playback = "input")]
async fn exchange_rate(currency: &str) -> f64 {
    let _ = currency;
    2.0
}

#[playback::instrument(playback = "operation")]
fn explode(n: u32) -> u32 {
    if n > 0 {
        panic!("exploded on {n}");
    }
    n
}

pub(crate) struct Service {
    pub(crate) base: u64,
}

impl Service {
    #[playback::instrument(playback = "operation", skip(self), category = "quote")]
    pub(crate) fn quote(&self, qty: u64) -> u64 {
        self.unit_price(qty) * qty
    }

    #[playback::instrument(playback = "input", skip(self))]
    pub(crate) fn unit_price(&self, qty: u64) -> u64 {
        self.base + qty
    }
}

pub(crate) fn db() -> Db {
    let mut carts = HashMap::new();
    carts.insert(
        1,
        Cart {
            id: 1,
            items: vec![10, 20],
        },
    );
    carts.insert(
        2,
        Cart {
            id: 2,
            items: vec![2000],
        },
    );
    Db { carts }
}

pub(crate) fn recorder(
    store: &MemoryStore,
) -> (impl tracing::Subscriber + Send + Sync, PlaybackGuard) {
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    (tracing_subscriber::registry().with(layer), guard)
}

pub(crate) fn all(store: &MemoryStore) -> Vec<Recording> {
    let mut v: Vec<Recording> = store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    v.sort_by(|a, b| a.id.cmp(&b.id));
    v
}

#[test]
fn records_a_sync_operation_with_its_args_result_and_interceptions() {
    let store = MemoryStore::new();
    let (subscriber, guard) = recorder(&store);
    let db = db();
    let price = tracing::subscriber::with_default(subscriber, || checkout(&db, 1));
    assert_eq!(price, Ok(30));
    assert!(guard.flush(Duration::from_secs(5)));
    let recs = all(&store);
    assert_eq!(recs.len(), 1);
    let rec = &recs[0];
    assert_eq!(rec.category, "checkout");
    assert!(
        rec.operation.ends_with("record::checkout"),
        "{}",
        rec.operation
    );
    assert_eq!(rec.outcome, Outcome::Ok);
    assert_eq!(rec.arg::<u64>("cart_id").unwrap(), 1);
    assert!(
        !rec.args.contains_key("db"),
        "skipped args are not recorded"
    );
    assert_eq!(
        rec.result.as_ref().unwrap().to_json(),
        serde_json::json!({"Ok": 30})
    );
    assert_eq!(rec.interceptions.len(), 2);
    let load = &rec.interceptions[0];
    assert_eq!(load.kind, InterceptionKind::Input);
    assert!(load.alias.ends_with("record::load_cart"));
    assert_eq!(load.key, Some(serde_json::json!({"cart_id": 1})));
    assert_eq!(
        load.value_json(),
        serde_json::json!({"Ok": {"id": 1, "items": [10, 20]}})
    );
    let save = &rec.interceptions[1];
    assert_eq!(save.kind, InterceptionKind::Output);
    assert_eq!(
        save.args_value(),
        serde_json::json!({"cart": {"id": 1, "items": [10, 20]}, "price": 30})
    );
    assert_eq!(save.value_json(), serde_json::json!({"Ok": 100}));
    assert!(save.signature.contains("price: u64"), "{}", save.signature);
}

#[test]
fn records_errors_from_inputs_outputs_and_the_operation() {
    let store = MemoryStore::new();
    let (subscriber, guard) = recorder(&store);
    let db = db();
    tracing::subscriber::with_default(subscriber, || {
        assert_eq!(checkout(&db, 9), Err(ShopError::NotFound(9)));
        assert_eq!(checkout(&db, 2), Err(ShopError::Declined));
    });
    assert!(guard.flush(Duration::from_secs(5)));
    let recs = all(&store);
    assert_eq!(recs.len(), 2);
    assert!(recs.iter().all(|r| r.outcome == Outcome::Error));
    let by_cart = |id: u64| {
        recs.iter()
            .find(|r| r.arg::<u64>("cart_id").unwrap() == id)
            .unwrap()
    };
    let missing = by_cart(9);
    assert_eq!(
        missing.interceptions.len(),
        1,
        "the operation stopped at the failed load"
    );
    assert!(
        missing.interceptions[0].error,
        "the failed load is marked as an error"
    );
    let declined = by_cart(2);
    assert_eq!(
        declined.interceptions[1].value_json(),
        serde_json::json!({"Err": "Declined"})
    );
    assert!(declined.interceptions[1].error);
    assert_eq!(
        declined.result.as_ref().unwrap().to_json(),
        serde_json::json!({"Err": "Declined"})
    );
}

#[test]
fn records_a_panic_and_lets_it_continue() {
    let store = MemoryStore::new();
    let (subscriber, guard) = recorder(&store);
    let caught =
        tracing::subscriber::with_default(subscriber, || std::panic::catch_unwind(|| explode(3)));
    assert!(caught.is_err(), "the panic reaches the caller");
    assert!(guard.flush(Duration::from_secs(5)));
    let rec = &all(&store)[0];
    assert_eq!(rec.outcome, Outcome::Panicked);
    assert_eq!(
        rec.result.as_ref().unwrap().to_json(),
        serde_json::json!({"panic": "exploded on 3"})
    );
}

#[test]
fn records_methods_without_self_and_with_a_custom_category() {
    let store = MemoryStore::new();
    let (subscriber, guard) = recorder(&store);
    let svc = Service { base: 5 };
    let v = tracing::subscriber::with_default(subscriber, || svc.quote(3));
    assert_eq!(v, 24);
    assert!(guard.flush(Duration::from_secs(5)));
    let rec = &all(&store)[0];
    assert_eq!(rec.category, "quote");
    assert_eq!(
        rec.interceptions[0].key,
        Some(serde_json::json!({"qty": 3}))
    );
}

#[test]
fn records_an_async_operation_on_a_current_thread_runtime() {
    let store = MemoryStore::new();
    let (subscriber, guard) = recorder(&store);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let v = rt.block_on(checkout_async(4).with_subscriber(subscriber));
    assert_eq!(v, Ok(10));
    assert!(guard.flush(Duration::from_secs(5)));
    let rec = &all(&store)[0];
    assert_eq!(rec.category, "checkout_async");
    let aliases: Vec<_> = rec
        .interceptions
        .iter()
        .map(|i| i.alias.rsplit("::").next().unwrap())
        .collect();
    assert_eq!(aliases, vec!["load_cart_async", "exchange_rate"]);
    assert_eq!(
        rec.interceptions[1].key,
        Some(serde_json::json!({"currency": "EUR"}))
    );
}

#[test]
fn a_thousand_concurrent_async_operations_each_record_only_their_own_calls() {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .queue_capacity(4096)
        .build()
        .unwrap();
    let dispatch = tracing::Dispatch::new(tracing_subscriber::registry().with(layer));
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .build()
        .unwrap();
    rt.block_on(async {
        let tasks: Vec<_> = (0..1000u64)
            .map(|n| tokio::spawn(checkout_async(n).with_subscriber(dispatch.clone())))
            .collect();
        for (n, t) in tasks.into_iter().enumerate() {
            let n = n as u64;
            assert_eq!(t.await.unwrap(), Ok((n + 1) * 2));
        }
    });
    assert!(guard.flush(Duration::from_secs(10)));
    let recs = all(&store);
    assert_eq!(recs.len(), 1000);
    for rec in &recs {
        let n: u64 = rec.arg("cart_id").unwrap();
        assert_eq!(rec.interceptions.len(), 2, "recording of {n}");
        assert_eq!(
            rec.interceptions[0].key,
            Some(serde_json::json!({"cart_id": n}))
        );
        assert_eq!(rec.interceptions[0].value_json()["Ok"]["id"], n);
        assert_eq!(
            rec.result.as_ref().unwrap().to_json(),
            serde_json::json!({"Ok": (n + 1) * 2})
        );
    }
}

#[test]
fn recording_json_snapshot() {
    let store = MemoryStore::new();
    let (subscriber, guard) = recorder(&store);
    let db = db();
    tracing::subscriber::with_default(subscriber, || checkout(&db, 1)).unwrap();
    assert!(guard.flush(Duration::from_secs(5)));
    let rec = &all(&store)[0];
    // the document exactly as a store writes it
    let doc: serde_json::Value = serde_json::from_slice(&rec.to_json().unwrap()).unwrap();
    insta::assert_json_snapshot!("recorded_checkout", doc, {
        ".id" => "[id]",
        ".recorded_at" => "[recorded_at]",
        ".duration_us" => "[duration]",
        ".interceptions[].site" => "[site]",
    });
}
