//! Configuring the recording layer.

use std::sync::Arc;
use std::time::Duration;

use playback_redact::{Detector, FingerprintKey, KEY_ENV, Mode as RedactMode, Rules};
use playback_store::Store;
use tracing_core::Subscriber;
use tracing_subscriber::Layer;
use tracing_subscriber::registry::LookupSpan;

use crate::error::LayerError;
use crate::filter::PlaybackFilter;
use crate::layer::{FilteredPlaybackLayer, Mode, PlaybackLayer};
use crate::sampling::Config;
use crate::writer::{self, Delivery, PlaybackGuard};

/// Configures a recording [`PlaybackLayer`].
///
/// ```
/// use std::time::Duration;
/// let (layer, guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .sample_rate("checkout", 0.1)
///     .keep_errors("checkout")
///     .skip("healthcheck")
///     .max_recording_size(1 << 20)
///     .queue_capacity(256)
///     .max_queued_bytes(32 << 20)
///     .flush_timeout(Duration::from_secs(2))
///     .build::<tracing_subscriber::Registry>()?;
/// # drop((layer, guard));
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
#[derive(Debug, Default)]
pub struct PlaybackLayerBuilder {
    store: Option<Arc<dyn Store>>,
    config: Config,
    delivery: Delivery,
    rate_error: Option<LayerError>,
    redaction: Rules,
    key: Option<FingerprintKey>,
}

impl PlaybackLayerBuilder {
    /// Where recordings go (required).
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder().store(playback_store::MemoryStore::new());
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn store(mut self, store: impl Store) -> Self {
        self.store = Some(Arc::new(store));
        self
    }

