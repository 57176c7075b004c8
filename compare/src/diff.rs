//! `JsonDiff`: a structural diff of two JSON documents, by JSON-pointer path.

use std::fmt;
use std::sync::Arc;

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::{Number, Value};

use crate::pointer::{Pattern, Seg, to_pointer};

/// One difference between the recorded and the replayed value, at a JSON-pointer path.
///
/// `recorded` is `None` when the path exists only in the replayed value (added), and
/// `replayed` is `None` when it exists only in the recorded value (removed). In JSON
/// an absent side is an absent field; a present `null` stays `null`.
///
/// ```
/// use playback_compare::{Change, Difference};
/// use serde_json::json;
/// let d = Difference::changed("/result/Ok/total", json!(10), json!(11));
/// assert_eq!(d.kind(), Change::Changed);
/// assert_eq!(d.replayed, Some(json!(11)));
/// assert_eq!(Difference::added("/x", json!(null)).kind(), Change::Added);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Difference {
    /// Where, as an RFC 6901 JSON pointer (`""` is the whole value).
    pub path: String,
    /// The recorded value, or `None` when the path is absent from it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub recorded: Option<Value>,
    /// The replayed value, or `None` when the path is absent from it.
    #[serde(
        default,
        skip_serializing_if = "Option::is_none",
        deserialize_with = "present"
    )]
    pub replayed: Option<Value>,
}

/// A present field is `Some`, even when it holds `null`.
fn present<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Value>, D::Error> {
    Value::deserialize(d).map(Some)
}

/// What kind of difference a [`Difference`] is.
///
/// ```
/// use playback_compare::{Change, Difference};
/// assert_eq!(Difference::removed("/a", serde_json::json!(1)).kind(), Change::Removed);
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Change {
    /// Present on both sides with different values.
    Changed,
    /// Present only in the replayed value.
    Added,
    /// Present only in the recorded value.
    Removed,
}

impl Difference {
    /// A value present on both sides that differs.
    ///
    /// ```
    /// let d = playback_compare::Difference::changed("/a", 1.into(), 2.into());
    /// assert_eq!(d.path, "/a");
    /// ```
    pub fn changed(path: impl Into<String>, recorded: Value, replayed: Value) -> Self {
        Difference {
            path: path.into(),
            recorded: Some(recorded),
            replayed: Some(replayed),
        }
    }

    /// A value present only in the replayed document.
    ///
    /// ```
    /// let d = playback_compare::Difference::added("/a", 2.into());
    /// assert!(d.recorded.is_none());
    /// ```
    pub fn added(path: impl Into<String>, replayed: Value) -> Self {
        Difference {
            path: path.into(),
            recorded: None,
            replayed: Some(replayed),
        }
    }

    /// A value present only in the recorded document.
    ///
    /// ```
    /// let d = playback_compare::Difference::removed("/a", 1.into());
    /// assert!(d.replayed.is_none());
    /// ```
    pub fn removed(path: impl Into<String>, recorded: Value) -> Self {
        Difference {
            path: path.into(),
            recorded: Some(recorded),
            replayed: None,
        }
    }

    /// Whether the value changed, was added or was removed.
    ///
    /// ```
    /// use playback_compare::{Change, Difference};
    /// assert_eq!(Difference::changed("", 1.into(), 2.into()).kind(), Change::Changed);
    /// ```
    pub fn kind(&self) -> Change {
        match (&self.recorded, &self.replayed) {
            (None, Some(_)) => Change::Added,
            (Some(_), None) => Change::Removed,
            _ => Change::Changed,
        }
    }
}

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
    ignore: Vec<Pattern>,
    unordered: Vec<Pattern>,
    custom: Vec<(Pattern, Arc<EqualFn>)>,
    tolerance: f64,
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

/// Where differences go: a list, or just "is there one" (stops at the first).
enum Sink<'o> {
    Collect(&'o mut Vec<Difference>),
    Any(bool),
}

