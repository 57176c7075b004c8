//! The logic of the fuzz targets in `fuzz/` (a separate workspace) that reach the S3
//! store's readers, as plain functions so the crate's tests run every committed
//! regression input through the same checks.

use playback_store::{Recording, StoreError, Summary};

use crate::codec;
use crate::keys::{id_of_key, utc_day};
use crate::listing::parse_index;

/// The S3 store's recording reader on an arbitrary object body: plain JSON or a zstd
/// frame, decompressed to at most `MAX_RECORDING_BYTES`. When the input starts with
/// `Z`, the rest is compressed first, so the fuzzer reaches the JSON reader through
/// zstd as well as feeding the decompressor raw frames.
///
/// Checked: the body either fails with an error, or reads into a recording that keeps
/// the reader's properties (`playback_store::__fuzz::check_recording`); a compressed
/// body reads exactly as its plain JSON does.
///
/// ```
/// let rec = playback_store::Recording::builder("c").build();
/// let json = rec.to_json()?;
/// playback_s3::__fuzz::recording_body(&json);
/// playback_s3::__fuzz::recording_body(&[b"Z".as_slice(), &json].concat());
/// playback_s3::__fuzz::recording_body(&[0x28, 0xB5, 0x2F, 0xFD, 0]);
/// # Ok::<(), playback_store::StoreError>(())
/// ```
pub fn recording_body(data: &[u8]) {
    let origin = "s3://fuzz/recordings/x.json";
    if let Some(plain) = data.strip_prefix(b"Z") {
        let compressed = zstd::bulk::compress(plain, 1).expect("compressing a buffer");
        let via_zstd = codec::decode_recording(compressed, origin);
        let direct = Recording::from_json_at(plain, origin);
        match (via_zstd, direct) {
            (Ok(a), Ok(b)) => {
                assert_eq!(
                    a.to_json().ok(),
                    b.to_json().ok(),
                    "zstd changed the recording"
                );
                playback_store::__fuzz::check_recording(&a);
            }
            (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string()),
            (a, b) => panic!("zstd and plain bodies read differently: {a:?} vs {b:?}"),
        }
        return;
    }
    match codec::decode_recording(data.to_vec(), origin) {
        Ok(rec) => playback_store::__fuzz::check_recording(&rec),
        Err(err) => assert!(!err.to_string().is_empty()),
    }
}

/// The S3 store's index reader on an arbitrary key and object: the input's first line
/// is the object key, the rest its body.
///
/// Checked: a key names an id only when it ends in `<id>.json`; a body that parses as a
/// summary is accepted exactly when it is filed under its own id, category and day, and
/// is `Misplaced` under another id; anything else is an error.
///
/// ```
/// let rec = playback_store::Recording::builder("c").build();
/// let body = serde_json::to_string(&rec.summary()).unwrap();
/// let input = format!("p/index/c/2026/01/02/{}.json\n{body}", rec.id());
/// playback_s3::__fuzz::index_object(input.as_bytes());
/// ```
pub fn index_object(data: &[u8]) {
    let split = data.iter().position(|b| *b == b'\n').unwrap_or(data.len());
    let key = String::from_utf8_lossy(&data[..split]);
    let body = data.get(split + 1..).unwrap_or_default();
    let id = id_of_key(&key);
    if let Some(id) = &id {
        assert!(key.ends_with(&format!("{id}.json")), "{key} names {id}");
    }
    let origin = format!("s3://fuzz/{key}");
    let summary = match Summary::from_json_at(body, &origin) {
        Ok(summary) => summary,
        Err(_) => {
            if let Some(id) = &id {
                let day = time::Date::MIN;
                assert!(parse_index(body, &origin, id, "c", day).is_err());
            }
            return;
        }
    };
    let day = utc_day(&summary);
    let own = parse_index(body, &origin, &summary.id, &summary.category, day)
        .expect("a summary filed where it says it belongs is accepted");
    assert_eq!(own, summary);
    if let Some(id) = id.filter(|id| *id != summary.id) {
        let err = parse_index(body, &origin, &id, &summary.category, day).unwrap_err();
        assert!(matches!(err, StoreError::Misplaced { .. }), "{err}");
    }
}
