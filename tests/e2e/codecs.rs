//! The built-in codecs (`playback::codec`) on the types real services return: errors,
//! bytes, durations, instants and ids, recorded in a readable form and replayed as the
//! same values, with no live call.

use std::cell::Cell;
use std::error::Error;
use std::io;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use playback::Recording;
use serde_json::json;

use crate::support::record_one;

thread_local! {
    /// How many bodies really ran (live calls) on this test's thread: recording and
    /// `playback::replay` both run the operation on the calling thread.
    static LIVE: Cell<usize> = const { Cell::new(0) };
}

fn hit() {
    LIVE.set(LIVE.get() + 1);
}

fn value_of(rec: &Recording, alias_end: &str) -> Vec<serde_json::Value> {
    rec.interceptions
        .iter()
        .filter(|i| i.alias.ends_with(alias_end))
        .map(|i| i.value_json())
        .collect()
}

// ---- io::Result and boxed errors -------------------------------------------------------

#[playback::instrument(playback = "input", with = playback::codec::IoResult)]
fn load_config(name: &str) -> io::Result<String> {
    hit();
    match name {
        "app" => Ok("port = 6379".to_owned()),
        "secret" => Err(io::Error::new(
            io::ErrorKind::PermissionDenied,
            "secret is not readable",
        )),
        _ => Err(io::Error::from_raw_os_error(2)),
    }
}

#[playback::instrument(playback = "input", with = playback::codec::DynResult)]
fn ping(host: &str) -> Result<u64, Box<dyn Error + Send + Sync>> {
    hit();
    if host.is_empty() {
        return Err("no host given".into());
    }
    Ok(7)
}

/// Looks at what callers look at: the kind and the text.
#[playback::instrument(playback = "operation", category = "codecs_errors")]
fn startup(names: Vec<String>) -> Vec<String> {
    let mut seen: Vec<String> = names
        .iter()
        .map(|name| match load_config(name) {
            Ok(text) => format!("ok {text}"),
            Err(e) => format!("{:?}: {e}", e.kind()),
        })
        .collect();
    for host in ["db", ""] {
        seen.push(match ping(host) {
            Ok(ms) => format!("{ms}ms"),
            Err(e) => format!("ping failed: {e}"),
        });
    }
    seen
}

#[test]
fn io_and_boxed_errors_are_stored_as_kind_and_text_and_replay_as_the_same_errors() {
    let names: Vec<String> = ["app", "secret", "missing"].map(String::from).into();
    let expected = vec![
        "ok port = 6379".to_owned(),
        "PermissionDenied: secret is not readable".to_owned(),
        format!("NotFound: {}", io::Error::from_raw_os_error(2)),
        "7ms".to_owned(),
        "ping failed: no host given".to_owned(),
    ];
    let rec = record_one(|| assert_eq!(startup(names.clone()), expected));

    let loads = value_of(&rec, "::load_config");
    assert_eq!(loads[0], json!({"Ok": "port = 6379"}));
    assert_eq!(
        loads[1],
        json!({"Err": {"kind": "PermissionDenied", "message": "secret is not readable"}})
    );
    assert_eq!(
        loads[2],
        json!({"Err": {"kind": "NotFound", "message": io::Error::from_raw_os_error(2).to_string()}})
    );
    let load_errors: Vec<bool> = rec
        .interceptions
        .iter()
        .filter(|i| i.alias.ends_with("::load_config"))
        .map(|i| i.error)
        .collect();
    assert_eq!(load_errors, [false, true, true]);
    assert_eq!(
        value_of(&rec, "::ping"),
        [
            json!({"Ok": 7}),
            json!({"Err": {"message": "no host given"}})
        ]
    );

    let before = LIVE.get();
    let playback = playback::replay(&rec, || startup(names.clone())).unwrap();
    assert_eq!(LIVE.get(), before, "a body ran live");
    assert_eq!(playback.replayed().result(), &json!(expected));
    assert_eq!(playback.recorded(), playback.replayed());
}

