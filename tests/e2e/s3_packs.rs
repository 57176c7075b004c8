//! A burst of operations recorded through `#[playback::instrument]` into the S3 store's
//! packs (the default layout), on a multi-thread runtime with real fan-out: every
//! recording lands in the bucket, in far fewer objects than recordings.

use std::sync::Arc;
use std::time::Duration;

use futures::future::join_all;
use playback::{PlaybackLayer, Query, S3Store, Store};
use playback_testkit::s3::{ACCESS_KEY, SECRET_KEY, TestServer};
use tracing::Instrument as _;
use tracing::instrument::WithSubscriber as _;
use tracing_subscriber::prelude::*;

const OPERATIONS: u64 = 3000;

#[playback::instrument(playback = "input")]
async fn unit_price(order: u64, line: u64) -> u64 {
    tokio::task::yield_now().await;
    order * 10 + line
}

#[playback::instrument(playback = "output")]
async fn store_total(order: u64, total: u64) -> bool {
    tokio::task::yield_now().await;
    total >= order
}

/// Prices three lines on spawned tasks, then stores the total.
#[playback::instrument(playback = "operation")]
async fn price_order(order: u64) -> u64 {
    let lines = (0..3).map(|line| {
        tokio::spawn(
            unit_price(order, line)
                .in_current_span()
                .with_current_subscriber(),
        )
    });
    let total = join_all(lines).await.into_iter().map(Result::unwrap).sum();
    store_total(order, total).await;
    total
}

#[test]
fn a_burst_of_instrumented_operations_lands_in_s3_packs() {
    let server = TestServer::start("recordings");
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        S3Store::builder()
            .bucket("recordings")
            .prefix("burst/")
            .endpoint_url(server.endpoint())
            .force_path_style(true)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .spool_dir(dir.path().join("spool"))
            .build_blocking()
            .unwrap(),
    );
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store.clone())
        .queue_capacity(OPERATIONS as usize)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let totals = runtime.block_on(
        async {
            let orders = (0..OPERATIONS)
                .map(|order| tokio::spawn(price_order(order).with_current_subscriber()));
            join_all(orders).await
        }
        .with_subscriber(subscriber),
    );
    assert_eq!(totals.len(), OPERATIONS as usize);
    assert!(guard.flush(Duration::from_secs(60)));
    assert!(store.flush(Duration::from_secs(60)));

    let stats = guard.stats().snapshot();
    assert_eq!(stats.recorded, OPERATIONS, "{stats:?}");
    assert_eq!((stats.dropped, stats.failed), (0, 0), "{stats:?}");
    assert_eq!(store.counter("s3_uploaded"), OPERATIONS);
    assert_eq!(store.counter("s3_spooled"), 0);
    let puts = server.requests("PutObject");
    assert!(
        puts * 10 < OPERATIONS,
        "{puts} PutObject requests for {OPERATIONS} recordings: they went in packs"
    );

    let listed = store.list(&Query::category("price_order")).unwrap();
    assert_eq!(
        listed.len(),
        OPERATIONS as usize,
        "every recording is in the bucket"
    );
    let newest = listed[0].as_ref().unwrap();
    let recording = store.get(&newest.id).unwrap();
    assert_eq!(
        recording.interceptions.len(),
        4,
        "three prices and the total"
    );
    let found = store
        .find(&Query::category("price_order").limit(50))
        .unwrap();
    assert_eq!(found.len(), 50);
    assert!(found.iter().all(Result::is_ok));
}
