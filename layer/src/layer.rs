//! The tracing layer and its per-layer filter.

use std::borrow::Cow;
use std::cell::Cell;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use serde_json::{Map, Value};
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_core::subscriber::Interest;
use tracing_core::{Metadata, Subscriber};
use tracing_subscriber::filter::{Filtered, LevelFilter};
use tracing_subscriber::layer::{Context, Filter, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::builder::PlaybackLayerBuilder;
use crate::hook::{OpInfo, ReplayHook};
use crate::scope::{self, NotCaptured, OpName, OpRef, RecordOp, ScopeExt, SpanScope};
use crate::writer::{Decision, Shared};

/// The field that marks an operation span: `playback = "operation"`.
const MARKER: &str = "playback";
const CATEGORY: &str = "playback.category";

#[derive(Clone)]
pub(crate) enum Mode {
    Record(Arc<Shared>),
    Replay(Arc<dyn ReplayHook>),
}

/// Records operations: spans marked `playback = "operation"` become recording scopes.
///
/// Build it with [`PlaybackLayer::builder`]; the builder returns it wrapped in its
/// per-layer [`PlaybackFilter`], ready for `registry().with(layer)`.
///
/// ```
/// use tracing_subscriber::prelude::*;
/// let (layer, _guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .build()?;
/// let _subscriber = tracing_subscriber::registry().with(layer);
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
pub struct PlaybackLayer {
    mode: Mode,
    id: usize,
}

/// The layer as [`PlaybackLayer::builder`] returns it: wrapped in its own filter.
pub type FilteredPlaybackLayer<S> = Filtered<PlaybackLayer, PlaybackFilter, S>;

impl fmt::Debug for PlaybackLayer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mode = match &self.mode {
            Mode::Record(_) => "record",
            Mode::Replay(_) => "replay",
        };
        f.debug_struct("PlaybackLayer")
            .field("mode", &mode)
            .finish()
    }
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(1);

impl PlaybackLayer {
    /// Starts configuring a recording layer.
    ///
    /// ```
    /// let builder = playback_layer::PlaybackLayer::builder();
    /// assert!(builder.build::<tracing_subscriber::Registry>().is_err()); // no store yet
    /// ```
    pub fn builder() -> PlaybackLayerBuilder {
        PlaybackLayerBuilder::default()
    }

    pub(crate) fn new(mode: Mode) -> Self {
        PlaybackLayer {
            mode,
            id: NEXT_ID.fetch_add(1, Ordering::Relaxed),
        }
    }

