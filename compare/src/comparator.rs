//! The `Comparator` trait, its context, and the default extractor.

use std::fmt;

use playback_replay::{Playback, Side};
use playback_store::Recording;
use serde_json::{Map, Value};

use crate::diff::JsonDiff;
use crate::verdict::{Status, Verdict};

/// The error type user code (player, extractor, comparator) may return.
///
/// Any `std::error::Error + Send + Sync + 'static` converts into it with `?` or `.into()`,
/// and so do `String` and `&str`.
///
/// ```
/// let e: playback_compare::BoxError = "the cart vanished".into();
/// assert_eq!(e.to_string(), "the cart vanished");
/// ```
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// What a comparator may look at besides the two extracted values.
///
/// ```
/// use playback_compare::Context;
/// use playback_replay::{Playback, Side};
/// use playback_store::Recording;
/// let rec = Recording::builder("checkout").build();
/// let side = Side::new(serde_json::json!(1), false, vec![], std::time::Duration::ZERO);
/// let playback = Playback::new(rec.id.clone(), "checkout", side.clone(), side, vec![]);
/// let data = serde_json::json!({"currency": "EUR"});
/// let ctx = Context::new(&rec, &playback, &data);
/// assert_eq!(ctx.data()["currency"], "EUR");
/// assert_eq!(ctx.recording().category(), "checkout");
/// ```
#[derive(Debug, Clone, Copy)]
pub struct Context<'a> {
    recording: &'a Recording,
    playback: &'a Playback,
    data: &'a Value,
}

impl<'a> Context<'a> {
    /// Builds a context (the equalizer does this; it is public for testing comparators).
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let rec = playback_store::Recording::builder("c").build();
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// # let p = Playback::new(rec.id.clone(), "c", s.clone(), s, vec![]);
    /// let ctx = playback_compare::Context::new(&rec, &p, &serde_json::Value::Null);
    /// assert!(ctx.data().is_null());
    /// ```
    pub fn new(recording: &'a Recording, playback: &'a Playback, data: &'a Value) -> Self {
        Context {
            recording,
            playback,
            data,
        }
    }

    /// The recording being compared.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let rec = playback_store::Recording::builder("c").build();
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// # let p = Playback::new(rec.id.clone(), "c", s.clone(), s, vec![]);
    /// let ctx = playback_compare::Context::new(&rec, &p, &serde_json::Value::Null);
    /// assert_eq!(ctx.recording().id(), &rec.id);
    /// ```
    pub fn recording(&self) -> &'a Recording {
        self.recording
    }

    /// The playback: both sides, with their results, errors, outputs and durations.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let rec = playback_store::Recording::builder("c").build();
    /// # let s = Side::new(serde_json::json!(4), false, vec![], std::time::Duration::ZERO);
    /// # let p = Playback::new(rec.id.clone(), "c", s.clone(), s, vec![]);
    /// let ctx = playback_compare::Context::new(&rec, &p, &serde_json::Value::Null);
    /// assert_eq!(ctx.playback().replayed().result(), &serde_json::json!(4));
    /// ```
    pub fn playback(&self) -> &'a Playback {
        self.playback
    }

    /// What the comparison-data extractor returned for this recording, or `null`
    /// without one.
    ///
    /// ```
    /// # use playback_replay::{Playback, Side};
    /// # let rec = playback_store::Recording::builder("c").build();
    /// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    /// # let p = Playback::new(rec.id.clone(), "c", s.clone(), s, vec![]);
    /// let data = serde_json::json!(7);
    /// assert_eq!(playback_compare::Context::new(&rec, &p, &data).data(), &serde_json::json!(7));
    /// ```
    pub fn data(&self) -> &'a Value {
        self.data
    }
}

