//! Functions for code inside an operation: interception without an attribute,
//! metadata, sampling decisions, time and randomness.

use std::future::Future;
use std::panic::Location;
use std::time::SystemTime;

use serde::Serialize;
use serde::de::DeserializeOwned;

use playback_store::RecordingId;

use crate::call::{Call, Replayed, poll_call, run_call};
use crate::context;
use crate::scope::OpRef;
use crate::serialize::to_canonical;
use crate::site::{Kind, OnMissing, Site};

pub(crate) fn dynamic_site(
    kind: Kind,
    alias: &'static str,
    location: &'static Location<'static>,
) -> Site {
    Site {
        kind,
        alias,
        category: "",
        fallback_aliases: &[],
        on_missing: OnMissing::Fail,
        fail_on_missing: true,
        signature: alias,
        file: location.file(),
        line: location.line(),
    }
}

/// Intercepts a call site that cannot carry an attribute (a closure, a third-party
/// client) as an input: `f`'s value is recorded under `alias` + `key`, and replayed
/// instead of calling `f`.
///
/// Outside any operation it just calls `f`.
///
/// ```
/// let rate: f64 = playback_layer::input("fx::rate", &("EUR", "USD"), || 1.08);
/// assert_eq!(rate, 1.08);
/// ```
#[track_caller]
pub fn input<K, T>(alias: &'static str, key: &K, f: impl FnOnce() -> T) -> T
where
    K: ?Sized + Serialize,
    T: Serialize + DeserializeOwned,
{
    let site = dynamic_site(Kind::Input, alias, Location::caller());
    intercept(&site, key, f)
}

/// Intercepts a call site as an output: `args` are recorded (and compared on replay),
/// `f`'s value is recorded and replayed instead of calling `f`.
///
/// ```
/// let sent: bool = playback_layer::output("mail::send", &("a@example.com", "hi"), || true);
/// assert!(sent);
/// ```
#[track_caller]
pub fn output<A, T>(alias: &'static str, args: &A, f: impl FnOnce() -> T) -> T
where
    A: ?Sized + Serialize,
    T: Serialize + DeserializeOwned,
{
    let site = dynamic_site(Kind::Output, alias, Location::caller());
    intercept(&site, args, f)
}

fn intercept<K, T>(site: &Site, key: &K, f: impl FnOnce() -> T) -> T
where
    K: ?Sized + Serialize,
    T: Serialize + DeserializeOwned,
{
    let mut call = Call::begin(site);
    if let Some(c) = &mut call {
        c.whole(key);
        if let Replayed::Value(v) = c.replay::<T>() {
            return v;
        }
    }
    let ret = run_call(&mut call, f);
    if let Some(c) = call {
        c.finish_detecting_err(&ret);
    }
    ret
}

/// The async form of [`input`]: intercepts a future as an input. Its output is recorded
/// under `alias` + `key`, and replayed instead of polling `fut`.
///
/// The interception starts when the returned future is first polled, as an
/// `#[playback::instrument]` `async fn` does; `fut` then runs with its call chain marked
/// as intercepting (a nested input inside it runs normally), on whichever thread polls
/// it, and a panic in it is recorded as the call's outcome. Outside any operation it just
/// awaits `fut`.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let stock: u32 = playback_layer::input_async("stock::level", &"sku-1", async { 7 }).await;
/// assert_eq!(stock, 7);
/// # });
/// ```
#[track_caller]
pub fn input_async<K, T, F>(alias: &'static str, key: &K, fut: F) -> impl Future<Output = T>
where
    K: ?Sized + Serialize,
    T: Serialize + DeserializeOwned,
    F: Future<Output = T>,
{
    let site = dynamic_site(Kind::Input, alias, Location::caller());
    intercept_async(site, key, fut)
}

/// The async form of [`output`], for a call site such as an async `write_frame`:
/// `args` are recorded (and compared on replay), the future's output is recorded, and
/// replayed instead of polling `fut`, which then never runs.
///
/// ```
/// # tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(async {
/// let frame = b"+OK\r\n".to_vec();
/// let written: usize = playback_layer::output_async("conn::write_frame", &frame, async { 5 }).await;
/// assert_eq!(written, 5);
/// # });
/// ```
#[track_caller]
pub fn output_async<A, T, F>(alias: &'static str, args: &A, fut: F) -> impl Future<Output = T>
where
    A: ?Sized + Serialize,
    T: Serialize + DeserializeOwned,
    F: Future<Output = T>,
{
    let site = dynamic_site(Kind::Output, alias, Location::caller());
    intercept_async(site, args, fut)
}

async fn intercept_async<K, T, F>(site: Site, key: &K, fut: F) -> T
where
    K: ?Sized + Serialize,
    T: Serialize + DeserializeOwned,
    F: Future<Output = T>,
{
    let mut call = Call::begin(&site);
    if let Some(c) = &mut call {
        c.whole(key);
        if let Replayed::Value(v) = c.replay::<T>() {
            return v;
        }
    }
    let mut fut = std::pin::pin!(fut);
    let ret = std::future::poll_fn(|cx| poll_call(&mut call, fut.as_mut(), cx)).await;
    if let Some(c) = call {
        c.finish_detecting_err(&ret);
    }
    ret
}

/// The current time, recorded as an input: on replay it returns the recorded instant,
/// so code that reads the clock replays deterministically.
///
/// ```
/// let t = playback_layer::now();
/// assert!(t >= std::time::UNIX_EPOCH);
/// ```
#[track_caller]
pub fn now() -> SystemTime {
    let site = dynamic_site(Kind::Input, "playback::now", Location::caller());
    intercept(&site, &(), SystemTime::now)
}

/// Any value (a random seed, a generated id), recorded as an input named `name`: on
/// replay the recorded value comes back, in call order.
///
/// ```
/// let seed: u64 = playback_layer::value("seed", || 42);
/// assert_eq!(seed, 42);
/// ```
#[track_caller]
pub fn value<T>(name: &'static str, f: impl FnOnce() -> T) -> T
where
    T: Serialize + DeserializeOwned,
{
    let site = dynamic_site(Kind::Input, name, Location::caller());
    intercept(&site, &(), f)
}

/// Adds `key = value` to the metadata of the operation being recorded. Does nothing
/// outside an operation. Metadata is searchable with `Query::metadata`.
///
/// ```
/// playback_layer::metadata("tenant", "acme"); // outside an operation: no effect
/// ```
pub fn metadata(key: &str, value: impl Serialize) {
    if let Some(scope) = context::current()
        && let OpRef::Record(op) = &scope.op
        && let Ok(v) = to_canonical(&value)
    {
        op.metadata(key.to_owned(), v);
    }
}

/// Keeps the current operation whatever its sampling decision said, provided it is
/// being captured (its category is sampled or uses `keep_errors`).
///
/// ```
/// playback_layer::force_sample(); // outside an operation: no effect
/// ```
pub fn force_sample() {
    if let Some(scope) = context::current()
        && let OpRef::Record(op) = &scope.op
    {
        op.force();
    }
}

/// Drops the current operation's recording; the rest of the operation runs unrecorded.
///
/// ```
/// playback_layer::discard(); // outside an operation: no effect
/// ```
pub fn discard() {
    if let Some(scope) = context::current()
        && let OpRef::Record(op) = &scope.op
    {
        op.discard();
    }
}

/// The id of the recording being made (or replayed) by the current operation, to put in
/// logs and response headers: the store returns that recording for it.
///
/// `None` outside an operation and in an operation that sampling left out; during
/// `playback::replay(&rec, ..)`, `Some(rec.id)`.
///
/// ```
/// assert!(playback_layer::current_recording_id().is_none()); // outside an operation
/// ```
pub fn current_recording_id() -> Option<RecordingId> {
    match context::current()?.op {
        OpRef::Record(op) => Some(op.id()),
        OpRef::Replay(r) => r.recording_id(),
    }
}