    /// A layer that replays instead of recording: every operation span asks `hook` for
    /// its replay scope. This is what `playback::replay` installs; most users never call
    /// it directly.
    ///
    /// ```
    /// # use std::sync::Arc;
    /// # use playback_layer::{Answer, OpInfo, ReplayHook, ReplayScope, Site};
    /// # #[derive(Debug)] struct Nothing;
    /// # impl ReplayHook for Nothing {
    /// #     fn open(&self, _op: &OpInfo<'_>) -> Option<Arc<dyn ReplayScope>> { None }
    /// #     fn outside_operation(&self, _site: &Site) -> Answer { Answer::Live }
    /// # }
    /// use tracing_subscriber::prelude::*;
    /// let layer = playback_layer::PlaybackLayer::replaying(Arc::new(Nothing));
    /// let _subscriber = tracing_subscriber::registry().with(layer);
    /// ```
    pub fn replaying<S>(hook: Arc<dyn ReplayHook>) -> FilteredPlaybackLayer<S>
    where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        Layer::with_filter(
            PlaybackLayer::new(Mode::Replay(hook)),
            PlaybackFilter { sampler: None },
        )
    }

    /// The replay hook, when this layer replays.
    ///
    /// ```
    /// let (layer, _g) = playback_layer::PlaybackLayer::builder()
    ///     .store(playback_store::MemoryStore::new()).build::<tracing_subscriber::Registry>()?;
    /// assert!(layer.inner().hook().is_none());
    /// # Ok::<(), playback_layer::LayerError>(())
    /// ```
    pub fn hook(&self) -> Option<&Arc<dyn ReplayHook>> {
        match &self.mode {
            Mode::Replay(h) => Some(h),
            Mode::Record(_) => None,
        }
    }

    fn open_operation<S>(
        &self,
        attrs: &Attributes<'_>,
        fields: OpFields,
        span: &tracing_subscriber::registry::SpanRef<'_, S>,
    ) where
        S: Subscriber + for<'a> LookupSpan<'a>,
    {
        let meta = attrs.metadata();
        let category: Cow<'static, str> = match fields.category {
            Some(c) => Cow::Owned(c),
            None => Cow::Borrowed(meta.name()),
        };
        let mut ext = span.extensions_mut();
        match &self.mode {
            Mode::Record(shared) => {
                // Usually the filter already decided (see `PlaybackFilter::enabled`).
                let decision = take_decision(meta).unwrap_or_else(|| {
                    let d = shared.config.decide(&category);
                    if d == Decision::Out {
                        shared.stats.sampled_out.inc();
                    }
                    d
                });
                let Decision::In { sampled } = decision else {
                    ext.insert(NotCaptured);
                    return;
                };
                let operation = OpName::Span {
                    target: meta.target(),
                    name: meta.name(),
                };
                let op = RecordOp::new(
                    shared.clone(),
                    category,
                    operation,
                    sampled,
                    fields.metadata,
                );
                ext.insert(ScopeExt(Arc::new(SpanScope {
                    op: OpRef::Record(Arc::new(op)),
                    intercepting: AtomicBool::new(false),
                    is_root: true,
                })));
            }
            Mode::Replay(hook) => {
                let info = OpInfo {
                    category: &category,
                    name: meta.name(),
                    target: meta.target(),
                    fields: &fields.metadata,
                };
                match hook.open(&info) {
                    Some(scope) => {
                        ext.insert(ScopeExt(Arc::new(SpanScope {
                            op: OpRef::Replay(scope),
                            intercepting: AtomicBool::new(false),
                            is_root: true,
                        })));
                    }
                    None => {
                        ext.insert(NotCaptured);
                    }
                }
            }
        }
    }
}

enum Parent {
    Scope(Arc<SpanScope>),
    NotCaptured,
}

fn parent_state<S>(span: &tracing_subscriber::registry::SpanRef<'_, S>) -> Option<Parent>
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    let mut next = span.parent();
    while let Some(p) = next {
        {
            let ext = p.extensions();
            if let Some(s) = ext.get::<ScopeExt>() {
                return Some(Parent::Scope(s.0.clone()));
            }
            if ext.get::<NotCaptured>().is_some() {
                return Some(Parent::NotCaptured);
            }
        }
        next = p.parent();
    }
    None
}

impl<S> Layer<S> for PlaybackLayer
where
    S: Subscriber + for<'a> LookupSpan<'a>,
{
    fn on_new_span(&self, attrs: &Attributes<'_>, id: &Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let fields = if is_marked(attrs.metadata()) {
            let mut v = OpFields::default();
            attrs.record(&mut v);
            v.is_operation.then_some(v)
        } else {
            None
        };
        match (parent_state(&span), fields) {
            (Some(Parent::Scope(parent)), _) => {
                let child = SpanScope {
                    op: parent.op.clone(),
                    intercepting: AtomicBool::new(parent.intercepting.load(Ordering::Relaxed)),
                    is_root: false,
                };
                span.extensions_mut().insert(ScopeExt(Arc::new(child)));
            }
            (Some(Parent::NotCaptured), Some(_)) => {
                span.extensions_mut().insert(NotCaptured);
            }
            (None, Some(fields)) => self.open_operation(attrs, fields, &span),
            _ => {}
        }
    }

    fn on_record(&self, id: &Id, values: &Record<'_>, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(id) else {
            return;
        };
        let ext = span.extensions();
        if let Some(ScopeExt(scope)) = ext.get::<ScopeExt>()
            && scope.is_root
            && let OpRef::Record(op) = &scope.op
        {
            let mut v = OpFields::default();
            values.record(&mut v);
            for (k, val) in v.metadata {
                op.metadata(k, val);
            }
        }
    }

    fn on_enter(&self, id: &Id, ctx: Context<'_, S>) {
        if let Some(span) = ctx.span(id)
            && let Some(ScopeExt(scope)) = span.extensions().get::<ScopeExt>()
        {
            scope::push(self.id, id.into_u64(), scope.clone());
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        scope::pop(self.id, id.into_u64());
    }

    fn on_close(&self, id: Id, ctx: Context<'_, S>) {
        let Some(span) = ctx.span(&id) else {
            return;
        };
        let scope = span.extensions_mut().remove::<ScopeExt>();
        if let Some(ScopeExt(scope)) = scope
            && scope.is_root
        {
            match &scope.op {
                OpRef::Record(op) => op.close(),
                OpRef::Replay(r) => r.close(),
            }
        }
    }
}

