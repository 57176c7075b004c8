//! Record an operation, then replay it on code whose live source changed.
//!
//! The example records one `checkout` into a `DirStore` in a temporary directory, loads
//! the recording back by id, and replays it twice: once on unchanged code (the recorded
//! and replayed sides are equal; the price database and the payment provider are never
//! touched), and once on code whose input arguments changed, which gives a mismatch error
//! that names the call site, the key tried and the nearest recorded key.
//!
//! Run it with `cargo run --example replay`.

use std::collections::HashMap;
use std::time::Duration;

use playback::{DirStore, PlaybackLayer, Query, ReplayError, Store};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
enum ShopError {
    UnknownSku(u64),
}

/// The live sources (not serializable, so skipped).
struct Db {
    prices: HashMap<u64, u64>,
}

#[playback::instrument(playback = "operation", skip(db))]
fn checkout(db: &Db, cart_id: u64, skus: Vec<u64>) -> Result<String, ShopError> {
    let mut total = 0;
    for sku in skus {
        total += price_of(db, sku)?;
    }
    Ok(charge(cart_id, total))
}

#[playback::instrument(playback = "input", skip(db))]
fn price_of(db: &Db, sku: u64) -> Result<u64, ShopError> {
    db.prices
        .get(&sku)
        .copied()
        .ok_or(ShopError::UnknownSku(sku))
}

#[playback::instrument(playback = "output")]
fn charge(cart_id: u64, amount: u64) -> String {
    format!("charge-{cart_id}-{amount}")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // 1. Record in "production".
    let dir = tempfile::tempdir()?;
    let store = DirStore::new(dir.path())?;
    let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
    let production = Db {
        prices: HashMap::from([(1, 250), (2, 100)]),
    };
    let charged =
        tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
            checkout(&production, 42, vec![1, 2])
        });
    assert_eq!(charged, Ok("charge-42-350".to_owned()));
    guard.flush(Duration::from_secs(5));
    let id = store.list(&Query::category("checkout"))?.remove(0)?.id;

    // 2. Replay on a laptop: no database (its prices are gone), no payment provider.
    let rec = store.get(&id)?;
    let laptop = Db {
        prices: HashMap::new(),
    };
    let (cart_id, skus): (u64, Vec<u64>) = (rec.arg("cart_id")?, rec.arg("skus")?);
    let playback = playback::replay(&rec, || checkout(&laptop, cart_id, skus))?;
    assert_eq!(playback.recorded(), playback.replayed());
    assert_eq!(playback.replayed().result()["Ok"], "charge-42-350");
    assert_eq!(playback.replayed().outputs()[0].args["amount"], 350);
    println!(
        "replayed {}: result {}, outputs [{}]",
        playback.recording_id(),
        playback.replayed().result(),
        playback
            .replayed()
            .outputs()
            .iter()
            .map(|o| o.args.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );

    // 3. The code now asks for another sku: a clear mismatch error.
    let err = playback::replay(&rec, || checkout(&laptop, 42, vec![1, 3])).unwrap_err();
    assert!(matches!(err, ReplayError::InputMismatch { .. }));
    println!("\nmismatch, as reported:\n{err}");
    Ok(())
}
