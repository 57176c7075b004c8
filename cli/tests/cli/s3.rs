//! Every store command against an S3 store on the loopback server of the s3 tests.

use playback_s3::S3Store;
use playback_store::{Query, Recording, Store};
use playback_testkit::s3::{ACCESS_KEY, SECRET_KEY, TestServer};
use time::OffsetDateTime;

use crate::support::{Run, command, fixtures, listed_ids};

const BUCKET: &str = "recordings";

/// The server with `recordings` under `prefix`, written by a writable store.
fn server_with(prefix: &str, recordings: &[Recording]) -> TestServer {
    let server = TestServer::start(BUCKET);
    let store = writer(&server, prefix);
    for rec in recordings {
        store.put_now(rec).expect("upload");
    }
    store.close().expect("close");
    server
}

fn writer(server: &TestServer, prefix: &str) -> S3Store {
    S3Store::builder()
        .bucket(BUCKET)
        .prefix(prefix)
        .endpoint_url(server.endpoint())
        .force_path_style(true)
        .credentials(ACCESS_KEY, SECRET_KEY)
        .spool_max_bytes(0)
        .build_blocking()
        .expect("S3 store")
}

/// `playback --s3 s3://recordings/<prefix> <args>` with the server's endpoint and keys
/// in the standard AWS environment.
fn playback_s3(server: &TestServer, prefix: &str, args: &[&str]) -> Run {
    let url = format!("s3://{BUCKET}/{prefix}");
    let out = command()
        .env("AWS_ENDPOINT_URL", server.endpoint())
        .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
        .env("AWS_REGION", "us-east-1")
        .args(["--s3", &url])
        .args(args)
        .output()
        .expect("run playback");
    Run {
        code: out.status.code().expect("exit code"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    }
}

#[test]
fn list_show_stats_and_pull_read_an_s3_store_without_writing() {
    let fx = fixtures();
    let server = server_with("svc", &fx);
    let puts = server.requests("PutObject");

    let run = playback_s3(&server, "svc", &["list", "--json", "--meta", "tenant=acme"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        listed_ids(&run),
        [
            fx[2].id.to_string(),
            fx[3].id.to_string(),
            fx[0].id.to_string()
        ]
    );

    let run = playback_s3(&server, "svc", &["show", fx[3].id.as_str(), "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout.trim_end().as_bytes(),
        fx[3].to_json().unwrap().as_slice()
    );

    let run = playback_s3(&server, "svc", &["stats", "--json"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let stats = run.json();
    assert_eq!(stats["recordings"], 5);
    assert_eq!(stats["by_category"]["refund"], 1);
    assert!(stats["size_bytes"].is_null());

    let dir = tempfile::tempdir().unwrap();
    let to = dir.path().join("fixtures");
    let run = playback_s3(
        &server,
        "svc",
        &[
            "pull",
            "--category",
            "checkout",
            "--to",
            to.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    let pulled = playback_store::DirStore::new(&to)
        .unwrap()
        .list(&Query::all())
        .unwrap();
    assert_eq!(pulled.len(), 4);

    assert_eq!(server.requests("PutObject"), puts, "reads never write");
    assert_eq!(
        server.requests("DeleteObject") + server.requests("DeleteObjects"),
        0
    );
}

#[test]
fn prune_deletes_old_recordings_from_s3() {
    let now = OffsetDateTime::now_utc();
    let fresh = Recording::builder("checkout")
        .recorded_at(now - time::Duration::hours(2))
        .build();
    let old = Recording::builder("checkout")
        .recorded_at(now - time::Duration::days(45))
        .build();
    let server = server_with("prune", &[fresh.clone(), old.clone()]);
    let run = playback_s3(&server, "prune", &["prune", "--older-than", "30d"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("deleted 1 recording(s)"),
        "{}",
        run.stdout
    );
    let run = playback_s3(&server, "prune", &["list", "--json"]);
    assert_eq!(listed_ids(&run), [fresh.id.to_string()]);
}

#[test]
fn an_unreachable_s3_store_is_one_error_and_a_hint() {
    let server = TestServer::start(BUCKET);
    server.stop();
    let run = playback_s3(&server, "svc", &["list"]);
    assert_eq!(run.code, 2, "{}", run.stderr);
    let lines: Vec<&str> = run.stderr.lines().collect();
    assert_eq!(lines.len(), 2, "{}", run.stderr);
    assert!(
        lines[0].starts_with("error: s3 store failed to list"),
        "{}",
        run.stderr
    );
    assert!(
        lines[1].starts_with("hint: check the bucket"),
        "{}",
        run.stderr
    );
}

#[test]
fn report_merge_reads_every_shard_report_under_an_s3_prefix() {
    let server = server_with("svc", &[]);
    let store = writer(&server, "ci");
    for (k, id, status) in [
        (1, "01KE4F9ZQE0000000000000001", "equal"),
        (2, "01KE4F9ZQE0000000000000002", "different"),
    ] {
        let doc = serde_json::json!({
            "format": "playback-report", "format_version": "1.1",
            "generated_at": "2026-01-10T00:00:00Z",
            "shards": [{"index": k, "total": 2}],
            "comparisons": [{"recording_id": id, "category": "quote", "status": status}],
        });
        store
            .write_object(
                &format!("reports/run-7/shard-{k}.json"),
                serde_json::to_vec(&doc).unwrap(),
            )
            .unwrap();
    }
    store
        .write_object("reports/run-7/trace-1.jsonl", b"{}\n".to_vec())
        .unwrap();
    store
        .write_object("reports/run-8/shard-1.json", b"not read".to_vec())
        .unwrap();
    store.close().unwrap();
    let dir = tempfile::tempdir().unwrap();
    let all = dir.path().join("all.json");
    let run = |url: &str| {
        let out = command()
            .env("AWS_ENDPOINT_URL", server.endpoint())
            .env("AWS_ACCESS_KEY_ID", ACCESS_KEY)
            .env("AWS_SECRET_ACCESS_KEY", SECRET_KEY)
            .env("AWS_REGION", "us-east-1")
            .args(["report", "merge", url, "-o", all.to_str().unwrap()])
            .output()
            .unwrap();
        (
            out.status.code().unwrap(),
            String::from_utf8(out.stdout).unwrap(),
            String::from_utf8(out.stderr).unwrap(),
        )
    };
    let (code, stdout, stderr) = run(&format!("s3://{BUCKET}/ci/reports/run-7/"));
    assert_eq!(code, 0, "{stderr}");
    assert!(stdout.contains("merged 2 report(s)"), "{stdout}");
    let merged = playback_compare::Report::read_json(&all).unwrap();
    assert_eq!(merged.comparisons.len(), 2);
    assert!(
        merged.shards.is_empty(),
        "both shards of 2: the report of a single run"
    );
    let (code, _, stderr) = run(&format!("s3://{BUCKET}/ci/reports/run-9/"));
    assert_eq!(code, 2);
    assert!(stderr.contains("no `.json` report under"), "{stderr}");
}