    /// Where recordings go, as a shared handle.
    ///
    /// ```
    /// use std::sync::Arc;
    /// let store: Arc<dyn playback_store::Store> = Arc::new(playback_store::MemoryStore::new());
    /// let b = playback_layer::PlaybackLayer::builder().shared_store(store);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn shared_store(mut self, store: Arc<dyn Store>) -> Self {
        self.store = Some(store);
        self
    }

    /// The share of `category`'s operations to record, from 0.0 to 1.0. Decided when the
    /// operation starts, so a sampled-out operation serializes nothing.
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .sample_rate("checkout", 1.5);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_err());
    /// ```
    pub fn sample_rate(mut self, category: impl Into<String>, rate: f64) -> Self {
        let category = category.into();
        if !(0.0..=1.0).contains(&rate) {
            self.rate_error = Some(LayerError::InvalidRate { category, rate });
        } else {
            self.config.rule(category).rate = Some(rate);
        }
        self
    }

    /// The rate for categories without their own (default 1.0: record everything).
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .default_sample_rate(0.01);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn default_sample_rate(mut self, rate: f64) -> Self {
        if !(0.0..=1.0).contains(&rate) {
            self.rate_error = Some(LayerError::InvalidRate {
                category: "the default".into(),
                rate,
            });
        } else {
            self.config.default_rate = rate;
        }
        self
    }

    /// Captures every operation of `category`, and keeps the sampled ones plus every one
    /// that returned an error or panicked.
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .sample_rate("checkout", 0.0)
    ///     .keep_errors("checkout");
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn keep_errors(mut self, category: impl Into<String>) -> Self {
        self.config.rule(category.into()).keep_errors = true;
        self
    }

    /// Never records `category`.
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .skip("healthcheck");
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn skip(mut self, category: impl Into<String>) -> Self {
        self.config.rule(category.into()).skip = true;
        self
    }

    /// The largest recording, in bytes of serialized values (default 8 MiB). A larger one
    /// stops capturing as soon as it crosses the limit, frees what it held, and is
    /// counted as oversize.
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .max_recording_size(0);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_err());
    /// ```
    pub fn max_recording_size(mut self, bytes: usize) -> Self {
        self.config.max_recording_bytes = bytes;
        self
    }

    /// How many finished recordings may wait for the writer (default 1024). When the
    /// queue is full, a recording is dropped and counted; the caller never waits.
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .queue_capacity(16);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.config.queue_capacity = n;
        self
    }

    /// The bytes that recordings may hold in memory at once (default 64 MiB): the values
    /// captured by operations still running plus the recordings waiting for the writer.
    /// An operation whose next value would pass the bound stops capturing at once, frees
    /// what it held, and is counted as `over_queued_bytes` in the
    /// [stats](crate::Stats); the caller never waits. The worst-case memory this
    /// allows is in the guide's Reliability chapter.
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .max_queued_bytes(16 << 20);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn max_queued_bytes(mut self, bytes: usize) -> Self {
        self.config.max_queued_bytes = bytes;
        self
    }

    /// How long dropping the guard waits for pending recordings (default 5 s).
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .flush_timeout(std::time::Duration::from_millis(500));
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn flush_timeout(mut self, timeout: Duration) -> Self {
        self.config.flush_timeout = timeout;
        self
    }

    /// For tests: each recording is written to the store by the thread that ends the
    /// operation, before the operation's span close returns (so before an instrumented
    /// function returns to its caller), and the store is flushed. No recording is ever
    /// waiting in a queue, so none is lost when the process exits without dropping the
    /// guard, on any platform, however it exits. Default false.
    ///
    /// **Not for production**: the request pays for building the recording, encoding it
    /// and the store's write, instead of the microseconds of the hand-off to the background
    /// writer. With `DirStore`, which writes each recording to its own file atomically,
    /// that is 1.3 to 1.5 ms per operation on the machine in BENCHMARKS.md; with `S3Store`,
    /// an upload, flushed each time. `queue_capacity` does not apply, and recordings are
    /// never dropped for a full queue.
    ///
    /// ```
    /// use playback_store::{MemoryStore, Query, Store};
    /// use tracing_subscriber::prelude::*;
    ///
    /// let store = MemoryStore::new();
    /// let (layer, _guard) = playback_layer::PlaybackLayer::builder()
    ///     .store(store.clone())
    ///     .write_through(true)
    ///     .build()?;
    /// tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || {
    ///     let _op = tracing::info_span!("checkout", playback = "operation").entered();
    /// });
    /// // Stored already: no flush, and the guard is still alive.
    /// assert_eq!(store.find(&Query::category("checkout"))?.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_through(mut self, on: bool) -> Self {
        self.delivery.write_through = on;
        self
    }

    /// For tests that install the layer globally and never drop the guard (it lives in a
    /// `static`, or is leaked): recordings still queued when a thread ends are flushed
    /// before it ends. Every thread that ends an operation, and the thread that calls
    /// `build`, waits for the background writer (up to `flush_timeout`) when it exits. The
    /// request path is unchanged: recordings still go through the queue. Default false.
    ///
    /// libtest joins each test thread before it reports the test, so every recording a
    /// test makes on its own thread (or on a `#[tokio::test]` runtime, or on threads it
    /// joins) is stored before the harness exits, whether it returns or calls
    /// `std::process::exit`. The same holds for a binary's `main` returning or calling
    /// `std::process::exit`, on Linux and macOS, where exit runs the exiting thread's
    /// thread-local destructors. Rust offers no safe exit hook beyond these, so a
    /// recording queued by a thread that is still running when the process exits (a
    /// detached thread, a runtime that is never shut down) can still be lost, as can every
    /// queued recording on a platform where exit skips the main thread's thread-locals
    /// (Windows). [`write_through`](Self::write_through) has none of these limits.
    ///
    /// ```
    /// use std::sync::OnceLock;
    /// use playback_layer::{PlaybackGuard, PlaybackLayer};
    /// use tracing_subscriber::prelude::*;
    ///
    /// static GUARD: OnceLock<PlaybackGuard> = OnceLock::new();
    ///
    /// let store = playback_store::MemoryStore::new();
    /// let (layer, guard) = PlaybackLayer::builder()
    ///     .store(store.clone())
    ///     .flush_on_exit(true)
    ///     .build()?;
    /// let _ = tracing::subscriber::set_global_default(tracing_subscriber::registry().with(layer));
    /// GUARD.set(guard).unwrap(); // never dropped: recordings are flushed as threads end
    /// std::thread::spawn(|| {
    ///     let _op = tracing::info_span!("checkout", playback = "operation").entered();
    /// })
    /// .join()
    /// .unwrap();
    /// // The thread has ended, so its recording is stored.
    /// assert_eq!(store.len(), 1);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn flush_on_exit(mut self, on: bool) -> Self {
        self.delivery.flush_on_exit = on;
        self
    }

    /// The key of the fingerprints that [`Secret`](playback_redact::Secret) values and
    /// fingerprint rules put in recordings (HMAC-SHA256; it never appears in a recording).
    /// Without it, `build` reads `PLAYBACK_FINGERPRINT_KEY`. The key is installed for the
    /// whole process, so that a replay in the same process fingerprints the same way.
    ///
    /// ```
    /// use playback_layer::redact::FingerprintKey;
    /// let key = FingerprintKey::new(b"0123456789abcdef0123456789abcdef")?;
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .fingerprint_key(key)
    ///     .redact("/args/user_id");
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn fingerprint_key(mut self, key: FingerprintKey) -> Self {
        self.key = Some(key);
        self
    }

    /// Redacts the values at paths matching `pattern` with a keyed fingerprint (equal
    /// values keep matching and comparing equal). Paths address the recording as one
    /// document: `/args/<name>`, `/result`, `/metadata/<key>`, `/inputs/<alias>/key`,
    /// `/inputs/<alias>/value`, `/outputs/<alias>/args`, `/outputs/<alias>/value`; `*`
    /// is one segment and `**` any number (`**/password`). Needs a
    /// [fingerprint key](Self::fingerprint_key).
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .redact("**/password");
    /// assert!(b.build::<tracing_subscriber::Registry>().is_err()); // no key configured
    /// ```
    pub fn redact(self, pattern: &str) -> Self {
        self.redact_with(pattern, RedactMode::Fingerprint)
    }

    /// Redacts the values at paths matching `pattern` in the given [`Mode`](RedactMode).
    ///
    /// ```
    /// use playback_layer::redact::Mode;
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .redact_with("/args/card/number", Mode::MaskLast4)
    ///     .redact_with("**/password", Mode::Remove);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn redact_with(mut self, pattern: &str, mode: RedactMode) -> Self {
        self.redaction = self.redaction.path(pattern, mode);
        self
    }

    /// Redacts, with a keyed fingerprint, the value of every field whose name matches
    /// `regex`, anywhere in a recording (arguments, results, keys, metadata).
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .redact_key("(?i)^(ssn|tax_id)$");
    /// assert!(b.build::<tracing_subscriber::Registry>().is_err()); // no key configured
    /// ```
    pub fn redact_key(self, regex: &str) -> Self {
        self.redact_key_with(regex, RedactMode::Fingerprint)
    }

    /// Redacts the value of every field whose name matches `regex`, in the given
    /// [`Mode`](RedactMode).
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .redact_key_with("(?i)token", playback_layer::redact::Mode::Remove);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn redact_key_with(mut self, regex: &str, mode: RedactMode) -> Self {
        self.redaction = self.redaction.key(regex, mode);
        self
    }

    /// Turns a built-in detector on (all are off by default): every string recorded is
    /// scanned, and what it finds is replaced as [`detector_mode`](Self::detector_mode)
    /// says (default: a `[redacted:<detector>:<fingerprint>]` token).
    ///
    /// ```
    /// use playback_layer::redact::{Detector, Mode};
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .detect(Detector::Email)
    ///     .detector_mode(Mode::MaskLength);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn detect(mut self, detector: Detector) -> Self {
        self.redaction = self.redaction.detect(detector);
        self
    }

    /// Turns every built-in detector on.
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .detect_all()
    ///     .detector_mode(playback_layer::redact::Mode::Remove);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn detect_all(mut self) -> Self {
        self.redaction = self.redaction.detect_all();
        self
    }

    /// What the detectors do to what they find (default [`Mode::Fingerprint`](RedactMode::Fingerprint)).
    ///
    /// ```
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .detector_mode(playback_layer::redact::Mode::Remove);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn detector_mode(mut self, mode: RedactMode) -> Self {
        self.redaction = self.redaction.detector_mode(mode);
        self
    }

    /// Adds a whole set of [`Rules`] (for example shared with `playback::audit`).
    ///
    /// ```
    /// use playback_layer::redact::{Mode, Rules};
    /// let rules = Rules::new().path("**/password", Mode::Remove);
    /// let b = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .redaction(rules);
    /// assert!(b.build::<tracing_subscriber::Registry>().is_ok());
    /// ```
    pub fn redaction(mut self, rules: Rules) -> Self {
        self.redaction = rules;
        self
    }

    /// Builds the layer (wrapped in its own filter) and the guard that flushes on drop.
    ///
    /// ```
    /// use tracing_subscriber::prelude::*;
    /// let (layer, _guard) = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .build()?;
    /// let _subscriber = tracing_subscriber::registry().with(layer);
    /// # Ok::<(), playback_layer::LayerError>(())
    /// ```
    pub fn build<S>(self) -> Result<(FilteredPlaybackLayer<S>, PlaybackGuard), LayerError>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        if let Some(e) = self.rate_error {
            return Err(e);
        }
        let store = self.store.ok_or(LayerError::NoStore)?;
        if self.config.max_recording_bytes == 0 {
            return Err(LayerError::ZeroLimit {
                setting: "max_recording_size",
            });
        }
        if self.config.queue_capacity == 0 {
            return Err(LayerError::ZeroLimit {
                setting: "queue_capacity",
            });
        }
        if self.config.max_queued_bytes == 0 {
            return Err(LayerError::ZeroLimit {
                setting: "max_queued_bytes",
            });
        }
        let mut config = self.config;
        let key = match self.key {
            Some(key) => Some(key),
            None => FingerprintKey::from_env(KEY_ENV)
                .map_err(|source| LayerError::Redaction { source })?,
        };
        if let Some(key) = &key {
            playback_redact::set_fingerprint_key(key.clone());
        }
        if !self.redaction.is_empty() {
            let redactor = self
                .redaction
                .compile(key)
                .map_err(|source| LayerError::Redaction { source })?;
            config.redactor = Some(Arc::new(redactor));
        }
        let (shared, guard) = writer::start(config, store, self.delivery)
            .map_err(|source| LayerError::Spawn { source })?;
        let filter = PlaybackFilter {
            sampler: Some(shared.clone()),
        };
        let layer = PlaybackLayer::new(Mode::Record(shared)).with_filter(filter);
        Ok((layer, guard))
    }
}
