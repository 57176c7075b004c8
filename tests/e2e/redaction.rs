//! Redaction end to end, through `#[playback::instrument]`: no stored byte holds a
//! secret, an input keyed by a `Secret` still replays, a changed one is a mismatch that
//! does not print it, a typo'd rule shows in the stats, and `Debug` never prints one.

use std::path::Path;
use std::time::Duration;

use playback::redact::{Detector, FingerprintKey, Mode};
use playback::{DirStore, PlaybackLayer, PlaybackLayerBuilder, Query, Secret, Store};
use serde::{Deserialize, Serialize};
use tracing_subscriber::prelude::*;

use crate::support::record_with;

/// The secret of the byte-scan: an email, so the detector also sees it in free text.
pub(crate) const SECRET: &str = "ann.7731@example.com";

/// The key every redaction test uses (the key is process-wide).
pub(crate) fn key() -> FingerprintKey {
    FingerprintKey::new(b"e2e-fingerprint-key-0123456789abcdef").unwrap()
}

/// The rules of the byte-scan, on a builder.
pub(crate) fn rules(builder: PlaybackLayerBuilder) -> PlaybackLayerBuilder {
    builder
        .fingerprint_key(key())
        .redact("/outputs/*/args/to")
        .redact_key("(?i)token")
        .redact("/metadata/user")
        .detect(Detector::Email)
}

#[derive(Debug, Serialize, Deserialize)]
pub(crate) struct Session {
    token: String,
    plan: String,
}

#[playback::instrument(playback = "operation")]
pub(crate) fn sign_in(user: Secret<String>, fail: bool) -> Session {
    playback::metadata("user", user.expose());
    let plan = plan_of(&user);
    notify(user.expose(), "signed in");
    if fail {
        panic!("no session for {}", user.expose());
    }
    Session {
        token: user.expose().clone(),
        plan,
    }
}

#[playback::instrument(playback = "input")]
fn plan_of(user: &Secret<String>) -> String {
    format!("gold-{}", user.expose().len())
}

#[playback::instrument(playback = "output")]
fn notify(to: &str, body: &str) -> bool {
    !to.is_empty() && !body.is_empty()
}

/// Runs the byte-scan's operations: one that returns, one that panics.
pub(crate) fn run_sign_ins() {
    sign_in(Secret::new(SECRET.to_owned()), false);
    let panicked = std::panic::catch_unwind(|| sign_in(Secret::new(SECRET.to_owned()), true));
    assert!(panicked.is_err());
}

/// Every file under `dir` that holds `needle`, raw or zstd-decompressed.
pub(crate) fn files_containing(dir: &Path, needle: &str) -> (usize, Vec<String>) {
    let mut scanned = 0;
    let mut found = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else {
            continue;
        };
        for e in entries.flatten() {
            let path = e.path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            let bytes = std::fs::read(&path).unwrap();
            scanned += 1;
            let mut views = vec![bytes.clone()];
            if let Ok(plain) = zstd::decode_all(&bytes[..]) {
                views.push(plain);
            }
            // An S3 pack holds one zstd frame per compressed recording, among JSON lines.
            views.extend(zstd_frames(&bytes));
            if views.iter().any(|v| contains(v, needle.as_bytes())) {
                found.push(path.display().to_string());
            }
        }
    }
    (scanned, found)
}

/// The decompressed zstd frames found anywhere in `bytes`.
pub(crate) fn zstd_frames(bytes: &[u8]) -> Vec<Vec<u8>> {
    use std::io::Read as _;
    const MAGIC: [u8; 4] = [0x28, 0xb5, 0x2f, 0xfd];
    (0..bytes.len().saturating_sub(3))
        .filter(|&at| bytes[at..].starts_with(&MAGIC))
        .filter_map(|at| {
            let mut plain = Vec::new();
            zstd::stream::read::Decoder::new(&bytes[at..])
                .ok()?
                .single_frame()
                .read_to_end(&mut plain)
                .ok()?;
            Some(plain)
        })
        .collect()
}

