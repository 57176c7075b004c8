//! Errors from building the layer.

/// Why [`PlaybackLayerBuilder::build`](crate::PlaybackLayerBuilder::build) failed.
///
/// ```
/// let err = playback_layer::PlaybackLayer::builder().build::<tracing_subscriber::Registry>().unwrap_err();
/// assert!(err.to_string().contains("store"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LayerError {
    /// No store was configured.
    #[error("no store configured: call `.store(DirStore::new(\"recordings\")?)` on the builder")]
    NoStore,
    /// A sampling rate outside `0.0..=1.0`.
    #[error("sampling rate {rate} for {category} is not between 0.0 and 1.0")]
    InvalidRate {
        /// The category (or "the default").
        category: String,
        /// The rate given.
        rate: f64,
    },
    /// A limit that must be positive was zero.
    #[error("{setting} must be greater than zero")]
    ZeroLimit {
        /// The setting's name.
        setting: &'static str,
    },
    /// A redaction rule or the fingerprint key is unusable.
    #[error("invalid redaction settings: {source}")]
    Redaction {
        /// What is wrong, and what to do.
        #[source]
        source: playback_redact::RedactError,
    },
    /// The background writer thread could not be started.
    #[error("failed to start the playback writer thread: {source}")]
    Spawn {
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
}
