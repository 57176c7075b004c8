//! Sharding: disjoint shards whose union is the whole set, and mergeable reports.

use std::collections::BTreeSet;

use playback_compare::{Equalizer, Progress, Report, Shard, Status, Studio};
use playback_store::{Recording, StoreError};
use serde_json::json;

use crate::support::{id, player, rec, rec_with};

fn recordings() -> Vec<Result<Recording, StoreError>> {
    let mut recs: Vec<Result<Recording, StoreError>> = (0..90)
        .map(|n| {
            let category = ["checkout", "refund"][n % 2];
            let replayed = if n % 5 == 0 {
                json!({"Ok": n + 1})
            } else {
                json!({"Ok": n})
            };
            Ok(rec(category, &id(n), json!({"Ok": n}), replayed))
        })
        .collect();
    recs.push(Ok(rec_with("refund", &id(500), "err")));
    recs.push(Err(StoreError::NotFound { id: id(600) }));
    recs.push(Err(StoreError::ReadOnly { store: "s3".into() }));
    recs
}

fn run(shard: Option<(u32, u32)>) -> Report {
    let mut eq = Equalizer::new(recordings())
        .player(player)
        .progress(Progress::Never);
    if let Some((k, n)) = shard {
        eq = eq.shard(k, n);
    }
    eq.run()
}

fn ids(report: &Report) -> BTreeSet<String> {
    report
        .comparisons
        .iter()
        .map(|c| c.recording_id.to_string())
        .collect()
}

#[test]
fn shards_are_disjoint_and_their_union_is_the_whole_set() {
    let whole = run(None);
    assert_eq!(whole.counts().total, 93);
    let shards: Vec<Report> = (1..=3).map(|k| run(Some((k, 3)))).collect();
    let mut union = BTreeSet::new();
    for (i, s) in shards.iter().enumerate() {
        assert!(
            s.counts().total > 10,
            "shard {} has {} recordings",
            i + 1,
            s.counts().total
        );
        assert_eq!(s.shards, vec![Shard::new(i as u32 + 1, 3).unwrap()]);
        for recording in ids(s) {
            assert!(
                union.insert(recording.clone()),
                "{recording} is in two shards"
            );
        }
    }
    assert_eq!(union, ids(&whole));
}

#[test]
fn merged_json_reports_of_the_shards_equal_the_unsharded_report() {
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for k in 1..=4 {
        let path = dir.path().join(format!("shard-{k}/report.json"));
        run(Some((k, 4))).write_json(&path).unwrap();
        paths.push(path);
    }
    let read: Vec<Report> = paths
        .iter()
        .map(|p| Report::read_json(p).unwrap())
        .collect();
    let merged = Report::merge(read).unwrap();
    let whole = Report::from_json(run(None).to_json().unwrap().as_bytes()).unwrap();
    assert!(
        merged.shards.is_empty(),
        "all four shards cover every recording"
    );
    assert_eq!(merged.comparisons, whole.comparisons);
    assert_eq!(merged.categories(), whole.categories());
    assert_eq!(merged.problems, whole.problems);
    assert_eq!(merged.exit_code(), whole.exit_code());
    assert_eq!(merged.counts().get(Status::Error), 2);
    assert_eq!(merged.counts().get(Status::Failed), 1);
}

#[test]
fn merging_overlapping_or_partial_shards() {
    let one = run(Some((1, 3)));
    let err = Report::merge([one.clone(), one.clone()]).unwrap_err();
    assert!(
        err.to_string()
            .contains("is in more than one of the merged reports"),
        "{err}"
    );
    let two = run(Some((2, 3)));
    let partial = Report::merge([one, two]).unwrap();
    assert_eq!(
        partial.shards,
        vec![Shard::new(1, 3).unwrap(), Shard::new(2, 3).unwrap()]
    );
}

#[test]
fn invalid_shard_replays_nothing_and_fails_the_run() {
    let report = run(Some((4, 3)));
    assert_eq!(report.counts().total, 0);
    assert_eq!(report.problems.len(), 1);
    assert!(report.problems[0].message.starts_with("invalid shard 4/3"));
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn studio_shards_like_the_equalizer() {
    let recs = || {
        recordings()
            .into_iter()
            .filter_map(Result::ok)
            .collect::<Vec<_>>()
    };
    let whole = Studio::from_recordings(recs())
        .player(player)
        .progress(Progress::Never)
        .run();
    let parts: Vec<Report> = (1..=2)
        .map(|k| {
            Studio::from_recordings(recs())
                .player(player)
                .shard(k, 2)
                .progress(Progress::Never)
                .run()
        })
        .collect();
    let merged = Report::merge(parts).unwrap();
    assert_eq!(merged.comparisons, whole.comparisons);
}