/// Decides whether a replayed value matches the recorded one.
///
/// [`JsonDiff`] is the default. A closure can replace it through
/// `Equalizer::compare_with`, and can extend it by calling [`JsonDiff::diff`] itself;
/// [`JsonDiff::equal_if`] adds a custom rule at a path.
///
/// ```
/// use playback_compare::{BoxError, Comparator, Context, Verdict};
/// use serde_json::Value;
///
/// /// Only the result's `status` field matters.
/// #[derive(Debug)]
/// struct StatusOnly;
///
/// impl Comparator for StatusOnly {
///     fn compare(&self, recorded: &Value, replayed: &Value, _: &Context<'_>) -> Result<Verdict, BoxError> {
///         let (a, b) = (&recorded["result"]["status"], &replayed["result"]["status"]);
///         Ok(if a == b { Verdict::equal() } else { Verdict::failed(format!("status {a} became {b}")) })
///     }
/// }
/// # use playback_replay::{Playback, Side};
/// # let rec = playback_store::Recording::builder("c").build();
/// # let s = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
/// # let p = Playback::new(rec.id.clone(), "c", s.clone(), s, vec![]);
/// # let ctx = Context::new(&rec, &p, &Value::Null);
/// let v = StatusOnly.compare(&serde_json::json!({"result": {"status": 1}}), &serde_json::json!({"result": {"status": 2}}), &ctx)?;
/// assert_eq!(v.message.as_deref(), Some("status 1 became 2"));
/// # Ok::<(), BoxError>(())
/// ```
pub trait Comparator: Send + Sync + 'static {
    /// Compares the extracted recorded and replayed values.
    ///
    /// An `Err` (or a panic) becomes an [`Status::Error`] for this recording.
    fn compare(
        &self,
        recorded: &Value,
        replayed: &Value,
        context: &Context<'_>,
    ) -> Result<Verdict, BoxError>;

    /// The structural diff used for noise learning: the replays of one recording are
    /// diffed with it to find the paths that change from run to run. The default is
    /// `None`, meaning a plain [`JsonDiff::new`]; [`JsonDiff`] returns itself, so
    /// its ignore, tolerance and unordered rules apply to noise learning too.
    ///
    /// ```
    /// use playback_compare::{Comparator, JsonDiff};
    /// let d = JsonDiff::new().ignore("/a");
    /// assert!(d.noise_diff().is_some());
    /// ```
    fn noise_diff(&self) -> Option<&JsonDiff> {
        None
    }
}

impl Comparator for JsonDiff {
    fn compare(
        &self,
        recorded: &Value,
        replayed: &Value,
        context: &Context<'_>,
    ) -> Result<Verdict, BoxError> {
        let found = self.inspect(recorded, replayed);
        let (differences, not_comparable) = (found.differences, found.not_comparable);
        if differences.is_empty() {
            return Ok(Verdict::equal().with_not_comparable(not_comparable));
        }
        let playback = context.playback();
        let fixed = self.detects_fixed()
            && playback.recorded().is_error()
            && !playback.replayed().is_error();
        let verdict = if fixed {
            Verdict::new(Status::Fixed, differences)
                .with_message("the recorded operation failed and the replay does not")
        } else {
            Verdict::different(differences)
        };
        Ok(verdict.with_not_comparable(not_comparable))
    }

    fn noise_diff(&self) -> Option<&JsonDiff> {
        Some(self)
    }
}

impl<C: Comparator + ?Sized> Comparator for Box<C> {
    fn compare(
        &self,
        recorded: &Value,
        replayed: &Value,
        context: &Context<'_>,
    ) -> Result<Verdict, BoxError> {
        (**self).compare(recorded, replayed, context)
    }

    fn noise_diff(&self) -> Option<&JsonDiff> {
        (**self).noise_diff()
    }
}

impl<C: Comparator + ?Sized> Comparator for std::sync::Arc<C> {
    fn compare(
        &self,
        recorded: &Value,
        replayed: &Value,
        context: &Context<'_>,
    ) -> Result<Verdict, BoxError> {
        (**self).compare(recorded, replayed, context)
    }

    fn noise_diff(&self) -> Option<&JsonDiff> {
        (**self).noise_diff()
    }
}

/// A closure used as a [`Comparator`] (see `Equalizer::compare_with`).
pub(crate) struct FnComparator<F>(pub(crate) F);

impl<F> fmt::Debug for FnComparator<F> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("FnComparator")
    }
}

