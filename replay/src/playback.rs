//! The result of one replay: the recorded and the replayed side, in the same shape.

use std::time::Duration;

use playback_store::{InterceptionKind, RecordingId};
use serde::{Deserialize, Serialize};

use crate::json::Json;

/// One output call: its arguments (what the comparison looks at) and the value it
/// returned, each kept as the JSON text it was recorded or replayed as ([`Json`]).
///
/// ```
/// use playback_replay::Output;
/// let o = Output::new("shop::save_order", 1, serde_json::json!({"price": 5}), serde_json::json!({"Ok": 9}), false);
/// assert_eq!(o.args["price"], 5);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Output {
    /// The output's alias.
    pub alias: String,
    /// 1-based invocation number of this alias.
    pub invocation: u32,
    /// The arguments, by name.
    pub args: Json,
    /// The return value.
    pub value: Json,
    /// Whether the return value is an `Err`.
    pub error: bool,
}

impl Output {
    /// Creates an output.
    ///
    /// ```
    /// let o = playback_replay::Output::new("a", 1, serde_json::json!({}), serde_json::Value::Null, false);
    /// assert_eq!(o.invocation, 1);
    /// ```
    pub fn new(
        alias: impl Into<String>,
        invocation: u32,
        args: impl Into<Json>,
        value: impl Into<Json>,
        error: bool,
    ) -> Self {
        Output {
            alias: alias.into(),
            invocation,
            args: args.into(),
            value: value.into(),
            error,
        }
    }
}

/// One side of a playback: what the operation returned and which outputs it made.
///
/// `result` is the operation's return value as JSON (`{"Ok": ..}` / `{"Err": ..}` for
/// a `Result`), `{"panic": message}` when it panicked, or `null` when there was none.
///
/// ```
/// use playback_replay::Side;
/// let side = Side::new(serde_json::json!({"Ok": 1}), false, Vec::new(), std::time::Duration::ZERO);
/// assert!(side.outputs().is_empty());
/// assert_eq!(side.result()["Ok"], 1);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Side {
    result: Json,
    error: bool,
    outputs: Vec<Output>,
    #[serde(with = "duration_us")]
    duration: Duration,
}

impl Side {
    /// Creates a side.
    ///
    /// ```
    /// let s = playback_replay::Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// assert!(!s.is_error());
    /// ```
    pub fn new(
        result: impl Into<Json>,
        error: bool,
        outputs: Vec<Output>,
        duration: Duration,
    ) -> Self {
        Side {
            result: result.into(),
            error,
            outputs,
            duration,
        }
    }

    /// The operation's result as JSON.
    ///
    /// ```
    /// let s = playback_replay::Side::new(serde_json::json!(3), false, vec![], std::time::Duration::ZERO);
    /// assert_eq!(s.result(), &serde_json::json!(3));
    /// ```
    pub fn result(&self) -> &serde_json::Value {
        self.result.value()
    }

    /// The operation's result as [`Json`]: its text, with the tree built only if asked.
    ///
    /// ```
    /// let raw = serde_json::value::to_raw_value(&3).unwrap();
    /// let s = playback_replay::Side::new(playback_replay::Json::from_raw(&raw), false, vec![], std::time::Duration::ZERO);
    /// assert_eq!(s.result_json().raw(), "3");
    /// ```
    pub fn result_json(&self) -> &Json {
        &self.result
    }

    /// Whether the operation returned an `Err` or panicked.
    ///
    /// ```
    /// let s = playback_replay::Side::new(serde_json::json!({"panic": "x"}), true, vec![], std::time::Duration::ZERO);
    /// assert!(s.is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        self.error
    }

    /// The outputs, in call order.
    ///
    /// ```
    /// let s = playback_replay::Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// assert_eq!(s.outputs().len(), 0);
    /// ```
    pub fn outputs(&self) -> &[Output] {
        &self.outputs
    }

    /// How long the operation took.
    ///
    /// ```
    /// let d = std::time::Duration::from_micros(7);
    /// let s = playback_replay::Side::new(serde_json::Value::Null, false, vec![], d);
    /// assert_eq!(s.duration(), d);
    /// ```
    pub fn duration(&self) -> Duration {
        self.duration
    }
}

/// Two sides are equal when their results and outputs are equal; durations are
/// ignored, since no two runs take the same time.
impl PartialEq for Side {
    fn eq(&self, other: &Self) -> bool {
        self.result == other.result && self.error == other.error && self.outputs == other.outputs
    }
}

/// A recorded interception that the replay never used: a code path that disappeared.
///
/// ```
/// use playback_replay::Unused;
/// use playback_store::InterceptionKind;
/// let u = Unused::new(InterceptionKind::Input, "shop::load_cart", 2, "src/shop.rs:10");
/// assert_eq!(u.invocation, 2);
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Unused {
    /// Input or output.
    pub kind: InterceptionKind,
    /// The alias.
    pub alias: String,
    /// The invocation number in the recording.
    pub invocation: u32,
    /// The recorded call site (`file:line`).
    pub site: String,
}

