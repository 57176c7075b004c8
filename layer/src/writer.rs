//! The background writer: recordings go from closing spans to the store over a bounded
//! queue, so a request never waits on I/O.
//!
//! Two test modes change when a recording reaches the store: `write_through`, where the
//! closing thread writes it itself, and `flush_on_exit` (in [`exit`]), where a thread that
//! queued recordings waits for the writer when it ends.

mod budget;
mod exit;

pub(crate) use self::budget::{Budget, Reservation};

use std::fmt;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use parking_lot::Mutex;

use playback_redact::Redactor;
use playback_store::{Recording, Store, StoreError};

use crate::capture::Finished;
use crate::sampling::Config;
use crate::stats::{Counters, Stats};

/// How often an idle writer looks at the queue. Producers never wake it for a single
/// recording (a futex wake on the request path costs microseconds); they wake it only
/// when the queue is half full, and a flush wakes it at once.
const POLL: Duration = Duration::from_millis(10);

/// The most recordings the writer hands to [`Store::put_batch`] at once. A store that
/// commits a batch with one durable barrier (`DirStore`) pays it once per batch; the
/// bytes of a batch are already counted in the budget while they wait in the queue.
const MAX_BATCH: usize = 256;

/// The queue between closing spans and the writer thread.
struct Queue {
    /// Each recording with the bytes it holds in the budget, given back once it is
    /// stored (or dropped).
    items: ArrayQueue<Box<(Finished, Reservation)>>,
    flushes: Mutex<Vec<(SyncSender<()>, Instant)>>,
    writer: OnceLock<Thread>,
    /// How long dropping the guard (or, with `flush_on_exit`, a thread's end) waits.
    timeout: Duration,
}

impl Queue {
    fn wake(&self) {
        if let Some(t) = self.writer.get() {
            t.unpark();
        }
    }

    /// Waits until every recording queued so far is stored (or counted as failed), and the
    /// store has flushed, or until `timeout` passes. Returns whether it finished in time.
    fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (ack_tx, ack_rx) = sync_channel(1);
        self.flushes.lock().push((ack_tx, deadline));
        self.wake();
        ack_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

/// When a finished recording reaches the store.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Delivery {
    /// The closing thread writes the recording to the store (and flushes the store)
    /// before the operation's span close returns.
    pub(crate) write_through: bool,
    /// Threads that queue recordings, and the thread that builds the layer, wait for the
    /// writer when they end.
    pub(crate) flush_on_exit: bool,
}

/// State shared by the layer, its recording scopes and the guard.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) stats: Arc<Counters>,
    /// The bytes held by operations being captured and recordings waiting for the
    /// writer (`max_queued_bytes`).
    pub(crate) budget: Arc<Budget>,
    queue: Arc<Queue>,
    /// With `write_through`, the store the closing thread writes to.
    through: Option<Arc<dyn Store>>,
    flush_on_exit: bool,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Hands a finished recording, and the bytes it holds in the budget, to the writer;
    /// never blocks, never makes a syscall unless the queue is half full. With
    /// `write_through`, writes it to the store on this thread instead, and waits for the
    /// store to flush.
    pub(crate) fn submit(&self, finished: Finished, held: Reservation) {
        if let Some(store) = &self.through {
            write(
                &**store,
                &self.stats,
                finished,
                self.config.redactor.as_deref(),
            );
            let timeout = self.queue.timeout;
            let flush = std::panic::AssertUnwindSafe(|| store.flush(timeout));
            let _ = std::panic::catch_unwind(flush);
            drop(held);
            return;
        }
        if self.flush_on_exit {
            exit::arm();
        }
        let q = &self.queue;
        match q.items.push(Box::new((finished, held))) {
            Ok(()) => {
                if q.items.len() * 2 >= q.items.capacity() {
                    q.wake();
                }
            }
            Err(_) => {
                self.stats.dropped.inc();
                q.wake();
            }
        }
    }

    /// Logs a value that could not be recorded, rate-limited: the first ten, then one
    /// in a thousand.
    pub(crate) fn log_unrecordable(&self, alias: &str, reason: &str) {
        log_limited(&self.stats, || {
            tracing::warn!(target: "playback", alias, reason, "playback: a value could not be recorded; the call ran live and is marked unrecordable");
        });
    }
}

