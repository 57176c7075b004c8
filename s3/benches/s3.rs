//! Benchmarks of the S3 store against an in-process S3-compatible server on loopback
//! (s3s + s3s-fs, signatures checked):
//!
//! - `upload/put_and_flush_200`: 200 recordings through `Store::put` and the
//!   background uploader, until `flush` returns (uploads per second = 200 / time);
//! - `upload/put_now`: one recording uploaded synchronously (latency of one upload);
//! - `spool/outage_put_and_flush_200_fsync` and `.._no_fsync`: 200 recordings through
//!   `Store::put` while S3 is down (an endpoint where nothing listens), until `flush`
//!   returns with all of them in the spool: durable (`spool_fsync(true)`, the default:
//!   file and directory synced) against the OS's write-back, in one run;
//! - `query/find_one_day_of_30x300` and `query/list_one_day_of_30x300`: one day's
//!   recordings (300) out of 30 days × 300 recordings a day.
//!
//! Run with `cargo bench -p playback-s3`.

#![expect(
    missing_docs,
    reason = "criterion_group! generates an undocumented pub fn"
)]

use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use playback_s3::S3Store;
use playback_store::{Outcome, Query, Recording, Store};
use time::OffsetDateTime;
use time::macros::datetime;

use playback_testkit::s3::{ACCESS_KEY, SECRET_KEY, TestServer};

const BUCKET: &str = "recordings";

fn store(server: &TestServer, prefix: &str, spool: &std::path::Path) -> S3Store {
    S3Store::builder()
        .bucket(BUCKET)
        .prefix(prefix)
        .endpoint_url(server.endpoint())
        .force_path_style(true)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .spool_dir(spool)
        .upload_concurrency(16)
        .build_blocking()
        .expect("store")
}

/// A typical small recording (~1 KiB of JSON).
fn recording(at: OffsetDateTime, i: u64) -> Recording {
    Recording::builder("checkout")
        .operation("shop::checkout")
        .recorded_at(at)
        .outcome(if i.is_multiple_of(10) {
            Outcome::Error
        } else {
            Outcome::Ok
        })
        .metadata("tenant", ["acme", "globex", "initech"][(i % 3) as usize])
        .metadata("items", i % 7)
        .arg(
            "cart",
            serde_json::value::to_raw_value(&serde_json::json!({
                "id": i, "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-7", "qty": 1}],
                "coupon": null, "currency": "EUR"
            }))
            .expect("raw"),
        )
        .build()
}

/// `iters` times: 200 fresh recordings through `put`, then `flush`; the time of puts
/// and flushes only.
fn put_and_flush_200(store: &S3Store, iters: u64) -> Duration {
    let mut total = Duration::ZERO;
    for _ in 0..iters {
        let recs: Vec<Recording> = (0..200)
            .map(|i| recording(OffsetDateTime::now_utc(), i))
            .collect();
        let began = Instant::now();
        for rec in &recs {
            store.put(rec).expect("put");
        }
        assert!(store.flush(Duration::from_secs(60)));
        total += began.elapsed();
    }
    total
}

fn upload(c: &mut Criterion) {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().expect("dir");
    let store = store(&server, "bench-upload/", &dir.path().join("spool"));
    let mut group = c.benchmark_group("upload");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(200));
    group.bench_function("put_and_flush_200", |b| {
        b.iter_custom(|iters| put_and_flush_200(&store, iters));
    });
    group.throughput(Throughput::Elements(1));
    group.bench_function("put_now", |b| {
        b.iter_custom(|iters| {
            let recs: Vec<Recording> = (0..iters)
                .map(|i| recording(OffsetDateTime::now_utc(), i))
                .collect();
            let began = Instant::now();
            for rec in &recs {
                store.put_now(rec).expect("put_now");
            }
            began.elapsed()
        });
    });
    group.finish();
    assert_eq!(store.counter("s3_spooled"), 0);
}

fn query(c: &mut Criterion) {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().expect("dir");
    let store = store(&server, "bench-query/", &dir.path().join("spool"));
    let first = datetime!(2026-01-01 00:00 UTC);
    let began = Instant::now();
    for day in 0..30i64 {
        for i in 0..300u64 {
            let at = first + time::Duration::days(day) + time::Duration::seconds(i as i64 * 250);
            store.put(&recording(at, i)).expect("put");
        }
    }
    assert!(store.flush(Duration::from_secs(600)));
    let loaded = began.elapsed();
    eprintln!(
        "loaded 9000 recordings in {loaded:?} ({:.0} uploads/s)",
        9000.0 / loaded.as_secs_f64()
    );
    let day = Query::category("checkout")
        .from(datetime!(2026-01-15 00:00 UTC))
        .until(datetime!(2026-01-15 23:59:59.999 UTC));
    assert_eq!(store.list(&day).expect("list").len(), 300);

    let mut group = c.benchmark_group("query");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.bench_function("list_one_day_of_30x300", |b| {
        b.iter(|| {
            let listed = store.list(&day).expect("list");
            assert_eq!(listed.len(), 300);
        });
    });
    group.bench_function("find_one_day_of_30x300", |b| {
        b.iter(|| {
            let found = store.find(&day).expect("find");
            assert_eq!(found.len(), 300);
        });
    });
    group.bench_function("find_one_day_of_30x300_metadata_filter", |b| {
        let filtered = day.clone().metadata("tenant", "acme").outcome(Outcome::Ok);
        b.iter(|| {
            let found = store.find(&filtered).expect("find");
            assert_eq!(found.len(), 90);
        });
    });
    group.finish();
}

/// A store whose endpoint is a closed port, so every recording goes to the spool.
fn down_store(spool: &std::path::Path, fsync: bool) -> S3Store {
    let closed = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let endpoint = format!("http://{}", closed.local_addr().expect("addr"));
    drop(closed);
    S3Store::builder()
        .bucket(BUCKET)
        .prefix("bench-spool/")
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .spool_dir(spool)
        .spool_fsync(fsync)
        .retry_backoff(Duration::from_millis(1), Duration::from_millis(5))
        .probe_interval(Duration::from_secs(3600))
        .build_blocking()
        .expect("store")
}

fn spool(c: &mut Criterion) {
    let mut group = c.benchmark_group("spool");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(10));
    group.throughput(Throughput::Elements(200));
    for (name, fsync) in [
        ("outage_put_and_flush_200_fsync", true),
        ("outage_put_and_flush_200_no_fsync", false),
    ] {
        let dir = tempfile::tempdir().expect("dir");
        let store = down_store(&dir.path().join("spool"), fsync);
        // the first upload fails and puts the store in its outage state
        store
            .put(&recording(OffsetDateTime::now_utc(), 0))
            .expect("put");
        assert!(store.flush(Duration::from_secs(60)));
        group.bench_function(name, |b| {
            b.iter_custom(|iters| put_and_flush_200(&store, iters));
        });
        assert_eq!(store.counter("s3_uploaded"), 0);
        assert!(store.counter("s3_spooled") > 200);
    }
    group.finish();
}

criterion_group!(benches, upload, query, spool);
criterion_main!(benches);
