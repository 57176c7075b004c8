//! [`S3Store`]: the `Store` implementation over an S3 bucket.

use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::Ordering::SeqCst;
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

use parking_lot::Mutex;
use playback_store::{Query, Recording, RecordingId, Store, StoreError, Summary};
use tokio::sync::{Notify, Semaphore, mpsc};

use crate::bucket::Bucket;
use crate::builder::{Clients, S3StoreBuilder};
use crate::cache::Cache;
use crate::core::{Inner, Job, Options, State};
use crate::counters::Counters;
use crate::keys::Layout;
use crate::runtime::{OwnedRuntime, closed_error};
use crate::spool::Spool;

/// Keeps recordings in an S3 bucket (or any S3-compatible service), for every
/// instance of a service at once.
///
/// It implements [`Store`], so the layer, replay, the Equalizer and the test harness
/// work with it as with a `DirStore`. [`Store::put`] never waits for S3: it queues
/// the recording for the store's own upload tasks (bounded concurrency, retries with
/// backoff) and returns. While S3 is unreachable, recordings go to a local spool
/// (with a size cap) and are uploaded when S3 is back, also by the next process
/// when this one stops first. [`Store::flush`] waits for the queue.
///
/// Layout inside the bucket (packs by default, see [`S3StoreBuilder::packed`]):
///
/// ```text
/// <prefix>packs/<YYYY>/<MM>/<DD>/<HH>/<mm>/<stem>.pack        many recordings (zstd above 4 KiB each)
/// <prefix>packs/<YYYY>/<MM>/<DD>/<HH>/<mm>/<stem>.dir.json    id -> byte range in the pack
/// <prefix>index/<category>/<YYYY>/<MM>/<DD>/<stem>.pack.json  their summaries, for listings
/// <prefix>recordings/<id>.json                                one recording (`packed(false)`)
/// <prefix>index/<category>/<YYYY>/<MM>/<DD>/<id>.json         its summary
/// ```
///
/// **Durability.** A recording is durable in S3 once the upload of its pack (the
/// pack, its directory and its index objects) has succeeded. [`Store::put`] returns
/// before that: the recording waits in memory for at most the pack delay (20 ms by
/// default) plus the upload, or, while S3 is down, in the spool (on disk, synced
/// unless `spool_fsync(false)`). [`Store::flush`] returns once every recording
/// accepted so far is in S3, or in the spool while S3 is down (or counted as
/// dropped). A crash loses what was queued in memory and not yet uploaded or
/// spooled (at most `max_queued_bytes`); the spool survives and is uploaded by the
/// next process.
///
/// The sync methods run on the store's own small runtime and wait on a channel, so
/// they work from plain threads and from inside any async runtime; the `*_async`
/// methods do the same work for async callers.
///
/// ```no_run
/// use playback_store::{Query, Store};
/// # async fn demo() -> Result<(), playback_store::StoreError> {
/// let store = playback_s3::S3Store::builder()
///     .bucket("prod-recordings")
///     .prefix("checkout-service/")
///     .read_only(true)
///     .cache_dir("target/recordings-cache")
///     .build()
///     .await?;
/// let errors = store.list_async(&Query::category("checkout").limit(20)).await?;
/// assert!(errors.len() <= 20);
/// # Ok(()) }
/// ```
#[derive(Debug)]
pub struct S3Store {
    pub(crate) inner: Arc<Inner>,
    sender: Mutex<Option<mpsc::Sender<Job>>>,
    pub(crate) runtime: OwnedRuntime,
}

impl S3Store {
    /// Starts configuring a store; see [`S3StoreBuilder`].
    ///
    /// ```
    /// let builder = playback_s3::S3Store::builder().bucket("b").prefix("svc/");
    /// assert!(format!("{builder:?}").contains("svc/"));
    /// ```
    pub fn builder() -> S3StoreBuilder {
        S3StoreBuilder::default()
    }

