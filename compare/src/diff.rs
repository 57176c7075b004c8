//! `JsonDiff`: a structural diff of two JSON documents, by JSON-pointer path.

use std::fmt;
use std::sync::Arc;

use serde_json::Value;

use crate::difference::{Difference, Inspection};
use crate::pointer::Pattern;
use crate::walk::Sink;

type EqualFn = dyn Fn(&Value, &Value) -> bool + Send + Sync;

/// The default comparator: a structural JSON diff that lists every difference by
/// JSON-pointer path, with the recorded and the replayed value.
///
/// Rules take a *path pattern*: a JSON pointer (RFC 6901, so `~1` is `/` and `~0` is
/// `~` inside a member name) in which the segment `*` matches any one segment (a
/// member or an array index) and `**` matches any number of segments.
///
/// - [`JsonDiff::ignore`]: skip a path and everything under it.
/// - [`JsonDiff::float_tolerance`]: numbers `a`, `b` are equal when
///   `|a - b| <= tolerance * max(1, |a|, |b|)` (absolute near zero, relative above 1).
///   Without a tolerance, numbers are equal when they are the same number (`1 == 1.0`).
/// - [`JsonDiff::unordered`]: compare the arrays at a path as multisets. Unmatched
///   elements are paired in order and diffed, and any left over are added or removed.
/// - [`JsonDiff::equal_if`]: your own equality for the values at a path.
///
/// ```
/// use playback_compare::JsonDiff;
/// use serde_json::json;
///
/// let diff = JsonDiff::new()
///     .ignore("/result/created_at")
///     .ignore("/outputs/*/args/trace_id")
///     .float_tolerance(1e-9)
///     .unordered("/result/tags");
/// let recorded = json!({
///     "result": {"created_at": "monday", "total": 0.1, "tags": ["a", "b"], "n": 1},
///     "outputs": [{"args": {"trace_id": "x", "to": "ann"}}],
/// });
/// let replayed = json!({
///     "result": {"created_at": "tuesday", "total": 0.1 + 1e-12, "tags": ["b", "a"], "n": 2},
///     "outputs": [{"args": {"trace_id": "y", "to": "ann"}}],
/// });
/// let found = diff.diff(&recorded, &replayed);
/// assert_eq!(found.len(), 1);
/// assert_eq!(found[0].path, "/result/n");
/// assert_eq!(found[0].recorded, Some(json!(1)));
/// assert_eq!(found[0].replayed, Some(json!(2)));
/// ```
#[derive(Clone, Default)]
pub struct JsonDiff {
    pub(crate) ignore: Vec<Pattern>,
    pub(crate) unordered: Vec<Pattern>,
    pub(crate) custom: Vec<(Pattern, Arc<EqualFn>)>,
    pub(crate) tolerance: f64,
    detect_fixed: bool,
}

impl fmt::Debug for JsonDiff {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = |list: &[Pattern]| {
            list.iter()
                .map(|p| p.as_str().to_owned())
                .collect::<Vec<_>>()
        };
        f.debug_struct("JsonDiff")
            .field("ignore", &names(&self.ignore))
            .field("unordered", &names(&self.unordered))
            .field(
                "equal_if",
                &self
                    .custom
                    .iter()
                    .map(|(p, _)| p.as_str())
                    .collect::<Vec<_>>(),
            )
            .field("float_tolerance", &self.tolerance)
            .field("detect_fixed", &self.detect_fixed)
            .finish()
    }
}
impl JsonDiff {
    /// A diff with no rules: every difference counts.
    ///
    /// ```
    /// let d = playback_compare::JsonDiff::new();
    /// assert!(d.diff(&1.into(), &1.0.into()).is_empty());
    /// ```
    pub fn new() -> Self {
        JsonDiff::default()
    }

    /// Ignores the values at paths matching `pattern`, and everything under them,
    /// whether they changed, appeared or disappeared.
    ///
    /// ```
    /// use serde_json::json;
    /// let d = playback_compare::JsonDiff::new().ignore("/outputs/*/args/trace_id");
    /// let a = json!({"outputs": [{"args": {"trace_id": 1}}]});
    /// let b = json!({"outputs": [{"args": {}}]});
    /// assert!(d.diff(&a, &b).is_empty());
    /// ```
    pub fn ignore(mut self, pattern: &str) -> Self {
        self.ignore.push(Pattern::parse(pattern));
        self
    }

    /// Compares numbers with a tolerance: equal when
    /// `|a - b| <= tolerance * max(1, |a|, |b|)`.
    ///
    /// ```
    /// use serde_json::json;
    /// let d = playback_compare::JsonDiff::new().float_tolerance(1e-9);
    /// assert!(d.diff(&json!(1.0), &json!(1.0 + 1e-12)).is_empty());
    /// assert_eq!(d.diff(&json!(1.0), &json!(1.1)).len(), 1);
    /// ```
    pub fn float_tolerance(mut self, tolerance: f64) -> Self {
        self.tolerance = if tolerance.is_finite() && tolerance > 0.0 {
            tolerance
        } else {
            0.0
        };
        self
    }

