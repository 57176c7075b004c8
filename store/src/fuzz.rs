//! The logic of the fuzz targets in `fuzz/` (a separate workspace), as plain functions
//! so the crate's own tests can run every committed regression input through the very
//! same checks. Each function panics only when a property of the parser breaks.

use serde_json::Value;

use crate::format::{Recording, Summary};
use crate::query::{Cmp, MetaFilter, Query};

/// The recording reader on arbitrary bytes: a document either fails with an error whose
/// message formats, or reads into a recording that writes back to JSON, reads again and
/// writes the same bytes a second time; every accessor works on what was read.
///
/// ```
/// playback_store::__fuzz::recording_reader(b"{\"format_version\": \"1.0\"");
/// let rec = playback_store::Recording::builder("c").build();
/// playback_store::__fuzz::recording_reader(&rec.to_json()?);
/// # Ok::<(), playback_store::StoreError>(())
/// ```
pub fn recording_reader(data: &[u8]) {
    let rec = match Recording::from_json_at(data, "fuzz") {
        Ok(rec) => rec,
        Err(err) => {
            assert!(!err.to_string().is_empty());
            return;
        }
    };
    check_recording(&rec);
}

/// The properties every recording that was read must keep (see [`recording_reader`]).
///
/// ```
/// playback_store::__fuzz::check_recording(&playback_store::Recording::builder("c").build());
/// ```
pub fn check_recording(rec: &Recording) {
    let json = rec
        .to_json()
        .expect("a recording that was read writes back to JSON");
    let again = Recording::from_json_at(&json, "fuzz: written back")
        .expect("a recording written by playback reads back");
    assert_eq!(
        again.to_json().expect("writes again"),
        json,
        "reading what was written writes the same bytes"
    );
    let summary = rec.summary();
    assert_eq!(summary.id, rec.id);
    for name in rec.args.keys() {
        // A stored argument is valid JSON, but a number such as `1E999` has no `f64`:
        // reading it is a typed error naming the argument, never a panic.
        if let Err(err) = rec.arg::<Value>(name) {
            assert!(
                matches!(err, crate::StoreError::ArgType { .. }),
                "argument {name}: {err}"
            );
        }
    }
    if let Some(result) = &rec.result {
        let _ = result.to_json();
    }
    for i in &rec.interceptions {
        let _ = (i.args_value(), i.value_json());
    }
    let _ = (rec.duration(), rec.category(), rec.id().timestamp());
}

/// An S3 index object (a [`Summary`]) on arbitrary bytes: either an error, or a summary
/// that writes back to JSON and reads back equal.
///
/// ```
/// let rec = playback_store::Recording::builder("c").build();
/// playback_store::__fuzz::index_object(&serde_json::to_vec(&rec.summary()).unwrap());
/// playback_store::__fuzz::index_object(b"[1, 2");
/// ```
pub fn index_object(data: &[u8]) {
    let summary = match Summary::from_json_at(data, "fuzz") {
        Ok(summary) => summary,
        Err(err) => {
            assert!(!err.to_string().is_empty());
            return;
        }
    };
    let json = serde_json::to_vec(&summary).expect("a summary that was read writes back");
    let back = Summary::from_json_at(&json, "fuzz: written back")
        .expect("a summary written by playback reads back");
    assert_eq!(back, summary, "a summary survives writing and reading");
}