impl<F, E> Comparator for FnComparator<F>
where
    F: Fn(&Value, &Value, &Context<'_>) -> Result<Verdict, E> + Send + Sync + 'static,
    E: Into<BoxError>,
{
    fn compare(
        &self,
        recorded: &Value,
        replayed: &Value,
        context: &Context<'_>,
    ) -> Result<Verdict, BoxError> {
        (self.0)(recorded, replayed, context).map_err(Into::into)
    }
}

/// The default result extractor: the operation's result and every output's arguments.
///
/// The shape, which the paths of [`JsonDiff`] rules refer to:
///
/// ```json
/// {
///   "result": <the operation's result: {"Ok": ..} / {"Err": ..} / {"panic": "message"} / null>,
///   "outputs": [ {"alias": "shop::save_order", "invocation": 1, "args": {<argument>: <value>, ..}}, .. ]
/// }
/// ```
///
/// so paths read `/result/Ok/total` and `/outputs/0/args/order`. Output return values
/// are left out: replay returns the recorded ones, so they cannot differ.
///
/// ```
/// use playback_replay::{Output, Side};
/// use serde_json::json;
/// let out = Output::new("shop::save_order", 1, json!({"total": 5}), json!({"Ok": 9}), false);
/// let side = Side::new(json!({"Ok": 5}), false, vec![out], std::time::Duration::ZERO);
/// let v = playback_compare::result_and_outputs(&side);
/// assert_eq!(v.pointer("/result/Ok"), Some(&json!(5)));
/// assert_eq!(v.pointer("/outputs/0/args/total"), Some(&json!(5)));
/// assert_eq!(v.pointer("/outputs/0/alias"), Some(&json!("shop::save_order")));
/// ```
pub fn result_and_outputs(side: &Side) -> Value {
    let outputs = side
        .outputs()
        .iter()
        .map(|o| {
            let mut m = Map::new();
            m.insert("alias".to_owned(), Value::String(o.alias.clone()));
            m.insert("invocation".to_owned(), Value::from(o.invocation));
            m.insert("args".to_owned(), o.args.value().clone());
            Value::Object(m)
        })
        .collect();
    let mut m = Map::new();
    m.insert("result".to_owned(), side.result().clone());
    m.insert("outputs".to_owned(), Value::Array(outputs));
    Value::Object(m)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::difference::Difference;
    use playback_replay::Side;
    use serde_json::json;
    use std::time::Duration;

    fn playback(recorded_error: bool, replayed_error: bool) -> (Recording, Playback) {
        let rec = Recording::builder("c").build();
        let a = Side::new(json!(1), recorded_error, vec![], Duration::ZERO);
        let b = Side::new(json!(2), replayed_error, vec![], Duration::ZERO);
        let p = Playback::new(rec.id.clone(), "c", a, b, vec![]);
        (rec, p)
    }

    #[test]
    fn json_diff_comparator_reports_equal_and_different_with_paths() {
        let (rec, p) = playback(false, false);
        let ctx = Context::new(&rec, &p, &Value::Null);
        let d = JsonDiff::new();
        assert_eq!(
            d.compare(&json!({"a": 1}), &json!({"a": 1}), &ctx).unwrap(),
            Verdict::equal()
        );
        let v = d.compare(&json!({"a": 1}), &json!({"a": 2}), &ctx).unwrap();
        assert_eq!(v.status, Status::Different);
        assert_eq!(
            v.differences,
            vec![Difference::changed("/a", json!(1), json!(2))]
        );
    }

    #[test]
    fn detect_fixed_reports_fixed_only_when_the_recorded_side_failed() {
        let d = JsonDiff::new().detect_fixed(true);
        let (rec, fixed) = playback(true, false);
        let ctx = Context::new(&rec, &fixed, &Value::Null);
        assert_eq!(
            d.compare(&json!(1), &json!(2), &ctx).unwrap().status,
            Status::Fixed
        );
        let (rec, broke) = playback(false, true);
        let ctx = Context::new(&rec, &broke, &Value::Null);
        assert_eq!(
            d.compare(&json!(1), &json!(2), &ctx).unwrap().status,
            Status::Different
        );
        let (rec, fixed) = playback(true, false);
        let ctx = Context::new(&rec, &fixed, &Value::Null);
        let off = JsonDiff::new();
        assert_eq!(
            off.compare(&json!(1), &json!(2), &ctx).unwrap().status,
            Status::Different
        );
    }

    #[test]
    fn default_extractor_keeps_result_and_output_args_only() {
        let out = playback_replay::Output::new("o", 2, json!({"x": 1}), json!("ret"), true);
        let side = Side::new(json!({"Err": "e"}), true, vec![out], Duration::ZERO);
        assert_eq!(
            result_and_outputs(&side),
            json!({"result": {"Err": "e"}, "outputs": [{"alias": "o", "invocation": 2, "args": {"x": 1}}]})
        );
    }

    #[test]
    fn json_diff_comparator_is_equal_with_a_note_when_only_placeholders_differ() {
        let (rec, p) = playback(false, false);
        let ctx = Context::new(&rec, &p, &Value::Null);
        let recorded = json!({"a": 1, "conn": playback_store::unrecordable("no Serialize")});
        let v = JsonDiff::new()
            .compare(&recorded, &json!({"a": 1, "conn": 4}), &ctx)
            .unwrap();
        assert_eq!(v.status, Status::Equal);
        assert_eq!(
            v.not_comparable,
            vec![crate::NotComparable::new("/conn", "no Serialize")]
        );
        let v = JsonDiff::new()
            .compare(&recorded, &json!({"a": 2, "conn": 4}), &ctx)
            .unwrap();
        assert_eq!(v.status, Status::Different);
        assert_eq!(
            v.differences,
            vec![Difference::changed("/a", json!(1), json!(2))]
        );
        assert_eq!(v.not_comparable.len(), 1);
    }
}
