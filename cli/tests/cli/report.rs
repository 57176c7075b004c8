//! `playback report merge` and `playback report render`.

use playback_compare::Report;
use serde_json::json;

use crate::support::playback;

fn shard(dir: &std::path::Path, k: u32, ids: &[(&str, &str)]) -> std::path::PathBuf {
    let comparisons: Vec<_> = ids
        .iter()
        .map(|(id, status)| json!({"recording_id": id, "category": "checkout", "status": status}))
        .collect();
    let doc = json!({
        "format": "playback-report",
        "format_version": "1.1",
        "generated_at": "2026-01-10T00:00:00Z",
        "shards": [{"index": k, "total": 2}],
        "comparisons": comparisons,
    });
    let path = dir.join(format!("shard-{k}.json"));
    std::fs::write(&path, serde_json::to_vec(&doc).unwrap()).unwrap();
    path
}

#[test]
fn report_merge_joins_shards_and_render_writes_html_and_junit() {
    let dir = tempfile::tempdir().unwrap();
    let a = shard(dir.path(), 1, &[("01KE4F9ZQE0000000000000001", "equal")]);
    let b = shard(
        dir.path(),
        2,
        &[
            ("01KE4F9ZQE0000000000000002", "different"),
            ("01KE4F9ZQE0000000000000003", "equal"),
        ],
    );
    let all = dir.path().join("out/all.json");
    let run = playback(&[
        "report",
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        all.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(run.stdout.contains("merged 2 report(s)"), "{}", run.stdout);
    assert!(
        run.stdout.contains("3 recording(s), 1 different, 0 failed"),
        "{}",
        run.stdout
    );
    let merged = Report::read_json(&all).unwrap();
    assert_eq!(merged.comparisons.len(), 3);
    assert!(merged.shards.is_empty(), "both shards of 2: a complete run");

    let html = dir.path().join("out/report.html");
    let junit = dir.path().join("out/junit.xml");
    let run = playback(&[
        "report",
        "render",
        all.to_str().unwrap(),
        "--html",
        html.to_str().unwrap(),
        "--junit",
        junit.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(std::fs::read_to_string(&html).unwrap(), merged.to_html());
    assert_eq!(
        std::fs::read_to_string(&junit).unwrap(),
        merged.to_junit().unwrap()
    );
    assert!(
        run.stdout.contains("checkout"),
        "the summary: {}",
        run.stdout
    );
}

#[test]
fn report_merge_refuses_a_recording_in_two_shards() {
    let dir = tempfile::tempdir().unwrap();
    let a = shard(dir.path(), 1, &[("01KE4F9ZQE0000000000000001", "equal")]);
    let b = shard(dir.path(), 2, &[("01KE4F9ZQE0000000000000001", "equal")]);
    let all = dir.path().join("all.json");
    let run = playback(&[
        "report",
        "merge",
        a.to_str().unwrap(),
        b.to_str().unwrap(),
        "-o",
        all.to_str().unwrap(),
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("is in more than one of the merged reports"),
        "{}",
        run.stderr
    );
    assert!(!all.exists());
}

#[test]
fn report_render_needs_an_output() {
    let dir = tempfile::tempdir().unwrap();
    let a = shard(dir.path(), 1, &[]);
    let run = playback(&["report", "render", a.to_str().unwrap()]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: nothing to render\nhint: pass `--html PATH`, `--junit PATH` or both\n"
    );
}
