//! Put, get, delete, compression, storage class, read-only, transient, cache,
//! sampling and retries.

use std::sync::Arc;
use std::time::Duration;

use parking_lot::Mutex;
use playback_s3::S3Store;
use playback_store::{Query, Recording, RecordingId, Store, StoreError};
use time::macros::datetime;

use crate::support::{self, BUCKET, TestServer, block_on, raw_client, recording};

const FLUSH: Duration = Duration::from_secs(30);

fn body_key(store: &S3Store, id: &RecordingId) -> String {
    format!("{}recordings/{id}.json", store.prefix())
}

fn list_keys(server: &TestServer, prefix: &str) -> Vec<String> {
    let client = raw_client(server);
    block_on(async {
        let out = client
            .list_objects_v2()
            .bucket(BUCKET)
            .prefix(prefix)
            .send()
            .await
            .expect("list");
        out.contents()
            .iter()
            .filter_map(|o| o.key().map(str::to_owned))
            .collect()
    })
}

/// The bytes of an object, read with a plain client.
fn object_bytes(server: &TestServer, key: &str) -> Vec<u8> {
    let client = raw_client(server);
    block_on(async {
        let out = client
            .get_object()
            .bucket(BUCKET)
            .key(key)
            .send()
            .await
            .expect("get");
        out.body.collect().await.unwrap().into_bytes().to_vec()
    })
}

#[test]
fn put_get_delete_round_trip_over_http() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    // Three recordings, one pack: it leaves when it holds three.
    let store = support::builder(&server, dir.path(), "roundtrip")
        .pack_max_recordings(3)
        .pack_max_delay(Duration::from_secs(600))
        .build_blocking()
        .unwrap();
    let recs: Vec<Recording> = (0..3)
        .map(|i| {
            let at = datetime!(2026-03-01 10:00 UTC) + time::Duration::minutes(i);
            let mut rec = recording("checkout", at);
            rec.id = RecordingId::generate_at(datetime!(2026-03-01 10:00:01 UTC));
            rec
        })
        .collect();
    for rec in &recs {
        store.put(rec).unwrap();
    }
    assert!(store.flush(FLUSH));
    assert_eq!(store.counter("s3_uploaded"), 3);
    for rec in &recs {
        let back = store.get(rec.id()).unwrap();
        assert_eq!(back.to_json().unwrap(), rec.to_json().unwrap());
    }
    let mut keys = list_keys(&server, store.prefix());
    keys.sort();
    let p = store.prefix();
    assert_eq!(
        keys.len(),
        3,
        "one pack, its directory, one index object: {keys:?}"
    );
    assert!(
        keys[0].starts_with(&format!("{p}index/checkout/2026/03/01/")),
        "{keys:?}"
    );
    assert!(keys[0].ends_with(".pack.json"), "{keys:?}");
    assert!(keys[1].starts_with(&format!("{p}packs/2026/03/01/10/00/")));
    assert!(keys[1].ends_with(".dir.json") && keys[2].ends_with(".pack"));
    let pack_key = keys[2].clone();
    let pack = String::from_utf8(object_bytes(&server, &pack_key)).unwrap();
    assert!(recs.iter().all(|r| pack.contains(r.id.as_str())), "{pack}");

    store.delete(recs[0].id()).unwrap();
    assert!(matches!(
        store.get(recs[0].id()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        store.delete(recs[0].id()),
        Err(StoreError::NotFound { .. })
    ));
    let left: Vec<_> = store
        .list(&Query::category("checkout"))
        .unwrap()
        .into_iter()
        .map(|e| e.unwrap().id)
        .collect();
    assert_eq!(
        left,
        [recs[2].id.clone(), recs[1].id.clone()],
        "newest first"
    );
    let pack = String::from_utf8(object_bytes(&server, &pack_key)).unwrap();
    assert!(!pack.contains(recs[0].id.as_str()), "its bytes are gone");
    assert!(pack.contains(recs[1].id.as_str()));
    assert_eq!(store.get(recs[2].id()).unwrap().id, recs[2].id);
    store.delete(recs[1].id()).unwrap();
    store.delete(recs[2].id()).unwrap();
    assert!(
        list_keys(&server, store.prefix()).is_empty(),
        "the last recording of a pack takes its objects along"
    );
}

