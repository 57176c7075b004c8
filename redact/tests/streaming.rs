//! Redacting while serializing gives what redacting the parsed tree gives: the same
//! values (member order aside), the same removals, the same fingerprints and the same
//! rule hits, for every rule kind and every serde shape, with `Secret` markers and raw
//! JSON inside.

use std::collections::BTreeMap;

use playback_redact::{Detector, FingerprintKey, Mode, Redactor, Rules, Secret};
use serde::Serialize;
use serde_json::value::RawValue;
use serde_json::{Value, json};

fn key() -> FingerprintKey {
    FingerprintKey::new([7u8; 32]).unwrap()
}

#[derive(Serialize)]
enum Kind {
    Card { number: String, holder: String },
    Pair(String, u32),
    Wire(String),
    None,
}

#[derive(Serialize)]
struct Order {
    id: u64,
    email: String,
    password: Option<String>,
    tags: Vec<String>,
    kind: Kind,
    others: Vec<Kind>,
    secret: Secret<String>,
    secrets: Vec<Secret<String>>,
    by_id: BTreeMap<u32, String>,
    token: String,
    body: Box<RawValue>,
    result: Result<u8, String>,
    note: &'static str,
}

fn order() -> Order {
    Order {
        id: 42,
        email: "ann@example.com".into(),
        password: Some("hunter2".into()),
        tags: vec!["gold".into(), "eu".into()],
        kind: Kind::Card {
            number: "4111111111111111".into(),
            holder: "Ann".into(),
        },
        others: vec![
            Kind::Pair("bob@example.com".into(), 7),
            Kind::Wire("4111 1111 1111 1111".into()),
            Kind::None,
        ],
        secret: Secret::new("s3cret".into()),
        secrets: vec![Secret::new("a".into()), Secret::new("b".into())],
        by_id: [(1, "one".into()), (20, "twenty@example.com".into())].into(),
        token: "Bearer abcdefgh12345678".into(),
        body: RawValue::from_string(
            r#"{"password":"pw","email":"x@example.org","n":[1,2,{"token":"t"}]}"#.into(),
        )
        .unwrap(),
        result: Err("no account for ann@example.com".into()),
        note: "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.sig_part",
    }
}

/// Rule sets that between them use every rule kind and mode.
fn rule_sets() -> Vec<Rules> {
    vec![
        Rules::new()
            .path("/result/email", Mode::Fingerprint)
            .path("**/password", Mode::Remove)
            .path("**/tags", Mode::MaskLength)
            .path("/result/others/*", Mode::Fingerprint)
            .path("/result/by_id/20", Mode::MaskLast4),
        // rules on variants' members, which are redacted on a tree
        Rules::new()
            .path("/result/kind/Card", Mode::Fingerprint)
            .path("**/Pair", Mode::Remove),
        Rules::new()
            .path("/result/kind/Card/number", Mode::MaskLast4)
            .path("/result/others/1/Wire", Mode::Remove)
            .path("/result/result/Err", Mode::Fingerprint),
        // rules on `Secret` fields: an object member that is a marker is left alone
        Rules::new()
            .path("/result/secret", Mode::Fingerprint)
            .path("/result/secrets/0", Mode::Fingerprint)
            .key("(?i)^secret", Mode::Remove),
        Rules::new()
            .key("(?i)token|password", Mode::Fingerprint)
            .key("^holder$", Mode::Remove),
        Rules::new().detect_all().detector_mode(Mode::Remove),
        Rules::new().detect_all(),
        Rules::new()
            .path("/result/body/n/2", Mode::Remove)
            .path("/result/body/email", Mode::MaskLength)
            .detect(Detector::CreditCard),
        Rules::new().path("/result", Mode::Fingerprint),
        Rules::new().path("/result", Mode::Remove),
    ]
}

/// The tree result: serialize, parse, redact the tree.
fn by_tree(r: &Redactor, base: &[&str], value: &impl Serialize) -> Value {
    let mut v = serde_json::to_value(value).unwrap();
    r.redact(base, &mut v);
    v
}

fn compile(rules: &Rules) -> Redactor {
    rules.compile(Some(key())).unwrap()
}

