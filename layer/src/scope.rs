//! Recording scopes: which operation a span belongs to, and the per-thread stack of
//! entered scoped spans that makes the check at an instrumented call site cost a
//! thread-local read.

use std::borrow::Cow;
use std::cell::RefCell;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

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

/// How the operation is named in its recording; formatted by the writer, off the
/// request path.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OpName {
    Span {
        target: &'static str,
        name: &'static str,
    },
    Alias(&'static str),
}

impl OpName {
    fn render(self) -> String {
        match self {
            OpName::Span { target, name } => format!("{target}::{name}"),
            OpName::Alias(alias) => alias.to_owned(),
        }
    }
}

/// One interception as captured on the request path: static call-site data and
/// already-serialized values. The writer turns it into an [`Interception`].
#[derive(Debug)]
pub(crate) struct Pending {
    kind: InterceptionKind,
    site: Site,
    invocation: u32,
    key: Option<Value>,
    args: Option<Box<RawValue>>,
    value: Box<RawValue>,
    error: bool,
}

impl Pending {
    fn into_interception(self) -> Interception {
        let site = self.site.location();
        let i = match self.kind {
            InterceptionKind::Output => Interception::output(
                self.site.alias,
                self.invocation,
                self.args.unwrap_or_else(empty_object),
                self.value,
                self.error,
            ),
            _ => Interception::input(
                self.site.alias,
                self.invocation,
                self.key.unwrap_or(Value::Object(Map::new())),
                self.value,
                self.error,
            ),
        };
        i.with_site(self.site.signature, site)
    }
}

/// A finished operation on its way to the writer, which builds the [`Recording`].
#[derive(Debug)]
pub(crate) struct Finished {
    category: Cow<'static, str>,
    operation: OpName,
    recorded_at: OffsetDateTime,
    duration: Duration,
    outcome: Outcome,
    metadata: Map<String, Value>,
    args: BTreeMap<String, Box<RawValue>>,
    result: Option<OpResult>,
    interceptions: Vec<Pending>,
}

impl Finished {
    pub(crate) fn into_recording(self) -> Recording {
        let mut rec = Recording::builder(self.category.into_owned())
            .id(RecordingId::generate_at(self.recorded_at))
            .operation(self.operation.render())
            .duration(self.duration)
            .outcome(self.outcome)
            .metadata_map(self.metadata)
            .interceptions(
                self.interceptions
                    .into_iter()
                    .map(Pending::into_interception)
                    .collect(),
            )
            .build();
        rec.recorded_at = self.recorded_at;
        rec.args = self.args;
        rec.result = self.result;
        rec
    }
}

/// A recorded operation in progress.
#[derive(Debug)]
pub(crate) struct RecordOp {
    pub(crate) shared: Arc<Shared>,
    pub(crate) category: Cow<'static, str>,
    pub(crate) started: Instant,
    pub(crate) recorded_at: OffsetDateTime,
    /// Kept by the sampling decision (false when captured only for `keep_errors`).
    pub(crate) sampled: bool,
    /// Oversize, failed, discarded or closed: stop capturing.
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
    expects_result: bool,
    interceptions: Vec<Pending>,
    /// Invocations per (kind, alias); operations use few aliases, so a linear scan
    /// beats hashing.
    counters: Vec<(InterceptionKind, &'static str, u32)>,
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
            dead: AtomicBool::new(false),
            state: Mutex::new(OpState {
                operation,
                metadata,
                args: BTreeMap::new(),
                result: None,
                finished: None,
                expects_result: false,
                interceptions: Vec::new(),
                counters: Vec::new(),
                bytes: 0,
                oversize: false,
                failure: None,
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
            key: c.key,
            args: c.args,
            value: c.value,
            error: c.error,
        });
    }

    pub(crate) fn begin_operation(&self, alias: &'static str) {
        let mut st = self.state.lock();
        st.operation = OpName::Alias(alias);
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

    /// The operation's span closed: decide, and hand what was captured to the writer.
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
            drop(st);
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
        let finished = Finished {
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
        self.shared.submit(finished);
    }
}

pub(crate) fn empty_object() -> Box<RawValue> {
    RawValue::from_string("{}".to_owned()).unwrap_or_else(|_| null_raw())
}

pub(crate) fn null_raw() -> Box<RawValue> {
    serde_json::value::to_raw_value(&Value::Null).unwrap_or_default()
}
