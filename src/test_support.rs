//! `playback::test`: recording the operations a test runs.

use std::path::PathBuf;
use std::time::Duration;

use playback_layer::{LayerError, PlaybackGuard, PlaybackLayer, Stats};
use playback_store::{DirStore, StoreError};
use tracing_subscriber::prelude::*;

/// Why [`record_into`] could not start recording.
///
/// ```
/// let file = tempfile::NamedTempFile::new()?;
/// let err = playback::test::record_into(file.path()).unwrap_err();
/// assert!(err.to_string().contains("failed to open the recording directory"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RecordIntoError {
    /// The directory could not be created or opened as a `DirStore`.
    #[error("failed to open the recording directory {dir}")]
    Store {
        /// The directory given.
        dir: PathBuf,
        /// Why.
        #[source]
        source: StoreError,
    },
    /// The layer could not be built.
    #[error("failed to build the playback layer")]
    Layer {
        /// Why.
        #[source]
        source: LayerError,
    },
}

/// Records the operations this thread runs while it is alive; see [`record_into`].
///
/// ```
/// let dir = tempfile::tempdir()?;
/// let recorder = playback::test::record_into(dir.path())?;
/// assert_eq!(recorder.stats().snapshot().recorded, 0);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[must_use = "recording stops when the recorder is dropped"]
#[derive(Debug)]
pub struct Recorder {
    _default: tracing::subscriber::DefaultGuard,
    guard: PlaybackGuard,
}

impl Recorder {
    /// The layer's counters (recorded, dropped, failed...).
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
    pub fn stats(&self) -> Stats {
        self.guard.stats()
    }
}

impl Drop for Recorder {
    fn drop(&mut self) {
        // Nothing is queued in write-through mode; this flushes a store that buffers.
        self.guard.flush(Duration::from_secs(5));
    }
}

/// Records every operation the current thread runs into a [`DirStore`] at `dir`, until the
/// returned [`Recorder`] is dropped: a subscriber with the playback layer is this thread's
/// default (`tracing::subscriber::set_default`), so tests running in parallel each record
/// their own operations. The layer writes through
/// ([`PlaybackLayerBuilder::write_through`](crate::PlaybackLayerBuilder::write_through)):
/// each recording is in `dir` when its operation returns, so none is lost however the test
/// binary exits.
///
/// It covers work on the test's thread, including a `#[tokio::test]` (current-thread)
/// runtime. For operations that run on other threads (a multi-thread runtime, a server
/// spawned by the test), install the layer globally with `.write_through(true)` instead;
/// see the guide's chapter "Recording a test suite" (`docs/src/recording-a-test-suite.md`).
///
/// ```
/// use playback::{DirStore, Query, Store};
///
/// #[playback::instrument(playback = "operation")]
/// fn checkout(cart: u64) -> u64 { cart * 2 }
///
/// let dir = tempfile::tempdir()?;
/// let _recording = playback::test::record_into(dir.path())?;
/// assert_eq!(checkout(7), 14);
/// // Already stored: no flush needed.
/// let store = DirStore::new(dir.path())?;
/// assert_eq!(store.list(&Query::category("checkout"))?.len(), 1);
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn record_into(dir: impl Into<PathBuf>) -> Result<Recorder, RecordIntoError> {
    let dir = dir.into();
    let store = DirStore::new(dir.clone()).map_err(|source| RecordIntoError::Store {
        dir: dir.clone(),
        source,
    })?;
    let (layer, guard) = PlaybackLayer::builder()
        .store(store)
        .write_through(true)
        .build()
        .map_err(|source| RecordIntoError::Layer { source })?;
    let default = tracing::subscriber::set_default(tracing_subscriber::registry().with(layer));
    Ok(Recorder {
        _default: default,
        guard,
    })
}
