//! Shared test helpers: the loopback S3 server and store builders.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use playback_s3::{S3Store, S3StoreBuilder};
use playback_store::{Outcome, Recording};
use time::OffsetDateTime;

pub(crate) use playback_testkit::s3::{ACCESS_KEY, SECRET_KEY, TestServer};

/// The bucket every test server has.
pub(crate) const BUCKET: &str = "recordings";

/// A prefix no other store of this process uses.
pub(crate) fn unique_prefix(name: &str) -> String {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    format!("{name}-{}/", NEXT.fetch_add(1, Ordering::Relaxed))
}

/// A store builder for `server`, with its spool and cache under `dir`, and short
/// backoffs and probe intervals so tests run fast.
pub(crate) fn builder(server: &TestServer, dir: &Path, name: &str) -> S3StoreBuilder {
    S3Store::builder()
        .bucket(BUCKET)
        .prefix(unique_prefix(name))
        .endpoint_url(server.endpoint())
        .force_path_style(true)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .spool_dir(dir.join("spool"))
        .retry_backoff(
            std::time::Duration::from_millis(5),
            std::time::Duration::from_millis(50),
        )
        .probe_interval(std::time::Duration::from_millis(50))
}

/// A plain SDK client for the server, to look at objects the store wrote.
pub(crate) fn raw_client(server: &TestServer) -> aws_sdk_s3::Client {
    let conf = aws_sdk_s3::Config::builder()
        .behavior_version(BehaviorVersion::latest())
        .region(Region::new("us-east-1"))
        .endpoint_url(server.endpoint())
        .credentials_provider(Credentials::new(ACCESS_KEY, SECRET_KEY, None, None, "test"))
        .force_path_style(true)
        .build();
    aws_sdk_s3::Client::from_conf(conf)
}

/// Runs a future to completion on a fresh current-thread runtime.
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("runtime")
        .block_on(fut)
}

/// A recording of `category` made at `at`, with some arguments so it is not tiny.
pub(crate) fn recording(category: &str, at: OffsetDateTime) -> Recording {
    Recording::builder(category)
        .operation(format!("shop::{category}"))
        .recorded_at(at)
        .outcome(Outcome::Ok)
        .arg(
            "cart_id",
            serde_json::value::to_raw_value(&42).expect("raw value"),
        )
        .build()
}

/// A recording whose JSON is about `kib` KiB.
pub(crate) fn big_recording(category: &str, kib: usize) -> Recording {
    // Each item takes about 32 bytes of pretty-printed JSON.
    let payload: Vec<String> = (0..kib * 32)
        .map(|i| format!("item-{i:08}-padding"))
        .collect();
    Recording::builder(category)
        .arg(
            "items",
            serde_json::value::to_raw_value(&payload).expect("raw value"),
        )
        .build()
}
