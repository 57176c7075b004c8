//! The upload queue's byte bound (`max_queued_bytes`): while S3 accepts connections but
//! answers no upload, a flood of large recordings keeps the queued bytes within the
//! bound (the rest go to the spool), `put` never waits, and everything arrives once
//! S3 moves again.

use std::time::{Duration, Instant};

use playback_store::{Query, Store};

use crate::support::{self, BUCKET, TestServer, big_recording};

const KIB: u64 = 1024;

#[test]
fn a_flood_into_a_stalled_s3_keeps_queued_bytes_within_the_bound_and_put_never_waits() {
    const BOUND: u64 = 1024 * KIB;
    const N: u64 = 200;
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "bytes")
        .compress_above(usize::MAX)
        .max_queued_bytes(BOUND)
        .upload_concurrency(2)
        .spool_fsync(false)
        .build_blocking()
        .unwrap();
    let recordings: Vec<_> = (0..N).map(|_| big_recording("flood", 100)).collect();
    server.hold_puts();
    let mut slowest = Duration::ZERO;
    for rec in &recordings {
        let began = Instant::now();
        store.put(rec).unwrap();
        slowest = slowest.max(began.elapsed());
    }
    // Every put returned while no upload could finish: none waited for S3.
    assert_eq!(store.counter("s3_uploaded"), 0);
    let peak = store.counter("s3_peak_queued_bytes");
    assert!(
        peak > 0 && peak <= BOUND,
        "peak {peak} over the bound {BOUND}"
    );
    assert!(store.counter("s3_queued_bytes") <= BOUND);
    // Only as many as fit in the bound were queued; the rest went to the spool.
    let size = recordings[0].to_json().unwrap().len() as u64;
    let over = store.counter("s3_queue_over_bytes");
    assert!(
        over >= N - BOUND / size,
        "{over} over the bound ({size} bytes each)"
    );
    assert_eq!(store.counter("s3_spooled"), over);
    assert_eq!(store.counter("s3_dropped_over_cap"), 0);
    assert!(
        slowest < Duration::from_millis(250),
        "slowest put {slowest:?}"
    );

    server.release_puts();
    assert!(store.drain(Duration::from_secs(60)), "everything arrives");
    assert_eq!(store.counter("s3_uploaded"), N);
    assert_eq!(store.counter("s3_queued_bytes"), 0, "every byte given back");
    let listed = store.list(&Query::category("flood")).unwrap();
    assert_eq!(listed.len() as u64, N);
}

#[test]
fn without_a_spool_recordings_over_the_byte_bound_are_dropped_and_counted() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "bytes-nospool")
        .compress_above(usize::MAX)
        .max_queued_bytes(300 * KIB)
        .upload_concurrency(1)
        .spool_max_bytes(0)
        .build_blocking()
        .unwrap();
    let rec = big_recording("flood", 100);
    let size = rec.to_json().unwrap().len() as u64;
    server.hold_puts();
    store.put(&rec).unwrap();
    for _ in 1..10 {
        store.put(&big_recording("flood", 100)).unwrap();
    }
    // As many as fit in 300 KiB were queued (each is `size` plus its small index
    // object); the others, with no spool, were dropped and counted.
    let over = store.counter("s3_queue_over_bytes");
    let fit = 10 - over;
    assert!(
        fit > 0 && fit * size <= 300 * KIB,
        "{fit} of {size} bytes fit"
    );
    assert!(
        (fit + 1) * (size + 4 * KIB) > 300 * KIB,
        "{fit} of {size} bytes fit"
    );
    assert_eq!(store.counter("s3_dropped_over_cap"), over);
    server.release_puts();
    assert!(store.flush(Duration::from_secs(60)));
    assert_eq!(
        store.counter("s3_uploaded") + over,
        10,
        "arrived or counted"
    );
    let listed = store.list(&Query::category("flood")).unwrap();
    assert_eq!(listed.len() as u64 + over, 10);
}
