//! The recording format: one JSON document per recording, versioned.

use std::collections::BTreeMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::error::StoreError;
use crate::id::RecordingId;

/// The format version this crate writes: `major.minor`.
///
/// A reader accepts any document with the same major version (newer minor versions
/// only add optional fields) and refuses a newer major version with
/// [`StoreError::UnsupportedVersion`].
///
/// ```
/// assert_eq!(playback_store::FORMAT_VERSION, "1.1");
/// ```
pub const FORMAT_VERSION: &str = "1.1";
const SUPPORTED_MAJOR: u64 = 1;

/// How an operation ended.
///
/// ```
/// use playback_store::Outcome;
/// assert_eq!(serde_json::to_string(&Outcome::Panicked).unwrap(), "\"panicked\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Outcome {
    /// The operation returned a value that is not an error.
    Ok,
    /// The operation returned an `Err`.
    Error,
    /// The operation panicked; the panic was recorded and then continued.
    Panicked,
    /// The operation's span closed before the operation finished (for example a
    /// cancelled future).
    Incomplete,
}

impl Outcome {
    /// The lowercase name used in files and reports.
    ///
    /// ```
    /// assert_eq!(playback_store::Outcome::Ok.as_str(), "ok");
    /// ```
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Error => "error",
            Outcome::Panicked => "panicked",
            Outcome::Incomplete => "incomplete",
        }
    }
}

impl std::fmt::Display for Outcome {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether an interception is an input (its return value is replayed) or an output
/// (its arguments are compared, its return value is replayed).
///
/// ```
/// use playback_store::InterceptionKind;
/// assert_eq!(serde_json::to_string(&InterceptionKind::Input).unwrap(), "\"input\"");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InterceptionKind {
    /// Data flowing into the operation: a database read, a client call, the clock.
    Input,
    /// An effect of the operation: a database write, a notification.
    Output,
}

