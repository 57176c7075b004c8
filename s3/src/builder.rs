//! [`S3StoreBuilder`]: every option of the S3 store.

use std::fmt;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;

use aws_config::BehaviorVersion;
use aws_config::environment::EnvironmentVariableRegionProvider;
use aws_config::meta::region::ProvideRegion;
use aws_config::retry::RetryConfig;
use aws_config::timeout::TimeoutConfig;
use aws_sdk_s3::Client;
use aws_sdk_s3::config::{Credentials, Region};
use playback_store::{Recording, StoreError};

use crate::error::S3Error;
use crate::fsutil::stable_hash;
use crate::runtime::OwnedRuntime;
use crate::store::S3Store;

/// The sampling calculator: given the category, the stored size in bytes (after
/// compression) and the recording, returns the probability of keeping it (`1.0`
/// keeps everything, `0.0` nothing).
pub type Sampler = dyn Fn(&str, usize, &Recording) -> f64 + Send + Sync;

/// Builds an [`S3Store`]; see [`S3Store::builder`].
///
/// ```
/// use std::time::Duration;
/// let builder = playback_s3::S3Store::builder()
///     .bucket("prod-recordings")
///     .prefix("checkout-service/")
///     .infrequent_access_above_kb(256)
///     .sampling(|_category, _size, rec| if rec.outcome.as_str() == "ok" { 0.1 } else { 1.0 })
///     .upload_concurrency(16)
///     .probe_interval(Duration::from_secs(5));
/// assert!(format!("{builder:?}").contains("prod-recordings"));
/// ```
#[must_use = "call `.build().await` to open the store"]
pub struct S3StoreBuilder {
    pub(crate) bucket: String,
    pub(crate) prefix: String,
    region: Option<String>,
    endpoint_url: Option<String>,
    force_path_style: bool,
    credentials: Option<Credentials>,
    sdk_config: Option<aws_config::SdkConfig>,
    pub(crate) read_only: bool,
    pub(crate) transient: bool,
    pub(crate) compress_above: usize,
    pub(crate) infrequent_access_above: Option<u64>,
    pub(crate) sampler: Option<Arc<Sampler>>,
    pub(crate) sampling_seed: Option<u64>,
    pub(crate) cache_dir: Option<PathBuf>,
    pub(crate) spool_dir: Option<PathBuf>,
    pub(crate) spool_max_bytes: u64,
    pub(crate) spool_fsync: bool,
    pub(crate) upload_concurrency: usize,
    pub(crate) packed: bool,
    pub(crate) pack_max_recordings: usize,
    pub(crate) pack_max_bytes: usize,
    pub(crate) pack_max_delay: Duration,
    pub(crate) read_concurrency: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) max_queued_bytes: u64,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) probe_interval: Duration,
    pub(crate) close_timeout: Duration,
    connect_timeout: Duration,
    attempt_timeout: Duration,
}

impl fmt::Debug for S3StoreBuilder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("S3StoreBuilder")
            .field("bucket", &self.bucket)
            .field("prefix", &self.prefix)
            .field("region", &self.region)
            .field("endpoint_url", &self.endpoint_url)
            .field("force_path_style", &self.force_path_style)
            .field("static_credentials", &self.credentials.is_some())
            .field("read_only", &self.read_only)
            .field("transient", &self.transient)
            .field("compress_above", &self.compress_above)
            .field("infrequent_access_above", &self.infrequent_access_above)
            .field("sampling", &self.sampler.is_some())
            .field("cache_dir", &self.cache_dir)
            .field("spool_dir", &self.spool_dir)
            .field("spool_max_bytes", &self.spool_max_bytes)
            .field("spool_fsync", &self.spool_fsync)
            .field("upload_concurrency", &self.upload_concurrency)
            .field("packed", &self.packed)
            .field("pack_max_recordings", &self.pack_max_recordings)
            .field("queue_capacity", &self.queue_capacity)
            .field("max_queued_bytes", &self.max_queued_bytes)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

