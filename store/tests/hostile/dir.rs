//! A directory store whose folders hold truncated files, a 1 GB file, 100,000 levels of
//! nested JSON, invalid UTF-8, symbolic links out of the root and a misplaced
//! recording: listing and loading give one error per bad entry, never a panic, a stack
//! overflow, a huge allocation or a followed link.

use std::fs;
use std::path::{Path, PathBuf};

use playback_store::{
    DirStore, MAX_JSON_DEPTH, MAX_RECORDING_BYTES, Query, Recording, RecordingId, Store, StoreError,
};
use time::macros::datetime;

struct Hostile {
    _tmp: tempfile::TempDir,
    store: DirStore,
    day: PathBuf,
    good: Recording,
    outside: PathBuf,
}

fn id(n: u32) -> RecordingId {
    RecordingId::parse(&format!("01J00000000000000000000{n:03}")).unwrap()
}

/// A recording of `checkout` on 2026-01-02 with this id, as JSON text.
fn recording_json(id: &RecordingId) -> String {
    let rec = Recording::builder("checkout")
        .recorded_at(datetime!(2026-01-02 10:00 UTC))
        .id(id.clone())
        .build();
    String::from_utf8(rec.to_json().unwrap()).unwrap()
}

fn write(day: &Path, id: &RecordingId, bytes: impl AsRef<[u8]>) -> PathBuf {
    let path = day.join(format!("{id}.json"));
    fs::write(&path, bytes).unwrap();
    path
}

impl Hostile {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let store = DirStore::new(tmp.path().join("root")).unwrap();
        let good = Recording::builder("checkout")
            .recorded_at(datetime!(2026-01-02 10:00 UTC))
            .id(id(1))
            .build();
        store.put(&good).unwrap();
        let day = store.root().join("checkout/2026-01-02");
        // A valid recording outside the root, which a followed link would let in.
        let outside = tmp.path().join("outside");
        fs::create_dir_all(outside.join("2026-01-02")).unwrap();
        Hostile {
            _tmp: tmp,
            store,
            day,
            good,
            outside,
        }
    }

    fn list(&self) -> Vec<Result<playback_store::Summary, StoreError>> {
        self.store.list(&Query::all()).unwrap()
    }

    /// The single error the listing gives beside the good recording.
    fn only_error(&self) -> StoreError {
        let mut entries = self.list();
        assert_eq!(
            entries.len(),
            2,
            "the good recording and one error: {entries:?}"
        );
        let good = entries
            .iter()
            .position(Result::is_ok)
            .expect("the good one is listed");
        assert_eq!(entries[good].as_ref().unwrap().id, self.good.id);
        entries.remove(1 - good).unwrap_err()
    }
}

#[test]
fn a_truncated_file_is_one_corrupt_entry_and_a_corrupt_load() {
    let h = Hostile::new();
    let json = recording_json(&id(2));
    write(&h.day, &id(2), &json[..json.len() / 2]);
    let err = h.only_error();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    assert!(
        err.to_string().contains(&format!("{}.json", id(2))),
        "{err}"
    );
    assert!(matches!(
        h.store.get(&id(2)),
        Err(StoreError::Corrupt { .. })
    ));
}

#[test]
fn a_sparse_gigabyte_file_is_refused_from_its_size_without_reading_it() {
    let h = Hostile::new();
    let path = h.day.join(format!("{}.json", id(3)));
    fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
    let err = h.only_error();
    match &err {
        StoreError::TooLarge { size, limit, .. } => {
            assert_eq!(*size, 1 << 30);
            assert_eq!(*limit, MAX_RECORDING_BYTES);
        }
        other => panic!("expected TooLarge, got {other}"),
    }
    assert!(err.to_string().contains("MAX_RECORDING_BYTES"), "{err}");
    assert!(matches!(
        h.store.get(&id(3)),
        Err(StoreError::TooLarge { .. })
    ));
}

#[test]
fn a_hundred_thousand_nested_levels_are_too_deep_not_a_stack_overflow() {
    let h = Hostile::new();
    let json = recording_json(&id(4));
    let nested = format!("{}{}", "[".repeat(100_000), "]".repeat(100_000));
    let deep = json.replacen(
        "\"metadata\": {}",
        &format!("\"metadata\": {{\"x\": {nested}}}"),
        1,
    );
    assert_ne!(deep, json);
    write(&h.day, &id(4), deep);
    // Only brackets, never closed, no recording around them.
    write(&h.day, &id(5), "{\"a\": [".repeat(100_000));
    let errors: Vec<StoreError> = h.list().into_iter().filter_map(Result::err).collect();
    assert_eq!(errors.len(), 2, "{errors:?}");
    for err in &errors {
        assert!(
            matches!(err, StoreError::TooDeep { limit, .. } if *limit == MAX_JSON_DEPTH),
            "{err}"
        );
    }
    assert!(matches!(
        h.store.get(&id(4)),
        Err(StoreError::TooDeep { .. })
    ));
}