/// One intercepted call, in call order inside its recording.
///
/// ```
/// use playback_store::{Interception, InterceptionKind};
/// let key = serde_json::json!({"cart_id": 7});
/// let value = serde_json::value::to_raw_value(&serde_json::json!({"Ok": [1, 2]})).unwrap();
/// let i = Interception::input("shop::load_cart", 1, key, value, false);
/// assert_eq!(i.kind, InterceptionKind::Input);
/// assert_eq!(i.key.as_ref().unwrap()["cart_id"], 7);
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Interception {
    /// Input or output.
    pub kind: InterceptionKind,
    /// The stable name of the call site (default: module path + function name).
    pub alias: String,
    /// 1-based invocation number of this alias inside the recording.
    pub invocation: u32,
    /// Inputs: the key arguments, by name, canonical (map keys sorted).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub key: Option<Value>,
    /// Outputs: the arguments, by name (what the comparison looks at).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub args: Option<Box<RawValue>>,
    /// The return value, as serialized by serde (`{"Ok": ..}` / `{"Err": ..}` for a `Result`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub value: Option<Box<RawValue>>,
    /// Whether the return value is an `Err`.
    #[serde(default, skip_serializing_if = "is_false")]
    pub error: bool,
    /// The call site's signature (argument names and types, return type), so replay can
    /// tell a stale recording from a changed value.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub signature: String,
    /// The call site's `file:line`, for error messages.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub site: String,
    /// The call panicked with this message (then `value` is absent): replay panics again
    /// at the same call site with the same message, without running it. (Format 1.1.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub panic: Option<String>,
    /// A part of the call (a key part, an argument or the return value) could not be
    /// serialized; the part holds a `{"playback.unrecordable": ..}` placeholder and this
    /// says why. Replay reports such a call as a clear error. (Format 1.1.)
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unrecordable: Option<String>,
    /// The call overlapped another interception of the same operation (concurrent
    /// tasks): its position in the recording is its completion order, which replay does
    /// not rely on. (Format 1.1.)
    #[serde(default, skip_serializing_if = "is_false")]
    pub concurrent: bool,
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Interception {
    /// An input interception: `key` holds the key arguments, `value` the return value.
    ///
    /// ```
    /// use playback_store::Interception;
    /// let v = serde_json::value::to_raw_value(&5).unwrap();
    /// let i = Interception::input("clock", 1, serde_json::json!({}), v, false);
    /// assert_eq!(i.value.unwrap().get(), "5");
    /// ```
    pub fn input(
        alias: impl Into<String>,
        invocation: u32,
        key: Value,
        value: Box<RawValue>,
        error: bool,
    ) -> Self {
        Interception {
            kind: InterceptionKind::Input,
            alias: alias.into(),
            invocation,
            key: Some(key),
            args: None,
            value: Some(value),
            error,
            signature: String::new(),
            site: String::new(),
            panic: None,
            unrecordable: None,
            concurrent: false,
        }
    }

    /// An output interception: `args` holds the arguments object, `value` the return value.
    ///
    /// ```
    /// use playback_store::{Interception, InterceptionKind};
    /// let args = serde_json::value::to_raw_value(&serde_json::json!({"to": "a@b"})).unwrap();
    /// let ret = serde_json::value::to_raw_value(&true).unwrap();
    /// let i = Interception::output("send_email", 1, args, ret, false);
    /// assert_eq!(i.kind, InterceptionKind::Output);
    /// ```
    pub fn output(
        alias: impl Into<String>,
        invocation: u32,
        args: Box<RawValue>,
        value: Box<RawValue>,
        error: bool,
    ) -> Self {
        Interception {
            kind: InterceptionKind::Output,
            alias: alias.into(),
            invocation,
            key: None,
            args: Some(args),
            value: Some(value),
            error,
            signature: String::new(),
            site: String::new(),
            panic: None,
            unrecordable: None,
            concurrent: false,
        }
    }

    /// Sets the signature and the call site.
    ///
    /// ```
    /// use playback_store::Interception;
    /// let v = serde_json::value::to_raw_value(&1).unwrap();
    /// let i = Interception::input("a", 1, serde_json::json!({}), v, false)
    ///     .with_site("fn a() -> u8", "src/lib.rs:3");
    /// assert_eq!(i.site, "src/lib.rs:3");
    /// ```
    pub fn with_site(mut self, signature: impl Into<String>, site: impl Into<String>) -> Self {
        self.signature = signature.into();
        self.site = site.into();
        self
    }

    /// The arguments of an output parsed as JSON, or `Value::Null` when absent.
    ///
    /// ```
    /// use playback_store::Interception;
    /// let args = serde_json::value::to_raw_value(&serde_json::json!({"n": 1})).unwrap();
    /// let v = serde_json::value::to_raw_value(&()).unwrap();
    /// let i = Interception::output("o", 1, args, v, false);
    /// assert_eq!(i.args_value()["n"], 1);
    /// ```
    pub fn args_value(&self) -> Value {
        raw_to_value(self.args.as_deref())
    }

    /// The return value parsed as JSON (`{"panic": message}` for a call that panicked),
    /// or `Value::Null` when absent.
    ///
    /// ```
    /// use playback_store::Interception;
    /// let v = serde_json::value::to_raw_value(&[1, 2]).unwrap();
    /// let i = Interception::input("a", 1, serde_json::json!({}), v, false);
    /// assert_eq!(i.value_json(), serde_json::json!([1, 2]));
    /// ```
    pub fn value_json(&self) -> Value {
        match &self.panic {
            Some(message) => serde_json::json!({ "panic": message }),
            None => raw_to_value(self.value.as_deref()),
        }
    }
}

fn raw_to_value(raw: Option<&RawValue>) -> Value {
    raw.and_then(|r| serde_json::from_str(r.get()).ok())
        .unwrap_or(Value::Null)
}

/// The operation's own result.
///
/// ```
/// use playback_store::OpResult;
/// let r = OpResult::Returned { value: serde_json::value::to_raw_value(&3).unwrap(), error: false };
/// assert!(!r.is_error());
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum OpResult {
    /// The operation returned; `error` tells whether the value is an `Err`.
    Returned {
        /// The return value as serialized by serde.
        value: Box<RawValue>,
        /// Whether the value is an `Err`.
        #[serde(default, skip_serializing_if = "is_false")]
        error: bool,
    },
    /// The operation panicked with this message.
    Panicked {
        /// The panic message (or `"<non-string panic payload>"`).
        message: String,
    },
}

impl OpResult {
    /// Whether the operation returned an `Err` or panicked.
    ///
    /// ```
    /// use playback_store::OpResult;
    /// assert!(OpResult::Panicked { message: "boom".into() }.is_error());
    /// ```
    pub fn is_error(&self) -> bool {
        match self {
            OpResult::Returned { error, .. } => *error,
            OpResult::Panicked { .. } => true,
        }
    }

    /// The result as JSON: the return value, or `{"panic": message}`.
    ///
    /// ```
    /// use playback_store::OpResult;
    /// let r = OpResult::Panicked { message: "boom".into() };
    /// assert_eq!(r.to_json(), serde_json::json!({"panic": "boom"}));
    /// ```
    pub fn to_json(&self) -> Value {
        match self {
            OpResult::Returned { value, .. } => raw_to_value(Some(value)),
            OpResult::Panicked { message } => serde_json::json!({ "panic": message }),
        }
    }
}

/// What a store's listing returns for each recording: everything but the arguments,
/// result and interceptions. This is what S3 keeps in its small index objects.
///
/// ```
/// use playback_store::{Recording, Summary};
/// let rec = Recording::builder("checkout").build();
/// let s: Summary = rec.summary();
/// assert_eq!(s.category, "checkout");
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Summary {
    /// The recording's id.
    pub id: RecordingId,
    /// The operation's category.
    pub category: String,
    /// The operation's alias (module path + function name, or span target + name).
    pub operation: String,
    /// When the operation started (UTC).
    #[serde(with = "crate::limits::rfc3339_in_utc_range")]
    pub recorded_at: OffsetDateTime,
    /// How long the operation took, in microseconds.
    pub duration_us: u64,
    /// How the operation ended.
    pub outcome: Outcome,
    /// The operation's metadata: its span fields and `playback::metadata` calls.
    pub metadata: Map<String, Value>,
}

/// One recorded operation.
///
/// Loading a recording parses JSON into plain data: it never runs code or builds
/// arbitrary types.
///
/// ```
/// use playback_store::{Outcome, Recording};
/// let rec = Recording::builder("checkout")
///     .operation("shop::checkout")
///     .arg("cart_id", serde_json::value::to_raw_value(&7).unwrap())
///     .outcome(Outcome::Ok)
///     .build();
/// let bytes = rec.to_json()?;
/// let back = Recording::from_json(&bytes)?;
/// assert_eq!(back.arg::<u64>("cart_id")?, 7);
/// # Ok::<(), playback_store::StoreError>(())
/// ```
#[derive(Debug, Clone, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Recording {
    /// `major.minor`; see [`FORMAT_VERSION`].
    pub format_version: String,
    /// Time-sortable id (ULID).
    pub id: RecordingId,
    /// The operation's category (default: its span name).
    pub category: String,
    /// The operation's alias.
    #[serde(default)]
    pub operation: String,
    /// When the operation started (UTC, RFC 3339).
    #[serde(with = "crate::limits::rfc3339_in_utc_range")]
    pub recorded_at: OffsetDateTime,
    /// How long the operation took, in microseconds.
    pub duration_us: u64,
    /// How the operation ended.
    pub outcome: Outcome,
    /// Span fields and `playback::metadata` values.
    #[serde(default)]
    pub metadata: Map<String, Value>,
    /// The operation's non-skipped arguments, by name.
    #[serde(default)]
    pub args: BTreeMap<String, Box<RawValue>>,
    /// The operation's result; absent for a plain-span operation or an incomplete one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub result: Option<OpResult>,
    /// Every interception, in call order.
    #[serde(default)]
    pub interceptions: Vec<Interception>,
}

