//! The tracing [`Layer`](tracing_subscriber::Layer) that records playback operations,
//! and the interception runtime that `#[playback::instrument]` expands to.
//!
//! Most users depend on the `playback` facade crate, which re-exports everything here.
//!
//! ```
//! use playback_layer::PlaybackLayer;
//! use playback_store::{MemoryStore, Query, Store};
//! use tracing_subscriber::prelude::*;
//!
//! let store = MemoryStore::new();
//! let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
//! let subscriber = tracing_subscriber::registry().with(layer);
//! tracing::subscriber::with_default(subscriber, || {
//!     let span = tracing::info_span!("checkout", playback = "operation");
//!     let _entered = span.enter();
//!     let price: u64 = playback_layer::input("price_of", &7, || 42);
//!     assert_eq!(price, 42);
//! });
//! guard.flush(std::time::Duration::from_secs(5));
//! let found = store.find(&Query::category("checkout"))?;
//! assert_eq!(found.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # How operations are found
//! A span whose field `playback` is `"operation"` opens a recording scope. Every span
//! created inside it (on any thread, as long as tracing's span context is propagated
//! with `.instrument(span)` or `.in_current_span()`) belongs to the same scope, and an
//! interception made while such a span is entered is attributed to that operation. An
//! operation inside another operation is part of the outer recording.
//!
//! Interceptions made concurrently inside one operation (tasks spawned with
//! `.in_current_span()`, `spawn_blocking` with the span entered) are each recorded.
//! Whether a call is nested inside another interception is decided per call chain:
//! a thread-local depth, raised around every poll of an async interception body, and a
//! flag set once on spans created while such a body runs.
//!
//! The layer carries its own per-layer filter ([`PlaybackFilter`]), so a filter on
//! another layer (`fmt::layer().with_filter(EnvFilter::new("warn"))`) never hides
//! operations from it. A *global* filter, one added as a plain layer
//! (`registry().with(EnvFilter::new("warn"))`), disables spans for every layer,
//! including this one: an `#[playback::instrument]` operation is then recorded from its
//! own call (without its span's fields) and counted in
//! [`StatsSnapshot::filtered_out`]; put filters on the layers that need them.

mod autoref;
mod builder;
mod call;
mod capture;
mod codec;
pub mod codecs;
mod context;
mod depth;
mod error;
mod filter;
pub mod fs;
mod functions;
mod hook;
mod layer;
mod op_call;
mod presample;
mod recorder;
mod sampling;
mod scope;
mod serialize;
mod site;
mod stats;
mod writer;

pub use crate::builder::PlaybackLayerBuilder;
pub use crate::codec::Codec;
pub use crate::error::LayerError;
pub use crate::filter::PlaybackFilter;
pub use crate::functions::{
    current_recording_id, discard, force_sample, input, input_async, metadata, now, output,
    output_async, value,
};
pub use crate::hook::{Answer, OpInfo, ReplayActivity, ReplayHook, ReplayScope};
pub use crate::layer::{FilteredPlaybackLayer, PlaybackLayer};
pub use crate::presample::{Sampled, sample_operation};
pub use crate::site::{Kind, OnMissing, Site};
pub use crate::stats::{Stats, StatsSnapshot};
pub use crate::writer::PlaybackGuard;
/// Redaction: `Secret<T>`, rules, detectors and the audit (the `playback-redact` crate).
pub use playback_redact as redact;

/// What `#[playback::instrument]` expands to. Not a public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use crate::autoref::{
        IsErrOther, IsErrResult, Recordable, Replayable, ResultParts, recordable, replayable,
    };
    pub use crate::call::{Call, Replayed, poll_call, run_call};
    pub use crate::op_call::{OpCall, poll_op, run_op};
    pub use crate::site::{Kind, OnMissing, Site};
}

#[cfg(test)]
mod tests;
