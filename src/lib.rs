//! Record real operations of a running service through `tracing`, replay them later on
//! new code in a sandbox, and compare what changed.
//!
//! A service that already uses `tracing` adds one layer and marks its functions:
//!
//! ```
//! use playback::{DirStore, PlaybackLayer, Query, Store};
//! use tracing_subscriber::prelude::*;
//!
//! #[derive(Debug, serde::Serialize, serde::Deserialize)]
//! struct Cart { items: Vec<u64> }
//!
//! #[playback::instrument(playback = "operation")]
//! fn checkout(cart_id: u64) -> Result<u64, String> {
//!     let cart = load_cart(cart_id)?;   // an input: recorded, replayed instead of running
//!     Ok(cart.items.iter().sum())       // pure code: not intercepted
//! }
//!
//! #[playback::instrument(playback = "input")]
//! fn load_cart(cart_id: u64) -> Result<Cart, String> {
//!     Ok(Cart { items: vec![cart_id, 2, 3] })
//! }
//!
//! let dir = tempfile::tempdir()?;
//! let store = DirStore::new(dir.path())?;
//! let (layer, guard) = PlaybackLayer::builder().store(store.clone()).build()?;
//! let subscriber = tracing_subscriber::registry().with(layer);
//! tracing::subscriber::with_default(subscriber, || checkout(1))?;
//! guard.flush(std::time::Duration::from_secs(5));
//!
//! let recordings = store.find(&Query::category("checkout"))?;
//! assert_eq!(recordings.len(), 1);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
//!
//! # Feature flags
//! - `replay` (default): replay recordings on new code (`replay`, `replay_recording`,
//!   `Replayer`, `ReplayRuntime`), and the registration that
//!   `#[playback::instrument(playback = "operation")]` emits so that `replay_recording`
//!   can call an operation by itself.
//! - `compare` (default, implies `replay`): compare replays in bulk (`Equalizer`,
//!   `Studio`, `JsonDiff`, terminal, JSON, JUnit and HTML reports).
//! - `harness` (implies `compare`): `playback::harness`, each recording as a cargo test
//!   (libtest-mimic), with the `PLAYBACK_UPDATE` review workflow. Off by default; see the
//!   guide's chapter "Recordings as tests".
//! - `http`: `playback::http`, HTTP servers (axum, hyper, tower) and reqwest clients
//!   recorded and replayed with one `.layer(..)` each. Off by default.
//! - `grpc`: `playback::grpc`, tonic servers and clients recorded and replayed with one
//!   `.layer(..)` each. Off by default.
//! - `matrix` (implies `compare`): `playback::matrix`, scenario matrices: every
//!   combination of some settings over recordings, reported per combination and sharded
//!   by walk id. Off by default; see the guide's chapter "Scenario matrices".
//! - `s3`: the S3 store (`S3Store`), over aws-sdk-s3. Off by default.
//! - `tokio`: `playback::fs::tokio`, async file interceptions over `tokio::fs`. Off by
//!   default.
//! - `bytes`, `uuid`, `anyhow`: the codecs for `bytes::Bytes`, `uuid::Uuid` and
//!   `anyhow::Error` in `playback::codec`. Off by default.
//!
//! The defaults suit tests, which replay and compare. A production service only records
//! (the layer, the stores, the attribute and the function API), so it depends on playback
//! without them and does not compile replay's runtime or compare's reporting:
//!
//! ```toml
//! [dependencies]
//! playback = { version = "0.1", default-features = false }
//!
//! [dev-dependencies]
//! playback = { version = "0.1" }   # tests replay and compare
//! ```
//!
//! The same `#[playback::instrument]` attributes compile in both configurations; without
//! `replay`, an operation simply does not register itself for automatic replay.

