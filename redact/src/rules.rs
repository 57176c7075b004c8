//! What to redact: rules by path and by field name, their modes, and the detectors.
//! [`Rules`] is the configuration (it travels with each recording, without the key);
//! [`Redactor`] is its compiled form.

use std::sync::atomic::{AtomicU64, Ordering};

use regex::Regex;
use serde::{Deserialize, Serialize};

use crate::detect::Detectors;
use crate::error::RedactError;
use crate::key::{FingerprintKey, KEY_ENV};
use crate::path::PathPattern;

/// What a rule does to the value it matches.
///
/// ```
/// use playback_redact::{Mode, Rules};
/// let rules = Rules::new().path("/args/card/number", Mode::MaskLast4);
/// assert_eq!(rules.len(), 1);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Mode {
    /// Remove the value (an object member disappears; anything else becomes a marker
    /// without fingerprint).
    Remove,
    /// Replace every character with `*`, keeping the length.
    MaskLength,
    /// Replace every character but the last four with `*` (a string of four or fewer is
    /// masked entirely).
    MaskLast4,
    /// Replace the value with a marker holding its keyed fingerprint: equal values keep
    /// matching and comparing equal. Needs a [`FingerprintKey`].
    Fingerprint,
}

/// A built-in detector of sensitive text, off until turned on. Their false-positive
/// rates on the corpus in `redact/tests/corpus.rs` are in the guide.
///
/// ```
/// use playback_redact::Detector;
/// assert_eq!(Detector::ALL.len(), 5);
/// assert_eq!(Detector::Email.name(), "email");
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum Detector {
    /// `name@domain.tld`.
    Email,
    /// 13 to 19 digits (spaces or dashes between) that pass the Luhn check.
    CreditCard,
    /// `Bearer <token>` (an `Authorization` header's value).
    BearerToken,
    /// A JSON Web Token: `eyJ...` `.` `eyJ...` `.` signature.
    Jwt,
    /// An AWS access key id (`AKIA`/`ASIA` + 16) or a secret access key after its name.
    AwsKey,
}

impl Detector {
    /// Every detector.
    ///
    /// ```
    /// assert!(playback_redact::Detector::ALL.contains(&playback_redact::Detector::Jwt));
    /// ```
    pub const ALL: [Detector; 5] = [
        Detector::Email,
        Detector::CreditCard,
        Detector::BearerToken,
        Detector::Jwt,
        Detector::AwsKey,
    ];

    /// The detector's name, as reports print it.
    ///
    /// ```
    /// assert_eq!(playback_redact::Detector::CreditCard.name(), "credit_card");
    /// ```
    pub fn name(self) -> &'static str {
        match self {
            Detector::Email => "email",
            Detector::CreditCard => "credit_card",
            Detector::BearerToken => "bearer_token",
            Detector::Jwt => "jwt",
            Detector::AwsKey => "aws_key",
        }
    }
}

/// What one rule selects.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Target {
    /// A path pattern (`/args/card/number`, `**/password`).
    Path(String),
    /// A regex on field names, anywhere.
    Key(String),
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
struct Rule {
    #[serde(flatten)]
    target: Target,
    mode: Mode,
}

/// Redaction rules: paths, field names and detectors, each with its [`Mode`].
///
/// Paths address a recording as one document: `/args/<name>/..`, `/result/..`,
/// `/metadata/<key>/..`, `/inputs/<alias>/key/..`, `/inputs/<alias>/value/..`,
/// `/outputs/<alias>/args/..` and `/outputs/<alias>/value/..`. A segment `*` matches one
/// segment and `**` any number, so `**/password` matches a `password` field anywhere.
///
/// ```
/// use playback_redact::{Detector, Mode, Rules};
/// let rules = Rules::new()
///     .path("/args/card/number", Mode::MaskLast4)
///     .path("**/password", Mode::Remove)
///     .key("(?i)^(ssn|tax_id)$", Mode::Fingerprint)
///     .detect(Detector::Email);
/// assert_eq!(rules.len(), 3);
/// assert!(rules.compile(None).is_err()); // fingerprints need a key
/// # Ok::<(), playback_redact::RedactError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rules {
    rules: Vec<Rule>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    detectors: Vec<Detector>,
    #[serde(default = "fingerprint", skip_serializing_if = "is_fingerprint")]
    detector_mode: Mode,
}

impl Default for Rules {
    fn default() -> Self {
        Rules::new()
    }
}