#[test]
fn invalid_utf8_inside_a_file_is_corrupt_and_a_non_utf8_file_name_is_skipped() {
    let h = Hostile::new();
    let json = recording_json(&id(6));
    let bad = json
        .replacen("\"checkout\"", "\"check\u{FFFD}out\"", 1)
        .replace('\u{FFFD}', "\u{1}");
    let mut bytes = bad.into_bytes();
    let at = bytes.iter().position(|b| *b == 1).unwrap();
    bytes[at] = 0xFF;
    write(&h.day, &id(6), &bytes);
    let err = h.only_error();
    assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");

    #[cfg(unix)]
    {
        use std::os::unix::ffi::OsStrExt;
        fs::remove_file(h.day.join(format!("{}.json", id(6)))).unwrap();
        let name = std::ffi::OsStr::from_bytes(b"\xFF\xFE.json");
        fs::write(h.day.join(name), recording_json(&id(7))).unwrap();
        let entries = h.list();
        assert_eq!(
            entries.len(),
            1,
            "not a recording's name, so not listed: {entries:?}"
        );
        assert!(entries[0].is_ok());
    }
}

#[cfg(unix)]
#[test]
fn symbolic_links_out_of_the_root_are_errors_and_never_followed() {
    use std::os::unix::fs::symlink;
    let h = Hostile::new();
    // A file link, a day-folder link and a category-folder link, each to a valid
    // recording outside the root.
    let target = write(
        &h.outside.join("2026-01-02"),
        &id(8),
        recording_json(&id(8)),
    );
    symlink(&target, h.day.join(format!("{}.json", id(8)))).unwrap();
    write(
        &h.outside.join("2026-01-02"),
        &id(9),
        recording_json(&id(9)),
    );
    symlink(
        h.outside.join("2026-01-02"),
        h.store.root().join("checkout/2026-01-03"),
    )
    .unwrap();
    symlink(&h.outside, h.store.root().join("refund")).unwrap();

    let entries = h.list();
    let ok: Vec<_> = entries.iter().filter_map(|e| e.as_ref().ok()).collect();
    assert_eq!(ok.len(), 1, "only the good recording: {entries:?}");
    let links: Vec<PathBuf> = entries
        .iter()
        .filter_map(|e| match e {
            Err(StoreError::Symlink { path }) => Some(path.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(links.len(), 3, "{entries:?}");
    assert_eq!(entries.len(), 4, "{entries:?}");
    assert!(matches!(
        h.store.get(&id(8)),
        Err(StoreError::Symlink { .. })
    ));
    assert!(
        matches!(h.store.get(&id(9)), Err(StoreError::NotFound { .. })),
        "not read through the day link"
    );
    // The listing of one category reports its own link too.
    let refund = h.store.list(&Query::category("refund")).unwrap();
    assert!(
        matches!(refund[..], [Err(StoreError::Symlink { .. })]),
        "{refund:?}"
    );
}

#[test]
fn a_recording_whose_id_does_not_match_its_path_is_misplaced() {
    let h = Hostile::new();
    write(&h.day, &id(10), recording_json(&id(11)));
    let err = h.only_error();
    match &err {
        StoreError::Misplaced { found_id, .. } => assert_eq!(found_id, id(11).as_str()),
        other => panic!("expected Misplaced, got {other}"),
    }
    assert!(matches!(
        h.store.get(&id(10)),
        Err(StoreError::Misplaced { .. })
    ));
}

#[test]
fn every_hostile_entry_at_once_gives_one_error_each_beside_the_good_recording() {
    let h = Hostile::new();
    let json = recording_json(&id(2));
    write(&h.day, &id(2), &json[..json.len() / 3]);
    fs::File::create(h.day.join(format!("{}.json", id(3))))
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    write(&h.day, &id(4), "{\"a\":".repeat(100_000));
    write(
        &h.day,
        &id(6),
        b"{\"format_version\": \"1.1\", \"id\": \"\xFF\"}",
    );
    write(&h.day, &id(10), recording_json(&id(11)));
    let entries = h.list();
    assert_eq!(entries.len(), 6, "{entries:?}");
    assert_eq!(entries.iter().filter(|e| e.is_ok()).count(), 1);
    let kinds: Vec<&str> = entries
        .iter()
        .filter_map(|e| e.as_ref().err())
        .map(|e| match e {
            StoreError::Corrupt { .. } => "corrupt",
            StoreError::TooLarge { .. } => "too large",
            StoreError::TooDeep { .. } => "too deep",
            StoreError::Misplaced { .. } => "misplaced",
            _ => "other",
        })
        .collect();
    for kind in ["corrupt", "too large", "too deep", "misplaced"] {
        assert!(kinds.contains(&kind), "{kind} in {kinds:?}");
    }
    assert!(!kinds.contains(&"other"), "{kinds:?}");
    // A recording can still be found and loaded beside them.
    assert_eq!(h.store.get(&h.good.id).unwrap().id, h.good.id);
}