impl Default for S3StoreBuilder {
    fn default() -> Self {
        S3StoreBuilder {
            bucket: String::new(),
            prefix: String::new(),
            region: None,
            endpoint_url: None,
            force_path_style: false,
            credentials: None,
            sdk_config: None,
            read_only: false,
            transient: false,
            compress_above: 4 * 1024,
            infrequent_access_above: None,
            sampler: None,
            sampling_seed: None,
            cache_dir: None,
            spool_dir: None,
            spool_max_bytes: 512 * 1024 * 1024,
            spool_fsync: true,
            upload_concurrency: 8,
            packed: true,
            pack_max_recordings: 1000,
            pack_max_bytes: 4 * 1024 * 1024,
            pack_max_delay: Duration::from_millis(20),
            read_concurrency: 32,
            queue_capacity: 65_536,
            max_queued_bytes: 64 * 1024 * 1024,
            max_attempts: 4,
            backoff_base: Duration::from_millis(100),
            backoff_max: Duration::from_secs(5),
            probe_interval: Duration::from_secs(2),
            close_timeout: Duration::from_secs(10),
            connect_timeout: Duration::from_secs(3),
            attempt_timeout: Duration::from_secs(30),
        }
    }
}

impl S3StoreBuilder {
    /// The bucket (required).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().bucket("b");
    /// assert!(format!("{b:?}").contains("bucket: \"b\""));
    /// ```
    pub fn bucket(mut self, bucket: impl Into<String>) -> Self {
        self.bucket = bucket.into();
        self
    }

    /// The key prefix under which everything is stored, such as `"checkout-service/"`
    /// (a `/` is added when missing). Empty by default.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().prefix("svc/");
    /// assert!(format!("{b:?}").contains("svc/"));
    /// ```
    pub fn prefix(mut self, prefix: impl Into<String>) -> Self {
        self.prefix = prefix.into();
        self
    }

    /// The AWS region; by default the standard chain decides (`AWS_REGION`, the
    /// profile, IMDS), or `us-east-1` with a custom [endpoint](Self::endpoint_url).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().region("eu-west-1");
    /// assert!(format!("{b:?}").contains("eu-west-1"));
    /// ```
    pub fn region(mut self, region: impl Into<String>) -> Self {
        self.region = Some(region.into());
        self
    }

    /// Talks to another S3-compatible service (MinIO, Ceph, a local test server).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().endpoint_url("http://127.0.0.1:9000");
    /// assert!(format!("{b:?}").contains("9000"));
    /// ```
    pub fn endpoint_url(mut self, url: impl Into<String>) -> Self {
        self.endpoint_url = Some(url.into());
        self
    }

    /// Uses `endpoint/bucket/key` URLs instead of `bucket.endpoint/key` (most
    /// S3-compatible services need this).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().force_path_style(true);
    /// assert!(format!("{b:?}").contains("force_path_style: true"));
    /// ```
    pub fn force_path_style(mut self, yes: bool) -> Self {
        self.force_path_style = yes;
        self
    }

    /// Static credentials instead of the standard chain (env, profile, web identity,
    /// ECS, IMDS).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().credentials("AKIA...", "secret");
    /// assert!(format!("{b:?}").contains("static_credentials: true"));
    /// assert!(!format!("{b:?}").contains("secret"));
    /// ```
    pub fn credentials(mut self, access_key_id: &str, secret_access_key: &str) -> Self {
        self.credentials = Some(Credentials::new(
            access_key_id,
            secret_access_key,
            None,
            None,
            "playback-s3",
        ));
        self
    }

    /// Starts from an SDK configuration the application already loaded, instead of
    /// loading the standard chain. Region, endpoint and credentials set on this
    /// builder still apply on top of it.
    ///
    /// ```
    /// let conf = aws_config::SdkConfig::builder().build();
    /// let b = playback_s3::S3Store::builder().sdk_config(conf);
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn sdk_config(mut self, config: aws_config::SdkConfig) -> Self {
        self.sdk_config = Some(config);
        self
    }

    /// Makes every write (`put`, `delete`) an error. Use it for developers and CI,
    /// which only read production recordings.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().read_only(true);
    /// assert!(format!("{b:?}").contains("read_only: true"));
    /// ```
    pub fn read_only(mut self, yes: bool) -> Self {
        self.read_only = yes;
        self
    }

    /// Deletes every recording under the prefix when the store is closed. For tests.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().transient(true);
    /// assert!(format!("{b:?}").contains("transient: true"));
    /// ```
    pub fn transient(mut self, yes: bool) -> Self {
        self.transient = yes;
        self
    }