fn fingerprint() -> Mode {
    Mode::Fingerprint
}

fn is_fingerprint(m: &Mode) -> bool {
    *m == Mode::Fingerprint
}

impl Rules {
    /// No rules.
    ///
    /// ```
    /// assert!(playback_redact::Rules::new().is_empty());
    /// ```
    pub fn new() -> Self {
        Rules {
            rules: Vec::new(),
            detectors: Vec::new(),
            detector_mode: Mode::Fingerprint,
        }
    }

    /// Redacts the values at paths matching `pattern`.
    ///
    /// ```
    /// let r = playback_redact::Rules::new().path("**/password", playback_redact::Mode::Remove);
    /// assert!(!r.is_empty());
    /// ```
    pub fn path(mut self, pattern: impl Into<String>, mode: Mode) -> Self {
        self.rules.push(Rule {
            target: Target::Path(pattern.into()),
            mode,
        });
        self
    }

    /// Redacts the value of every field whose name matches `regex`, anywhere.
    ///
    /// ```
    /// let r = playback_redact::Rules::new().key("(?i)token", playback_redact::Mode::Remove);
    /// assert_eq!(r.len(), 1);
    /// ```
    pub fn key(mut self, regex: impl Into<String>, mode: Mode) -> Self {
        self.rules.push(Rule {
            target: Target::Key(regex.into()),
            mode,
        });
        self
    }

    /// Turns a detector on (they all use [`Rules::detector_mode`]).
    ///
    /// ```
    /// let r = playback_redact::Rules::new().detect(playback_redact::Detector::Jwt);
    /// assert_eq!(r.detectors(), &[playback_redact::Detector::Jwt]);
    /// ```
    pub fn detect(mut self, detector: Detector) -> Self {
        if !self.detectors.contains(&detector) {
            self.detectors.push(detector);
        }
        self
    }

    /// Turns every detector on.
    ///
    /// ```
    /// assert_eq!(playback_redact::Rules::new().detect_all().detectors().len(), 5);
    /// ```
    pub fn detect_all(mut self) -> Self {
        for d in Detector::ALL {
            self = self.detect(d);
        }
        self
    }

    /// What detectors do to what they find (default [`Mode::Fingerprint`]; in text, a
    /// fingerprint is a `[redacted:<detector>:<fingerprint>]` token).
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().detector_mode(Mode::MaskLength);
    /// assert!(r.is_empty());
    /// ```
    pub fn detector_mode(mut self, mode: Mode) -> Self {
        self.detector_mode = mode;
        self
    }

    /// The detectors turned on.
    ///
    /// ```
    /// assert!(playback_redact::Rules::new().detectors().is_empty());
    /// ```
    pub fn detectors(&self) -> &[Detector] {
        &self.detectors
    }

    /// How many path and field-name rules.
    ///
    /// ```
    /// assert_eq!(playback_redact::Rules::new().len(), 0);
    /// ```
    pub fn len(&self) -> usize {
        self.rules.len()
    }

    /// No rule and no detector.
    ///
    /// ```
    /// assert!(!playback_redact::Rules::new().detect_all().is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.rules.is_empty() && self.detectors.is_empty()
    }

    /// Compiles the rules. With `key` `None`, fingerprint rules are refused
    /// ([`RedactError::NoKey`]); use [`Rules::compile_for_replay`] to replay without the
    /// key.
    ///
    /// ```
    /// use playback_redact::{FingerprintKey, Mode, Rules};
    /// let key = FingerprintKey::new([1u8; 32])?;
    /// let r = Rules::new().path("/args/id", Mode::Fingerprint).compile(Some(key))?;
    /// assert!(!r.fingerprint_only());
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn compile(&self, key: Option<FingerprintKey>) -> Result<Redactor, RedactError> {
        if key.is_none() {
            let needs_key = self
                .rules
                .iter()
                .find(|r| r.mode == Mode::Fingerprint)
                .map(describe)
                .or_else(|| {
                    (!self.detectors.is_empty() && self.detector_mode == Mode::Fingerprint)
                        .then(|| "detectors".to_owned())
                });
            if let Some(rule) = needs_key {
                return Err(RedactError::NoKey { rule, var: KEY_ENV });
            }
        }
        self.compile_for_replay(key)
    }

    /// Compiles the rules for a replay, which may run without the key: fingerprints are
    /// then left out (markers without fingerprint), and [`Redactor::fingerprint_only`]
    /// says so.
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().path("/args/id", Mode::Fingerprint).compile_for_replay(None)?;
    /// assert!(r.fingerprint_only());
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn compile_for_replay(&self, key: Option<FingerprintKey>) -> Result<Redactor, RedactError> {
        let mut paths = Vec::new();
        let mut keys = Vec::new();
        for (i, r) in self.rules.iter().enumerate() {
            match &r.target {
                Target::Path(p) => paths.push((PathPattern::parse(p)?, r.mode, i)),
                Target::Key(k) => {
                    let re = Regex::new(k).map_err(|e| RedactError::InvalidKeyPattern {
                        pattern: k.clone(),
                        source: Box::new(e),
                    })?;
                    keys.push((re, r.mode, i));
                }
            }
        }
        Ok(Redactor {
            indexed: paths.iter().any(|(p, _, _)| p.names_an_index()),
            spec_json: serde_json::to_value(self).unwrap_or_default(),
            hits: self.rules.iter().map(|_| AtomicU64::new(0)).collect(),
            detectors: Detectors::new(&self.detectors, self.detector_mode),
            spec: self.clone(),
            paths,
            keys,
            key,
        })
    }

    /// Each rule as text, for reports.
    fn describe(&self, i: usize) -> String {
        describe(&self.rules[i])
    }
}