    /// Assembles the store and starts its tasks (called by the builder).
    pub(crate) fn start(
        builder: S3StoreBuilder,
        runtime: OwnedRuntime,
        clients: Clients,
    ) -> Result<S3Store, StoreError> {
        let counters = Arc::new(Counters::default());
        let spool = if builder.read_only || builder.spool_max_bytes == 0 {
            None
        } else {
            let root = builder
                .spool_dir
                .clone()
                .unwrap_or_else(|| std::env::temp_dir().join("playback-s3-spool"));
            let dir = builder.store_folder(&root);
            Some(
                Spool::open(dir.clone(), builder.spool_max_bytes, builder.spool_fsync).map_err(
                    |source| StoreError::Io {
                        path: dir,
                        op: "open the spool directory",
                        source,
                    },
                )?,
            )
        };
        let cache = builder
            .cache_dir
            .as_ref()
            .map(|root| Cache::new(builder.store_folder(root)));
        let rng = match builder.sampling_seed {
            Some(seed) => fastrand::Rng::with_seed(seed),
            None => fastrand::Rng::new(),
        };
        let inner = Arc::new(Inner {
            bucket: Bucket {
                client: clients.read,
                upload_client: clients.upload,
                name: builder.bucket.clone(),
                counters: counters.clone(),
            },
            layout: Layout::new(&builder.prefix),
            options: Options {
                read_only: builder.read_only,
                transient: builder.transient,
                compress_above: builder.compress_above,
                infrequent_access_above: builder.infrequent_access_above,
                sampler: builder.sampler.clone(),
                upload_concurrency: builder.upload_concurrency,
                packed: builder.packed,
                pack_max_recordings: builder.pack_max_recordings.max(1),
                pack_max_bytes: builder.pack_max_bytes,
                pack_max_delay: builder.pack_max_delay,
                max_queued_bytes: builder.max_queued_bytes,
                max_attempts: builder.max_attempts,
                backoff_base: builder.backoff_base,
                backoff_max: builder.backoff_max,
                probe_interval: builder.probe_interval,
                close_timeout: builder.close_timeout,
            },
            counters,
            cache,
            spool,
            state: State::default(),
            queued_bytes: AtomicU64::new(0),
            peak_queued_bytes: AtomicU64::new(0),
            work: Notify::new(),
            probe_now: Notify::new(),
            rng: Mutex::new(rng),
            dirs: crate::packread::DirCache::default(),
            delete_lock: tokio::sync::Mutex::new(()),
            read_permits: Arc::new(Semaphore::new(builder.read_concurrency)),
            closed: AtomicBool::new(false),
            stopped: AtomicBool::new(false),
        });
        let (sender, queue) = mpsc::channel(builder.queue_capacity);
        runtime.handle().spawn(inner.clone().dispatch(queue));
        if !inner.options.read_only {
            runtime.handle().spawn(inner.clone().spool_task());
        }
        Ok(S3Store {
            inner,
            sender: Mutex::new(Some(sender)),
            runtime,
        })
    }

    /// The bucket.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert_eq!(store.bucket(), "prod-recordings");
    /// # }
    /// ```
    pub fn bucket(&self) -> &str {
        &self.inner.bucket.name
    }

    /// The key prefix, ending with `/` (or empty).
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert_eq!(store.prefix(), "checkout-service/");
    /// # }
    /// ```
    pub fn prefix(&self) -> &str {
        self.inner.layout.prefix()
    }

    /// Whether writes are refused.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert!(!store.is_read_only());
    /// # }
    /// ```
    pub fn is_read_only(&self) -> bool {
        self.inner.options.read_only
    }

    /// The folder this store spools to (`None` when read-only or spooling is off).
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert!(store.spool_dir().unwrap().starts_with(std::env::temp_dir()));
    /// # }
    /// ```
    pub fn spool_dir(&self) -> Option<&Path> {
        self.inner.spool.as_ref().map(|s| s.dir())
    }

    /// How many recordings wait in the spool.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert_eq!(store.spooled(), 0);
    /// # }
    /// ```
    pub fn spooled(&self) -> u64 {
        self.inner.spool_files()
    }

    /// One counter of [`Store::counters`] by name (`"s3_uploaded"`, ...); 0 when unknown.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert_eq!(store.counter("s3_dropped_over_cap"), 0);
    /// # }
    /// ```
    pub fn counter(&self, name: &str) -> u64 {
        self.counters()
            .into_iter()
            .find(|(n, _)| *n == name)
            .map_or(0, |(_, v)| v)
    }

    /// Waits until every recording accepted by `put` is in S3: the queue is empty,
    /// so is the spool, and S3 is reachable. Probes S3 at once instead of after the
    /// probe interval. Returns whether that happened before `timeout`.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert!(store.drain(std::time::Duration::from_secs(30)));
    /// # }
    /// ```
    pub fn drain(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        self.inner.probe_now.notify_one();
        self.inner.work.notify_one();
        let inner = &self.inner;
        inner.state.wait_until(deadline, |pending| {
            pending == 0 && inner.spool_files() == 0 && !inner.state.outage()
        })
    }