#[derive(Deserialize)]
struct VersionProbe {
    format_version: Option<String>,
}

impl Recording {
    /// Starts building a recording of `category` with a fresh id and the current time.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("checkout").build();
    /// assert_eq!(rec.format_version, playback_store::FORMAT_VERSION);
    /// ```
    pub fn builder(category: impl Into<String>) -> RecordingBuilder {
        let now = OffsetDateTime::now_utc();
        RecordingBuilder {
            rec: Recording {
                format_version: FORMAT_VERSION.to_owned(),
                id: RecordingId::generate_at(now),
                category: category.into(),
                operation: String::new(),
                recorded_at: now,
                duration_us: 0,
                outcome: Outcome::Ok,
                metadata: Map::new(),
                args: BTreeMap::new(),
                result: None,
                interceptions: Vec::new(),
            },
        }
    }

    /// The recording's id.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").build();
    /// assert_eq!(rec.id().as_str().len(), 26);
    /// ```
    pub fn id(&self) -> &RecordingId {
        &self.id
    }

    /// The operation's category.
    ///
    /// ```
    /// assert_eq!(playback_store::Recording::builder("c").build().category(), "c");
    /// ```
    pub fn category(&self) -> &str {
        &self.category
    }

    /// The operation's duration.
    ///
    /// ```
    /// use std::time::Duration;
    /// let rec = playback_store::Recording::builder("c").duration(Duration::from_micros(5)).build();
    /// assert_eq!(rec.duration(), Duration::from_micros(5));
    /// ```
    pub fn duration(&self) -> Duration {
        Duration::from_micros(self.duration_us)
    }

