//! The redaction byte-scan against S3: no object in the loopback test bucket, compressed
//! or not, and no file of the outage spool holds the secret.

use std::sync::Arc;
use std::time::Duration;

use playback::{PlaybackLayer, Query, S3Store, Store};
use playback_testkit::s3::{ACCESS_KEY, SECRET_KEY, TestServer};
use tracing_subscriber::prelude::*;

use crate::redaction::{SECRET, files_containing, rules, run_sign_ins, zstd_frames};

fn store(
    server: &TestServer,
    dir: &std::path::Path,
    prefix: &str,
    compress_above: usize,
) -> Arc<S3Store> {
    Arc::new(
        S3Store::builder()
            .bucket("recordings")
            .prefix(prefix)
            .endpoint_url(server.endpoint())
            .force_path_style(true)
            .credentials(ACCESS_KEY, SECRET_KEY)
            .spool_dir(dir.join("spool"))
            .cache_dir(dir.join("cache"))
            .compress_above(compress_above)
            .max_attempts(2)
            .retry_backoff(Duration::from_millis(5), Duration::from_millis(50))
            .probe_interval(Duration::from_millis(50))
            .build_blocking()
            .unwrap(),
    )
}

/// Records the byte-scan's operations into `store` through the redaction rules.
fn record(store: &Arc<S3Store>) {
    let (layer, guard) = rules(PlaybackLayer::builder())
        .shared_store(store.clone())
        .build()
        .unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), run_sign_ins);
    assert!(guard.flush(Duration::from_secs(30)));
}

#[test]
fn no_object_in_the_s3_bucket_and_no_spool_file_holds_a_secret_compressed_or_not() {
    let server = TestServer::start("recordings");
    let dir = tempfile::tempdir().unwrap();
    let compressed = store(&server, &dir.path().join("a"), "zstd/", 0);
    let plain = store(&server, &dir.path().join("b"), "plain/", usize::MAX);

    // An outage first: the recordings wait in the spool.
    server.stop();
    record(&compressed);
    assert!(
        compressed.spooled() > 0,
        "S3 was down: the recordings were spooled"
    );
    let (spooled, found) = files_containing(&dir.path().join("a/spool"), SECRET);
    assert!(spooled > 0, "the spool holds files");
    assert!(
        found.is_empty(),
        "spool files holding the secret: {found:?}"
    );

    server.restart();
    assert!(compressed.drain(Duration::from_secs(60)));
    record(&plain);
    assert_eq!(
        compressed.find(&Query::category("sign_in")).unwrap().len(),
        2
    );
    assert_eq!(plain.find(&Query::category("sign_in")).unwrap().len(), 2);

    let (objects, found) = files_containing(server.root(), SECRET);
    assert!(
        objects >= 4,
        "the bucket holds the recordings ({objects} files)"
    );
    assert!(found.is_empty(), "objects holding the secret: {found:?}");
    // The compressed store's recordings are zstd frames inside its packs.
    let zstd_frames: usize = walk_files(server.root())
        .iter()
        .map(|p| zstd_frames(&std::fs::read(p).unwrap()).len())
        .sum();
    assert!(
        zstd_frames >= 2,
        "compressed recordings were scanned decompressed too"
    );
    let (cached, found) = files_containing(dir.path(), SECRET);
    assert!(cached > 0);
    assert!(
        found.is_empty(),
        "local files holding the secret: {found:?}"
    );
}

fn walk_files(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap().flatten() {
        let p = e.path();
        if p.is_dir() {
            out.extend(walk_files(&p));
        } else {
            out.push(p);
        }
    }
    out
}
