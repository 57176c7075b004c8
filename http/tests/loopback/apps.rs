//! The services under test: a shop (axum + SQLite) that calls a rates service over
//! reqwest, recorded with one `.layer(..)` line on each side.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use playback_http::{ClientMiddleware, RecordLayer};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// The credential the shop sends to the rates service: never stored.
pub(crate) const OUTGOING_TOKEN: &str = "Bearer SECRET-outgoing-token";

/// How the shop's code differs between the recording and a replay.
#[derive(Clone, Copy, Default)]
pub(crate) struct Variant {
    /// The candidate change: a 10% discount on quotes.
    pub(crate) discount: bool,
    /// The rates of `/pair` are fetched in the other order.
    pub(crate) reverse: bool,
    /// Quotes ask for the rate with an extra query parameter.
    pub(crate) precise: bool,
    /// Quotes add a volatile `ts` query parameter to the rates request.
    pub(crate) timestamped: bool,
}

/// A hyper client, recorded with `ClientLayer`.
type HyperClient = playback_http::ClientService<
    hyper_util::client::legacy::Client<
        hyper_util::client::legacy::connect::HttpConnector,
        http_body_util::Full<Bytes>,
    >,
>;

#[derive(Clone)]
struct Shop {
    db: Arc<Mutex<Connection>>,
    hyper: HyperClient,
    rates: reqwest_middleware::ClientWithMiddleware,
    rates_url: String,
    variant: Variant,
}

/// A database with a few products.
fn database() -> Connection {
    let conn = Connection::open_in_memory().unwrap();
    conn.execute_batch(
        "CREATE TABLE products (sku TEXT PRIMARY KEY, cents INTEGER NOT NULL);
         INSERT INTO products VALUES ('apple', 120), ('pear', 95), ('plum', 310);",
    )
    .unwrap();
    conn
}

/// The shop's routes, recorded by `RecordLayer`; its rates client records with
/// `ClientMiddleware`.
pub(crate) fn shop(rates_url: &str, variant: Variant) -> Router {
    let rates = reqwest_middleware::ClientBuilder::new(reqwest::Client::new())
        .with(ClientMiddleware::builder().ignore_query_param("ts").build())
        .build();
    let hyper = tower::ServiceBuilder::new()
        .layer(playback_http::ClientLayer::new())
        .service(
            hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new())
                .build_http(),
        );
    let shop = Shop {
        db: Arc::new(Mutex::new(database())),
        hyper,
        rates,
        rates_url: rates_url.to_owned(),
        variant,
    };
    Router::new()
        .route("/quote", post(quote))
        .route("/pair", get(pair))
        .route("/counter", get(counter_twice))
        .route("/relay", get(relay))
        .route("/jobs", post(job))
        .route("/hyper-rate", get(hyper_rate))
        .with_state(shop)
        .layer(RecordLayer::new())
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct QuoteRequest {
    pub(crate) sku: String,
    pub(crate) qty: u32,
    pub(crate) currency: String,
}

#[derive(Debug, Serialize, Deserialize)]
struct Rate {
    currency: String,
    rate: f64,
}

impl Shop {
    fn price(&self, sku: &str) -> Option<u64> {
        playback::input("db::price", &sku, || {
            let db = self.db.lock().unwrap();
            db.query_row("SELECT cents FROM products WHERE sku = ?1", [sku], |r| {
                r.get::<_, i64>(0).map(|c| c as u64)
            })
            .ok()
        })
    }

    async fn rate(&self, currency: &str, query: &str) -> f64 {
        let url = format!("{}/rates/{currency}{query}", self.rates_url);
        let res = self
            .rates
            .get(url)
            .header("authorization", OUTGOING_TOKEN)
            .send()
            .await
            .unwrap();
        res.json::<Rate>().await.unwrap().rate
    }

    async fn get_json(&self, path: &str) -> Value {
        let url = format!("{}{path}", self.rates_url);
        self.rates
            .get(url)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap()
    }
}