#[test]
fn large_recordings_are_zstd_compressed_with_content_encoding_and_round_trip() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    // One object per recording: each carries its own Content-Encoding (packs: see
    // packs::large_recordings_in_a_pack_are_zstd_frames).
    let store = support::builder(&server, dir.path(), "zstd")
        .packed(false)
        .compress_above(2048)
        .build_blocking()
        .unwrap();
    let big = support::big_recording("report", 64);
    let small = recording("report", datetime!(2026-03-01 10:00 UTC));
    store.put(&big).unwrap();
    store.put(&small).unwrap();
    assert!(store.flush(FLUSH));

    let client = raw_client(&server);
    let (encoding, bytes) = block_on(async {
        let out = client
            .get_object()
            .bucket(BUCKET)
            .key(body_key(&store, big.id()))
            .send()
            .await
            .unwrap();
        let encoding = out.content_encoding().map(str::to_owned);
        (encoding, out.body.collect().await.unwrap().into_bytes())
    });
    assert_eq!(encoding.as_deref(), Some("zstd"));
    assert_eq!(&bytes[..4], &[0x28, 0xB5, 0x2F, 0xFD], "a zstd frame");
    let plain = big.to_json().unwrap();
    assert!(
        bytes.len() * 5 < plain.len(),
        "{} vs {}",
        bytes.len(),
        plain.len()
    );
    assert_eq!(store.get(big.id()).unwrap().to_json().unwrap(), plain);

    let (encoding, bytes) = block_on(async {
        let out = client
            .get_object()
            .bucket(BUCKET)
            .key(body_key(&store, small.id()))
            .send()
            .await
            .unwrap();
        let encoding = out.content_encoding().map(str::to_owned);
        (encoding, out.body.collect().await.unwrap().into_bytes())
    });
    assert_eq!(encoding, None);
    assert_eq!(
        bytes.first(),
        Some(&b'{'),
        "small recordings stay plain JSON"
    );
}

#[test]
fn bodies_above_the_threshold_are_written_as_standard_ia() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    // One object per recording (packs: see packs::large_recordings_go_to_packs_of_their_own_class).
    let store = support::builder(&server, dir.path(), "ia")
        .packed(false)
        .compress_above(usize::MAX)
        .infrequent_access_above_kb(8)
        .build_blocking()
        .unwrap();
    let big = support::big_recording("report", 16);
    let small = recording("report", datetime!(2026-03-01 10:00 UTC));
    store.put(&big).unwrap();
    store.put(&small).unwrap();
    assert!(store.flush(FLUSH));

    assert_eq!(
        server.storage_class(&body_key(&store, big.id())).as_deref(),
        Some("STANDARD_IA")
    );
    assert_eq!(server.storage_class(&body_key(&store, small.id())), None);
    let index_key = format!(
        "{}index/report/{}",
        store.prefix(),
        big.recorded_at.date().to_string().replace('-', "/")
    );
    assert_eq!(
        server.storage_class(&format!("{index_key}/{}.json", big.id())),
        None
    );
    // The class travels in the x-amz-storage-class header.
    let class = block_on(
        raw_client(&server)
            .head_object()
            .bucket(BUCKET)
            .key(body_key(&store, big.id()))
            .send(),
    )
    .unwrap()
    .storage_class()
    .cloned();
    assert_eq!(class, Some(aws_sdk_s3::types::StorageClass::StandardIa));
}

