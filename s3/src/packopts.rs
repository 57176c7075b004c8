//! The builder's options for packs (see the `pack` module).

use std::time::Duration;

use crate::builder::S3StoreBuilder;

impl S3StoreBuilder {
    /// Whether queued recordings are uploaded in packs (the default): many recordings
    /// in one object, with one directory object and one index object per category
    /// and day, instead of two objects per recording. Packs sustained 20,000
    /// recordings per second into a loopback server on a 2-core machine, where one
    /// object per recording sustained under 1,500 (BENCHMARKS.md). With `false`,
    /// every recording is its own object (`recordings/<id>.json`), as before packs,
    /// for tools that read the bucket object by object. Either way the store reads
    /// both layouts.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().packed(false);
    /// assert!(format!("{b:?}").contains("packed: false"));
    /// ```
    pub fn packed(mut self, yes: bool) -> Self {
        self.packed = yes;
        self
    }

    /// The most recordings in one pack. Default 1000.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().pack_max_recordings(200);
    /// assert!(format!("{b:?}").contains("pack_max_recordings: 200"));
    /// ```
    pub fn pack_max_recordings(mut self, n: usize) -> Self {
        self.pack_max_recordings = n.max(1);
        self
    }

    /// A pack takes no more recordings once their stored bytes reach this. Default
    /// 4 MiB.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().pack_max_bytes(1 << 20);
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn pack_max_bytes(mut self, bytes: usize) -> Self {
        self.pack_max_bytes = bytes;
        self
    }

    /// The longest an upload waits for more recordings to fill its pack when the
    /// queue has fewer than a pack's worth: a lone recording leaves this much later,
    /// a busy queue fills packs without waiting. Default 20 ms.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder()
    ///     .pack_max_delay(std::time::Duration::from_millis(5));
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn pack_max_delay(mut self, delay: Duration) -> Self {
        self.pack_max_delay = delay;
        self
    }
}