    /// Compresses recordings whose JSON is larger than `bytes` with zstd (stored
    /// with `Content-Encoding: zstd`). Default 4 KiB; `usize::MAX` never compresses.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().compress_above(0);
    /// assert!(format!("{b:?}").contains("compress_above: 0"));
    /// ```
    pub fn compress_above(mut self, bytes: usize) -> Self {
        self.compress_above = bytes;
        self
    }

    /// Writes recordings of at least `kb` KiB (as stored, after compression) with
    /// the `STANDARD_IA` storage class. Off by default. Index objects always use
    /// `STANDARD`.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().infrequent_access_above_kb(128);
    /// assert!(format!("{b:?}").contains("131072"));
    /// ```
    pub fn infrequent_access_above_kb(mut self, kb: u64) -> Self {
        self.infrequent_access_above = Some(kb.saturating_mul(1024));
        self
    }

    /// The sampling calculator: called by `put` with the category, the stored size
    /// in bytes and the recording; returns the probability of keeping it.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().sampling(|category, _, _| {
    ///     if category == "health" { 0.01 } else { 1.0 }
    /// });
    /// assert!(format!("{b:?}").contains("sampling: true"));
    /// ```
    pub fn sampling(
        mut self,
        calculator: impl Fn(&str, usize, &Recording) -> f64 + Send + Sync + 'static,
    ) -> Self {
        self.sampler = Some(Arc::new(calculator));
        self
    }

    /// Seeds the sampling decisions, so a test gets the same choices every run.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().sampling_seed(110613);
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn sampling_seed(mut self, seed: u64) -> Self {
        self.sampling_seed = Some(seed);
        self
    }

