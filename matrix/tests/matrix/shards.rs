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

const BUCKET: &str = "recordings";
const PREFIX: &str = "prod";
/// Set in a worker process: the key of its shard's report in the shared store.
const WORKER_OUT: &str = "MATRIX_TEST_WORKER_OUT";
/// Where the shards write their reports, under the store's prefix.
const REPORTS: &str = "reports/run-1/";
/// Set in a worker process: the loopback S3 server's endpoint.
const WORKER_S3: &str = "MATRIX_TEST_WORKER_S3";

fn s3_store(endpoint: &str) -> playback_s3::S3Store {
    playback_s3::S3Store::builder()
        .bucket(BUCKET)
        .prefix(PREFIX)
        .endpoint_url(endpoint)
        .force_path_style(true)
        .credentials(
            playback_testkit::s3::ACCESS_KEY,
            playback_testkit::s3::SECRET_KEY,
        )
        .spool_max_bytes(0)
        .build_blocking()
        .expect("S3 store")
}

/// The recordings, as a worker reads them from the shared store.
fn from_s3(endpoint: &str) -> Vec<playback_store::Recording> {
    use playback_store::{Query, Store};
    let store = s3_store(endpoint);
    let recs: Vec<_> = store
        .find(&Query::category("quote"))
        .unwrap()
        .into_iter()
        .map(Result::unwrap)
        .collect();
    store.close().unwrap();
    recs
}

fn matrix_over(recordings: Vec<playback_store::Recording>) -> RecordingMatrix {
    RecordingMatrix::over(recordings)
        .replayer(replayer())
        .input_axis("rounding", "shop::rounding", || {
            ["nearest", "floor", "ceil"].into_iter().map(String::from)
        })
        .input_axis("currency", "shop::currency", || {
            ["EUR", "USD"].into_iter().map(String::from)
        })
        .threads(1)
}

#[test]
fn indexed_job_workers_on_s3_merge_into_exactly_the_single_process_report() {
    // In a worker process (started below): run this pod's shard, write its report.
    if let (Ok(out), Ok(endpoint)) = (std::env::var(WORKER_OUT), std::env::var(WORKER_S3)) {
        let shard = playback_matrix::shard_from_env().unwrap();
        assert!(
            shard.is_some(),
            "the worker has JOB_COMPLETION_INDEX and PLAYBACK_SHARDS"
        );
        let part = matrix_over(from_s3(&endpoint)).shard(shard).run().unwrap();
        // the shared location: the same bucket, beside the recordings
        let store = s3_store(&endpoint);
        store
            .write_object(&out, part.report.to_json().unwrap().into_bytes())
            .unwrap();
        store.close().unwrap();
        return;
    }
    let server = playback_testkit::s3::TestServer::start(BUCKET);
    let writer = s3_store(&server.endpoint());
    for rec in recordings(12) {
        writer.put_now(&rec).unwrap();
    }
    writer.close().unwrap();
    let single = matrix_over(from_s3(&server.endpoint())).run().unwrap();
    assert_eq!(single.walks, 72);

    // Three worker processes, as a Kubernetes Indexed Job starts its pods.
    let exe = std::env::current_exe().unwrap();
    let name = "shards::indexed_job_workers_on_s3_merge_into_exactly_the_single_process_report";
    let workers: Vec<_> = (0..3)
        .map(|index| {
            let out = format!("{REPORTS}shard-{index}.json");
            let child = std::process::Command::new(&exe)
                .args([name, "--exact", "--test-threads=1", "--quiet"])
                .env("JOB_COMPLETION_INDEX", index.to_string())
                .env("PLAYBACK_SHARDS", "3")
                .env_remove("PLAYBACK_SHARD")
                .env(WORKER_OUT, &out)
                .env(WORKER_S3, server.endpoint())
                .stdout(std::process::Stdio::null())
                .spawn()
                .unwrap();
            (child, out)
        })
        .collect();
    for (mut child, out) in workers {
        let status = child.wait().unwrap();
        assert!(status.success(), "worker for {out} exited with {status}");
    }
    // what `playback report merge s3://recordings/prod/reports/run-1/` reads
    let reader = s3_store(&server.endpoint());
    let objects = reader.read_objects(REPORTS, ".json").unwrap();
    reader.close().unwrap();
    assert_eq!(objects.len(), 3);
    let parts: Vec<Report> = objects
        .iter()
        .map(|(_, bytes)| Report::from_json(bytes).unwrap())
        .collect();
    let sizes: Vec<usize> = parts.iter().map(|p| p.comparisons.len()).collect();
    assert!(sizes.iter().all(|n| *n > 0 && *n < 72), "{sizes:?}");
    assert!(parts.iter().all(|p| p.shards.len() == 1));
    let merged = Report::merge(parts).unwrap();
    assert!(merged.shards.is_empty(), "every shard is there");
    assert_eq!(without_timings(&merged), without_timings(&single.report));
}
