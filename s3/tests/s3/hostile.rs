//! A bucket holding hostile objects, written straight into the loopback server's
//! folder: truncated bodies and index objects, an object one byte over
//! `MAX_RECORDING_BYTES` (a sparse file: the loopback server hashes every object it
//! serves, which takes it over 30 s for a 1 GB one; `DirStore`'s test uses 1 GB), a zstd
//! frame that inflates past the limit, 100,000 levels of nested JSON, invalid UTF-8 and
//! objects whose id does not match their key. Listing and loading give one error per
//! bad object, never a panic, a stack overflow or a huge allocation. Also: every seed
//! and regression input of the fuzz targets this crate owns.

use std::fs;
use std::path::{Path, PathBuf};

use playback_s3::S3Store;
use playback_store::{
    MAX_JSON_DEPTH, MAX_RECORDING_BYTES, Query, Recording, RecordingId, Store, StoreError,
};
use time::macros::datetime;

use crate::support::{BUCKET, TestServer, builder};

const PREFIX: &str = "hostile/";
/// An object size over the limit.
const OVER: u64 = MAX_RECORDING_BYTES + 1;

fn id(n: u32) -> RecordingId {
    RecordingId::parse(&format!("01J00000000000000000000{n:03}")).unwrap()
}

fn recording(id: &RecordingId) -> Recording {
    Recording::builder("checkout")
        .recorded_at(datetime!(2026-01-02 10:00 UTC))
        .id(id.clone())
        .build()
}

/// The server's file for `key` under the store's prefix, with its folders.
fn object(server: &TestServer, key: &str) -> PathBuf {
    let path = server.root().join(BUCKET).join(PREFIX).join(key);
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    path
}

fn index_key(id: &RecordingId) -> String {
    format!("index/checkout/2026/01/02/{id}.json")
}

fn body_key(id: &RecordingId) -> String {
    format!("recordings/{id}.json")
}

fn summary_json(id: &RecordingId) -> String {
    serde_json::to_string(&recording(id).summary()).unwrap()
}

fn sparse(path: &Path, len: u64) {
    fs::File::create(path).unwrap().set_len(len).unwrap();
}

fn deep(depth: usize) -> String {
    format!("{}{}", "[".repeat(depth), "]".repeat(depth))
}

struct Bucket {
    server: TestServer,
    store: S3Store,
    _dir: tempfile::TempDir,
}

fn bucket() -> Bucket {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = builder(&server, dir.path(), "hostile")
        .prefix(PREFIX)
        .max_attempts(1)
        .build_blocking()
        .unwrap();
    store.put_now(&recording(&id(1))).unwrap();
    Bucket {
        server,
        store,
        _dir: dir,
    }
}

fn kind(err: &StoreError) -> &'static str {
    match err {
        StoreError::Corrupt { .. } => "corrupt",
        StoreError::TooLarge { .. } => "too large",
        StoreError::TooDeep { .. } => "too deep",
        StoreError::Misplaced { .. } => "misplaced",
        StoreError::NotARecording { .. } => "not a recording",
        _ => "other",
    }
}

#[test]
fn hostile_index_objects_give_one_error_each_beside_the_good_recording() {
    let b = bucket();
    let truncated = summary_json(&id(2));
    fs::write(
        object(&b.server, &index_key(&id(2))),
        &truncated[..truncated.len() / 2],
    )
    .unwrap();
    sparse(&object(&b.server, &index_key(&id(3))), OVER);
    let nested = summary_json(&id(4)).replacen(
        "\"metadata\":{}",
        &format!("\"metadata\":{{\"x\":{}}}", deep(100_000)),
        1,
    );
    assert!(nested.len() > 100_000);
    fs::write(object(&b.server, &index_key(&id(4))), nested).unwrap();
    let mut bad_utf8 = summary_json(&id(5))
        .replacen("checkout", "check\u{1}ut", 1)
        .into_bytes();
    let at = bad_utf8.iter().position(|c| *c == 1).unwrap();
    bad_utf8[at] = 0xFF;
    fs::write(object(&b.server, &index_key(&id(5))), bad_utf8).unwrap();
    fs::write(object(&b.server, &index_key(&id(6))), summary_json(&id(7))).unwrap();

    let entries = b.store.list(&Query::all()).unwrap();
    assert_eq!(entries.len(), 6, "{entries:?}");
    let good: Vec<_> = entries.iter().filter_map(|e| e.as_ref().ok()).collect();
    assert_eq!(good.len(), 1);
    assert_eq!(good[0].id, id(1));
    let mut kinds: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.as_ref().err())
        .map(kind)
        .collect();
    kinds.sort_unstable();
    assert_eq!(
        kinds,
        ["corrupt", "corrupt", "misplaced", "too deep", "too large"]
    );
    let too_large = entries
        .iter()
        .find_map(|e| match e {
            Err(StoreError::TooLarge {
                origin,
                size,
                limit,
            }) => Some((origin.clone(), *size, *limit)),
            _ => None,
        })
        .unwrap();
    assert_eq!(too_large.1, OVER);
    assert_eq!(too_large.2, MAX_RECORDING_BYTES);
    assert!(too_large.0.ends_with(&index_key(&id(3))), "{}", too_large.0);
    // find: the good recording loads, and every bad index entry is still an error.
    let found = b.store.find(&Query::all()).unwrap();
    assert_eq!(found.iter().filter(|f| f.is_ok()).count(), 1);
    assert_eq!(found.len(), 6);
}