    /// Deserializes the recorded argument `name` into `T`.
    ///
    /// Fails with [`StoreError::MissingArg`] when the recording has no such argument,
    /// and with [`StoreError::ArgType`] when it no longer fits `T`.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c")
    ///     .arg("n", serde_json::value::to_raw_value(&3).unwrap())
    ///     .build();
    /// assert_eq!(rec.arg::<u8>("n")?, 3);
    /// assert!(rec.arg::<u8>("missing").is_err());
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn arg<T: serde::de::DeserializeOwned>(&self, name: &str) -> Result<T, StoreError> {
        let raw = self.args.get(name).ok_or_else(|| StoreError::MissingArg {
            id: self.id.to_string(),
            name: name.to_owned(),
            available: self.args.keys().cloned().collect::<Vec<_>>().join(", "),
        })?;
        serde_json::from_str(raw.get()).map_err(|source| StoreError::ArgType {
            id: self.id.to_string(),
            name: name.to_owned(),
            type_name: std::any::type_name::<T>(),
            source,
        })
    }

    /// The listing summary of this recording.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").build();
    /// assert_eq!(rec.summary().id, rec.id);
    /// ```
    pub fn summary(&self) -> Summary {
        Summary {
            id: self.id.clone(),
            category: self.category.clone(),
            operation: self.operation.clone(),
            recorded_at: self.recorded_at,
            duration_us: self.duration_us,
            outcome: self.outcome,
            metadata: self.metadata.clone(),
        }
    }

    /// Serializes the recording as pretty-printed JSON.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").build();
    /// let text = String::from_utf8(rec.to_json()?).unwrap();
    /// assert!(text.contains("\"format_version\": \"1.1\""));
    /// # Ok::<(), playback_store::StoreError>(())
    /// ```
    pub fn to_json(&self) -> Result<Vec<u8>, StoreError> {
        let mut out = Vec::with_capacity(self.encoded_size_hint());
        serde_json::to_writer_pretty(&mut out, self)
            .map(|()| out)
            .map_err(|source| StoreError::Serialize {
                id: self.id.to_string(),
                source,
            })
    }

