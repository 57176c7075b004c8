//! The demo's service: a small shop over HTTP (axum), with a real embedded database
//! (SQLite), a real outgoing dependency (an exchange-rate service called over HTTP) and
//! a real notification outbox (a file).
//!
//! Each route's handler calls one *operation*. Reading the database and calling the
//! exchange-rate service are *inputs*; writing an order and sending a notification are
//! *outputs*. Pricing is plain code, recorded by nothing: that is what a replay tests.
//!
//! The routes are in `http.rs`. Every instrumented function names its `alias`, so
//! recordings keep the same names whichever binary (the example or the test) records
//! or replays them.

use std::fs::OpenOptions;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, MutexGuard, PoisonError};
use std::time::{Duration, UNIX_EPOCH};

use anyhow::Context as _;
use axum::http::StatusCode;
use rusqlite::{Connection, OptionalExtension as _, params};
use serde::{Deserialize, Serialize};

/// The candidate change the demo replays: currency conversion truncates fractional
/// cents instead of rounding them. Off in production; the demo switches it on for the
/// second replay.
pub(crate) static CANDIDATE_PRICING: AtomicBool = AtomicBool::new(false);

/// How a converted amount is rounded to the hundredth of a currency. Production
/// rounds to the nearest (and the candidate change truncates); a scenario matrix
/// (`examples/matrix.rs`) replays quotes under each mode through the shop it gives the
/// replay ([`Shop::detached_with`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum Rounding {
    Nearest,
    Floor,
    Ceil,
}

/// The catalog the database starts with: sku, name, price in euro cents, stock.
const CATALOG: [(&str, &str, u64, u32); 6] = [
    ("kettle", "Electric kettle", 3499, 1_000_000),
    ("teapot", "Cast-iron teapot", 2250, 1_000_000),
    ("mug", "Stoneware mug", 799, 1_000_000),
    ("grinder", "Burr coffee grinder", 8999, 1_000_000),
    ("scale", "Pour-over scale", 4575, 1_000_000),
    ("espresso", "Espresso machine", 54900, 0),
];

/// A product, as stored in the catalog.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Product {
    pub(crate) sku: String,
    pub(crate) name: String,
    pub(crate) price_cents: u64,
    pub(crate) stock: u32,
}

/// `POST /quote`: the price of `qty` × `sku` in `currency`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct QuoteRequest {
    pub(crate) sku: String,
    pub(crate) qty: u32,
    pub(crate) currency: String,
}

/// The answer to a quote.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Quote {
    pub(crate) sku: String,
    pub(crate) qty: u32,
    pub(crate) currency: String,
    pub(crate) rate: f64,
    /// In euro cents, volume discount applied.
    pub(crate) subtotal_eur_cents: u64,
    /// In hundredths of `currency`.
    pub(crate) total: u64,
}

/// `POST /checkout`: `customer` buys `qty` × `sku`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct CheckoutRequest {
    pub(crate) customer: String,
    pub(crate) sku: String,
    pub(crate) qty: u32,
}

/// An order about to be written.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct NewOrder {
    pub(crate) customer: String,
    pub(crate) sku: String,
    pub(crate) qty: u32,
    pub(crate) total_cents: u64,
    pub(crate) placed_at: u64,
}

/// A placed order, as the checkout returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Order {
    pub(crate) id: u64,
    pub(crate) customer: String,
    pub(crate) sku: String,
    pub(crate) qty: u32,
    pub(crate) total_cents: u64,
    pub(crate) placed_at: u64,
}

/// A message for the customer, appended to the outbox.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) struct Notification {
    pub(crate) to: String,
    pub(crate) text: String,
}

/// What can go wrong, as the shop's API reports it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub(crate) enum ShopError {
    UnknownProduct {
        sku: String,
    },
    UnknownCurrency {
        currency: String,
    },
    InvalidQuantity {
        qty: u32,
    },
    OutOfStock {
        sku: String,
        requested: u32,
        available: u32,
    },
    /// A dependency failed or is not there (in a replay, nothing is there).
    Unavailable {
        what: String,
    },
}

impl ShopError {
    pub(crate) fn unavailable(what: impl std::fmt::Display) -> Self {
        ShopError::Unavailable {
            what: what.to_string(),
        }
    }
}

