//! Listings: every kind of metadata filter, date ranges that list only their days,
//! limits that stop early, and unreadable entries.

use std::collections::BTreeSet;
use std::time::Duration;

use playback_s3::S3Store;
use playback_store::{
    Cmp, MemoryStore, MetaFilter, Outcome, Query, Recording, RecordingId, Store, StoreError,
};
use time::OffsetDateTime;
use time::macros::datetime;

use crate::support::{self, BUCKET, TestServer, block_on, raw_client};

const FLUSH: Duration = Duration::from_secs(60);

/// 24 recordings over 4 days with varied metadata, in the S3 store and in a
/// `MemoryStore` (the reference for what every query should return).
fn fixture(server: &TestServer, dir: &std::path::Path) -> (S3Store, MemoryStore, Vec<Recording>) {
    let store = support::builder(server, dir, "filters")
        .build_blocking()
        .unwrap();
    let memory = MemoryStore::new();
    let tenants = ["acme", "globex", "initech"];
    let regions = ["eu-west-1", "us-east-1", "eu-central-1", "ap-south-1"];
    let mut recs = Vec::new();
    for i in 0..24i64 {
        let at = datetime!(2026-04-01 08:00 UTC) + time::Duration::hours(i * 4);
        let mut b = Recording::builder(if i % 5 == 0 { "refund" } else { "checkout" })
            .operation(if i % 2 == 0 {
                "shop::checkout"
            } else {
                "shop::express"
            })
            .recorded_at(at)
            .outcome(match i % 4 {
                0 => Outcome::Error,
                1 => Outcome::Panicked,
                _ => Outcome::Ok,
            })
            .metadata("tenant", tenants[(i % 3) as usize])
            .metadata("region", regions[(i % 4) as usize])
            .metadata("items", i % 7)
            .metadata("vip", i % 3 == 0);
        if i % 6 == 0 {
            b = b.metadata("coupon", format!("SAVE{i}"));
        }
        let rec = b.build();
        store.put(&rec).unwrap();
        memory.put(&rec).unwrap();
        recs.push(rec);
    }
    assert!(store.flush(FLUSH));
    (store, memory, recs)
}

fn ids(listed: Vec<Result<playback_store::Summary, StoreError>>) -> Vec<RecordingId> {
    listed.into_iter().map(|e| e.unwrap().id).collect()
}

#[test]
fn list_and_find_apply_every_kind_of_filter_like_the_reference_store() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let (store, memory, recs) = fixture(&server, dir.path());
    let queries: Vec<(Query, usize)> = vec![
        (Query::all(), 24),
        (Query::category("checkout"), 19),
        (Query::category("checkout").metadata("tenant", "acme"), 6),
        (
            Query::all().metadata("tenant", MetaFilter::any_of(["acme", "initech"])),
            16,
        ),
        (
            Query::all().metadata("region", MetaFilter::glob("eu-*")),
            12,
        ),
        (
            Query::all().metadata("region", MetaFilter::glob("*-south-?")),
            6,
        ),
        (
            Query::all().metadata("items", MetaFilter::cmp(Cmp::Gt, 4)),
            6,
        ),
        (
            Query::all().metadata("items", MetaFilter::cmp(Cmp::Ge, 4)),
            9,
        ),
        (
            Query::all().metadata("items", MetaFilter::cmp(Cmp::Lt, 2)),
            8,
        ),
        (
            Query::all().metadata("items", MetaFilter::cmp(Cmp::Le, 0)),
            4,
        ),
        (
            Query::all().metadata("items", MetaFilter::cmp(Cmp::Ne, 3)),
            21,
        ),
        (Query::all().metadata("vip", true), 8),
        (Query::all().metadata("coupon", MetaFilter::Missing), 20),
        (
            Query::all().metadata("coupon", MetaFilter::glob("SAVE1*")),
            2,
        ),
        (Query::all().outcome(Outcome::Error), 6),
        (
            Query::all()
                .outcome(Outcome::Error)
                .outcome(Outcome::Panicked),
            12,
        ),
        (Query::all().operation("shop::express"), 12),
        (
            Query::category("checkout")
                .metadata(
                    "region",
                    MetaFilter::any_of([MetaFilter::glob("eu-*"), MetaFilter::from("ap-south-1")]),
                )
                .metadata("items", MetaFilter::cmp(Cmp::Ge, 1))
                .outcome(Outcome::Ok),
            8,
        ),
    ];
    for (query, expected) in queries {
        let got = ids(store.list(&query).unwrap());
        let want = ids(memory.list(&query).unwrap());
        assert_eq!(got, want, "{query:?}");
        assert_eq!(got.len(), expected, "{query:?}");
        let found: Vec<RecordingId> = store
            .find(&query)
            .unwrap()
            .into_iter()
            .map(|r| r.unwrap().id)
            .collect();
        assert_eq!(found, want, "find {query:?}");
    }
    let newest = recs.iter().map(|r| r.recorded_at).max().unwrap();
    let first = store.list(&Query::all().limit(1)).unwrap();
    assert_eq!(first[0].as_ref().unwrap().recorded_at, newest);
}

