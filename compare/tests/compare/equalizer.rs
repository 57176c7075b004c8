//! The equalizer scenarios of the Python reference, and the execution guarantees.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, mpsc};
use std::time::Duration;

use playback_compare::{Equalizer, JsonDiff, Progress, Status, Verdict};
use playback_replay::Playback;
use playback_store::{MemoryStore, Query, Recording, Store, StoreError};
use serde_json::{Value, json};

use crate::support::{id, player, rec, rec_with, side};

fn quiet(e: Equalizer) -> Equalizer {
    e.progress(Progress::Never)
}

#[test]
fn exact_comparator_yields_equal_different_and_failed_for_three_recordings() {
    let recs = vec![
        rec("checkout", &id(1), json!({"Ok": 5}), json!({"Ok": 5})),
        rec("checkout", &id(2), json!({"Ok": 5}), json!({"Ok": 6})),
        rec(
            "checkout",
            &id(3),
            json!({"Ok": 5}),
            json!({"Err": "declined"}),
        ),
    ];
    // The reference's exact comparator: equal, or failed when the replay errs, else different.
    let report = quiet(Equalizer::new(recs))
        .player(player)
        .compare_with(
            |a: &Value, b: &Value, ctx: &playback_compare::Context<'_>| {
                Ok::<_, std::convert::Infallible>(if a == b {
                    Verdict::equal()
                } else if ctx.playback().replayed().is_error() {
                    Verdict::failed("the replay returned an error")
                } else {
                    Verdict::different(JsonDiff::new().diff(a, b))
                })
            },
        )
        .run();
    let statuses: Vec<(String, Status)> = report
        .comparisons
        .iter()
        .map(|c| (c.recording_id.to_string(), c.status))
        .collect();
    assert_eq!(
        statuses,
        [
            (id(1), Status::Equal),
            (id(2), Status::Different),
            (id(3), Status::Failed)
        ]
    );
    assert_eq!(
        report.comparisons[2].message.as_deref(),
        Some("the replay returned an error")
    );
    let diff_paths: Vec<&str> = report.comparisons[1]
        .differences
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(diff_paths, ["/outputs/0/args/saved/Ok", "/result/Ok"]);
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn default_comparator_reports_paths_with_recorded_and_replayed_values() {
    let recs = vec![rec(
        "checkout",
        &id(1),
        json!({"Ok": {"total": 10, "n": 1}}),
        json!({"Ok": {"total": 11, "n": 1}}),
    )];
    let report = quiet(Equalizer::new(recs)).player(player).run();
    let c = &report.comparisons[0];
    assert_eq!(c.status, Status::Different);
    assert_eq!(c.differences[1].path, "/result/Ok/total");
    assert_eq!(c.differences[1].recorded, Some(json!(10)));
    assert_eq!(c.differences[1].replayed, Some(json!(11)));
    assert_eq!(c.recorded.as_ref().unwrap()["result"]["Ok"]["total"], 10);
    assert_eq!(c.replayed_duration_us, Some(90));
    assert_eq!(report.exit_code(), 1);
}

#[test]
fn player_error_and_player_panic_are_failed_with_their_message() {
    let recs = vec![rec_with("c", &id(1), "err"), rec_with("c", &id(2), "panic")];
    let report = quiet(Equalizer::new(recs)).player(player).run();
    assert_eq!(report.comparisons[0].status, Status::Failed);
    assert_eq!(
        report.comparisons[0].message.as_deref(),
        Some("replay failed: input `shop::load_cart` #1 was not recorded with these arguments")
    );
    assert_eq!(report.comparisons[1].status, Status::Failed);
    let msg = report.comparisons[1].message.as_deref().unwrap();
    assert_eq!(msg, format!("replay panicked: replay of {} blew up", id(2)));
}

#[test]
fn failing_extractor_is_an_error_status_not_a_crash() {
    let recs = vec![
        rec("c", &id(1), json!({"Ok": 1}), json!({"Ok": 1})),
        rec("c", &id(2), json!({"Ok": 2}), json!({"Ok": 2})),
    ];
    let report = quiet(Equalizer::new(recs))
        .player(player)
        .extractor(|side: &playback_replay::Side| {
            if side.result()["Ok"] == 2 {
                Err("no total in the result")
            } else {
                Ok(side.result().clone())
            }
        })
        .run();
    assert_eq!(report.comparisons[0].status, Status::Equal);
    assert_eq!(report.comparisons[1].status, Status::Error);
    assert_eq!(
        report.comparisons[1].message.as_deref(),
        Some("the result extractor failed on the recorded side: no total in the result")
    );
}

