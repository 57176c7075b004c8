//! The detectors on a small labelled corpus: every labelled value must be found, and the
//! false-positive rate of each detector on the unlabelled texts is measured and bounded
//! (the guide's chapter "Keeping secrets out of recordings" quotes these figures).
//!
//! `cargo test -p playback-redact --test corpus -- --nocapture` prints the table.

use playback_redact::{Detector, Mode, Rules};
use serde_json::Value;

/// Texts that hold what the detector is for.
const POSITIVES: &[(Detector, &str)] = &[
    (Detector::Email, "ann@example.com"),
    (
        Detector::Email,
        "contact: bob.smith+billing@mail.example.co.uk",
    ),
    (Detector::Email, "reply to <j_doe-42@sub.domain.io> please"),
    (Detector::Email, "UPPER.CASE@EXAMPLE.ORG"),
    (Detector::Email, "x@y.fr"),
    (Detector::Email, "to=ops%alerts@corp.example.net"),
    (Detector::Email, "mailto:first.last@university.edu"),
    (
        Detector::Email,
        "\"name\": \"zoë\", \"email\": \"zoe99@example.de\"",
    ),
    (Detector::CreditCard, "4111111111111111"),
    (Detector::CreditCard, "4111 1111 1111 1111"),
    (Detector::CreditCard, "5500-0000-0000-0004"),
    (Detector::CreditCard, "card 340000000000009 amex"),
    (Detector::CreditCard, "30000000000004"),
    (Detector::CreditCard, "6011000000000004"),
    (Detector::CreditCard, "3530111333300000"),
    (Detector::CreditCard, "pan=4012888888881881;exp=12/29"),
    (Detector::CreditCard, "5105 1051 0510 5100"),
    (Detector::BearerToken, "Bearer abcdefghijklmnop"),
    (
        Detector::BearerToken,
        "authorization: bearer 0123456789abcdef0123",
    ),
    (
        Detector::BearerToken,
        "Authorization: Bearer ya29.a0AfH6SMBx-example_token",
    ),
    (Detector::BearerToken, "BEARER dGhpcyBpcyBhIHRva2Vu=="),
    (
        Detector::BearerToken,
        "header Bearer sk_live_51HxExampleKey",
    ),
    (
        Detector::Jwt,
        "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
    ),
    (
        Detector::Jwt,
        "token=eyJhbGciOiJub25lIn0.eyJ1c2VyIjoiYW5uIn0.",
    ),
    (
        Detector::Jwt,
        "id_token: eyJraWQiOiIxIiwiYWxnIjoiUlMyNTYifQ.eyJpc3MiOiJodHRwczovL2lkcCJ9.c2lnbmF0dXJl",
    ),
    (Detector::AwsKey, "AKIAIOSFODNN7EXAMPLE"),
    (Detector::AwsKey, "aws_access_key_id = ASIAY34FZKBOKMUTVV7A"),
    (
        Detector::AwsKey,
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
    ),
    (
        Detector::AwsKey,
        "AWS_SECRET_ACCESS_KEY: \"je7MtGbClwBF/2Zp9Utk/h3yCo8nvbEXAMPLEKEY\"",
    ),
];

/// Ordinary values of a service: none holds an email, a card, a token or a key.
const NEGATIVES: &[&str] = &[
    "hello world",
    "order shipped",
    "2026-01-05T10:22:31.123Z",
    "1736072551",
    "550e8400-e29b-41d4-a716-446655440000",
    "01JGZ0000000000000000000001",
    "v1.13.2",
    "/api/v1/customers/42/orders?page=2",
    "https://example.com/path?x=1&y=2",
    "@types/node",
    "npm i @scope/package@1.2.3",
    "user@localhost",
    "git@github.com:org/repo.git",
    "ann at example dot com",
    "price: 1234.56 EUR",
    "+33 6 12 34 56 78",
    "(555) 123-4567",
    "FR76 3000 6000 0112 3456 7890 189",
    "DE89370400440532013000",
    "ISBN 978-3-16-148410-0",
    "tracking 1Z999AA10123456784",
    "sku-000123-blue-xl",
    "the bearer of this note",
    "Bearer",
    "bearer token expired",
    "Authorization: Basic dXNlcjpwYXNz",
    "eyJ is how base64 JSON starts",
    "eyJhbGciOiJIUzI1NiJ9",
    "a.b.c",
    "aws region eu-west-1",
    "AKIA",
    "AKIASHORT",
    "arn:aws:s3:::my-bucket/key",
    "da39a3ee5e6b4b0d3255bfef95601890afd80709",
    "d41d8cd98f00b204e9800998ecf8427e",
    "SGVsbG8sIFdvcmxkIQ==",
    "Zm9vYmFyYmF6cXV4cXV1eGNvcmdlZ3JhdWx0Z2FycGx5d2FsZG9mcmVk",
    "lorem ipsum dolor sit amet, consectetur adipiscing elit",
    "{\"total\": 4200, \"currency\": \"EUR\"}",
    "192.168.1.10:8080",
    "fe80::1ff:fe23:4567:890a",
    "C:\\Users\\ann\\Documents",
    "SELECT * FROM orders WHERE id = 42",
    "3.14159265358979323846",
    "1 2 3 4 5 6 7 8 9 10 11 12 13",
    "0000-0000",
    "1234-5678-9012",
    "#ff8800",
    "café crème",
    "事務所",
];

