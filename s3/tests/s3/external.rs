//! The same store against another S3 implementation, given by `PLAYBACK_S3_ENDPOINT`
//! (for example `moto_server -H 127.0.0.1 -p 5055`). Ignored by default; CI runs it
//! with `cargo test -p playback-s3 --test s3 -- --ignored external`.
//!
//! Optional variables: `PLAYBACK_S3_BUCKET` (default `playback-external`, created if
//! missing), `PLAYBACK_S3_ACCESS_KEY` / `PLAYBACK_S3_SECRET_KEY` (default `test`).

use std::time::Duration;

use aws_sdk_s3::config::{BehaviorVersion, Credentials, Region};
use playback_s3::S3Store;
use playback_store::{Cmp, MemoryStore, MetaFilter, Outcome, Query, Recording, Store, StoreError};
use time::macros::datetime;

use crate::support::{block_on, unique_prefix};

struct External {
    endpoint: String,
    bucket: String,
    access_key: String,
    secret_key: String,
}

impl External {
    fn from_env() -> External {
        let var =
            |name: &str, default: &str| std::env::var(name).unwrap_or_else(|_| default.to_owned());
        let endpoint = std::env::var("PLAYBACK_S3_ENDPOINT")
            .expect("set PLAYBACK_S3_ENDPOINT to the S3-compatible service to test against");
        External {
            endpoint,
            bucket: var("PLAYBACK_S3_BUCKET", "playback-external"),
            access_key: var("PLAYBACK_S3_ACCESS_KEY", "test"),
            secret_key: var("PLAYBACK_S3_SECRET_KEY", "test"),
        }
    }

    fn client(&self) -> aws_sdk_s3::Client {
        let conf = aws_sdk_s3::Config::builder()
            .behavior_version(BehaviorVersion::latest())
            .region(Region::new("us-east-1"))
            .endpoint_url(&self.endpoint)
            .credentials_provider(Credentials::new(
                &self.access_key,
                &self.secret_key,
                None,
                None,
                "test",
            ))
            .force_path_style(true)
            .build();
        aws_sdk_s3::Client::from_conf(conf)
    }

    fn builder(&self, prefix: &str) -> playback_s3::S3StoreBuilder {
        S3Store::builder()
            .bucket(&self.bucket)
            .prefix(prefix)
            .endpoint_url(&self.endpoint)
            .force_path_style(true)
            .credentials(&self.access_key, &self.secret_key)
    }
}

#[test]
#[ignore = "needs PLAYBACK_S3_ENDPOINT, an S3-compatible service such as moto_server"]
fn external_service_round_trip_filters_storage_class_and_transient() {
    let ext = External::from_env();
    let client = ext.client();
    block_on(async {
        if client
            .head_bucket()
            .bucket(&ext.bucket)
            .send()
            .await
            .is_err()
        {
            client
                .create_bucket()
                .bucket(&ext.bucket)
                .send()
                .await
                .expect("create the bucket");
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let prefix = unique_prefix(&format!("external-{}", std::process::id()));
    let store = ext
        .builder(&prefix)
        .spool_dir(dir.path().join("spool"))
        .compress_above(2048)
        .infrequent_access_above_kb(1)
        .transient(true)
        .build_blocking()
        .unwrap();
    store.check_blocking().unwrap();

    let memory = MemoryStore::new();
    for i in 0..12i64 {
        let rec = Recording::builder("checkout")
            .recorded_at(datetime!(2026-02-01 06:00 UTC) + time::Duration::hours(i * 8))
            .outcome(if i % 3 == 0 {
                Outcome::Error
            } else {
                Outcome::Ok
            })
            .metadata("tenant", ["acme", "globex"][(i % 2) as usize])
            .metadata("items", i)
            .build();
        store.put(&rec).unwrap();
        memory.put(&rec).unwrap();
    }
    // Random hex: zstd halves it, so the stored body stays above the IA threshold.
    let mut rng = fastrand::Rng::with_seed(7);
    let noise: Vec<String> = (0..256).map(|_| format!("{:016x}", rng.u64(..))).collect();
    let big = Recording::builder("report")
        .arg("noise", serde_json::value::to_raw_value(&noise).unwrap())
        .build();
    store.put(&big).unwrap();
    assert!(store.flush(Duration::from_secs(60)));
    assert_eq!(store.counter("s3_uploaded"), 13);

    for query in [
        Query::category("checkout"),
        Query::category("checkout").metadata("tenant", "acme"),
        Query::category("checkout").metadata("items", MetaFilter::cmp(Cmp::Ge, 5)),
        Query::category("checkout")
            .metadata("tenant", MetaFilter::glob("g*"))
            .outcome(Outcome::Ok),
        Query::category("checkout")
            .from(datetime!(2026-02-02 00:00 UTC))
            .until(datetime!(2026-02-02 23:59 UTC)),
        Query::category("checkout").limit(2),
    ] {
        let ids = |l: Vec<Result<playback_store::Summary, StoreError>>| {
            l.into_iter().map(|e| e.unwrap().id).collect::<Vec<_>>()
        };
        assert_eq!(
            ids(store.list(&query).unwrap()),
            ids(memory.list(&query).unwrap()),
            "{query:?}"
        );
    }
    assert_eq!(
        store.get(big.id()).unwrap().to_json().unwrap(),
        big.to_json().unwrap()
    );
    // Over the infrequent-access threshold, `big` is packed alone, as a zstd frame, in a
    // pack object of that storage class.
    let packs = block_on(
        client
            .list_objects_v2()
            .bucket(&ext.bucket)
            .prefix(format!("{prefix}packs/"))
            .send(),
    )
    .unwrap();
    let big_pack = packs
        .contents()
        .iter()
        .filter_map(|o| o.key())
        .find(|k| k.ends_with(".pack") && k.contains(&format!("/{}.{}.", big.id(), big.id())))
        .unwrap_or_else(|| panic!("no pack of its own for {}: {packs:?}", big.id()))
        .to_owned();
    let head = block_on(
        client
            .head_object()
            .bucket(&ext.bucket)
            .key(&big_pack)
            .send(),
    )
    .unwrap();
    assert!(head.content_length().unwrap() >= 1024, "{head:?}");
    assert_eq!(
        head.storage_class(),
        Some(&aws_sdk_s3::types::StorageClass::StandardIa)
    );
    let body = block_on(async {
        let object = client
            .get_object()
            .bucket(&ext.bucket)
            .key(&big_pack)
            .send()
            .await
            .unwrap();
        object.body.collect().await.unwrap().into_bytes()
    });
    assert!(
        body.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]),
        "the packed recording is a zstd frame"
    );

    let reader = ext
        .builder(&prefix)
        .read_only(true)
        .build_blocking()
        .unwrap();
    assert!(matches!(reader.put(&big), Err(StoreError::ReadOnly { .. })));
    assert_eq!(reader.list(&Query::all()).unwrap().len(), 13);

    store.delete(big.id()).unwrap();
    assert!(matches!(
        store.get(big.id()),
        Err(StoreError::NotFound { .. })
    ));
    store.close().unwrap();
    let left = block_on(
        client
            .list_objects_v2()
            .bucket(&ext.bucket)
            .prefix(&prefix)
            .send(),
    )
    .unwrap();
    assert_eq!(
        left.key_count().unwrap_or(0),
        0,
        "a transient store cleans up"
    );
}
