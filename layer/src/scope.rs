//! Recording scopes: which operation a span belongs to, and the per-thread stack of
//! entered scoped spans that makes the check at an instrumented call site cost a
//! thread-local read.

use std::cell::RefCell;
use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use parking_lot::Mutex;
use playback_store::{Interception, InterceptionKind, OpResult, Outcome, Recording, RecordingId};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::hook::ReplayScope;
use crate::private_impl::Site;
use crate::writer::Shared;

/// The operation a scoped span belongs to.
#[derive(Clone, Debug)]
pub(crate) enum OpRef {
    Record(Arc<RecordOp>),
    Replay(Arc<dyn ReplayScope>),
}

/// Span extension: this span is inside an operation.
#[derive(Debug)]
pub(crate) struct SpanScope {
    pub(crate) op: OpRef,
    /// Set while an interception runs in this span; inherited by spans created meanwhile,
    /// so a nested intercepted call is not intercepted again.
    pub(crate) intercepting: AtomicBool,
    /// Whether this span is the operation's own span.
    pub(crate) is_root: bool,
}

/// Span extension holding the scope.
#[derive(Debug)]
pub(crate) struct ScopeExt(pub(crate) Arc<SpanScope>);

/// Span extension: an operation span that is not captured (sampled out or skipped);
/// operations nested in it are not captured either.
#[derive(Debug)]
pub(crate) struct NotCaptured;

struct Entry {
    layer: usize,
    span: u64,
    scope: Arc<SpanScope>,
}

thread_local! {
    static STACK: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

pub(crate) fn push(layer: usize, span: u64, scope: Arc<SpanScope>) {
    let _ = STACK.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.push(Entry { layer, span, scope });
        }
    });
}

pub(crate) fn pop(layer: usize, span: u64) {
    let _ = STACK.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut()
            && let Some(pos) = s.iter().rposition(|e| e.layer == layer && e.span == span)
        {
            s.remove(pos);
        }
    });
}

/// Whether a scoped span is entered on this thread. This is the hot-path check.
#[inline]
pub(crate) fn is_active() -> bool {
    STACK
        .try_with(|s| s.try_borrow().map(|s| !s.is_empty()).unwrap_or(false))
        .unwrap_or(false)
}

/// The innermost entered scoped span on this thread.
#[inline]
pub(crate) fn current() -> Option<Arc<SpanScope>> {
    STACK
        .try_with(|s| {
            s.try_borrow()
                .ok()
                .and_then(|s| s.last().map(|e| e.scope.clone()))
        })
        .ok()
        .flatten()
}

/// A recorded operation in progress.
#[derive(Debug)]
pub(crate) struct RecordOp {
    pub(crate) shared: Arc<Shared>,
    pub(crate) id: RecordingId,
    pub(crate) category: String,
    pub(crate) started: Instant,
    pub(crate) recorded_at: OffsetDateTime,
    /// Kept by the sampling decision (false when captured only for `keep_errors`).
    pub(crate) sampled: bool,
    /// Oversize, failed, discarded or closed: stop capturing.
    dead: AtomicBool,
    state: Mutex<OpState>,
}

#[derive(Debug, Default)]
struct OpState {
    operation: String,
    metadata: Map<String, Value>,
    args: BTreeMap<String, Box<RawValue>>,
    result: Option<OpResult>,
    finished: Option<Instant>,
    expects_result: bool,
    interceptions: Vec<Interception>,
    counters: HashMap<(InterceptionKind, &'static str), u32>,
    bytes: usize,
    oversize: bool,
    failure: Option<String>,
    forced: bool,
    discarded: bool,
    closed: bool,
}

/// What is recorded for one interception.
pub(crate) struct Captured {
    pub(crate) key: Option<Value>,
    pub(crate) args: Option<Box<RawValue>>,
    pub(crate) value: Box<RawValue>,
    pub(crate) error: bool,
}

impl RecordOp {
    pub(crate) fn new(
        shared: Arc<Shared>,
        category: String,
        operation: String,
        sampled: bool,
        metadata: Map<String, Value>,
    ) -> Self {
        let recorded_at = OffsetDateTime::now_utc();
        RecordOp {
            shared,
            id: RecordingId::generate_at(recorded_at),
            category,
            started: Instant::now(),
            recorded_at,
            sampled,
            dead: AtomicBool::new(false),
            state: Mutex::new(OpState {
                operation,
                metadata,
                ..OpState::default()
            }),
        }
    }