#[test]
fn panicking_extractor_comparator_and_data_extractor_are_errors() {
    let one = || vec![rec("c", &id(1), json!({"Ok": 1}), json!({"Ok": 1}))];
    let panicking_extractor = quiet(Equalizer::new(one()))
        .player(player)
        .extractor(
            |_: &playback_replay::Side| -> Result<Value, std::io::Error> {
                panic!("extractor bug")
            },
        )
        .run();
    assert_eq!(panicking_extractor.comparisons[0].status, Status::Error);
    assert!(
        panicking_extractor.comparisons[0]
            .message
            .as_deref()
            .unwrap()
            .contains("extractor panicked on the recorded side: extractor bug")
    );

    let failing_comparator = quiet(Equalizer::new(one()))
        .player(player)
        .compare_with(|_: &Value, _: &Value, _: &playback_compare::Context<'_>| {
            Err::<Verdict, _>("cannot compare")
        })
        .run();
    assert_eq!(failing_comparator.comparisons[0].status, Status::Error);
    assert_eq!(
        failing_comparator.comparisons[0].message.as_deref(),
        Some("the comparator failed: cannot compare")
    );

    let panicking_data = quiet(Equalizer::new(one()))
        .player(player)
        .comparison_data(|_: &Recording| -> Result<Value, std::io::Error> { panic!("data bug") })
        .run();
    assert_eq!(panicking_data.comparisons[0].status, Status::Error);
    assert_eq!(
        panicking_data.comparisons[0].message.as_deref(),
        Some("the comparison-data extractor panicked: data bug")
    );
}

#[test]
fn comparison_data_reaches_the_comparator() {
    let mut r = rec("c", &id(1), json!({"Ok": 100}), json!({"Ok": 103}));
    r.metadata.insert("tolerance".into(), json!(5));
    let report = quiet(Equalizer::new(vec![r]))
        .player(player)
        .comparison_data(|rec: &Recording| {
            Ok::<_, std::convert::Infallible>(rec.metadata["tolerance"].clone())
        })
        .compare_with(
            |a: &Value, b: &Value, ctx: &playback_compare::Context<'_>| {
                let tol = ctx.data().as_f64().unwrap_or(0.0);
                let diff = JsonDiff::new().equal_if("/**/Ok", move |x, y| {
                    (x.as_f64().unwrap_or(0.0) - y.as_f64().unwrap_or(0.0)).abs() <= tol
                });
                Ok::<_, std::convert::Infallible>(Verdict::from_differences(diff.diff(a, b)))
            },
        )
        .run();
    assert_eq!(report.comparisons[0].status, Status::Equal);
}

#[test]
fn without_a_player_automatic_replay_is_used_and_an_unknown_operation_fails() {
    let report = quiet(Equalizer::new(vec![rec("c", &id(1), json!(1), json!(1))])).run();
    let c = &report.comparisons[0];
    assert_eq!(c.status, Status::Failed);
    let message = c.message.as_deref().unwrap();
    assert!(message.starts_with("replay failed:"), "{message}");
    assert!(message.contains("\"c\""), "names the category: {message}");
    assert_eq!(report.exit_code(), 2);
}

#[test]
fn unreadable_store_entries_are_errors_with_the_store_error_and_their_id() {
    let store = MemoryStore::new();
    let good = rec("checkout", &id(1), json!({"Ok": 1}), json!({"Ok": 1}));
    store.put(&good).unwrap();
    let mut found = store.find(&Query::category("checkout")).unwrap();
    found.push(Err(StoreError::NotFound { id: id(2) }));
    found.push(Err(StoreError::ReadOnly {
        store: "s3://bucket".into(),
    }));
    let report = quiet(Equalizer::new(found)).player(player).run();
    let summary: Vec<(String, String, Status)> = report
        .comparisons
        .iter()
        .map(|c| (c.category.clone(), c.recording_id.to_string(), c.status))
        .collect();
    assert_eq!(
        summary,
        [
            ("checkout".to_owned(), id(1), Status::Equal),
            ("checkout".to_owned(), id(2), Status::Error),
            (
                "checkout".to_owned(),
                "unreadable-2".to_owned(),
                Status::Error
            ),
        ]
    );
    let msg = report.comparisons[1].message.as_deref().unwrap();
    assert!(
        msg.starts_with("the recording could not be read: recording 01JGZ"),
        "{msg}"
    );
}