async fn quote(State(shop): State<Shop>, Json(req): Json<QuoteRequest>) -> Response {
    let Some(cents) = shop.price(&req.sku) else {
        return (StatusCode::NOT_FOUND, Json(json!({"error": "unknown sku"}))).into_response();
    };
    let query = match (shop.variant.precise, shop.variant.timestamped) {
        (true, _) => "?precision=4".to_owned(),
        (false, true) => format!("?ts={}", std::process::id() as u128 * 7919 + now_nanos()),
        _ => String::new(),
    };
    let rate = shop.rate(&req.currency, &query).await;
    let mut total = cents as f64 * f64::from(req.qty) * rate / 100.0;
    if shop.variant.discount {
        total *= 0.9;
    }
    let total = (total * 100.0).round() / 100.0;
    Json(json!({"sku": req.sku, "qty": req.qty, "currency": req.currency, "total": total}))
        .into_response()
}

async fn pair(State(shop): State<Shop>) -> Json<Value> {
    let (eur, usd) = if shop.variant.reverse {
        let usd = shop.rate("USD", "").await;
        (shop.rate("EUR", "").await, usd)
    } else {
        let eur = shop.rate("EUR", "").await;
        (eur, shop.rate("USD", "").await)
    };
    Json(json!({"EUR": eur, "USD": usd}))
}

async fn counter_twice(State(shop): State<Shop>) -> Json<Value> {
    let first = shop.get_json("/counter").await;
    let second = shop.get_json("/counter").await;
    Json(json!([first, second]))
}

async fn relay(State(shop): State<Shop>) -> Json<Vec<String>> {
    let mut res = shop
        .rates
        .get(format!("{}/stream", shop.rates_url))
        .send()
        .await
        .unwrap();
    let mut chunks = Vec::new();
    while let Some(chunk) = res.chunk().await.unwrap() {
        chunks.push(String::from_utf8(chunk.to_vec()).unwrap());
    }
    Json(chunks)
}

/// The GBP rate, asked over a hyper client.
async fn hyper_rate(State(shop): State<Shop>) -> Json<Value> {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let req = axum::http::Request::get(format!("{}/rates/GBP", shop.rates_url))
        .body(http_body_util::Full::new(Bytes::new()))
        .unwrap();
    let res = shop.hyper.clone().oneshot(req).await.unwrap();
    let status = res.status().as_u16();
    let bytes = res.into_body().collect().await.unwrap().to_bytes();
    let rate: Rate = serde_json::from_slice(&bytes).unwrap();
    Json(json!({"status": status, "rate": rate.rate}))
}

/// rpcreplay's initial state: a time-based unique name, recorded as a value.
async fn job() -> Json<Value> {
    let name: String = playback::value("initial", || format!("job-{}", now_nanos()));
    Json(json!({"name": name}))
}

fn now_nanos() -> u128 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos()
}

/// The rates service: rates, a counter that changes on every call, and a stream.
pub(crate) fn rates() -> Router {
    let counter = Arc::new(AtomicU64::new(0));
    Router::new()
        .route(
            "/rates/{currency}",
            get(|Path(currency): Path<String>| async move {
                let rate = match currency.as_str() {
                    "EUR" => 1.0,
                    "USD" => 1.0873,
                    "GBP" => 0.8542,
                    _ => return StatusCode::NOT_FOUND.into_response(),
                };
                Json(Rate { currency, rate }).into_response()
            }),
        )
        .route(
            "/counter",
            get(|State(counter): State<Arc<AtomicU64>>| async move {
                Json(json!({"n": counter.fetch_add(1, Ordering::SeqCst) + 1}))
            }),
        )
        .route(
            "/stream",
            get(|| async {
                let chunks = ["one ", "two ", "three"]
                    .map(|c| Ok::<_, std::convert::Infallible>(Bytes::from_static(c.as_bytes())));
                Body::from_stream(futures::stream::iter(chunks))
            }),
        )
        .with_state(counter)
}
