//! Packs (the default layout): many recordings per object, with a directory and index
//! objects; read back by id, listed, found, deleted; through an outage; corrupt pack
//! objects; and buckets written in the one-object-per-recording layout.

use std::fs;
use std::path::PathBuf;
use std::time::Duration;

use playback_s3::S3Store;
use playback_store::{Query, Recording, RecordingId, Store, StoreError};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::support::{self, BUCKET, TestServer, block_on, raw_client, recording};

const FLUSH: Duration = Duration::from_secs(60);

/// Every key under `prefix`.
fn keys(server: &TestServer, prefix: &str) -> Vec<String> {
    let client = raw_client(server);
    block_on(async {
        let mut keys = Vec::new();
        let mut token = None;
        loop {
            let out = client
                .list_objects_v2()
                .bucket(BUCKET)
                .prefix(prefix)
                .set_continuation_token(token)
                .send()
                .await
                .expect("list");
            keys.extend(
                out.contents()
                    .iter()
                    .filter_map(|o| o.key().map(str::to_owned)),
            );
            match out.next_continuation_token() {
                Some(next) => token = Some(next.to_owned()),
                None => return keys,
            }
        }
    })
}

/// The loopback server's file for a key.
fn file(server: &TestServer, key: &str) -> PathBuf {
    server.root().join(BUCKET).join(key)
}

/// `n` recordings of two categories over three days, ids in the same few minutes.
fn recordings(n: usize) -> Vec<Recording> {
    let at = datetime!(2026-04-10 12:00 UTC);
    (0..n)
        .map(|i| {
            let category = if i % 3 == 0 { "refund" } else { "checkout" };
            let mut rec = recording(category, at + time::Duration::days((i % 3) as i64));
            rec.id = RecordingId::generate_at(at + time::Duration::milliseconds(i as i64 * 37));
            rec
        })
        .collect()
}

#[test]
fn packed_recordings_round_trip_through_get_list_find_and_delete() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "packs")
        .pack_max_recordings(100)
        .cache_dir(dir.path().join("cache"))
        .build_blocking()
        .unwrap();
    let recs = recordings(600);
    for rec in &recs {
        store.put(rec).unwrap();
    }
    assert!(store.flush(FLUSH));
    assert_eq!(store.counter("s3_uploaded"), 600);
    let puts = server.requests("PutObject");
    // At most 100 a pack: at least 6 packs, each with a directory and at most 6 index
    // objects (2 categories x 3 days); 1,200 with one object each.
    assert!(puts <= 150, "{puts} PutObject requests for 600 recordings");
    let all = keys(&server, store.prefix());
    assert!(all.iter().any(|k| k.ends_with(".pack")), "{all:?}");
    assert!(all.iter().all(|k| !k.contains("/recordings/")), "{all:?}");

    let checkout = store.list(&Query::category("checkout")).unwrap();
    assert_eq!(checkout.len(), 400);
    assert!(checkout.iter().all(Result::is_ok));
    let one_day = Query::category("checkout")
        .from(datetime!(2026-04-11 00:00 UTC))
        .until(datetime!(2026-04-11 23:59 UTC));
    let found = store.find(&one_day).unwrap();
    let expected: Vec<&Recording> = recs
        .iter()
        .filter(|r| r.category == "checkout" && r.recorded_at.day() == 11)
        .collect();
    assert_eq!(found.len(), expected.len());
    assert_eq!(found.len(), 200);
    for rec in found {
        let rec = rec.unwrap();
        let original = recs.iter().find(|r| r.id == rec.id).unwrap();
        assert_eq!(rec.to_json().unwrap(), original.to_json().unwrap());
    }

    // By id alone, then from the cache without a request.
    let target = &recs[321];
    assert_eq!(
        store.get(target.id()).unwrap().to_json().unwrap(),
        target.to_json().unwrap()
    );
    let requests = server.total_requests();
    assert_eq!(store.get(target.id()).unwrap().id, target.id);
    assert_eq!(server.total_requests(), requests, "served by the cache");

    store.delete(target.id()).unwrap();
    assert!(matches!(
        store.get(target.id()),
        Err(StoreError::NotFound { .. })
    ));
    let listed = store.list(&Query::category(&target.category)).unwrap();
    assert!(listed.iter().all(|e| e.as_ref().unwrap().id != target.id));
    assert_eq!(
        listed.len() + 1,
        if target.category == "refund" {
            200
        } else {
            400
        }
    );
    // Its neighbours in the pack still read.
    for rec in [&recs[320], &recs[322]] {
        assert_eq!(store.get(rec.id()).unwrap().id, rec.id);
    }
}

