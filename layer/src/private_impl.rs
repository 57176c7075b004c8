//! The runtime side of `#[playback::instrument]`: call sites, intercepted calls and
//! operation calls.

use std::any::Any;
use std::future::Future;
use std::panic::{AssertUnwindSafe, UnwindSafe};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::task::{Context, Poll};

use playback_store::{InterceptionKind, OpResult};
use serde::de::DeserializeOwned;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::hook::{Answer, ReplayActivity, ReplayScope};
use crate::scope::{self, Captured, OpRef, SpanScope};
use crate::serialize::{panic_message, raw_object, to_canonical, to_raw};

/// What an instrumented function is.
///
/// ```
/// assert_ne!(playback_layer::Kind::Input, playback_layer::Kind::Output);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// The function's span is a recording scope.
    Operation,
    /// Its return value is recorded, and replayed instead of running.
    Input,
    /// Its arguments are recorded for comparison; its return value is replayed.
    Output,
}

/// What replay does when an input's key is not in the recording.
///
/// ```
/// assert_eq!(playback_layer::OnMissing::default(), playback_layer::OnMissing::Fail);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum OnMissing {
    /// A typed mismatch error (the default).
    #[default]
    Fail,
    /// Run the real function.
    Live,
    /// Return `Default::default()`.
    Default,
}

/// One instrumented call site. `#[playback::instrument]` emits one as a `static`.
///
/// ```
/// let site = playback_layer::Site::EXAMPLE;
/// assert_eq!(site.kind, playback_layer::Kind::Input);
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Site {
    /// Operation, input or output.
    pub kind: Kind,
    /// The stable name of the call site.
    pub alias: &'static str,
    /// Older aliases tried on replay when `alias` has no recording.
    pub fallback_aliases: &'static [&'static str],
    /// Inputs: what replay does on a missing key.
    pub on_missing: OnMissing,
    /// Outputs: whether a missing recorded return value is an error.
    pub fail_on_missing: bool,
    /// The signature, for stale-recording messages.
    pub signature: &'static str,
    /// [`fnv1a`] of `signature`.
    pub signature_hash: u64,
    /// Source file.
    pub file: &'static str,
    /// Source line.
    pub line: u32,
}

impl Site {
    /// A site for examples and tests.
    pub const EXAMPLE: Site = Site {
        kind: Kind::Input,
        alias: "example::load",
        fallback_aliases: &[],
        on_missing: OnMissing::Fail,
        fail_on_missing: true,
        signature: "fn load(id: u64) -> u64",
        signature_hash: fnv1a("fn load(id: u64) -> u64"),
        file: "example.rs",
        line: 1,
    };

    /// The signature hash as it is stored in recordings.
    ///
    /// ```
    /// assert_eq!(playback_layer::Site::EXAMPLE.signature_hex().len(), 16);
    /// ```
    pub fn signature_hex(&self) -> String {
        format!("{:016x}", self.signature_hash)
    }

    /// `file:line`.
    ///
    /// ```
    /// assert_eq!(playback_layer::Site::EXAMPLE.location(), "example.rs:1");
    /// ```
    pub fn location(&self) -> String {
        format!("{}:{}", self.file, self.line)
    }
}

/// 64-bit FNV-1a, usable in constants.
///
/// ```
/// assert_eq!(playback_layer::__private::fnv1a(""), 0xcbf29ce484222325);
/// ```
pub const fn fnv1a(s: &str) -> u64 {
    let bytes = s.as_bytes();
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325;
    let mut i = 0;
    while i < bytes.len() {
        hash ^= bytes[i] as u64;
        hash = hash.wrapping_mul(0x0000_0100_0000_01b3);
        i += 1;
    }
    hash
}

/// Everything that can be recorded: every `serde::Serialize` type.
#[diagnostic::on_unimplemented(
    message = "`{Self}` cannot be recorded by playback: it does not implement `serde::Serialize`",
    label = "this value is recorded by `#[playback::instrument]`",
    note = "derive `serde::Serialize` for it; for an argument, add it to `skip(...)` or convert it with `with(arg = path)`; for a return value, convert it with `with = path`"
)]
pub trait Recordable: serde::Serialize {}
impl<T: ?Sized + serde::Serialize> Recordable for T {}