impl Unused {
    /// Creates an entry.
    ///
    /// ```
    /// let u = playback_replay::Unused::new(playback_store::InterceptionKind::Output, "o", 1, "");
    /// assert_eq!(u.alias, "o");
    /// ```
    pub fn new(
        kind: InterceptionKind,
        alias: impl Into<String>,
        invocation: u32,
        site: impl Into<String>,
    ) -> Self {
        Unused {
            kind,
            alias: alias.into(),
            invocation,
            site: site.into(),
        }
    }
}

/// The result of replaying one recording.
///
/// ```
/// use playback_replay::{Playback, Side};
/// use std::time::Duration;
/// let side = Side::new(serde_json::json!({"Ok": 1}), false, vec![], Duration::ZERO);
/// let id = playback_store::RecordingId::generate();
/// let p = Playback::new(id, "checkout", side.clone(), side, vec![]);
/// assert_eq!(p.recorded(), p.replayed());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Playback {
    recording_id: RecordingId,
    category: String,
    recorded: Side,
    replayed: Side,
    unused: Vec<Unused>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<String>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    stopped_at_recording_end: bool,
}

impl Playback {
    /// Creates a playback.
    ///
    /// ```
    /// use playback_replay::{Playback, Side};
    /// let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![]);
    /// assert_eq!(p.category(), "c");
    /// ```
    pub fn new(
        recording_id: RecordingId,
        category: impl Into<String>,
        recorded: Side,
        replayed: Side,
        unused: Vec<Unused>,
    ) -> Self {
        Playback {
            recording_id,
            category: category.into(),
            recorded,
            replayed,
            unused,
            warnings: Vec::new(),
            stopped_at_recording_end: false,
        }
    }

    /// Marks a replay of an incomplete recording that stopped where the recording ends
    /// (see [`Playback::stopped_at_recording_end`]).
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![])
    ///     .with_stopped_at_recording_end(true);
    /// assert!(p.stopped_at_recording_end());
    /// ```
    pub fn with_stopped_at_recording_end(mut self, stopped: bool) -> Self {
        self.stopped_at_recording_end = stopped;
        self
    }

    /// Whether this replays an incomplete recording (its operation was cancelled while
    /// recording: a client disconnect, a timeout, `select!`) and stopped, without an
    /// error, at the first call the recording does not have. Its replayed result is then
    /// `null`, and only the outputs that were recorded are in [`Playback::replayed`].
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![]);
    /// assert!(!p.stopped_at_recording_end());
    /// ```
    pub fn stopped_at_recording_end(&self) -> bool {
        self.stopped_at_recording_end
    }

    /// Sets the warnings (see [`Playback::warnings`]).
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![])
    ///     .with_warnings(vec!["input `a` ran live".into()]);
    /// assert_eq!(p.warnings().len(), 1);
    /// ```
    pub fn with_warnings(mut self, warnings: Vec<String>) -> Self {
        self.warnings = warnings;
        self
    }

    /// What the replay tolerated but a reviewer should know: inputs that ran live or
    /// returned `Default` because their key was not recorded, outputs that returned
    /// `Default`, call sites whose signature changed while their recorded value still
    /// fitted, calls outside the operation that ran live in non-strict mode.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![]);
    /// assert!(p.warnings().is_empty());
    /// ```
    pub fn warnings(&self) -> &[String] {
        &self.warnings
    }

    /// The id of the replayed recording.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let id = playback_store::RecordingId::generate();
    /// let p = Playback::new(id.clone(), "c", s.clone(), s, vec![]);
    /// assert_eq!(p.recording_id(), &id);
    /// ```
    pub fn recording_id(&self) -> &RecordingId {
        &self.recording_id
    }

    /// The operation's category.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "checkout", s.clone(), s, vec![]);
    /// assert_eq!(p.category(), "checkout");
    /// ```
    pub fn category(&self) -> &str {
        &self.category
    }

    /// What production did.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::json!(1), false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![]);
    /// assert_eq!(p.recorded().result(), &serde_json::json!(1));
    /// ```
    pub fn recorded(&self) -> &Side {
        &self.recorded
    }

    /// What today's code did.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::json!(2), false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![]);
    /// assert_eq!(p.replayed().result(), &serde_json::json!(2));
    /// ```
    pub fn replayed(&self) -> &Side {
        &self.replayed
    }

    /// Recorded interceptions that the replay never used.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// let p = Playback::new(playback_store::RecordingId::generate(), "c", s.clone(), s, vec![]);
    /// assert!(p.unused().is_empty());
    /// ```
    pub fn unused(&self) -> &[Unused] {
        &self.unused
    }
}

mod duration_us {
    use std::time::Duration;

    use serde::{Deserialize, Deserializer, Serializer};

    pub(super) fn serialize<S: Serializer>(d: &Duration, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_u64(u64::try_from(d.as_micros()).unwrap_or(u64::MAX))
    }

    pub(super) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Duration, D::Error> {
        Ok(Duration::from_micros(u64::deserialize(d)?))
    }
}
