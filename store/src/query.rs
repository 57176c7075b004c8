//! Which recordings a listing returns.

use std::cmp::Ordering;
use std::time::Duration;

use serde_json::Value;
use time::{Date, OffsetDateTime, UtcOffset};

use crate::error::StoreError;
use crate::format::{Outcome, Summary};

/// `n` days, for [`Query::since`].
///
/// ```
/// assert_eq!(playback_store::days(2), std::time::Duration::from_secs(172_800));
/// ```
pub fn days(n: u64) -> Duration {
    Duration::from_secs(n.saturating_mul(86_400))
}

/// A comparison for [`MetaFilter::Cmp`].
///
/// Numbers compare numerically and strings lexicographically (by bytes); values of
/// different JSON types never match, not even with [`Cmp::Ne`].
///
/// ```
/// use playback_store::{Cmp, MetaFilter};
/// let f = MetaFilter::cmp(Cmp::Ge, 10);
/// assert!(f.matches(Some(&serde_json::json!(10.0))));
/// assert!(!f.matches(Some(&serde_json::json!("10"))));
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Cmp {
    /// Less than.
    Lt,
    /// Less than or equal.
    Le,
    /// Greater than.
    Gt,
    /// Greater than or equal.
    Ge,
    /// Not equal (of the same JSON type).
    Ne,
}

/// A condition on one metadata value.
///
/// A missing key and a `null` value are the same thing for every filter.
///
/// ```
/// use playback_store::{Cmp, MetaFilter};
/// use serde_json::json;
/// assert!(MetaFilter::from("acme").matches(Some(&json!("acme"))));
/// assert!(MetaFilter::glob("ac*").matches(Some(&json!("acme"))));
/// assert!(MetaFilter::any_of(["a", "b"]).matches(Some(&json!("b"))));
/// assert!(MetaFilter::cmp(Cmp::Lt, 5).matches(Some(&json!(4))));
/// assert!(MetaFilter::Missing.matches(None));
/// ```
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum MetaFilter {
    /// The value equals this one (numbers compare numerically: `1` equals `1.0`).
    Eq(Value),
    /// Any of these filters matches (none, when the list is empty).
    AnyOf(Vec<MetaFilter>),
    /// The value is a string matching this glob: `*` is any run of characters, `?` one
    /// character, `[abc]`, `[a-z]` and `[!a-z]` a character class, `\` escapes.
    Glob(String),
    /// The value compares to this one as asked; see [`Cmp`].
    Cmp(Cmp, Value),
    /// The key is absent or its value is `null`.
    Missing,
}

impl MetaFilter {
    /// A [`MetaFilter::Glob`].
    ///
    /// ```
    /// let f = playback_store::MetaFilter::glob("eu-*");
    /// assert!(f.matches(Some(&serde_json::json!("eu-west-1"))));
    /// assert!(!f.matches(Some(&serde_json::json!("us-east-1"))));
    /// ```
    pub fn glob(pattern: impl Into<String>) -> Self {
        MetaFilter::Glob(pattern.into())
    }

    /// A [`MetaFilter::AnyOf`].
    ///
    /// ```
    /// use playback_store::MetaFilter;
    /// let f = MetaFilter::any_of([MetaFilter::from(1), MetaFilter::glob("x*")]);
    /// assert!(f.matches(Some(&serde_json::json!("xy"))));
    /// assert!(f.matches(Some(&serde_json::json!(1))));
    /// ```
    pub fn any_of<I>(filters: I) -> Self
    where
        I: IntoIterator,
        I::Item: Into<MetaFilter>,
    {
        MetaFilter::AnyOf(filters.into_iter().map(Into::into).collect())
    }

    /// A [`MetaFilter::Cmp`].
    ///
    /// ```
    /// use playback_store::{Cmp, MetaFilter};
    /// let f = MetaFilter::cmp(Cmp::Gt, "m");
    /// assert!(f.matches(Some(&serde_json::json!("n"))));
    /// assert!(!f.matches(Some(&serde_json::json!("a"))));
    /// ```
    pub fn cmp(op: Cmp, value: impl Into<Value>) -> Self {
        MetaFilter::Cmp(op, value.into())
    }

