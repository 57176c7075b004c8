//! Studio: many categories, a tuning per category (PlaybackStudio + EqualizerTuner).

use playback_compare::{JsonDiff, Progress, Status, Studio, Tuning};
use playback_store::{MemoryStore, Query, RecordingId, Store};
use serde_json::json;

use crate::support::{id, player, rec};

fn store() -> MemoryStore {
    let store = MemoryStore::new();
    for (n, category) in ["checkout", "refund", "search"].iter().enumerate() {
        let r = rec(
            category,
            &id(n),
            json!({"Ok": {"id": n, "total": 1}}),
            json!({"Ok": {"id": n + 100, "total": 1}}),
        );
        store.put(&r).unwrap();
    }
    store
}

#[test]
fn each_category_uses_its_own_tuning_and_the_defaults_fill_the_rest() {
    let report = Studio::new(store())
        .categories(["checkout", "refund"])
        .lookup(Query::all())
        .player(player)
        .tune(
            "checkout",
            Tuning::new().comparator(JsonDiff::new().ignore("/**/id")),
        )
        .progress(Progress::Never)
        .run();
    let statuses: Vec<(&str, Status)> = report
        .comparisons
        .iter()
        .map(|c| (c.category.as_str(), c.status))
        .collect();
    assert_eq!(
        statuses,
        [("checkout", Status::Equal), ("refund", Status::Different)]
    );
}

#[test]
fn tuner_is_called_per_category_and_its_failure_is_a_problem_for_that_category() {
    let report = Studio::new(store())
        .lookup(Query::all())
        .player(player)
        .tuner(|category: &str| match category {
            "checkout" | "refund" => Ok(Tuning::new().comparator(JsonDiff::new().ignore("/**/id"))),
            other => Err(format!("no tuning for {other}")),
        })
        .progress(Progress::Never)
        .run();
    assert_eq!(report.counts().equal, 2);
    assert_eq!(report.problems.len(), 1);
    assert_eq!(report.problems[0].category.as_deref(), Some("search"));
    assert!(report.problems[0].message.contains("no tuning for search"));
    assert_eq!(report.in_category("search").count(), 0);
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn a_category_can_have_its_own_player() {
    let report = Studio::new(store())
        .categories(["search"])
        .lookup(Query::all())
        .tune(
            "search",
            Tuning::new().player(|_| Err::<playback_replay::Playback, _>("search index offline")),
        )
        .player(player)
        .progress(Progress::Never)
        .run();
    assert_eq!(report.comparisons[0].status, Status::Failed);
    assert_eq!(
        report.comparisons[0].message.as_deref(),
        Some("replay failed: search index offline")
    );
}

#[test]
fn recording_ids_are_loaded_and_grouped_by_category() {
    let missing = RecordingId::parse("01JGZ0000000000000000000ZZ").unwrap();
    let report = Studio::new(store())
        .recording_ids([
            RecordingId::parse(&id(2)).unwrap(),
            RecordingId::parse(&id(0)).unwrap(),
            missing.clone(),
        ])
        .categories(["ignored"])
        .player(player)
        .tune(
            "search",
            Tuning::new().comparator(JsonDiff::new().ignore("/**/id")),
        )
        .progress(Progress::Never)
        .run();
    let got: Vec<(&str, Status)> = report
        .comparisons
        .iter()
        .map(|c| (c.category.as_str(), c.status))
        .collect();
    assert_eq!(
        got,
        [
            ("(unknown)", Status::Error),
            ("checkout", Status::Different),
            ("search", Status::Equal)
        ]
    );
    assert_eq!(report.comparisons[0].recording_id, missing);
}

#[test]
fn without_categories_every_category_of_the_lookup_is_replayed() {
    let report = Studio::new(store())
        .lookup(Query::all())
        .player(player)
        .progress(Progress::Never)
        .run();
    let names: Vec<String> = report.categories().into_iter().map(|c| c.name).collect();
    assert_eq!(names, ["checkout", "refund", "search"]);
}

#[test]
fn the_default_lookup_finds_recent_recordings_only() {
    // The test recordings are dated 2026-01-02; the default lookup is the last 7 days.
    let store = store();
    let fresh = playback_store::Recording::builder("checkout").build();
    store.put(&fresh).unwrap();
    let report = Studio::new(store)
        .player(player)
        .progress(Progress::Never)
        .run();
    assert_eq!(report.counts().total, 1);
    assert_eq!(report.comparisons[0].recording_id, fresh.id);
}

#[test]
fn equalizer_is_a_studio_over_its_recordings_with_one_tuning() {
    let recs = || {
        let mut list: Vec<Result<playback_store::Recording, playback_store::StoreError>> = vec![
            Ok(rec("checkout", &id(1), json!({"Ok": 1}), json!({"Ok": 1}))),
            Ok(rec("checkout", &id(2), json!({"Ok": 1}), json!({"Ok": 2}))),
        ];
        list.push(Err(playback_store::StoreError::ReadOnly {
            store: "s3".into(),
        }));
        list
    };
    let tuning = || Tuning::new().comparator(JsonDiff::new().ignore("/outputs"));
    let equalizer = playback_compare::Equalizer::new(recs())
        .player(player)
        .tuning(tuning())
        .threads(2)
        .progress(Progress::Never)
        .run();
    let studio = Studio::from_recordings(recs())
        .player(player)
        .defaults(tuning())
        .threads(2)
        .progress(Progress::Never)
        .run();
    assert_eq!(equalizer.comparisons, studio.comparisons);
    let got: Vec<(&str, &str, Status)> = studio
        .comparisons
        .iter()
        .map(|c| (c.category.as_str(), c.recording_id.as_str(), c.status))
        .collect();
    // The unreadable entry is reported under the category the others share, with
    // the synthetic id of its input position.
    assert_eq!(
        got,
        [
            ("checkout", id(1).as_str(), Status::Equal),
            ("checkout", id(2).as_str(), Status::Different),
            ("checkout", "unreadable-2", Status::Error),
        ]
    );
    assert_eq!(studio.comparisons[1].differences[0].path, "/result/Ok");
}