/// Writes an object with a plain client (so the server keeps a matching checksum).
fn put_raw(server: &TestServer, key: &str, bytes: impl Into<Vec<u8>>) {
    let body = aws_sdk_s3::primitives::ByteStream::from(bytes.into());
    block_on(
        raw_client(server)
            .put_object()
            .bucket(BUCKET)
            .key(key)
            .body(body)
            .send(),
    )
    .expect("put");
}

/// Two recordings with ids in the same minute.
fn big_and_small() -> (Recording, Recording) {
    let mut big = support::big_recording("report", 16);
    let mut small = recording("report", datetime!(2026-03-01 10:00 UTC));
    let at = OffsetDateTime::now_utc();
    big.id = RecordingId::generate_at(at);
    small.id = RecordingId::generate_at(at);
    (big, small)
}

#[test]
fn large_recordings_are_zstd_frames_inside_their_pack() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "zstdpacks")
        .compress_above(2048)
        .build_blocking()
        .unwrap();
    let (big, small) = big_and_small();
    store.put(&big).unwrap();
    store.put(&small).unwrap();
    assert!(store.flush(FLUSH));
    let all = keys(&server, store.prefix());
    let dir_key = all.iter().find(|k| k.ends_with(".dir.json")).unwrap();
    let pack_key = all.iter().find(|k| k.ends_with(".pack")).unwrap();
    let directory: serde_json::Value =
        serde_json::from_slice(&fs::read(file(&server, dir_key)).unwrap()).unwrap();
    let entry = directory["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["id"] == big.id.as_str())
        .unwrap();
    let (offset, len) = (
        entry["offset"].as_u64().unwrap(),
        entry["len"].as_u64().unwrap(),
    );
    let pack = fs::read(file(&server, pack_key)).unwrap();
    let frame = &pack[offset as usize..(offset + len) as usize];
    assert_eq!(&frame[..4], &[0x28, 0xB5, 0x2F, 0xFD], "a zstd frame");
    let plain = big.to_json().unwrap();
    assert!(
        frame.len() * 5 < plain.len(),
        "{} vs {}",
        frame.len(),
        plain.len()
    );
    assert_eq!(store.get(big.id()).unwrap().to_json().unwrap(), plain);
    assert_eq!(store.get(small.id()).unwrap().id, small.id);
}

#[test]
fn large_recordings_go_to_packs_of_their_own_storage_class() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "iapacks")
        .compress_above(usize::MAX)
        .infrequent_access_above_kb(8)
        .build_blocking()
        .unwrap();
    let (big, small) = big_and_small();
    store.put(&big).unwrap();
    store.put(&small).unwrap();
    assert!(store.flush(FLUSH));
    let packs: Vec<String> = keys(&server, store.prefix())
        .into_iter()
        .filter(|k| k.ends_with(".pack"))
        .collect();
    assert_eq!(packs.len(), 2, "one pack per storage class: {packs:?}");
    let mut classes: Vec<Option<String>> = packs.iter().map(|k| server.storage_class(k)).collect();
    classes.sort();
    assert_eq!(classes, [None, Some("STANDARD_IA".to_owned())]);
    assert_eq!(store.get(big.id()).unwrap().id, big.id);
    assert_eq!(store.get(small.id()).unwrap().id, small.id);
}

