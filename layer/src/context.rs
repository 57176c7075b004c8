//! What is running now on this call chain: the recording scopes of the spans entered on
//! this thread, and how many interception bodies are running in the code being executed.
//!
//! Both are per thread, and futures carry them across `.await`: a span's scope is pushed
//! by `on_enter` every time tracing's `Instrumented` enters the span for a poll, and an
//! interception body's depth is raised around each poll of that body (see
//! [`crate::call::poll_call`]). Nothing here is shared between tasks, so sibling tasks
//! of one operation never see each other's calls.

use std::cell::{Cell, RefCell};

use crate::scope::SpanScope;

struct Entry {
    /// The layer's id, or 0 for an operation recorded without its span.
    layer: usize,
    span: u64,
    scope: SpanScope,
}

thread_local! {
    static STACK: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
    static IN_CALL: Cell<u32> = const { Cell::new(0) };
}

/// A span with a scope was entered on this thread.
pub(crate) fn push(layer: usize, span: u64, scope: SpanScope) {
    let _ = STACK.try_with(|s| {
        if let Ok(mut s) = s.try_borrow_mut() {
            s.push(Entry { layer, span, scope });
        }
    });
}

/// The span was exited on this thread.
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

/// The innermost entered scope on this thread.
#[inline]
pub(crate) fn current() -> Option<SpanScope> {
    STACK
        .try_with(|s| {
            s.try_borrow()
                .ok()
                .and_then(|s| s.last().map(|e| e.scope.clone()))
        })
        .ok()
        .flatten()
}

/// Whether an interception body is running in the code executing now on this thread.
#[inline]
pub(crate) fn in_call() -> bool {
    IN_CALL.try_with(Cell::get).unwrap_or(0) > 0
}

/// Raises the interception depth of this thread until dropped (also when unwinding).
pub(crate) struct CallDepth(());

impl CallDepth {
    #[inline]
    pub(crate) fn enter() -> CallDepth {
        let _ = IN_CALL.try_with(|d| d.set(d.get().saturating_add(1)));
        CallDepth(())
    }
}

impl Drop for CallDepth {
    #[inline]
    fn drop(&mut self) {
        let _ = IN_CALL.try_with(|d| d.set(d.get().saturating_sub(1)));
    }
}

/// Keeps a scope pushed until dropped: an operation recorded without a span pushes its
/// scope around its body (each poll, for async bodies).
pub(crate) struct Pushed(u64);

impl Pushed {
    pub(crate) fn new(token: u64, scope: SpanScope) -> Pushed {
        push(0, token, scope);
        Pushed(token)
    }
}

impl Drop for Pushed {
    fn drop(&mut self) {
        pop(0, self.0);
    }
}
