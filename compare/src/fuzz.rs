//! The logic of the fuzz targets in `fuzz/` (a separate workspace), as plain functions
//! so the crate's own tests run every committed regression input through the same
//! checks. Each function panics only when a property breaks.

use std::collections::HashSet;

use serde_json::Value;

use crate::diff::JsonDiff;
use crate::report::Report;

/// Separates the shard reports in a [`report_merge`] input (ASCII record separator).
pub const REPORT_SEPARATOR: u8 = 0x1e;

/// `JsonDiff` rules and the diff on arbitrary documents. The input is: a line of
/// `|`-separated ignore patterns, a line of `|`-separated unordered patterns, then two
/// JSON documents (the recorded and the replayed one).
///
/// Checked: a document never differs from itself under any rules; `is_equal` and
/// `inspect` agree with `diff`; without rules, every difference names a JSON pointer
/// whose values in the two documents are the difference's `recorded` and `replayed`;
/// ignore rules only remove differences; an array equals its reverse when unordered.
///
/// ```
/// playback_compare::__fuzz::json_diff(b"/a|/b/*\n/c\n{\"a\": 1, \"c\": [1, 2]} {\"a\": 2, \"c\": [2, 1]}");
/// ```
pub fn json_diff(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let ignore: Vec<&str> = rules(parts.next());
    let unordered: Vec<&str> = rules(parts.next());
    let mut docs = serde_json::Deserializer::from_str(parts.next().unwrap_or_default())
        .into_iter::<Value>()
        .map_while(Result::ok);
    let Some(recorded) = docs.next() else { return };
    let replayed = docs.next().unwrap_or(Value::Null);

    let mut ruled = JsonDiff::new();
    let mut ignoring = JsonDiff::new();
    for pattern in &ignore {
        ruled = ruled.ignore(pattern);
        ignoring = ignoring.ignore(pattern);
    }
    for pattern in &unordered {
        ruled = ruled.unordered(pattern);
    }
    let plain = JsonDiff::new();

    for (name, diff) in [
        ("plain", &plain),
        ("ignoring", &ignoring),
        ("ruled", &ruled),
    ] {
        for doc in [&recorded, &replayed] {
            assert!(
                diff.diff(doc, doc).is_empty(),
                "{name}: {doc} differs from itself"
            );
            assert!(diff.is_equal(doc, doc));
        }
        let found = diff.diff(&recorded, &replayed);
        assert_eq!(
            diff.is_equal(&recorded, &replayed),
            found.is_empty(),
            "{name}: is_equal disagrees with diff"
        );
        assert_eq!(diff.inspect(&recorded, &replayed).differences, found);
    }

    let found = plain.diff(&recorded, &replayed);
    if recorded == replayed {
        assert!(found.is_empty());
    }
    for d in &found {
        if d.is_redacted() {
            continue;
        }
        assert_eq!(
            recorded.pointer(&d.path),
            d.recorded.as_ref(),
            "recorded side of {}",
            d.path
        );
        assert_eq!(
            replayed.pointer(&d.path),
            d.replayed.as_ref(),
            "replayed side of {}",
            d.path
        );
    }
    let all: HashSet<&str> = found.iter().map(|d| d.path.as_str()).collect();
    for d in ignoring.diff(&recorded, &replayed) {
        assert!(
            all.contains(d.path.as_str()),
            "ignore rules added the difference {}",
            d.path
        );
    }
    if let Value::Array(items) = &recorded {
        let reversed = Value::Array(items.iter().rev().cloned().collect());
        assert!(JsonDiff::new().unordered("").is_equal(&recorded, &reversed));
    }
}

fn rules(line: Option<&str>) -> Vec<&str> {
    line.map(|l| l.split('|').filter(|p| !p.is_empty()).take(8).collect())
        .unwrap_or_default()
}

/// The report merger on arbitrary shard reports: the input is JSON reports separated
/// by [`REPORT_SEPARATOR`]. Each part either fails to read with an error, or is a
/// report. Merging the reports either finds a recording twice (and it really is in two
/// reports), or keeps every comparison, gives the same report in any order of the
/// shards, and writes a report that reads back and writes the same JSON.
///
/// ```
/// let report = playback_compare::Report::default().to_json().unwrap();
/// playback_compare::__fuzz::report_merge(format!("{report}\u{1e}{report}").as_bytes());
/// ```
pub fn report_merge(data: &[u8]) {
    let mut reports = Vec::new();
    for part in data.split(|b| *b == REPORT_SEPARATOR).take(8) {
        match Report::from_json(part) {
            Ok(report) => reports.push(report),
            Err(err) => assert!(!err.to_string().is_empty()),
        }
    }
    let total: usize = reports.iter().map(|r| r.comparisons.len()).sum();
    let merged = match Report::merge(reports.clone()) {
        Ok(merged) => merged,
        Err(err) => {
            let mut seen = HashSet::new();
            let repeated = reports
                .iter()
                .flat_map(|r| &r.comparisons)
                .any(|c| !seen.insert((c.recording_id.clone(), c.walk_id().to_owned())));
            assert!(repeated, "merge failed without a repeated recording: {err}");
            return;
        }
    };
    assert_eq!(merged.comparisons.len(), total, "every comparison is kept");
    let json = merged.to_json().expect("a merged report writes");
    let reversed = Report::merge(reports.into_iter().rev()).expect("merges in any order");
    assert_eq!(
        reversed.to_json().expect("writes"),
        json,
        "the order of the shards does not matter"
    );
    let back = Report::from_json(json.as_bytes()).expect("a written report reads back");
    assert_eq!(
        back.to_json().expect("writes again"),
        json,
        "a report survives writing and reading"
    );
}