#[test]
fn metadata_filters_never_download_recording_bodies() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let (store, _memory, _recs) = fixture(&server, dir.path());
    server.take_get_keys();
    let listed = store
        .list(
            &Query::category("checkout")
                .metadata("region", MetaFilter::glob("eu-*"))
                .outcome(Outcome::Ok),
        )
        .unwrap();
    assert!(!listed.is_empty());
    let keys = server.take_get_keys();
    assert_eq!(
        keys.len(),
        19,
        "one small index object per checkout recording"
    );
    assert!(
        keys.iter().all(|k| k.contains("/index/checkout/")),
        "{keys:?}"
    );
}

#[test]
fn a_date_range_lists_only_the_days_in_range() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "days")
        .build_blocking()
        .unwrap();
    for day in 1..=10u8 {
        for (category, hour) in [("c", 9), ("c", 15), ("d", 12)] {
            let at = time::Date::from_calendar_date(2026, time::Month::March, day)
                .unwrap()
                .with_hms(hour, 0, 0)
                .unwrap()
                .assume_utc();
            store.put(&support::recording(category, at)).unwrap();
        }
    }
    assert!(store.flush(FLUSH));
    server.take_list_prefixes();
    let lists = store.counter("s3_list_requests");

    let query = Query::category("c")
        .from(datetime!(2026-03-04 10:00 UTC))
        .until(datetime!(2026-03-06 12:00 UTC));
    let listed = store.list(&query).unwrap();
    let days: Vec<u8> = listed
        .iter()
        .map(|e| e.as_ref().unwrap().recorded_at.day())
        .collect();
    assert_eq!(days, [6, 5, 5, 4], "in range, newest first");
    let p = store.prefix();
    let mut prefixes = server.take_list_prefixes();
    prefixes.sort();
    assert_eq!(
        prefixes,
        [
            format!("{p}index/c/2026/03/04/"),
            format!("{p}index/c/2026/03/05/"),
            format!("{p}index/c/2026/03/06/"),
        ],
        "one listing per day in range"
    );
    assert_eq!(store.counter("s3_list_requests") - lists, 3);

    // An open end lists the folders that exist, then only the days in range.
    let listed = store
        .list(&Query::category("c").from(datetime!(2026-03-08 00:00 UTC)))
        .unwrap();
    assert_eq!(listed.len(), 6);
    let prefixes: BTreeSet<String> = server.take_list_prefixes().into_iter().collect();
    let day_lists: Vec<&String> = prefixes
        .iter()
        .filter(|s| s.len() == format!("{p}index/c/2026/03/08/").len())
        .collect();
    assert_eq!(
        day_lists,
        [
            &format!("{p}index/c/2026/03/08/"),
            &format!("{p}index/c/2026/03/09/"),
            &format!("{p}index/c/2026/03/10/"),
        ]
    );
    assert!(
        prefixes
            .iter()
            .all(|s| s.starts_with(&format!("{p}index/c/"))),
        "{prefixes:?}"
    );
}

