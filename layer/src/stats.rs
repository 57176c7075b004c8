//! What the layer did with the operations it saw: counters, and their public snapshot.

use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use parking_lot::Mutex;
use playback_redact::Redactor;
use playback_store::Store;

use crate::writer::Budget;

/// How many call sites [`StatsSnapshot::unrecordable_aliases`] names at most.
const MAX_ALIASES: usize = 64;

#[derive(Debug, Default)]
pub(crate) struct Counter(AtomicU64);

impl Counter {
    #[inline]
    pub(crate) fn inc(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }
    pub(crate) fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

#[derive(Debug, Default)]
pub(crate) struct Counters {
    pub(crate) recorded: Counter,
    pub(crate) sampled_out: Counter,
    pub(crate) dropped: Counter,
    pub(crate) over_queued_bytes: Counter,
    pub(crate) failed: Counter,
    pub(crate) oversize: Counter,
    pub(crate) discarded: Counter,
    pub(crate) filtered_out: Counter,
    pub(crate) unrecordable: Counter,
    pub(crate) logged: Counter,
    /// Unrecordable interceptions per call site (bounded).
    aliases: Mutex<Vec<(&'static str, u64)>>,
}

impl Counters {
    /// A value at `alias` could not be recorded (rare: a lock is fine).
    pub(crate) fn unrecordable(&self, alias: &'static str) {
        self.unrecordable.inc();
        let mut aliases = self.aliases.lock();
        if let Some((_, n)) = aliases.iter_mut().find(|(a, _)| *a == alias) {
            *n += 1;
        } else if aliases.len() < MAX_ALIASES {
            aliases.push((alias, 1));
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
    pub(crate) counters: Arc<Counters>,
    pub(crate) budget: Arc<Budget>,
    pub(crate) store: Arc<dyn Store>,
    pub(crate) redactor: Option<Arc<Redactor>>,
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
            over_queued_bytes: c.over_queued_bytes.get(),
            queued_bytes: self.budget.used() as u64,
            peak_queued_bytes: self.budget.peak() as u64,
            failed: c.failed.get(),
            oversize: c.oversize.get(),
            discarded: c.discarded.get(),
            filtered_out: c.filtered_out.get(),
            unrecordable: c.unrecordable.get(),
            unrecordable_aliases: c.aliases.lock().clone(),
            store: self.store.counters(),
            unmatched_redaction_rules: self
                .redactor
                .as_ref()
                .map(|r| r.unmatched())
                .unwrap_or_default(),
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
    /// Recordings dropped because the writer's queue was full (`queue_capacity`
    /// recordings waiting; the caller never waits).
    pub dropped: u64,
    /// Recordings dropped because they would have taken the bytes held for recordings
    /// past `max_queued_bytes`: the operation stopped capturing at once, freed what it
    /// held, and was counted here when it ended (the caller never waits).
    pub over_queued_bytes: u64,
    /// The bytes held now by operations being captured and recordings waiting for the
    /// writer (at most `max_queued_bytes`).
    pub queued_bytes: u64,
    /// The most bytes ever held at once (at most `max_queued_bytes`).
    pub peak_queued_bytes: u64,
    /// Recordings lost to a store error, or to a store that panicked.
    pub failed: u64,
    /// Recordings dropped for exceeding the maximum recording size.
    pub oversize: u64,
    /// Recordings dropped by `playback::discard()`.
    pub discarded: u64,
    /// Operations whose tracing span a filter hid from the layer (a global
    /// `registry().with(EnvFilter::..)`, a level feature). Each is still recorded, from
    /// its `#[playback::instrument]` call, but without its span's fields.
    pub filtered_out: u64,
    /// Values that could not be recorded (a `Serialize` impl that failed or panicked, a
    /// codec that panicked): the call ran live, and its recording keeps the interception
    /// marked unrecordable, with a placeholder naming the error.
    pub unrecordable: u64,
    /// [`Self::unrecordable`] per call-site alias (the first 64 aliases).
    pub unrecordable_aliases: Vec<(&'static str, u64)>,
    /// Store-specific counters (for example S3 uploads and retries).
    pub store: Vec<(&'static str, u64)>,
    /// The redaction rules (`redact`, `redact_key` on the builder) that have matched
    /// nothing so far, as text. After a run that recorded real traffic, a rule listed
    /// here is probably a typo, and the data it was meant to hide is exposed. Rules
    /// are matched by the writer, so flush before reading this.
    ///
    /// ```
    /// let (_layer, guard) = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new())
    ///     .redact_with("/args/pasword", playback_layer::redact::Mode::Remove)
    ///     .build::<tracing_subscriber::Registry>()?;
    /// let unmatched = guard.stats().snapshot().unmatched_redaction_rules;
    /// assert_eq!(unmatched, vec!["redact(\"/args/pasword\") (remove)".to_owned()]);
    /// # Ok::<(), playback_layer::LayerError>(())
    /// ```
    pub unmatched_redaction_rules: Vec<String>,
}