#[test]
fn a_pack_upload_that_fails_in_an_outage_is_spooled_and_lands_as_packs_later() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    // Small packs: draining reads at most a pack's worth of the spool at a time.
    let store = support::builder(&server, dir.path(), "packoutage")
        .max_attempts(2)
        .pack_max_bytes(64 * 1024)
        .build_blocking()
        .unwrap();
    server.stop();
    let recs = recordings(300);
    for rec in &recs {
        store.put(rec).unwrap();
    }
    assert!(store.flush(FLUSH), "queued packs end in the spool");
    assert_eq!(store.spooled(), 300);
    assert!(store.in_outage());
    assert_eq!(store.counter("s3_uploaded"), 0);

    server.restart();
    let puts = server.requests("PutObject");
    assert!(store.drain(FLUSH));
    assert_eq!(store.counter("s3_uploaded"), 300);
    assert_eq!(store.counter("s3_dropped_over_cap"), 0);
    let puts = server.requests("PutObject") - puts;
    assert!(
        puts <= 150,
        "{puts} PutObject requests: the spool is uploaded in packs of at most 64 KiB \
         (one object per recording would take 600)"
    );
    let packs = keys(&server, store.prefix())
        .into_iter()
        .filter(|k| k.ends_with(".pack"))
        .count();
    let spooled_bytes: usize = recs
        .iter()
        .map(|r| serde_json::to_vec(r).unwrap().len())
        .sum();
    assert!(
        packs > spooled_bytes / (64 * 1024),
        "{packs} packs for {spooled_bytes} bytes: at most 64 KiB of the spool at a time"
    );
    assert_eq!(store.list(&Query::category("checkout")).unwrap().len(), 200);
    assert_eq!(store.list(&Query::category("refund")).unwrap().len(), 100);
    assert_eq!(store.get(recs[7].id()).unwrap().id, recs[7].id);
}

/// A store with one pack of three recordings; returns the pack's, its directory's and
/// its index object's keys.
fn one_pack(server: &TestServer, dir: &std::path::Path) -> (S3Store, Vec<Recording>, [String; 3]) {
    let store = support::builder(server, dir, "corrupt")
        .max_attempts(1)
        .build_blocking()
        .unwrap();
    let at = datetime!(2026-05-01 08:00 UTC);
    let recs: Vec<Recording> = (0..3)
        .map(|i| {
            let mut rec = recording("checkout", at);
            rec.id = RecordingId::generate_at(at + time::Duration::milliseconds(i));
            rec
        })
        .collect();
    for rec in &recs {
        store.put(rec).unwrap();
    }
    assert!(store.flush(FLUSH));
    let all = keys(server, store.prefix());
    let find = |suffix: &str| {
        let found: Vec<&String> = all.iter().filter(|k| k.ends_with(suffix)).collect();
        assert_eq!(found.len(), 1, "{all:?}");
        found[0].clone()
    };
    let keys = [find(".pack"), find(".dir.json"), find(".pack.json")];
    (store, recs, keys)
}