/// What the exchange-rate service answers.
#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct RateBody {
    pub(crate) currency: String,
    pub(crate) rate: f64,
}

/// The shop's dependencies. A [`Shop::detached`] one has none: replays use it, since
/// the recorded inputs and outputs stand in for every dependency.
#[derive(Debug)]
pub(crate) struct Shop {
    db: Option<Mutex<Connection>>,
    rates: Option<RatesClient>,
    outbox: Option<PathBuf>,
    /// A fixed rounding mode; `None`: production's (see [`convert`]).
    rounding: Option<Rounding>,
}

#[derive(Debug)]
struct RatesClient {
    http: reqwest::Client,
    base_url: String,
}

impl Shop {
    /// Creates the database file with the catalog and an empty order table.
    pub(crate) fn create_database(path: &Path) -> anyhow::Result<()> {
        let db = Connection::open(path)
            .with_context(|| format!("failed to create the database {}", path.display()))?;
        db.execute_batch(
            "PRAGMA journal_mode = WAL;
             CREATE TABLE products (sku TEXT PRIMARY KEY, name TEXT NOT NULL,
                                    price_cents INTEGER NOT NULL, stock INTEGER NOT NULL);
             CREATE TABLE orders (id INTEGER PRIMARY KEY AUTOINCREMENT, customer TEXT NOT NULL,
                                  sku TEXT NOT NULL, qty INTEGER NOT NULL,
                                  total_cents INTEGER NOT NULL, placed_at INTEGER NOT NULL);",
        )?;
        for (sku, name, price, stock) in CATALOG {
            db.execute(
                "INSERT INTO products (sku, name, price_cents, stock) VALUES (?1, ?2, ?3, ?4)",
                params![sku, name, price as i64, stock],
            )?;
        }
        Ok(())
    }

    /// Connects to the database at `db`, the exchange-rate service at `rates_url`, and
    /// the outbox file `outbox`.
    pub(crate) fn open(db: &Path, rates_url: &str, outbox: &Path) -> anyhow::Result<Shop> {
        let conn = Connection::open(db)
            .with_context(|| format!("failed to open the database {}", db.display()))?;
        conn.execute_batch("PRAGMA synchronous = NORMAL;")?;
        conn.busy_timeout(Duration::from_secs(5))?;
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(5))
            .build()
            .context("failed to build the exchange-rate client")?;
        Ok(Shop {
            db: Some(Mutex::new(conn)),
            rates: Some(RatesClient {
                http,
                base_url: rates_url.to_owned(),
            }),
            outbox: Some(outbox.to_owned()),
            rounding: None,
        })
    }

    /// A shop without database, exchange-rate service or outbox.
    pub(crate) fn detached() -> Shop {
        Shop {
            db: None,
            rates: None,
            outbox: None,
            rounding: None,
        }
    }

    /// A detached shop that rounds converted amounts with `rounding`.
    // `allow`, not `expect`: examples/matrix.rs uses it, the demo binary does not
    #[allow(dead_code)]
    pub(crate) fn detached_with(rounding: Rounding) -> Shop {
        Shop {
            rounding: Some(rounding),
            ..Shop::detached()
        }
    }

    fn db(&self) -> Result<MutexGuard<'_, Connection>, ShopError> {
        let db = self
            .db
            .as_ref()
            .ok_or_else(|| ShopError::unavailable("the database is not connected"))?;
        Ok(db.lock().unwrap_or_else(PoisonError::into_inner))
    }
}

fn db_error(e: rusqlite::Error) -> ShopError {
    ShopError::unavailable(format!("database: {e}"))
}

// ---------------------------------------------------------------------------------
// Pricing: plain code, the part a replay puts to the test.
// ---------------------------------------------------------------------------------

/// The price of `qty` units in euro cents: 10% off from 5 units on, rounded down to
/// the cent.
pub(crate) fn line_total(price_cents: u64, qty: u32) -> u64 {
    let gross = price_cents * u64::from(qty);
    if qty >= 5 { gross * 90 / 100 } else { gross }
}