fn log_limited(stats: &Counters, log: impl FnOnce()) {
    let n = stats.logged.get();
    stats.logged.inc();
    if n < 10 || n.is_multiple_of(1000) {
        log();
    }
}

/// Starts the writer thread and returns the shared state and the guard.
pub(crate) fn start(
    config: Config,
    store: Arc<dyn Store>,
    delivery: Delivery,
) -> std::io::Result<(Arc<Shared>, PlaybackGuard)> {
    let budget = Budget::new(config.max_queued_bytes);
    let queue = Arc::new(Queue {
        items: ArrayQueue::new(config.queue_capacity.max(1)),
        flushes: Mutex::new(Vec::new()),
        writer: OnceLock::new(),
        timeout: config.flush_timeout,
    });
    let stats = Arc::new(Counters::default());
    let timeout = config.flush_timeout;
    let handle = {
        let stats = stats.clone();
        let store = store.clone();
        let queue = queue.clone();
        let redactor = config.redactor.clone();
        std::thread::Builder::new()
            .name("playback-writer".into())
            .spawn(move || run(&queue, &*store, &stats, redactor.as_deref()))?
    };
    let _ = queue.writer.set(handle.thread().clone());
    if delivery.flush_on_exit && !delivery.write_through {
        exit::register(&queue);
    }
    let through = delivery.write_through.then(|| store.clone());
    let guard = PlaybackGuard {
        queue: queue.clone(),
        stats: Stats {
            counters: stats.clone(),
            budget: budget.clone(),
            store,
            redactor: config.redactor.clone(),
        },
        timeout,
    };
    Ok((
        Arc::new(Shared {
            config,
            stats,
            budget,
            queue,
            through,
            flush_on_exit: delivery.flush_on_exit,
        }),
        guard,
    ))
}

fn run(queue: &Arc<Queue>, store: &dyn Store, stats: &Counters, redactor: Option<&Redactor>) {
    let mut batch = Vec::with_capacity(MAX_BATCH.min(queue.items.capacity()));
    loop {
        let flushes = std::mem::take(&mut *queue.flushes.lock());
        loop {
            while batch.len() < MAX_BATCH
                && let Some(item) = queue.items.pop()
            {
                batch.push(*item);
            }
            if batch.is_empty() {
                break;
            }
            write_batch(store, stats, &mut batch, redactor);
        }
        for (ack, deadline) in flushes {
            let left = deadline.saturating_duration_since(Instant::now());
            let _ = store.flush(left);
            let _ = ack.try_send(());
        }
        // The layer and the guard are gone: nothing can be queued any more.
        if Arc::strong_count(queue) == 1 && queue.items.is_empty() {
            return;
        }
        std::thread::park_timeout(POLL);
    }
}

/// Builds the recording, redacts it, and stores it. Redaction never panics into the
/// writer: a recording whose redaction panicked is dropped (counted as failed), never
/// stored unredacted.
fn write(store: &dyn Store, stats: &Counters, finished: Finished, redactor: Option<&Redactor>) {
    let Some(rec) = redacted(stats, finished, redactor) else {
        return;
    };
    let put = std::panic::AssertUnwindSafe(|| store.put(&rec));
    count(stats, &rec, std::panic::catch_unwind(put).ok());
}

/// Builds and redacts each recording of `batch` and stores them with one
/// [`Store::put_batch`]; counts each one as recorded or failed, then gives the bytes the
/// batch held in the budget back. Empties `batch`.
fn write_batch(
    store: &dyn Store,
    stats: &Counters,
    batch: &mut Vec<(Finished, Reservation)>,
    redactor: Option<&Redactor>,
) {
    let mut held = Vec::with_capacity(batch.len());
    let mut recs = Vec::with_capacity(batch.len());
    for (finished, reservation) in batch.drain(..) {
        held.push(reservation);
        recs.extend(redacted(stats, finished, redactor));
    }
    if !recs.is_empty() {
        let put = std::panic::AssertUnwindSafe(|| store.put_batch(&recs));
        // A panicking store fails the whole batch; a missing result fails its recording.
        let mut results = std::panic::catch_unwind(put).ok().map(Vec::into_iter);
        for rec in &recs {
            count(stats, rec, results.as_mut().and_then(Iterator::next));
        }
    }
    // The store has its own copies (or none): the bytes are free again.
    drop(held);
}