// ---- bytes, composed with io::Result ---------------------------------------------------

/// `io::Result<Vec<u8>>`: the io codec outside, the bytes codec inside.
#[playback::instrument(
    playback = "input",
    with = playback::codec::IoResult::<playback::codec::Bytes>
)]
fn read_frame(conn: u32) -> io::Result<Vec<u8>> {
    hit();
    match conn {
        1 => Ok(b"+PONG\r\n".to_vec()),
        2 => Ok(vec![0xde, 0xad, 0xbe, 0xef]),
        _ => Err(io::ErrorKind::ConnectionReset.into()),
    }
}

/// An output whose argument is bytes.
#[playback::instrument(playback = "output", with(frame = playback::codec::Bytes))]
fn write_frame(conn: u32, frame: Vec<u8>) -> usize {
    let _ = conn;
    hit();
    frame.len()
}

#[playback::instrument(playback = "operation", category = "codecs_bytes")]
fn relay(conns: Vec<u32>) -> Vec<usize> {
    conns
        .iter()
        .map(|&conn| match read_frame(conn) {
            Ok(frame) => write_frame(conn, frame),
            Err(e) => write_frame(conn, format!("-ERR {e}\r\n").into_bytes()),
        })
        .collect()
}

#[test]
fn bytes_are_stored_as_text_when_utf8_and_marked_base64_otherwise() {
    let rec = record_one(|| assert_eq!(relay(vec![1, 2, 3]), [7, 4, 23]));
    assert_eq!(
        value_of(&rec, "::read_frame"),
        [
            json!({"Ok": "+PONG\r\n"}),
            json!({"Ok": {"base64": "3q2+7w=="}}),
            json!({"Err": {"kind": "ConnectionReset", "message": "connection reset"}}),
        ]
    );
    let frames: Vec<serde_json::Value> = rec
        .interceptions
        .iter()
        .filter(|i| i.alias.ends_with("::write_frame"))
        .map(|i| i.args_value()["frame"].clone())
        .collect();
    assert_eq!(
        frames,
        [
            json!("+PONG\r\n"),
            json!({"base64": "3q2+7w=="}),
            json!("-ERR connection reset\r\n")
        ]
    );

    let before = LIVE.get();
    let playback = playback::replay(&rec, || relay(vec![1, 2, 3])).unwrap();
    assert_eq!(LIVE.get(), before, "a body ran live");
    assert_eq!(playback.replayed().result(), &json!([7, 4, 23]));
    assert_eq!(playback.recorded(), playback.replayed());
    // the replayed outputs carry the same readable arguments
    assert_eq!(
        playback.replayed().outputs()[0].args,
        json!({"conn": 1, "frame": "+PONG\r\n"})
    );
}

// ---- time ----------------------------------------------------------------------------

#[playback::instrument(playback = "input", with = playback::codec::OptionOf::<playback::codec::SystemTime>)]
fn last_seen(user: u32) -> Option<SystemTime> {
    hit();
    (user == 1).then(|| UNIX_EPOCH + Duration::new(1_700_000_000, 250_000_000))
}

#[playback::instrument(playback = "output", with(ttl = playback::codec::Duration))]
fn expire(user: u32, ttl: Duration) -> bool {
    let _ = (user, ttl);
    hit();
    true
}

#[playback::instrument(playback = "operation", category = "codecs_time")]
fn refresh(user: u32) -> String {
    match last_seen(user) {
        Some(t) => {
            let age = t.duration_since(UNIX_EPOCH).unwrap();
            expire(user, Duration::from_millis(1500));
            format!("seen at {}.{:03}", age.as_secs(), age.subsec_millis())
        }
        None => "never seen".to_owned(),
    }
}