    /// Whether the store currently considers S3 down: uploads go straight to the
    /// spool until a probe (every probe interval) gets through. Useful in health checks.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert!(!store.in_outage());
    /// # }
    /// ```
    pub fn in_outage(&self) -> bool {
        self.inner.state.outage()
    }

    /// Checks that the bucket exists and that the credentials may list it, with one
    /// `ListObjectsV2` request for at most one key.
    ///
    /// ```no_run
    /// # async fn demo(store: playback_s3::S3Store) {
    /// store.check().await.expect("bucket reachable");
    /// # }
    /// ```
    pub async fn check(&self) -> Result<(), StoreError> {
        self.runtime.run("check", self.inner.clone().check()).await
    }

    /// [`S3Store::check`] for synchronous code.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) {
    /// assert!(store.check_blocking().is_ok());
    /// # }
    /// ```
    pub fn check_blocking(&self) -> Result<(), StoreError> {
        self.runtime.wait("check", self.inner.clone().check())
    }

    /// Uploads one recording now (with retries) and returns when it is in S3, or the
    /// typed error. Unlike [`Store::put`] it does not queue or spool.
    ///
    /// ```no_run
    /// # async fn demo(store: playback_s3::S3Store) -> Result<(), playback_store::StoreError> {
    /// let rec = playback_store::Recording::builder("checkout").build();
    /// store.put_async(&rec).await?;
    /// assert_eq!(store.get_async(rec.id()).await?.id, rec.id);
    /// # Ok(()) }
    /// ```
    pub async fn put_async(&self, recording: &Recording) -> Result<(), StoreError> {
        self.runtime
            .run("put", self.inner.clone().put_now(recording.clone()))
            .await
    }

    /// [`S3Store::put_async`] for synchronous code: uploads now, returns the result.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) -> Result<(), playback_store::StoreError> {
    /// let rec = playback_store::Recording::builder("checkout").build();
    /// store.put_now(&rec)?;
    /// # Ok(()) }
    /// ```
    pub fn put_now(&self, recording: &Recording) -> Result<(), StoreError> {
        self.runtime
            .wait("put", self.inner.clone().put_now(recording.clone()))
    }

    /// [`Store::get`] for async code.
    ///
    /// ```no_run
    /// # async fn demo(store: playback_s3::S3Store, id: playback_store::RecordingId) -> Result<(), playback_store::StoreError> {
    /// let rec = store.get_async(&id).await?;
    /// assert_eq!(rec.id, id);
    /// # Ok(()) }
    /// ```
    pub async fn get_async(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        self.runtime
            .run("get", self.inner.clone().get(id.clone()))
            .await
    }

    /// [`Store::delete`] for async code.
    ///
    /// ```no_run
    /// # async fn demo(store: playback_s3::S3Store, id: playback_store::RecordingId) -> Result<(), playback_store::StoreError> {
    /// store.delete_async(&id).await?;
    /// assert!(store.get_async(&id).await.is_err());
    /// # Ok(()) }
    /// ```
    pub async fn delete_async(&self, id: &RecordingId) -> Result<(), StoreError> {
        self.runtime
            .run("delete", self.inner.clone().delete(id.clone()))
            .await
    }