    /// A read-through cache directory: recordings fetched once are read from here
    /// afterwards, without a request. One sub-folder per bucket and prefix.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().cache_dir("/tmp/recordings-cache");
    /// assert!(format!("{b:?}").contains("recordings-cache"));
    /// ```
    pub fn cache_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.cache_dir = Some(dir.into());
        self
    }

    /// Where recordings wait while S3 is unreachable. One sub-folder per bucket and
    /// prefix, so a restarted process finds its own spool. Default:
    /// `<temp dir>/playback-s3-spool`.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().spool_dir("/var/spool/playback");
    /// assert!(format!("{b:?}").contains("/var/spool/playback"));
    /// ```
    pub fn spool_dir(mut self, dir: impl Into<PathBuf>) -> Self {
        self.spool_dir = Some(dir.into());
        self
    }

    /// The spool's size cap; recordings that do not fit are dropped and counted
    /// (`s3_dropped_over_cap`). Default 512 MiB; 0 disables spooling.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().spool_max_bytes(1 << 20);
    /// assert!(format!("{b:?}").contains("spool_max_bytes: 1048576"));
    /// ```
    pub fn spool_max_bytes(mut self, bytes: u64) -> Self {
        self.spool_max_bytes = bytes;
        self
    }

    /// Whether a spooled recording is durable before it counts as spooled
    /// (`s3_spooled`): its file is synced, renamed into place, and the spool directory
    /// synced, so a machine crash during an outage loses no recording the store has
    /// counted. Default `true`; `false` leaves it to the OS's write-back (cheaper, for a
    /// spool on tmpfs or where losing the spool in a crash is acceptable). The cost is
    /// in BENCHMARKS.md ("S3 store"); it is paid where the spooling happens, by the
    /// uploader, or by `put` when the upload queue is full (the layer calls `put` from
    /// its writer thread, never from your request).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().spool_fsync(false);
    /// assert!(format!("{b:?}").contains("spool_fsync: false"));
    /// ```
    pub fn spool_fsync(mut self, durable: bool) -> Self {
        self.spool_fsync = durable;
        self
    }

    /// How many uploads run at once. Default 8.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().upload_concurrency(2);
    /// assert!(format!("{b:?}").contains("upload_concurrency: 2"));
    /// ```
    pub fn upload_concurrency(mut self, n: usize) -> Self {
        self.upload_concurrency = n;
        self
    }

    /// How many requests a listing or a `find` runs at once. Default 32.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().read_concurrency(4);
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn read_concurrency(mut self, n: usize) -> Self {
        self.read_concurrency = n;
        self
    }

    /// How many recordings may wait for an upload slot in memory; past that, `put`
    /// writes them to the spool instead of waiting. Default 65,536 (3 s at 20,000
    /// recordings per second; `max_queued_bytes` bounds their memory).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().queue_capacity(100);
    /// assert!(format!("{b:?}").contains("queue_capacity: 100"));
    /// ```
    pub fn queue_capacity(mut self, n: usize) -> Self {
        self.queue_capacity = n;
        self
    }

    /// The bytes that recordings waiting for an upload, or uploading, may hold in memory
    /// (their stored body and index object). Past that, `put` writes a recording to the
    /// spool instead of queueing it (counted in `s3_queue_over_bytes`), or drops and
    /// counts it when the spool is off or full; it never waits. Default 64 MiB, like the
    /// layer's `max_queued_bytes`. The spool's own cap, on disk, is
    /// [`spool_max_bytes`](Self::spool_max_bytes).
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().max_queued_bytes(16 << 20);
    /// assert!(format!("{b:?}").contains("max_queued_bytes: 16777216"));
    /// ```
    pub fn max_queued_bytes(mut self, bytes: u64) -> Self {
        self.max_queued_bytes = bytes;
        self
    }

    /// Attempts per upload before the recording goes to the spool. Default 4.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().max_attempts(2);
    /// assert!(format!("{b:?}").contains("max_attempts: 2"));
    /// ```
    pub fn max_attempts(mut self, n: u32) -> Self {
        self.max_attempts = n;
        self
    }

    /// The backoff between upload attempts: `base`, doubled each time, at most
    /// `max`, with jitter. Default 100 ms and 5 s.
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = playback_s3::S3Store::builder().retry_backoff(Duration::from_millis(10), Duration::from_secs(1));
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn retry_backoff(mut self, base: Duration, max: Duration) -> Self {
        self.backoff_base = base;
        self.backoff_max = max;
        self
    }

    /// While S3 is unreachable, how often one spooled recording is tried to see
    /// whether it is back. Default 2 s.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().probe_interval(std::time::Duration::from_millis(500));
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn probe_interval(mut self, interval: Duration) -> Self {
        self.probe_interval = interval;
        self
    }

    /// How long closing (or dropping) the store waits for pending uploads. Default 10 s.
    ///
    /// ```
    /// let b = playback_s3::S3Store::builder().close_timeout(std::time::Duration::from_secs(1));
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn close_timeout(mut self, timeout: Duration) -> Self {
        self.close_timeout = timeout;
        self
    }

    /// The TCP connect timeout (default 3 s) and the timeout of one request attempt
    /// (default 30 s).
    ///
    /// ```
    /// use std::time::Duration;
    /// let b = playback_s3::S3Store::builder().timeouts(Duration::from_secs(1), Duration::from_secs(5));
    /// assert!(format!("{b:?}").starts_with("S3StoreBuilder"));
    /// ```
    pub fn timeouts(mut self, connect: Duration, attempt: Duration) -> Self {
        self.connect_timeout = connect;
        self.attempt_timeout = attempt;
        self
    }

    /// Opens the store: loads the AWS configuration (without any request to S3) and
    /// starts the store's background uploader. Use [`S3Store::check`] to verify the
    /// bucket and the credentials.
    ///
    /// Works from any async runtime: the store runs its S3 work on its own threads.
    ///
    /// ```no_run
    /// # async fn demo() -> Result<(), playback_store::StoreError> {
    /// let store = playback_s3::S3Store::builder()
    ///     .bucket("prod-recordings")
    ///     .prefix("checkout-service/")
    ///     .build()
    ///     .await?;
    /// assert_eq!(store.bucket(), "prod-recordings");
    /// # Ok(()) }
    /// ```
    pub async fn build(self) -> Result<S3Store, StoreError> {
        self.check()?;
        let runtime = OwnedRuntime::new()?;
        let clients = runtime.run("open", self.clients()).await?;
        S3Store::start(self, runtime, clients)
    }

    /// Like [`S3StoreBuilder::build`], for synchronous code.
    ///
    /// ```
    /// let err = playback_s3::S3Store::builder().build_blocking().unwrap_err();
    /// assert!(err.to_string().contains("no bucket"));
    /// ```
    pub fn build_blocking(self) -> Result<S3Store, StoreError> {
        self.check()?;
        let runtime = OwnedRuntime::new()?;
        let clients = runtime.wait("open", self.clients())?;
        S3Store::start(self, runtime, clients)
    }

    /// Rejects options that do not fit together.
    fn check(&self) -> Result<(), StoreError> {
        let reason = if self.bucket.is_empty() {
            "no bucket: call `.bucket(\"name\")` on the builder"
        } else if self.transient && self.read_only {
            "a transient store deletes its recordings on close, which a read-only store may \
             not do: drop one of `.transient(true)` and `.read_only(true)`"
        } else if self.upload_concurrency == 0 || self.read_concurrency == 0 {
            "the upload and read concurrency must be at least 1"
        } else if self.queue_capacity == 0 {
            "the queue capacity must be at least 1"
        } else if self.max_queued_bytes == 0 {
            "`max_queued_bytes` must be at least 1"
        } else if self.max_attempts == 0 {
            "`max_attempts` must be at least 1"
        } else {
            return Ok(());
        };
        Err(S3Error::Config {
            reason: reason.to_owned(),
        }
        .into())
    }

    /// The SDK clients: one for reads (SDK retries) and one for uploads (the store
    /// retries, to count and spool).
    fn clients(
        &self,
    ) -> impl std::future::Future<Output = Result<Clients, StoreError>> + Send + 'static {
        let region = self.region.clone();
        let endpoint_url = self.endpoint_url.clone();
        let force_path_style = self.force_path_style;
        let credentials = self.credentials.clone();
        let sdk_config = self.sdk_config.clone();
        let timeouts = TimeoutConfig::builder()
            .connect_timeout(self.connect_timeout)
            .operation_attempt_timeout(self.attempt_timeout)
            .build();
        async move {
            let sdk = match sdk_config {
                Some(sdk) => sdk,
                None => {
                    let mut loader = aws_config::defaults(BehaviorVersion::latest());
                    if let Some(credentials) = credentials.clone() {
                        loader = loader.credentials_provider(credentials);
                    }
                    if let Some(region) = region.clone() {
                        loader = loader.region(Region::new(region));
                    } else if endpoint_url.is_some() {
                        // A custom endpoint rarely cares about the region; skip the
                        // IMDS lookup of the full chain.
                        let env = EnvironmentVariableRegionProvider::new().region().await;
                        loader = loader.region(env.unwrap_or_else(|| Region::new("us-east-1")));
                    }
                    loader.load().await
                }
            };
            let mut conf = aws_sdk_s3::config::Builder::from(&sdk).timeout_config(timeouts);
            if let Some(region) = region {
                conf = conf.region(Region::new(region));
            }
            if let Some(credentials) = credentials {
                conf = conf.credentials_provider(credentials);
            }
            if let Some(url) = endpoint_url {
                conf = conf.endpoint_url(url);
            }
            conf = conf.force_path_style(force_path_style);
            let read = conf
                .clone()
                .retry_config(RetryConfig::standard().with_max_attempts(3))
                .build();
            let upload = conf.retry_config(RetryConfig::disabled()).build();
            if read.region().is_none() {
                return Err(S3Error::Config {
                    reason: "no AWS region: set AWS_REGION, a profile region, or call \
                             `.region(..)` on the builder"
                        .to_owned(),
                }
                .into());
            }
            Ok(Clients {
                read: Client::from_conf(read),
                upload: Client::from_conf(upload),
            })
        }
    }

    /// The per-store sub-folder of a cache or spool directory.
    pub(crate) fn store_folder(&self, root: &std::path::Path) -> PathBuf {
        let endpoint = self.endpoint_url.as_deref().unwrap_or("aws");
        let prefix = crate::keys::Layout::new(&self.prefix);
        let hash = stable_hash(&[endpoint, &self.bucket, prefix.prefix()]);
        root.join(format!("{hash:016x}"))
    }
}

/// The two SDK clients of a store.
#[derive(Debug)]
pub(crate) struct Clients {
    pub(crate) read: Client,
    pub(crate) upload: Client,
}
