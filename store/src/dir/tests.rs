use std::collections::BTreeSet;

use serde_json::json;
use serde_json::value::to_raw_value;
use time::macros::{date, datetime};

use super::*;
use crate::format::{Interception, OpResult, Outcome};
use crate::query::{Cmp, MetaFilter, days};

/// A store at `<tmp>/outer/root`, so a write that escaped the root would show up in
/// `<tmp>/outer` or `<tmp>`.
struct Fixture {
    tmp: tempfile::TempDir,
    store: DirStore,
}

impl Fixture {
    fn new() -> Self {
        let tmp = tempfile::tempdir().unwrap();
        let store = DirStore::new(tmp.path().join("outer/root")).unwrap();
        Fixture { tmp, store }
    }

    fn put(&self, category: &str, at: OffsetDateTime) -> Recording {
        let rec = Recording::builder(category).recorded_at(at).build();
        self.store.put(&rec).unwrap();
        rec
    }

    /// Every path under the temporary directory, relative to it.
    fn all_paths(&self) -> BTreeSet<String> {
        fn walk(base: &Path, dir: &Path, out: &mut BTreeSet<String>) {
            for entry in fs::read_dir(dir).unwrap() {
                let path = entry.unwrap().path();
                let rel = path
                    .strip_prefix(base)
                    .unwrap()
                    .to_string_lossy()
                    .into_owned();
                out.insert(rel);
                if path.is_dir() && !path.is_symlink() {
                    walk(base, &path, out);
                }
            }
        }
        let mut out = BTreeSet::new();
        walk(self.tmp.path(), self.tmp.path(), &mut out);
        out
    }

    fn write_file(&self, rel: &str, bytes: &[u8]) -> PathBuf {
        let path = self.store.root().join(rel);
        fs::create_dir_all(path.parent().unwrap()).unwrap();
        fs::write(&path, bytes).unwrap();
        path
    }
}

fn sample(category: &str) -> Recording {
    Recording::builder(category)
        .operation("shop::checkout")
        .metadata("tenant", "acme")
        .arg("cart_id", to_raw_value(&7).unwrap())
        .interception(Interception::input(
            "shop::load_cart",
            1,
            json!({"cart_id": 7}),
            to_raw_value(&json!({"Ok": [1, 2]})).unwrap(),
            false,
        ))
        .result(OpResult::Returned {
            value: to_raw_value(&json!({"Ok": 3})).unwrap(),
            error: false,
        })
        .build()
}

fn ok_ids(listed: &[Result<Summary, StoreError>]) -> Vec<RecordingId> {
    listed
        .iter()
        .filter_map(|e| e.as_ref().ok().map(|s| s.id.clone()))
        .collect()
}

fn error_messages(listed: &[Result<Summary, StoreError>]) -> Vec<String> {
    listed
        .iter()
        .filter_map(|e| e.as_ref().err().map(ToString::to_string))
        .collect()
}

#[test]
fn dir_store_round_trips_a_recording_in_its_category_and_day_folder() {
    let fx = Fixture::new();
    let rec = sample("checkout");
    fx.store.put(&rec).unwrap();

    let day = date_dir_name(utc_date(rec.recorded_at));
    let path = fx
        .store
        .root()
        .join("checkout")
        .join(day)
        .join(format!("{}.json", rec.id));
    assert_eq!(fs::read(&path).unwrap(), rec.to_json().unwrap());
    let back = fx.store.get(rec.id()).unwrap();
    assert_eq!(back.summary(), rec.summary());
    assert_eq!(back.arg::<u64>("cart_id").unwrap(), 7);
    assert_eq!(back.interceptions[0].value_json(), json!({"Ok": [1, 2]}));
    let found = fx.store.find(&Query::all()).unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!(
        found[0].as_ref().unwrap().to_json().unwrap(),
        rec.to_json().unwrap()
    );
}

#[test]
fn dir_store_put_leaves_no_temporary_file() {
    let fx = Fixture::new();
    let rec = fx.put("checkout", datetime!(2026-01-02 10:00 UTC));
    let day_dir = fx.store.root().join("checkout/2026-01-02");
    let names: Vec<String> = fs::read_dir(day_dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, vec![format!("{}.json", rec.id)]);
}

