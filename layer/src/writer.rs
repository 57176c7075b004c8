//! The background writer: recordings go from closing spans to the store over a bounded
//! queue, so a request never waits on I/O.

use std::collections::{HashMap, HashSet};
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::time::{Duration, Instant};

use playback_store::{Recording, Store};

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

#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) default_rate: f64,
    pub(crate) rates: HashMap<String, f64>,
    pub(crate) keep_errors: HashSet<String>,
    pub(crate) skip: HashSet<String>,
    pub(crate) max_recording_bytes: usize,
    pub(crate) queue_capacity: usize,
    pub(crate) flush_timeout: Duration,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_rate: 1.0,
            rates: HashMap::new(),
            keep_errors: HashSet::new(),
            skip: HashSet::new(),
            max_recording_bytes: 8 * 1024 * 1024,
            queue_capacity: 1024,
            flush_timeout: Duration::from_secs(5),
        }
    }
}

impl Config {
    pub(crate) fn rate(&self, category: &str) -> f64 {
        self.rates
            .get(category)
            .copied()
            .unwrap_or(self.default_rate)
    }
}

pub(crate) enum Msg {
    Put(Box<Recording>),
    Flush(SyncSender<()>, Instant),
}

/// State shared by the layer, its recording scopes and the guard.
pub(crate) struct Shared {
    pub(crate) config: Config,
    pub(crate) stats: Arc<Counters>,
    tx: SyncSender<Msg>,
}

impl fmt::Debug for Shared {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Shared")
            .field("config", &self.config)
            .finish_non_exhaustive()
    }
}

impl Shared {
    /// Hands a finished recording to the writer; never blocks.
    pub(crate) fn submit(&self, rec: Recording) {
        match self.tx.try_send(Msg::Put(Box::new(rec))) {
            Ok(()) => {}
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => self.stats.dropped.inc(),
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
    if n < 10 || n % 1000 == 0 {
        log();
    }
}

/// Starts the writer thread and returns the shared state and the guard.
pub(crate) fn start(
    config: Config,
    store: Arc<dyn Store>,
) -> std::io::Result<(Arc<Shared>, PlaybackGuard)> {
    let (tx, rx) = sync_channel(config.queue_capacity.max(1));
    let stats = Arc::new(Counters::default());
    let timeout = config.flush_timeout;
    {
        let stats = stats.clone();
        let store = store.clone();
        std::thread::Builder::new()
            .name("playback-writer".into())
            .spawn(move || run(rx, store, stats))?;
    }
    let guard = PlaybackGuard {
        tx: tx.clone(),
        stats: Stats {
            counters: stats.clone(),
            store: store.clone(),
        },
        timeout,
    };
    Ok((Arc::new(Shared { config, stats, tx }), guard))
}

fn run(rx: Receiver<Msg>, store: Arc<dyn Store>, stats: Arc<Counters>) {
    while let Ok(msg) = rx.recv() {
        match msg {
            Msg::Put(rec) => {
                let result =
                    std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| store.put(&rec)));
                match result {
                    Ok(Ok(())) => stats.recorded.inc(),
                    Ok(Err(e)) => {
                        stats.failed.inc();
                        log_limited(&stats, || {
                            tracing::warn!(target: "playback", error = %e, id = %rec.id, "playback: failed to store recording");
                        });
                    }
                    Err(_) => {
                        stats.failed.inc();
                        log_limited(&stats, || {
                            tracing::warn!(target: "playback", id = %rec.id, "playback: the store panicked while storing a recording");
                        });
                    }
                }
            }
            Msg::Flush(ack, deadline) => {
                let left = deadline.saturating_duration_since(Instant::now());
                let _ = store.flush(left);
                let _ = ack.try_send(());
            }
        }
    }
}

/// Counts of what the layer did with the operations it saw.
///
/// ```
/// let (_layer, guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .build()?;
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
    /// #     .store(playback_store::MemoryStore::new()).build()?;
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
///     .build()?;
/// assert!(guard.flush(std::time::Duration::from_secs(1)));
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
#[must_use = "dropping the guard flushes and stops waiting for pending recordings; keep it alive for the program's lifetime"]
pub struct PlaybackGuard {
    tx: SyncSender<Msg>,
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
    /// #     .store(playback_store::MemoryStore::new()).build()?;
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
    /// #     .store(playback_store::MemoryStore::new()).build()?;
    /// assert!(guard.flush(std::time::Duration::from_secs(1)));
    /// # Ok::<(), playback_layer::LayerError>(())
    /// ```
    pub fn flush(&self, timeout: Duration) -> bool {
        let deadline = Instant::now() + timeout;
        let (ack_tx, ack_rx) = sync_channel(1);
        let mut msg = Msg::Flush(ack_tx, deadline);
        loop {
            match self.tx.try_send(msg) {
                Ok(()) => break,
                Err(TrySendError::Disconnected(_)) => return false,
                Err(TrySendError::Full(m)) => {
                    if Instant::now() >= deadline {
                        return false;
                    }
                    msg = m;
                    // The queue is full: give the writer a moment to drain it.
                    std::thread::yield_now();
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
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