/// `Result` detection by autoref specialization (the `Result` impl).
pub trait IsErrResult {
    /// Whether this is an `Err`.
    fn __playback_is_err(&self) -> bool;
}
impl<T, E> IsErrResult for Result<T, E> {
    #[inline]
    fn __playback_is_err(&self) -> bool {
        self.is_err()
    }
}

/// `Result` detection by autoref specialization (every other type).
pub trait IsErrOther {
    /// Always `false`.
    fn __playback_is_err(&self) -> bool;
}
impl<T: ?Sized> IsErrOther for &T {
    #[inline]
    fn __playback_is_err(&self) -> bool {
        false
    }
}

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
    scope: Arc<SpanScope>,
    key: Map<String, Value>,
    whole_key: Option<Value>,
    whole_args: Option<Box<RawValue>>,
    args: Vec<(&'static str, Box<RawValue>)>,
    failure: Option<String>,
}

impl Call {
    /// Starts an interception, or `None` when nothing records or replays this call.
    #[inline]
    pub fn begin(site: &Site) -> Option<Call> {
        let Some(scope) = scope::current() else {
            outside_operation(site);
            return None;
        };
        Self::begin_in(site, scope)
    }

    fn begin_in(site: &Site, scope: Arc<SpanScope>) -> Option<Call> {
        if scope.intercepting.load(Ordering::Relaxed) {
            return None;
        }
        if let OpRef::Record(op) = &scope.op
            && op.is_dead()
        {
            return None;
        }
        scope.intercepting.store(true, Ordering::Relaxed);
        Some(Call {
            site: *site,
            scope,
            key: Map::new(),
            whole_key: None,
            whole_args: None,
            args: Vec::new(),
            failure: None,
        })
    }

    /// Adds one key argument (inputs) or argument (outputs).
    pub fn arg<T: ?Sized + Recordable>(&mut self, name: &'static str, value: &T) {
        if self.failure.is_some() {
            return;
        }
        let result = match self.site.kind {
            Kind::Output => to_raw(value).map(|raw| self.args.push((name, raw))),
            _ => to_canonical(value).map(|v| {
                self.key.insert(name.to_owned(), v);
            }),
        };
        if let Err(e) = result {
            self.failure = Some(format!("argument `{name}` of {}: {e}", self.site.alias));
        }
    }