/// The query and glob filters on arbitrary input. The bytes are, separated by the
/// first two newlines: a glob pattern, a text, and a JSON summary. The glob matcher is
/// checked against a plain backtracking reference matcher (on short inputs, where the
/// reference is fast), and every kind of filter runs on the summary's metadata.
///
/// ```
/// playback_store::__fuzz::query_filters(b"eu-*\neu-west-1\n{}");
/// playback_store::__fuzz::query_filters(b"[a-\\]\n-\n");
/// ```
pub fn query_filters(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let mut parts = text.splitn(3, '\n');
    let pattern = parts.next().unwrap_or_default();
    let subject = parts.next().unwrap_or_default();
    let rest = parts.next().unwrap_or_default();

    let glob = MetaFilter::glob(pattern);
    let matched = glob.matches(Some(&Value::from(subject)));
    let (p, s): (Vec<char>, Vec<char>) = (pattern.chars().collect(), subject.chars().collect());
    if p.len() <= 12 && s.len() <= 24 {
        assert_eq!(
            matched,
            reference_glob(&p, &s),
            "glob {pattern:?} on {subject:?} disagrees with the reference matcher"
        );
    }
    if !pattern.contains(['*', '?', '[', '\\']) {
        assert_eq!(
            matched,
            pattern == subject,
            "a plain pattern matches itself only"
        );
    }
    assert!(MetaFilter::glob("*").matches(Some(&Value::from(subject))));
    assert!(
        !glob.matches(Some(&Value::Null)),
        "a glob matches strings only"
    );

    let value: Value = serde_json::from_str(rest).unwrap_or(Value::from(rest));
    let eq = MetaFilter::from(value.clone());
    assert!(eq.matches(Some(&value)), "a value equals itself: {value}");
    for op in [Cmp::Lt, Cmp::Le, Cmp::Gt, Cmp::Ge, Cmp::Ne] {
        let _ = MetaFilter::cmp(op, value.clone()).matches(Some(&Value::from(subject)));
    }
    assert!(
        !MetaFilter::cmp(Cmp::Ne, value.clone()).matches(Some(&value)),
        "a value is never unequal to itself: {value}"
    );
    let any = MetaFilter::any_of([glob.clone(), eq.clone()]);
    assert_eq!(
        any.matches(Some(&value)),
        glob.matches(Some(&value)) || eq.matches(Some(&value))
    );

    if let Ok(summary) = serde_json::from_str::<Summary>(rest) {
        let mut query = Query::all();
        for (key, meta) in summary.metadata.iter().take(4) {
            query = query.metadata(key.clone(), MetaFilter::from(meta.clone()));
        }
        assert!(
            query.matches(&summary),
            "a summary matches its own metadata"
        );
        let by_glob = Query::all().metadata("k", glob);
        let expected = summary
            .metadata
            .get("k")
            .and_then(Value::as_str)
            .is_some_and(|s| MetaFilter::glob(pattern).matches(Some(&Value::from(s))));
        assert_eq!(by_glob.matches(&summary), expected);
    }
}

/// A plain backtracking glob matcher with the same syntax as [`MetaFilter::Glob`], used
/// as the reference on short inputs.
fn reference_glob(p: &[char], s: &[char]) -> bool {
    match p.first() {
        None => s.is_empty(),
        Some('*') => (0..=s.len()).any(|skip| reference_glob(&p[1..], &s[skip..])),
        Some(&c) => {
            let Some((&first, rest)) = s.split_first() else {
                return false;
            };
            let (matched, width) = match c {
                '?' => (true, 1),
                '\\' if p.len() > 1 => (p[1] == first, 2),
                '[' => match reference_class(p, first) {
                    Some(found) => found,
                    None => (first == '[', 1),
                },
                _ => (c == first, 1),
            };
            matched && reference_glob(&p[width..], rest)
        }
    }
}

/// A class `[...]` at the start of `p` (no escapes inside, a `]` first is a member):
/// whether `c` is in it and the class's width, or `None` when it is not closed.
fn reference_class(p: &[char], c: char) -> Option<(bool, usize)> {
    let body = usize::from(matches!(p.get(1), Some('!' | '^'))) + 1;
    // The closing `]`: the first one after at least one member, not the end of a range.
    let mut members = Vec::new();
    let mut i = body;
    let close = loop {
        let lo = *p.get(i)?;
        if lo == ']' && i > body {
            break i;
        }
        if p.get(i + 1) == Some(&'-') && p.get(i + 2).is_some_and(|hi| *hi != ']') {
            members.push((lo, p[i + 2]));
            i += 3;
        } else {
            members.push((lo, lo));
            i += 1;
        }
    };
    let found = members.iter().any(|(lo, hi)| *lo <= c && c <= *hi);
    Some((found != (body == 2), close + 1))
}
