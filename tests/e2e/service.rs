//! Stateful handlers replay with one provided value per type: `#[playback::service]`
//! methods, `skip(db)` state, axum's `State<T>` and destructured extractors.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::Json;
use axum::extract::{Path, State};
use playback::{PlaybackLayer, Recording, ReplayError, Replayer};
use serde::{Deserialize, Serialize};
use serde_json::json;

use crate::support::record_with;

/// Real state: replay never touches it, so `for_replay` is empty.
#[derive(Debug, Default)]
struct Db {
    stock: Mutex<HashMap<String, u32>>,
}

impl Db {
    fn seeded() -> Db {
        let db = Db::default();
        db.stock.lock().unwrap().insert("apple".into(), 3);
        db.stock.lock().unwrap().insert("pear".into(), 0);
        db
    }
}

#[derive(Debug)]
struct Inventory {
    db: Db,
    markup: u32,
}

#[playback::service]
impl Inventory {
    #[playback::instrument(playback = "operation", skip(self))]
    async fn available(&self, sku: String) -> bool {
        tokio::task::yield_now().await;
        self.count(&sku) > 0
    }

    #[playback::instrument(playback = "operation", skip(self), category = "price")]
    fn price(&self, sku: String, base: u32) -> u32 {
        base + self.markup * self.count(&sku)
    }

    #[playback::instrument(playback = "operation")]
    fn label(sku: String) -> String {
        format!("[{sku}]")
    }

    #[playback::instrument(playback = "input", skip(self))]
    fn count(&self, sku: &str) -> u32 {
        self.db.stock.lock().unwrap().get(sku).copied().unwrap_or(0)
    }
}

/// A free handler with skipped state.
#[playback::instrument(playback = "operation", skip(db))]
fn restock(db: &Db, sku: String, qty: u32) -> u32 {
    stock_of(db, &sku) + qty
}

#[playback::instrument(playback = "input", skip(db))]
fn stock_of(db: &Db, sku: &str) -> u32 {
    db.stock.lock().unwrap().get(sku).copied().unwrap_or(0)
}

#[derive(Clone, Debug)]
struct AppState {
    greeting: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Order {
    qty: u32,
}

/// An axum-style handler: `State` is never recorded, `Path` and `Json` by their inner value.
#[playback::instrument(playback = "operation")]
async fn order(
    State(app): State<AppState>,
    Path(sku): Path<String>,
    Json(o): Json<Order>,
) -> String {
    format!("{}: {} x{}", greeting(&app), sku, o.qty)
}

/// The state is read through an input, so replay never depends on the provided value.
#[playback::instrument(playback = "input", skip(app))]
fn greeting(app: &AppState) -> String {
    app.greeting.clone()
}

fn record<R>(f: impl FnOnce() -> R) -> (Vec<Recording>, R) {
    let (recs, _guard, r) = record_with(PlaybackLayer::builder(), f);
    (recs, r)
}

fn replayer() -> Replayer {
    // one line per type, for every operation that takes it
    Replayer::new()
        .provide(|| Inventory {
            db: Db::default(),
            markup: 10,
        })
        .provide(Db::default)
        .provide(|| AppState {
            greeting: "unused".into(),
        })
}

#[test]
fn service_methods_skipped_state_and_extractors_replay_with_one_provider_per_type() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let inv = Inventory {
        db: Db::seeded(),
        markup: 10,
    };
    let db = Db::seeded();
    let app = AppState {
        greeting: "hi".into(),
    };
    let (recs, results) = record(|| {
        let available = rt.block_on(async {
            (
                inv.available("apple".into()).await,
                inv.available("pear".into()).await,
            )
        });
        let price = inv.price("apple".into(), 100);
        let label = Inventory::label("kiwi".into());
        let restocked = restock(&db, "apple".into(), 2);
        let ordered = rt.block_on(order(
            State(app.clone()),
            Path("fig".into()),
            Json(Order { qty: 2 }),
        ));
        (available, price, label, restocked, ordered)
    });
    assert_eq!(
        results,
        (
            (true, false),
            130,
            "[kiwi]".to_owned(),
            5,
            "hi: fig x2".to_owned()
        )
    );
    assert_eq!(recs.len(), 6);
    let order_rec = recs.iter().find(|r| r.category == "order").unwrap();
    // the state is not recorded; the extractors are, by their inner value
    assert_eq!(order_rec.args.keys().collect::<Vec<_>>(), ["o", "sku"]);
    assert_eq!(order_rec.arg::<String>("sku").unwrap(), "fig");

    let replayer = replayer();
    for rec in &recs {
        let playback = replayer
            .replay_recording(rec)
            .unwrap_or_else(|e| panic!("{}: {e}", rec.category));
        assert_eq!(playback.recorded(), playback.replayed(), "{}", rec.category);
        assert!(playback.unused().is_empty(), "{}", rec.category);
    }
    // the replayed values come from the recording, not from the provided empty state
    let price = recs.iter().find(|r| r.category == "price").unwrap();
    assert_eq!(
        replayer
            .replay_recording(price)
            .unwrap()
            .replayed()
            .result(),
        &json!(130)
    );
}

#[test]
fn a_missing_provider_names_the_type_and_the_line_that_fixes_it() {
    let db = Db::seeded();
    let (recs, _) = record(|| restock(&db, "apple".into(), 1));
    let err = Replayer::new().replay_recording(&recs[0]).unwrap_err();
    match &err {
        ReplayError::MissingProvider {
            category,
            arg,
            type_name,
        } => {
            assert_eq!(category, "restock");
            assert_eq!(*arg, "db");
            assert!(type_name.ends_with("Db"), "{type_name}");
        }
        other => panic!("expected MissingProvider, got {other}"),
    }
    let text = err.to_string();
    assert!(text.contains("Replayer::new().provide(||"), "{text}");
}

#[playback::instrument(playback = "operation", skip(db))]
async fn audit(db: &Db, sku: String) -> u32 {
    tokio::task::yield_now().await;
    stock_of(db, &sku)
}

#[test]
fn an_async_operation_registered_with_register_gets_a_hint_naming_register_async() {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .unwrap();
    let db = Db::seeded();
    let (recs, _) = record(|| rt.block_on(audit(&db, "apple".into())));
    #[allow(
        clippy::let_underscore_future,
        reason = "the mistake this test is about"
    )]
    let replayer = Replayer::new().register("audit", |rec| {
        let sku: String = rec.arg("sku")?;
        let db = Db::default();
        // the future is created, never awaited
        let _ = async move { audit(&db, sku).await };
        Ok(())
    });
    let err = replayer.replay_recording(&recs[0]).unwrap_err();
    assert!(matches!(err, ReplayError::NoOperation { .. }), "{err}");
    assert!(err.to_string().contains("register_async"), "{err}");
}
