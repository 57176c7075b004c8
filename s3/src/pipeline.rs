//! The background upload pipeline: a bounded queue, bounded concurrency, retries,
//! the spool while S3 is down, and the task that empties the spool when it is back.
//!
//! ```text
//! put ──► queue (bounded) ──► upload (retries, backoff) ──► S3
//!  │ full                        │ gave up: S3 is "down"
//!  ▼                             ▼
//! spool (size cap, on disk) ◄────┘      over the cap: dropped and counted
//!  │
//!  └──► spool task: while down, tries one spooled recording every probe interval;
//!       once one goes through, uploads the rest
//! ```

use std::path::PathBuf;
use std::sync::Arc;
use std::sync::atomic::Ordering::{AcqRel, Acquire, Relaxed, SeqCst};

use tokio::sync::Semaphore;
use tokio::sync::mpsc::{self, error::TrySendError};
use tokio::task::JoinSet;

use crate::core::{Inner, Job};
use crate::error::S3Error;
use crate::spool::SpoolError;

/// How often an upload that waits to fill its pack looks at the queue.
const FILL_STEP: std::time::Duration = std::time::Duration::from_millis(1);

impl Inner {
    /// Hands a job to the uploader without waiting; when the queue is full, in
    /// recordings or in bytes (`max_queued_bytes`), the job goes to the spool right away.
    pub(crate) fn enqueue(&self, sender: Option<&mpsc::Sender<Job>>, job: Job) {
        self.state.add_pending();
        let size = job.size();
        // No sender means `close` has started; spooling is still the safe answer.
        let job = match sender {
            Some(sender) if self.hold_bytes(size) => match sender.try_send(job) {
                Ok(()) => return,
                Err(TrySendError::Full(job) | TrySendError::Closed(job)) => {
                    self.release_bytes(size);
                    job
                }
            },
            Some(_) => {
                self.counters.queue_over_bytes.fetch_add(1, Relaxed);
                job
            }
            None => job,
        };
        self.spool_job(&job);
        self.state.done_pending();
    }

    /// Reserves `size` bytes of the upload queue's budget, unless that would pass
    /// `max_queued_bytes`. Never waits.
    fn hold_bytes(&self, size: u64) -> bool {
        let limit = self.options.max_queued_bytes;
        let held = self.queued_bytes.fetch_update(AcqRel, Acquire, |used| {
            used.checked_add(size).filter(|&after| after <= limit)
        });
        match held {
            Ok(before) => {
                self.peak_queued_bytes.fetch_max(before + size, Relaxed);
                true
            }
            Err(_) => false,
        }
    }

    fn release_bytes(&self, size: u64) {
        self.queued_bytes.fetch_sub(size, AcqRel);
    }

    /// Takes jobs off the queue and uploads them, at most `upload_concurrency`
    /// uploads at once. With packs on, each upload takes every job queued by then, up
    /// to the pack limits (count and bytes), waiting at most `pack_max_delay` for more
    /// when it has fewer: a lone recording waits that long, a busy queue not at all.
    pub(crate) async fn dispatch(self: Arc<Self>, mut queue: mpsc::Receiver<Job>) {
        let slots = Arc::new(Semaphore::new(self.options.upload_concurrency));
        let mut running = JoinSet::new();
        while let Some(first) = queue.recv().await {
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let bytes = first.body.len();
            let mut batch = vec![first];
            if self.options.packed {
                self.fill(&mut queue, &mut batch, bytes).await;
            }
            let inner = self.clone();
            running.spawn(async move {
                for group in inner.groups(batch) {
                    inner.process(group).await;
                }
                drop(slot);
            });
            // Reap finished uploads so the set does not grow without bound.
            while running.try_join_next().is_some() {}
        }
        while running.join_next().await.is_some() {}
    }

