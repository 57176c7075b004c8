//! Operations with and without the user's `fields(..)`: the marker is merged (tracing rejects a
//! second `fields`), the category is recorded, and user fields become metadata.

use std::time::Duration;

use playback::{MemoryStore, PlaybackLayer, Query, Recording, Store};
use tracing_subscriber::prelude::*;

#[playback::instrument(playback = "operation", category = "orders", fields(customer_len = customer.len(), priority = 2))]
fn place_order(customer: String, amount: u64) -> Result<u64, String> {
    if amount == 0 {
        return Err("empty order".to_owned());
    }
    Ok(amount * 2)
}

#[playback::instrument(playback = "operation")]
fn plain(n: u32) -> u32 {
    n + 1
}

#[playback::instrument(fields(), playback = "operation", alias = "ops::renamed")]
fn renamed() -> &'static str {
    "static str is fine for operations"
}

fn record(run: impl FnOnce()) -> Vec<Recording> {
    let store = MemoryStore::new();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        .build()
        .unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), run);
    assert!(guard.flush(Duration::from_secs(5)));
    store
        .find(&Query::all())
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect()
}

fn main() {
    let recordings = record(|| {
        assert_eq!(place_order("ann".to_owned(), 4), Ok(8));
        assert_eq!(plain(1), 2);
        assert_eq!(renamed(), "static str is fine for operations");
    });
    assert_eq!(recordings.len(), 3);
    let by_operation = |suffix: &str| {
        recordings
            .iter()
            .find(|r| r.operation.ends_with(suffix))
            .unwrap_or_else(|| panic!("no recording of {suffix}"))
    };
    let order = by_operation("::place_order");
    assert_eq!(order.category, "orders");
    assert_eq!(order.arg::<String>("customer").unwrap(), "ann");
    assert_eq!(
        order.metadata.get("customer_len"),
        Some(&serde_json::json!(3))
    );
    assert_eq!(order.metadata.get("priority"), Some(&serde_json::json!(2)));
    assert_eq!(by_operation("::plain").category, "plain");
    assert_eq!(by_operation("ops::renamed").category, "renamed");
}
