//! One operation being recorded: what its calls captured so far, bounded in bytes, and
//! the decision, when it closes, to hand it to the writer or to count why not.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::sync::atomic::{AtomicBool, AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};
use std::time::Instant;

use parking_lot::Mutex;
use playback_store::{InterceptionKind, OpResult, Outcome, RecordingId};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::capture::{Captured, Finished, OpName, Pending};
use crate::site::Site;
use crate::writer::{Reservation, Shared};

/// What one captured value costs in memory beyond its serialized bytes (the
/// interception's bookkeeping), counted against `max_queued_bytes`.
const PER_VALUE: usize = std::mem::size_of::<Pending>();
/// What a finished operation costs beyond its values (its name, times, the queue slot).
const PER_OPERATION: usize = 512;

/// A recorded operation in progress.
#[derive(Debug)]
pub(crate) struct RecordOp {
    pub(crate) shared: Arc<Shared>,
    pub(crate) category: Cow<'static, str>,
    pub(crate) started: Instant,
    pub(crate) recorded_at: OffsetDateTime,
    /// Kept by the sampling decision (false when captured only for `keep_errors`).
    pub(crate) sampled: bool,
    /// The id, made when first asked for (`playback::current_recording_id()`), else by
    /// the writer.
    id: OnceLock<RecordingId>,
    /// Interceptions running now, and how many ever started: a call that overlapped
    /// another one is marked `concurrent`, so replay knows its order is not meaningful.
    inflight: AtomicU32,
    calls_started: AtomicU64,
    /// Oversize, discarded or closed: stop capturing.
    dead: AtomicBool,
    state: Mutex<OpState>,
}

#[derive(Debug)]
struct OpState {
    operation: OpName,
    metadata: Map<String, Value>,
    args: BTreeMap<String, Box<RawValue>>,
    result: Option<OpResult>,
    finished: Option<Instant>,
    /// The operation function's own call claimed this operation (it expects a result).
    claimed: bool,
    interceptions: Vec<Pending>,
    /// Invocations per (kind, alias); operations use few aliases, so a linear scan
    /// beats hashing.
    counters: Vec<(InterceptionKind, &'static str, u32)>,
    bytes: usize,
    oversize: bool,
    /// The bytes held in the layer's budget (`max_queued_bytes`).
    held: Reservation,
    /// Stopped: the next value would have taken the budget past `max_queued_bytes`.
    over_budget: bool,
    forced: bool,
    discarded: bool,
    closed: bool,
}

/// Where an interception started, for the overlap check.
#[derive(Debug, Clone, Copy)]
pub(crate) struct CallStart {
    seq: u64,
    overlapped: bool,
}

impl RecordOp {
    pub(crate) fn new(
        shared: Arc<Shared>,
        category: Cow<'static, str>,
        operation: OpName,
        sampled: bool,
        metadata: Map<String, Value>,
    ) -> Self {
        RecordOp {
            shared,
            category,
            started: Instant::now(),
            recorded_at: OffsetDateTime::now_utc(),
            sampled,
            id: OnceLock::new(),
            inflight: AtomicU32::new(0),
            calls_started: AtomicU64::new(0),
            dead: AtomicBool::new(false),
            state: Mutex::new(OpState {
                operation,
                metadata,
                args: BTreeMap::new(),
                result: None,
                finished: None,
                claimed: false,
                interceptions: Vec::new(),
                counters: Vec::new(),
                bytes: 0,
                oversize: false,
                held: Reservation::default(),
                over_budget: false,
                forced: false,
                discarded: false,
                closed: false,
            }),
        }
    }

    #[inline]
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    /// The recording's id (made on first use).
    pub(crate) fn id(&self) -> RecordingId {
        self.id
            .get_or_init(|| RecordingId::generate_at(self.recorded_at))
            .clone()
    }

    /// An interception starts.
    #[inline]
    pub(crate) fn call_started(&self) -> CallStart {
        let overlapped = self.inflight.fetch_add(1, Ordering::AcqRel) > 0;
        let seq = self.calls_started.fetch_add(1, Ordering::AcqRel);
        CallStart { seq, overlapped }
    }

    /// Whether the interception that started at `start` overlapped another one: one was
    /// running when it started, or one started since. Call before [`Self::call_ended`].
    #[inline]
    pub(crate) fn overlapped(&self, start: CallStart) -> bool {
        start.overlapped || self.calls_started.load(Ordering::Acquire) > start.seq + 1
    }

    /// An interception ended (recorded, replayed, nested or unwound).
    #[inline]
    pub(crate) fn call_ended(&self) {
        self.inflight.fetch_sub(1, Ordering::AcqRel);
    }

    fn account(&self, st: &mut OpState, bytes: usize) -> bool {
        st.bytes = st.bytes.saturating_add(bytes);
        if st.bytes > self.shared.config.max_recording_bytes {
            st.oversize = true;
        } else if !self.shared.budget.grow(&mut st.held, bytes + PER_VALUE) {
            st.over_budget = true;
        } else {
            return true;
        }
        st.interceptions = Vec::new();
        st.args = BTreeMap::new();
        st.result = None;
        st.metadata = Map::new();
        st.held = Reservation::default();
        self.dead.store(true, Ordering::Relaxed);
        false
    }

