//! The runtime of an intercepted input or output call: its key or arguments, what
//! replay answers, and what is recorded when its body returns or panics.

use std::any::Any;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use playback_store::{InterceptionKind, panic_message};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::autoref::Recordable;
use crate::capture::Captured;
use crate::context::{self, CallDepth};
use crate::hook::{Answer, ReplayActivity, ReplayScope};
use crate::recorder::CallStart;
use crate::scope::OpRef;
use crate::serialize::{convert, placeholder_raw, raw_object, to_canonical, to_raw};
use crate::site::{Kind, Site};

/// What replay says to an intercepted call.
#[derive(Debug)]
pub enum Replayed<T> {
    /// Return this recorded value.
    Value(T),
    /// Run the real function.
    Live,
    /// Return `Default::default()`.
    Default,
}

/// A call outside every operation: in strict replay, an error.
fn outside_operation(site: &Site) {
    if !ReplayActivity::any() {
        return;
    }
    let hook = tracing::dispatcher::get_default(|d| {
        d.downcast_ref::<crate::PlaybackLayer>()
            .and_then(|l| l.hook().cloned())
    });
    if let Some(hook) = hook
        && let Answer::Fail(message) = hook.outside_operation(site)
    {
        panic!("{message}");
    }
}

/// An intercepted input or output call.
#[derive(Debug)]
pub struct Call {
    site: Site,
    op: OpRef,
    /// Recording: where the call started, for the overlap check.
    start: Option<CallStart>,
    key: Map<String, Value>,
    whole_key: Option<Value>,
    whole_args: Option<Box<RawValue>>,
    args: Vec<(&'static str, Box<RawValue>)>,
    /// Why a key part or argument could not be serialized (the first reason).
    failure: Option<String>,
}

impl Call {
    /// Starts an interception, or `None` when nothing records or replays this call: no
    /// operation, or a call nested in another interception of the same call chain.
    #[inline]
    pub fn begin(site: &Site) -> Option<Call> {
        let Some(scope) = context::current() else {
            outside_operation(site);
            return None;
        };
        if scope.in_call || context::in_call() {
            return None;
        }
        let start = match &scope.op {
            OpRef::Record(op) if op.is_dead() => return None,
            OpRef::Record(op) => Some(op.call_started()),
            OpRef::Replay(_) => None,
        };
        Some(Call {
            site: *site,
            op: scope.op,
            start,
            key: Map::new(),
            whole_key: None,
            whole_args: None,
            args: Vec::new(),
            failure: None,
        })
    }

    /// Notes why a part could not be serialized (the first reason is kept for the
    /// interception); returns the reason for that part's placeholder.
    fn failed(&mut self, reason: String) -> String {
        if self.failure.is_none() {
            self.failure = Some(reason.clone());
        }
        reason
    }

    /// Adds one key argument (inputs) or argument (outputs).
    pub fn arg<T: ?Sized + Recordable>(&mut self, name: &'static str, value: &T) {
        let result = match self.site.kind {
            Kind::Output => to_raw(value).map(|raw| self.args.push((name, raw))),
            _ => to_canonical(value).map(|v| {
                self.key.insert(name.to_owned(), v);
            }),
        };
        if let Err(e) = result {
            self.unrecordable_arg(name, format!("argument `{name}`: {e}"));
        }
    }

    /// Adds one argument converted by a codec; a panicking codec is caught.
    pub fn arg_with<T: Recordable>(&mut self, name: &'static str, f: impl FnOnce() -> T) {
        match convert(f) {
            Ok(v) => self.arg(name, &v),
            Err(e) => self.unrecordable_arg(name, format!("argument `{name}`: {e}")),
        }
    }

    fn unrecordable_arg(&mut self, name: &'static str, reason: String) {
        let reason = self.failed(reason);
        match self.site.kind {
            Kind::Output => self.args.push((name, placeholder_raw(&reason))),
            _ => {
                self.key
                    .insert(name.to_owned(), playback_store::unrecordable(&reason));
            }
        }
    }

    /// Sets the whole key (inputs) or the whole arguments value (outputs) at once.
    pub(crate) fn whole<T: ?Sized + serde::Serialize>(&mut self, value: &T) {
        let result = match self.site.kind {
            Kind::Output => to_raw(value).map(|raw| self.whole_args = Some(raw)),
            _ => to_canonical(value).map(|v| self.whole_key = Some(v)),
        };
        if let Err(e) = result {
            let reason = self.failed(format!("key: {e}"));
            match self.site.kind {
                Kind::Output => self.whole_args = Some(placeholder_raw(&reason)),
                _ => self.whole_key = Some(playback_store::unrecordable(&reason)),
            }
        }
    }

    fn key_value(&mut self) -> Value {
        self.whole_key
            .take()
            .unwrap_or_else(|| Value::Object(std::mem::take(&mut self.key)))
    }

    fn args_raw(&mut self) -> Box<RawValue> {
        self.whole_args
            .take()
            .unwrap_or_else(|| raw_object(&self.args))
    }

