//! Thousands of concurrent operations into a `DirStore`: the writer stores them in
//! batches (group commit), and every one is on disk, readable, and counted once.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::Duration;

use futures::future::join_all;
use playback::{DirStore, PlaybackLayer, Query, Store};
use serde::{Deserialize, Serialize};
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

/// About 100 bytes of JSON.
#[derive(Debug, Clone, Serialize, Deserialize)]
struct Quote {
    order: u64,
    sku: String,
    cents: u64,
}

#[playback::instrument(playback = "input")]
async fn load_quote(order: u64) -> Quote {
    tokio::task::yield_now().await;
    Quote {
        order,
        sku: format!("SKU-{:08}-blue-medium", order % 1000),
        cents: order * 7 % 10_000,
    }
}

#[playback::instrument(playback = "output", skip(quote))]
fn save_quote(quote: &Quote) -> u64 {
    quote.cents
}

#[playback::instrument(playback = "operation", name = "quote")]
async fn handle(order: u64) -> u64 {
    let quote = load_quote(order).await;
    tokio::task::yield_now().await;
    save_quote(&quote)
}

/// The `<id>.json` files under `category`, and the hidden (temporary) ones.
fn files(category: &Path) -> (usize, usize) {
    let (mut shown, mut hidden) = (0, 0);
    for day in std::fs::read_dir(category).unwrap() {
        for file in std::fs::read_dir(day.unwrap().path()).unwrap() {
            let name = file.unwrap().file_name().to_string_lossy().into_owned();
            if name.starts_with('.') {
                hidden += 1;
            } else if name.ends_with(".json") {
                shown += 1;
            }
        }
    }
    (shown, hidden)
}

#[test]
fn thousands_of_concurrent_operations_are_all_stored_in_a_dir_store() {
    const OPS: u64 = 3000;
    let tmp = tempfile::tempdir().unwrap();
    let store = DirStore::new(tmp.path().join("recordings")).unwrap();
    let (layer, guard) = PlaybackLayer::builder()
        .store(store.clone())
        // Bigger than the run: the queue never overflows, so nothing may be dropped.
        .queue_capacity(OPS as usize + 1)
        .build()
        .unwrap();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(4)
        .enable_all()
        .build()
        .unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
        rt.block_on(
            async {
                let tasks =
                    (0..OPS).map(|order| tokio::spawn(handle(order).with_current_subscriber()));
                for (order, cents) in join_all(tasks).await.into_iter().enumerate() {
                    assert_eq!(cents.unwrap(), order as u64 * 7 % 10_000);
                }
            }
            .with_current_subscriber(),
        );
    });
    drop(rt);
    assert!(guard.flush(Duration::from_secs(120)));

    let s = guard.stats().snapshot();
    assert_eq!((s.recorded, s.dropped, s.failed), (OPS, 0, 0));
    assert_eq!(
        files(&store.root().join("quote")),
        (OPS as usize, 0),
        "one file per operation, no temporary file left"
    );
    let listed = store.list(&Query::category("quote")).unwrap();
    assert_eq!(listed.len(), OPS as usize);
    let mut orders = BTreeSet::new();
    for summary in listed {
        let rec = store.get(&summary.unwrap().id).unwrap();
        assert_eq!(rec.interceptions.len(), 2, "{:?}", rec.interceptions);
        orders.insert(rec.arg::<u64>("order").unwrap());
    }
    assert_eq!(orders, (0..OPS).collect(), "every operation exactly once");
}