#[cfg(feature = "compare")]
pub use playback_compare::{
    BoxError, CategorySummary, Change, Comparator, Comparison, Comparisons, Context, Counts,
    Difference, Equalizer, Error as CompareError, Inspection, JsonDiff, NoisePath, NotComparable,
    Problem, Progress, REDACTED_CHANGED, REPORT_FORMAT_VERSION, RecordingEntry, Report, Shard,
    Status, Studio, SummaryOptions, Tuning, Verdict, result_and_outputs,
};
/// gRPC services and clients (tonic), recorded and replayed with one `.layer(..)` each:
/// see the guide's chapter "HTTP and gRPC".
#[cfg(feature = "grpc")]
pub use playback_grpc as grpc;
/// Each recording as a cargo test, with a review workflow: see the guide's chapter
/// "Recordings as tests".
#[cfg(feature = "harness")]
pub use playback_harness as harness;
/// HTTP services and clients, recorded and replayed with one `.layer(..)` each: see the
/// guide's chapter "HTTP and gRPC".
#[cfg(feature = "http")]
pub use playback_http as http;
pub use playback_layer::codecs as codec;
pub use playback_layer::fs;
/// Keeping secrets out of recordings: [`Secret`], redaction rules and modes, detectors,
/// and [`audit`]. See the guide's chapter "Keeping secrets out of recordings".
pub use playback_layer::redact;
pub use playback_layer::redact::{FingerprintKey, Secret, audit};
pub use playback_layer::{
    Codec, FilteredPlaybackLayer, LayerError, PlaybackFilter, PlaybackGuard, PlaybackLayer,
    PlaybackLayerBuilder, Stats, StatsSnapshot, current_recording_id, discard, force_sample, input,
    input_async, metadata, now, output, output_async, value,
};
pub use playback_macros::{instrument, service};
/// Scenario matrices: every combination of some settings over real recordings,
/// compared and reported per combination; see the guide's chapter "Scenario matrices".
#[cfg(feature = "matrix")]
pub use playback_matrix as matrix;
#[cfg(feature = "replay")]
pub use playback_replay::{
    Json, OnMissing, Output, Playback, Providers, ReplayError, ReplayRuntime, ReplayRuntimeBuilder,
    Replayer, Side, Unused, replay, replay_async, replay_layer, replay_recording,
    replay_recording_async,
};
#[cfg(feature = "s3")]
pub use playback_s3::{S3Error, S3ErrorKind, S3Store, S3StoreBuilder, Sampler};
pub use playback_store::{
    Cmp, DirStore, FORMAT_VERSION, Interception, InterceptionKind, MemoryStore, MetaFilter,
    OpResult, Outcome, Query, Recording, RecordingBuilder, RecordingId, Store, StoreError, Summary,
    UNRECORDABLE, days, panic_message, unrecordable_reason,
};

#[cfg(doctest)]
mod guide;
mod test_support;

/// Recording the operations a test runs: [`test::record_into`].
///
/// ```
/// #[playback::instrument(playback = "operation")]
/// fn checkout(cart: u64) -> u64 { cart * 2 }
///
/// let dir = tempfile::tempdir()?;
/// let recorder = playback::test::record_into(dir.path())?;
/// checkout(7);
/// assert_eq!(recorder.stats().snapshot().recorded, 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub mod test {
    pub use crate::test_support::{RecordIntoError, Recorder, record_into};
}

/// What `#[playback::instrument]` expands to. Not a public API.
#[doc(hidden)]
pub mod __private {
    pub use crate::__playback_register as register;
    pub use playback_layer::__private::*;
}

/// What `#[playback::instrument]` generates for automatic replay. Not a public API.
#[cfg(feature = "replay")]
#[doc(hidden)]
pub mod __private_replay {
    pub use playback_replay::__private::*;
}

/// The automatic-replay registration of an operation, as `#[playback::instrument]` emits
/// it: `::playback::__private::register! { <Registration expression> }`. With the `replay`
/// feature it submits the registration to `inventory`; without it, it expands to nothing,
/// so the tokens (which name `::playback::__private_replay`) are never resolved and a
/// recording-only build needs none of replay. Not a public API.
#[cfg(feature = "replay")]
#[doc(hidden)]
#[macro_export]
macro_rules! __playback_register {
    ($($registration:tt)*) => {
        $crate::__private_replay::inventory::submit! { $($registration)* }
    };
}

/// The automatic-replay registration of an operation, as `#[playback::instrument]` emits
/// it. Without the `replay` feature there is nothing to register with, so it expands to
/// nothing. Not a public API.
#[cfg(not(feature = "replay"))]
#[doc(hidden)]
#[macro_export]
macro_rules! __playback_register {
    ($($registration:tt)*) => {};
}
