//! The runtime of an operation function's own call: its arguments and result, and the
//! operation it records by itself when a filter hid its span from the layer.

use std::any::Any;
use std::borrow::Cow;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::task::{Context, Poll};

use playback_store::{OpResult, panic_message};
use serde_json::Map;

use crate::autoref::Recordable;
use crate::capture::OpName;
use crate::context::{self, Pushed};
use crate::filter::{self, Mark};
use crate::recorder::RecordOp;
use crate::sampling::Decision;
use crate::scope::{OpRef, SpanScope};
use crate::serialize::{convert, placeholder_raw, to_raw};
use crate::site::Site;

/// The operation function's own call: its arguments and result.
#[derive(Debug)]
pub struct OpCall {
    site: Site,
    op: OpRef,
    /// Recorded without its span (a filter hid it): the token of the scope this call
    /// pushes around its body, and it closes the operation itself.
    hidden: Option<u64>,
}

impl OpCall {
    /// `Some` when the current span is this operation's own recorded or replayed span,
    /// or when a filter hid that span from a recording layer (the call then records the
    /// operation itself).
    #[inline]
    pub fn begin(site: &Site) -> Option<OpCall> {
        let Some(scope) = context::current() else {
            return Self::begin_hidden(site);
        };
        filter::take_mark("");
        if !scope.is_root {
            return None;
        }
        match &scope.op {
            OpRef::Record(op) => {
                if op.is_dead() || !op.claim(site.alias) {
                    return None;
                }
            }
            OpRef::Replay(r) => r.begin_operation(site),
        }
        Some(OpCall {
            site: *site,
            op: scope.op,
            hidden: None,
        })
    }

    /// No scope: the operation was sampled out or skipped, no recording layer is
    /// installed, or a filter hid its span.
    fn begin_hidden(site: &Site) -> Option<OpCall> {
        let name = if site.category.is_empty() {
            site.alias
        } else {
            site.category
        };
        let decided = match filter::take_mark(name) {
            Mark::Seen { .. } => return None,
            Mark::Decided {
                decision: d @ Decision::In { .. },
                ..
            } => Some(d),
            Mark::Decided { .. } => return None,
            Mark::Unknown => None,
        };
        let shared = tracing::dispatcher::get_default(|d| {
            d.downcast_ref::<crate::PlaybackLayer>()
                .and_then(|l| l.recorder().cloned())
        })?;
        let decision = decided.unwrap_or_else(|| {
            let d = shared.config.decide(name);
            if d == Decision::Out {
                shared.stats.sampled_out.inc();
            }
            d
        });
        let Decision::In { sampled } = decision else {
            return None;
        };
        shared.stats.filtered_out.inc();
        warn_hidden_once(name, site);
        let op = RecordOp::new(
            shared,
            Cow::Borrowed(name),
            OpName::Alias(site.alias),
            sampled,
            Map::new(),
        );
        op.claim(site.alias);
        static TOKENS: AtomicU64 = AtomicU64::new(1);
        Some(OpCall {
            site: *site,
            op: OpRef::Record(Arc::new(op)),
            hidden: Some(TOKENS.fetch_add(1, Ordering::Relaxed)),
        })
    }

    /// For an operation recorded without its span: its scope, pushed on this thread
    /// until the returned guard drops.
    fn push_hidden(&self) -> Option<Pushed> {
        let token = self.hidden?;
        let scope = SpanScope {
            op: self.op.clone(),
            is_root: true,
            in_call: false,
        };
        Some(Pushed::new(token, scope))
    }

    /// Records one argument.
    pub fn arg<T: ?Sized + Recordable>(&mut self, name: &'static str, value: &T) {
        self.record_arg(name, to_raw(value));
    }

    /// Records one argument converted by a codec; a panicking codec is caught.
    pub fn arg_with<T: Recordable>(&mut self, name: &'static str, f: impl FnOnce() -> T) {
        self.record_arg(name, convert(f).and_then(|v| to_raw(&v)));
    }

