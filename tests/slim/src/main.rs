//! A recording-only service: `playback = { default-features = false }`.
//!
//! It serves a batch of orders with the playback layer installed. Each order is an
//! operation with one input (a price lookup) and one output (saving the order), recorded
//! into a `MemoryStore`. It prints how many recordings arrived and fails if any is missing.
//!
//! With `record-and-exit <dir> <write_through|flush_on_exit> <return|exit>`, it installs
//! the layer globally instead, keeps the guard in a `static` (never dropped), records
//! [`EXIT_ORDERS`] orders into a `DirStore` at `<dir>`, and ends by returning from `main`
//! or by calling `std::process::exit`: `tests/exit.rs` checks that every recording arrives.
//!
//! With `write-cost <n>`, it times `n` orders through the background writer and with
//! `write_through`, into a `MemoryStore` and a `DirStore` in a temporary directory, and
//! prints what the caller pays per order (a plain timing loop, for BENCHMARKS.md).
//!
//! ```sh
//! cd tests/slim && cargo run --locked --release -- 1000
//! cd tests/slim && cargo run --locked --release -- write-cost 5000
//! cd tests/slim && cargo test --locked
//! ```

use std::sync::OnceLock;
use std::time::{Duration, Instant};

use playback::{
    DirStore, MemoryStore, PlaybackGuard, PlaybackLayer, PlaybackLayerBuilder, Query, Store,
};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

/// What an order saves.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Saved {
    order: u64,
    total: u64,
}

/// An operation. It has no `skip`, so with the `replay` feature it would register itself
/// for automatic replay: without it, that registration must compile to nothing.
#[playback::instrument(playback = "operation")]
fn place_order(customer: u64, sku: &str, quantity: u32) -> Result<Saved, String> {
    let price = unit_price(sku)?;
    let total = price * u64::from(quantity);
    Ok(save_order(customer, sku, total))
}

/// An input: a catalogue lookup.
#[playback::instrument(playback = "input")]
fn unit_price(sku: &str) -> Result<u64, String> {
    match sku {
        "" => Err("empty sku".to_owned()),
        sku => Ok(100 + sku.len() as u64),
    }
}

/// An output: the order is written somewhere.
#[playback::instrument(playback = "output")]
fn save_order(customer: u64, sku: &str, total: u64) -> Saved {
    Saved {
        order: customer * 1000 + sku.len() as u64,
        total,
    }
}

/// Serves `orders` orders with the layer installed, and returns the store and how many
/// recordings the layer says it wrote.
fn serve(orders: u64) -> Result<(MemoryStore, u64), Box<dyn std::error::Error>> {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
    let subscriber = tracing_subscriber::registry().with(layer);
    tracing::subscriber::with_default(subscriber, || {
        for customer in 0..orders {
            let sku = if customer % 10 == 9 { "" } else { "book" };
            let _ = place_order(customer, sku, 2);
        }
    });
    if !guard.flush(Duration::from_secs(10)) {
        return Err("the recordings were not written within 10 s".into());
    }
    Ok((store, guard.stats().snapshot().recorded))
}

/// How many orders `record-and-exit` records.
const EXIT_ORDERS: u64 = 25;

/// The guard of the global layer in `record-and-exit`: never dropped.
static GUARD: OnceLock<PlaybackGuard> = OnceLock::new();

/// Records with the layer installed globally and its guard in a `static`; the caller
/// then ends the process without dropping it.
fn record_globally(dir: &str, mode: &str) -> Result<(), Box<dyn std::error::Error>> {
    let builder = PlaybackLayer::builder().store(DirStore::new(dir)?);
    let builder = match mode {
        "write_through" => builder.write_through(true),
        "flush_on_exit" => builder.flush_on_exit(true),
        "none" => builder,
        other => return Err(format!("unknown mode {other}").into()),
    };
    let (layer, guard) = builder.build()?;
    tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer))?;
    let _ = GUARD.set(guard);
    for customer in 0..EXIT_ORDERS {
        let _ = place_order(customer, "book", 1);
    }
    Ok(())
}

/// Times `orders` orders with the layer from `builder`, and prints what the caller paid
/// per order and how long the flush that followed took.
fn time_orders(
    name: &str,
    builder: PlaybackLayerBuilder,
    orders: u64,
) -> Result<(), Box<dyn std::error::Error>> {
    let (layer, guard) = builder.build()?;
    let subscriber = tracing_subscriber::registry().with(layer);
    let caller = tracing::subscriber::with_default(subscriber, || {
        let start = Instant::now();
        for customer in 0..orders {
            let _ = std::hint::black_box(place_order(customer, "book", 1));
        }
        start.elapsed()
    });
    let start = Instant::now();
    if !guard.flush(Duration::from_secs(120)) {
        return Err("the flush timed out".into());
    }
    let flush = start.elapsed();
    let per_order = caller.as_secs_f64() * 1e6 / orders as f64;
    let recorded = guard.stats().snapshot().recorded;
    println!(
        "{name:<28} caller {per_order:>8.1} µs/order, then flush {flush:>10.1?}, recorded {recorded}"
    );
    Ok(())
}

