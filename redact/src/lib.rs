//! Redaction for playback recordings: secrets and personal data never reach a store,
//! and replay still matches.
//!
//! - [`Secret<T>`]: a wrapper for your own types. It serializes as a marker and a keyed
//!   fingerprint (HMAC-SHA256 under a [`FingerprintKey`] that never appears in a
//!   recording), never as the value.
//! - [`Rules`]: rules by path (`/args/card/number`, `**/password`) and by field name
//!   (a regex), each with a [`Mode`] (remove, mask, fingerprint), and the built-in
//!   [`Detector`]s. The layer builder applies them to everything it records, and a replay
//!   applies the same rules (they travel with the recording, without the key) to the
//!   replayed side.
//! - [`audit`]: what the detectors flag in recordings already stored.
//!
//! Most users reach this through the `playback` facade (`playback::Secret`,
//! `PlaybackLayer::builder().redact(..)`, `playback::audit`).
//!
//! ```
//! use playback_redact::{FingerprintKey, Mode, Rules, Secret};
//! use serde_json::json;
//!
//! let key = FingerprintKey::new(b"0123456789abcdef0123456789abcdef")?;
//! playback_redact::set_fingerprint_key(key.clone());
//! let rules = Rules::new().path("/args/card/number", Mode::MaskLast4).compile(Some(key))?;
//! let mut card = json!({"number": "4111111111111111"});
//! rules.redact(&["args", "card"], &mut card);
//! assert_eq!(card["number"], "************1111");
//! let json = serde_json::to_string(&Secret::new("ann@example.com"))?;
//! assert!(!json.contains("ann@"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod apply;
mod audit;
mod detect;
mod error;
mod key;
mod path;
mod raw;
mod rules;
mod secret;
mod text;

pub use crate::apply::{RULES_METADATA, strip_fingerprints};
pub use crate::audit::{AuditReport, Finding, audit};
pub use crate::error::RedactError;
pub use crate::key::{FingerprintKey, KEY_ENV, fingerprint_key, set_fingerprint_key};
pub use crate::rules::{Detector, Mode, Redactor, Rules};
pub use crate::secret::{Secret, set_placeholder};
