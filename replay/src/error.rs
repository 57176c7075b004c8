//! The replay machinery's error type.

use playback_store::StoreError;

/// A failure of the replay machinery itself: the recording no longer fits today's code,
/// a call site escaped the replay, or the operation could not be started.
///
/// What the operation itself did (returned a value, an `Err`, or panicked) is never an
/// error: it is the replayed result in the [`Playback`](crate::Playback).
///
/// ```
/// use playback_replay::ReplayError;
/// let err = ReplayError::OperationNotFound {
///     category: "checkout".into(),
///     registered: "refund".into(),
/// };
/// assert!(err.to_string().starts_with("no replayable operation of category `checkout`"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReplayError {
    /// An input was called with key arguments that the recording does not have.
    #[error(
        "input `{alias}` at {site} has no recorded value for key {tried_key} in recording \
         {recording_id}\n{nearest}\nto go on: if the key change is expected, re-record the \
         operation; if the call is new, give it `on_missing = \"live\"` or `\"default\"` (or \
         replay with `Replayer::new().on_missing(OnMissing::Live)`); if the call site was \
         renamed, add `fallback_aliases = [\"<old alias>\"]`"
    )]
    InputMismatch {
        /// The recording's id.
        recording_id: String,
        /// The input's alias.
        alias: &'static str,
        /// The key arguments that were tried, as JSON.
        tried_key: String,
        /// The nearest recorded keys for this alias, as a diff (or why there are none).
        nearest: String,
        /// The call site, `file:line`.
        site: String,
    },

    /// A key part or an argument of a call does not serialize during the replay, so the
    /// call cannot be matched to the recording.
    #[error(
        "`{alias}` at {site} cannot be replayed: {reason}\nto go on: make the value \
         serializable (derive `serde::Serialize`, or convert it with `with(arg = Codec)`), or \
         leave it out of the key with `skip(..)`"
    )]
    Unserializable {
        /// The call's alias.
        alias: &'static str,
        /// Which value failed, and serde's message.
        reason: String,
        /// The call site, `file:line`.
        site: String,
    },

    /// The recorded call could not be recorded (a value did not serialize in production),
    /// so there is nothing to replay it with.
    #[error(
        "`{alias}` at {site} was not recorded in recording {recording_id}: {reason}\nto go \
         on: make the value serializable (or give the call site a codec with `with = ..`) and \
         record the operation again"
    )]
    Unrecordable {
        /// The recording's id.
        recording_id: String,
        /// The call's alias.
        alias: &'static str,
        /// Why it could not be recorded.
        reason: String,
        /// The call site, `file:line`.
        site: String,
    },

    /// An output was called more often than it was recorded, or has no recorded return
    /// value.
    #[error(
        "output `{alias}` at {site}: call #{invocation} has no recorded return value in \
         recording {recording_id} ({recorded} call(s) recorded)\nto go on: if the call is new, \
         give it `fail_on_missing = false` to return `Default::default()`; otherwise re-record \
         the operation"
    )]
    MissingOutput {
        /// The recording's id.
        recording_id: String,
        /// The output's alias.
        alias: &'static str,
        /// Which call of this alias it was (1-based).
        invocation: u32,
        /// How many calls of this alias were recorded.
        recorded: u32,
        /// The call site, `file:line`.
        site: String,
    },

    /// The call site's signature changed since the recording was made, and the recorded
    /// value does not fit any more (or the replay asked to fail on any change).
    #[error(
        "the signature of `{alias}` at {site} changed since the recording was made\n  \
         recorded: {recorded}\n  current:  {current}\n{detail}\nto go on: re-record the operation, \
         or convert the old shape with `with = <Codec>`"
    )]
    StaleSignature {
        /// The call site's alias.
        alias: &'static str,
        /// The signature stored in the recording.
        recorded: String,
        /// Today's signature.
        current: &'static str,
        /// What failed because of it.
        detail: String,
        /// The call site, `file:line`.
        site: String,
    },

    /// A recorded value no longer deserializes into today's type.
    #[error(
        "the recorded value of `{alias}` at {site} (recording {recording_id}) does not \
         deserialize as `{type_name}`: {message}\nto go on: re-record the operation, or accept \
         the old shape with `#[serde(default)]`/`#[serde(alias = ..)]` or `with = <Codec>`"
    )]
    TypeMismatch {
        /// The recording's id.
        recording_id: String,
        /// The call site's alias.
        alias: &'static str,
        /// Today's Rust type.
        type_name: &'static str,
        /// serde's message.
        message: String,
        /// The call site, `file:line`.
        site: String,
    },

    /// An instrumented call ran outside the replayed operation while the replay was
    /// running (strict mode): it would have run live.
    #[error(
        "`{alias}` at {site} was called outside the replayed operation, so it would run live\n{fix}"
    )]
    OutsideOperation {
        /// The call site's alias.
        alias: &'static str,
        /// The call site, `file:line`.
        site: String,
        /// What to change.
        fix: String,
    },

    /// `replay_recording` found no registered operation for the recording's category.
    #[error(
        "no replayable operation of category `{category}` is registered (registered: \
         {registered}): operations with `self` or skipped arguments need a factory, \
         `Replayer::new().register(\"{category}\", |rec| ..)`"
    )]
    OperationNotFound {
        /// The recording's category.
        category: String,
        /// The registered categories, comma-separated.
        registered: String,
    },

    /// The operation registered for automatic replay takes an argument that cannot be
    /// deserialized from a recording.
    #[error(
        "operation `{category}` cannot be replayed automatically: its argument `{arg}` of type \
         `{type_name}` does not implement `serde::de::DeserializeOwned`; register a factory \
         with `Replayer::new().{register}(\"{category}\", |rec| ..)`"
    )]
    NotReplayable {
        /// The recording's category.
        category: String,
        /// The argument's name.
        arg: String,
        /// The argument's type.
        type_name: String,
        /// The `Replayer` method for this operation's shape (`register` or
        /// `register_async`).
        register: &'static str,
    },

    /// The operation takes an argument by type (skipped state, axum's `State<T>` or
    /// `Extension<T>`, a `#[playback::service]` method's `self`) and no value of that
    /// type is provided.
    #[error(
        "operation `{category}` needs a `{type_name}` for its argument `{arg}`, and none is \
         provided\nto go on: replay with `Replayer::new().provide(|| -> {type_name} {{ .. }})` \
         (and `Equalizer::new(..).replayer(replayer)` when comparing); replay never calls it, \
         so an empty or placeholder value is fine"
    )]
    MissingProvider {
        /// The recording's category.
        category: String,
        /// The argument's name (`self` for a service method).
        arg: &'static str,
        /// The type to provide.
        type_name: &'static str,
    },

    /// The replayed code never opened an operation of the recording's category.
    #[error(
        "replaying recording {recording_id} never opened an operation of category \
         `{category}`{seen}{panic}{hint}\nto go on: call the operation inside the replay; create its \
         span inside the replayed code too (a span made before the replay started, such as \
         `fut.instrument(info_span!(..))` passed as the argument, belongs to no replay); and \
         check that no global filter disables the span (filter the layers that need it instead)"
    )]
    NoOperation {
        /// The recording's id.
        recording_id: String,
        /// The recording's category.
        category: String,
        /// The operation spans that opened instead, if any (already formatted).
        seen: String,
        /// The panic that stopped the replayed code first, if any (already formatted).
        panic: String,
        /// A likelier cause, when one is known (already formatted, may be empty).
        hint: String,
    },

    /// A recorded argument could not be read.
    #[error("cannot read the recorded arguments of the operation")]
    Args {
        /// Why.
        #[source]
        source: StoreError,
    },

    /// An async operation was replayed with the blocking `replay_recording` inside a
    /// tokio runtime.
    #[error(
        "operation `{category}` is async and `replay_recording` was called inside a tokio \
         runtime, which cannot block: use `replay_recording_async(&rec).await` instead"
    )]
    InsideRuntime {
        /// The recording's category.
        category: String,
    },

    /// The tokio runtime for an async replay could not be built.
    #[error("cannot start a tokio runtime for the replay")]
    Runtime {
        /// Why.
        #[source]
        source: std::io::Error,
    },
}

impl From<StoreError> for ReplayError {
    fn from(source: StoreError) -> Self {
        ReplayError::Args { source }
    }
}