    /// Whether a metadata value (`None` when the key is absent) passes this filter.
    ///
    /// ```
    /// use playback_store::MetaFilter;
    /// assert!(MetaFilter::Missing.matches(Some(&serde_json::Value::Null)));
    /// assert!(!MetaFilter::from(true).matches(None));
    /// ```
    pub fn matches(&self, value: Option<&Value>) -> bool {
        let value = value.unwrap_or(&Value::Null);
        match self {
            MetaFilter::Eq(expected) => json_eq(value, expected),
            MetaFilter::AnyOf(filters) => filters.iter().any(|f| f.matches(Some(value))),
            MetaFilter::Glob(pattern) => value.as_str().is_some_and(|s| glob_match(pattern, s)),
            MetaFilter::Cmp(op, expected) => compare(*op, value, expected),
            MetaFilter::Missing => value.is_null(),
        }
    }
}

impl From<Value> for MetaFilter {
    fn from(v: Value) -> Self {
        MetaFilter::Eq(v)
    }
}

impl From<&str> for MetaFilter {
    fn from(v: &str) -> Self {
        MetaFilter::Eq(Value::from(v))
    }
}

impl From<String> for MetaFilter {
    fn from(v: String) -> Self {
        MetaFilter::Eq(Value::from(v))
    }
}

impl From<bool> for MetaFilter {
    fn from(v: bool) -> Self {
        MetaFilter::Eq(Value::from(v))
    }
}

macro_rules! from_number {
    ($($t:ty),*) => {$(
        impl From<$t> for MetaFilter {
            fn from(v: $t) -> Self {
                MetaFilter::Eq(Value::from(v))
            }
        }
    )*};
}
from_number!(i32, i64, u32, u64, f64);

/// Which recordings to list: a category, an operation, a time range, metadata
/// conditions, outcomes and a limit. Every store applies it through [`Query::matches`],
/// so filters behave the same everywhere.
///
/// The getters are named `get_*` because the plain names are the builder methods.
///
/// ```
/// use playback_store::{days, MetaFilter, Outcome, Query};
/// let q = Query::category("checkout")
///     .since(days(7))
///     .metadata("tenant", "acme")
///     .metadata("region", MetaFilter::glob("eu-*"))
///     .outcome(Outcome::Error)
///     .limit(50);
/// assert_eq!(q.get_category(), Some("checkout"));
/// assert_eq!(q.get_limit(), Some(50));
/// assert_eq!(q.get_metadata().len(), 2);
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Query {
    category: Option<String>,
    operation: Option<String>,
    from: Option<OffsetDateTime>,
    until: Option<OffsetDateTime>,
    metadata: Vec<(String, MetaFilter)>,
    outcomes: Vec<Outcome>,
    limit: Option<usize>,
}

impl Query {
    /// Every recording.
    ///
    /// ```
    /// let q = playback_store::Query::all();
    /// assert_eq!(q.get_category(), None);
    /// assert_eq!(q.get_limit(), None);
    /// ```
    pub fn all() -> Self {
        Query::default()
    }

    /// The recordings of one category.
    ///
    /// ```
    /// let q = playback_store::Query::category("checkout");
    /// assert_eq!(q.get_category(), Some("checkout"));
    /// ```
    pub fn category(category: impl Into<String>) -> Self {
        Query::all().in_category(category)
    }

    /// Restricts the query to one category (the builder form of [`Query::category`]).
    ///
    /// ```
    /// let q = playback_store::Query::all().in_category("refund");
    /// assert_eq!(q.get_category(), Some("refund"));
    /// ```
    pub fn in_category(mut self, category: impl Into<String>) -> Self {
        self.category = Some(category.into());
        self
    }

    /// Only recordings of this operation alias.
    ///
    /// ```
    /// let q = playback_store::Query::all().operation("shop::checkout");
    /// assert_eq!(q.get_operation(), Some("shop::checkout"));
    /// ```
    pub fn operation(mut self, alias: impl Into<String>) -> Self {
        self.operation = Some(alias.into());
        self
    }