/// The finished recording, redacted; `None` (counted as failed) when redaction panicked.
fn redacted(
    stats: &Counters,
    finished: Finished,
    redactor: Option<&Redactor>,
) -> Option<Recording> {
    let mut rec = finished.into_recording();
    if let Some(r) = redactor {
        let redact = std::panic::AssertUnwindSafe(|| r.redact_recording(&mut rec));
        if std::panic::catch_unwind(redact).is_err() {
            stats.failed.inc();
            log_limited(stats, || {
                tracing::warn!(target: "playback", id = %rec.id, "playback: redaction panicked; the recording was dropped, not stored unredacted");
            });
            return None;
        }
    }
    Some(rec)
}

/// Counts what the store did with `rec`: `None` when it panicked (or gave no result).
fn count(stats: &Counters, rec: &Recording, result: Option<Result<(), StoreError>>) {
    match result {
        Some(Ok(())) => stats.recorded.inc(),
        Some(Err(e)) => {
            stats.failed.inc();
            log_limited(stats, || {
                tracing::warn!(target: "playback", error = %e, id = %rec.id, "playback: failed to store recording");
            });
        }
        None => {
            stats.failed.inc();
            log_limited(stats, || {
                tracing::warn!(target: "playback", id = %rec.id, "playback: the store panicked while storing a recording");
            });
        }
    }
}

/// Keeps the writer's queue alive; dropping it flushes pending recordings (up to the
/// configured timeout).
///
/// ```
/// let (_layer, guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .build::<tracing_subscriber::Registry>()?;
/// assert!(guard.flush(std::time::Duration::from_secs(1)));
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
#[must_use = "dropping the guard flushes and stops waiting for pending recordings; keep it alive for the program's lifetime"]
pub struct PlaybackGuard {
    queue: Arc<Queue>,
    stats: Stats,
    timeout: Duration,
}

impl fmt::Debug for PlaybackGuard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("PlaybackGuard")
            .field("stats", &self.stats)
            .field("timeout", &self.timeout)
            .finish()
    }
}

impl PlaybackGuard {
    /// The layer's counters.
    ///
    /// ```
    /// # let (_layer, guard) = playback_layer::PlaybackLayer::builder()
    /// #     .store(playback_store::MemoryStore::new()).build::<tracing_subscriber::Registry>()?;
    /// assert_eq!(guard.stats().snapshot().sampled_out, 0);
    /// # Ok::<(), playback_layer::LayerError>(())
    /// ```
    pub fn stats(&self) -> Stats {
        self.stats.clone()
    }

    /// Waits until every recording queued so far is stored (or counted as failed), or
    /// until `timeout` passes. Returns whether it finished in time.
    ///
    /// ```
    /// # let (_layer, guard) = playback_layer::PlaybackLayer::builder()
    /// #     .store(playback_store::MemoryStore::new()).build::<tracing_subscriber::Registry>()?;
    /// assert!(guard.flush(std::time::Duration::from_secs(1)));
    /// # Ok::<(), playback_layer::LayerError>(())
    /// ```
    pub fn flush(&self, timeout: Duration) -> bool {
        self.queue.flush(timeout)
    }
}

impl Drop for PlaybackGuard {
    fn drop(&mut self) {
        self.flush(self.timeout);
        let s = self.stats.snapshot();
        if s.recorded > 0 && !s.unmatched_redaction_rules.is_empty() {
            tracing::warn!(target: "playback", rules = ?s.unmatched_redaction_rules, recorded = s.recorded, "playback: redaction rules matched nothing in this run; check them for typos");
        }
    }
}

#[cfg(test)]
mod batch_tests;
#[cfg(test)]
mod memory_tests;
#[cfg(test)]
mod tests;
