//! Every seed and every regression input of the fuzz targets this crate owns, through
//! the very checks the targets run (`playback_store::__fuzz`).

use std::path::PathBuf;

/// The files of `fuzz/corpus/<target>` and `fuzz/regressions/<target>`.
fn inputs(target: &str) -> Vec<(PathBuf, Vec<u8>)> {
    let fuzz = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let mut found = Vec::new();
    for dir in ["corpus", "regressions"] {
        let Ok(entries) = std::fs::read_dir(fuzz.join(dir).join(target)) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            found.push((path, bytes));
        }
    }
    assert!(!found.is_empty(), "no inputs for {target}");
    found
}

#[test]
fn the_recording_reader_keeps_its_properties_on_every_seed_and_regression() {
    let mut read = 0;
    // Every input of the JSON target, and the plain JSON seeds of the S3 body target
    // (its `Z` and zstd inputs are run by playback-s3's tests).
    let json = inputs("recording_json").into_iter().chain(
        inputs("recording_reader")
            .into_iter()
            .filter(|(path, _)| path.extension().is_some_and(|e| e == "json")),
    );
    for (_, bytes) in json {
        playback_store::__fuzz::recording_reader(&bytes);
        read += usize::from(playback_store::Recording::from_json(&bytes).is_ok());
    }
    assert!(read >= 16, "the seeds are real recordings: {read}");
}

#[test]
fn the_index_reader_keeps_its_properties_on_every_seed_and_regression() {
    for (_, bytes) in inputs("index_object") {
        let body = bytes.splitn(2, |b| *b == b'\n').nth(1).unwrap_or_default();
        playback_store::__fuzz::index_object(body);
    }
}

#[test]
fn the_query_filters_keep_their_properties_on_every_seed_and_regression() {
    for (_, bytes) in inputs("query_filters") {
        playback_store::__fuzz::query_filters(&bytes);
    }
}
