//! `playback matrix replay`.

use crate::support::playback;

const ID: &str = "5f1c0a7e9b2d4c31";

fn trace(dir: &std::path::Path, command: &[&str]) -> std::path::PathBuf {
    let path = dir.join("matrix.jsonl");
    let header = serde_json::json!({"trace": "playback-matrix", "command": command});
    let walk = serde_json::json!({
        "id": ID, "recording": "01J9ZQ4Z1W2X3Y4Z5A6B7C0001",
        "options": [{"axis": "rounding", "value": "floor"}, {"axis": "currency", "value": "USD"}],
        "outcome": "different", "error": "1 difference"
    });
    let other = serde_json::json!({"id": "0000000000000001", "options": [], "outcome": "equal"});
    std::fs::write(&path, format!("{header}\n{other}\n{walk}\n")).unwrap();
    path
}

#[test]
fn matrix_replay_prints_the_walk_and_the_command_that_reruns_only_it() {
    let dir = tempfile::tempdir().unwrap();
    let path = trace(
        dir.path(),
        &["target/debug/deps/shop-1a2b", "quote_matrix", "--exact"],
    );
    let run = playback(&[
        "matrix",
        "replay",
        "--trace",
        path.to_str().unwrap(),
        "--id",
        ID,
    ]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert!(
        run.stdout.contains("rounding   \"floor\""),
        "{}",
        run.stdout
    );
    assert!(run.stdout.contains("recording  01J9ZQ4Z1W2X3Y4Z5A6B7C0001"));
    assert!(run.stdout.contains("outcome    different"));
    assert!(
        run.stdout.contains(&format!(
            "PLAYBACK_MATRIX_WALK={ID} PLAYBACK_MATRIX_TRACE={} target/debug/deps/shop-1a2b quote_matrix --exact",
            path.display()
        )),
        "{}",
        run.stdout
    );
}

#[test]
fn matrix_replay_run_executes_the_traced_command_with_the_walk_in_its_environment() {
    let dir = tempfile::tempdir().unwrap();
    let script = "echo ran walk $PLAYBACK_MATRIX_WALK from $PLAYBACK_MATRIX_TRACE; exit 3";
    let path = trace(dir.path(), &["sh", "-c", script]);
    let run = playback(&[
        "matrix",
        "replay",
        "--trace",
        path.to_str().unwrap(),
        "--id",
        ID,
        "--run",
    ]);
    assert_eq!(run.code, 3, "{}", run.stderr);
    assert!(
        run.stdout
            .contains(&format!("ran walk {ID} from {}", path.display())),
        "{}",
        run.stdout
    );
}

#[test]
fn matrix_replay_explains_an_unknown_id_and_a_malformed_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = trace(dir.path(), &["x"]);
    let run = playback(&[
        "matrix",
        "replay",
        "--trace",
        path.to_str().unwrap(),
        "--id",
        "00000000000000ff",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .contains("walk 00000000000000ff is not in the trace"),
        "{}",
        run.stderr
    );
    let run = playback(&[
        "matrix",
        "replay",
        "--trace",
        path.to_str().unwrap(),
        "--id",
        "12",
    ]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.contains("16 hexadecimal digits"),
        "{}",
        run.stderr
    );
}
