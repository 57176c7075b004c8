//! S3 outages: the server stops while a service writes 1,000 recordings, then comes
//! back. Every recording arrives (or is counted as dropped once over the spool cap),
//! and `put`, which the layer calls from its writer, never waits for S3.

use std::time::{Duration, Instant};

use playback_s3::S3Store;
use playback_store::{Query, Store};
use time::OffsetDateTime;

use crate::support::{self, BUCKET, TestServer, recording};

/// Backoffs long enough that a `put` waiting on an upload would be obvious.
pub(crate) fn outage_builder(
    server: &TestServer,
    dir: &std::path::Path,
    name: &str,
) -> playback_s3::S3StoreBuilder {
    support::builder(server, dir, name)
        .max_attempts(3)
        // A failed upload waits at least 1 s + 2 s of backoff (half of 2 s and 4 s, the
        // rest is jitter) before it gives up, so a put that waited for one would take
        // seconds: the latency bounds below (1 s) sit far from that and far above the
        // scheduling hiccups of a loaded 2-core machine (up to ~0.3 s seen in CI).
        .retry_backoff(Duration::from_secs(2), Duration::from_secs(4))
        .probe_interval(Duration::from_millis(100))
        .timeouts(Duration::from_secs(2), Duration::from_secs(5))
}

/// Writes `n` recordings from a plain thread and returns each `put` call's latency.
fn write(store: &S3Store, n: usize) -> Vec<Duration> {
    let start = OffsetDateTime::now_utc();
    std::thread::scope(|scope| {
        scope
            .spawn(|| {
                (0..n)
                    .map(|i| {
                        let rec =
                            recording("checkout", start + time::Duration::milliseconds(i as i64));
                        let began = Instant::now();
                        store.put(&rec).expect("put never fails for an outage");
                        began.elapsed()
                    })
                    .collect()
            })
            .join()
            .expect("writer thread")
    })
}

/// The bound on any one call's latency during an outage: far below the 3 s a call that
/// waited for a failed upload would take (see [`outage_builder`]).
pub(crate) const MAX_LATENCY: Duration = Duration::from_secs(1);

pub(crate) fn percentile(latencies: &mut [Duration], p: f64) -> Duration {
    latencies.sort();
    latencies[((latencies.len() as f64 - 1.0) * p) as usize]
}

fn stored(store: &S3Store) -> usize {
    let listed = store.list(&Query::category("checkout")).unwrap();
    assert!(listed.iter().all(Result::is_ok));
    listed.len()
}

#[test]
fn outage_during_1000_writes_loses_nothing_and_put_never_waits_for_s3() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = outage_builder(&server, dir.path(), "outage")
        .build_blocking()
        .unwrap();

    write(&store, 100);
    assert!(store.flush(Duration::from_secs(30)));
    assert_eq!(store.counter("s3_uploaded"), 100);

    server.stop();
    let mut latencies = write(&store, 1000);
    // Everything is in S3 or in the spool: flush does not wait for the outage to end.
    assert!(store.flush(Duration::from_secs(30)));
    let spooled = store.spooled();
    assert!(spooled > 900, "{spooled} spooled");
    assert_eq!(store.counter("s3_dropped_over_cap"), 0);

    server.restart();
    assert!(
        store.drain(Duration::from_secs(60)),
        "the spool empties once S3 is back"
    );
    assert_eq!(store.spooled(), 0);
    assert_eq!(store.counter("s3_uploaded"), 1100);
    assert!(store.counter("s3_retried") > 0);
    assert!(store.counter("s3_spooled") >= spooled);
    assert_eq!(stored(&store), 1100, "every recording arrived");

    let p99 = percentile(&mut latencies, 0.99);
    let max = *latencies.last().unwrap();
    // A put that waited for a failed upload would take at least 3 s here (see
    // outage_builder).
    assert!(p99 < Duration::from_millis(50), "p99 put latency {p99:?}");
    assert!(max < MAX_LATENCY, "max put latency {max:?}");
}

#[test]
fn past_the_spool_cap_recordings_are_dropped_and_counted_and_the_rest_arrive() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    // As stored in a pack (compact JSON), which is also what is spooled.
    let size = serde_json::to_vec(&recording("checkout", OffsetDateTime::now_utc()))
        .unwrap()
        .len() as u64;
    let store = outage_builder(&server, dir.path(), "cap")
        .spool_max_bytes(size * 100)
        .build_blocking()
        .unwrap();
    server.stop();
    let mut latencies = write(&store, 1000);
    assert!(store.flush(Duration::from_secs(30)));
    let dropped = store.counter("s3_dropped_over_cap");
    let spooled = store.spooled();
    assert!((90..=100).contains(&spooled), "{spooled} spooled");
    assert_eq!(dropped + spooled, 1000);

    server.restart();
    assert!(store.drain(Duration::from_secs(60)));
    assert_eq!(store.counter("s3_uploaded"), spooled);
    assert_eq!(stored(&store) as u64, spooled);
    assert_eq!(
        stored(&store) as u64 + dropped,
        1000,
        "arrived or counted as dropped"
    );
    assert!(percentile(&mut latencies, 0.99) < Duration::from_millis(50));
}

#[test]
fn a_restarted_process_uploads_the_spool_it_left_behind() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let prefix = support::unique_prefix("restart");
    let first = outage_builder(&server, dir.path(), "unused")
        .prefix(&prefix)
        .build_blocking()
        .unwrap();
    server.stop();
    write(&first, 50);
    assert!(first.flush(Duration::from_secs(30)));
    assert_eq!(first.spooled(), 50);
    let spool = first.spool_dir().unwrap().to_owned();
    drop(first);
    assert_eq!(
        std::fs::read_dir(&spool).unwrap().count(),
        50,
        "the spool outlives the process"
    );

    server.restart();
    let second = outage_builder(&server, dir.path(), "unused")
        .prefix(&prefix)
        .build_blocking()
        .unwrap();
    assert_eq!(second.spool_dir(), Some(spool.as_path()));
    assert!(second.drain(Duration::from_secs(60)));
    assert_eq!(second.counter("s3_uploaded"), 50);
    assert_eq!(stored(&second), 50);
}

#[test]
fn without_a_spool_an_outage_drops_and_counts_and_uploads_resume_after_it() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = outage_builder(&server, dir.path(), "nospool")
        .spool_max_bytes(0)
        .build_blocking()
        .unwrap();
    assert_eq!(store.spool_dir(), None);
    server.stop();
    write(&store, 20);
    assert!(store.flush(Duration::from_secs(30)));
    assert!(store.in_outage());
    assert_eq!(store.counter("s3_dropped_over_cap"), 20);

    server.restart();
    assert!(
        store.drain(Duration::from_secs(30)),
        "a probe finds S3 again"
    );
    assert!(!store.in_outage());
    write(&store, 5);
    assert!(store.flush(Duration::from_secs(30)));
    assert_eq!(store.counter("s3_uploaded"), 5);
    assert_eq!(stored(&store), 5);
}
