//! Recording scopes: which operation a span belongs to. What a span *is* is decided once,
//! when the span is created, and never changes; what runs now lives in
//! [`crate::context`].

use std::sync::Arc;

use crate::hook::ReplayScope;
use crate::recorder::RecordOp;

/// The operation a scoped span belongs to.
#[derive(Clone, Debug)]
pub(crate) enum OpRef {
    Record(Arc<RecordOp>),
    Replay(Arc<dyn ReplayScope>),
}

/// Span extension (and context-stack entry): this span is inside an operation.
#[derive(Clone, Debug)]
pub(crate) struct SpanScope {
    pub(crate) op: OpRef,
    /// Whether this span is the operation's own span.
    pub(crate) is_root: bool,
    /// The span was created while an interception body ran in the creating call chain:
    /// every call made in it is nested, wherever it is polled.
    pub(crate) in_call: bool,
}

/// Span extension holding the scope.
#[derive(Debug)]
pub(crate) struct ScopeExt(pub(crate) SpanScope);

/// Span extension: an operation span that is not captured (sampled out or skipped);
/// operations nested in it are not captured either.
#[derive(Debug)]
pub(crate) struct NotCaptured;
