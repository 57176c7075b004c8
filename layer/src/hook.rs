//! The interface a replay provider implements (the `playback-replay` crate does).
//!
//! A [`PlaybackLayer`](crate::PlaybackLayer) built with
//! [`PlaybackLayer::replaying`](crate::PlaybackLayer::replaying) asks its
//! [`ReplayHook`] for a [`ReplayScope`] whenever an operation span opens; instrumented
//! call sites inside that operation then ask the scope for recorded values instead of
//! running.

use std::fmt::Debug;
use std::sync::atomic::{AtomicUsize, Ordering};

use playback_store::{OpResult, RecordingId};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::site::Site;

/// The operation span that just opened.
///
/// ```
/// let fields = serde_json::Map::new();
/// let info = playback_layer::OpInfo { category: "checkout", name: "checkout", target: "shop", fields: &fields };
/// assert_eq!(info.category, "checkout");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct OpInfo<'a> {
    /// The operation's category.
    pub category: &'a str,
    /// The span's name.
    pub name: &'static str,
    /// The span's target.
    pub target: &'static str,
    /// The span's fields (except the `playback*` markers).
    pub fields: &'a Map<String, Value>,
}

/// What a replay scope tells an intercepted call to do.
///
/// ```
/// let a = playback_layer::Answer::Live;
/// assert!(matches!(a, playback_layer::Answer::Live));
/// ```
#[derive(Debug)]
#[non_exhaustive]
pub enum Answer {
    /// Return this recorded value instead of running.
    Value(Box<RawValue>),
    /// Run the real function.
    Live,
    /// Return `Default::default()` (only honoured where the call site allows it).
    Default,
    /// Stop: the scope has recorded a typed error; the call site panics with this message
    /// and the replay harness reports the error.
    Fail(String),
    /// The recorded call panicked: the call site panics again with this message, without
    /// running.
    Panic(String),
}

/// Creates replay scopes for operation spans.
///
/// ```
/// use std::sync::Arc;
/// use playback_layer::{Answer, OpInfo, ReplayHook, ReplayScope, Site};
///
/// #[derive(Debug)]
/// struct Nothing;
/// impl ReplayHook for Nothing {
///     fn open(&self, _op: &OpInfo<'_>) -> Option<Arc<dyn ReplayScope>> { None }
///     fn outside_operation(&self, _site: &Site) -> Answer { Answer::Live }
/// }
/// let _layer = playback_layer::PlaybackLayer::replaying::<tracing_subscriber::Registry>(Arc::new(Nothing));
/// ```
pub trait ReplayHook: Send + Sync + Debug + 'static {
    /// An operation span opened in a replaying layer: the scope to replay it with, or
    /// `None` to let it run unreplayed.
    fn open(&self, op: &OpInfo<'_>) -> Option<std::sync::Arc<dyn ReplayScope>>;

    /// An instrumented call ran outside any operation while this hook's dispatcher is
    /// the current one. Return [`Answer::Fail`] in strict mode.
    fn outside_operation(&self, site: &Site) -> Answer;
}

/// One operation being replayed.
///
/// ```
/// use playback_layer::{Answer, ReplayScope, Site};
/// use serde_json::{Value, value::RawValue};
///
/// #[derive(Debug)]
/// struct AlwaysLive;
/// impl ReplayScope for AlwaysLive {
///     fn input(&self, _: &Site, _: &Value) -> Answer { Answer::Live }
///     fn output(&self, _: &Site, _: &RawValue) -> Answer { Answer::Live }
///     fn type_mismatch(&self, _: &Site, t: &'static str, e: &serde_json::Error) -> String { format!("{t}: {e}") }
///     fn finish(&self, _: playback_store::OpResult) {}
///     fn close(&self) {}
/// }
/// assert!(matches!(AlwaysLive.input(&Site::EXAMPLE, &Value::Null), Answer::Live));
/// ```
pub trait ReplayScope: Send + Sync + Debug + 'static {
    /// An input call with these key arguments.
    fn input(&self, site: &Site, key: &Value) -> Answer;
    /// An output call with these arguments (captured for the comparison).
    fn output(&self, site: &Site, args: &RawValue) -> Answer;
    /// A recorded value no longer deserializes into today's type: record the typed
    /// error and return the message the call site panics with.
    fn type_mismatch(
        &self,
        site: &Site,
        type_name: &'static str,
        error: &serde_json::Error,
    ) -> String;
    /// The operation function started (macro operations only).
    fn begin_operation(&self, site: &Site) {
        let _ = site;
    }
    /// A key part or an argument of this call does not serialize today (`reason` says
    /// why): record the typed error and return the message the call site panics with.
    fn unserializable(&self, site: &Site, reason: &str) -> String {
        format!(
            "playback: cannot replay `{}` at {}: {reason}",
            site.alias,
            site.location()
        )
    }
    /// The id of the recording being replayed, for `playback::current_recording_id()`.
    fn recording_id(&self) -> Option<RecordingId> {
        None
    }
    /// The operation's replayed result.
    fn finish(&self, result: OpResult);
    /// The operation's span closed.
    fn close(&self);
}

static ACTIVE_REPLAYS: AtomicUsize = AtomicUsize::new(0);

/// Marks a replay as running in this process for as long as it lives. While any is
/// alive, a call site outside every operation checks whether the current dispatcher is
/// replaying (strict mode); otherwise that check costs nothing.
///
/// ```
/// let active = playback_layer::ReplayActivity::start();
/// assert!(playback_layer::ReplayActivity::any());
/// drop(active);
/// ```
#[derive(Debug)]
pub struct ReplayActivity(());

impl ReplayActivity {
    /// Starts marking.
    ///
    /// ```
    /// let _a = playback_layer::ReplayActivity::start();
    /// ```
    pub fn start() -> Self {
        ACTIVE_REPLAYS.fetch_add(1, Ordering::SeqCst);
        ReplayActivity(())
    }

    /// Whether any replay is running in this process.
    ///
    /// ```
    /// let _a = playback_layer::ReplayActivity::start();
    /// assert!(playback_layer::ReplayActivity::any());
    /// ```
    #[inline]
    pub fn any() -> bool {
        ACTIVE_REPLAYS.load(Ordering::Relaxed) > 0
    }
}

impl Drop for ReplayActivity {
    fn drop(&mut self) {
        ACTIVE_REPLAYS.fetch_sub(1, Ordering::SeqCst);
    }
}
