//! The fingerprint key: HMAC-SHA256 of a value's JSON, under a key the service is
//! configured with and which never appears in a recording.

use std::fmt;
use std::sync::Arc;

use hmac::{Hmac, KeyInit, Mac};
use parking_lot::RwLock;
use serde_json::Value;
use sha2::Sha256;

use crate::error::RedactError;

/// The environment variable that holds the fingerprint key when none is given in code.
///
/// ```
/// assert_eq!(playback_redact::KEY_ENV, "PLAYBACK_FINGERPRINT_KEY");
/// ```
pub const KEY_ENV: &str = "PLAYBACK_FINGERPRINT_KEY";

/// The shortest key accepted, in bytes.
const MIN_KEY_BYTES: usize = 16;

/// How many bytes of the HMAC a fingerprint keeps (hex-encoded: twice as many characters).
const FINGERPRINT_BYTES: usize = 16;

/// The key of the fingerprints in recordings (HMAC-SHA256). Its `Debug` never prints it.
///
/// ```
/// let key = playback_redact::FingerprintKey::new(b"a key of sixteen bytes or more")?;
/// assert_eq!(format!("{key:?}"), "FingerprintKey(..)");
/// # Ok::<(), playback_redact::RedactError>(())
/// ```
#[derive(Clone)]
pub struct FingerprintKey(Arc<Hmac<Sha256>>);

impl fmt::Debug for FingerprintKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FingerprintKey(..)")
    }
}

impl FingerprintKey {
    /// A key from bytes (at least 16).
    ///
    /// ```
    /// assert!(playback_redact::FingerprintKey::new(b"short").is_err());
    /// ```
    pub fn new(bytes: impl AsRef<[u8]>) -> Result<Self, RedactError> {
        let bytes = bytes.as_ref();
        if bytes.len() < MIN_KEY_BYTES {
            return Err(RedactError::ShortKey {
                len: bytes.len(),
                min: MIN_KEY_BYTES,
            });
        }
        // HMAC accepts keys of any length; the keyed state is computed once.
        let mac = Hmac::<Sha256>::new_from_slice(bytes).map_err(|_| RedactError::ShortKey {
            len: bytes.len(),
            min: MIN_KEY_BYTES,
        })?;
        Ok(FingerprintKey(Arc::new(mac)))
    }

    /// The key in environment variable `var` (for example [`KEY_ENV`]); `Ok(None)` when
    /// it is unset.
    ///
    /// ```
    /// let key = playback_redact::FingerprintKey::from_env("PLAYBACK_TEST_UNSET_VARIABLE")?;
    /// assert!(key.is_none());
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn from_env(var: &str) -> Result<Option<Self>, RedactError> {
        match std::env::var(var) {
            Ok(v) => FingerprintKey::new(v.as_bytes())
                .map(Some)
                .map_err(|e| RedactError::EnvKey {
                    var: var.to_owned(),
                    reason: e.to_string(),
                }),
            Err(std::env::VarError::NotPresent) => Ok(None),
            Err(std::env::VarError::NotUnicode(_)) => Err(RedactError::EnvKey {
                var: var.to_owned(),
                reason: "it is not valid UTF-8".to_owned(),
            }),
        }
    }

    /// The fingerprint of `bytes`: the first 16 bytes of HMAC-SHA256, hex-encoded.
    ///
    /// ```
    /// let key = playback_redact::FingerprintKey::new([7u8; 32])?;
    /// assert_eq!(key.fingerprint(b"a"), key.fingerprint(b"a"));
    /// assert_ne!(key.fingerprint(b"a"), key.fingerprint(b"b"));
    /// assert_eq!(key.fingerprint(b"a").len(), 32);
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn fingerprint(&self, bytes: &[u8]) -> String {
        let mut mac = (*self.0).clone();
        mac.update(bytes);
        let out = mac.finalize().into_bytes();
        let mut hex = String::with_capacity(FINGERPRINT_BYTES * 2);
        for b in &out[..FINGERPRINT_BYTES] {
            hex.push(char::from(b"0123456789abcdef"[usize::from(b >> 4)]));
            hex.push(char::from(b"0123456789abcdef"[usize::from(b & 15)]));
        }
        hex
    }

    /// The fingerprint of a JSON value (of its compact JSON text).
    ///
    /// ```
    /// let key = playback_redact::FingerprintKey::new([7u8; 32])?;
    /// assert_eq!(key.fingerprint_value(&"ann".into()), key.fingerprint(b"\"ann\""));
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn fingerprint_value(&self, value: &Value) -> String {
        self.fingerprint(serde_json::to_string(value).unwrap_or_default().as_bytes())
    }
}

static KEY: RwLock<Option<FingerprintKey>> = RwLock::new(None);

/// Installs the process's fingerprint key: [`Secret`](crate::Secret) values and
/// fingerprint rules use it, when recording and when replaying. The layer builder's
/// `fingerprint_key` calls this; a replay that runs without it matches on fingerprints
/// alone (see the guide's chapter "Keeping secrets out of recordings").
///
/// ```
/// let key = playback_redact::FingerprintKey::new([7u8; 32])?;
/// playback_redact::set_fingerprint_key(key);
/// assert!(playback_redact::fingerprint_key().is_some());
/// # Ok::<(), playback_redact::RedactError>(())
/// ```
pub fn set_fingerprint_key(key: FingerprintKey) {
    *KEY.write() = Some(key);
}

/// The process's fingerprint key: the one installed with [`set_fingerprint_key`], else
/// the one in [`KEY_ENV`] (installed on first use), else `None`.
///
/// ```
/// let _maybe = playback_redact::fingerprint_key();
/// ```
pub fn fingerprint_key() -> Option<FingerprintKey> {
    if let Some(k) = KEY.read().as_ref() {
        return Some(k.clone());
    }
    let from_env = FingerprintKey::from_env(KEY_ENV).ok().flatten()?;
    let mut slot = KEY.write();
    Some(slot.get_or_insert(from_env).clone())
}
