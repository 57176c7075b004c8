//! Replay [playback](https://docs.rs/playback) recordings in tests: re-run an operation
//! recorded in production on today's code, with no database, network or clock involved,
//! and get back what the recording and the replay did, in the same shape.
//!
//! Most users depend on the `playback` facade crate, which re-exports everything here.
//!
//! ```
//! use playback_store::{Interception, Recording};
//!
//! // the code under test: an operation with one input and one output
//! fn checkout(cart_id: u64) -> u64 {
//!     let span = tracing::info_span!("checkout", playback = "operation");
//!     let _entered = span.enter();
//!     let price: u64 = playback_layer::input("db::price", &cart_id, || unreachable!("not run"));
//!     playback_layer::output("mail::send", &price, || true);
//!     price
//! }
//!
//! // a recording, as the layer stores it
//! let raw = |v: serde_json::Value| serde_json::value::to_raw_value(&v).unwrap();
//! let rec = Recording::builder("checkout")
//!     .interceptions(vec![
//!         Interception::input("db::price", 1, serde_json::json!(7), raw(42.into()), false),
//!         Interception::output("mail::send", 1, raw(42.into()), raw(true.into()), false),
//!     ])
//!     .build();
//!
//! let playback = playback_replay::replay(&rec, || checkout(7))?;
//! assert_eq!(playback.recorded().outputs(), playback.replayed().outputs());
//! assert_eq!(playback.replayed().outputs()[0].args, serde_json::json!(42));
//! # Ok::<(), playback_replay::ReplayError>(())
//! ```
//!
//! # Entry points
//! - [`replay`] / [`replay_async`]: the test calls the operation itself.
//! - [`replay_recording`] / [`replay_recording_async`]: the operation registered itself
//!   (or a factory was registered on a [`Replayer`]); it is called with the recorded
//!   arguments.
//! - [`Replayer`]: the same, with settings (`on_missing`, `strict`, fallback aliases,
//!   stale signatures) and factories.
//! - [`ReplayRuntime`]: a tokio runtime whose worker threads all replay.
//! - [`replay_layer`]: replay through the test's own subscriber, so its fmt layer still
//!   logs.

mod error;
mod json;
mod matching;
mod mismatch;
mod playback;
mod provider;
mod providers;
mod quiet;
mod redaction;
mod registry;
mod replayer;
mod runtime;
mod session;

pub use crate::error::ReplayError;
pub use crate::json::Json;
pub use crate::playback::{Output, Playback, Side, Unused};
pub use crate::provider::replay_layer;
pub use crate::providers::Providers;
pub use crate::replayer::{
    Replayer, replay, replay_async, replay_recording, replay_recording_async,
};
pub use crate::runtime::{ReplayRuntime, ReplayRuntimeBuilder};
pub use playback_layer::OnMissing;

/// What `#[playback::instrument]` generates for automatic replay. Not a public API: it
/// may change in any release.
#[doc(hidden)]
pub mod __private {
    pub use crate::registry::{
        ArgError, ArgOf, LocalFuture, NotDeserializable, Registration, Run, Thunk, ViaDeserialize,
        boxed, thunk,
    };
    pub use inventory;
}

#[cfg(test)]
mod override_tests;
#[cfg(test)]
mod tests;

/// The README's examples, run as doctests through the facade.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
