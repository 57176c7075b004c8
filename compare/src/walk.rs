//! The walk behind [`JsonDiff`]: both documents side by side, path by path.

use playback_store::{redacted_fingerprint, unrecordable_reason};
use serde_json::{Number, Value};

use crate::diff::JsonDiff;
use crate::difference::{Difference, NotComparable};
use crate::pointer::{Seg, to_pointer};

/// Where findings go: lists, or just "is there a difference" (stops at the first).
pub(crate) enum Sink<'o> {
    Collect {
        differences: &'o mut Vec<Difference>,
        not_comparable: &'o mut Vec<NotComparable>,
    },
    Any {
        found: bool,
        /// Whether a path that is not comparable counts as a difference: yes when
        /// matching the elements of unordered arrays (a placeholder matches
        /// nothing), no for [`JsonDiff::is_equal`].
        strict: bool,
    },
}

impl Sink<'_> {
    pub(crate) fn push(&mut self, d: impl FnOnce() -> Difference) {
        match self {
            Sink::Collect { differences, .. } => differences.push(d()),
            Sink::Any { found, .. } => *found = true,
        }
    }

    pub(crate) fn not_comparable(&mut self, n: impl FnOnce() -> NotComparable) {
        match self {
            Sink::Collect { not_comparable, .. } => not_comparable.push(n()),
            Sink::Any { found, strict } => *found |= *strict,
        }
    }

    pub(crate) fn done(&self) -> bool {
        matches!(self, Sink::Any { found: true, .. })
    }
}