/// Euro cents in hundredths of a currency worth `rate` per euro: rounded to the
/// nearest hundredth, or, with the candidate change, truncated.
/// `rounding` fixes the mode (`None`: production's).
pub(crate) fn convert(cents: u64, rate: f64, rounding: Option<Rounding>) -> u64 {
    let exact = cents as f64 * rate;
    let rounding = rounding.unwrap_or(if CANDIDATE_PRICING.load(Ordering::Relaxed) {
        Rounding::Floor
    } else {
        Rounding::Nearest
    });
    let converted = match rounding {
        Rounding::Nearest => exact.round(),
        Rounding::Floor => exact.floor(),
        Rounding::Ceil => exact.ceil(),
    };
    converted as u64
}

// ---------------------------------------------------------------------------------
// Operations: one per route.
// ---------------------------------------------------------------------------------

/// `GET /products`.
#[playback::instrument(playback = "operation", alias = "shop::catalog", skip(shop))]
pub(crate) async fn catalog(shop: &Shop) -> Result<Vec<Product>, ShopError> {
    let mut products = all_products(shop)?;
    products.retain(|p| p.stock > 0);
    Ok(products)
}

/// `GET /products/{sku}`.
#[playback::instrument(playback = "operation", alias = "shop::product", skip(shop))]
pub(crate) async fn product(shop: &Shop, sku: String) -> Result<Product, ShopError> {
    load_product(shop, &sku)
}

/// `POST /quote`.
#[playback::instrument(playback = "operation", alias = "shop::quote", skip(shop))]
pub(crate) async fn quote(shop: &Shop, req: QuoteRequest) -> Result<Quote, ShopError> {
    if req.qty == 0 {
        return Err(ShopError::InvalidQuantity { qty: req.qty });
    }
    let product = load_product(shop, &req.sku)?;
    let rate = exchange_rate(shop, &req.currency).await?;
    let subtotal = line_total(product.price_cents, req.qty);
    Ok(Quote {
        total: convert(subtotal, rate, shop.rounding),
        subtotal_eur_cents: subtotal,
        rate,
        sku: req.sku,
        qty: req.qty,
        currency: req.currency,
    })
}

/// `POST /checkout`.
#[playback::instrument(playback = "operation", alias = "shop::checkout", skip(shop))]
pub(crate) async fn checkout(shop: &Shop, req: CheckoutRequest) -> Result<Order, ShopError> {
    playback::metadata("customer", &req.customer);
    if req.qty == 0 {
        return Err(ShopError::InvalidQuantity { qty: req.qty });
    }
    let product = load_product(shop, &req.sku)?;
    if product.stock < req.qty {
        return Err(ShopError::OutOfStock {
            sku: req.sku,
            requested: req.qty,
            available: product.stock,
        });
    }
    let placed_at = playback::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let new = NewOrder {
        customer: req.customer,
        sku: req.sku,
        qty: req.qty,
        total_cents: line_total(product.price_cents, req.qty),
        placed_at,
    };
    let id = save_order(shop, &new)?;
    let note = Notification {
        to: new.customer.clone(),
        text: format!(
            "Order #{id}: {} x {}, {}.{:02} EUR",
            new.qty,
            product.name,
            new.total_cents / 100,
            new.total_cents % 100
        ),
    };
    notify(shop, &note)?;
    Ok(Order {
        id,
        customer: new.customer,
        sku: new.sku,
        qty: new.qty,
        total_cents: new.total_cents,
        placed_at: new.placed_at,
    })
}

// ---------------------------------------------------------------------------------
// Inputs: what the shop reads from the world.
// ---------------------------------------------------------------------------------

/// Reads every product from the database.
#[playback::instrument(playback = "input", alias = "shop::all_products", skip(shop))]
fn all_products(shop: &Shop) -> Result<Vec<Product>, ShopError> {
    let db = shop.db()?;
    let mut stmt = db
        .prepare("SELECT sku, name, price_cents, stock FROM products ORDER BY sku")
        .map_err(db_error)?;
    let rows = stmt.query_map([], product_from_row).map_err(db_error)?;
    rows.collect::<Result<_, _>>().map_err(db_error)
}

/// Reads one product from the database.
#[playback::instrument(playback = "input", alias = "shop::load_product", skip(shop))]
fn load_product(shop: &Shop, sku: &str) -> Result<Product, ShopError> {
    let db = shop.db()?;
    db.query_row(
        "SELECT sku, name, price_cents, stock FROM products WHERE sku = ?1",
        [sku],
        product_from_row,
    )
    .optional()
    .map_err(db_error)?
    .ok_or_else(|| ShopError::UnknownProduct {
        sku: sku.to_owned(),
    })
}

