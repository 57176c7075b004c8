//! Walk ids and the lazy cartesian product of the axes' options.

use std::any::Any;
use std::fmt;
use std::str::FromStr;
use std::sync::Arc;

use playback_compare::AxisOption;
use playback_store::{fnv1a, fnv1a_extend};
use serde::{Deserialize, Deserializer, Serialize, Serializer};
use serde_json::Value;

use crate::error::MatrixError;

/// The stable id of a walk: a 64-bit hash of its options, written as 16 hexadecimal
/// digits.
///
/// **How it is derived.** Take the walk's `(axis name, option)` pairs, leave out every
/// pair whose option is its axis's *baseline* (see [`crate::FnAction::with_baseline`];
/// axes without a baseline are always in), sort the rest by axis name, and hash the
/// bytes `name 0x1f json 0x1e` of each pair in turn with 64-bit FNV-1a, where `json` is
/// the option's compact `serde_json` text (object keys sorted). For a matrix over
/// recordings, the recording is the pair `("recording", "<recording id>")`.
///
/// So the id depends only on the walk's own options: not on the order of the axes,
/// not on how many options the other axes have, not on the position of the walk in
/// the product, not on the machine or the version. Adding an axis changes no id of
/// the walks that take its baseline option; adding options to an axis changes none.
///
/// ```
/// use playback_matrix::WalkId;
/// let id: WalkId = "00c0ffee00c0ffee".parse()?;
/// assert_eq!(id.to_string(), "00c0ffee00c0ffee");
/// assert!("xyz".parse::<WalkId>().is_err());
/// # Ok::<(), playback_matrix::MatrixError>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct WalkId(pub u64);

impl WalkId {
    /// The id of a walk with these `(axis, option JSON)` pairs, none of them a
    /// baseline (see the type's docs).
    ///
    /// ```
    /// use playback_matrix::WalkId;
    /// use serde_json::json;
    /// let a = WalkId::of([("rounding", &json!("floor")), ("currency", &json!("USD"))]);
    /// let b = WalkId::of([("currency", &json!("USD")), ("rounding", &json!("floor"))]);
    /// assert_eq!(a, b); // the order of the axes does not matter
    /// ```
    pub fn of<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a Value)>) -> WalkId {
        let mut pairs: Vec<(&str, &Value)> = pairs.into_iter().collect();
        pairs.sort_by(|a, b| a.0.cmp(b.0));
        let mut hash = fnv1a(b"");
        for (name, value) in pairs {
            hash = fnv1a_extend(hash, name.as_bytes());
            hash = fnv1a_extend(hash, &[0x1f]);
            hash = fnv1a_extend(hash, value.to_string().as_bytes());
            hash = fnv1a_extend(hash, &[0x1e]);
        }
        WalkId(hash)
    }
}

impl fmt::Display for WalkId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:016x}", self.0)
    }
}

impl FromStr for WalkId {
    type Err = MatrixError;

    fn from_str(s: &str) -> Result<WalkId, MatrixError> {
        let t = s.trim();
        if t.len() != 16 {
            return Err(MatrixError::WalkIdSyntax { text: s.to_owned() });
        }
        u64::from_str_radix(t, 16)
            .map(WalkId)
            .map_err(|_| MatrixError::WalkIdSyntax { text: s.to_owned() })
    }
}

impl Serialize for WalkId {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for WalkId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<WalkId, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One option of one axis, type-erased: the value the action runs with, and its JSON.
#[derive(Clone)]
pub(crate) struct Opt {
    pub(crate) json: Value,
    pub(crate) value: Arc<dyn Any + Send + Sync>,
}

/// What the engine needs of an axis to enumerate it.
pub(crate) trait Options: Send + Sync {
    /// The axis's name.
    fn axis_name(&self) -> &str;
    /// A fresh iterator over its options.
    fn fresh(&self) -> Box<dyn Iterator<Item = Opt> + Send + '_>;
    /// The baseline option's JSON, left out of walk ids.
    fn baseline_json(&self) -> Option<&Value>;
}

/// The cartesian product of some axes' options, in declared order (the last axis
/// varies fastest), generated lazily: at any time it holds one iterator and one
/// current option per axis, never the product.
pub(crate) struct Product<'a> {
    axes: Vec<&'a dyn Options>,
    iters: Vec<Box<dyn Iterator<Item = Opt> + Send + 'a>>,
    current: Vec<Opt>,
    started: bool,
    done: bool,
}