    /// About how many bytes [`Recording::to_json`] writes, so the buffer is allocated once.
    fn encoded_size_hint(&self) -> usize {
        let raw = |r: Option<&RawValue>| r.map_or(0, |r| r.get().len());
        let result = match &self.result {
            Some(OpResult::Returned { value, .. }) => value.get().len(),
            Some(OpResult::Panicked { message }) => message.len(),
            None => 0,
        };
        let args: usize = self
            .args
            .iter()
            .map(|(k, v)| k.len() + v.get().len() + 16)
            .sum();
        let interceptions: usize = self
            .interceptions
            .iter()
            .map(|i| {
                256 + i.alias.len()
                    + i.signature.len()
                    + i.site.len()
                    + i.key.as_ref().map_or(0, |_| 64)
                    + raw(i.args.as_deref())
                    + raw(i.value.as_deref())
            })
            .sum();
        384 + self.category.len()
            + self.operation.len()
            + 64 * self.metadata.len()
            + args
            + result
            + interceptions
    }

    /// Parses a recording, checking its `format_version` first.
    ///
    /// A truncated or corrupt document gives [`StoreError::Corrupt`]; a newer major
    /// version gives [`StoreError::UnsupportedVersion`]; a document over
    /// [`crate::MAX_RECORDING_BYTES`] gives [`StoreError::TooLarge`] and one nested deeper
    /// than [`crate::MAX_JSON_DEPTH`] gives [`StoreError::TooDeep`].
    ///
    /// ```
    /// use playback_store::{Recording, StoreError};
    /// let err = Recording::from_json(br#"{"format_version": "9.0"}"#).unwrap_err();
    /// assert!(matches!(err, StoreError::UnsupportedVersion { .. }));
    /// assert!(matches!(Recording::from_json(b"{\"format_"), Err(StoreError::Corrupt { .. })));
    /// ```
    pub fn from_json(bytes: &[u8]) -> Result<Recording, StoreError> {
        Self::from_json_at(bytes, "<memory>")
    }

    /// Like [`Recording::from_json`], naming `origin` (a path or key) in errors.
    ///
    /// ```
    /// let err = playback_store::Recording::from_json_at(b"[]", "a.json").unwrap_err();
    /// assert!(err.to_string().contains("a.json"));
    /// ```
    pub fn from_json_at(bytes: &[u8], origin: &str) -> Result<Recording, StoreError> {
        crate::limits::check_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX), origin)?;
        crate::limits::check_depth(bytes, origin)?;
        let corrupt = |source| crate::limits::parse_error(source, origin);
        // One pass for a well-formed recording; the version probe, a second pass, only
        // explains a document that did not read.
        // Text checked for UTF-8 once, up front (vectorized), parses faster than bytes,
        // which are checked string by string; invalid UTF-8 is reported by the byte parser.
        let full = match std::str::from_utf8(bytes) {
            Ok(text) => serde_json::from_str::<Recording>(text),
            Err(_) => serde_json::from_slice::<Recording>(bytes),
        };
        if let Ok(rec) = &full {
            check_version(&rec.format_version, origin)?;
        }
        full.or_else(|err| {
            let probe: VersionProbe = match serde_json::from_slice(bytes) {
                Ok(probe) => probe,
                // Well-formed JSON of another shape (an array, a string, ...).
                Err(e) if e.classify() == serde_json::error::Category::Data => {
                    return Err(StoreError::NotARecording {
                        origin: origin.to_owned(),
                    });
                }
                Err(e) => return Err(corrupt(e)),
            };
            let Some(version) = probe.format_version else {
                return Err(StoreError::NotARecording {
                    origin: origin.to_owned(),
                });
            };
            check_version(&version, origin)?;
            Err(corrupt(err))
        })
    }
}

fn check_version(version: &str, origin: &str) -> Result<(), StoreError> {
    let major = version
        .split('.')
        .next()
        .and_then(|m| m.parse::<u64>().ok());
    match major {
        Some(SUPPORTED_MAJOR) => Ok(()),
        _ => Err(StoreError::UnsupportedVersion {
            origin: origin.to_owned(),
            found: version.to_owned(),
            supported: FORMAT_VERSION,
        }),
    }
}