    /// Treats the arrays at paths matching `pattern` as unordered (multisets).
    ///
    /// ```
    /// use serde_json::json;
    /// let d = playback_compare::JsonDiff::new().unordered("/result/ids");
    /// assert!(d.diff(&json!({"result": {"ids": [1, 2, 2]}}), &json!({"result": {"ids": [2, 1, 2]}})).is_empty());
    /// assert_eq!(d.diff(&json!({"result": {"ids": [1, 2]}}), &json!({"result": {"ids": [2, 3]}}))[0].path, "/result/ids/0");
    /// ```
    pub fn unordered(mut self, pattern: &str) -> Self {
        self.unordered.push(Pattern::parse(pattern));
        self
    }

    /// Uses `equal(recorded, replayed)` to decide whether the values at paths matching
    /// `pattern` are equal; a `false` is one difference at that path. This is how a
    /// custom rule extends the diff without replacing it.
    ///
    /// ```
    /// use serde_json::json;
    /// // Timestamps count as equal when they are on the same day.
    /// let d = playback_compare::JsonDiff::new().equal_if("/result/at", |a, b| {
    ///     a.as_str().map(|s| &s[..10]) == b.as_str().map(|s| &s[..10])
    /// });
    /// let a = json!({"result": {"at": "2026-01-02T10:00:00Z"}});
    /// let b = json!({"result": {"at": "2026-01-02T11:30:00Z"}});
    /// assert!(d.diff(&a, &b).is_empty());
    /// ```
    pub fn equal_if<F>(mut self, pattern: &str, equal: F) -> Self
    where
        F: Fn(&Value, &Value) -> bool + Send + Sync + 'static,
    {
        self.custom.push((Pattern::parse(pattern), Arc::new(equal)));
        self
    }

    /// As a comparator, reports [`crate::Status::Fixed`] instead of
    /// [`crate::Status::Different`] when the recorded operation ended in an error (an
    /// `Err` or a panic) and the replay does not. Off by default, because a replay
    /// that stops returning an expected error can also be a regression.
    ///
    /// ```
    /// let d = playback_compare::JsonDiff::new().detect_fixed(true);
    /// assert!(format!("{d:?}").contains("detect_fixed: true"));
    /// ```
    pub fn detect_fixed(mut self, on: bool) -> Self {
        self.detect_fixed = on;
        self
    }

    pub(crate) fn detects_fixed(&self) -> bool {
        self.detect_fixed
    }

    /// Every difference between `recorded` and `replayed`, in document order (the
    /// recorded document's member order, then members only the replay has).
    ///
    /// A path where either side is the placeholder of a value that could not be
    /// recorded (`{"playback.unrecordable": ..}`) is not a difference; see
    /// [`JsonDiff::inspect`], which lists such paths.
    ///
    /// ```
    /// use serde_json::json;
    /// let found = playback_compare::JsonDiff::new().diff(&json!({"a": [1, 2]}), &json!({"a": [1], "b": true}));
    /// let paths: Vec<&str> = found.iter().map(|d| d.path.as_str()).collect();
    /// assert_eq!(paths, ["/a/1", "/b"]);
    /// ```
    pub fn diff(&self, recorded: &Value, replayed: &Value) -> Vec<Difference> {
        let mut differences = Vec::new();
        if self.equal_fast(recorded, replayed) {
            return differences;
        }
        let mut not_comparable = Vec::new();
        let mut sink = Sink::Collect {
            differences: &mut differences,
            not_comparable: &mut not_comparable,
        };
        self.walk(&mut Vec::new(), Some(recorded), Some(replayed), &mut sink);
        differences
    }