impl<'a> Product<'a> {
    pub(crate) fn new(axes: Vec<&'a dyn Options>) -> Product<'a> {
        Product {
            iters: Vec::with_capacity(axes.len()),
            current: Vec::with_capacity(axes.len()),
            axes,
            started: false,
            done: false,
        }
    }

    /// Fills axes `from..` with fresh iterators and their first options; `false` when
    /// one of them has no option (the product is empty).
    fn fill(&mut self, from: usize) -> bool {
        self.iters.truncate(from);
        self.current.truncate(from);
        for axis in &self.axes[from..] {
            let mut it = axis.fresh();
            match it.next() {
                Some(first) => {
                    self.current.push(first);
                    self.iters.push(it);
                }
                None => return false,
            }
        }
        true
    }
}

impl Iterator for Product<'_> {
    type Item = Vec<Opt>;

    fn next(&mut self) -> Option<Vec<Opt>> {
        if self.done {
            return None;
        }
        if !self.started {
            self.started = true;
            if !self.fill(0) {
                self.done = true;
                return None;
            }
            return Some(self.current.clone());
        }
        // advance the last axis that has another option, restart the ones after it
        let mut i = self.axes.len();
        while i > 0 {
            i -= 1;
            if let Some(next) = self.iters[i].next() {
                self.current[i] = next;
                if self.fill(i + 1) {
                    return Some(self.current.clone());
                }
                self.done = true;
                return None;
            }
        }
        self.done = true;
        None
    }
}

/// The pairs of a walk for its id and its report: `(axis, option)` in declared order.
pub(crate) fn axis_options(axes: &[&dyn Options], opts: &[Opt]) -> Vec<AxisOption> {
    axes.iter()
        .zip(opts)
        .map(|(axis, opt)| AxisOption::new(axis.axis_name(), opt.json.clone()))
        .collect()
}

/// The id of a walk with these options (plus, for recordings, the recording's pair).
pub(crate) fn walk_id(axes: &[&dyn Options], opts: &[Opt], recording: Option<&str>) -> WalkId {
    let recording = recording.map(|id| Value::String(id.to_owned()));
    let pairs = axes
        .iter()
        .zip(opts)
        .filter(|(axis, opt)| axis.baseline_json() != Some(&opt.json))
        .map(|(axis, opt)| (axis.axis_name(), &opt.json))
        .chain(recording.as_ref().map(|r| ("recording", r)));
    WalkId::of(pairs)
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Nums(&'static str, u32);
    impl Options for Nums {
        fn axis_name(&self) -> &str {
            self.0
        }
        fn fresh(&self) -> Box<dyn Iterator<Item = Opt> + Send + '_> {
            Box::new((0..self.1).map(|n| Opt {
                json: n.into(),
                value: Arc::new(n),
            }))
        }
        fn baseline_json(&self) -> Option<&Value> {
            None
        }
    }

    #[test]
    fn product_is_in_declared_order_with_the_last_axis_fastest() {
        let (a, b) = (Nums("a", 2), Nums("b", 3));
        let walks: Vec<Vec<Value>> = Product::new(vec![&a, &b])
            .map(|w| w.into_iter().map(|o| o.json).collect())
            .collect();
        assert_eq!(walks.len(), 6);
        assert_eq!(walks[0], [Value::from(0), Value::from(0)]);
        assert_eq!(walks[1], [Value::from(0), Value::from(1)]);
        assert_eq!(walks[5], [Value::from(1), Value::from(2)]);
    }

    #[test]
    fn an_axis_without_options_makes_the_product_empty() {
        let (a, b) = (Nums("a", 2), Nums("b", 0));
        assert_eq!(Product::new(vec![&a, &b]).count(), 0);
        assert_eq!(Product::new(vec![]).count(), 1);
    }

    #[test]
    fn walk_id_is_hex_and_depends_only_on_the_pairs() {
        let id = WalkId::of([("a", &Value::from(1))]);
        assert_eq!(id.to_string().len(), 16);
        assert_ne!(id, WalkId::of([("a", &Value::from(2))]));
        assert_eq!(id.to_string().parse::<WalkId>().unwrap(), id);
    }
}