    /// Adds queued jobs to `batch` up to the pack limits: what is queued now, then
    /// what comes before the end of the pack delay, looking every
    /// [`FILL_STEP`] instead of waking for each job (a busy queue then costs a few
    /// wake-ups per pack); a full pack leaves within one step.
    async fn fill(&self, queue: &mut mpsc::Receiver<Job>, batch: &mut Vec<Job>, mut bytes: usize) {
        let options = &self.options;
        let deadline = tokio::time::Instant::now() + options.pack_max_delay;
        loop {
            while batch.len() < options.pack_max_recordings && bytes < options.pack_max_bytes {
                match queue.try_recv() {
                    Ok(job) => {
                        bytes += job.body.len();
                        batch.push(job);
                    }
                    Err(mpsc::error::TryRecvError::Empty) => break,
                    Err(mpsc::error::TryRecvError::Disconnected) => return,
                }
            }
            let full =
                batch.len() >= options.pack_max_recordings || bytes >= options.pack_max_bytes;
            let now = tokio::time::Instant::now();
            if full || now >= deadline {
                return;
            }
            tokio::time::sleep_until(deadline.min(now + FILL_STEP)).await;
        }
    }

    /// Uploads one group of queued jobs (a pack, or one recording), or spools them
    /// when S3 is down or the upload gives up; then gives their bytes back to the
    /// queue's budget.
    async fn process(&self, jobs: Vec<Job>) {
        if self.state.outage() {
            self.spool_jobs(&jobs);
        } else {
            match self.upload(&jobs, true).await {
                Ok(_) => {
                    self.counters.uploaded.fetch_add(jobs.len() as u64, Relaxed);
                }
                Err(err) => {
                    self.enter_outage(&err);
                    self.spool_jobs(&jobs);
                }
            }
        }
        let size: u64 = jobs.iter().map(Job::size).sum();
        let count = jobs.len() as u64;
        drop(jobs);
        self.release_bytes(size);
        self.state.done_pending_n(count);
    }

    /// Writes jobs to the spool, one file each (see [`Inner::spool_job`]).
    fn spool_jobs(&self, jobs: &[Job]) {
        for job in jobs {
            self.spool_job(job);
        }
    }

    /// Writes a job to the spool; counts it as dropped when the spool is full, or
    /// when there is no spool.
    pub(crate) fn spool_job(&self, job: &Job) {
        let result = match &self.spool {
            Some(spool) => spool.write(&job.id, &job.body),
            None => Err(SpoolError::OverCap {
                size: job.body.len() as u64,
                used: 0,
                cap: 0,
            }),
        };
        match result {
            Ok(()) => {
                self.counters.spooled.fetch_add(1, Relaxed);
                if !self.state.outage() {
                    self.work.notify_one();
                }
            }
            Err(err) => {
                let dropped = self.counters.dropped.fetch_add(1, Relaxed) + 1;
                if dropped == 1 || dropped.is_multiple_of(1000) {
                    tracing::error!(
                        target: "playback_s3",
                        "dropped recording {} ({dropped} dropped so far) for {}: {err}",
                        job.id,
                        self.describe(),
                    );
                }
            }
        }
        self.state.notify();
    }

    /// Marks S3 as down: new jobs go straight to the spool until a probe succeeds.
    pub(crate) fn enter_outage(&self, err: &S3Error) {
        if !self.state.set_outage(true) {
            tracing::warn!(
                target: "playback_s3",
                "S3 is failing ({err}); recordings go to the spool at {} until it is back",
                self.spool
                    .as_ref()
                    .map_or_else(|| "<no spool>".to_owned(), |s| s.dir().display().to_string()),
            );
            self.work.notify_one();
        }
    }

    fn leave_outage(&self) {
        if self.state.set_outage(false) {
            tracing::info!(
                target: "playback_s3",
                "S3 is reachable again; uploading {} spooled recordings",
                self.spool_files(),
            );
        }
    }

    pub(crate) fn spool_files(&self) -> u64 {
        self.spool.as_ref().map_or(0, |s| s.files())
    }

    /// Empties the spool whenever it has recordings, probing S3 every probe interval
    /// while it is down. Ends when the store has closed.
    pub(crate) async fn spool_task(self: Arc<Self>) {
        loop {
            if self.stopped.load(SeqCst) {
                return;
            }
            if self.spool_files() == 0 && !self.state.outage() {
                self.work.notified().await;
                continue;
            }
            if self.state.outage() {
                tokio::select! {
                    () = tokio::time::sleep(self.options.probe_interval) => {}
                    () = self.probe_now.notified() => {}
                }
                if self.stopped.load(SeqCst) {
                    return;
                }
            }
            if !self.clone().drain_round().await && !self.state.outage() {
                // Nothing moved and S3 is not down (an unreadable spool folder):
                // do not spin.
                tokio::time::sleep(self.options.probe_interval).await;
            }
        }
    }