    /// Every difference, as [`JsonDiff::diff`], and every path that is *not
    /// comparable*: where either side holds the placeholder of a value that could
    /// not be recorded, `{"playback.unrecordable": "<why>"}` (its `Serialize` impl
    /// failed or panicked). Such a path is never a difference, whatever the other
    /// side holds, and nothing under it is compared. Ignored paths are not listed.
    ///
    /// This is what the comparator uses: a recording whose only findings are paths
    /// that are not comparable is `Equal`, with the paths as a note.
    ///
    /// ```
    /// use serde_json::json;
    /// let recorded = json!({"result": {"Ok": 5}, "outputs": [{"args": {"conn": {"playback.unrecordable": "Conn is not Serialize"}}}]});
    /// let replayed = json!({"result": {"Ok": 5}, "outputs": [{"args": {"conn": {"fd": 7}}}]});
    /// let found = playback_compare::JsonDiff::new().inspect(&recorded, &replayed);
    /// assert!(found.differences.is_empty());
    /// assert_eq!(found.not_comparable[0].path, "/outputs/0/args/conn");
    /// assert_eq!(found.not_comparable[0].reason, "Conn is not Serialize");
    /// ```
    pub fn inspect(&self, recorded: &Value, replayed: &Value) -> Inspection {
        let mut found = Inspection::default();
        if self.equal_fast(recorded, replayed) {
            // Identical documents can still hold identical placeholders.
            self.scan(&mut Vec::new(), recorded, &mut found.not_comparable);
            return found;
        }
        let mut sink = Sink::Collect {
            differences: &mut found.differences,
            not_comparable: &mut found.not_comparable,
        };
        self.walk(&mut Vec::new(), Some(recorded), Some(replayed), &mut sink);
        found
    }