    pub(crate) fn push(&self, kind: InterceptionKind, site: &Site, c: Captured) {
        let bytes = c.value.as_ref().map_or(0, |v| v.get().len())
            + c.args.as_ref().map_or(0, |a| a.get().len())
            + c.key.as_ref().map_or(0, |_| 64)
            + c.panic.as_ref().map_or(0, String::len)
            + site.alias.len();
        if c.unrecordable.is_some() {
            self.shared.stats.unrecordable(site.alias);
        }
        let mut st = self.state.lock();
        if st.closed || self.is_dead() || !self.account(&mut st, bytes) {
            return;
        }
        let invocation = match st
            .counters
            .iter_mut()
            .find(|(k, a, _)| *k == kind && *a == site.alias)
        {
            Some((_, _, n)) => {
                *n += 1;
                *n
            }
            None => {
                st.counters.push((kind, site.alias, 1));
                1
            }
        };
        st.interceptions.push(Pending {
            kind,
            site: *site,
            invocation,
            captured: c,
        });
    }

    /// The operation function's own call starts. `false` when another call already
    /// claimed this operation (a nested operation whose own span is hidden).
    pub(crate) fn claim(&self, alias: &'static str) -> bool {
        let mut st = self.state.lock();
        if st.claimed {
            return false;
        }
        st.operation = OpName::Alias(alias);
        st.claimed = true;
        true
    }

    pub(crate) fn arg(&self, name: &str, value: Box<RawValue>) {
        let mut st = self.state.lock();
        if st.closed || self.is_dead() || !self.account(&mut st, value.get().len() + name.len()) {
            return;
        }
        // tracing records the arguments as Debug fields too; the JSON argument wins.
        st.metadata.remove(name);
        st.args.insert(name.to_owned(), value);
    }

    pub(crate) fn finish(&self, result: OpResult) {
        let bytes = match &result {
            OpResult::Returned { value, .. } => value.get().len(),
            OpResult::Panicked { message } => message.len(),
            _ => 0,
        };
        let mut st = self.state.lock();
        st.finished = Some(Instant::now());
        if st.closed || self.is_dead() || !self.account(&mut st, bytes) {
            return;
        }
        st.result = Some(result);
    }

    pub(crate) fn metadata(&self, key: String, value: Value) {
        let mut st = self.state.lock();
        if st.closed || self.is_dead() || !self.account(&mut st, key.len() + value_size(&value)) {
            return;
        }
        st.metadata.insert(key, value);
    }

    pub(crate) fn force(&self) {
        self.state.lock().forced = true;
    }

    pub(crate) fn discard(&self) {
        self.state.lock().discarded = true;
        self.dead.store(true, Ordering::Relaxed);
    }

    /// The operation ended (its span closed, or its call returned when it had no span):
    /// decide, and hand what was captured to the writer.
    pub(crate) fn close(&self) {
        let mut st = self.state.lock();
        if st.closed {
            return;
        }
        st.closed = true;
        self.dead.store(true, Ordering::Relaxed);
        let mut held = std::mem::take(&mut st.held);
        let stats = &self.shared.stats;
        if st.discarded {
            stats.discarded.inc();
            return;
        }
        if st.oversize {
            stats.oversize.inc();
            return;
        }
        if st.over_budget || !self.shared.budget.grow(&mut held, PER_OPERATION) {
            stats.over_queued_bytes.inc();
            return;
        }
        let outcome = match &st.result {
            Some(OpResult::Returned { error: true, .. }) => Outcome::Error,
            Some(OpResult::Panicked { .. }) => Outcome::Panicked,
            Some(_) => Outcome::Ok,
            None if st.claimed => Outcome::Incomplete,
            None => Outcome::Ok,
        };
        let errored = matches!(outcome, Outcome::Error | Outcome::Panicked);
        if !(self.sampled || st.forced || errored) {
            stats.sampled_out.inc();
            return;
        }
        let duration = st.finished.unwrap_or_else(Instant::now) - self.started;
        let finished = Finished {
            id: self.id.get().cloned(),
            category: self.category.clone(),
            operation: st.operation,
            recorded_at: self.recorded_at,
            duration,
            outcome,
            metadata: std::mem::take(&mut st.metadata),
            args: std::mem::take(&mut st.args),
            result: st.result.take(),
            interceptions: std::mem::take(&mut st.interceptions),
        };
        drop(st);
        self.shared.submit(finished, held);
    }
}

/// About how many bytes a metadata value takes (its strings, and a word for the rest).
fn value_size(value: &Value) -> usize {
    match value {
        Value::String(s) => s.len() + 24,
        Value::Array(items) => 24 + items.iter().map(value_size).sum::<usize>(),
        Value::Object(map) => {
            24 + map
                .iter()
                .map(|(k, v)| k.len() + 24 + value_size(v))
                .sum::<usize>()
        }
        _ => 16,
    }
}