#[test]
fn corrupt_or_truncated_pack_objects_are_typed_errors_never_panics() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();

    // A truncated pack: the recordings past the cut are errors naming the pack.
    let (store, recs, [pack, _, _]) = one_pack(&server, dir.path());
    let bytes = fs::read(file(&server, &pack)).unwrap();
    fs::write(file(&server, &pack), &bytes[..bytes.len() / 2]).unwrap();
    let err = store.get(recs[2].id()).unwrap_err();
    assert!(matches!(err, StoreError::Backend { .. }), "{err:?}");
    assert!(err.to_string().contains("corrupt or truncated"), "{err}");
    assert!(err.to_string().contains(&pack), "{err}");
    assert_eq!(
        store.get(recs[0].id()).unwrap().id,
        recs[0].id,
        "before the cut"
    );
    let found = store.find(&Query::category("checkout")).unwrap();
    assert_eq!(found.len(), 3);
    // The cut falls inside the second recording: it and the third are errors.
    assert_eq!(found.iter().filter(|r| r.is_err()).count(), 2, "{found:?}");

    // Garbage bytes at a recording's place.
    let mut garbled = bytes.clone();
    garbled[10..40].fill(b'#');
    fs::write(file(&server, &pack), &garbled).unwrap();
    let err = store.get(recs[0].id()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");

    // A directory that is not JSON, and one with a newer format.
    let (store, recs, [_, dir_key, index]) = one_pack(&server, dir.path());
    put_raw(&server, &dir_key, &b"{\"version\":1,\"pack\":"[..]);
    let err = store.get(recs[1].id()).unwrap_err();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err:?}");
    assert!(err.to_string().contains(&dir_key), "{err}");
    put_raw(
        &server,
        &dir_key,
        &b"{\"version\":9,\"pack\":\"x\",\"entries\":[]}"[..],
    );
    let err = store.get(recs[1].id()).unwrap_err();
    assert!(
        matches!(err, StoreError::UnsupportedVersion { .. }),
        "{err:?}"
    );

    // An index object that is cut, then one whose entry claims a huge range.
    let good = fs::read(file(&server, &index)).unwrap();
    put_raw(&server, &index, &good[..good.len() - 5]);
    let listed = store.list(&Query::category("checkout")).unwrap();
    assert_eq!(listed.len(), 1, "one error entry for the object");
    assert!(
        matches!(listed[0], Err(StoreError::Corrupt { .. })),
        "{listed:?}"
    );
    let text = String::from_utf8(good).unwrap();
    let huge = text.replacen("\"len\":", "\"len\":99999999999", 1);
    put_raw(&server, &index, huge);
    let listed = store.list(&Query::category("checkout")).unwrap();
    assert_eq!(listed.len(), 3);
    assert_eq!(
        listed
            .iter()
            .filter(|e| matches!(e, Err(StoreError::TooLarge { .. })))
            .count(),
        1,
        "{listed:?}"
    );
}

#[test]
fn a_bucket_in_the_one_object_layout_still_reads_beside_new_packs() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let prefix = support::unique_prefix("oldlayout");
    let old = support::builder(&server, dir.path(), "old")
        .prefix(prefix.clone())
        .packed(false)
        .build_blocking()
        .unwrap();
    let old_recs = recordings(20);
    for rec in &old_recs {
        old.put(rec).unwrap();
    }
    assert!(old.flush(FLUSH));
    old.close().unwrap();
    assert_eq!(
        keys(&server, &format!("{prefix}recordings/")).len(),
        20,
        "one object each"
    );

    let store = support::builder(&server, dir.path(), "new")
        .prefix(prefix.clone())
        .build_blocking()
        .unwrap();
    let new_recs = recordings(10);
    for rec in &new_recs {
        store.put(rec).unwrap();
    }
    assert!(store.flush(FLUSH));
    assert!(keys(&server, &format!("{prefix}packs/")).len() >= 2);
    for rec in old_recs.iter().chain(&new_recs) {
        assert_eq!(
            store.get(rec.id()).unwrap().to_json().unwrap(),
            rec.to_json().unwrap()
        );
    }
    // 13 + 6 checkouts, 7 + 4 refunds (every third recording).
    let listed = store.list(&Query::category("checkout")).unwrap();
    assert_eq!(listed.len(), 19);
    let found = store.find(&Query::category("refund")).unwrap();
    assert_eq!(found.len(), 11);
    assert!(found.iter().all(Result::is_ok));
    store.delete(old_recs[1].id()).unwrap();
    store.delete(new_recs[1].id()).unwrap();
    assert_eq!(store.list(&Query::category("checkout")).unwrap().len(), 17);
    assert!(store.get(old_recs[1].id()).is_err() && store.get(new_recs[1].id()).is_err());
}