impl JsonDiff {
    /// Lists the placeholders of one document (both sides being identical), outside
    /// ignored paths.
    pub(crate) fn scan<'a>(
        &self,
        path: &mut Vec<Seg<'a>>,
        v: &'a Value,
        out: &mut Vec<NotComparable>,
    ) {
        if self.has_rules() && self.ignore.iter().any(|p| p.matches(path)) {
            return;
        }
        if let Some(reason) = unrecordable_reason(v) {
            out.push(NotComparable::new(to_pointer(path), reason));
            return;
        }
        match v {
            Value::Object(map) => {
                for (key, child) in map {
                    path.push(Seg::Key(key));
                    self.scan(path, child, out);
                    path.pop();
                }
            }
            Value::Array(items) => {
                for (i, child) in items.iter().enumerate() {
                    path.push(Seg::Index(i));
                    self.scan(path, child, out);
                    path.pop();
                }
            }
            _ => {}
        }
    }

    /// Identical documents have no difference under any rule but a custom one (which
    /// may call identical values different), and `==` is twice as fast as a walk.
    pub(crate) fn equal_fast(&self, recorded: &Value, replayed: &Value) -> bool {
        self.custom.is_empty() && recorded == replayed
    }

    fn has_rules(&self) -> bool {
        !(self.ignore.is_empty() && self.unordered.is_empty() && self.custom.is_empty())
    }

    pub(crate) fn walk<'a>(
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
        let reason = a
            .and_then(unrecordable_reason)
            .or_else(|| b.and_then(unrecordable_reason));
        if let Some(reason) = reason {
            return sink.not_comparable(|| NotComparable::new(to_pointer(path), reason));
        }
        let fa = a.and_then(redacted_fingerprint);
        let fb = b.and_then(redacted_fingerprint);
        if fa.is_some() || fb.is_some() {
            return self.redacted(path, fa, fb, sink);
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

    /// A redacted value on either side: the fingerprints decide, and neither side's
    /// value is ever reported (a redacted path shows as "redacted value changed").
    fn redacted(
        &self,
        path: &[Seg<'_>],
        recorded: Option<Option<&str>>,
        replayed: Option<Option<&str>>,
        sink: &mut Sink<'_>,
    ) {
        match (recorded, replayed) {
            (Some(Some(x)), Some(Some(y))) if x == y => {}
            (Some(None), _) | (_, Some(None)) => sink.not_comparable(|| {
                NotComparable::new(
                    to_pointer(path),
                    "redacted without a fingerprint (removed, or replayed without the \
                     fingerprint key): not compared",
                )
            }),
            _ => sink.push(|| Difference::redacted_changed(to_pointer(path))),
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
        let mut sink = Sink::Any {
            found: false,
            strict: true,
        };
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

    fn placeholder(why: &str) -> Value {
        playback_store::unrecordable(why)
    }

    #[test]
    fn redacted_paths_compare_by_fingerprint_and_never_show_values() {
        let d = JsonDiff::new();
        let m = |fp: &str| json!({"playback.redacted": fp});
        let same = d.inspect(
            &json!({"id": m("aa"), "n": 1}),
            &json!({"id": m("aa"), "n": 1}),
        );
        assert!(same.differences.is_empty() && same.not_comparable.is_empty());
        let changed = d.inspect(&json!({"id": m("aa")}), &json!({"id": m("bb")}));
        assert_eq!(
            changed.differences,
            vec![Difference::redacted_changed("/id")]
        );
        // redacted on one side only: the other side's value is not shown either
        let one = d.inspect(&json!({"id": m("aa")}), &json!({"id": "ann@example.com"}));
        assert_eq!(one.differences, vec![Difference::redacted_changed("/id")]);
        let unkeyed = d.inspect(
            &json!({"id": m("aa")}),
            &json!({"id": {"playback.redacted": null}}),
        );
        assert!(unkeyed.differences.is_empty());
        assert_eq!(unkeyed.not_comparable[0].path, "/id");
    }

    #[test]
    fn a_placeholder_on_either_side_is_not_comparable_and_never_a_difference() {
        let d = JsonDiff::new();
        let cases = [
            (json!({"a": placeholder("r")}), json!({"a": 1})),
            (json!({"a": 1}), json!({"a": placeholder("r")})),
            (json!({"a": placeholder("r")}), json!({})),
            (json!({}), json!({"a": placeholder("r")})),
            (
                json!({"a": placeholder("r")}),
                json!({"a": placeholder("other")}),
            ),
        ];
        for (recorded, replayed) in cases {
            let found = d.inspect(&recorded, &replayed);
            assert!(found.differences.is_empty(), "{recorded} / {replayed}");
            assert_eq!(found.not_comparable, vec![NotComparable::new("/a", "r")]);
            assert!(d.diff(&recorded, &replayed).is_empty());
            assert!(d.is_equal(&recorded, &replayed));
        }
    }

    #[test]
    fn differences_elsewhere_are_still_reported_next_to_not_comparable_paths() {
        let recorded = json!({"result": {"Ok": 1}, "outputs": [{"args": {"conn": placeholder("no Serialize"), "n": 1}}]});
        let replayed =
            json!({"result": {"Ok": 2}, "outputs": [{"args": {"conn": {"fd": 3}, "n": 1}}]});
        let found = JsonDiff::new().inspect(&recorded, &replayed);
        assert_eq!(paths(&found.differences), ["/result/Ok"]);
        assert_eq!(
            found.not_comparable,
            vec![NotComparable::new("/outputs/0/args/conn", "no Serialize")]
        );
    }

    #[test]
    fn identical_placeholders_are_still_not_comparable_unless_ignored() {
        let doc = json!({"a": [placeholder("x")], "b": {"c": placeholder("y")}});
        let found = JsonDiff::new().inspect(&doc, &doc.clone());
        assert!(found.differences.is_empty());
        let listed: Vec<&str> = found
            .not_comparable
            .iter()
            .map(|n| n.path.as_str())
            .collect();
        assert_eq!(listed, ["/a/0", "/b/c"]);
        let ignoring = JsonDiff::new().ignore("/b");
        let listed = ignoring.inspect(&doc, &doc.clone()).not_comparable;
        assert_eq!(listed, vec![NotComparable::new("/a/0", "x")]);
        // The same rule applies when the documents differ.
        let other = json!({"a": [placeholder("x")], "b": {"c": 1}});
        assert!(ignoring.inspect(&doc, &other).not_comparable.len() == 1);
    }

    #[test]
    fn only_the_exact_placeholder_shape_is_not_comparable() {
        let recorded = json!({"a": {"playback.unrecordable": "x", "extra": 1}});
        let replayed = json!({"a": {"playback.unrecordable": "x", "extra": 2}});
        let found = JsonDiff::new().inspect(&recorded, &replayed);
        assert!(found.not_comparable.is_empty());
        assert_eq!(paths(&found.differences), ["/a/extra"]);
    }

    #[test]
    fn a_placeholder_in_an_unordered_array_matches_no_element() {
        let d = JsonDiff::new().unordered("/items");
        let recorded = json!({"items": [placeholder("x"), 1]});
        let replayed = json!({"items": [1, 2]});
        let found = d.inspect(&recorded, &replayed);
        assert!(found.differences.is_empty(), "{:?}", found.differences);
        assert_eq!(
            found.not_comparable,
            vec![NotComparable::new("/items/0", "x")]
        );
    }
}
