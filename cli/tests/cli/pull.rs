//! `playback pull`.

use playback_store::{DirStore, Query, Store};

use crate::support::{fixture_store, fixtures, playback_in};

fn ids_in(dir: &std::path::Path) -> Vec<String> {
    let store = DirStore::new(dir).unwrap();
    store
        .list(&Query::all())
        .unwrap()
        .into_iter()
        .map(|s| s.unwrap().id.to_string())
        .collect()
}

#[test]
fn pull_copies_the_matching_recordings_into_a_directory_store() {
    let (dir, store) = fixture_store();
    let to = dir.path().join("fixtures");
    let run = playback_in(
        store.root(),
        &[
            "pull",
            "--meta",
            "tenant=acme",
            "--outcome",
            "ok",
            "--to",
            to.to_str().unwrap(),
        ],
    );
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(
        run.stdout,
        format!("pulled 2 recording(s) into {}\n", to.display())
    );
    let fx = fixtures();
    assert_eq!(ids_in(&to), [fx[2].id.to_string(), fx[0].id.to_string()]);
    let copied = std::fs::read(DirStore::new(&to).unwrap().path_for(&fx[0]).unwrap()).unwrap();
    assert_eq!(
        copied,
        std::fs::read(store.path_for(&fx[0]).unwrap()).unwrap()
    );
    assert!(
        !run.stderr.contains('\u{1b}'),
        "no progress bar off a terminal"
    );
}

#[test]
fn pull_sample_is_deterministic_under_a_seed() {
    let (dir, store) = fixture_store();
    let pull = |name: &str, seed: &str| {
        let to = dir.path().join(name);
        let run = playback_in(
            store.root(),
            &[
                "pull",
                "--sample",
                "2",
                "--seed",
                seed,
                "--to",
                to.to_str().unwrap(),
            ],
        );
        assert_eq!(run.code, 0, "{}", run.stderr);
        assert!(
            run.stdout
                .contains(&format!("(a sample of 5, seed {seed})")),
            "{}",
            run.stdout
        );
        ids_in(&to)
    };
    let first = pull("a", "7");
    assert_eq!(first.len(), 2);
    assert_eq!(first, pull("b", "7"));
    let others: Vec<Vec<String>> = (8..14)
        .map(|s| pull(&format!("s{s}"), &s.to_string()))
        .collect();
    assert!(
        others.iter().any(|o| *o != first),
        "other seeds pick other samples"
    );
}

#[test]
fn pull_seed_without_sample_is_a_usage_error() {
    let (dir, store) = fixture_store();
    let to = dir.path().join("x");
    let run = playback_in(
        store.root(),
        &["pull", "--seed", "1", "--to", to.to_str().unwrap()],
    );
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("--sample"), "{}", run.stderr);
    assert!(!to.exists());
}
