//! Records an axum service and the reqwest calls it makes, each with one `.layer(..)`
//! line, then stops the service it calls and replays every recording with no network.
//!
//! ```sh
//! cargo run --example http_grpc --features http
//! ```
//!
//! The shop (axum) reads a price from SQLite (an input) and asks a rates service for an
//! exchange rate over reqwest (`ClientMiddleware`). Each request to the shop is an
//! operation (`RecordLayer`). The replay sends each recorded request through the same
//! router (`Replayer::http_service`): all Equal; then through a candidate with a
//! discount, which the report shows at `/result/body/total`.
//!
//! The gRPC leg, a tonic shop calling a tonic catalog, is `examples/grpc.rs`
//! (`cargo run --example grpc --features grpc`).

use std::sync::{Arc, Mutex};

use axum::extract::{Path, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use playback::http::reqwest_middleware::{ClientBuilder, ClientWithMiddleware};
use playback::http::{ClientMiddleware, RecordLayer, ReplayerExt as _};
use playback::{DirStore, Equalizer, PlaybackLayer, Progress, Query, Replayer, Status, Store};
use serde_json::{Value, json};
use tracing_subscriber::prelude::*;

#[derive(Clone)]
struct Shop {
    db: Arc<Mutex<rusqlite::Connection>>,
    rates: ClientWithMiddleware,
    rates_url: String,
    discount: f64,
}

async fn quote(State(shop): State<Shop>, Json(req): Json<Value>) -> Json<Value> {
    let sku = req["sku"].as_str().unwrap_or_default().to_owned();
    let currency = req["currency"].as_str().unwrap_or("EUR").to_owned();
    let cents: i64 = playback::input("db::price", &sku, || {
        let db = shop.db.lock().unwrap();
        db.query_row("SELECT cents FROM products WHERE sku = ?1", [&sku], |r| {
            r.get(0)
        })
        .unwrap_or(0)
    });
    let url = format!("{}/rates/{currency}", shop.rates_url);
    let rate: Value = shop
        .rates
        .get(url)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let total = cents as f64 * rate["rate"].as_f64().unwrap_or(1.0) * shop.discount / 100.0;
    Json(json!({"sku": sku, "currency": currency, "total": (total * 100.0).round() / 100.0}))
}

/// The shop as production builds it: one line for the server side, one for the client.
fn shop(rates_url: &str, discount: f64) -> Router {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    db.execute_batch(
        "CREATE TABLE products (sku TEXT, cents INTEGER);
         INSERT INTO products VALUES ('apple', 120), ('pear', 95), ('plum', 310);",
    )
    .unwrap();
    let rates = ClientBuilder::new(reqwest::Client::new())
        .with(ClientMiddleware::new())
        .build();
    let state = Shop {
        db: Arc::new(Mutex::new(db)),
        rates,
        rates_url: rates_url.to_owned(),
        discount,
    };
    Router::new()
        .route("/quote", post(quote))
        .with_state(state)
        .layer(RecordLayer::new())
}

fn rates() -> Router {
    Router::new().route(
        "/rates/{currency}",
        get(|Path(c): Path<String>| async move {
            let rate = if c == "USD" { 1.0873 } else { 0.8542 };
            Json(json!({"currency": c, "rate": rate}))
        }),
    )
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = DirStore::new(dir.path())?;
    let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
    let recording = tracing_subscriber::registry().with(layer).set_default();

    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let rates_url = rt.block_on(async {
        let rates_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let rates_url = format!("http://{}", rates_listener.local_addr()?);
        let rates_server = tokio::spawn(async move { axum::serve(rates_listener, rates()).await });
        let shop_listener = tokio::net::TcpListener::bind("127.0.0.1:0").await?;
        let shop_url = format!("http://{}", shop_listener.local_addr()?);
        let shop_router = shop(&rates_url, 1.0);
        tokio::spawn(async move { axum::serve(shop_listener, shop_router).await });
        let client = reqwest::Client::new();
        for (i, sku) in ["apple", "pear", "plum"]
            .iter()
            .cycle()
            .take(30)
            .enumerate()
        {
            let currency = if i % 2 == 0 { "USD" } else { "GBP" };
            client
                .post(format!("{shop_url}/quote"))
                .header("authorization", "Bearer never-stored")
                .json(&json!({"sku": sku, "currency": currency}))
                .send()
                .await?
                .error_for_status()?;
        }
        rates_server.abort();
        Ok::<_, Box<dyn std::error::Error>>(rates_url)
    })?;
    drop(rt);
    guard.flush(std::time::Duration::from_secs(5));
    drop(recording);
    let recordings = store.find(&Query::all())?;
    println!(
        "recorded {} requests; the rates service is stopped",
        recordings.len()
    );

    for (name, discount) in [("same code", 1.0), ("10% discount", 0.9)] {
        let replayer = Replayer::new().http_service(shop(&rates_url, discount));
        let report = Equalizer::new(store.find(&Query::all())?)
            .replayer(replayer)
            .progress(Progress::Never)
            .run();
        let counts = report.counts();
        println!(
            "{name}: {} equal, {} different",
            counts.equal, counts.different
        );
        if let Some(c) = report
            .comparisons
            .iter()
            .find(|c| c.status == Status::Different)
        {
            for d in &c.differences {
                let show = |v: &Option<Value>| v.as_ref().map_or("-".to_owned(), Value::to_string);
                let (was, now) = (show(&d.recorded), show(&d.replayed));
                println!("  e.g. {} at {}: {was} -> {now}", c.category, d.path);
            }
        }
    }
    Ok(())
}
