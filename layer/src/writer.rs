//! The background writer: recordings go from closing spans to the store over a bounded
//! queue, so a request never waits on I/O.

use std::collections::HashMap;
use std::fmt;
use std::hash::BuildHasherDefault;
use std::sync::Arc;
use std::sync::OnceLock;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{SyncSender, sync_channel};
use std::thread::Thread;
use std::time::{Duration, Instant};

use crossbeam_queue::ArrayQueue;
use parking_lot::Mutex;

use playback_store::{Recording, Store};

use crate::scope::Finished;

#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[inline]
    pub(crate) fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) recorded: Counter,
    pub(crate) sampled_out: Counter,
    pub(crate) dropped: Counter,
    pub(crate) failed: Counter,
    pub(crate) oversize: Counter,
    pub(crate) discarded: Counter,
    logged: Counter,
}

/// Sampling rules for one category.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rule {
    pub(crate) rate: Option<f64>,
    pub(crate) keep_errors: bool,
    pub(crate) skip: bool,
}

/// What sampling says about a new operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Not captured (`skip`).
    Skip,
    /// Not captured (sampled out).
    Out,
    /// Captured; `sampled` is false when it is captured only for `keep_errors`.
    In { sampled: bool },
}

/// FNV-1a for the short category names: cheaper than SipHash on the hot path, and
/// the keys come from the service's own configuration, not from the outside.
#[derive(Default)]
pub(crate) struct Fnv(u64);

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        let mut h = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0000_0100_0000_01b3);
        }
        self.0 = h;
    }
}

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) default_rate: f64,
    pub(crate) rules: HashMap<String, Rule, BuildHasherDefault<Fnv>>,
    pub(crate) max_recording_bytes: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) flush_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_rate: 1.0,
            rules: HashMap::default(),
            max_recording_bytes: 8 * 1024 * 1024,
            queue_capacity: 1024,
            flush_timeout: Duration::from_secs(5),
        }
    }
}

impl Config {
    pub(crate) fn rule(&mut self, category: String) -> &mut Rule {
        self.rules.entry(category).or_default()
    }

    /// The sampling decision for a new operation of `category`.
    #[inline]
    pub(crate) fn decide(&self, category: &str) -> Decision {
        let rule = if self.rules.is_empty() {
            Rule::default()
        } else {
            self.rules.get(category).copied().unwrap_or_default()
        };
        if rule.skip {
            return Decision::Skip;
        }
        let rate = rule.rate.unwrap_or(self.default_rate);
        let sampled = rate >= 1.0 || (rate > 0.0 && fastrand::f64() < rate);
        if sampled || rule.keep_errors {
            Decision::In { sampled }
        } else {
            Decision::Out
        }
    }
}

/// How often an idle writer looks at the queue. Producers never wake it for a single
/// recording (a futex wake on the request path costs microseconds); they wake it only
/// when the queue is half full, and a flush wakes it at once.
const POLL: Duration = Duration::from_millis(10);

/// The queue between closing spans and the writer thread.
struct Queue {
    items: ArrayQueue<Box<Finished>>,
    flushes: Mutex<Vec<(SyncSender<()>, Instant)>>,
    writer: OnceLock<Thread>,
}

impl Queue {
    fn wake(&self) {
        if let Some(t) = self.writer.get() {
            t.unpark();
        }
    }
}