    /// In replay: the recorded value, `Live` or `Default`; a recorded panic panics again
    /// with the recorded message. In recording: `Live`.
    pub fn replay<T: DeserializeOwned>(&mut self) -> Replayed<T> {
        let OpRef::Replay(scope) = &self.op else {
            return Replayed::Live;
        };
        let scope: Arc<dyn ReplayScope> = scope.clone();
        if let Some(reason) = self.failure.take() {
            let message = scope.unserializable(&self.site, &reason);
            panic!("{message}");
        }
        let answer = match self.site.kind {
            Kind::Output => {
                let args = self.args_raw();
                scope.output(&self.site, &args)
            }
            _ => {
                let key = self.key_value();
                scope.input(&self.site, &key)
            }
        };
        match answer {
            Answer::Value(raw) => match serde_json::from_str::<T>(raw.get()) {
                Ok(v) => Replayed::Value(v),
                Err(e) => {
                    let message = scope.type_mismatch(&self.site, std::any::type_name::<T>(), &e);
                    panic!("{message}");
                }
            },
            Answer::Default => Replayed::Default,
            Answer::Fail(message) => panic!("{message}"),
            Answer::Panic(message) => std::panic::resume_unwind(Box::new(message)),
            _ => Replayed::Live,
        }
    }

    /// Records the return value.
    pub fn finish<T: ?Sized + Recordable>(self, ret: &T, is_err: bool) {
        let value = to_raw(ret);
        self.record(value, |_| is_err);
    }

    /// Records the return value converted by a codec; a panicking codec is caught.
    pub fn finish_with<T: Recordable>(self, f: impl FnOnce() -> T, is_err: bool) {
        let value = convert(f).and_then(|v| to_raw(&v));
        self.record(value, |_| is_err);
    }

    /// Records the return value when the caller cannot know statically whether it is an
    /// `Err` (the function API): a `Result` serializes as `{"Err":..}`, so the error flag
    /// is read off the one serialization that is recorded anyway.
    pub(crate) fn finish_detecting_err<T: ?Sized + Recordable>(self, ret: &T) {
        let value = to_raw(ret);
        self.record(value, |raw| raw.get().starts_with("{\"Err\":"));
    }

    fn record(
        mut self,
        value: Result<Box<RawValue>, String>,
        is_err: impl FnOnce(&RawValue) -> bool,
    ) {
        let value = match value {
            Ok(v) => v,
            Err(e) => placeholder_raw(&self.failed(format!("return value: {e}"))),
        };
        let error = is_err(&value);
        self.push(Some(value), error, None);
    }

    /// Records that the body panicked (the caller continues unwinding).
    pub fn panicked(self, payload: &(dyn Any + Send)) {
        self.push(None, true, Some(panic_message(payload)));
    }

    fn push(mut self, value: Option<Box<RawValue>>, error: bool, panic: Option<String>) {
        let (OpRef::Record(op), Some(start)) = (&self.op, self.start) else {
            return;
        };
        let op = op.clone();
        let unrecordable = self.failure.take().map(|reason| {
            let reason = format!("{} at {}: {reason}", self.site.alias, self.site.location());
            op.shared.log_unrecordable(self.site.alias, &reason);
            reason
        });
        let (kind, key, args) = match self.site.kind {
            Kind::Output => (InterceptionKind::Output, None, Some(self.args_raw())),
            _ => (InterceptionKind::Input, Some(self.key_value()), None),
        };
        let captured = Captured {
            key,
            args,
            value,
            error,
            panic,
            unrecordable,
            concurrent: op.overlapped(start),
        };
        op.push(kind, &self.site, captured);
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        if let (OpRef::Record(op), Some(_)) = (&self.op, self.start) {
            op.call_ended();
        }
    }
}

/// Runs a sync interception body: nested calls on this thread see the depth, and a
/// panic is recorded as the call's outcome before it continues to unwind.
#[inline]
pub fn run_call<R>(call: &mut Option<Call>, f: impl FnOnce() -> R) -> R {
    if call.is_none() {
        return f();
    }
    let _depth = CallDepth::enter();
    match std::panic::catch_unwind(AssertUnwindSafe(f)) {
        Ok(r) => r,
        Err(payload) => {
            if let Some(c) = call.take() {
                c.panicked(payload.as_ref());
            }
            std::panic::resume_unwind(payload)
        }
    }
}

/// Polls an async interception body: the depth is raised around every poll, wherever
/// the task runs, and a panic is recorded as the call's outcome before it continues.
#[inline]
pub fn poll_call<F: Future>(
    call: &mut Option<Call>,
    body: Pin<&mut F>,
    cx: &mut Context<'_>,
) -> Poll<F::Output> {
    if call.is_none() {
        return body.poll(cx);
    }
    let _depth = CallDepth::enter();
    match std::panic::catch_unwind(AssertUnwindSafe(|| body.poll(cx))) {
        Ok(p) => p,
        Err(payload) => {
            if let Some(c) = call.take() {
                c.panicked(payload.as_ref());
            }
            std::panic::resume_unwind(payload)
        }
    }
}

fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<Call>();
}