#[test]
fn instants_are_rfc_3339_and_durations_read_as_seconds() {
    let rec = record_one(|| {
        assert_eq!(refresh(1), "seen at 1700000000.250");
    });
    assert_eq!(
        value_of(&rec, "::last_seen"),
        [json!("2023-11-14T22:13:20.25Z")]
    );
    let expire = rec
        .interceptions
        .iter()
        .find(|i| i.alias.ends_with("::expire"))
        .unwrap();
    assert_eq!(expire.args_value(), json!({"user": 1, "ttl": "1.5s"}));

    let before = LIVE.get();
    let playback = playback::replay(&rec, || refresh(1)).unwrap();
    assert_eq!(LIVE.get(), before, "a body ran live");
    assert_eq!(
        playback.replayed().result(),
        &json!("seen at 1700000000.250")
    );
    assert_eq!(playback.recorded(), playback.replayed());

    // `None` is `null`
    let rec = record_one(|| assert_eq!(refresh(2), "never seen"));
    assert_eq!(value_of(&rec, "::last_seen"), [json!(null)]);
    let playback = playback::replay(&rec, || refresh(2)).unwrap();
    assert_eq!(playback.recorded(), playback.replayed());
}

// ---- feature-gated codecs --------------------------------------------------------------

#[cfg(feature = "anyhow")]
mod anyhow_errors {
    use super::*;
    use anyhow::Context as _;

    #[playback::instrument(playback = "input", with = playback::codec::AnyhowResult)]
    fn charge(amount: u64) -> anyhow::Result<String> {
        hit();
        if amount > 100 {
            return Err(io::Error::other("card declined")).context("charging the card");
        }
        Ok(format!("ch_{amount}"))
    }

    #[playback::instrument(playback = "operation", category = "codecs_anyhow")]
    fn pay(amount: u64) -> Result<String, String> {
        charge(amount).map_err(|e| format!("{e:#}"))
    }

    #[test]
    fn anyhow_errors_replay_with_the_same_context_chain() {
        let rec =
            record_one(|| assert_eq!(pay(500), Err("charging the card: card declined".to_owned())));
        assert_eq!(
            value_of(&rec, "::charge"),
            [json!({"Err": {"message": "charging the card", "sources": ["card declined"]}})]
        );
        let before = LIVE.get();
        let playback = playback::replay(&rec, || pay(500)).unwrap();
        assert_eq!(LIVE.get(), before, "a body ran live");
        assert_eq!(
            playback.replayed().result(),
            &json!({"Err": "charging the card: card declined"})
        );
        assert_eq!(playback.recorded(), playback.replayed());
    }
}

#[cfg(all(feature = "bytes", feature = "uuid"))]
mod bytes_and_uuids {
    use super::*;

    #[playback::instrument(playback = "input", with = playback::codec::Bytes)]
    fn get(key: &str) -> bytes::Bytes {
        hit();
        bytes::Bytes::from(format!("value of {key}"))
    }

    #[playback::instrument(playback = "input", with = playback::codec::Uuid)]
    fn new_id() -> uuid::Uuid {
        hit();
        uuid::Uuid::from_u128(0x67e5504410b1426f9247bb680e5fe0c8)
    }

    #[playback::instrument(playback = "operation", category = "codecs_bytes_uuid")]
    fn store(key: String) -> String {
        let value = get(&key);
        format!("{}={}", new_id(), String::from_utf8_lossy(&value))
    }

    #[test]
    fn bytes_bytes_and_uuids_read_as_text() {
        let expected = "67e55044-10b1-426f-9247-bb680e5fe0c8=value of k";
        let rec = record_one(|| assert_eq!(store("k".into()), expected));
        assert_eq!(value_of(&rec, "::get"), [json!("value of k")]);
        assert_eq!(
            value_of(&rec, "::new_id"),
            [json!("67e55044-10b1-426f-9247-bb680e5fe0c8")]
        );
        let before = LIVE.get();
        let playback = playback::replay(&rec, || store("k".into())).unwrap();
        assert_eq!(LIVE.get(), before, "a body ran live");
        assert_eq!(playback.replayed().result(), &json!(expected));
    }
}
