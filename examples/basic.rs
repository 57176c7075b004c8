//! The smallest recording: one operation with one input, recorded into a `DirStore`
//! in a temporary directory, then read back.
//!
//! ```sh
//! cargo run --example basic
//! ```
//!
//! For the whole story (an HTTP service, replay on changed code, a report), run
//! `cargo run --release --example demo`.

use std::time::Duration;

use playback::{DirStore, PlaybackLayer, Query, Store};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

#[derive(Debug, Serialize, Deserialize)]
struct Cart {
    items: Vec<u64>,
}

/// An operation: each call becomes one recording.
#[playback::instrument(playback = "operation")]
fn checkout(cart_id: u64) -> Result<u64, String> {
    let cart = load_cart(cart_id)?;
    Ok(cart.items.iter().sum())
}

/// An input: its value is recorded, and given back on replay instead of running.
#[playback::instrument(playback = "input")]
fn load_cart(cart_id: u64) -> Result<Cart, String> {
    Ok(Cart {
        items: vec![cart_id * 100, 250, 399],
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let store = DirStore::new(dir.path().join("recordings"))?;
    let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
    let subscriber = tracing_subscriber::registry().with(layer);

    let total = tracing::subscriber::with_default(subscriber, || checkout(7))?;
    println!("checkout(7) = {total}");
    if !guard.flush(Duration::from_secs(5)) {
        return Err("the recording was not written within 5 s".into());
    }

    for rec in store.find(&Query::category("checkout"))? {
        let rec = rec?;
        println!(
            "recorded {} ({}) to {}",
            rec.id,
            rec.operation,
            store.path_for(&rec)?.display()
        );
        println!("{}", String::from_utf8_lossy(&rec.to_json()?));
    }
    Ok(())
}
