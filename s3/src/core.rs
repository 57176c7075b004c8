//! The store's shared state and its single-recording operations: put, get, delete.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::Ordering::{Relaxed, SeqCst};
use std::sync::atomic::{AtomicBool, AtomicU64};
use std::time::{Duration, Instant};

use aws_sdk_s3::types::StorageClass;
use parking_lot::{Condvar, Mutex};
use playback_store::{Recording, RecordingId, StoreError, validate_category};
use tokio::sync::{Notify, Semaphore};

use crate::bucket::{Bucket, PutOutcome, PutRequest};
use crate::builder::Sampler;
use crate::cache::Cache;
use crate::codec;
use crate::counters::Counters;
use crate::error::S3Error;
use crate::keys::{Layout, Stem};
use crate::runtime::closed_error;
use crate::spool::Spool;

/// The options the running store needs.
pub(crate) struct Options {
    pub(crate) read_only: bool,
    pub(crate) transient: bool,
    pub(crate) compress_above: usize,
    pub(crate) infrequent_access_above: Option<u64>,
    pub(crate) sampler: Option<Arc<Sampler>>,
    pub(crate) upload_concurrency: usize,
    /// Whether queued recordings are uploaded in packs.
    pub(crate) packed: bool,
    /// The most recordings in one pack.
    pub(crate) pack_max_recordings: usize,
    /// A pack takes no more recordings once their stored bytes reach this.
    pub(crate) pack_max_bytes: usize,
    /// The longest an upload waits for more recordings to fill its pack.
    pub(crate) pack_max_delay: Duration,
    /// The bytes that queued and uploading recordings may hold in memory.
    pub(crate) max_queued_bytes: u64,
    pub(crate) max_attempts: u32,
    pub(crate) backoff_base: Duration,
    pub(crate) backoff_max: Duration,
    pub(crate) probe_interval: Duration,
    pub(crate) close_timeout: Duration,
}

impl fmt::Debug for Options {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Options")
            .field("read_only", &self.read_only)
            .field("transient", &self.transient)
            .field("compress_above", &self.compress_above)
            .field("infrequent_access_above", &self.infrequent_access_above)
            .field("sampling", &self.sampler.is_some())
            .field("upload_concurrency", &self.upload_concurrency)
            .field("packed", &self.packed)
            .field("max_queued_bytes", &self.max_queued_bytes)
            .field("max_attempts", &self.max_attempts)
            .finish_non_exhaustive()
    }
}

/// Uploads in flight and whether S3 is considered down, with a condition variable
/// that `flush` waits on.
#[derive(Debug, Default)]
pub(crate) struct State {
    pending: Mutex<u64>,
    changed: Condvar,
    outage: AtomicBool,
}

impl State {
    pub(crate) fn add_pending(&self) {
        *self.pending.lock() += 1;
    }

    pub(crate) fn done_pending(&self) {
        self.done_pending_n(1);
    }

    pub(crate) fn done_pending_n(&self, n: u64) {
        let mut pending = self.pending.lock();
        *pending = pending.saturating_sub(n);
        self.changed.notify_all();
    }

    pub(crate) fn pending(&self) -> u64 {
        *self.pending.lock()
    }

    /// Wakes the waiters after a change they may care about (spool, outage).
    pub(crate) fn notify(&self) {
        let _guard = self.pending.lock();
        self.changed.notify_all();
    }

    pub(crate) fn outage(&self) -> bool {
        self.outage.load(SeqCst)
    }

    /// Sets the outage flag; returns the previous value.
    pub(crate) fn set_outage(&self, down: bool) -> bool {
        let before = self.outage.swap(down, SeqCst);
        self.notify();
        before
    }

    /// Waits until `done(pending)` holds or `deadline` passes; returns whether it held.
    pub(crate) fn wait_until(&self, deadline: Instant, mut done: impl FnMut(u64) -> bool) -> bool {
        let mut pending = self.pending.lock();
        loop {
            if done(*pending) {
                return true;
            }
            if self.changed.wait_until(&mut pending, deadline).timed_out() {
                return done(*pending);
            }
        }
    }
}

