//! The end-to-end demo (`cargo run --release --example demo`), run in-process with a
//! small traffic: a real axum service with SQLite is recorded under HTTP traffic, its
//! database is deleted, and every recording is replayed on the same code and on a
//! candidate pricing change.

#[path = "../../examples/demo/run.rs"]
pub(crate) mod run;

use std::collections::BTreeMap;

use playback::{DirStore, Query, Status, Store};

const REQUESTS: usize = 60;

#[test]
fn demo_loses_no_recording_replays_equal_and_the_candidate_changes_only_quote_totals() {
    let _candidate = crate::support::candidate_pricing_lock();
    let dir = tempfile::tempdir().unwrap();
    let recordings = dir.path().join("recordings");
    let options = run::Options {
        requests: REQUESTS,
        concurrency: 4,
        seed: 7,
        store: run::StoreChoice::Dir(recordings.clone()),
        keep: true,
        report: dir.path().join("playback/report.html"),
    };
    let mut printed = Vec::new();
    let outcome = run::run(&options, &mut printed).unwrap();
    let printed = String::from_utf8(printed).unwrap();

    // No recording is lost: one per request, in the category of its route.
    assert_eq!(outcome.sent.len(), REQUESTS);
    let mut requests_by_category: BTreeMap<String, usize> = BTreeMap::new();
    for sent in &outcome.sent {
        let category = match sent.route {
            "GET /products" => "catalog",
            "GET /products/{sku}" => "product",
            "POST /quote" => "quote",
            "POST /checkout" => "checkout",
            other => panic!("unexpected route {other}"),
        };
        *requests_by_category.entry(category.to_owned()).or_default() += 1;
    }
    assert_eq!(outcome.recordings, requests_by_category);
    assert_eq!(outcome.recorded(), REQUESTS);
    let on_disk = DirStore::new(&recordings)
        .unwrap()
        .list(&Query::all())
        .unwrap();
    assert_eq!(on_disk.len(), REQUESTS);
    assert!(on_disk.iter().all(Result::is_ok));
    assert_eq!(outcome.stats.recorded, REQUESTS as u64);
    assert_eq!(
        (
            outcome.stats.sampled_out,
            outcome.stats.dropped,
            outcome.stats.failed
        ),
        (0, 0, 0)
    );
    assert!(
        outcome.sent.iter().any(|s| s.status >= 400),
        "the traffic includes errors"
    );

    // The replays ran without the database.
    assert!(outcome.dependencies_removed);

    // The same code replays every recording Equal.
    let same = outcome.same_code.counts();
    assert_eq!((same.total, same.equal), (REQUESTS, REQUESTS));

    // The candidate differs only in `quote`, only at the converted total, by one
    // hundredth (truncated instead of rounded), and only for currencies other than EUR.
    let mut changed = 0;
    for c in &outcome.candidate.comparisons {
        if c.status == Status::Equal {
            continue;
        }
        assert_eq!(
            (c.category.as_str(), c.status),
            ("quote", Status::Different),
            "{c:?}"
        );
        assert_eq!(c.differences.len(), 1, "{c:?}");
        let d = &c.differences[0];
        assert_eq!(d.path, run::CHANGED_PATH);
        let recorded = d.recorded.as_ref().and_then(|v| v.as_u64()).unwrap();
        let replayed = d.replayed.as_ref().and_then(|v| v.as_u64()).unwrap();
        assert_eq!(recorded - replayed, 1, "{c:?}");
        let currency = c.recorded.as_ref().unwrap()["result"]["Ok"]["currency"].clone();
        assert_ne!(currency, "EUR");
        changed += 1;
    }
    assert!(changed > 0, "the candidate changed some quotes");
    assert_eq!(outcome.candidate.counts().different, changed);
    let quotes = outcome.candidate.in_category("quote").count();
    assert!(
        changed < quotes,
        "quotes in EUR and failed quotes do not change"
    );

    // The report exists and shows the change.
    let html = std::fs::read_to_string(&outcome.report).unwrap();
    assert!(html.contains(run::CHANGED_PATH));
    assert!(printed.contains(&outcome.report.display().to_string()));
    assert!(printed.contains(&format!(
        "on the candidate change: {} equal, {changed} different (quote: {changed})",
        REQUESTS - changed
    )));

    outcome.check().unwrap();
}

#[test]
fn demo_says_where_the_recordings_go_for_each_store() {
    let dir = run::StoreChoice::Dir("recordings".into()).describe();
    assert!(
        dir.contains("recordings (one file each: <category>/<YYYY-MM-DD>/<id>.json)"),
        "{dir}"
    );
    assert!(
        std::path::Path::new(dir.split(' ').next().unwrap()).is_absolute(),
        "{dir}"
    );
    let s3 = run::StoreChoice::s3("http://127.0.0.1:9000".into(), "recordings".into());
    let first = s3.describe();
    assert!(
        first.starts_with("bucket recordings at http://127.0.0.1:9000, under playback-demo/"),
        "{first}"
    );
    let second = run::StoreChoice::s3(String::new(), String::new()).describe();
    let prefix = |s: &str| s.rsplit(' ').next().unwrap().to_owned();
    assert_ne!(
        prefix(&first),
        prefix(&second),
        "each run records under a prefix of its own"
    );
}