#[test]
fn read_only_store_refuses_every_write_and_still_reads() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let writer = support::builder(&server, dir.path(), "ro")
        .build_blocking()
        .unwrap();
    let rec = recording("checkout", datetime!(2026-03-01 10:00 UTC));
    writer.put(&rec).unwrap();
    assert!(writer.flush(FLUSH));
    let puts_before = server.requests("PutObject");

    let reader = S3Store::builder()
        .bucket(BUCKET)
        .prefix(writer.prefix())
        .endpoint_url(server.endpoint())
        .force_path_style(true)
        .credentials(support::ACCESS_KEY, support::SECRET_KEY)
        .read_only(true)
        .build_blocking()
        .unwrap();
    assert!(reader.is_read_only());
    assert_eq!(reader.spool_dir(), None);
    let other = recording("checkout", datetime!(2026-03-02 10:00 UTC));
    for err in [
        reader.put(&other).unwrap_err(),
        reader.put_now(&other).unwrap_err(),
        reader.delete(rec.id()).unwrap_err(),
        block_on(reader.put_async(&other)).unwrap_err(),
    ] {
        assert!(matches!(err, StoreError::ReadOnly { .. }), "{err:?}");
        assert!(
            err.to_string()
                .contains(&format!("s3://{BUCKET}/{}", writer.prefix())),
            "{err}"
        );
    }
    assert_eq!(reader.get(rec.id()).unwrap().id, rec.id);
    assert_eq!(reader.list(&Query::all()).unwrap().len(), 1);
    assert_eq!(server.requests("PutObject"), puts_before);
    assert_eq!(server.requests("DeleteObject"), 0);
}

#[test]
fn transient_store_deletes_what_it_wrote_on_close_and_nothing_else() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let keeper = support::builder(&server, dir.path(), "keep")
        .build_blocking()
        .unwrap();
    keeper
        .put(&recording("checkout", datetime!(2026-03-01 10:00 UTC)))
        .unwrap();
    assert!(keeper.flush(FLUSH));

    let transient = support::builder(&server, dir.path(), "transient")
        .transient(true)
        .build_blocking()
        .unwrap();
    for i in 0..5 {
        transient
            .put(&recording(
                "checkout",
                datetime!(2026-03-01 10:00 UTC) + time::Duration::days(i),
            ))
            .unwrap();
    }
    assert!(transient.flush(FLUSH));
    let prefix = transient.prefix().to_owned();
    assert!(
        list_keys(&server, &prefix).len() >= 7,
        "packs, directories, 5 index objects"
    );
    transient.close().unwrap();
    assert!(list_keys(&server, &prefix).is_empty());
    assert_eq!(
        list_keys(&server, keeper.prefix()).len(),
        3,
        "a pack, its directory and its index object"
    );
    assert!(transient.get(&RecordingId::generate()).is_err(), "closed");

    let err = support::builder(&server, dir.path(), "bad")
        .transient(true)
        .read_only(true)
        .build_blocking()
        .unwrap_err();
    assert!(err.to_string().contains("read-only"), "{err}");
}

#[test]
fn cache_serves_a_second_get_without_any_request_even_after_a_restart() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let cache = dir.path().join("cache");
    let builder = || {
        S3Store::builder()
            .bucket(BUCKET)
            .prefix("cached/")
            .endpoint_url(server.endpoint())
            .force_path_style(true)
            .credentials(support::ACCESS_KEY, support::SECRET_KEY)
            .spool_max_bytes(0)
    };
    let rec = support::big_recording("checkout", 32);
    let writer = builder().build_blocking().unwrap();
    writer.put_now(&rec).unwrap();

    let store = builder()
        .cache_dir(&cache)
        .read_only(true)
        .build_blocking()
        .unwrap();
    assert_eq!(
        store.get(rec.id()).unwrap().to_json().unwrap(),
        rec.to_json().unwrap()
    );
    let requests = server.total_requests();
    let gets = server.requests("GetObject");
    assert_eq!(store.get(rec.id()).unwrap().id, rec.id);
    assert_eq!(
        server.total_requests(),
        requests,
        "the second get made no request"
    );
    assert_eq!(store.counter("s3_cache_hits"), 1);
    drop(store);

    // Another process with the same cache directory.
    let again = builder()
        .cache_dir(&cache)
        .read_only(true)
        .build_blocking()
        .unwrap();
    assert_eq!(again.get(rec.id()).unwrap().id, rec.id);
    assert_eq!(server.requests("GetObject"), gets);
    let files: Vec<String> = walk(&cache);
    assert_eq!(
        files.len(),
        1,
        "one cached file, no temporary left: {files:?}"
    );
    assert!(files[0].ends_with(&format!("{}.json", rec.id())));
}

fn walk(dir: &std::path::Path) -> Vec<String> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_dir() {
            out.extend(walk(&entry.path()));
        } else {
            out.push(entry.path().display().to_string());
        }
    }
    out
}