/// One recording ready to upload: its stored body and its summary.
#[derive(Debug, Clone)]
pub(crate) struct Job {
    pub(crate) id: RecordingId,
    /// The instant in its ULID: it goes into a pack of that minute. `None` for ids
    /// that are not ULIDs, which are uploaded one object each.
    pub(crate) at: Option<time::OffsetDateTime>,
    pub(crate) body: Vec<u8>,
    pub(crate) compressed: bool,
    /// Its index folder (category and UTC day).
    pub(crate) index_folder: String,
    /// Its summary, as JSON.
    pub(crate) index: Vec<u8>,
}

impl Job {
    /// The bytes it holds in memory, against `max_queued_bytes`.
    pub(crate) fn size(&self) -> u64 {
        (self.body.len() + self.index.len() + self.index_folder.len() + self.id.as_str().len())
            as u64
    }

    /// Its index object in the one-object-per-recording layout.
    pub(crate) fn index_key(&self) -> String {
        format!("{}{}.json", self.index_folder, self.id)
    }
}

/// Everything the store's tasks share.
#[derive(Debug)]
pub(crate) struct Inner {
    pub(crate) bucket: Bucket,
    pub(crate) layout: Layout,
    pub(crate) options: Options,
    pub(crate) counters: Arc<Counters>,
    pub(crate) cache: Option<Cache>,
    pub(crate) spool: Option<Spool>,
    pub(crate) state: State,
    /// The bytes held by queued and uploading recordings (at most `max_queued_bytes`).
    pub(crate) queued_bytes: AtomicU64,
    /// The most bytes they ever held at once.
    pub(crate) peak_queued_bytes: AtomicU64,
    /// Wakes the spool task: recordings were spooled, or S3 went down.
    pub(crate) work: Notify,
    /// Wakes the spool task to probe S3 now instead of after the probe interval.
    pub(crate) probe_now: Notify,
    pub(crate) rng: Mutex<fastrand::Rng>,
    pub(crate) read_permits: Arc<Semaphore>,
    /// Pack directories read so far.
    pub(crate) dirs: crate::packread::DirCache,
    /// Deletes from packs rewrite shared objects: one at a time in this process.
    pub(crate) delete_lock: tokio::sync::Mutex<()>,
    /// Set when `close` starts: puts and deletes are refused.
    pub(crate) closed: AtomicBool,
    /// Set when `close` has flushed: the spool task stops.
    pub(crate) stopped: AtomicBool,
}

impl Inner {
    /// `s3://bucket/prefix`, for messages.
    pub(crate) fn describe(&self) -> String {
        format!("s3://{}/{}", self.bucket.name, self.layout.prefix())
    }

    /// Fails for a read-only or closed store.
    pub(crate) fn check_writable(&self, op: &'static str) -> Result<(), StoreError> {
        if self.options.read_only {
            return Err(StoreError::ReadOnly {
                store: self.describe(),
            });
        }
        if self.closed.load(SeqCst) {
            return Err(closed_error(op));
        }
        Ok(())
    }

    /// Serializes a recording for upload; `None` when the sampling calculator drops it.
    pub(crate) fn prepare(&self, recording: &Recording) -> Result<Option<Job>, StoreError> {
        validate_category(&recording.category)?;
        // Packed recordings are compact JSON, one line each: cheaper to write, and the
        // pack reads as JSON lines (zstd frames aside).
        let compact = self.options.packed && recording.id.timestamp().is_some();
        let encoded = codec::encode(recording, self.options.compress_above, compact)?;
        if let Some(sampler) = &self.options.sampler {
            let keep = sampler(&recording.category, encoded.bytes.len(), recording);
            // NaN keeps the recording: losing data silently is the worse mistake.
            let kept = keep.is_nan() || keep >= 1.0 || (keep > 0.0 && self.rng.lock().f64() < keep);
            if !kept {
                self.counters.sampled_out.fetch_add(1, Relaxed);
                return Ok(None);
            }
        }
        let index =
            serde_json::to_vec(&recording.summary()).map_err(|source| StoreError::Serialize {
                id: recording.id.to_string(),
                source,
            })?;
        Ok(Some(Job {
            id: recording.id.clone(),
            at: recording.id.timestamp(),
            body: encoded.bytes,
            compressed: encoded.compressed,
            index_folder: self.layout.index_folder_for(recording),
            index,
        }))
    }

