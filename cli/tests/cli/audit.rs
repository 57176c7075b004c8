//! `playback audit`.

use playback_store::{Interception, Recording};
use serde_json::json;
use serde_json::value::to_raw_value;

use crate::support::{fixture_store, playback_in, store_with};

const EMAIL: &str = "ann.audit@example.com";
const CARD: &str = "4111 1111 1111 1111";

fn leaky() -> Recording {
    Recording::builder("signup")
        .arg("card", to_raw_value(&json!({"number": CARD})).unwrap())
        .metadata("contact", EMAIL)
        .interception(Interception::input(
            "crm::lookup",
            1,
            json!({"who": "ann"}),
            to_raw_value(&json!({"auth": "Bearer abcdefgh12345678"})).unwrap(),
            false,
        ))
        .build()
}

#[test]
fn audit_names_recording_path_and_detector_never_the_value_and_exits_1() {
    let dir = tempfile::tempdir().unwrap();
    let rec = leaky();
    let store = store_with(dir.path(), std::slice::from_ref(&rec));
    let run = playback_in(store.root(), &["audit", "--json"]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    let found = run.json();
    assert_eq!(found["scanned"], 1);
    let id = rec.id.to_string();
    let findings: Vec<(String, String)> = found["findings"]
        .as_array()
        .unwrap()
        .iter()
        .map(|f| {
            assert_eq!(f["recording"], id.as_str());
            (
                f["path"].as_str().unwrap().to_owned(),
                f["detector"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let pairs: Vec<(&str, &str)> = findings
        .iter()
        .map(|(p, d)| (p.as_str(), d.as_str()))
        .collect();
    assert_eq!(
        pairs,
        vec![
            ("/args/card/number", "credit_card"),
            ("/metadata/contact", "email"),
            ("/inputs/crm::lookup/value/auth", "bearer_token"),
        ]
    );
    for secret in [EMAIL, CARD, "abcdefgh12345678"] {
        assert!(!run.stdout.contains(secret) && !run.stderr.contains(secret));
    }

    let text = playback_in(store.root(), &["audit", "--detect", "email"]);
    assert_eq!(text.code, 1);
    assert_eq!(
        text.stdout,
        format!("{id} /metadata/contact email\n1 finding(s) in 1 recording(s) scanned\n")
    );
}

#[test]
fn audit_with_detectors_that_flag_nothing_exits_0() {
    // The fixtures send receipts to email addresses, but hold no card or token.
    let (_dir, store) = fixture_store();
    let run = playback_in(
        store.root(),
        &[
            "audit",
            "--detect",
            "credit-card",
            "--detect",
            "jwt",
            "--detect",
            "aws-key",
        ],
    );
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert!(run.stdout.starts_with("0 finding(s) in "), "{}", run.stdout);
}