#[test]
fn replay_past_the_timeout_is_failed_and_the_run_goes_on() {
    // The stuck replay blocks until the test ends (the sender is dropped), never
    // because of a sleep.
    let (release, stuck) = mpsc::channel::<()>();
    let stuck = Arc::new(Mutex::new(stuck));
    let recs: Vec<Recording> = (1..=5)
        .map(|n| {
            let mut r = rec("c", &id(n), json!({"Ok": n}), json!({"Ok": n}));
            if n == 2 {
                r.metadata.insert("player".into(), "stuck".into());
            }
            r
        })
        .collect();
    let gate = Arc::clone(&stuck);
    let report = quiet(Equalizer::new(recs))
        .threads(1)
        .timeout(Duration::from_millis(300))
        .player(move |rec: &Recording| {
            if rec.metadata.get("player") == Some(&json!("stuck")) {
                let _ = gate.lock().unwrap().recv();
            }
            player(rec)
        })
        .run();
    let statuses: Vec<Status> = report.comparisons.iter().map(|c| c.status).collect();
    assert_eq!(
        statuses,
        [
            Status::Equal,
            Status::Failed,
            Status::Equal,
            Status::Equal,
            Status::Equal
        ]
    );
    let msg = report.comparisons[1].message.as_deref().unwrap();
    assert!(msg.starts_with("replay timed out after 300ms"), "{msg}");
    assert!(msg.contains("abandoned and replaced"), "{msg}");
    drop(release);
}

#[test]
fn slow_comparator_past_the_timeout_is_an_error() {
    let (release, stuck) = mpsc::channel::<()>();
    let stuck = Mutex::new(stuck);
    let report = quiet(Equalizer::new(vec![rec("c", &id(1), json!(1), json!(1))]))
        .timeout(Duration::from_millis(200))
        .player(player)
        .compare_with(
            move |_: &Value, _: &Value, _: &playback_compare::Context<'_>| {
                let _ = stuck.lock().unwrap().recv();
                Ok::<_, std::convert::Infallible>(Verdict::equal())
            },
        )
        .run();
    assert_eq!(report.comparisons[0].status, Status::Error);
    assert!(
        report.comparisons[0]
            .message
            .as_deref()
            .unwrap()
            .starts_with("the extractor or comparator timed out after 200ms")
    );
    drop(release);
}

/// A player whose replays carry a token that is random per run, as a real service
/// would (a fresh UUID), plus the recorded change in `total`.
fn noisy_player() -> impl Fn(&Recording) -> Result<Playback, std::io::Error> + Send + Sync + 'static
{
    let runs = AtomicU64::new(1);
    move |rec: &Recording| {
        let token = runs.fetch_add(1, Ordering::Relaxed);
        let recorded = side(
            &json!({"Ok": {"token": 0, "total": rec.metadata["recorded"]}}),
            800,
        );
        let replayed = side(
            &json!({"Ok": {"token": token, "total": rec.metadata["replayed"]}}),
            90,
        );
        Ok(Playback::new(
            rec.id.clone(),
            rec.category.clone(),
            recorded,
            replayed,
            vec![],
        ))
    }
}

#[test]
fn noise_learning_suppresses_a_random_field_and_still_reports_a_real_change() {
    let recs = vec![
        rec("checkout", &id(1), json!(10), json!(10)),
        rec("checkout", &id(2), json!(10), json!(12)),
    ];
    let report = quiet(Equalizer::new(recs.clone()))
        .player(noisy_player())
        .learn_noise(2)
        .run();
    let same = &report.comparisons[0];
    assert_eq!(same.status, Status::Equal);
    let noise_paths: Vec<&str> = same.noise.iter().map(|d| d.path.as_str()).collect();
    assert_eq!(
        noise_paths,
        ["/outputs/0/args/saved/Ok/token", "/result/Ok/token"]
    );
    assert_eq!(
        same.noise_paths,
        ["/outputs/0/args/saved/Ok/token", "/result/Ok/token"]
    );

    let changed = &report.comparisons[1];
    assert_eq!(changed.status, Status::Different);
    let real: Vec<&str> = changed
        .differences
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(real, ["/outputs/0/args/saved/Ok/total", "/result/Ok/total"]);
    assert_eq!(changed.noise.len(), 2);

    let learned = &report.categories()[0].noise;
    assert_eq!(learned.len(), 2);
    assert_eq!(
        (learned[1].path.as_str(), learned[1].recordings),
        ("/result/Ok/token", 2)
    );
    assert_eq!(report.exit_code(), 1);
    assert!(
        report
            .summary(&playback_compare::SummaryOptions::new().color(false))
            .contains("paths learned as noise")
    );

    // Without noise learning, the token is a difference.
    let plain = quiet(Equalizer::new(recs)).player(noisy_player()).run();
    assert_eq!(plain.comparisons[0].status, Status::Different);
    assert_eq!(plain.comparisons[0].differences.len(), 2);
}