    /// Only recordings made in the last `d` (sets the start of the range to now − `d`).
    ///
    /// ```
    /// use playback_store::{days, Query};
    /// let q = Query::all().since(days(1));
    /// let from = q.get_from().unwrap();
    /// assert!(time::OffsetDateTime::now_utc() - from >= time::Duration::days(1));
    /// ```
    pub fn since(mut self, d: Duration) -> Self {
        self.from = time::Duration::try_from(d)
            .ok()
            .and_then(|d| OffsetDateTime::now_utc().checked_sub(d));
        self
    }

    /// Only recordings made at or after `at`.
    ///
    /// ```
    /// let t = time::macros::datetime!(2026-01-01 00:00 UTC);
    /// assert_eq!(playback_store::Query::all().from(t).get_from(), Some(t));
    /// ```
    pub fn from(mut self, at: OffsetDateTime) -> Self {
        self.from = Some(at);
        self
    }

    /// Only recordings made at or before `at`.
    ///
    /// ```
    /// let t = time::macros::datetime!(2026-01-01 00:00 UTC);
    /// assert_eq!(playback_store::Query::all().until(t).get_until(), Some(t));
    /// ```
    pub fn until(mut self, at: OffsetDateTime) -> Self {
        self.until = Some(at);
        self
    }

    /// Only recordings whose metadata `key` passes `filter`. Several calls must all
    /// pass, even for the same key.
    ///
    /// ```
    /// use playback_store::{Cmp, MetaFilter, Query};
    /// let q = Query::all().metadata("items", MetaFilter::cmp(Cmp::Gt, 2)).metadata("vip", true);
    /// assert_eq!(q.get_metadata()[1], ("vip".to_owned(), MetaFilter::from(true)));
    /// ```
    pub fn metadata(mut self, key: impl Into<String>, filter: impl Into<MetaFilter>) -> Self {
        self.metadata.push((key.into(), filter.into()));
        self
    }

    /// Only recordings with this outcome; several calls accept any of them.
    ///
    /// ```
    /// use playback_store::{Outcome, Query};
    /// let q = Query::all().outcome(Outcome::Error).outcome(Outcome::Panicked);
    /// assert_eq!(q.get_outcomes(), &[Outcome::Error, Outcome::Panicked]);
    /// ```
    pub fn outcome(mut self, outcome: Outcome) -> Self {
        if !self.outcomes.contains(&outcome) {
            self.outcomes.push(outcome);
        }
        self
    }

    /// At most `n` recordings (the newest).
    ///
    /// ```
    /// assert_eq!(playback_store::Query::all().limit(3).get_limit(), Some(3));
    /// ```
    pub fn limit(mut self, n: usize) -> Self {
        self.limit = Some(n);
        self
    }

    /// The category asked for, if any.
    ///
    /// ```
    /// assert_eq!(playback_store::Query::all().get_category(), None);
    /// ```
    pub fn get_category(&self) -> Option<&str> {
        self.category.as_deref()
    }

    /// The operation alias asked for, if any.
    ///
    /// ```
    /// assert_eq!(playback_store::Query::all().get_operation(), None);
    /// ```
    pub fn get_operation(&self) -> Option<&str> {
        self.operation.as_deref()
    }

    /// The start of the time range (inclusive), if any.
    ///
    /// ```
    /// assert_eq!(playback_store::Query::all().get_from(), None);
    /// ```
    pub fn get_from(&self) -> Option<OffsetDateTime> {
        self.from
    }

    /// The end of the time range (inclusive), if any.
    ///
    /// ```
    /// assert_eq!(playback_store::Query::all().get_until(), None);
    /// ```
    pub fn get_until(&self) -> Option<OffsetDateTime> {
        self.until
    }

    /// The metadata conditions, in the order they were added.
    ///
    /// ```
    /// assert!(playback_store::Query::all().get_metadata().is_empty());
    /// ```
    pub fn get_metadata(&self) -> &[(String, MetaFilter)] {
        &self.metadata
    }

    /// The accepted outcomes; empty means any.
    ///
    /// ```
    /// assert!(playback_store::Query::all().get_outcomes().is_empty());
    /// ```
    pub fn get_outcomes(&self) -> &[Outcome] {
        &self.outcomes
    }

    /// The limit, if any.
    ///
    /// ```
    /// assert_eq!(playback_store::Query::all().get_limit(), None);
    /// ```
    pub fn get_limit(&self) -> Option<usize> {
        self.limit
    }

