//! Where the demo records: a directory (`DirStore`) or an S3 bucket.

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

use anyhow::Context as _;
use playback::{DirStore, Query, Store};

/// Marks a recordings directory as the demo's own, so a later run may clear it.
const MARKER: &str = ".playback-demo";

/// Where the demo records.
#[derive(Debug, Clone)]
pub(crate) enum StoreChoice {
    /// A `DirStore` at this directory.
    Dir(PathBuf),
    /// An S3 bucket (needs the `s3` feature), under a prefix of the run's own.
    S3 {
        endpoint: String,
        bucket: String,
        prefix: String,
    },
}

impl StoreChoice {
    /// Opens the store, empty: a directory left by an earlier run of the demo is
    /// cleared, and each S3 run records under a prefix of its own (see
    /// [`StoreChoice::s3`]).
    pub(crate) fn open(&self) -> anyhow::Result<Arc<dyn Store>> {
        match self {
            StoreChoice::Dir(dir) => {
                if dir.exists() && std::fs::read_dir(dir)?.next().is_some() {
                    anyhow::ensure!(
                        dir.join(MARKER).is_file(),
                        "{} exists and was not made by this demo: move it away, or pass --dir",
                        dir.display()
                    );
                    std::fs::remove_dir_all(dir)
                        .with_context(|| format!("failed to clear {}", dir.display()))?;
                }
                let store = DirStore::new(dir)?;
                std::fs::write(
                    dir.join(MARKER),
                    "recordings of `cargo run --example demo`\n",
                )?;
                Ok(Arc::new(store))
            }
            StoreChoice::S3 {
                endpoint,
                bucket,
                prefix,
            } => open_s3(endpoint, bucket, prefix),
        }
    }

    /// An S3 bucket, with a new prefix so that earlier runs' recordings are not
    /// replayed: `playback-demo/<a new ULID>/`.
    pub(crate) fn s3(endpoint: String, bucket: String) -> Self {
        StoreChoice::S3 {
            endpoint,
            bucket,
            prefix: format!("playback-demo/{}/", playback::RecordingId::generate()),
        }
    }

    /// Where the recordings are, for people.
    pub(crate) fn describe(&self) -> String {
        match self {
            StoreChoice::Dir(dir) => {
                let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.clone());
                format!(
                    "{} (one file each: <category>/<YYYY-MM-DD>/<id>.json)",
                    dir.display()
                )
            }
            StoreChoice::S3 {
                endpoint,
                bucket,
                prefix,
            } => format!("bucket {bucket} at {endpoint}, under {prefix}"),
        }
    }

    /// Deletes this run's recordings.
    pub(crate) fn forget(&self, store: &dyn Store) -> anyhow::Result<()> {
        match self {
            StoreChoice::Dir(dir) => std::fs::remove_dir_all(dir)
                .with_context(|| format!("failed to delete {}", dir.display())),
            StoreChoice::S3 { .. } => {
                for summary in store.list(&Query::all())?.into_iter().flatten() {
                    store.delete(&summary.id)?;
                }
                Ok(())
            }
        }
    }
}

#[cfg(feature = "s3")]
fn open_s3(endpoint: &str, bucket: &str, prefix: &str) -> anyhow::Result<Arc<dyn Store>> {
    let store = playback::S3Store::builder()
        .bucket(bucket)
        .prefix(prefix)
        .endpoint_url(endpoint)
        .force_path_style(true)
        .build_blocking()?;
    Ok(Arc::new(store))
}

#[cfg(not(feature = "s3"))]
fn open_s3(_endpoint: &str, _bucket: &str, _prefix: &str) -> anyhow::Result<Arc<dyn Store>> {
    anyhow::bail!(
        "--store s3 needs the s3 feature: \
         cargo run --release --example demo --features s3 -- --store s3 --endpoint URL --bucket NAME"
    )
}

/// How many recordings the store holds, by category; an unreadable one is an error.
pub(crate) fn count_by_category(store: &dyn Store) -> anyhow::Result<BTreeMap<String, usize>> {
    let mut counts = BTreeMap::new();
    for entry in store.list(&Query::all())? {
        let summary = entry.context("a recording cannot be read back")?;
        *counts.entry(summary.category).or_default() += 1;
    }
    Ok(counts)
}

/// How many recordings hold any of `needles` anywhere in their JSON.
pub(crate) fn holding(store: &dyn Store, needles: &[&str]) -> anyhow::Result<usize> {
    let mut n = 0;
    for rec in store.find(&Query::all())? {
        let json = String::from_utf8(rec.context("a recording cannot be read back")?.to_json()?)?;
        if needles.iter().any(|needle| json.contains(needle)) {
            n += 1;
        }
    }
    Ok(n)
}
