//! `cargo playback ...`: the `cargo-playback` binary skips the `playback` cargo passes.

use crate::support::{cargo_command, fixture_store, fixtures};

#[test]
fn cargo_playback_runs_the_same_commands() {
    let (_dir, store) = fixture_store();
    let out = cargo_command()
        .args([
            "playback",
            "list",
            "--json",
            "--category",
            "refund",
            "--dir",
        ])
        .arg(store.root())
        .output()
        .unwrap();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let listed: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(listed[0]["id"], fixtures()[3].id.to_string());
}

#[test]
fn cargo_playback_help_names_the_cargo_form() {
    let out = cargo_command()
        .args(["playback", "--help"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(text.contains("Usage: cargo playback"), "{text}");
}
