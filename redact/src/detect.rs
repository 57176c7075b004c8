//! The built-in detectors: cheap byte checks first, then a regex, then (cards) Luhn.

use std::borrow::Cow;
use std::sync::OnceLock;

use regex::Regex;

use crate::key::FingerprintKey;
use crate::rules::{Detector, Mode};

fn regex(d: Detector) -> &'static Regex {
    static RE: [OnceLock<Regex>; 5] = [const { OnceLock::new() }; 5];
    let (i, src) = match d {
        Detector::Email => (
            0,
            r"[A-Za-z0-9._%+\-]+@[A-Za-z0-9\-]+(?:\.[A-Za-z0-9\-]+)*\.[A-Za-z]{2,}",
        ),
        Detector::CreditCard => (1, r"\b\d(?:[ \-]?\d){12,18}\b"),
        Detector::BearerToken => (2, r"(?i)\bbearer\s+[A-Za-z0-9\-._~+/]{8,}=*"),
        Detector::Jwt => (
            3,
            r"\beyJ[A-Za-z0-9_\-]{4,}\.eyJ[A-Za-z0-9_\-]{4,}\.[A-Za-z0-9_\-]*",
        ),
        Detector::AwsKey => (
            4,
            r"\b(?:AKIA|ASIA)[A-Z0-9]{16}\b|(?i:aws.{0,20}secret.{0,20}?[=:\x22\s]+)[A-Za-z0-9/+]{40}\b",
        ),
    };
    // The patterns are constants covered by tests: compiling cannot fail.
    RE[i].get_or_init(|| Regex::new(src).unwrap_or_else(|_| Regex::new("$^").expect("empty")))
}

/// Whether `text` can contain what `d` finds: a few byte checks, so most strings never
/// reach a regex.
fn may_contain(d: Detector, text: &str) -> bool {
    let b = text.as_bytes();
    match d {
        Detector::Email => b.contains(&b'@'),
        Detector::CreditCard => b.iter().filter(|c| c.is_ascii_digit()).count() >= 13,
        Detector::BearerToken => b.len() > 7 && contains_ci(b, b"bearer"),
        Detector::Jwt => b.len() > 20 && text.contains("eyJ"),
        Detector::AwsKey => {
            b.len() >= 20
                && (text.contains("AKIA") || text.contains("ASIA") || contains_ci(b, b"aws"))
        }
    }
}

fn contains_ci(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len())
        .any(|w| w.eq_ignore_ascii_case(needle))
}

/// Luhn check of the digits in `s`.
pub(crate) fn luhn(s: &str) -> bool {
    let digits: Vec<u32> = s.chars().filter_map(|c| c.to_digit(10)).collect();
    if !(13..=19).contains(&digits.len()) {
        return false;
    }
    let sum: u32 = digits
        .iter()
        .rev()
        .enumerate()
        .map(|(i, &d)| {
            if i % 2 == 1 {
                let x = d * 2;
                if x > 9 { x - 9 } else { x }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// The detectors turned on, and what they do to what they find.
#[derive(Debug, Clone)]
pub(crate) struct Detectors {
    on: Vec<Detector>,
    mode: Mode,
}

impl Detectors {
    pub(crate) fn new(on: &[Detector], mode: Mode) -> Self {
        Detectors {
            on: on.to_vec(),
            mode,
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.on.is_empty()
    }

    /// Each finding in `text`: the detector and the byte range.
    pub(crate) fn find(&self, text: &str, mut found: impl FnMut(Detector, usize, usize)) {
        for &d in &self.on {
            if !may_contain(d, text) {
                continue;
            }
            for m in regex(d).find_iter(text) {
                if d == Detector::CreditCard && !luhn(m.as_str()) {
                    continue;
                }
                found(d, m.start(), m.end());
            }
        }
    }

    /// `text` with every finding replaced; `None` when nothing was found.
    pub(crate) fn redact(&self, text: &str, key: Option<&FingerprintKey>) -> Option<String> {
        let mut spans: Vec<(usize, usize, Detector)> = Vec::new();
        self.find(text, |d, s, e| spans.push((s, e, d)));
        if spans.is_empty() {
            return None;
        }
        spans.sort_by_key(|&(s, e, _)| (s, std::cmp::Reverse(e)));
        let mut out = String::with_capacity(text.len());
        let mut at = 0;
        for (s, e, d) in spans {
            if s < at {
                continue; // overlaps an earlier finding (a JWT after "Bearer")
            }
            out.push_str(&text[at..s]);
            out.push_str(&self.replacement(d, &text[s..e], key));
            at = e;
        }
        out.push_str(&text[at..]);
        Some(out)
    }

    fn replacement<'a>(
        &self,
        d: Detector,
        found: &'a str,
        key: Option<&FingerprintKey>,
    ) -> Cow<'a, str> {
        match (self.mode, key) {
            (Mode::Fingerprint, Some(key)) => Cow::Owned(format!(
                "[redacted:{}:{}]",
                d.name(),
                key.fingerprint(found.as_bytes())
            )),
            (Mode::MaskLength, _) => Cow::Owned(mask(found, false)),
            (Mode::MaskLast4, _) => Cow::Owned(mask(found, true)),
            _ => Cow::Owned(format!("[redacted:{}]", d.name())),
        }
    }
}

/// `*` for every character, but the last four when `keep_last4` and there are more than
/// four.
pub(crate) fn mask(s: &str, keep_last4: bool) -> String {
    let n = s.chars().count();
    let keep = if keep_last4 && n > 4 { 4 } else { 0 };
    let mut out: String = "*".repeat(n - keep);
    out.extend(s.chars().skip(n - keep));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn luhn_accepts_test_cards_and_refuses_near_misses() {
        assert!(luhn("4111 1111 1111 1111"));
        assert!(luhn("5500-0000-0000-0004"));
        assert!(!luhn("4111 1111 1111 1112"));
        assert!(!luhn("1234"));
    }

    #[test]
    fn every_detector_pattern_compiles_and_finds_its_example() {
        let all = Detectors::new(&Detector::ALL, Mode::Remove);
        let text = "mail ann@example.com card 4111111111111111 auth Bearer abcdefgh12345678 \
                    jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part key AKIAIOSFODNN7EXAMPLE";
        let mut seen = Vec::new();
        all.find(text, |d, _, _| seen.push(d));
        for d in Detector::ALL {
            assert!(seen.contains(&d), "{d:?} found nothing");
        }
        let out = all.redact(text, None).unwrap();
        assert!(
            !out.contains("ann@") && !out.contains("4111") && !out.contains("AKIA"),
            "{out}"
        );
    }

    #[test]
    fn masks_keep_the_length_or_the_last_four() {
        assert_eq!(mask("4111111111111111", true), "************1111");
        assert_eq!(mask("abc", true), "***");
        assert_eq!(mask("abcé", false), "****");
    }
}