    /// The UTC days the time range touches, both inclusive, or `None` when the query has
    /// no time range. An open end is [`Date::MIN`] or [`Date::MAX`]. Stores that keep
    /// recordings by day use it to read only those days.
    ///
    /// ```
    /// use time::macros::{date, datetime};
    /// let q = playback_store::Query::all()
    ///     .from(datetime!(2026-01-01 23:00 -02:00))
    ///     .until(datetime!(2026-01-05 12:00 UTC));
    /// assert_eq!(q.date_range(), Some((date!(2026-01-02), date!(2026-01-05))));
    /// assert_eq!(playback_store::Query::all().date_range(), None);
    /// ```
    pub fn date_range(&self) -> Option<(Date, Date)> {
        if self.from.is_none() && self.until.is_none() {
            return None;
        }
        let utc_date = |t: OffsetDateTime| t.to_offset(UtcOffset::UTC).date();
        Some((
            self.from.map_or(Date::MIN, utc_date),
            self.until.map_or(Date::MAX, utc_date),
        ))
    }

    /// Whether recordings of this UTC day can match the time range.
    ///
    /// ```
    /// use time::macros::{date, datetime};
    /// let q = playback_store::Query::all().from(datetime!(2026-01-02 10:00 UTC));
    /// assert!(q.includes_date(date!(2026-01-02)));
    /// assert!(!q.includes_date(date!(2026-01-01)));
    /// ```
    pub fn includes_date(&self, date: Date) -> bool {
        self.date_range()
            .is_none_or(|(lo, hi)| lo <= date && date <= hi)
    }

    /// Whether a recording passes every condition of the query except the limit:
    /// category, operation, time range, metadata (all keys) and outcome (any).
    ///
    /// ```
    /// use playback_store::{Outcome, Query, Recording};
    /// let rec = Recording::builder("checkout").metadata("tenant", "acme").build();
    /// assert!(Query::category("checkout").metadata("tenant", "acme").matches(&rec.summary()));
    /// assert!(!Query::category("refund").matches(&rec.summary()));
    /// assert!(!Query::all().outcome(Outcome::Error).matches(&rec.summary()));
    /// ```
    pub fn matches(&self, summary: &Summary) -> bool {
        self.category
            .as_ref()
            .is_none_or(|c| *c == summary.category)
            && self
                .operation
                .as_ref()
                .is_none_or(|o| *o == summary.operation)
            && self.from.is_none_or(|from| summary.recorded_at >= from)
            && self.until.is_none_or(|until| summary.recorded_at <= until)
            && self.outcomes_match(summary.outcome)
            && self
                .metadata
                .iter()
                .all(|(key, filter)| filter.matches(summary.metadata.get(key)))
    }

    fn outcomes_match(&self, outcome: Outcome) -> bool {
        self.outcomes.is_empty() || self.outcomes.contains(&outcome)
    }

    /// Puts a store's listing in the common order and applies the limit: matching
    /// summaries newest first (by `recorded_at`, then id, descending), at most the
    /// limit, then the unreadable entries in the order they were read. Summaries that do
    /// not [match](Query::matches) are dropped.
    ///
    /// ```
    /// use playback_store::{Query, Recording};
    /// use time::macros::datetime;
    /// let old = Recording::builder("c").recorded_at(datetime!(2026-01-01 0:00 UTC)).build();
    /// let new = Recording::builder("c").recorded_at(datetime!(2026-01-02 0:00 UTC)).build();
    /// let listed = Query::all().limit(1).sort_and_limit(vec![Ok(old.summary()), Ok(new.summary())]);
    /// assert_eq!(listed.len(), 1);
    /// assert_eq!(listed[0].as_ref().unwrap().id, new.id);
    /// ```
    pub fn sort_and_limit(
        &self,
        entries: Vec<Result<Summary, StoreError>>,
    ) -> Vec<Result<Summary, StoreError>> {
        let mut found = Vec::new();
        let mut failed = Vec::new();
        for entry in entries {
            match entry {
                Ok(summary) if self.matches(&summary) => found.push(summary),
                Ok(_) => {}
                Err(err) => failed.push(Err(err)),
            }
        }
        found.sort_by(newest_first);
        if let Some(limit) = self.limit {
            found.truncate(limit);
        }
        found.into_iter().map(Ok).chain(failed).collect()
    }
}

