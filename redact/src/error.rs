//! Errors of redaction: configuration, redacted values read back, the audit.

/// What went wrong configuring redaction, reading a redacted value back, or auditing.
///
/// ```
/// let err = playback_redact::FingerprintKey::new(b"short").unwrap_err();
/// assert!(err.to_string().contains("at least 16 bytes"));
/// ```
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RedactError {
    /// The fingerprint key is too short.
    #[error(
        "the fingerprint key is {len} bytes long: use at least {min} bytes of random data \
         (for example `openssl rand -hex 32`)"
    )]
    ShortKey {
        /// Its length.
        len: usize,
        /// The minimum.
        min: usize,
    },
    /// The key in an environment variable is unusable.
    #[error("the fingerprint key in ${var} is unusable: {reason}")]
    EnvKey {
        /// The variable.
        var: String,
        /// Why.
        reason: String,
    },
    /// A path rule that does not parse.
    #[error("redaction path `{pattern}` is invalid: {reason}")]
    InvalidPath {
        /// The pattern given.
        pattern: String,
        /// Why.
        reason: String,
    },
    /// A field-name rule whose regex does not compile.
    #[error("redaction key pattern `{pattern}` is not a valid regex: {source}")]
    InvalidKeyPattern {
        /// The pattern given.
        pattern: String,
        /// The regex error.
        #[source]
        source: Box<regex::Error>,
    },
    /// Fingerprint rules without a key.
    #[error(
        "redaction rule `{rule}` makes fingerprints, but no fingerprint key is configured: call \
         `.fingerprint_key(..)` on the builder or set ${var}, or give the rule another mode"
    )]
    NoKey {
        /// The rule.
        rule: String,
        /// The variable read.
        var: &'static str,
    },
    /// A redacted value was read back during replay, and its type cannot hold a
    /// placeholder.
    #[error(
        "a redacted value cannot be read back as {type_name}: it was recorded as a fingerprint \
         only; give the call site a value that does not depend on it, or set a placeholder \
         with `playback::redact::set_placeholder` (for `Secret<String>`)"
    )]
    Redacted {
        /// The type asked for.
        type_name: &'static str,
    },
    /// The audit could not read the store.
    #[error("the audit could not read the store: {source}")]
    Store {
        /// The store's error.
        #[source]
        source: playback_store::StoreError,
    },
}
