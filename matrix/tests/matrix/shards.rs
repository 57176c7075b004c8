//! Sharding: shards' reports merge into exactly the report of a single run.

use playback_compare::Report;
use playback_matrix::RecordingMatrix;

use crate::support::{recordings, replayer};

fn matrix() -> RecordingMatrix {
    RecordingMatrix::over(recordings(12))
        .replayer(replayer())
        .input_axis("rounding", "shop::rounding", || {
            ["nearest", "floor", "ceil"].into_iter().map(String::from)
        })
        .input_axis("currency", "shop::currency", || {
            ["EUR", "USD"].into_iter().map(String::from)
        })
        .threads(2)
}

/// The JSON report with its timings zeroed: when it was generated, how long it took,
/// how long each replay took.
pub(crate) fn without_timings(report: &Report) -> String {
    let mut r = report.clone();
    r.generated_at = Report::default().generated_at;
    r.elapsed = std::time::Duration::ZERO;
    for c in &mut r.comparisons {
        c.replayed_duration_us = None;
    }
    r.to_json().unwrap()
}

#[test]
fn merged_shard_reports_equal_the_single_run_report_byte_for_byte() {
    let single = matrix().run().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut paths = Vec::new();
    for k in 1..=3 {
        let part = matrix()
            .shard(Some(format!("{k}/3").parse().unwrap()))
            .run()
            .unwrap();
        assert!(part.walks > 0 && part.walks < single.walks);
        let path = dir.path().join(format!("shard-{k}.json"));
        part.report.write_json(&path).unwrap();
        paths.push(path);
    }
    let merged = Report::merge(paths.iter().map(|p| Report::read_json(p).unwrap())).unwrap();
    assert_eq!(merged.comparisons.len(), 72);
    assert_eq!(without_timings(&merged), without_timings(&single.report));
}