fn contains(hay: &[u8], needle: &[u8]) -> bool {
    hay.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn no_file_of_a_dir_store_holds_a_secret_from_a_key_an_argument_a_result_metadata_or_a_panic() {
    let dir = tempfile::tempdir().unwrap();
    let store = DirStore::new(dir.path()).unwrap();
    let (layer, guard) = rules(PlaybackLayer::builder())
        .store(store.clone())
        .build()
        .unwrap();
    tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), run_sign_ins);
    assert!(guard.flush(Duration::from_secs(10)));

    let recs: Vec<_> = store
        .find(&Query::category("sign_in"))
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    assert_eq!(recs.len(), 2);
    let text: String = recs
        .iter()
        .map(|r| String::from_utf8(r.to_json().unwrap()).unwrap())
        .collect();
    // Each place held the secret, and now holds a marker or a token instead.
    assert!(text.contains("no session for [redacted:email:"), "{text}");
    let text: String = text.split_whitespace().collect();
    assert!(text.contains(r#""user":{"playback.redacted":""#), "{text}");
    assert!(
        text.contains(r#""key":{"user":{"playback.redacted":""#),
        "{text}"
    );
    assert!(text.contains(r#""to":{"playback.redacted":""#), "{text}");
    assert!(text.contains(r#""token":{"playback.redacted":""#), "{text}");

    let (scanned, found) = files_containing(dir.path(), SECRET);
    assert!(scanned >= 2, "the store wrote files ({scanned})");
    assert!(found.is_empty(), "files holding the secret: {found:?}");
    assert!(
        guard
            .stats()
            .snapshot()
            .unmatched_redaction_rules
            .is_empty()
    );
}

#[derive(Debug, Serialize, Deserialize, PartialEq)]
struct Profile {
    plan: String,
}

#[playback::instrument(playback = "operation")]
fn profile(user: Secret<String>) -> Profile {
    Profile {
        plan: load_plan(&user),
    }
}

#[playback::instrument(playback = "input")]
fn load_plan(user: &Secret<String>) -> String {
    format!("plan-{}", user.expose().len())
}

#[test]
fn an_input_keyed_by_a_secret_replays_and_a_changed_secret_is_a_mismatch_that_hides_it() {
    let builder = PlaybackLayer::builder().fingerprint_key(key());
    let (recs, _guard, _) = record_with(builder, || profile(Secret::new("user-4242".into())));
    let rec = recs.iter().find(|r| r.category == "profile").unwrap();
    assert!(
        !String::from_utf8(rec.to_json().unwrap())
            .unwrap()
            .contains("user-4242")
    );

    let same = playback::replay(rec, || profile(Secret::new("user-4242".into()))).unwrap();
    assert_eq!(same.recorded(), same.replayed());

    let err = playback::replay(rec, || profile(Secret::new("user-9999".into()))).unwrap_err();
    let message = format!("{err} {err:?}");
    assert!(message.contains("load_plan"), "{message}");
    assert!(message.contains("playback.redacted"), "{message}");
    assert!(
        !message.contains("user-9999") && !message.contains("user-4242"),
        "{message}"
    );
}

#[playback::instrument(playback = "operation")]
fn session_of(user: u64) -> String {
    let token = fetch_token(user);
    format!("{}-chars", token.expose().len())
}

#[playback::instrument(playback = "input")]
fn fetch_token(user: u64) -> Secret<String> {
    Secret::new(format!("tok-{user}-xyz"))
}

#[test]
fn a_redacted_value_read_back_is_an_error_or_the_configured_placeholder_never_empty() {
    let builder = PlaybackLayer::builder().fingerprint_key(key());
    let (recs, _guard, _) = record_with(builder, || session_of(7));
    let rec = recs.iter().find(|r| r.category == "session_of").unwrap();

    let err = playback::replay(rec, || session_of(7))
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("a redacted value cannot be read back"),
        "{err}"
    );
    assert!(!err.contains("tok-7-xyz"), "{err}");

    playback::redact::set_placeholder(Some("redacted-token".into()));
    let replayed = playback::replay(rec, || session_of(7));
    playback::redact::set_placeholder(None);
    let replayed = replayed.unwrap();
    // The placeholder came back (14 characters), not the value (9), not an empty string.
    assert_eq!(replayed.replayed().result(), &serde_json::json!("14-chars"));
}

#[test]
fn a_rule_that_matched_nothing_in_a_run_is_in_the_stats() {
    let builder = PlaybackLayer::builder()
        .redact_with("/args/pasword", Mode::Remove)
        .redact_with("**/plan", Mode::MaskLength);
    let (_recs, guard, _) = record_with(builder, || profile(Secret::new("u".into())));
    let stats = guard.stats().snapshot();
    assert_eq!(stats.recorded, 1);
    assert_eq!(
        stats.unmatched_redaction_rules,
        vec!["redact(\"/args/pasword\") (remove)".to_owned()]
    );
}

#[test]
fn secrets_never_show_in_debug_display_or_errors() {
    let s = Secret::new(SECRET.to_owned());
    let printed = format!("{s:?} {s} {:?}", Some(&s));
    assert!(!printed.contains(SECRET), "{printed}");
    let bad: Result<Secret<u64>, _> = serde_json::from_value(serde_json::json!(SECRET));
    let err = bad.unwrap_err().to_string();
    assert!(!err.contains(SECRET), "{err}");
    let short = FingerprintKey::new(b"short-key").unwrap_err().to_string();
    assert!(!short.contains("short-key"), "{short}");
    assert_eq!(format!("{:?}", key()), "FingerprintKey(..)");
}