fn product_from_row(row: &rusqlite::Row<'_>) -> rusqlite::Result<Product> {
    Ok(Product {
        sku: row.get(0)?,
        name: row.get(1)?,
        price_cents: row.get::<_, i64>(2)?.unsigned_abs(),
        stock: row.get(3)?,
    })
}

/// Asks the exchange-rate service how many units of `currency` one euro buys.
#[playback::instrument(playback = "input", alias = "shop::exchange_rate", skip(shop))]
async fn exchange_rate(shop: &Shop, currency: &str) -> Result<f64, ShopError> {
    let rates = shop
        .rates
        .as_ref()
        .ok_or_else(|| ShopError::unavailable("the exchange-rate service is not connected"))?;
    let url = format!("{}/rates/{currency}", rates.base_url);
    let response = rates
        .http
        .get(url)
        .send()
        .await
        .map_err(|e| ShopError::unavailable(format!("exchange-rate service: {e}")))?;
    if response.status() == StatusCode::NOT_FOUND {
        return Err(ShopError::UnknownCurrency {
            currency: currency.to_owned(),
        });
    }
    let body: RateBody = response
        .error_for_status()
        .map_err(|e| ShopError::unavailable(format!("exchange-rate service: {e}")))?
        .json()
        .await
        .map_err(|e| ShopError::unavailable(format!("exchange-rate service: {e}")))?;
    Ok(body.rate)
}

// ---------------------------------------------------------------------------------
// Outputs: what the shop does to the world.
// ---------------------------------------------------------------------------------

/// Writes the order and takes its units out of stock; returns the order's id.
#[playback::instrument(playback = "output", alias = "shop::save_order", skip(shop))]
fn save_order(shop: &Shop, order: &NewOrder) -> Result<u64, ShopError> {
    let mut db = shop.db()?;
    let tx = db.transaction().map_err(db_error)?;
    let taken = tx
        .execute(
            "UPDATE products SET stock = stock - ?1 WHERE sku = ?2 AND stock >= ?1",
            params![order.qty, order.sku],
        )
        .map_err(db_error)?;
    if taken == 0 {
        return Err(ShopError::OutOfStock {
            sku: order.sku.clone(),
            requested: order.qty,
            available: 0,
        });
    }
    tx.execute(
        "INSERT INTO orders (customer, sku, qty, total_cents, placed_at) VALUES (?1, ?2, ?3, ?4, ?5)",
        params![
            order.customer,
            order.sku,
            order.qty,
            order.total_cents as i64,
            order.placed_at as i64
        ],
    )
    .map_err(db_error)?;
    let id = tx.last_insert_rowid();
    tx.commit().map_err(db_error)?;
    u64::try_from(id).map_err(|_| ShopError::unavailable("database: negative order id"))
}

/// Appends a notification to the outbox (one JSON document a line).
#[playback::instrument(playback = "output", alias = "shop::notify", skip(shop))]
fn notify(shop: &Shop, note: &Notification) -> Result<(), ShopError> {
    let path = shop
        .outbox
        .as_ref()
        .ok_or_else(|| ShopError::unavailable("the outbox is not connected"))?;
    let mut line = serde_json::to_vec(note).map_err(ShopError::unavailable)?;
    line.push(b'\n');
    OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .and_then(|mut f| f.write_all(&line))
        .map_err(|e| ShopError::unavailable(format!("outbox: {e}")))
}

// ---------------------------------------------------------------------------------
// Replay: every operation registered itself; the shop each one takes (a skipped
// argument) is the one value the replayer provides, by type.
// ---------------------------------------------------------------------------------

/// Replays the shop's operations with no database, exchange-rate service or outbox:
/// every input and output comes from the recording, so a detached shop is enough.
pub(crate) fn replayer() -> playback::Replayer {
    playback::Replayer::new().provide(Shop::detached)
}

/// The skus of the catalog, the out-of-stock one included.
pub(crate) fn skus() -> impl Iterator<Item = &'static str> {
    CATALOG.iter().map(|(sku, ..)| *sku)
}
