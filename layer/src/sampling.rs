//! Sampling rules: which new operations are captured.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::sync::Arc;
use std::time::Duration;

use playback_redact::Redactor;

/// Sampling rules for one category.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct Rule {
    pub(crate) rate: Option<f64>,
    pub(crate) keep_errors: bool,
    pub(crate) skip: bool,
}

/// What sampling says about a new operation.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Decision {
    /// Not captured (`skip`).
    Skip,
    /// Not captured (sampled out).
    Out,
    /// Captured; `sampled` is false when it is captured only for `keep_errors`.
    In { sampled: bool },
}

/// FNV-1a for the short category names: cheaper than SipHash on the hot path, and the
/// keys come from the service's own configuration, not from the outside.
pub(crate) struct Fnv(u64);

impl Default for Fnv {
    fn default() -> Self {
        Fnv(playback_store::FNV1A_OFFSET)
    }
}

impl std::hash::Hasher for Fnv {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        self.0 = playback_store::fnv1a_extend(self.0, bytes);
    }
}

/// The layer's settings.
#[derive(Debug, Clone)]
pub(crate) struct Config {
    pub(crate) default_rate: f64,
    pub(crate) rules: HashMap<String, Rule, BuildHasherDefault<Fnv>>,
    pub(crate) max_recording_bytes: usize,
    pub(crate) queue_capacity: usize,
    /// The bytes that recordings being captured and waiting for the writer may hold.
    pub(crate) max_queued_bytes: usize,
    pub(crate) flush_timeout: Duration,
    /// Redaction rules, applied by the writer before a recording reaches the store.
    pub(crate) redactor: Option<Arc<Redactor>>,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            default_rate: 1.0,
            rules: HashMap::default(),
            max_recording_bytes: 8 * 1024 * 1024,
            queue_capacity: 1024,
            max_queued_bytes: 64 * 1024 * 1024,
            flush_timeout: Duration::from_secs(5),
            redactor: None,
        }
    }
}

impl Config {
    pub(crate) fn rule(&mut self, category: String) -> &mut Rule {
        self.rules.entry(category).or_default()
    }

    /// The sampling decision for a new operation of `category`.
    #[inline]
    pub(crate) fn decide(&self, category: &str) -> Decision {
        self.decide_lazy(|| category)
    }

    /// [`Config::decide`] with the category made only when a per-category rule needs
    /// it (with no rules, the default rate alone decides).
    #[inline]
    pub(crate) fn decide_lazy<C: AsRef<str>>(&self, category: impl FnOnce() -> C) -> Decision {
        let rule = if self.rules.is_empty() {
            Rule::default()
        } else {
            self.rules
                .get(category().as_ref())
                .copied()
                .unwrap_or_default()
        };
        if rule.skip {
            return Decision::Skip;
        }
        let rate = rule.rate.unwrap_or(self.default_rate);
        let sampled = rate >= 1.0 || (rate > 0.0 && fastrand::f64() < rate);
        if sampled || rule.keep_errors {
            Decision::In { sampled }
        } else {
            Decision::Out
        }
    }
}