/// Builds a [`Recording`]; used by the layer and by tests.
///
/// ```
/// use playback_store::{Outcome, Recording};
/// let rec = Recording::builder("c").outcome(Outcome::Error).metadata("tenant", "acme").build();
/// assert_eq!(rec.metadata["tenant"], "acme");
/// ```
#[derive(Debug)]
pub struct RecordingBuilder {
    rec: Recording,
}

impl RecordingBuilder {
    /// Sets the id.
    ///
    /// ```
    /// let id = playback_store::RecordingId::generate();
    /// let rec = playback_store::Recording::builder("c").id(id.clone()).build();
    /// assert_eq!(rec.id, id);
    /// ```
    pub fn id(mut self, id: RecordingId) -> Self {
        self.rec.id = id;
        self
    }

    /// Sets the operation alias.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").operation("m::f").build();
    /// assert_eq!(rec.operation, "m::f");
    /// ```
    pub fn operation(mut self, alias: impl Into<String>) -> Self {
        self.rec.operation = alias.into();
        self
    }

    /// Sets when the operation started; the id is regenerated to match.
    ///
    /// ```
    /// let t = time::macros::datetime!(2026-01-02 03:04:05 UTC);
    /// let rec = playback_store::Recording::builder("c").recorded_at(t).build();
    /// assert_eq!(rec.recorded_at, t);
    /// ```
    pub fn recorded_at(mut self, at: OffsetDateTime) -> Self {
        self.rec.recorded_at = at;
        self.rec.id = RecordingId::generate_at(at);
        self
    }

    /// Sets the duration.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").duration(std::time::Duration::from_millis(2)).build();
    /// assert_eq!(rec.duration_us, 2000);
    /// ```
    pub fn duration(mut self, d: Duration) -> Self {
        self.rec.duration_us = u64::try_from(d.as_micros()).unwrap_or(u64::MAX);
        self
    }

