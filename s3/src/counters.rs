//! The store's counters, reported with the layer's stats.

use std::sync::atomic::AtomicU64;
use std::sync::atomic::Ordering::Relaxed;

/// Event counts since the store was opened.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    /// Recordings stored in S3 (both objects written), including re-uploads from the spool.
    pub(crate) uploaded: AtomicU64,
    /// Upload attempts repeated after a throttling, server, timeout or network error.
    pub(crate) retried: AtomicU64,
    /// Recordings written to the local spool because S3 failed or the queue was full.
    pub(crate) spooled: AtomicU64,
    /// Recordings sent to the spool (not uploaded from memory) because the upload queue
    /// held `max_queued_bytes` already.
    pub(crate) queue_over_bytes: AtomicU64,
    /// Recordings lost because the spool was over its size cap (or could not be written).
    pub(crate) dropped: AtomicU64,
    /// Recordings the sampling calculator chose not to keep.
    pub(crate) sampled_out: AtomicU64,
    /// `ListObjectsV2` requests (one per page).
    pub(crate) list_requests: AtomicU64,
    /// `GetObject` requests.
    pub(crate) get_requests: AtomicU64,
    /// `PutObject` requests.
    pub(crate) put_requests: AtomicU64,
    /// Recordings served from the local cache.
    pub(crate) cache_hits: AtomicU64,
}

impl Counters {
    /// The counters as `(name, value)` pairs, plus the given gauges.
    pub(crate) fn snapshot(
        &self,
        spool_files: u64,
        pending: u64,
        queued_bytes: u64,
        peak_queued_bytes: u64,
    ) -> Vec<(&'static str, u64)> {
        vec![
            ("s3_uploaded", self.uploaded.load(Relaxed)),
            ("s3_retried", self.retried.load(Relaxed)),
            ("s3_spooled", self.spooled.load(Relaxed)),
            ("s3_dropped_over_cap", self.dropped.load(Relaxed)),
            ("s3_queue_over_bytes", self.queue_over_bytes.load(Relaxed)),
            ("s3_sampled_out", self.sampled_out.load(Relaxed)),
            ("s3_list_requests", self.list_requests.load(Relaxed)),
            ("s3_get_requests", self.get_requests.load(Relaxed)),
            ("s3_put_requests", self.put_requests.load(Relaxed)),
            ("s3_cache_hits", self.cache_hits.load(Relaxed)),
            ("s3_spool_files", spool_files),
            ("s3_pending_uploads", pending),
            ("s3_queued_bytes", queued_bytes),
            ("s3_peak_queued_bytes", peak_queued_bytes),
        ]
    }
}
