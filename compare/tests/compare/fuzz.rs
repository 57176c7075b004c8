//! Every seed and every regression input of the fuzz targets this crate owns, through
//! the very checks the targets run (`playback_compare::__fuzz`).

use std::path::PathBuf;

/// The files of `fuzz/corpus/<target>` and `fuzz/regressions/<target>`.
fn inputs(target: &str) -> Vec<Vec<u8>> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            found.push(std::fs::read(entry.unwrap().path()).unwrap());
        }
    }
    assert!(!found.is_empty(), "no inputs for {target}");
    found
}

#[test]
fn json_diff_keeps_its_properties_on_every_fuzz_seed_and_regression() {
    for input in inputs("json_diff") {
        playback_compare::__fuzz::json_diff(&input);
    }
}

#[test]
fn the_report_merger_keeps_its_properties_on_every_fuzz_seed_and_regression() {
    let inputs = inputs("report_merge");
    let merged = inputs
        .iter()
        .filter(|i| i.contains(&playback_compare::__fuzz::REPORT_SEPARATOR))
        .count();
    assert!(merged >= 2, "seeds with several shard reports: {merged}");
    for input in inputs {
        playback_compare::__fuzz::report_merge(&input);
    }
}