/// 16-digit order numbers, the hard case for the card detector: about one in ten
/// passes the Luhn check by chance. Deterministic (a fixed linear congruential
/// generator).
fn order_numbers(n: usize) -> Vec<String> {
    let mut x: u64 = 0x2545_F491_4F6C_DD1D;
    (0..n)
        .map(|_| {
            x = x
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            format!("{:016}", (x >> 8) % 10_000_000_000_000_000)
        })
        .collect()
}

fn detected(d: Detector, text: &str) -> bool {
    let r = Rules::new()
        .detect(d)
        .detector_mode(Mode::Remove)
        .compile(None)
        .unwrap();
    let mut s = text.to_owned();
    r.redact_text(&mut s)
}

#[test]
fn every_labelled_value_is_found_and_false_positive_rates_stay_measured() {
    for (d, text) in POSITIVES {
        assert!(detected(*d, text), "{d:?} missed {text:?}");
    }
    let orders = order_numbers(200);
    let mut negatives: Vec<&str> = NEGATIVES.to_vec();
    negatives.extend(orders.iter().map(String::as_str));
    // Every other detector's positives are negatives for this one.
    println!("detector      positives  negatives  false positives  rate");
    let mut rates = Vec::new();
    for d in Detector::ALL {
        let others: Vec<&str> = POSITIVES
            .iter()
            .filter(|(o, _)| *o != d)
            .map(|(_, t)| *t)
            .collect();
        let pool: Vec<&str> = negatives.iter().copied().chain(others).collect();
        let fp: Vec<&str> = pool.iter().copied().filter(|t| detected(d, t)).collect();
        let rate = fp.len() as f64 / pool.len() as f64;
        let positives = POSITIVES.iter().filter(|(o, _)| *o == d).count();
        println!(
            "{:<13} {positives:>9}  {:>9}  {:>15}  {:.1}%",
            d.name(),
            pool.len(),
            fp.len(),
            rate * 100.0
        );
        match d {
            // An SSH remote is email-shaped: the one false positive of the email detector.
            Detector::Email => assert_eq!(fp, vec!["git@github.com:org/repo.git"]),
            Detector::CreditCard => {}
            _ => assert!(fp.is_empty(), "{d:?} flags {fp:?}"),
        }
        rates.push((d, fp.len(), pool.len()));
    }
    // Cards: only Luhn-valid digit runs, so only the order numbers that pass Luhn by
    // chance (and nothing else) are flagged.
    let luhn_orders = orders
        .iter()
        .filter(|o| detected(Detector::CreditCard, o))
        .count();
    let (_, card_fp, _) = rates[1];
    assert_eq!(
        card_fp, luhn_orders,
        "cards flag only Luhn-valid order numbers"
    );
    assert!(
        (10..=35).contains(&luhn_orders),
        "{luhn_orders} of 200 order numbers pass Luhn"
    );
}

#[test]
fn detectors_see_inside_json_documents() {
    let r = Rules::new()
        .detect_all()
        .detector_mode(Mode::Remove)
        .compile(None)
        .unwrap();
    let mut doc: Value = serde_json::json!({
        "customer": {"email": "ann@example.com", "note": "card 4111 1111 1111 1111"},
        "headers": [["authorization", "Bearer abcdefgh12345678"]],
    });
    r.redact(&["result"], &mut doc);
    let text = doc.to_string();
    assert_eq!(
        text,
        r#"{"customer":{"email":"[redacted:email]","note":"card [redacted:credit_card]"},"headers":[["authorization","[redacted:bearer_token]"]]}"#
    );
}