    /// Sets the outcome.
    ///
    /// ```
    /// use playback_store::Outcome;
    /// let rec = playback_store::Recording::builder("c").outcome(Outcome::Incomplete).build();
    /// assert_eq!(rec.outcome, Outcome::Incomplete);
    /// ```
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        self.rec.outcome = outcome;
        self
    }

    /// Adds one metadata entry.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").metadata("n", 1).build();
    /// assert_eq!(rec.metadata["n"], 1);
    /// ```
    pub fn metadata(mut self, key: impl Into<String>, value: impl Into<Value>) -> Self {
        self.rec.metadata.insert(key.into(), value.into());
        self
    }

    /// Replaces all metadata.
    ///
    /// ```
    /// let mut m = serde_json::Map::new();
    /// m.insert("k".into(), "v".into());
    /// let rec = playback_store::Recording::builder("c").metadata_map(m).build();
    /// assert_eq!(rec.metadata["k"], "v");
    /// ```
    pub fn metadata_map(mut self, metadata: Map<String, Value>) -> Self {
        self.rec.metadata = metadata;
        self
    }

    /// Adds one operation argument.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c")
    ///     .arg("x", serde_json::value::to_raw_value(&1).unwrap()).build();
    /// assert_eq!(rec.args.len(), 1);
    /// ```
    pub fn arg(mut self, name: impl Into<String>, value: Box<RawValue>) -> Self {
        self.rec.args.insert(name.into(), value);
        self
    }

    /// Sets the operation's result.
    ///
    /// ```
    /// use playback_store::OpResult;
    /// let rec = playback_store::Recording::builder("c")
    ///     .result(OpResult::Panicked { message: "x".into() }).build();
    /// assert!(rec.result.is_some());
    /// ```
    pub fn result(mut self, result: OpResult) -> Self {
        self.rec.result = Some(result);
        self
    }

    /// Appends one interception.
    ///
    /// ```
    /// use playback_store::Interception;
    /// let v = serde_json::value::to_raw_value(&1).unwrap();
    /// let rec = playback_store::Recording::builder("c")
    ///     .interception(Interception::input("a", 1, serde_json::json!({}), v, false)).build();
    /// assert_eq!(rec.interceptions.len(), 1);
    /// ```
    pub fn interception(mut self, i: Interception) -> Self {
        self.rec.interceptions.push(i);
        self
    }

    /// Replaces all interceptions.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").interceptions(Vec::new()).build();
    /// assert!(rec.interceptions.is_empty());
    /// ```
    pub fn interceptions(mut self, list: Vec<Interception>) -> Self {
        self.rec.interceptions = list;
        self
    }

    /// Finishes the recording.
    ///
    /// ```
    /// let rec = playback_store::Recording::builder("c").build();
    /// assert_eq!(rec.category, "c");
    /// ```
    pub fn build(self) -> Recording {
        self.rec
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;
    use serde_json::value::to_raw_value;
    use time::macros::datetime;

    /// A recording with every kind of content and nothing random in it.
    fn fixed_recording() -> Recording {
        Recording::builder("checkout")
            .recorded_at(datetime!(2026-01-02 03:04:05.678901 UTC))
            .id(RecordingId::parse("01KE4F9ZQE0000000000000000").unwrap())
            .operation("shop::checkout")
            .duration(Duration::from_micros(1_234))
            .outcome(Outcome::Ok)
            .metadata("tenant", "acme")
            .metadata("items", 3)
            .arg("cart_id", to_raw_value(&42).unwrap())
            .arg(
                "coupon",
                to_raw_value(&json!({"code": "SPRING", "pct": 10})).unwrap(),
            )
            .interception(
                Interception::input(
                    "shop::load_cart",
                    1,
                    json!({"cart_id": 42}),
                    to_raw_value(&json!({"Ok": {"lines": [{"sku": "A1", "qty": 2}]}})).unwrap(),
                    false,
                )
                .with_site(
                    "fn load_cart(cart_id: u64) -> Result<Cart, DbError>",
                    "src/shop.rs:12",
                ),
            )
            .interception(Interception::input(
                "playback::now",
                1,
                json!({}),
                to_raw_value("2026-01-02T03:04:05.7Z").unwrap(),
                false,
            ))
            .interception(
                Interception::output(
                    "shop::send_receipt",
                    1,
                    to_raw_value(&json!({"to": "a@example.com", "total": 1999})).unwrap(),
                    to_raw_value(&json!({"Err": "smtp timeout"})).unwrap(),
                    true,
                )
                .with_site(
                    "fn send_receipt(to: &str, total: u64) -> Result<(), MailError>",
                    "src/shop.rs:40",
                ),
            )
            .result(OpResult::Returned {
                value: to_raw_value(&json!({"Ok": {"order_id": 9001}})).unwrap(),
                error: false,
            })
            .interception({
                // format 1.1: a call that panicked, overlapping another one
                let mut i = Interception::input(
                    "shop::load_stock",
                    1,
                    json!({"sku": "A1"}),
                    to_raw_value(&()).unwrap(),
                    true,
                );
                i.value = None;
                i.panic = Some("connection reset".to_owned());
                i.concurrent = true;
                i
            })
            .interception({
                // format 1.1: a value that could not be recorded
                let mut i = Interception::output(
                    "shop::audit",
                    1,
                    to_raw_value(&crate::unrecordable("argument `map`: key must be a string"))
                        .unwrap(),
                    to_raw_value(&true).unwrap(),
                    false,
                );
                i.unrecordable = Some("argument `map`: key must be a string".to_owned());
                i
            })
            .build()
    }

    #[test]
    fn recording_json_matches_snapshot() {
        let text = String::from_utf8(fixed_recording().to_json().unwrap()).unwrap();
        insta::assert_snapshot!(text);
    }

    #[test]
    fn recording_json_round_trips_unchanged() {
        let rec = fixed_recording();
        let bytes = rec.to_json().unwrap();
        let back = Recording::from_json(&bytes).unwrap();
        assert_eq!(back.to_json().unwrap(), bytes);
        assert_eq!(back.summary(), rec.summary());
        assert_eq!(back.interceptions[2].args_value()["total"], 1999);
        assert!(back.interceptions[2].error);
        assert_eq!(
            back.interceptions[3].panic.as_deref(),
            Some("connection reset")
        );
        assert_eq!(
            back.interceptions[3].value_json(),
            json!({"panic": "connection reset"})
        );
        assert!(back.interceptions[3].concurrent);
        assert!(back.interceptions[4].unrecordable.is_some());
    }

    #[test]
    fn from_json_reports_truncated_input_as_corrupt() {
        let bytes = fixed_recording().to_json().unwrap();
        for cut in [1, bytes.len() / 2, bytes.len() - 1] {
            let err = Recording::from_json_at(&bytes[..cut], "cut.json").unwrap_err();
            assert!(
                matches!(err, StoreError::Corrupt { .. }),
                "cut at {cut}: {err:?}"
            );
            assert!(err.to_string().contains("cut.json"));
        }
        assert!(matches!(
            Recording::from_json(b""),
            Err(StoreError::Corrupt { .. })
        ));
    }

    #[test]
    fn from_json_refuses_a_newer_major_version_and_accepts_a_newer_minor() {
        let mut doc: Value = serde_json::from_slice(&fixed_recording().to_json().unwrap()).unwrap();
        doc["format_version"] = json!("2.0");
        let err = Recording::from_json(doc.to_string().as_bytes()).unwrap_err();
        match &err {
            StoreError::UnsupportedVersion {
                found, supported, ..
            } => {
                assert_eq!(found, "2.0");
                assert_eq!(*supported, FORMAT_VERSION);
            }
            other => panic!("expected UnsupportedVersion, got {other:?}"),
        }
        assert!(err.to_string().contains("upgrade playback"));
        for bad in ["x", "", "-1.0"] {
            doc["format_version"] = json!(bad);
            assert!(matches!(
                Recording::from_json(doc.to_string().as_bytes()),
                Err(StoreError::UnsupportedVersion { .. })
            ));
        }
        doc["format_version"] = json!("1.7");
        doc["a_field_from_1_7"] = json!({"ignored": true});
        let rec = Recording::from_json(doc.to_string().as_bytes()).unwrap();
        assert_eq!(rec.format_version, "1.7");
        assert_eq!(rec.category, "checkout");
    }

    #[test]
    fn from_json_reports_other_json_as_not_a_recording() {
        for doc in [&b"{}"[..], b"{\"name\": \"x\"}", b"[]", b"\"text\"", b"12"] {
            let err = Recording::from_json_at(doc, "other.json").unwrap_err();
            assert!(matches!(err, StoreError::NotARecording { .. }), "{err:?}");
            assert!(err.to_string().contains("other.json"));
        }
    }

    #[test]
    fn from_json_rejects_a_hostile_id_inside_the_document() {
        let mut doc: Value = serde_json::from_slice(&fixed_recording().to_json().unwrap()).unwrap();
        for hostile in ["../../etc/passwd", "a/b", "", "x\u{0}y"] {
            doc["id"] = json!(hostile);
            let err = Recording::from_json(doc.to_string().as_bytes()).unwrap_err();
            match err {
                StoreError::Corrupt { source, .. } => {
                    assert!(
                        source.to_string().contains("invalid recording id"),
                        "{source}"
                    )
                }
                other => panic!("{hostile:?} gave {other:?}"),
            }
        }
    }

    #[test]
    fn arg_errors_name_the_argument_and_the_alternatives() {
        let rec = fixed_recording();
        let missing = rec.arg::<u64>("cart").unwrap_err();
        assert!(matches!(missing, StoreError::MissingArg { .. }));
        assert!(missing.to_string().contains("cart_id, coupon"), "{missing}");
        let wrong = rec.arg::<String>("cart_id").unwrap_err();
        assert!(matches!(
            wrong,
            StoreError::ArgType {
                type_name: "alloc::string::String",
                ..
            }
        ));
    }
}