fn is_marked(meta: &Metadata<'_>) -> bool {
    meta.fields().field(MARKER).is_some()
}

/// The layer's own filter: it enables operation spans, and the spans created inside an
/// operation, and nothing else, so other layers' filters never hide operations from
/// it and it never sees events (payloads never travel as events).
///
/// It also makes the sampling decision: a sampled-out operation is never enabled for
/// the layer, so it costs no more than its plain tracing span.
///
/// ```
/// use tracing_subscriber::prelude::*;
/// let (layer, _guard) = playback_layer::PlaybackLayer::builder()
///     .store(playback_store::MemoryStore::new())
///     .build::<tracing_subscriber::Registry>()?;
/// let _filter: &playback_layer::PlaybackFilter = layer.filter();
/// # Ok::<(), playback_layer::LayerError>(())
/// ```
#[derive(Debug, Clone)]
pub struct PlaybackFilter {
    /// Recording layers sample; replaying layers take every operation.
    pub(crate) sampler: Option<Arc<Shared>>,
}

thread_local! {
    /// The decision `enabled` just made, for the `on_new_span` that follows it on this
    /// thread, keyed by the callsite's metadata.
    static DECISION: Cell<Option<(usize, Decision)>> = const { Cell::new(None) };
}

fn meta_key(meta: &Metadata<'_>) -> usize {
    std::ptr::from_ref(meta) as usize
}

fn take_decision(meta: &Metadata<'_>) -> Option<Decision> {
    let (key, d) = DECISION.try_with(Cell::take).ok().flatten()?;
    (key == meta_key(meta)).then_some(d)
}

impl<S> Filter<S> for PlaybackFilter {
    #[inline]
    fn enabled(&self, meta: &Metadata<'_>, _cx: &Context<'_, S>) -> bool {
        if !meta.is_span() {
            return false;
        }
        if scope::is_active() {
            // inside a captured operation: everything belongs to it
            return true;
        }
        if !is_marked(meta) {
            return false;
        }
        let Some(shared) = &self.sampler else {
            return true;
        };
        if meta.fields().field(CATEGORY).is_some() {
            // the category is a field value, which only `on_new_span` can read
            return true;
        }
        let decision = shared.config.decide(meta.name());
        match decision {
            Decision::In { .. } => {
                let _ = DECISION.try_with(|d| d.set(Some((meta_key(meta), decision))));
                true
            }
            Decision::Out => {
                shared.stats.sampled_out.inc();
                false
            }
            Decision::Skip => false,
        }
    }

    fn callsite_enabled(&self, meta: &'static Metadata<'static>) -> Interest {
        if !meta.is_span() {
            Interest::never()
        } else if is_marked(meta) && self.sampler.is_none() {
            Interest::always()
        } else {
            Interest::sometimes()
        }
    }

    fn max_level_hint(&self) -> Option<LevelFilter> {
        Some(LevelFilter::TRACE)
    }
}

/// Reads the operation marker, the category and the other fields as metadata.
#[derive(Default)]
struct OpFields {
    is_operation: bool,
    category: Option<String>,
    metadata: Map<String, Value>,
}

impl OpFields {
    fn put(&mut self, field: &Field, value: Value) {
        match field.name() {
            MARKER => self.is_operation = value.as_str() == Some("operation"),
            CATEGORY => self.category = value.as_str().map(str::to_owned),
            name if name.starts_with("playback.") => {}
            name => {
                self.metadata.insert(name.to_owned(), value);
            }
        }
    }
}

impl Visit for OpFields {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, Value::from(value));
    }
    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, Value::from(value));
    }
    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, Value::from(value));
    }
    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, Value::from(value));
    }
    fn record_f64(&mut self, field: &Field, value: f64) {
        self.put(field, Value::from(value));
    }
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, Value::from(format!("{value:?}")));
    }
}