    fn record_arg(
        &mut self,
        name: &'static str,
        raw: Result<Box<serde_json::value::RawValue>, String>,
    ) {
        if let OpRef::Record(op) = &self.op {
            let raw = raw.unwrap_or_else(|e| {
                let reason = format!("argument `{name}` of {}: {e}", self.site.alias);
                op.shared.stats.unrecordable(self.site.alias);
                op.shared.log_unrecordable(self.site.alias, &reason);
                placeholder_raw(&reason)
            });
            op.arg(name, raw);
        }
    }

    /// Records the result.
    pub fn finish<T: ?Sized + Recordable>(self, ret: &T, is_err: bool) {
        let value = to_raw(ret);
        self.record_result(value, is_err);
    }

    /// Records the result converted by a codec; a panicking codec is caught.
    pub fn finish_with<T: Recordable>(self, f: impl FnOnce() -> T, is_err: bool) {
        let value = convert(f).and_then(|v| to_raw(&v));
        self.record_result(value, is_err);
    }

    /// A result that does not serialize is kept as a placeholder naming the error, on
    /// both sides of a replay, so the comparison can say it is not comparable.
    fn record_result(self, value: Result<Box<serde_json::value::RawValue>, String>, is_err: bool) {
        let value = value.unwrap_or_else(|e| {
            let reason = format!("result of {}: {e}", self.site.alias);
            if let OpRef::Record(op) = &self.op {
                op.shared.stats.unrecordable(self.site.alias);
                op.shared.log_unrecordable(self.site.alias, &reason);
            }
            placeholder_raw(&reason)
        });
        self.end(OpResult::Returned {
            value,
            error: is_err,
        });
    }

    /// Records a panic (the caller continues unwinding).
    pub fn panicked(self, payload: &(dyn Any + Send)) {
        self.end(OpResult::Panicked {
            message: panic_message(payload),
        });
    }

    fn end(self, result: OpResult) {
        match &self.op {
            OpRef::Record(op) => op.finish(result),
            OpRef::Replay(r) => r.finish(result),
        }
    }
}

impl Drop for OpCall {
    fn drop(&mut self) {
        // An operation without a span ends with its call (returned, unwound, or dropped
        // mid-way: then it is recorded as incomplete).
        if self.hidden.is_some()
            && let OpRef::Record(op) = &self.op
        {
            op.close();
        }
    }
}

fn warn_hidden_once(category: &str, site: &Site) {
    static WARNED: AtomicBool = AtomicBool::new(false);
    if !WARNED.swap(true, Ordering::Relaxed) {
        eprintln!(
            "playback: the tracing span of operation `{category}` ({}, {}) was hidden by a filter \
             (for example a global `registry().with(EnvFilter::new(\"warn\"))`). It is recorded \
             from its call instead, without its span's fields, and work it spawns with \
             `.in_current_span()` is not part of it. Fix: put the filter on the layers that need \
             it, `fmt::layer().with_filter(EnvFilter::new(\"warn\"))`. Counted in \
             `stats().filtered_out`; this is shown once per process.",
            site.alias,
            site.location()
        );
    }
}

/// Runs a sync operation body, catching a panic (the generated code records it and
/// resumes it).
#[inline]
pub fn run_op<R>(op: &Option<OpCall>, f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    let _pushed = op.as_ref().and_then(OpCall::push_hidden);
    std::panic::catch_unwind(AssertUnwindSafe(f))
}

/// Polls an async operation body, catching a panic in any poll.
#[inline]
pub fn poll_op<F: Future>(
    op: &Option<OpCall>,
    body: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<Result<F::Output, Box<dyn Any + Send>>> {
    let _pushed = op.as_ref().and_then(OpCall::push_hidden);
    match std::panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
        Ok(Poll::Pending) => Poll::Pending,
        Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
        Err(p) => Poll::Ready(Err(p)),
    }
}

fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<OpCall>();
}