    /// Rebuilds a job from a spooled body.
    pub(crate) fn job_from_spool(&self, bytes: Vec<u8>, origin: &str) -> Result<Job, StoreError> {
        let recording = codec::decode_recording(bytes.clone(), origin)?;
        let index =
            serde_json::to_vec(&recording.summary()).map_err(|source| StoreError::Serialize {
                id: recording.id.to_string(),
                source,
            })?;
        Ok(Job {
            id: recording.id.clone(),
            at: recording.id.timestamp(),
            compressed: codec::is_compressed(&bytes),
            body: bytes,
            index_folder: self.layout.index_folder_for(&recording),
            index,
        })
    }

    pub(crate) fn storage_class(&self, size: usize) -> Option<StorageClass> {
        let threshold = self.options.infrequent_access_above?;
        (size as u64 >= threshold).then_some(StorageClass::StandardIa)
    }

    /// Uploads one group of jobs (a pack, or one recording alone; see
    /// [`Inner::groups`]), retrying retryable failures with backoff. With
    /// `stop_on_outage`, gives up early once another upload has declared S3 down.
    /// Returns the pack's stem when it wrote a pack.
    pub(crate) async fn upload(
        &self,
        jobs: &[Job],
        stop_on_outage: bool,
    ) -> Result<Option<Stem>, S3Error> {
        let mut attempt = 1;
        loop {
            let err = match self.write_group(jobs).await {
                Ok(stem) => return Ok(stem),
                Err(err) => err,
            };
            let retryable = err.kind().is_some_and(|k| k.is_retryable());
            if !retryable
                || attempt >= self.options.max_attempts
                || (stop_on_outage && self.state.outage())
            {
                return Err(err);
            }
            self.counters.retried.fetch_add(1, Relaxed);
            tokio::time::sleep(self.backoff(attempt)).await;
            attempt += 1;
        }
    }

    /// The wait before attempt `attempt + 1`: exponential, capped, with jitter.
    fn backoff(&self, attempt: u32) -> Duration {
        let exp = self
            .options
            .backoff_base
            .saturating_mul(1 << attempt.saturating_sub(1).min(16));
        let delay = exp.min(self.options.backoff_max);
        delay / 2 + delay.mul_f64(fastrand::f64() / 2.0)
    }

    /// Writes the body, then the index object, so a listing never shows a recording
    /// whose body is missing. A body that already exists under this id is replaced,
    /// and its old index object removed when it was filed elsewhere.
    pub(crate) async fn write_job(&self, job: &Job) -> Result<(), S3Error> {
        let body_key = self.layout.body_key(&job.id);
        let class = self.storage_class(job.body.len());
        let put_body = |if_absent| PutRequest {
            key: &body_key,
            body: job.body.clone(),
            zstd: job.compressed,
            storage_class: class.clone(),
            if_absent,
        };
        if self.bucket.put("put", put_body(true)).await? == PutOutcome::Exists {
            self.remove_stale_index(&body_key, &job.index_key()).await?;
            self.bucket.put("put", put_body(false)).await?;
        }
        self.bucket
            .put(
                "put",
                PutRequest {
                    key: &job.index_key(),
                    body: job.index.clone(),
                    zstd: false,
                    storage_class: None,
                    if_absent: false,
                },
            )
            .await?;
        Ok(())
    }

    /// Before replacing the body at `body_key`, deletes the index object of the old
    /// recording when it differs from `new_index_key` (another category or day).
    async fn remove_stale_index(&self, body_key: &str, new_index_key: &str) -> Result<(), S3Error> {
        let Some(bytes) = self.bucket.get("put", body_key).await? else {
            return Ok(());
        };
        let Ok(old) = codec::decode_recording(bytes, body_key) else {
            return Ok(());
        };
        let old_key = self.layout.index_key_for(&old);
        if old_key != new_index_key {
            self.bucket.delete("put", &old_key).await?;
        }
        Ok(())
    }

