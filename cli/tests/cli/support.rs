//! A directory store of fixed recordings, and running the binary.

use std::path::Path;
use std::process::Output;

use playback_store::{DirStore, Interception, OpResult, Outcome, Recording, RecordingId, Store};
use serde_json::json;
use serde_json::value::to_raw_value;
use time::OffsetDateTime;
use time::macros::datetime;

/// What a run of the binary printed, and its exit code.
#[derive(Debug)]
pub(crate) struct Run {
    pub(crate) code: i32,
    pub(crate) stdout: String,
    pub(crate) stderr: String,
}

impl Run {
    fn from(output: Output) -> Run {
        Run {
            code: output.status.code().expect("exited, not killed"),
            stdout: String::from_utf8(output.stdout).expect("UTF-8 stdout"),
            stderr: String::from_utf8(output.stderr).expect("UTF-8 stderr"),
        }
    }

    /// The run's stdout as JSON.
    pub(crate) fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| panic!("{e}: {}", self.stdout))
    }
}

/// The `playback` binary with a clean environment: no store, no colours forced, no
/// AWS settings from the machine.
pub(crate) fn command() -> assert_cmd::Command {
    command_of(assert_cmd::cargo::cargo_bin!("playback"))
}

/// The `cargo-playback` binary, likewise.
pub(crate) fn cargo_command() -> assert_cmd::Command {
    command_of(assert_cmd::cargo::cargo_bin!("cargo-playback"))
}

fn command_of(bin: &Path) -> assert_cmd::Command {
    let mut cmd = assert_cmd::Command::new(bin);
    for (name, _) in std::env::vars_os() {
        let name = name.to_string_lossy().into_owned();
        if name.starts_with("AWS_") || name.starts_with("PLAYBACK_") || name == "NO_COLOR" {
            cmd.env_remove(&name);
        }
    }
    cmd.env("AWS_CONFIG_FILE", "/nonexistent/aws-config")
        .env(
            "AWS_SHARED_CREDENTIALS_FILE",
            "/nonexistent/aws-credentials",
        )
        .env("AWS_EC2_METADATA_DISABLED", "true");
    cmd
}

/// Runs `playback` with `args`.
pub(crate) fn playback(args: &[&str]) -> Run {
    Run::from(command().args(args).output().expect("run playback"))
}

/// Runs `playback` with `args` against the directory store at `dir`.
pub(crate) fn playback_in(dir: &Path, args: &[&str]) -> Run {
    let dir = dir.to_str().expect("UTF-8 temp path");
    let mut all = vec!["--dir", dir];
    all.extend_from_slice(args);
    playback(&all)
}

/// An id whose time part is `at`'s and whose random part is `n`, so ids are stable
/// across runs (snapshots) and still sort by time.
pub(crate) fn fixed_id(at: OffsetDateTime, n: u32) -> RecordingId {
    let generated = RecordingId::generate_at(at);
    RecordingId::parse(&format!("{}{n:016}", &generated.as_str()[..10])).expect("valid id")
}

fn raw(value: serde_json::Value) -> Box<serde_json::value::RawValue> {
    to_raw_value(&value).expect("raw value")
}

/// A checkout recording: a cart read, a receipt sent, a total returned.
pub(crate) fn checkout(
    at: OffsetDateTime,
    n: u32,
    tenant: &str,
    items: u32,
    total: u64,
) -> Recording {
    Recording::builder("checkout")
        .recorded_at(at)
        .id(fixed_id(at, n))
        .operation("shop::checkout")
        .duration(std::time::Duration::from_micros(1_234 * u64::from(n)))
        .outcome(Outcome::Ok)
        .metadata("tenant", tenant)
        .metadata("items", items)
        .metadata(
            "region",
            if tenant == "acme" {
                "eu-west-1"
            } else {
                "us-east-1"
            },
        )
        .arg("cart_id", raw(json!(40 + n)))
        .interception(
            Interception::input(
                "shop::load_cart",
                1,
                json!({"cart_id": 40 + n}),
                raw(json!({"Ok": {"items": items}})),
                false,
            )
            .with_site(
                "fn load_cart(cart_id: u64) -> Result<Cart, DbError>",
                "src/shop.rs:12",
            ),
        )
        .interception(Interception::output(
            "shop::send_receipt",
            1,
            raw(json!({"to": format!("{tenant}@example.com"), "total": total})),
            raw(json!({"Ok": null})),
            false,
        ))
        .result(OpResult::Returned {
            value: raw(json!({"Ok": {"total": total}})),
            error: false,
        })
        .build()
}

/// The fixed recordings of most tests: three checkouts, a failed refund and a
/// panicked checkout, over four days of January 2026.
pub(crate) fn fixtures() -> Vec<Recording> {
    let refund_at = datetime!(2026-01-03 11:00 UTC);
    let panic_at = datetime!(2026-01-04 08:30 UTC);
    vec![
        checkout(datetime!(2026-01-02 03:04:05 UTC), 1, "acme", 3, 1999),
        checkout(datetime!(2026-01-03 10:00 UTC), 2, "globex", 1, 500),
        checkout(datetime!(2026-01-05 12:00 UTC), 3, "acme", 7, 7200),
        Recording::builder("refund")
            .recorded_at(refund_at)
            .id(fixed_id(refund_at, 4))
            .operation("shop::refund")
            .duration(std::time::Duration::from_millis(40))
            .outcome(Outcome::Error)
            .metadata("tenant", "acme")
            .metadata("items", 5)
            .arg("order_id", raw(json!(9001)))
            .result(OpResult::Returned {
                value: raw(json!({"Err": "already refunded"})),
                error: true,
            })
            .build(),
        Recording::builder("checkout")
            .recorded_at(panic_at)
            .id(fixed_id(panic_at, 5))
            .operation("shop::checkout")
            .duration(std::time::Duration::from_micros(90))
            .outcome(Outcome::Panicked)
            .metadata("tenant", "initech")
            .result(OpResult::Panicked {
                message: "index out of bounds".into(),
            })
            .build(),
    ]
}

/// A directory store at `dir/recordings` holding `recordings`.
pub(crate) fn store_with(dir: &Path, recordings: &[Recording]) -> DirStore {
    let store = DirStore::new(dir.join("recordings")).expect("dir store");
    for rec in recordings {
        store.put(rec).expect("put");
    }
    store
}

/// A temporary directory with the fixture store in `recordings/`.
pub(crate) fn fixture_store() -> (tempfile::TempDir, DirStore) {
    let dir = tempfile::tempdir().expect("temp dir");
    let store = store_with(dir.path(), &fixtures());
    (dir, store)
}

/// The ids of a `list --json` output, in order.
pub(crate) fn listed_ids(run: &Run) -> Vec<String> {
    run.json()
        .as_array()
        .expect("a JSON array")
        .iter()
        .map(|e| e["id"].as_str().expect("id").to_owned())
        .collect()
}
