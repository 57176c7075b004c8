//! Typed errors: credentials, missing bucket, network; ids and categories checked
//! exactly like `DirStore`.

use playback_s3::{S3Error, S3ErrorKind, S3Store};
use playback_store::{DirStore, Query, Recording, RecordingId, Store, StoreError};
use time::macros::datetime;

use crate::support::{ACCESS_KEY, BUCKET, SECRET_KEY, TestServer, recording};

fn store_with(server: &TestServer, bucket: &str, access_key: &str, secret: &str) -> S3Store {
    S3Store::builder()
        .bucket(bucket)
        .prefix("errors/")
        .endpoint_url(server.endpoint())
        .force_path_style(true)
        .credentials(access_key, secret)
        .max_attempts(1)
        .spool_max_bytes(0)
        .build_blocking()
        .unwrap()
}

fn s3_error(err: &StoreError) -> &S3Error {
    S3Error::from_store_error(err).unwrap_or_else(|| panic!("not an S3 error: {err:?}"))
}

#[test]
fn wrong_secret_gives_a_credentials_error_naming_request_bucket_and_key() {
    let server = TestServer::start(BUCKET);
    let store = store_with(&server, BUCKET, ACCESS_KEY, "not-the-secret");
    let rec = recording("checkout", datetime!(2026-03-01 10:00 UTC));

    let err = store.put_now(&rec).unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::Credentials));
    let text = err.to_string();
    assert!(
        text.starts_with(
            "s3 store failed to put: PutObject on bucket `recordings` key `errors/packs/"
        ),
        "{text}"
    );
    assert!(text.contains("credentials were rejected"), "{text}");
    assert!(text.contains("SignatureDoesNotMatch"), "{text}");

    let err = store.get(rec.id()).unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::Credentials));
    assert!(
        // A ULID's pack is found by listing its minute's folder first.
        err.to_string()
            .contains("ListObjectsV2 on bucket `recordings`"),
        "{err}"
    );

    let err = store.list(&Query::category("checkout")).unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::Credentials));
    assert!(err.to_string().contains("ListObjectsV2"), "{err}");

    let err = store.check_blocking().unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::Credentials));
}

#[test]
fn unknown_access_key_is_a_credentials_error_too() {
    let server = TestServer::start(BUCKET);
    let store = store_with(&server, BUCKET, "AKIAUNKNOWNKEY000000", SECRET_KEY);
    let err = store
        .put_now(&recording("checkout", datetime!(2026-03-01 10:00 UTC)))
        .unwrap_err();
    let s3 = s3_error(&err);
    assert_eq!(s3.kind(), Some(S3ErrorKind::Credentials));
    match s3 {
        // AWS answers `InvalidAccessKeyId`, s3s `NotSignedUp`.
        S3Error::Request { code, bucket, .. } => {
            assert!(code.is_some());
            assert_eq!(bucket, BUCKET);
        }
        other => panic!("{other:?}"),
    }
    assert!(
        err.to_string().contains("credentials were rejected"),
        "{err}"
    );
}

#[test]
fn missing_bucket_gives_a_no_such_bucket_error() {
    let server = TestServer::start(BUCKET);
    let store = store_with(&server, "no-such-bucket", ACCESS_KEY, SECRET_KEY);
    let err = store.check_blocking().unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::NoSuchBucket));
    assert!(
        err.to_string().contains("the bucket does not exist"),
        "{err}"
    );

    assert!(err.to_string().contains("bucket `no-such-bucket`"), "{err}");
    let err = store.list(&Query::category("checkout")).unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::NoSuchBucket));
    // (s3s-fs creates a missing bucket on the first PutObject, so puts are not
    // checked here; AWS answers them with NoSuchBucket too.)
}

#[test]
fn stopped_server_gives_a_network_error() {
    let server = TestServer::start(BUCKET);
    let store = store_with(&server, BUCKET, ACCESS_KEY, SECRET_KEY);
    server.stop();
    let err = store
        .put_now(&recording("checkout", datetime!(2026-03-01 10:00 UTC)))
        .unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::Network));
    assert!(
        err.to_string().contains("could not reach the endpoint"),
        "{err}"
    );
    let err = store.list(&Query::category("checkout")).unwrap_err();
    assert_eq!(s3_error(&err).kind(), Some(S3ErrorKind::Network));
}

#[test]
fn missing_recording_is_not_found() {
    let server = TestServer::start(BUCKET);
    let store = store_with(&server, BUCKET, ACCESS_KEY, SECRET_KEY);
    let id = RecordingId::generate();
    let err = store.get(&id).unwrap_err();
    assert!(matches!(&err, StoreError::NotFound { id: missing } if *missing == id.to_string()));
    assert!(matches!(
        store.delete(&id),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn categories_and_ids_are_checked_exactly_like_dir_store() {
    let server = TestServer::start(BUCKET);
    let store = store_with(&server, BUCKET, ACCESS_KEY, SECRET_KEY);
    let dir = tempfile::tempdir().unwrap();
    let local = DirStore::new(dir.path()).unwrap();
    let requests = server.total_requests();
    for bad in ["", "..", "../x", "a/b", "a\\b", ".hidden", "a\nb"] {
        let rec = Recording::builder(bad).build();
        let s3 = store.put(&rec).unwrap_err();
        let fs = local.put(&rec).unwrap_err();
        assert!(
            matches!(s3, StoreError::InvalidCategory { .. }),
            "{bad:?}: {s3:?}"
        );
        assert_eq!(s3.to_string(), fs.to_string());
        let s3 = store.list(&Query::category(bad)).unwrap_err();
        let fs = local.list(&Query::category(bad)).unwrap_err();
        assert_eq!(s3.to_string(), fs.to_string());
    }
    assert_eq!(
        server.total_requests(),
        requests,
        "rejected before any request"
    );
    // Ids from outside go through the same parser, and a hostile id in an index
    // object is refused when it is read.
    for bad in ["../../etc/passwd", "a/b", "x.json", ""] {
        assert!(matches!(
            RecordingId::parse(bad),
            Err(StoreError::InvalidId { .. })
        ));
    }
}