#[test]
fn hostile_bodies_are_errors_naming_the_limit_and_never_inflate_past_it() {
    let b = bucket();
    let json = String::from_utf8(recording(&id(2)).to_json().unwrap()).unwrap();
    fs::write(
        object(&b.server, &body_key(&id(2))),
        &json[..json.len() / 2],
    )
    .unwrap();
    sparse(&object(&b.server, &body_key(&id(3))), OVER);
    // About 2 KB of zstd that inflates to 65 MiB of spaces inside a string.
    let bomb = {
        let mut text = b"{\"format_version\": \"1.1\", \"x\": \"".to_vec();
        text.resize(
            usize::try_from(MAX_RECORDING_BYTES).unwrap() + (1 << 20),
            b' ',
        );
        zstd::bulk::compress(&text, 3).unwrap()
    };
    assert!(bomb.len() < 64 * 1024, "{}", bomb.len());
    fs::write(object(&b.server, &body_key(&id(4))), bomb).unwrap();
    let nested = String::from_utf8(recording(&id(5)).to_json().unwrap())
        .unwrap()
        .replacen(
            "\"metadata\": {}",
            &format!("\"metadata\": {{\"x\": {}}}", deep(100_000)),
            1,
        );
    fs::write(object(&b.server, &body_key(&id(5))), nested).unwrap();
    let cut_frame = zstd::bulk::compress(json.as_bytes(), 3).unwrap();
    fs::write(
        object(&b.server, &body_key(&id(6))),
        &cut_frame[..cut_frame.len() / 2],
    )
    .unwrap();
    fs::write(
        object(&b.server, &body_key(&id(7))),
        recording(&id(8)).to_json().unwrap(),
    )
    .unwrap();

    let get = |n| b.store.get(&id(n)).unwrap_err();
    assert_eq!(kind(&get(2)), "corrupt");
    let err = get(3);
    assert!(
        matches!(err, StoreError::TooLarge { size, .. } if size == OVER),
        "{err}"
    );
    assert!(err.to_string().contains("MAX_RECORDING_BYTES"), "{err}");
    let err = get(4);
    assert!(
        matches!(err, StoreError::TooLarge { size, limit, .. } if size == limit + 1 && limit == MAX_RECORDING_BYTES),
        "{err}"
    );
    let err = get(5);
    assert!(
        matches!(err, StoreError::TooDeep { limit, .. } if limit == MAX_JSON_DEPTH),
        "{err}"
    );
    assert!(
        get(6)
            .to_string()
            .contains("corrupt or truncated zstd frame")
    );
    assert_eq!(kind(&get(7)), "misplaced");
    assert_eq!(b.store.get(&id(1)).unwrap().id, id(1));
}

/// The files of `fuzz/corpus/<target>` and `fuzz/regressions/<target>`.
fn fuzz_inputs(target: &str) -> Vec<Vec<u8>> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            found.push(fs::read(entry.unwrap().path()).unwrap());
        }
    }
    assert!(!found.is_empty(), "no inputs for {target}");
    found
}

#[test]
fn the_body_reader_keeps_its_properties_on_every_fuzz_seed_and_regression() {
    let inputs = fuzz_inputs("recording_reader");
    let zstd = inputs
        .iter()
        .filter(|i| i.starts_with(&[0x28, 0xB5, 0x2F, 0xFD]))
        .count();
    assert!(zstd >= 8, "compressed seeds: {zstd}");
    for input in inputs {
        playback_s3::__fuzz::recording_body(&input);
    }
}

#[test]
fn the_index_reader_keeps_its_properties_on_every_fuzz_seed_and_regression() {
    for input in fuzz_inputs("index_object") {
        playback_s3::__fuzz::index_object(&input);
    }
}