    /// Whether the two documents are equal under the rules (stops at the first
    /// difference). Paths that are not comparable do not count.
    ///
    /// ```
    /// use serde_json::json;
    /// let d = playback_compare::JsonDiff::new().ignore("/t");
    /// assert!(d.is_equal(&json!({"t": 1, "a": 2}), &json!({"t": 9, "a": 2})));
    /// ```
    pub fn is_equal(&self, recorded: &Value, replayed: &Value) -> bool {
        if self.equal_fast(recorded, replayed) {
            return true;
        }
        let mut sink = Sink::Any {
            found: false,
            strict: false,
        };
        self.walk(&mut Vec::new(), Some(recorded), Some(replayed), &mut sink);
        !sink.done()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn paths(found: &[Difference]) -> Vec<&str> {
        found.iter().map(|d| d.path.as_str()).collect()
    }

    #[test]
    fn equal_documents_have_no_differences() {
        let doc = json!({"a": [1, {"b": null}], "c": "x"});
        assert!(JsonDiff::new().diff(&doc, &doc.clone()).is_empty());
    }

    #[test]
    fn lists_changed_added_and_removed_paths_with_both_values() {
        let a = json!({"same": 1, "changed": "x", "gone": true, "arr": [1, 2, 3]});
        let b = json!({"same": 1, "changed": "y", "new": null, "arr": [1, 5]});
        let found = JsonDiff::new().diff(&a, &b);
        assert_eq!(
            paths(&found),
            ["/arr/1", "/arr/2", "/changed", "/gone", "/new"]
        );
        assert_eq!(found[0], Difference::changed("/arr/1", json!(2), json!(5)));
        assert_eq!(found[1], Difference::removed("/arr/2", json!(3)));
        assert_eq!(found[3], Difference::removed("/gone", json!(true)));
        assert_eq!(found[4], Difference::added("/new", json!(null)));
    }

    #[test]
    fn type_change_is_one_difference_at_the_node() {
        let found = JsonDiff::new().diff(&json!({"a": {"b": 1}}), &json!({"a": [1]}));
        assert_eq!(
            found,
            vec![Difference::changed("/a", json!({"b": 1}), json!([1]))]
        );
    }

    #[test]
    fn ignore_skips_the_subtree_and_only_that_path() {
        let d = JsonDiff::new().ignore("/result/created_at");
        let a = json!({"result": {"created_at": {"s": 1}, "id": 1}});
        let b = json!({"result": {"created_at": {"s": 2}, "id": 2}});
        assert_eq!(paths(&d.diff(&a, &b)), ["/result/id"]);
    }

    #[test]
    fn wildcard_ignore_applies_to_every_array_element() {
        let d = JsonDiff::new().ignore("/outputs/*/args/trace_id");
        let a =
            json!({"outputs": [{"args": {"trace_id": "a", "n": 1}}, {"args": {"trace_id": "b"}}]});
        let b =
            json!({"outputs": [{"args": {"trace_id": "c", "n": 1}}, {"args": {"trace_id": "d"}}]});
        assert!(d.diff(&a, &b).is_empty());
        let c =
            json!({"outputs": [{"args": {"trace_id": "c", "n": 2}}, {"args": {"trace_id": "d"}}]});
        assert_eq!(paths(&d.diff(&a, &c)), ["/outputs/0/args/n"]);
    }

    #[test]
    fn float_tolerance_is_absolute_near_zero_and_relative_above_one() {
        let d = JsonDiff::new().float_tolerance(1e-9);
        assert!(d.diff(&json!(0.0), &json!(5e-10)).is_empty());
        assert_eq!(d.diff(&json!(0.0), &json!(2e-9)).len(), 1);
        assert!(d.diff(&json!(1e12), &json!(1e12 + 100.0)).is_empty());
        assert_eq!(d.diff(&json!(1e12), &json!(1e12 + 10_000.0)).len(), 1);
    }

    #[test]
    fn without_tolerance_numbers_compare_exactly_but_one_equals_one_point_zero() {
        let d = JsonDiff::new();
        assert!(d.diff(&json!(1), &json!(1.0)).is_empty());
        assert_eq!(d.diff(&json!(0.1), &json!(0.1 + 1e-15)).len(), 1);
        assert_eq!(d.diff(&json!(u64::MAX), &json!(u64::MAX - 1)).len(), 1);
        assert_eq!(d.diff(&json!(-1), &json!(1)).len(), 1);
    }

    #[test]
    fn unordered_arrays_match_as_multisets_and_diff_leftovers_in_place() {
        let d = JsonDiff::new().unordered("/items");
        let a = json!({"items": [{"id": 1, "q": 1}, {"id": 2, "q": 1}, {"id": 3, "q": 1}]});
        let shuffled = json!({"items": [{"id": 3, "q": 1}, {"id": 1, "q": 1}, {"id": 2, "q": 1}]});
        assert!(d.diff(&a, &shuffled).is_empty());
        let changed = json!({"items": [{"id": 3, "q": 1}, {"id": 1, "q": 1}, {"id": 2, "q": 9}]});
        let found = d.diff(&a, &changed);
        assert_eq!(
            found,
            vec![Difference::changed("/items/1/q", json!(1), json!(9))]
        );
        let multiset = d.diff(&json!({"items": [1, 1, 2]}), &json!({"items": [1, 2, 2]}));
        assert_eq!(
            multiset,
            vec![Difference::changed("/items/1", json!(1), json!(2))]
        );
        let extra = d.diff(&json!({"items": [1]}), &json!({"items": [2, 1, 3]}));
        assert_eq!(
            extra,
            vec![
                Difference::added("/items/0", json!(2)),
                Difference::added("/items/2", json!(3))
            ]
        );
    }

    #[test]
    fn ordered_arrays_stay_ordered_without_the_rule() {
        let found = JsonDiff::new().diff(&json!([1, 2]), &json!([2, 1]));
        assert_eq!(paths(&found), ["/0", "/1"]);
    }

    #[test]
    fn unordered_with_wildcard_and_rules_inside_elements() {
        let d = JsonDiff::new()
            .unordered("/outputs/*/args/lines")
            .ignore("/outputs/*/args/lines/*/ts");
        let a = json!({"outputs": [{"args": {"lines": [{"sku": "a", "ts": 1}, {"sku": "b", "ts": 2}]}}]});
        let b = json!({"outputs": [{"args": {"lines": [{"sku": "b", "ts": 7}, {"sku": "a", "ts": 8}]}}]});
        assert!(d.diff(&a, &b).is_empty());
    }

    #[test]
    fn equal_if_replaces_equality_at_the_path() {
        let d = JsonDiff::new().equal_if("/**/amount", |a, b| {
            a.as_f64().map(f64::round) == b.as_f64().map(f64::round)
        });
        assert!(
            d.diff(
                &json!({"x": {"amount": 1.2}}),
                &json!({"x": {"amount": 0.9}})
            )
            .is_empty()
        );
        assert_eq!(
            d.diff(
                &json!({"x": {"amount": 1.2}}),
                &json!({"x": {"amount": 2.0}})
            ),
            vec![Difference::changed("/x/amount", json!(1.2), json!(2.0))]
        );
    }

    #[test]
    fn keys_with_slashes_are_escaped_in_paths() {
        let found = JsonDiff::new().diff(&json!({"a/b": 1}), &json!({"a/b": 2}));
        assert_eq!(found[0].path, "/a~1b");
        let ignored = JsonDiff::new().ignore("/a~1b");
        assert!(
            ignored
                .diff(&json!({"a/b": 1}), &json!({"a/b": 2}))
                .is_empty()
        );
    }

    #[test]
    fn root_difference_has_the_empty_pointer() {
        let found = JsonDiff::new().diff(&json!(1), &json!("1"));
        assert_eq!(found[0].path, "");
        assert!(
            JsonDiff::new()
                .ignore("")
                .diff(&json!(1), &json!(2))
                .is_empty()
        );
    }

    #[test]
    fn is_equal_agrees_with_diff() {
        let d = JsonDiff::new().float_tolerance(0.25);
        assert!(d.is_equal(&json!([1.0]), &json!([1.2])));
        assert!(!d.is_equal(&json!([1.0]), &json!([2.0])));
    }

    #[test]
    fn difference_json_keeps_null_apart_from_absent() {
        let added_null = Difference::added("/a", Value::Null);
        let text = serde_json::to_string(&added_null).unwrap();
        assert_eq!(text, r#"{"path":"/a","replayed":null}"#);
        let back: Difference = serde_json::from_str(&text).unwrap();
        assert_eq!(back, added_null);
    }
}
