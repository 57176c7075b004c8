//! Store selection, usage errors, `--help` and colours.

use crate::support::{command, fixture_store, fixtures, playback, playback_in};

#[test]
fn no_store_is_one_error_line_and_a_hint() {
    let run = playback(&["list"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: no store given\nhint: pass `--dir PATH` or `--s3 s3://bucket/prefix`, or set PLAYBACK_STORE\n"
    );
}

#[test]
fn a_missing_directory_is_not_created() {
    let dir = tempfile::tempdir().unwrap();
    let missing = dir.path().join("nope");
    let run = playback_in(&missing, &["stats"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr.starts_with("error: store directory `"),
        "{}",
        run.stderr
    );
    assert!(!missing.exists());
}

#[test]
fn dir_and_s3_conflict_and_bad_s3_urls_are_refused() {
    let run = playback(&["list", "--dir", "x", "--s3", "s3://b/p"]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("cannot be used with"), "{}", run.stderr);
    let run = playback(&["list", "--store", "s3:///prefix"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: invalid S3 URL `s3:///prefix`: the bucket name is empty"),
        "{}",
        run.stderr
    );
}

#[test]
fn help_documents_exit_codes_and_every_command() {
    let run = playback(&["--help"]);
    assert_eq!(run.code, 0);
    for text in [
        "Exit codes:",
        "PLAYBACK_STORE",
        "list",
        "show",
        "stats",
        "pull",
        "diff",
        "report",
        "prune",
        "review",
        "completions",
    ] {
        assert!(run.stdout.contains(text), "{text} in {}", run.stdout);
    }
    let run = playback(&["list", "--help"]);
    assert!(
        run.stdout.contains("--meta <FILTER>") && run.stdout.contains("Examples:"),
        "{}",
        run.stdout
    );
}

#[test]
fn colours_follow_the_flag_and_no_color() {
    let (_dir, store) = fixture_store();
    let id = fixtures()[0].id.to_string();
    let run = playback_in(store.root(), &["show", &id, "--color", "always"]);
    assert!(run.stdout.contains("\u{1b}["), "forced colours");
    let run = playback_in(store.root(), &["show", &id]);
    assert!(!run.stdout.contains('\u{1b}'), "no colours off a terminal");
    let out = command()
        .env("NO_COLOR", "1")
        .arg("--dir")
        .arg(store.root())
        .args(["list"])
        .output()
        .unwrap();
    assert!(!String::from_utf8(out.stdout).unwrap().contains('\u{1b}'));
}

#[test]
fn a_hostile_category_is_refused_before_any_path_is_built() {
    let (_dir, store) = fixture_store();
    let run = playback_in(store.root(), &["list", "--category", "../../etc"]);
    assert_eq!(run.code, 2);
    assert!(
        run.stderr
            .starts_with("error: invalid category \"../../etc\""),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("\nhint: categories are plain names"),
        "{}",
        run.stderr
    );
}

#[cfg(not(feature = "s3"))]
#[test]
fn s3_without_the_feature_says_how_to_get_it() {
    let run = playback(&["list", "--s3", "s3://bucket/prefix"]);
    assert_eq!(run.code, 2);
    assert_eq!(
        run.stderr,
        "error: this playback was built without S3 support, so it cannot open `s3://bucket/prefix`\n\
         hint: install with S3 support: `cargo install --path cli --features s3`\n"
    );
}
