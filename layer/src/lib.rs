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
//! The layer carries its own per-layer filter ([`PlaybackFilter`]), so a filter on
//! another layer (`fmt::layer().with_filter(EnvFilter::new("warn"))`) never hides
//! operations from it. A *global* filter, one added as a plain layer
//! (`registry().with(EnvFilter::new("warn"))`), disables spans for every layer,
//! including this one: put filters on the layers that need them.

mod api;
mod builder;
mod codec;
mod error;
mod hook;
mod layer;
mod private_impl;
mod scope;
mod serialize;
mod writer;

pub use crate::api::{discard, force_sample, input, metadata, now, output, value};
pub use crate::builder::PlaybackLayerBuilder;
pub use crate::codec::Codec;
pub use crate::error::LayerError;
pub use crate::hook::{Answer, OpInfo, ReplayActivity, ReplayHook, ReplayScope};
pub use crate::layer::{FilteredPlaybackLayer, PlaybackFilter, PlaybackLayer};
pub use crate::private_impl::{Kind, OnMissing, Site};
pub use crate::writer::{PlaybackGuard, Stats, StatsSnapshot};

/// What `#[playback::instrument]` expands to. Not a public API: it may change in any
/// release.
#[doc(hidden)]
pub mod __private {
    pub use crate::private_impl::{
        Call, CatchUnwind, IsErrOther, IsErrResult, Kind, OnMissing, OpCall, Recordable, Replayed,
        Site, catch_unwind, catch_unwind_async, fnv1a,
    };
}

#[cfg(test)]
mod tests;