/// Orders summaries newest first: `recorded_at` descending, then id descending.
pub(crate) fn newest_first(a: &Summary, b: &Summary) -> Ordering {
    b.recorded_at
        .cmp(&a.recorded_at)
        .then_with(|| b.id.cmp(&a.id))
}

fn json_eq(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(_), Value::Number(_)) => cmp_numbers(a, b) == Some(Ordering::Equal),
        _ => a == b,
    }
}

/// Orders two JSON numbers exactly when both are integers, by `f64` otherwise.
fn cmp_numbers(a: &Value, b: &Value) -> Option<Ordering> {
    if let (Some(x), Some(y)) = (a.as_i64(), b.as_i64()) {
        return Some(x.cmp(&y));
    }
    if let (Some(x), Some(y)) = (a.as_u64(), b.as_u64()) {
        return Some(x.cmp(&y));
    }
    // One side is a u64 above i64::MAX and the other a negative integer.
    if let (Some(_), Some(y)) = (a.as_u64(), b.as_i64())
        && y < 0
    {
        return Some(Ordering::Greater);
    }
    if let (Some(x), Some(_)) = (a.as_i64(), b.as_u64())
        && x < 0
    {
        return Some(Ordering::Less);
    }
    a.as_f64()?.partial_cmp(&b.as_f64()?)
}

fn compare(op: Cmp, value: &Value, expected: &Value) -> bool {
    let ordering = match (value, expected) {
        (Value::Number(_), Value::Number(_)) => cmp_numbers(value, expected),
        (Value::String(a), Value::String(b)) => Some(a.cmp(b)),
        (Value::Bool(a), Value::Bool(b)) if op == Cmp::Ne => return a != b,
        (Value::Array(_), Value::Array(_)) | (Value::Object(_), Value::Object(_))
            if op == Cmp::Ne =>
        {
            return value != expected;
        }
        _ => None,
    };
    let Some(ordering) = ordering else {
        return false;
    };
    match op {
        Cmp::Lt => ordering == Ordering::Less,
        Cmp::Le => ordering != Ordering::Greater,
        Cmp::Gt => ordering == Ordering::Greater,
        Cmp::Ge => ordering != Ordering::Less,
        Cmp::Ne => ordering != Ordering::Equal,
    }
}

/// Matches `text` against a glob: `*`, `?`, `[...]` classes (with ranges and `!` or `^`
/// negation) and `\` escapes. An unclosed `[` is a literal.
fn glob_match(pattern: &str, text: &str) -> bool {
    let pattern: Vec<char> = pattern.chars().collect();
    let text: Vec<char> = text.chars().collect();
    let (mut p, mut t) = (0, 0);
    // Where to resume after the last `*`: the pattern index after it and the text index
    // it has swallowed up to.
    let mut resume: Option<(usize, usize)> = None;
    while t < text.len() {
        if let Some(step) = match_one(&pattern, p, text[t]) {
            match step {
                Step::Star => {
                    resume = Some((p + 1, t));
                    p += 1;
                }
                Step::Advance(next) => {
                    p = next;
                    t += 1;
                }
            }
            continue;
        }
        match resume {
            Some((after_star, swallowed)) => {
                p = after_star;
                t = swallowed + 1;
                resume = Some((after_star, swallowed + 1));
            }
            None => return false,
        }
    }
    pattern[p..].iter().all(|c| *c == '*')
}

enum Step {
    /// A `*` at this position.
    Star,
    /// The character matched; the pattern continues at this index.
    Advance(usize),
}

/// Tries to match one text character at pattern index `p`; `None` on mismatch.
fn match_one(pattern: &[char], p: usize, c: char) -> Option<Step> {
    match *pattern.get(p)? {
        '*' => Some(Step::Star),
        '?' => Some(Step::Advance(p + 1)),
        '\\' if p + 1 < pattern.len() => (pattern[p + 1] == c).then_some(Step::Advance(p + 2)),
        '[' => match match_class(pattern, p, c) {
            Some((matched, next)) => matched.then_some(Step::Advance(next)),
            None => (c == '[').then_some(Step::Advance(p + 1)),
        },
        literal => (literal == c).then_some(Step::Advance(p + 1)),
    }
}