#[test]
fn noise_learning_replay_failure_is_failed() {
    let calls = AtomicU64::new(0);
    let report = quiet(Equalizer::new(vec![rec("c", &id(1), json!(1), json!(1))]))
        .player(move |r: &Recording| {
            if calls.fetch_add(1, Ordering::Relaxed) == 1 {
                return Err(crate::support::Mismatch);
            }
            player(r)
        })
        .learn_noise(2)
        .run();
    assert_eq!(report.comparisons[0].status, Status::Failed);
    assert!(
        report.comparisons[0]
            .message
            .as_deref()
            .unwrap()
            .starts_with("noise-learning replay 1 of 2 failed")
    );
}

#[test]
fn report_order_is_the_same_whatever_the_parallelism() {
    let recs: Vec<Recording> = (0..200)
        .map(|n| {
            let category = ["b", "a", "c"][n % 3];
            rec(
                category,
                &id(199 - n),
                json!({"Ok": n}),
                json!({"Ok": if n % 7 == 0 { n + 1 } else { n }}),
            )
        })
        .collect();
    let one = quiet(Equalizer::new(recs.clone()))
        .player(player)
        .threads(1)
        .run();
    let many = quiet(Equalizer::new(recs)).player(player).threads(8).run();
    assert_eq!(one.comparisons, many.comparisons);
    let keys: Vec<(&str, &str)> = one
        .comparisons
        .iter()
        .map(|c| (c.category.as_str(), c.recording_id.as_str()))
        .collect();
    let mut sorted = keys.clone();
    sorted.sort();
    assert_eq!(keys, sorted);
    assert_eq!(one.counts().different, 29);
}

#[test]
fn keep_results_keeps_values_and_playback_of_equal_recordings() {
    let recs = vec![rec("c", &id(1), json!({"Ok": 1}), json!({"Ok": 1}))];
    let lean = quiet(Equalizer::new(recs.clone())).player(player).run();
    assert!(lean.comparisons[0].recorded.is_none() && lean.comparisons[0].playback.is_none());
    let kept = quiet(Equalizer::new(recs))
        .player(player)
        .keep_results(true)
        .run();
    assert_eq!(
        kept.comparisons[0].recorded.as_ref().unwrap()["result"]["Ok"],
        1
    );
    assert_eq!(
        kept.comparisons[0]
            .playback
            .as_ref()
            .unwrap()
            .replayed()
            .result(),
        &json!({"Ok": 1})
    );
}

#[test]
fn detect_fixed_marks_a_replay_that_no_longer_fails_and_passes_the_run() {
    let recs = vec![rec("c", &id(1), json!({"Err": "boom"}), json!({"Ok": 1}))];
    let report = quiet(Equalizer::new(recs))
        .player(player)
        .comparator(JsonDiff::new().detect_fixed(true))
        .run();
    assert_eq!(report.comparisons[0].status, Status::Fixed);
    assert_eq!(report.exit_code(), 0);
}

#[test]
fn stream_yields_every_comparison_as_it_completes() {
    let recs: Vec<Recording> = (0..10)
        .map(|n| rec("c", &id(n), json!(n), json!(n)))
        .collect();
    let mut ids: Vec<String> = Equalizer::new(recs)
        .player(player)
        .stream()
        .map(|c| c.recording_id.to_string())
        .collect();
    ids.sort();
    assert_eq!(ids, (0..10).map(id).collect::<Vec<_>>());
}

#[test]
fn first_replay_stuck_before_any_result_still_times_out() {
    // The consumer starts waiting before the only worker has begun its first phase:
    // it must still wake up for that phase's deadline.
    for _ in 0..5 {
        let (release, stuck) = mpsc::channel::<()>();
        let stuck = Mutex::new(stuck);
        let report = quiet(Equalizer::new(vec![
            rec_with("c", &id(1), "stuck"),
            rec("c", &id(2), json!(1), json!(1)),
        ]))
        .threads(1)
        .timeout(Duration::from_millis(100))
        .player(move |rec: &Recording| {
            if rec.metadata.get("player") == Some(&json!("stuck")) {
                let _ = stuck.lock().unwrap().recv();
            }
            player(rec)
        })
        .run();
        let statuses: Vec<Status> = report.comparisons.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [Status::Failed, Status::Equal]);
        drop(release);
    }
}
