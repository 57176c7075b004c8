//! The recording's redaction rules, applied to the replayed side exactly as they were
//! applied when recording: to each input key before it is matched, to each output's
//! arguments, and to the result, before the comparison.
//!
//! The rules travel with the recording (its `playback.redaction` metadata, without the
//! key); the key is the process's (`playback::redact::fingerprint_key`). Without the key
//! the replay matches on fingerprints alone: every marker's fingerprint is left out on
//! both sides, so a redacted input matches on the rest of its key, and the comparison
//! reports redacted paths as not comparable.

use std::sync::Arc;

use playback_layer::Site;
use playback_layer::redact::{Redactor, Rules, fingerprint_key, strip_fingerprints};
use playback_store::{OpResult, REDACTED, Recording};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::session::Entry;

/// Whether a value holds a redaction marker (`{"playback.redacted": ..}`) anywhere.
fn has_marker(value: &Value) -> bool {
    match value {
        Value::Object(map) => map.contains_key(REDACTED) || map.values().any(has_marker),
        Value::Array(items) => items.iter().any(has_marker),
        _ => false,
    }
}

/// How one replay treats redacted values.
#[derive(Debug, Default)]
pub(crate) struct Redaction {
    redactor: Option<Arc<Redactor>>,
    /// Whether the process has no fingerprint key; `None`: not looked up yet (the
    /// lookup reads the environment, so a recording with no marker never pays for it).
    fingerprint_only: Option<bool>,
}

impl Redaction {
    pub(crate) fn for_recording(rec: &Recording) -> Redaction {
        // Without rules there is no redactor, and the key is looked up only if a recorded
        // value holds a marker (see `prepare`).
        let Some(spec) = rec.metadata.get(playback_layer::redact::RULES_METADATA) else {
            return Redaction::default();
        };
        let key = fingerprint_key();
        let fingerprint_only = Some(key.is_none());
        let redactor = serde_json::from_value::<Rules>(spec.clone())
            .ok()
            .and_then(|rules| rules.compile_for_replay(key).ok())
            .map(Arc::new);
        Redaction {
            redactor,
            fingerprint_only,
        }
    }

    /// Without the key, the recorded keys and arguments lose their fingerprints, as the
    /// replayed ones have none.
    pub(crate) fn prepare(&self, entries: &mut [Entry]) {
        let mut fingerprint_only = self.fingerprint_only;
        for e in entries {
            let args_marked = e.args.as_ref().is_some_and(|a| a.get().contains(REDACTED));
            if !args_marked && !e.key.as_ref().is_some_and(has_marker) {
                continue;
            }
            if !*fingerprint_only.get_or_insert_with(|| fingerprint_key().is_none()) {
                return;
            }
            if let Some(key) = &mut e.key {
                strip_fingerprints(key);
            }
            if let Some(args) = &mut e.args
                && args_marked
                && let Some(stripped) = strip_raw(args)
            {
                *args = stripped;
            }
        }
    }

    /// The replayed input key, redacted; `None` when nothing changes.
    pub(crate) fn key(&self, site: &Site, key: &Value) -> Option<Value> {
        let r = self.redactor.as_ref()?;
        let mut key = key.clone();
        r.redact(&["inputs", site.alias, "key"], &mut key);
        Some(key)
    }

    /// The replayed output arguments, redacted; `None` when nothing changes.
    pub(crate) fn args(&self, site: &Site, args: &RawValue) -> Option<Box<RawValue>> {
        let r = self.redactor.as_ref()?;
        let mut args = args.to_owned();
        r.redact_raw(&["outputs", site.alias, "args"], &mut args);
        Some(args)
    }

    /// The replayed result, redacted.
    pub(crate) fn result(&self, result: &mut OpResult) {
        if let Some(r) = &self.redactor {
            match result {
                OpResult::Returned { value, .. } => r.redact_raw(&["result"], value),
                OpResult::Panicked { message } => {
                    r.redact_text(message);
                }
                _ => {}
            }
        }
    }
}

fn strip_raw(raw: &RawValue) -> Option<Box<RawValue>> {
    let mut v: Value = serde_json::from_str(raw.get()).ok()?;
    strip_fingerprints(&mut v);
    serde_json::value::to_raw_value(&v).ok()
}

#[cfg(test)]
mod tests {
    use playback_layer::input;
    use playback_layer::redact::Secret;
    use playback_store::Interception;
    use serde_json::json;

    use super::*;

    /// A recording whose input key holds a fingerprinted secret (recorded with a key
    /// this test process does not have).
    fn recording() -> Recording {
        let value = serde_json::value::to_raw_value("gold").unwrap();
        Recording::builder("profile")
            .interception(Interception::input(
                "load_plan",
                1,
                json!([{"playback.redacted": "0f1e2d3c4b5a69788796a5b4c3d2e1f0"}, "eu"]),
                value,
                false,
            ))
            .build()
    }

    fn profile(user: &str, region: &str) -> String {
        let _op = tracing::info_span!("profile", playback = "operation").entered();
        input("load_plan", &(Secret::new(user.to_owned()), region), || {
            "live".to_owned()
        })
    }

    #[test]
    fn without_the_key_a_redacted_input_matches_on_the_rest_of_its_key() {
        // This test binary installs no key (and CI sets no PLAYBACK_FINGERPRINT_KEY).
        assert!(fingerprint_key().is_none());
        let rec = recording();
        let mut plan = String::new();
        crate::replay(&rec, || plan = profile("user-1", "eu")).unwrap();
        assert_eq!(plan, "gold", "the recorded value, not the live one");
        let err = crate::replay(&rec, || profile("user-1", "us")).unwrap_err();
        let message = err.to_string();
        assert!(
            message.contains("load_plan") && !message.contains("user-1"),
            "{message}"
        );
    }
}