#[test]
fn throttled_uploads_are_retried_with_backoff_and_counted() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "throttle")
        .max_attempts(4)
        .build_blocking()
        .unwrap();
    server.throttle_next(2);
    let rec = recording("checkout", datetime!(2026-03-01 10:00 UTC));
    store.put(&rec).unwrap();
    assert!(store.flush(FLUSH));
    assert_eq!(store.counter("s3_retried"), 2);
    assert_eq!(store.counter("s3_uploaded"), 1);
    assert_eq!(store.counter("s3_spooled"), 0);
    assert_eq!(store.get(rec.id()).unwrap().id, rec.id);
}

#[test]
fn sampling_calculator_gets_category_and_stored_size_and_decides() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let seen: Arc<Mutex<Vec<(String, usize)>>> = Arc::default();
    let log = seen.clone();
    // One object per recording, so the stored size is an object's size.
    let store = support::builder(&server, dir.path(), "sampling")
        .packed(false)
        .compress_above(1024)
        .sampling(move |category, size, _rec| {
            log.lock().push((category.to_owned(), size));
            match category {
                "noisy" => 0.0,
                "half" => 0.5,
                _ => 1.0,
            }
        })
        .sampling_seed(110613)
        .build_blocking()
        .unwrap();
    let at = datetime!(2026-03-01 10:00 UTC);
    for i in 0..5 {
        store
            .put(&recording("noisy", at + time::Duration::seconds(i)))
            .unwrap();
    }
    for i in 0..200 {
        store
            .put(&recording("half", at + time::Duration::seconds(i)))
            .unwrap();
    }
    let big = support::big_recording("kept", 32);
    store.put(&big).unwrap();
    assert!(store.flush(FLUSH));

    let count = |category: &str| store.list(&Query::category(category)).unwrap().len();
    assert_eq!(count("noisy"), 0);
    assert_eq!(count("kept"), 1);
    let half = count("half");
    assert!((70..=130).contains(&half), "about half of 200 kept: {half}");
    assert_eq!(store.counter("s3_sampled_out"), (5 + 200 - half) as u64);
    // The calculator sees the stored (compressed) size.
    let stored = block_on(
        raw_client(&server)
            .head_object()
            .bucket(BUCKET)
            .key(body_key(&store, big.id()))
            .send(),
    )
    .unwrap()
    .content_length()
    .unwrap();
    let seen = seen.lock();
    let (_, size) = seen.iter().find(|(c, _)| c == "kept").unwrap();
    assert_eq!(*size as i64, stored);
    assert!((*size) < big.to_json().unwrap().len() / 4);
}

#[test]
fn putting_an_id_again_under_another_category_moves_its_index_entry() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "replace")
        .build_blocking()
        .unwrap();
    let first = recording("draft", datetime!(2026-03-01 10:00 UTC));
    store.put_now(&first).unwrap();
    let mut moved = recording("final", datetime!(2026-03-05 10:00 UTC));
    moved.id = first.id.clone();
    store.put_now(&moved).unwrap();
    assert!(store.list(&Query::category("draft")).unwrap().is_empty());
    let listed = store.list(&Query::category("final")).unwrap();
    assert_eq!(listed.len(), 1);
    assert_eq!(listed[0].as_ref().unwrap().id, first.id);
    assert_eq!(store.get(&first.id).unwrap().category, "final");
}

#[test]
fn async_methods_and_sync_calls_work_inside_a_tokio_runtime() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let store = support::builder(&server, dir.path(), "async")
            .build()
            .await
            .unwrap();
        store.check().await.unwrap();
        let rec = recording("checkout", datetime!(2026-03-01 10:00 UTC));
        store.put_async(&rec).await.unwrap();
        assert_eq!(store.get_async(rec.id()).await.unwrap().id, rec.id);
        let query = Query::category("checkout");
        assert_eq!(store.list_async(&query).await.unwrap().len(), 1);
        assert_eq!(store.find_async(&query).await.unwrap().len(), 1);
        // The sync API inside a runtime: no `block_on` panic.
        assert_eq!(store.get(rec.id()).unwrap().id, rec.id);
        store.delete_async(rec.id()).await.unwrap();
        assert!(matches!(
            store.get_async(rec.id()).await,
            Err(StoreError::NotFound { .. })
        ));
        // Dropping the store inside the runtime does not panic either.
        drop(store);
    });
}