    #[inline]
    pub(crate) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Relaxed)
    }

    fn account(&self, st: &mut OpState, bytes: usize) -> bool {
        st.bytes = st.bytes.saturating_add(bytes);
        if st.bytes > self.shared.config.max_recording_bytes {
            st.oversize = true;
            st.interceptions = Vec::new();
            st.args = BTreeMap::new();
            st.result = None;
            self.dead.store(true, Ordering::Relaxed);
            return false;
        }
        true
    }

    pub(crate) fn push(&self, kind: InterceptionKind, site: &Site, c: Captured) {
        let bytes = c.value.get().len()
            + c.args.as_ref().map_or(0, |a| a.get().len())
            + c.key.as_ref().map_or(0, |_| 64)
            + site.alias.len();
        let mut st = self.state.lock();
        if st.closed || self.is_dead() || !self.account(&mut st, bytes) {
            return;
        }
        let n = st.counters.entry((kind, site.alias)).or_insert(0);
        *n += 1;
        let invocation = *n;
        let i = match kind {
            InterceptionKind::Output => Interception::output(
                site.alias,
                invocation,
                c.args.unwrap_or_else(empty_object),
                c.value,
                c.error,
            ),
            _ => Interception::input(
                site.alias,
                invocation,
                c.key.unwrap_or(Value::Object(Map::new())),
                c.value,
                c.error,
            ),
        };
        st.interceptions
            .push(i.with_site(site.signature, format!("{}:{}", site.file, site.line)));
    }

    pub(crate) fn begin_operation(&self, alias: &str) {
        let mut st = self.state.lock();
        st.operation = alias.to_owned();
        st.expects_result = true;
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
        if !st.closed {
            st.metadata.insert(key, value);
        }
    }

    pub(crate) fn fail(&self, reason: String) {
        let mut st = self.state.lock();
        if st.failure.is_none() {
            st.failure = Some(reason);
        }
        self.dead.store(true, Ordering::Relaxed);
    }

    pub(crate) fn force(&self) {
        self.state.lock().forced = true;
    }

    pub(crate) fn discard(&self) {
        self.state.lock().discarded = true;
        self.dead.store(true, Ordering::Relaxed);
    }

    /// The operation's span closed: decide and hand the recording to the writer.
    pub(crate) fn close(&self) {
        let mut st = self.state.lock();
        if st.closed {
            return;
        }
        st.closed = true;
        self.dead.store(true, Ordering::Relaxed);
        let stats = &self.shared.stats;
        if st.discarded {
            stats.discarded.inc();
            return;
        }
        if let Some(reason) = st.failure.take() {
            stats.failed.inc();
            self.shared.log_failure(&self.category, &reason);
            return;
        }
        if st.oversize {
            stats.oversize.inc();
            return;
        }
        let outcome = match &st.result {
            Some(OpResult::Returned { error: true, .. }) => Outcome::Error,
            Some(OpResult::Panicked { .. }) => Outcome::Panicked,
            Some(_) => Outcome::Ok,
            None if st.expects_result => Outcome::Incomplete,
            None => Outcome::Ok,
        };
        let errored = matches!(outcome, Outcome::Error | Outcome::Panicked);
        if !(self.sampled || st.forced || errored) {
            stats.sampled_out.inc();
            return;
        }
        let duration = st.finished.unwrap_or_else(Instant::now) - self.started;
        let mut rec = Recording::builder(self.category.clone())
            .id(self.id.clone())
            .operation(std::mem::take(&mut st.operation))
            .duration(duration)
            .outcome(outcome)
            .metadata_map(std::mem::take(&mut st.metadata))
            .interceptions(std::mem::take(&mut st.interceptions))
            .build();
        rec.recorded_at = self.recorded_at;
        rec.args = std::mem::take(&mut st.args);
        rec.result = st.result.take();
        drop(st);
        self.shared.submit(rec);
    }
}

pub(crate) fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| null_raw())
}

pub(crate) fn null_raw() -> Box<RawValue> {
    serde_json::value::to_raw_value(&Value::Null).unwrap_or_default()
}