fn describe(r: &Rule) -> String {
    let mode = match r.mode {
        Mode::Remove => "remove",
        Mode::MaskLength => "mask",
        Mode::MaskLast4 => "mask, last 4",
        Mode::Fingerprint => "fingerprint",
    };
    match &r.target {
        Target::Path(p) => format!("redact(\"{p}\") ({mode})"),
        Target::Key(k) => format!("redact_key(\"{k}\") ({mode})"),
    }
}

/// Compiled [`Rules`], with a count of what each rule matched.
///
/// ```
/// use playback_redact::{FingerprintKey, Mode, Rules};
/// use serde_json::json;
/// let r = Rules::new()
///     .path("/args/card/number", Mode::MaskLast4)
///     .path("/args/typo", Mode::Remove)
///     .compile(None)?;
/// let mut card = json!({"number": "4111111111111111", "holder": "ann"});
/// r.redact(&["args", "card"], &mut card);
/// assert_eq!(card, json!({"number": "************1111", "holder": "ann"}));
/// assert_eq!(r.unmatched(), vec!["redact(\"/args/typo\") (remove)".to_owned()]);
/// # Ok::<(), playback_redact::RedactError>(())
/// ```
#[derive(Debug)]
pub struct Redactor {
    pub(crate) spec: Rules,
    /// `spec` as it is stored in each recording's metadata.
    pub(crate) spec_json: serde_json::Value,
    pub(crate) paths: Vec<(PathPattern, Mode, usize)>,
    /// Whether a path rule names an array index; if none does, every element of an
    /// array has the same pattern states, stepped once.
    pub(crate) indexed: bool,
    pub(crate) keys: Vec<(Regex, Mode, usize)>,
    pub(crate) detectors: Detectors,
    pub(crate) key: Option<FingerprintKey>,
    hits: Vec<AtomicU64>,
}

impl Redactor {
    /// The rules this was compiled from.
    ///
    /// ```
    /// let r = playback_redact::Rules::new().compile(None)?;
    /// assert!(r.rules().is_empty());
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn rules(&self) -> &Rules {
        &self.spec
    }

    /// Whether fingerprints are left out (a replay without the key): redacted inputs then
    /// match on the rest of their key, and redacted values are not compared.
    ///
    /// ```
    /// let r = playback_redact::Rules::new().compile_for_replay(None)?;
    /// assert!(r.fingerprint_only());
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn fingerprint_only(&self) -> bool {
        self.key.is_none()
    }

    pub(crate) fn hit(&self, rule: usize) {
        if let Some(h) = self.hits.get(rule) {
            h.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The rules that have matched nothing so far, as text (a typo in a path leaves
    /// data exposed: the layer reports these in its stats).
    ///
    /// ```
    /// let r = playback_redact::Rules::new().key("pasword", playback_redact::Mode::Remove).compile(None)?;
    /// assert_eq!(r.unmatched().len(), 1);
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn unmatched(&self) -> Vec<String> {
        self.hits
            .iter()
            .enumerate()
            .filter(|(_, h)| h.load(Ordering::Relaxed) == 0)
            .map(|(i, _)| self.spec.describe(i))
            .collect()
    }
}