/// `write-cost <n>`: the background writer against `write_through`.
fn write_cost(orders: u64) -> Result<(), Box<dyn std::error::Error>> {
    let dir = std::env::temp_dir().join(format!("playback-write-cost-{}", std::process::id()));
    let builder = || PlaybackLayer::builder().queue_capacity(orders as usize + 1);
    time_orders(
        "queue, MemoryStore",
        builder().store(MemoryStore::new()),
        orders,
    )?;
    let store = MemoryStore::new();
    time_orders(
        "write_through, MemoryStore",
        builder().store(store).write_through(true),
        orders,
    )?;
    let store = DirStore::new(dir.join("queue"))?;
    time_orders("queue, DirStore", builder().store(store), orders)?;
    let store = DirStore::new(dir.join("through"))?;
    time_orders(
        "write_through, DirStore",
        builder().store(store).write_through(true),
        orders,
    )?;
    std::fs::remove_dir_all(&dir)?;
    Ok(())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if let [cmd, orders] = args.as_slice()
        && cmd == "write-cost"
    {
        return write_cost(orders.parse()?);
    }
    if let [cmd, dir, mode, how] = args.as_slice()
        && cmd == "record-and-exit"
    {
        record_globally(dir, mode)?;
        if how == "exit" {
            std::process::exit(0);
        }
        return Ok(());
    }
    let orders = match args.first() {
        Some(n) => n.parse()?,
        None => 100,
    };
    let (store, recorded) = serve(orders)?;
    let found = store.list(&Query::category("place_order"))?.len() as u64;
    println!("served {orders} orders, recorded {recorded}, stored {found}");
    if found != orders {
        return Err(format!("{} recordings missing", orders - found).into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use playback::{InterceptionKind, Outcome};

    use super::*;

    /// Service state, never recorded: with `replay`, a `Replayer` would provide it.
    #[derive(Debug, Default)]
    struct Catalogue {
        discount: u64,
    }

    /// Operations that are methods, and one with skipped state: with `replay`, these would
    /// register through their type; without it, the registrations must compile to nothing.
    #[playback::service]
    impl Catalogue {
        #[playback::instrument(playback = "operation", skip(self))]
        fn quote(&self, sku: String, quantity: u32) -> Result<u64, String> {
            Ok(unit_price(&sku)? * u64::from(quantity) - self.discount)
        }
    }

    /// An operation with skipped state.
    #[playback::instrument(playback = "operation", skip(catalogue))]
    fn restock(catalogue: &Catalogue, sku: String) -> u64 {
        catalogue.discount + sku.len() as u64
    }

    #[test]
    fn a_recording_only_build_records_the_operation_its_input_and_its_output() {
        let (store, recorded) = serve(10).unwrap();
        assert_eq!(recorded, 10);
        let mut recs = store
            .find(&Query::category("place_order"))
            .unwrap()
            .into_iter()
            .map(|r| r.unwrap())
            .collect::<Vec<_>>();
        assert_eq!(recs.len(), 10);
        recs.sort_by_key(|r| r.arg::<u64>("customer").unwrap());

        let first = &recs[0];
        assert_eq!(first.outcome, Outcome::Ok);
        assert_eq!(first.arg::<String>("sku").unwrap(), "book");
        assert_eq!(first.arg::<u32>("quantity").unwrap(), 2);
        let kinds: Vec<_> = first.interceptions.iter().map(|i| i.kind).collect();
        assert_eq!(kinds, [InterceptionKind::Input, InterceptionKind::Output]);
        assert_eq!(
            first.interceptions[0].alias,
            "playback_slim_fixture::unit_price"
        );
        assert_eq!(
            first.interceptions[0].value_json().to_string(),
            r#"{"Ok":104}"#
        );
        assert_eq!(
            first.interceptions[1].args_value().to_string(),
            r#"{"customer":0,"sku":"book","total":208}"#
        );
        assert_eq!(
            first.interceptions[1].value_json().to_string(),
            r#"{"order":4,"total":208}"#
        );

        let failed = &recs[9];
        assert_eq!(failed.outcome, Outcome::Error);
        assert_eq!(failed.interceptions.len(), 1);
    }

    #[test]
    fn a_recording_only_build_records_service_methods_and_skipped_state() {
        let store = MemoryStore::new();
        let (layer, guard) = PlaybackLayer::builder()
            .store(store.clone())
            .write_through(true)
            .build()
            .unwrap();
        let subscriber = tracing_subscriber::registry().with(layer);
        let catalogue = Catalogue { discount: 8 };
        tracing::subscriber::with_default(subscriber, || {
            assert_eq!(catalogue.quote("book".to_owned(), 3), Ok(304));
            assert_eq!(restock(&catalogue, "book".to_owned()), 12);
        });
        assert_eq!(guard.stats().snapshot().recorded, 2);
        let quote = store
            .find(&Query::category("quote"))
            .unwrap()
            .remove(0)
            .unwrap();
        assert_eq!(quote.arg::<String>("sku").unwrap(), "book");
        assert_eq!(quote.arg::<u32>("quantity").unwrap(), 3);
        assert_eq!(quote.interceptions.len(), 1);
        let restock = store
            .find(&Query::category("restock"))
            .unwrap()
            .remove(0)
            .unwrap();
        assert_eq!(restock.args.keys().collect::<Vec<_>>(), ["sku"]);
    }
}
