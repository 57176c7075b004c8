//! Comparison of redacted paths end to end: recorded through `#[playback::instrument]`
//! with a fingerprint rule, replayed by the Equalizer on the same code (Equal) and on a
//! change that alters the redacted value (Different, "redacted value changed", in every
//! report format, without the values).

use std::sync::atomic::{AtomicBool, Ordering};

use playback::{Equalizer, PlaybackLayer, Progress, REDACTED_CHANGED, Status, SummaryOptions};
use serde::{Deserialize, Serialize};

use crate::redaction::key;
use crate::support::record_with;

/// The candidate change: contacts get another domain.
static NEW_DOMAIN: AtomicBool = AtomicBool::new(false);

#[derive(Debug, Serialize, Deserialize)]
struct Contact {
    email: String,
    plan: String,
}

#[playback::instrument(playback = "operation")]
fn contact_of(customer: u64) -> Contact {
    let name = customer_name(customer);
    let domain = if NEW_DOMAIN.load(Ordering::SeqCst) {
        "example.org"
    } else {
        "example.com"
    };
    Contact {
        email: format!("{name}@{domain}"),
        plan: "gold".into(),
    }
}

#[playback::instrument(playback = "input")]
fn customer_name(customer: u64) -> String {
    format!("customer{customer}")
}

#[test]
fn a_redacted_result_compares_equal_when_unchanged_and_redacted_value_changed_when_not() {
    let builder = PlaybackLayer::builder()
        .fingerprint_key(key())
        .redact("/result/email");
    let (recs, guard, ()) = record_with(builder, || {
        for customer in 1..=3 {
            contact_of(customer);
        }
    });
    assert!(
        guard
            .stats()
            .snapshot()
            .unmatched_redaction_rules
            .is_empty()
    );
    let recs: Vec<_> = recs
        .into_iter()
        .filter(|r| r.category == "contact_of")
        .collect();
    assert_eq!(recs.len(), 3);

    let same = Equalizer::new(recs.clone()).progress(Progress::Never).run();
    assert_eq!(
        same.counts().equal,
        3,
        "{}",
        same.summary(&SummaryOptions::new())
    );

    NEW_DOMAIN.store(true, Ordering::SeqCst);
    let changed = Equalizer::new(recs).progress(Progress::Never).run();
    NEW_DOMAIN.store(false, Ordering::SeqCst);
    assert_eq!(changed.counts().different, 3);
    for c in &changed.comparisons {
        assert_eq!(c.status, Status::Different);
        let paths: Vec<&str> = c.differences.iter().map(|d| d.path.as_str()).collect();
        assert_eq!(paths, vec!["/result/email"]);
        assert!(c.differences[0].is_redacted());
    }
    let formats = [
        changed.summary(&SummaryOptions::new().color(false)),
        changed.to_json().unwrap(),
        changed.to_junit().unwrap(),
        changed.to_html(),
    ];
    for text in formats {
        assert!(text.contains("/result/email") && text.contains(REDACTED_CHANGED));
        assert!(!text.contains("@example."), "a value is shown: {text}");
    }
}