    /// Sets the whole key (inputs) or the whole arguments value (outputs) at once.
    pub(crate) fn whole<T: ?Sized + serde::Serialize>(&mut self, value: &T) {
        let result = match self.site.kind {
            Kind::Output => to_raw(value).map(|raw| self.whole_args = Some(raw)),
            _ => to_canonical(value).map(|v| self.whole_key = Some(v)),
        };
        if let Err(e) = result {
            self.failure = Some(format!("key of {}: {e}", self.site.alias));
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

    /// In replay: the recorded value, `Live` or `Default`. In recording: `Live`.
    pub fn replay<T: DeserializeOwned>(&mut self) -> Replayed<T> {
        let OpRef::Replay(scope) = &self.scope.op else {
            return Replayed::Live;
        };
        let scope: Arc<dyn ReplayScope> = scope.clone();
        if let Some(reason) = self.failure.take() {
            panic!("playback: cannot replay {}: {reason}", self.site.alias);
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
            _ => Replayed::Live,
        }
    }

    /// Records the return value.
    pub fn finish<T: ?Sized + Recordable>(self, ret: &T, is_err: bool) {
        self.finish_with(ret, |_| is_err);
    }

    /// Records the return value when the caller cannot know statically whether it is an
    /// `Err` (the function API): a `Result` serializes as `{"Err":..}`, so the error flag
    /// is read off the one serialization that is recorded anyway.
    pub(crate) fn finish_detecting_err<T: ?Sized + Recordable>(self, ret: &T) {
        self.finish_with(ret, |raw| raw.get().starts_with("{\"Err\":"));
    }

    fn finish_with<T: ?Sized + Recordable>(
        mut self,
        ret: &T,
        is_err: impl FnOnce(&RawValue) -> bool,
    ) {
        let OpRef::Record(op) = &self.scope.op else {
            return;
        };
        let op = op.clone();
        if let Some(reason) = self.failure.take() {
            op.fail(reason);
            return;
        }
        let value = match to_raw(ret) {
            Ok(v) => v,
            Err(e) => {
                op.fail(format!("return value of {}: {e}", self.site.alias));
                return;
            }
        };
        let is_err = is_err(&value);
        let (kind, captured) = match self.site.kind {
            Kind::Output => (
                InterceptionKind::Output,
                Captured {
                    key: None,
                    args: Some(self.args_raw()),
                    value,
                    error: is_err,
                },
            ),
            _ => (
                InterceptionKind::Input,
                Captured {
                    key: Some(self.key_value()),
                    args: None,
                    value,
                    error: is_err,
                },
            ),
        };
        op.push(kind, &self.site, captured);
    }
}

impl Drop for Call {
    fn drop(&mut self) {
        self.scope.intercepting.store(false, Ordering::Relaxed);
    }
}

/// The operation function's own call: its arguments and result.
#[derive(Debug)]
pub struct OpCall {
    site: Site,
    scope: Arc<SpanScope>,
}

impl OpCall {
    /// `Some` when the current span is this operation's own recorded or replayed span.
    #[inline]
    pub fn begin(site: &Site) -> Option<OpCall> {
        let scope = scope::current()?;
        if !scope.is_root {
            return None;
        }
        match &scope.op {
            OpRef::Record(op) => {
                if op.is_dead() {
                    return None;
                }
                op.begin_operation(site.alias);
            }
            OpRef::Replay(r) => r.begin_operation(site),
        }
        Some(OpCall { site: *site, scope })
    }

    /// Records one argument.
    pub fn arg<T: ?Sized + Recordable>(&mut self, name: &'static str, value: &T) {
        if let OpRef::Record(op) = &self.scope.op {
            match to_raw(value) {
                Ok(raw) => op.arg(name, raw),
                Err(e) => op.fail(format!("argument `{name}` of {}: {e}", self.site.alias)),
            }
        }
    }

    /// Records the result.
    pub fn finish<T: ?Sized + Recordable>(self, ret: &T, is_err: bool) {
        match to_raw(ret) {
            Ok(value) => {
                let result = OpResult::Returned {
                    value,
                    error: is_err,
                };
                match &self.scope.op {
                    OpRef::Record(op) => op.finish(result),
                    OpRef::Replay(r) => r.finish(result),
                }
            }
            Err(e) => {
                let reason = format!("result of {}: {e}", self.site.alias);
                match &self.scope.op {
                    OpRef::Record(op) => op.fail(reason),
                    OpRef::Replay(r) => r.finish(OpResult::Panicked { message: reason }),
                }
            }
        }
    }

    /// Records a panic (the caller continues unwinding).
    pub fn panicked(self, payload: &(dyn Any + Send)) {
        let result = OpResult::Panicked {
            message: panic_message(payload),
        };
        match &self.scope.op {
            OpRef::Record(op) => op.finish(result),
            OpRef::Replay(r) => r.finish(result),
        }
    }
}

/// Runs `f`, catching a panic.
#[inline]
pub fn catch_unwind<R>(f: impl FnOnce() -> R) -> Result<R, Box<dyn Any + Send>> {
    std::panic::catch_unwind(AssertUnwindSafe(f))
}

/// Runs a future, catching a panic in any poll.
pub fn catch_unwind_async<F: Future>(f: F) -> CatchUnwind<F> {
    CatchUnwind(Box::pin(f))
}

/// The future returned by [`catch_unwind_async`].
#[derive(Debug)]
pub struct CatchUnwind<F>(Pin<Box<F>>);

impl<F: Future> Future for CatchUnwind<F> {
    type Output = Result<F::Output, Box<dyn Any + Send>>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let fut = self.0.as_mut();
        match std::panic::catch_unwind(AssertUnwindSafe(move || fut.poll(cx))) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(v)) => Poll::Ready(Ok(v)),
            Err(p) => Poll::Ready(Err(p)),
        }
    }
}

fn _assert_send() {
    fn is_send<T: Send>() {}
    is_send::<Call>();
    is_send::<OpCall>();
    fn is_unwind_safe<T: UnwindSafe>() {}
    is_unwind_safe::<Site>();
}