#[test]
fn dir_store_put_of_the_same_id_replaces_the_old_copy() {
    let fx = Fixture::new();
    let first = fx.put("checkout", datetime!(2026-01-02 10:00 UTC));
    let mut moved = first.clone();
    moved.category = "refund".into();
    moved.duration_us = 99;
    fx.store.put(&moved).unwrap();

    let listed = fx.store.list(&Query::all()).unwrap();
    assert_eq!(ok_ids(&listed), vec![first.id.clone()]);
    assert_eq!(listed[0].as_ref().unwrap().category, "refund");
    assert_eq!(fx.store.get(first.id()).unwrap().duration_us, 99);
    assert!(
        !fx.store
            .root()
            .join("checkout/2026-01-02")
            .join(file_name(&first.id))
            .exists()
    );
}

#[test]
fn dir_store_get_finds_ids_that_are_not_ulids_or_not_in_their_ulid_day() {
    let fx = Fixture::new();
    let plain = Recording::builder("checkout")
        .recorded_at(datetime!(2026-01-02 10:00 UTC))
        .id(RecordingId::parse("order-42").unwrap())
        .build();
    fx.store.put(&plain).unwrap();
    // A ULID from 2025 on a recording made in 2026.
    let ulid = RecordingId::generate_at(datetime!(2025-06-01 0:00 UTC));
    let shifted = Recording::builder("refund")
        .recorded_at(datetime!(2026-01-03 10:00 UTC))
        .id(ulid.clone())
        .build();
    fx.store.put(&shifted).unwrap();

    assert_eq!(fx.store.get(plain.id()).unwrap().category, "checkout");
    assert_eq!(fx.store.get(&ulid).unwrap().category, "refund");
    let missing = RecordingId::parse("order-43").unwrap();
    assert!(matches!(
        fx.store.get(&missing),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn dir_store_delete_removes_the_file_and_then_reports_not_found() {
    let fx = Fixture::new();
    let rec = fx.put("checkout", datetime!(2026-01-02 10:00 UTC));
    let path = fx.store.path_for(&rec).unwrap();
    assert!(path.is_file());
    fx.store.delete(rec.id()).unwrap();
    assert!(!path.exists());
    assert!(matches!(
        fx.store.delete(rec.id()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(matches!(
        fx.store.get(rec.id()),
        Err(StoreError::NotFound { .. })
    ));
    assert!(fx.store.list(&Query::all()).unwrap().is_empty());
}

#[test]
fn dir_store_lists_newest_first_and_filters_by_category_and_limit() {
    let fx = Fixture::new();
    let a = fx.put("checkout", datetime!(2026-01-01 09:00 UTC));
    let b = fx.put("refund", datetime!(2026-01-01 10:00 UTC));
    let c = fx.put("checkout", datetime!(2026-01-03 08:00 UTC));
    let d = fx.put("checkout", datetime!(2026-01-03 23:59 UTC));

    let all = fx.store.list(&Query::all()).unwrap();
    assert_eq!(
        ok_ids(&all),
        vec![d.id.clone(), c.id.clone(), b.id.clone(), a.id.clone()]
    );
    let checkout = fx.store.list(&Query::category("checkout")).unwrap();
    assert_eq!(
        ok_ids(&checkout),
        vec![d.id.clone(), c.id.clone(), a.id.clone()]
    );
    let refund = fx.store.list(&Query::category("refund")).unwrap();
    assert_eq!(ok_ids(&refund), vec![b.id.clone()]);
    let two = fx.store.list(&Query::all().limit(2)).unwrap();
    assert_eq!(ok_ids(&two), vec![d.id.clone(), c.id.clone()]);
    let three = fx.store.list(&Query::all().limit(3)).unwrap();
    assert_eq!(
        ok_ids(&three),
        vec![d.id.clone(), c.id.clone(), b.id.clone()]
    );
    assert!(fx.store.list(&Query::all().limit(0)).unwrap().is_empty());
    assert!(
        fx.store
            .list(&Query::category("absent"))
            .unwrap()
            .is_empty()
    );
}

#[test]
fn dir_store_filters_by_time_range_inclusively() {
    let fx = Fixture::new();
    let a = fx.put("checkout", datetime!(2026-01-01 09:00 UTC));
    let b = fx.put("checkout", datetime!(2026-01-02 09:00 UTC));
    let c = fx.put("checkout", datetime!(2026-01-03 09:00 UTC));
    let q = Query::all()
        .from(datetime!(2026-01-01 09:00 UTC))
        .until(datetime!(2026-01-02 09:00 UTC));
    assert_eq!(
        ok_ids(&fx.store.list(&q).unwrap()),
        vec![b.id.clone(), a.id.clone()]
    );
    let q = Query::all().from(datetime!(2026-01-02 09:00:00.001 UTC));
    assert_eq!(ok_ids(&fx.store.list(&q).unwrap()), vec![c.id.clone()]);
}

#[test]
fn dir_store_since_keeps_only_recent_recordings() {
    let fx = Fixture::new();
    let now = OffsetDateTime::now_utc();
    let _old = fx.put("checkout", now - time::Duration::days(3));
    let recent = fx.put("checkout", now - time::Duration::hours(1));
    let listed = fx.store.list(&Query::all().since(days(1))).unwrap();
    assert_eq!(ok_ids(&listed), vec![recent.id.clone()]);
    assert_eq!(
        fx.store.list(&Query::all().since(days(4))).unwrap().len(),
        2
    );
}

#[test]
fn dir_store_reads_only_the_day_folders_in_range() {
    let fx = Fixture::new();
    let inside = fx.put("checkout", datetime!(2026-01-05 12:00 UTC));
    fx.write_file("checkout/2026-01-01/junk.json", b"{ not json");
    fx.write_file("checkout/2026-01-09/junk.json", b"{ not json");

    let q = Query::all()
        .from(datetime!(2026-01-04 0:00 UTC))
        .until(datetime!(2026-01-06 0:00 UTC));
    let listed = fx.store.list(&q).unwrap();
    assert_eq!(ok_ids(&listed), vec![inside.id.clone()]);
    assert!(error_messages(&listed).is_empty(), "{listed:?}");

    // Without a range, both corrupt files are read and reported.
    let listed = fx.store.list(&Query::all()).unwrap();
    assert_eq!(ok_ids(&listed), vec![inside.id.clone()]);
    assert_eq!(error_messages(&listed).len(), 2);
}

#[test]
fn dir_store_limit_stops_before_reading_older_days() {
    let fx = Fixture::new();
    let newest = fx.put("checkout", datetime!(2026-01-05 12:00 UTC));
    fx.write_file("checkout/2026-01-01/junk.json", b"{ not json");
    let listed = fx.store.list(&Query::all().limit(1)).unwrap();
    assert_eq!(ok_ids(&listed), vec![newest.id.clone()]);
    assert!(error_messages(&listed).is_empty(), "{listed:?}");
    assert_eq!(
        error_messages(&fx.store.list(&Query::all().limit(2)).unwrap()).len(),
        1
    );
}

#[test]
fn dir_store_filters_by_metadata_and_outcome() {
    let fx = Fixture::new();
    let make = |hour: u8, tenant: &str, items: i64, outcome: Outcome, coupon: Option<&str>| {
        let at = datetime!(2026-01-02 0:00 UTC) + time::Duration::hours(i64::from(hour));
        let mut b = Recording::builder("checkout")
            .recorded_at(at)
            .outcome(outcome)
            .metadata("tenant", tenant)
            .metadata("items", items);
        if let Some(coupon) = coupon {
            b = b.metadata("coupon", coupon);
        }
        let rec = b.build();
        fx.store.put(&rec).unwrap();
        rec.id
    };
    let a = make(1, "acme", 1, Outcome::Ok, Some("SPRING"));
    let b = make(2, "globex", 5, Outcome::Error, None);
    let c = make(3, "acme-eu", 10, Outcome::Panicked, Some("SUMMER"));
    let d = make(4, "initech", 2, Outcome::Ok, None);
    let ids = |q: Query| ok_ids(&fx.store.list(&q).unwrap());

    assert_eq!(
        ids(Query::all().metadata("tenant", "acme")),
        vec![a.clone()]
    );
    assert_eq!(
        ids(Query::all().metadata("tenant", MetaFilter::any_of(["globex", "initech"]))),
        vec![d.clone(), b.clone()]
    );
    assert_eq!(
        ids(Query::all().metadata("tenant", MetaFilter::glob("acme*"))),
        vec![c.clone(), a.clone()]
    );
    assert_eq!(
        ids(Query::all().metadata("items", MetaFilter::cmp(Cmp::Ge, 5))),
        vec![c.clone(), b.clone()]
    );
    assert_eq!(
        ids(Query::all().metadata("coupon", MetaFilter::Missing)),
        vec![d.clone(), b.clone()]
    );
    assert_eq!(
        ids(Query::all()
            .metadata("coupon", MetaFilter::glob("S*"))
            .metadata("items", MetaFilter::cmp(Cmp::Lt, 5))),
        vec![a.clone()]
    );
    assert_eq!(
        ids(Query::all()
            .outcome(Outcome::Error)
            .outcome(Outcome::Panicked)),
        vec![c.clone(), b.clone()]
    );
    assert_eq!(
        ids(Query::all().outcome(Outcome::Incomplete)),
        Vec::<RecordingId>::new()
    );
}

#[test]
fn dir_store_lists_unreadable_files_as_errors_naming_the_path() {
    let fx = Fixture::new();
    let good = fx.put("checkout", datetime!(2026-01-02 12:00 UTC));
    let full = good.to_json().unwrap();
    let mut newer: serde_json::Value = serde_json::from_slice(&full).unwrap();
    newer["format_version"] = json!("2.0");
    newer["id"] = json!("newer");
    let mut hostile = newer.clone();
    hostile["format_version"] = json!("1.0");
    hostile["id"] = json!("../../escape");

    let corrupt = fx.write_file("checkout/2026-01-02/corrupt.json", b"\x00\x01garbage");
    let truncated = fx.write_file(
        "checkout/2026-01-02/truncated.json",
        &full[..full.len() / 2],
    );
    let newer = fx.write_file(
        "checkout/2026-01-02/newer.json",
        newer.to_string().as_bytes(),
    );
    let foreign = fx.write_file(
        "checkout/2026-01-02/foreign.json",
        br#"{"name": "package"}"#,
    );
    let hostile = fx.write_file(
        "checkout/2026-01-02/hostile.json",
        hostile.to_string().as_bytes(),
    );

    let listed = fx.store.list(&Query::all()).unwrap();
    assert_eq!(ok_ids(&listed), vec![good.id.clone()]);
    assert_eq!(listed.len(), 6);
    let errors: Vec<&StoreError> = listed.iter().filter_map(|e| e.as_ref().err()).collect();
    let error_for = |path: &Path| {
        let shown = path.display().to_string();
        *errors
            .iter()
            .find(|e| e.to_string().contains(&shown))
            .unwrap_or_else(|| panic!("no error names {shown}: {errors:?}"))
    };
    assert!(matches!(error_for(&corrupt), StoreError::Corrupt { .. }));
    assert!(matches!(error_for(&truncated), StoreError::Corrupt { .. }));
    assert!(
        matches!(error_for(&newer), StoreError::UnsupportedVersion { found, .. } if found == "2.0")
    );
    assert!(matches!(
        error_for(&foreign),
        StoreError::NotARecording { .. }
    ));
    assert!(matches!(error_for(&hostile), StoreError::Corrupt { .. }));

    // `find` keeps going too: one recording, five errors.
    let found = fx.store.find(&Query::all()).unwrap();
    assert_eq!(found.iter().filter(|r| r.is_ok()).count(), 1);
    assert_eq!(found.iter().filter(|r| r.is_err()).count(), 5);
}

#[test]
fn dir_store_reports_a_file_whose_content_does_not_match_its_name() {
    let fx = Fixture::new();
    let rec = fx.put("checkout", datetime!(2026-01-02 12:00 UTC));
    let copy = fx.write_file("checkout/2026-01-02/copy.json", &rec.to_json().unwrap());
    let other_category = fx.write_file(
        &format!("refund/2026-01-02/{}.json", rec.id),
        &rec.to_json().unwrap(),
    );
    let listed = fx.store.list(&Query::all()).unwrap();
    assert_eq!(ok_ids(&listed), vec![rec.id.clone()]);
    let messages = error_messages(&listed);
    assert_eq!(messages.len(), 2, "{messages:?}");
    for path in [copy, other_category] {
        let shown = path.display().to_string();
        assert!(
            messages
                .iter()
                .any(|m| m.contains(&shown) && m.contains("does not match")),
            "{messages:?}"
        );
    }
    let copy_id = RecordingId::parse("copy").unwrap();
    assert!(matches!(
        fx.store.get(&copy_id),
        Err(StoreError::Misplaced { .. })
    ));
}

#[test]
fn dir_store_ignores_temporary_hidden_and_foreign_files() {
    let fx = Fixture::new();
    let rec = fx.put("checkout", datetime!(2026-01-02 12:00 UTC));
    fx.write_file(
        &format!("checkout/2026-01-02/.{}.json.tmp-00ff", rec.id),
        b"{ half",
    );
    fx.write_file("checkout/2026-01-02/notes.txt", b"hello");
    fx.write_file("checkout/2026-01-02/bad name.json", b"{}");
    fx.write_file("checkout/not-a-day/x.json", b"{}");
    fx.write_file(".hidden/2026-01-02/x.json", b"{}");
    fx.write_file("README", b"a file at the root");

    let listed = fx.store.list(&Query::all()).unwrap();
    assert_eq!(ok_ids(&listed), vec![rec.id.clone()]);
    assert!(error_messages(&listed).is_empty(), "{listed:?}");
}

#[test]
fn dir_store_rejects_hostile_categories_without_writing_outside_the_root() {
    let fx = Fixture::new();
    let before = fx.all_paths();
    let long = "c".repeat(200);
    for category in [
        "../x",
        "../../x",
        "..",
        ".",
        "a/b",
        "a\\b",
        "a\0b",
        "/abs",
        "",
        long.as_str(),
    ] {
        let rec = Recording::builder(category).build();
        let err = fx.store.put(&rec).unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidCategory { .. }),
            "{category:?}: {err:?}"
        );
        let err = fx.store.list(&Query::category(category)).unwrap_err();
        assert!(
            matches!(err, StoreError::InvalidCategory { .. }),
            "{category:?}: {err:?}"
        );
    }
    assert_eq!(fx.all_paths(), before);
    assert_eq!(
        before,
        BTreeSet::from(["outer".to_owned(), "outer/root".to_owned()])
    );
}

#[test]
fn hostile_ids_cannot_be_built() {
    let long = "i".repeat(200);
    for id in ["../x", "a/b", "a\\b", "a\0b", "..", "", long.as_str()] {
        assert!(
            matches!(RecordingId::parse(id), Err(StoreError::InvalidId { .. })),
            "{id:?}"
        );
    }
}

#[cfg(unix)]
#[test]
fn dir_store_refuses_symlinks_inside_the_root() {
    let fx = Fixture::new();
    let outside = fx.tmp.path().join("outside");
    fs::create_dir(&outside).unwrap();
    std::os::unix::fs::symlink(&outside, fx.store.root().join("evil")).unwrap();

    let rec = Recording::builder("evil").build();
    assert!(matches!(
        fx.store.put(&rec),
        Err(StoreError::Symlink { .. })
    ));
    assert_eq!(fs::read_dir(&outside).unwrap().count(), 0);
    assert!(matches!(
        fx.store.list(&Query::category("evil")).unwrap()[..],
        [Err(StoreError::Symlink { .. })]
    ));

    // A recording planted outside and reached through the link is never read.
    let planted = Recording::builder("evil")
        .recorded_at(datetime!(2026-01-02 12:00 UTC))
        .build();
    let day = outside.join("2026-01-02");
    fs::create_dir(&day).unwrap();
    fs::write(day.join(file_name(&planted.id)), planted.to_json().unwrap()).unwrap();
    let listed = fx.store.list(&Query::all()).unwrap();
    assert!(ok_ids(&listed).is_empty());
    assert_eq!(error_messages(&listed).len(), 1);
    assert!(matches!(
        fx.store.get(planted.id()),
        Err(StoreError::NotFound { .. })
    ));
}

#[test]
fn concurrent_puts_and_reads_never_see_a_partial_file() {
    let fx = Fixture::new();
    let rec = sample("checkout");
    fx.store.put(&rec).unwrap();
    std::thread::scope(|s| {
        let writer = s.spawn(|| {
            for n in 0..100 {
                let mut r = rec.clone();
                r.duration_us = n;
                fx.store.put(&r).unwrap();
            }
        });
        for _ in 0..100 {
            let back = fx.store.get(rec.id()).unwrap();
            assert_eq!(back.id, rec.id);
            let listed = fx.store.list(&Query::all()).unwrap();
            assert_eq!(ok_ids(&listed), vec![rec.id.clone()], "{listed:?}");
        }
        writer.join().unwrap();
    });
    assert_eq!(fx.store.get(rec.id()).unwrap().duration_us, 99);
}

#[test]
fn day_folder_names_round_trip_and_reject_look_alikes() {
    for d in [
        date!(2026 - 01 - 02),
        date!(0001 - 12 - 31),
        date!(9999 - 12 - 31),
    ] {
        assert_eq!(parse_date_dir(&date_dir_name(d)), Some(d));
    }
    assert_eq!(date_dir_name(date!(2026 - 01 - 02)), "2026-01-02");
    for name in [
        "2026-1-02",
        "2026-01-2",
        "+2026-01-02",
        "2026-02-30",
        "2026-13-01",
        "x",
        "2026-01-02x",
    ] {
        assert_eq!(parse_date_dir(name), None, "{name}");
    }
}

#[test]
fn new_reports_an_io_error_naming_the_path_when_the_root_cannot_be_created() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("file");
    fs::write(&file, b"x").unwrap();
    let err = DirStore::new(file.join("root")).unwrap_err();
    assert!(
        matches!(
            err,
            StoreError::Io {
                op: "create directory",
                ..
            }
        ),
        "{err:?}"
    );
    assert!(err.to_string().contains(&file.display().to_string()));
}