    /// One pass over the spool: the oldest recordings first, alone (one pack, or one
    /// recording with packs off: it doubles as the probe), then the others
    /// concurrently, a pack at a time. Returns whether anything was uploaded.
    async fn drain_round(self: Arc<Self>) -> bool {
        let files = match self.spool.as_ref().map(|spool| (spool, spool.list())) {
            None => Vec::new(),
            Some((_, Ok(files))) => files,
            Some((spool, Err(err))) => {
                tracing::error!(
                    target: "playback_s3",
                    "cannot read the spool at {}: {err}",
                    spool.dir().display()
                );
                return false;
            }
        };
        let chunk = if self.options.packed {
            self.options.pack_max_recordings.max(1)
        } else {
            1
        };
        let mut chunks = files.chunks(chunk).map(<[PathBuf]>::to_vec);
        let Some(first) = chunks.next() else {
            // Nothing to try: any answer from S3 that is not a transient failure (even
            // a 403 for a writer without `s3:ListBucket`) means it is reachable.
            if self.state.outage() {
                let reachable = match self.bucket.head_bucket("probe").await {
                    Ok(()) => true,
                    Err(err) => !err.kind().is_some_and(|k| k.is_retryable()),
                };
                if reachable {
                    self.leave_outage();
                    return true;
                }
            }
            return false;
        };
        let retry = !self.state.outage();
        if let Err(err) = self.upload_spooled(first, retry).await {
            self.enter_outage(&err);
            return false;
        }
        self.leave_outage();
        let slots = Arc::new(Semaphore::new(self.options.upload_concurrency));
        let mut running = JoinSet::new();
        for paths in chunks {
            if self.state.outage() || self.stopped.load(SeqCst) {
                break;
            }
            let Ok(slot) = slots.clone().acquire_owned().await else {
                break;
            };
            let inner = self.clone();
            running.spawn(async move {
                if let Err(err) = inner.upload_spooled(paths, true).await {
                    inner.enter_outage(&err);
                }
                drop(slot);
            });
            while running.try_join_next().is_some() {}
        }
        while running.join_next().await.is_some() {}
        true
    }

    /// Uploads spooled recordings (in packs when packs are on) and removes each file
    /// once its recording is in S3. A file that cannot be read as a recording is set
    /// aside (`.bad`) and counted as dropped.
    async fn upload_spooled(&self, paths: Vec<PathBuf>, retry: bool) -> Result<(), S3Error> {
        let Some(spool) = &self.spool else {
            return Ok(());
        };
        let mut jobs = Vec::with_capacity(paths.len());
        let mut files = Vec::with_capacity(paths.len());
        let mut bytes = 0;
        for path in paths {
            // At most a pack's worth in memory; the rest waits for the next round.
            if bytes >= self.options.pack_max_bytes {
                break;
            }
            let origin = path.display().to_string();
            let job = match spool.read(&path) {
                Ok(None) => continue,
                Ok(Some(bytes)) => self.job_from_spool(bytes, &origin),
                Err(err) => Err(playback_store::StoreError::Io {
                    path: path.clone(),
                    op: "read the spooled recording",
                    source: err,
                }),
            };
            match job {
                Ok(job) => {
                    bytes += job.body.len();
                    jobs.push(job);
                    files.push(path);
                }
                Err(err) => {
                    tracing::error!(
                        target: "playback_s3",
                        "setting aside the unreadable spooled recording {origin}: {err}"
                    );
                    spool.quarantine(&path);
                    self.counters.dropped.fetch_add(1, Relaxed);
                    self.state.notify();
                }
            }
        }
        for members in self.group_indices(&jobs) {
            let group: Vec<Job> = members.iter().map(|&n| jobs[n].clone()).collect();
            if retry {
                self.upload(&group, true).await?;
            } else {
                self.write_group(&group).await?;
            }
            // Counted before the files go: whoever sees the spool empty (`drain`) also
            // sees these uploads counted.
            self.counters
                .uploaded
                .fetch_add(group.len() as u64, Relaxed);
            for &n in &members {
                spool.remove(&files[n]);
            }
            self.state.notify();
        }
        Ok(())
    }
}