/// State shared by the layer, its recording scopes and the guard.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) stats: Arc<Counters>,
    queue: Arc<Queue>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Hands a finished recording to the writer; never blocks, never makes a syscall
    /// unless the queue is half full.
    pub(crate) fn submit(&self, finished: Finished) {
        let q = &self.queue;
        match q.items.push(Box::new(finished)) {
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

    /// Logs a capture failure, rate-limited: the first ten, then one in a thousand.
    pub(crate) fn log_failure(&self, category: &str, reason: &str) {
        log_limited(&self.stats, || {
            tracing::warn!(target: "playback", category, reason, "playback: recording dropped");
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
) -> std::io::Result<(Arc<Shared>, PlaybackGuard)> {
    let queue = Arc::new(Queue {
        items: ArrayQueue::new(config.queue_capacity.max(1)),
        flushes: Mutex::new(Vec::new()),
        writer: OnceLock::new(),
    });
    let stats = Arc::new(Counters::default());
    let timeout = config.flush_timeout;
    let handle = {
        let stats = stats.clone();
        let store = store.clone();
        let queue = queue.clone();
        std::thread::Builder::new()
            .name("playback-writer".into())
            .spawn(move || run(&queue, &*store, &stats))?
    };
    let _ = queue.writer.set(handle.thread().clone());
    let guard = PlaybackGuard {
        queue: queue.clone(),
        stats: Stats {
            counters: stats.clone(),
            store,
        },
        timeout,
    };
    Ok((
        Arc::new(Shared {
            config,
            stats,
            queue,
        }),
        guard,
    ))
}

fn run(queue: &Arc<Queue>, store: &dyn Store, stats: &Counters) {
    loop {
        let flushes = std::mem::take(&mut *queue.flushes.lock());
        while let Some(finished) = queue.items.pop() {
            write(store, stats, &finished.into_recording());
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

fn write(store: &dyn Store, stats: &Counters, rec: &Recording) {
    let result = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.put(rec)));
    match result {
        Ok(Ok(())) => stats.recorded.inc(),
        Ok(Err(e)) => {
            stats.failed.inc();
            log_limited(stats, || {
                tracing::warn!(target: "playback", error = %e, id = %rec.id, "playback: failed to store recording");
            });
        }
        Err(_) => {
            stats.failed.inc();
            log_limited(stats, || {
                tracing::warn!(target: "playback", id = %rec.id, "playback: the store panicked while storing a recording");
            });
        }
    }
}

/// Counts of what the layer did with the operations it saw.
///
/// ```
/// let (_layer, guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .build::<tracing_subscriber::Registry>()?;
/// let stats = guard.stats();
/// assert_eq!(stats.snapshot().recorded, 0);
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
#[derive(Clone)]
pub struct Stats {
    counters: Arc<Counters>,
    store: Arc<dyn Store>,
}

impl fmt::Debug for Stats {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.snapshot().fmt(f)
    }
}

impl Stats {
    /// The current counts.
    ///
    /// ```
    /// # let (_layer, guard) = playback_layer::PlaybackLayer::builder()
    /// #     .store(playback_store::MemoryStore::new()).build::<tracing_subscriber::Registry>()?;
    /// let s = guard.stats().snapshot();
    /// assert_eq!(s.dropped + s.failed + s.oversize, 0);
    /// # Ok::<(), playback_layer::LayerError>(())
    /// ```
    pub fn snapshot(&self) -> StatsSnapshot {
        let c = &self.counters;
        StatsSnapshot {
            recorded: c.recorded.get(),
            sampled_out: c.sampled_out.get(),
            dropped: c.dropped.get(),
            failed: c.failed.get(),
            oversize: c.oversize.get(),
            discarded: c.discarded.get(),
            store: self.store.counters(),
        }
    }
}

/// A point-in-time copy of [`Stats`].
///
/// ```
/// let s = playback_layer::StatsSnapshot::default();
/// assert_eq!(s.recorded, 0);
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct StatsSnapshot {
    /// Recordings written to the store.
    pub recorded: u64,
    /// Operations not kept by sampling (decided at the start, or, with `keep_errors`,
    /// at the end for operations that did not fail).
    pub sampled_out: u64,
    /// Recordings dropped because the writer's queue was full (the caller never waits).
    pub dropped: u64,
    /// Recordings lost to a serialization failure, a panic in a `Serialize` impl, or a
    /// store error.
    pub failed: u64,
    /// Recordings dropped for exceeding the maximum recording size.
    pub oversize: u64,
    /// Recordings dropped by `playback::discard()`.
    pub discarded: u64,
    /// Store-specific counters (for example S3 uploads and retries).
    pub store: Vec<(&'static str, u64)>,
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
        let deadline = Instant::now() + timeout;
        let (ack_tx, ack_rx) = sync_channel(1);
        self.queue.flushes.lock().push((ack_tx, deadline));
        self.queue.wake();
        ack_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .is_ok()
    }
}

impl Drop for PlaybackGuard {
    fn drop(&mut self) {
        self.flush(self.timeout);
    }
}
