//! The tracing layer and its per-layer filter.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use serde_json::{Map, Value};
use tracing_core::Subscriber;
use tracing_core::field::{Field, Visit};
use tracing_core::span::{Attributes, Id, Record};
use tracing_subscriber::filter::Filtered;
use tracing_subscriber::layer::{Context, Layer};
use tracing_subscriber::registry::LookupSpan;

use crate::capture::OpName;
use crate::context;
use crate::filter::{self, CATEGORY, MARKER, PlaybackFilter};
use crate::hook::{OpInfo, ReplayHook};
use crate::recorder::RecordOp;
use crate::sampling::Decision;
use crate::scope::{NotCaptured, OpRef, ScopeExt, SpanScope};
use crate::writer::Shared;

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
    pub fn builder() -> crate::PlaybackLayerBuilder {
        crate::PlaybackLayerBuilder::default()
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

    /// The recording side's shared state, when this layer records.
    pub(crate) fn recorder(&self) -> Option<&Arc<Shared>> {
        match &self.mode {
            Mode::Record(shared) => Some(shared),
            Mode::Replay(_) => None,
        }
    }

    fn open_operation<S>(
        &self,
        attrs: &Attributes<'_>,
        fields: OpFields,
        decided: Option<Decision>,
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
                let decision = decided.unwrap_or_else(|| {
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
                ext.insert(ScopeExt(SpanScope {
                    op: OpRef::Record(Arc::new(op)),
                    is_root: true,
                    in_call: context::in_call(),
                }));
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
                        ext.insert(ScopeExt(SpanScope {
                            op: OpRef::Replay(scope),
                            is_root: true,
                            in_call: context::in_call(),
                        }));
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
    Scope(SpanScope),
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
        let (fields, decided) = if filter::is_marked(attrs.metadata()) {
            let decided = filter::seen(attrs.metadata());
            let mut v = OpFields::default();
            attrs.record(&mut v);
            (v.is_operation.then_some(v), decided)
        } else {
            (None, None)
        };
        match (parent_state(&span), fields) {
            (Some(Parent::Scope(parent)), _) => {
                let child = SpanScope {
                    op: parent.op,
                    is_root: false,
                    in_call: parent.in_call || context::in_call(),
                };
                span.extensions_mut().insert(ScopeExt(child));
            }
            (Some(Parent::NotCaptured), Some(_)) => {
                span.extensions_mut().insert(NotCaptured);
            }
            (None, Some(fields)) => self.open_operation(attrs, fields, decided, &span),
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
            context::push(self.id, id.into_u64(), scope.clone());
        }
    }

    fn on_exit(&self, id: &Id, _ctx: Context<'_, S>) {
        context::pop(self.id, id.into_u64());
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