    /// [`Store::list`] for async code.
    ///
    /// ```no_run
    /// # async fn demo(store: playback_s3::S3Store) -> Result<(), playback_store::StoreError> {
    /// let listed = store.list_async(&playback_store::Query::category("checkout").limit(5)).await?;
    /// assert!(listed.len() <= 5);
    /// # Ok(()) }
    /// ```
    pub async fn list_async(
        &self,
        query: &Query,
    ) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        self.runtime
            .run("list", self.inner.clone().list(query.clone()))
            .await
    }

    /// [`Store::find`] for async code.
    ///
    /// ```no_run
    /// # async fn demo(store: playback_s3::S3Store) -> Result<(), playback_store::StoreError> {
    /// let found = store.find_async(&playback_store::Query::category("checkout").limit(5)).await?;
    /// assert!(found.len() <= 5);
    /// # Ok(()) }
    /// ```
    pub async fn find_async(
        &self,
        query: &Query,
    ) -> Result<Vec<Result<Recording, StoreError>>, StoreError> {
        self.runtime
            .run("find", self.inner.clone().find(query.clone()))
            .await
    }

    /// Closes the store: waits (up to the close timeout) for queued uploads, deletes
    /// everything the store wrote when it is transient, and stops its threads.
    /// Later calls fail. Dropping the store closes it too.
    ///
    /// ```no_run
    /// # fn demo(store: playback_s3::S3Store) -> Result<(), playback_store::StoreError> {
    /// store.close()?;
    /// assert!(store.put(&playback_store::Recording::builder("c").build()).is_err());
    /// # Ok(()) }
    /// # use playback_store::Store;
    /// ```
    pub fn close(&self) -> Result<(), StoreError> {
        if self.inner.closed.swap(true, SeqCst) {
            return Ok(());
        }
        // Dropping the sender lets the dispatcher finish the queue and stop.
        self.sender.lock().take();
        let mut flushed = self.flush_for(self.inner.options.close_timeout);
        if !flushed && self.inner.state.pending() > 0 {
            // S3 is too slow to take the rest in time: treat it as down, so queued
            // and retrying uploads go to the spool instead of being lost.
            self.inner.state.set_outage(true);
            flushed = self.flush_for(Duration::from_secs(2));
        }
        if !flushed {
            tracing::warn!(
                target: "playback_s3",
                "closing {} with {} uploads unfinished; {} recordings stay in the spool",
                self.inner.describe(),
                self.inner.state.pending(),
                self.inner.spool_files(),
            );
        }
        let result = if self.inner.options.transient && !self.inner.options.read_only {
            self.runtime
                .wait("close", self.inner.clone().delete_everything())
                .map(drop)
        } else {
            Ok(())
        };
        self.inner.stopped.store(true, SeqCst);
        self.inner.work.notify_one();
        self.inner.probe_now.notify_one();
        self.runtime.shutdown();
        result
    }

    /// Waits for the queue (and, unless S3 is down, the spool) to empty.
    fn flush_for(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let inner = &self.inner;
        inner.state.wait_until(deadline, |pending| {
            pending == 0 && (inner.spool_files() == 0 || inner.state.outage())
        })
    }
}

impl Drop for S3Store {
    fn drop(&mut self) {
        if let Err(err) = self.close() {
            tracing::error!(target: "playback_s3", "closing the S3 store failed: {err}");
        }
    }
}

impl Store for S3Store {
    /// Queues the recording for upload and returns at once (errors only for a
    /// read-only or closed store, a bad category, or a recording that does not
    /// serialize). Sampling happens here.
    fn put(&self, recording: &Recording) -> Result<(), StoreError> {
        self.inner.check_writable("put")?;
        let Some(job) = self.inner.prepare(recording)? else {
            return Ok(());
        };
        if let Some(cache) = &self.inner.cache {
            cache.forget(&job.id);
        }
        let sender = self.sender.lock().clone();
        self.inner.enqueue(sender.as_ref(), job);
        Ok(())
    }

    fn get(&self, id: &RecordingId) -> Result<Recording, StoreError> {
        if self.inner.closed.load(SeqCst) {
            return Err(closed_error("get"));
        }
        self.runtime.wait("get", self.inner.clone().get(id.clone()))
    }

    fn delete(&self, id: &RecordingId) -> Result<(), StoreError> {
        self.inner.check_writable("delete")?;
        self.runtime
            .wait("delete", self.inner.clone().delete(id.clone()))
    }

    fn list(&self, query: &Query) -> Result<Vec<Result<Summary, StoreError>>, StoreError> {
        if self.inner.closed.load(SeqCst) {
            return Err(closed_error("list"));
        }
        self.runtime
            .wait("list", self.inner.clone().list(query.clone()))
    }

    fn find(&self, query: &Query) -> Result<Vec<Result<Recording, StoreError>>, StoreError> {
        if self.inner.closed.load(SeqCst) {
            return Err(closed_error("find"));
        }
        self.runtime
            .wait("find", self.inner.clone().find(query.clone()))
    }

    /// `s3_uploaded`, `s3_retried`, `s3_spooled`, `s3_dropped_over_cap`,
    /// `s3_queue_over_bytes` (spooled because the upload queue held `max_queued_bytes`),
    /// `s3_sampled_out`, request counts (`s3_list_requests`, `s3_get_requests`,
    /// `s3_put_requests`), `s3_cache_hits`, and the gauges `s3_spool_files`,
    /// `s3_pending_uploads`, `s3_queued_bytes` and `s3_peak_queued_bytes`.
    fn counters(&self) -> Vec<(&'static str, u64)> {
        let inner = &self.inner;
        inner.counters.snapshot(
            inner.spool_files(),
            inner.state.pending(),
            inner.queued_bytes.load(SeqCst),
            inner.peak_queued_bytes.load(SeqCst),
        )
    }

    /// Waits until every queued recording is in S3, or in the spool while S3 is down
    /// (or counted as dropped).
    fn flush(&self, timeout: Duration) -> bool {
        self.flush_for(timeout)
    }
}