impl Sink<'_> {
    fn push(&mut self, d: impl FnOnce() -> Difference) {
        match self {
            Sink::Collect(out) => out.push(d()),
            Sink::Any(found) => *found = true,
        }
    }

    fn done(&self) -> bool {
        matches!(self, Sink::Any(true))
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
    /// ```
    /// use serde_json::json;
    /// let found = playback_compare::JsonDiff::new().diff(&json!({"a": [1, 2]}), &json!({"a": [1], "b": true}));
    /// let paths: Vec<&str> = found.iter().map(|d| d.path.as_str()).collect();
    /// assert_eq!(paths, ["/a/1", "/b"]);
    /// ```
    pub fn diff(&self, recorded: &Value, replayed: &Value) -> Vec<Difference> {
        let mut out = Vec::new();
        if self.equal_fast(recorded, replayed) {
            return out;
        }
        let mut path = Vec::new();
        self.walk(
            &mut path,
            Some(recorded),
            Some(replayed),
            &mut Sink::Collect(&mut out),
        );
        out
    }

    /// Whether the two documents are equal under the rules (stops at the first
    /// difference).
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
        let mut path = Vec::new();
        let mut sink = Sink::Any(false);
        self.walk(&mut path, Some(recorded), Some(replayed), &mut sink);
        !sink.done()
    }

    /// Identical documents have no difference under any rule but a custom one (which
    /// may call identical values different), and `==` is twice as fast as a walk.
    fn equal_fast(&self, recorded: &Value, replayed: &Value) -> bool {
        self.custom.is_empty() && recorded == replayed
    }

    fn has_rules(&self) -> bool {
        !(self.ignore.is_empty() && self.unordered.is_empty() && self.custom.is_empty())
    }

    fn walk<'a>(
        &self,
        path: &mut Vec<Seg<'a>>,
        a: Option<&'a Value>,
        b: Option<&'a Value>,
        sink: &mut Sink<'_>,
    ) {
        if sink.done() {
            return;
        }
        let rules = self.has_rules();
        if rules && self.ignore.iter().any(|p| p.matches(path)) {
            return;
        }
        let (a, b) = match (a, b) {
            (Some(a), Some(b)) => (a, b),
            (Some(a), None) => {
                return sink.push(|| Difference::removed(to_pointer(path), a.clone()));
            }
            (None, Some(b)) => return sink.push(|| Difference::added(to_pointer(path), b.clone())),
            (None, None) => return,
        };
        if rules && let Some((_, equal)) = self.custom.iter().find(|(p, _)| p.matches(path)) {
            if !equal(a, b) {
                sink.push(|| Difference::changed(to_pointer(path), a.clone(), b.clone()));
            }
            return;
        }
        match (a, b) {
            (Value::Object(x), Value::Object(y)) => {
                for (key, xv) in x {
                    path.push(Seg::Key(key));
                    self.walk(path, Some(xv), y.get(key), sink);
                    path.pop();
                    if sink.done() {
                        return;
                    }
                }
                for (key, yv) in y {
                    if !x.contains_key(key) {
                        path.push(Seg::Key(key));
                        self.walk(path, None, Some(yv), sink);
                        path.pop();
                    }
                }
            }
            (Value::Array(x), Value::Array(y)) => {
                if rules && self.unordered.iter().any(|p| p.matches(path)) {
                    self.walk_unordered(path, x, y, sink);
                } else {
                    for i in 0..x.len().max(y.len()) {
                        path.push(Seg::Index(i));
                        self.walk(path, x.get(i), y.get(i), sink);
                        path.pop();
                        if sink.done() {
                            return;
                        }
                    }
                }
            }
            (Value::Number(x), Value::Number(y)) => {
                if !numbers_equal(x, y, self.tolerance) {
                    sink.push(|| Difference::changed(to_pointer(path), a.clone(), b.clone()));
                }
            }
            _ => {
                if a != b {
                    sink.push(|| Difference::changed(to_pointer(path), a.clone(), b.clone()));
                }
            }
        }
    }

    fn walk_unordered<'a>(
        &self,
        path: &mut Vec<Seg<'a>>,
        x: &'a [Value],
        y: &'a [Value],
        sink: &mut Sink<'_>,
    ) {
        let mut used = vec![false; y.len()];
        let mut left = Vec::new();
        for (i, xv) in x.iter().enumerate() {
            path.push(Seg::Index(i));
            let same_place = i < y.len() && !used[i] && self.equal_at(path, xv, &y[i]);
            let found = if same_place {
                Some(i)
            } else {
                (0..y.len()).find(|&j| !used[j] && self.equal_at(path, xv, &y[j]))
            };
            path.pop();
            match found {
                Some(j) => used[j] = true,
                None => left.push(i),
            }
        }
        let right: Vec<usize> = (0..y.len()).filter(|&j| !used[j]).collect();
        for k in 0..left.len().max(right.len()) {
            match (left.get(k), right.get(k)) {
                (Some(&i), Some(&j)) => {
                    path.push(Seg::Index(i));
                    self.walk(path, Some(&x[i]), Some(&y[j]), sink);
                    path.pop();
                }
                (Some(&i), None) => {
                    path.push(Seg::Index(i));
                    self.walk(path, Some(&x[i]), None, sink);
                    path.pop();
                }
                (None, Some(&j)) => {
                    path.push(Seg::Index(j));
                    self.walk(path, None, Some(&y[j]), sink);
                    path.pop();
                }
                (None, None) => {}
            }
            if sink.done() {
                return;
            }
        }
    }

    fn equal_at<'a>(&self, path: &mut Vec<Seg<'a>>, a: &'a Value, b: &'a Value) -> bool {
        let mut sink = Sink::Any(false);
        self.walk(path, Some(a), Some(b), &mut sink);
        !sink.done()
    }
}

fn numbers_equal(x: &Number, y: &Number, tolerance: f64) -> bool {
    if x == y {
        return true;
    }
    let both_integers = (x.is_i64() || x.is_u64()) && (y.is_i64() || y.is_u64());
    if both_integers && tolerance == 0.0 {
        return false;
    }
    match (x.as_f64(), y.as_f64()) {
        (Some(a), Some(b)) => {
            if a == b {
                return true;
            }
            let scale = 1f64.max(a.abs()).max(b.abs());
            (a - b).abs() <= tolerance * scale
        }
        _ => false,
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
