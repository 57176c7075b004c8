//! Values that could not be recorded: their paths are *not comparable*, reported as a
//! note in every format, never as a difference.

use playback_compare::{Equalizer, NotComparable, Progress, Report, Status, SummaryOptions};
use serde_json::json;

use crate::support::{id, player, rec};

#[test]
fn a_recording_whose_only_findings_are_unrecordable_values_is_equal_with_a_note() {
    let conn = playback_store::unrecordable("`Conn` is not Serialize");
    let recs = vec![
        rec(
            "checkout",
            &id(1),
            json!({"Ok": {"total": 10, "conn": conn}}),
            json!({"Ok": {"total": 10, "conn": {"fd": 7}}}),
        ),
        rec(
            "checkout",
            &id(2),
            json!({"Ok": {"total": 10, "conn": conn}}),
            json!({"Ok": {"total": 11, "conn": {"fd": 7}}}),
        ),
    ];
    let report = Equalizer::new(recs)
        .player(player)
        .progress(Progress::Never)
        .run();

    let equal = &report.comparisons[0];
    assert_eq!(equal.status, Status::Equal);
    assert!(equal.differences.is_empty());
    let why = "`Conn` is not Serialize";
    assert_eq!(
        equal.not_comparable,
        vec![
            NotComparable::new("/outputs/0/args/saved/Ok/conn", why),
            NotComparable::new("/result/Ok/conn", why),
        ]
    );
    let changed = &report.comparisons[1];
    assert_eq!(changed.status, Status::Different);
    let paths: Vec<&str> = changed
        .differences
        .iter()
        .map(|d| d.path.as_str())
        .collect();
    assert_eq!(
        paths,
        ["/outputs/0/args/saved/Ok/total", "/result/Ok/total"]
    );
    assert_eq!(changed.not_comparable.len(), 2);
    assert_eq!(report.exit_code(), 1, "only the real change fails");

    let summary = report.summary(&SummaryOptions::new().color(false));
    assert!(
        summary.contains(
            "paths not comparable (a value could not be recorded; they do not fail):\n  checkout  /outputs/0/args/saved/Ok/conn  (2 recordings): `Conn` is not Serialize\n"
        ),
        "{summary}"
    );
    assert!(summary.contains("    not comparable: /result/Ok/conn: `Conn` is not Serialize"));

    let json = report.to_json().unwrap();
    assert!(json.contains("\"not_comparable\": ["), "{json}");
    let back = Report::from_json(json.as_bytes()).unwrap();
    assert_eq!(back.comparisons[0].not_comparable, equal.not_comparable);

    let junit = report.to_junit().unwrap();
    assert!(
        junit.contains("not comparable: /result/Ok/conn: `Conn` is not Serialize"),
        "{junit}"
    );
    assert_eq!(
        junit.matches("<failure").count(),
        1,
        "the note is not a failure"
    );

    let html = report.to_html();
    assert!(html.contains(
        "<tr class=\"not-comparable\"><td class=\"path\"><code>/result/Ok/conn</code></td>"
    ));
    assert!(html.contains("class=\"mark-na\" title=\"/result/Ok/conn\""));
}

#[test]
fn unrecordable_values_alone_keep_the_exit_code_at_zero() {
    let conn = playback_store::unrecordable("`Conn` is not Serialize");
    let recs = vec![rec(
        "checkout",
        &id(1),
        json!({"Ok": {"conn": conn}}),
        json!({"Ok": {"conn": 1}}),
    )];
    let report = Equalizer::new(recs)
        .player(player)
        .progress(Progress::Never)
        .run();
    assert_eq!(report.comparisons[0].status, Status::Equal);
    assert_eq!(report.exit_code(), 0);
}
