//! The outage test again, through the playback layer: real instrumented operations
//! recorded by `PlaybackLayer` into the S3 store while the server is down.

use std::sync::Arc;
use std::time::{Duration, Instant};

use playback_layer::PlaybackLayer;
use playback_store::{Query, Store};
use tracing_subscriber::prelude::*;

use crate::outage::{MAX_LATENCY, outage_builder, percentile};
use crate::support::{BUCKET, TestServer};

#[test]
fn layer_records_1000_operations_through_an_s3_outage_without_slowing_them() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = Arc::new(
        outage_builder(&server, dir.path(), "layer")
            .build_blocking()
            .unwrap(),
    );
    let (layer, guard) = PlaybackLayer::builder()
        .shared_store(store.clone())
        .queue_capacity(2048)
        .build()
        .unwrap();
    let subscriber = tracing_subscriber::registry().with(layer);

    server.stop();
    let mut latencies = Vec::with_capacity(1000);
    tracing::subscriber::with_default(subscriber, || {
        for order in 0..1000u64 {
            let began = Instant::now();
            {
                let span = tracing::info_span!("checkout", playback = "operation", order);
                let _entered = span.enter();
                let price: u64 = playback_layer::input("price_of", &order, || order * 3);
                assert_eq!(price, order * 3);
            }
            latencies.push(began.elapsed());
        }
    });
    assert!(
        guard.flush(Duration::from_secs(30)),
        "the layer handed everything to the store"
    );
    assert!(
        store.spooled() > 0,
        "S3 was down, so recordings waited in the spool"
    );

    server.restart();
    assert!(store.drain(Duration::from_secs(60)));
    let stats = guard.stats().snapshot();
    assert_eq!(stats.recorded, 1000, "{stats:?}");
    assert_eq!((stats.dropped, stats.failed), (0, 0), "{stats:?}");
    let counter = |name| {
        stats
            .store
            .iter()
            .find(|(n, _)| *n == name)
            .map(|(_, v)| *v)
    };
    assert_eq!(counter("s3_uploaded"), Some(1000), "{stats:?}");
    assert_eq!(counter("s3_dropped_over_cap"), Some(0));
    assert!(counter("s3_spooled").unwrap() > 0);
    assert_eq!(counter("s3_spool_files"), Some(0));

    let listed = store.list(&Query::category("checkout")).unwrap();
    assert_eq!(listed.len(), 1000);
    let found = store.find(&Query::category("checkout").limit(1)).unwrap();
    let newest = found[0].as_ref().unwrap();
    assert_eq!(newest.interceptions.len(), 1);
    assert_eq!(newest.interceptions[0].alias, "price_of");

    // The operation's latency never includes S3: a failed upload alone costs at least
    // 3 s of backoff in this configuration (see outage_builder).
    let p99 = percentile(&mut latencies, 0.99);
    let max = *latencies.last().unwrap();
    assert!(
        p99 < Duration::from_millis(50),
        "p99 operation latency {p99:?}"
    );
    assert!(max < MAX_LATENCY, "max operation latency {max:?}");
}