/// Matches `c` against the class opening at `pattern[open] == '['`. Returns whether it
/// matched and the index after the closing `]`, or `None` when the class is unclosed.
fn match_class(pattern: &[char], open: usize, c: char) -> Option<(bool, usize)> {
    let mut i = open + 1;
    let negated = matches!(pattern.get(i), Some('!' | '^'));
    if negated {
        i += 1;
    }
    let mut matched = false;
    let mut first = true;
    loop {
        let lo = *pattern.get(i)?;
        if lo == ']' && !first {
            return Some((matched != negated, i + 1));
        }
        first = false;
        if pattern.get(i + 1) == Some(&'-') && pattern.get(i + 2).is_some_and(|hi| *hi != ']') {
            let hi = pattern[i + 2];
            matched |= lo <= c && c <= hi;
            i += 3;
        } else {
            matched |= lo == c;
            i += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Recording;
    use serde_json::json;
    use time::macros::{date, datetime};

    #[test]
    fn glob_supports_star_question_classes_and_escapes() {
        let cases = [
            ("*", "", true),
            ("*", "anything", true),
            ("a*", "abc", true),
            ("a*", "bac", false),
            ("*c", "abc", true),
            ("a*b*c", "axxbyyc", true),
            ("a*b*c", "axxbyy", false),
            ("a?c", "abc", true),
            ("a?c", "ac", false),
            ("[ab]x", "bx", true),
            ("[ab]x", "cx", false),
            ("[a-c]", "b", true),
            ("[!a-c]", "b", false),
            ("[^a-c]", "z", true),
            ("[]]", "]", true),
            ("[a-]", "-", true),
            ("[abc", "[abc", true),
            ("\\*", "*", true),
            ("\\*", "a", false),
            ("é?", "éa", true),
            ("eu-*-1", "eu-west-1", true),
            ("eu-*-1", "eu-west-2", false),
            ("*a*a*a*a*b", &"a".repeat(60), false),
        ];
        for (pattern, text, expected) in cases {
            assert_eq!(
                glob_match(pattern, text),
                expected,
                "{pattern:?} vs {text:?}"
            );
        }
    }

    #[test]
    fn eq_compares_numbers_numerically_and_other_values_exactly() {
        assert!(MetaFilter::from(1).matches(Some(&json!(1.0))));
        assert!(MetaFilter::from(u64::MAX).matches(Some(&json!(u64::MAX))));
        assert!(!MetaFilter::from(1).matches(Some(&json!("1"))));
        assert!(MetaFilter::from(json!({"a": [1]})).matches(Some(&json!({"a": [1]}))));
        assert!(!MetaFilter::from("a").matches(None));
        assert!(MetaFilter::from(Value::Null).matches(None));
    }

    #[test]
    fn cmp_orders_numbers_and_strings_and_never_matches_mixed_types() {
        let m =
            |op, expected: Value, value: Value| MetaFilter::cmp(op, expected).matches(Some(&value));
        assert!(m(Cmp::Lt, json!(10), json!(9.5)));
        assert!(!m(Cmp::Lt, json!(10), json!(10)));
        assert!(m(Cmp::Le, json!(10), json!(10)));
        assert!(m(Cmp::Gt, json!(-1), json!(u64::MAX)));
        assert!(m(Cmp::Lt, json!(u64::MAX), json!(-1)));
        assert!(m(Cmp::Ge, json!("b"), json!("b")));
        assert!(m(Cmp::Gt, json!("b"), json!("ba")));
        assert!(m(Cmp::Ne, json!("a"), json!("b")));
        assert!(!m(Cmp::Ne, json!("a"), json!("a")));
        assert!(!m(Cmp::Ne, json!("a"), json!(1)));
        assert!(!m(Cmp::Gt, json!(1), json!("2")));
        assert!(m(Cmp::Ne, json!(true), json!(false)));
        assert!(!m(Cmp::Gt, json!(false), json!(true)));
        assert!(!MetaFilter::cmp(Cmp::Ne, "a").matches(None));
    }

    #[test]
    fn any_of_matches_any_and_empty_any_of_matches_nothing() {
        let f = MetaFilter::any_of(["a", "b"]);
        assert!(f.matches(Some(&json!("a"))));
        assert!(!f.matches(Some(&json!("c"))));
        assert!(!MetaFilter::AnyOf(vec![]).matches(Some(&json!("a"))));
        let with_missing = MetaFilter::any_of([MetaFilter::Missing, MetaFilter::from("x")]);
        assert!(with_missing.matches(None));
    }

    #[test]
    fn matches_applies_every_condition() {
        let rec = Recording::builder("checkout")
            .operation("shop::checkout")
            .recorded_at(datetime!(2026-02-03 10:00 UTC))
            .outcome(Outcome::Error)
            .metadata("tenant", "acme")
            .metadata("items", 3)
            .build();
        let s = rec.summary();
        assert!(Query::all().matches(&s));
        assert!(
            Query::category("checkout")
                .operation("shop::checkout")
                .matches(&s)
        );
        assert!(!Query::all().operation("shop::refund").matches(&s));
        assert!(
            Query::all()
                .from(datetime!(2026-02-03 10:00 UTC))
                .matches(&s)
        );
        assert!(
            Query::all()
                .until(datetime!(2026-02-03 10:00 UTC))
                .matches(&s)
        );
        assert!(
            !Query::all()
                .from(datetime!(2026-02-03 10:00:00.001 UTC))
                .matches(&s)
        );
        assert!(
            !Query::all()
                .until(datetime!(2026-02-03 09:59 UTC))
                .matches(&s)
        );
        assert!(
            Query::all()
                .outcome(Outcome::Ok)
                .outcome(Outcome::Error)
                .matches(&s)
        );
        assert!(!Query::all().outcome(Outcome::Ok).matches(&s));
        let q = Query::all()
            .metadata("tenant", "acme")
            .metadata("items", MetaFilter::cmp(Cmp::Ge, 3));
        assert!(q.matches(&s));
        assert!(
            !q.clone()
                .metadata("items", MetaFilter::cmp(Cmp::Lt, 3))
                .matches(&s)
        );
        assert!(
            Query::all()
                .metadata("coupon", MetaFilter::Missing)
                .matches(&s)
        );
        assert!(Query::all().limit(0).matches(&s), "limit is not a filter");
    }

    #[test]
    fn since_sets_from_to_now_minus_the_duration() {
        let before = OffsetDateTime::now_utc();
        let q = Query::all().since(days(2));
        let from = q.get_from().unwrap();
        let expected = before - time::Duration::days(2);
        assert!(from >= expected && from - expected < time::Duration::minutes(1));
        assert_eq!(Query::all().since(Duration::MAX).get_from(), None);
    }

    #[test]
    fn date_range_uses_utc_days_and_open_ends() {
        let q = Query::all().until(datetime!(2026-01-01 23:30 -01:00));
        assert_eq!(q.date_range(), Some((Date::MIN, date!(2026 - 01 - 02))));
        let q = Query::all().from(datetime!(2026-01-01 00:30 +01:00));
        assert_eq!(q.date_range(), Some((date!(2025 - 12 - 31), Date::MAX)));
        assert!(q.includes_date(date!(2025 - 12 - 31)));
        assert!(!q.includes_date(date!(2025 - 12 - 30)));
    }

    #[test]
    fn sort_and_limit_orders_newest_first_then_lists_errors() {
        let at = |t| Recording::builder("c").recorded_at(t).build().summary();
        let a = at(datetime!(2026-01-01 0:00 UTC));
        let b = at(datetime!(2026-01-03 0:00 UTC));
        let c = at(datetime!(2026-01-02 0:00 UTC));
        let err = StoreError::NotFound { id: "x".into() };
        let listed = Query::all().limit(2).sort_and_limit(vec![
            Ok(a),
            Err(err),
            Ok(b.clone()),
            Ok(c.clone()),
        ]);
        assert_eq!(listed.len(), 3);
        assert_eq!(listed[0].as_ref().unwrap().id, b.id);
        assert_eq!(listed[1].as_ref().unwrap().id, c.id);
        assert!(matches!(listed[2], Err(StoreError::NotFound { .. })));
    }
}