#[test]
fn a_part_redacted_while_serialized_equals_the_redacted_tree() {
    playback_redact::set_fingerprint_key(key());
    let order = order();
    for rules in rule_sets() {
        let (streamed, tree) = (compile(&rules), compile(&rules));
        let raw = streamed.serialize(&["result"], &order).unwrap();
        let got: Value = serde_json::from_str(raw.get()).unwrap();
        let want = by_tree(&tree, &["result"], &order);
        assert_eq!(got, want, "rules {rules:?}");
        assert_eq!(streamed.unmatched(), tree.unmatched(), "rules {rules:?}");
    }
}

#[test]
fn an_object_member_redacted_while_serialized_equals_the_redacted_tree() {
    playback_redact::set_fingerprint_key(key());
    let order = order();
    let at = ["outputs", "mail::send", "args"];
    for rules in rule_sets() {
        let rules = rules.path("/outputs/*/args/order/email", Mode::MaskLast4);
        let (streamed, tree) = (compile(&rules), compile(&rules));
        let mut got = serde_json::Map::new();
        for (name, value) in [
            ("order", serde_json::to_value(&order).unwrap()),
            ("password", json!("pw")),
            ("secret", serde_json::to_value(Secret::new("x")).unwrap()),
        ] {
            if let Some(raw) = streamed.serialize_member(&at, name, &value).unwrap() {
                got.insert(name.to_owned(), serde_json::from_str(raw.get()).unwrap());
            }
        }
        let mut want = json!({
            "order": serde_json::to_value(&order).unwrap(),
            "password": "pw",
            "secret": serde_json::to_value(Secret::new("x")).unwrap(),
        });
        tree.redact(&at, &mut want);
        assert_eq!(Value::Object(got), want, "rules {rules:?}");
        assert_eq!(streamed.unmatched(), tree.unmatched(), "rules {rules:?}");
    }
}

#[test]
fn raw_json_redacted_by_streaming_equals_the_redacted_tree_and_keeps_member_order() {
    playback_redact::set_fingerprint_key(key());
    let text = serde_json::to_string(&order()).unwrap();
    for (i, rules) in rule_sets().into_iter().enumerate() {
        let (streamed, tree) = (compile(&rules), compile(&rules));
        let mut raw = RawValue::from_string(text.clone()).unwrap();
        streamed.redact_raw(&["result"], &mut raw);
        let got: Value = serde_json::from_str(raw.get()).unwrap();
        let want = by_tree(
            &tree,
            &["result"],
            &serde_json::from_str::<Value>(&text).unwrap(),
        );
        assert_eq!(got, want, "rules {rules:?}");
        // The same text as serializing the value itself, so a replayed output's arguments
        // match the recorded ones as text; but for rule set 1, whose rules match enum
        // variants' members, which the value redacts on a tree (members sorted).
        let direct = compile(&rules).serialize(&["result"], &order()).unwrap();
        if i != 1 {
            assert_eq!(raw.get(), direct.get(), "rules {rules:?}");
        }
    }
}

#[test]
fn a_removed_result_err_still_says_err() {
    let r = compile(&Rules::new().path("/result/Err", Mode::Remove));
    let failed: Result<u8, &str> = Err("ann@example.com");
    let (raw, err) = r.serialize_flagging_err(&["result"], &failed).unwrap();
    assert_eq!((raw.get(), err), ("{}", true));
    let (_, err) = r
        .serialize_flagging_err(&["result"], &Ok::<u8, &str>(1))
        .unwrap();
    assert!(!err);
}

#[test]
fn an_operation_argument_follows_field_name_rules_on_its_name() {
    let r = compile(
        &Rules::new()
            .key("(?i)^pass", Mode::Remove)
            .path("/args/card/number", Mode::MaskLast4),
    );
    assert!(r.serialize_arg("password", &"hunter2").unwrap().is_none());
    let card = json!({"number": "4111111111111111", "cvc": 123});
    let raw = r.serialize_arg("card", &card).unwrap().unwrap();
    assert_eq!(raw.get(), r#"{"cvc":123,"number":"************1111"}"#);
    assert!(r.unmatched().is_empty());
}