#[test]
fn a_limit_stops_listing_at_the_newest_days() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "limit")
        .build_blocking()
        .unwrap();
    let mut recs = Vec::new();
    for day in 1..=10u8 {
        for hour in [8, 12, 16] {
            let at = time::Date::from_calendar_date(2026, time::Month::May, day)
                .unwrap()
                .with_hms(hour, 0, 0)
                .unwrap()
                .assume_utc();
            let rec = support::recording("c", at);
            store.put(&rec).unwrap();
            recs.push(rec);
        }
    }
    assert!(store.flush(FLUSH));
    server.take_list_prefixes();
    server.take_get_keys();
    let listed = ids(store.list(&Query::category("c").limit(4)).unwrap());
    recs.sort_by_key(|r| std::cmp::Reverse(r.recorded_at));
    let newest: Vec<RecordingId> = recs.iter().take(4).map(|r| r.id.clone()).collect();
    assert_eq!(listed, newest);
    let p = store.prefix();
    let day_lists: Vec<String> = server
        .take_list_prefixes()
        .into_iter()
        .filter(|s| s.matches('/').count() == p.matches('/').count() + 5)
        .collect();
    assert_eq!(
        day_lists,
        [
            format!("{p}index/c/2026/05/10/"),
            format!("{p}index/c/2026/05/09/")
        ],
        "stops after the two newest days"
    );
    assert_eq!(
        server.take_get_keys().len(),
        6,
        "index objects of those two days only"
    );
}

#[test]
fn an_unreadable_index_object_is_one_error_entry_and_the_listing_goes_on() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "corrupt")
        .build_blocking()
        .unwrap();
    let at = datetime!(2026-06-01 10:00 UTC);
    let good = support::recording("c", at);
    store.put(&good).unwrap();
    assert!(store.flush(FLUSH));
    let client = raw_client(&server);
    let p = store.prefix().to_owned();
    let other = RecordingId::generate_at(at);
    block_on(async {
        client
            .put_object()
            .bucket(BUCKET)
            .key(format!("{p}index/c/2026/06/01/{other}.json"))
            .body(b"{not json".to_vec().into())
            .send()
            .await
            .unwrap();
        // An index entry that claims another id than its key.
        let mut summary = serde_json::to_value(good.summary()).unwrap();
        summary["id"] = "01J0000000000000000000000Z".into();
        client
            .put_object()
            .bucket(BUCKET)
            .key(format!(
                "{p}index/c/2026/06/01/{}.json",
                RecordingId::generate_at(at)
            ))
            .body(serde_json::to_vec(&summary).unwrap().into())
            .send()
            .await
            .unwrap();
        // Not a recording key at all: skipped.
        client
            .put_object()
            .bucket(BUCKET)
            .key(format!("{p}index/c/2026/06/01/README.txt"))
            .body(b"notes".to_vec().into())
            .send()
            .await
            .unwrap();
    });
    let listed = store.list(&Query::category("c")).unwrap();
    assert_eq!(listed.len(), 3, "{listed:?}");
    assert_eq!(listed[0].as_ref().unwrap().id, good.id);
    let errors: Vec<String> = listed[1..]
        .iter()
        .map(|e| e.as_ref().unwrap_err().to_string())
        .collect();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("corrupt") && e.contains(&other.to_string())),
        "{errors:?}"
    );
    assert!(
        errors
            .iter()
            .any(|e| e.contains("does not match its location")),
        "{errors:?}"
    );
    let found = store.find(&Query::category("c")).unwrap();
    assert_eq!(found.len(), 3);
    assert_eq!(found[0].as_ref().unwrap().id, good.id);
}

#[test]
fn a_query_without_category_reads_every_category() {
    let server = TestServer::start(BUCKET);
    let dir = tempfile::tempdir().unwrap();
    let store = support::builder(&server, dir.path(), "allcats")
        .build_blocking()
        .unwrap();
    let now = OffsetDateTime::now_utc();
    for (i, category) in ["a", "b", "c"].into_iter().enumerate() {
        store
            .put(&support::recording(
                category,
                now - time::Duration::minutes(i as i64),
            ))
            .unwrap();
    }
    assert!(store.flush(FLUSH));
    let categories: Vec<String> = store
        .list(&Query::all().since(playback_store::days(1)))
        .unwrap()
        .into_iter()
        .map(|e| e.unwrap().category)
        .collect();
    assert_eq!(categories, ["a", "b", "c"]);
}