    /// Uploads one recording now and reports the result (no queue, no spool). A
    /// recording already stored under its id is replaced: with packs, the older
    /// copies are deleted once the new one is in S3.
    pub(crate) async fn put_now(self: Arc<Self>, recording: Recording) -> Result<(), StoreError> {
        self.check_writable("put")?;
        let Some(job) = self.prepare(&recording)? else {
            return Ok(());
        };
        if let Some(cache) = &self.cache {
            cache.forget(&job.id);
        }
        let id = job.id.clone();
        let written = self.upload(std::slice::from_ref(&job), false).await?;
        self.counters.uploaded.fetch_add(1, Relaxed);
        if let Some(stem) = written {
            for (dir_key, location) in self.locate("put", &id, true).await? {
                if location.stem != stem {
                    self.delete_packed("put", &id, &dir_key, &location).await?;
                }
            }
            self.delete_object_layout("put", &id).await?;
        }
        Ok(())
    }

    /// Loads one recording: from the cache when it is there, else from S3 (then
    /// cached): from its pack when one holds it, else from the one-object layout.
    pub(crate) async fn get(self: Arc<Self>, id: RecordingId) -> Result<Recording, StoreError> {
        if let Some(cache) = &self.cache
            && let Some(json) = cache.load(&id)
        {
            match Recording::from_json_at(&json, "the local cache") {
                Ok(recording) if recording.id == id => {
                    self.counters.cache_hits.fetch_add(1, Relaxed);
                    return Ok(recording);
                }
                _ => cache.forget(&id),
            }
        }
        let (recording, json) = match self.get_packed(&id).await? {
            Some(found) => found,
            None => self.get_object_layout(&id).await?,
        };
        if let Some(cache) = &self.cache {
            cache.store(&id, &json);
        }
        Ok(recording)
    }

    /// Loads a recording stored as one object (`recordings/<id>.json`).
    async fn get_object_layout(
        &self,
        id: &RecordingId,
    ) -> Result<(Recording, Vec<u8>), StoreError> {
        let key = self.layout.body_key(id);
        let origin = format!("s3://{}/{key}", self.bucket.name);
        let bytes = self
            .bucket
            .get("get", &key)
            .await?
            .ok_or_else(|| StoreError::NotFound { id: id.to_string() })?;
        let json = codec::decode(bytes, &origin)?;
        let recording = Recording::from_json_at(&json, &origin)?;
        if recording.id != *id {
            return Err(StoreError::Misplaced {
                origin,
                found_id: recording.id.to_string(),
                found_category: recording.category,
            });
        }
        Ok((recording, json))
    }

    /// Deletes one recording: every packed copy, and its object in the one-object
    /// layout (index object first, then body).
    pub(crate) async fn delete(self: Arc<Self>, id: RecordingId) -> Result<(), StoreError> {
        self.check_writable("delete")?;
        let packed = self.locate("delete", &id, true).await?;
        for (dir_key, location) in &packed {
            self.delete_packed("delete", &id, dir_key, location).await?;
        }
        let object = self.delete_object_layout("delete", &id).await?;
        if let Some(cache) = &self.cache {
            cache.forget(&id);
        }
        if packed.is_empty() && !object {
            return Err(StoreError::NotFound { id: id.to_string() });
        }
        Ok(())
    }

    /// Deletes a recording's body and index object in the one-object layout; returns
    /// whether there was a body.
    async fn delete_object_layout(
        &self,
        op: &'static str,
        id: &RecordingId,
    ) -> Result<bool, StoreError> {
        let key = self.layout.body_key(id);
        let origin = format!("s3://{}/{key}", self.bucket.name);
        let Some(bytes) = self.bucket.get(op, &key).await? else {
            return Ok(false);
        };
        // A corrupt body still gets deleted; only its index object cannot be found.
        if let Ok(recording) = codec::decode_recording(bytes, &origin) {
            self.bucket
                .delete(op, &self.layout.index_key_for(&recording))
                .await?;
        }
        self.bucket.delete(op, &key).await?;
        Ok(true)
    }

    /// Deletes everything this store wrote under its prefix (transient stores, on close).
    pub(crate) async fn delete_everything(self: Arc<Self>) -> Result<usize, StoreError> {
        let mut deleted = 0;
        for prefix in [
            self.layout.index_root(),
            self.layout.recordings_root(),
            self.layout.packs_root(),
        ] {
            deleted += self.bucket.delete_prefix("close", &prefix).await?;
        }
        Ok(deleted)
    }

    /// Checks that the bucket exists and the credentials may list it.
    pub(crate) async fn check(self: Arc<Self>) -> Result<(), StoreError> {
        Ok(self.bucket.list_one("check", self.layout.prefix()).await?)
    }
}
