//! What a comparison finds: differences, and paths that could not be compared.

use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// What a report shows, on both sides, for a redacted value that changed: the
/// fingerprints differ, and the values are never shown.
///
/// ```
/// assert_eq!(playback_compare::REDACTED_CHANGED, "redacted value changed");
/// ```
pub const REDACTED_CHANGED: &str = "redacted value changed";

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

    /// A redacted value whose fingerprint changed (or that is redacted on one side
    /// only): both sides read [`REDACTED_CHANGED`], never the values.
    ///
    /// ```
    /// let d = playback_compare::Difference::redacted_changed("/args/user_id");
    /// assert_eq!(d.recorded, Some(playback_compare::REDACTED_CHANGED.into()));
    /// assert!(d.is_redacted());
    /// ```
    pub fn redacted_changed(path: impl Into<String>) -> Self {
        Difference {
            path: path.into(),
            recorded: Some(Value::from(REDACTED_CHANGED)),
            replayed: Some(Value::from(REDACTED_CHANGED)),
        }
    }

    /// Whether this is a [`Difference::redacted_changed`].
    ///
    /// ```
    /// assert!(!playback_compare::Difference::changed("/a", 1.into(), 2.into()).is_redacted());
    /// ```
    pub fn is_redacted(&self) -> bool {
        self.recorded.as_ref().and_then(Value::as_str) == Some(REDACTED_CHANGED)
            && self.recorded == self.replayed
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

/// A path that could not be compared: one side holds the placeholder of a value that
/// could not be recorded (`{"playback.unrecordable": "<why>"}`, see
/// `playback_store::unrecordable`), because its `Serialize` impl failed or panicked.
///
/// It is a note, not a difference: a recording whose only findings are such paths
/// is `Equal`, and the reports list the paths apart.
///
/// ```
/// use playback_compare::NotComparable;
/// let n = NotComparable::new("/outputs/0/args/conn", "the value is not serializable");
/// assert_eq!(n.path, "/outputs/0/args/conn");
/// assert_eq!(n.reason, "the value is not serializable");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotComparable {
    /// Where, as an RFC 6901 JSON pointer (`""` is the whole value).
    pub path: String,
    /// Why the value could not be recorded: the placeholder's reason (the recorded
    /// side's when both sides hold one).
    pub reason: String,
}

impl NotComparable {
    /// A path that could not be compared, and why.
    ///
    /// ```
    /// let n = playback_compare::NotComparable::new("", "whole value");
    /// assert!(n.path.is_empty());
    /// ```
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        NotComparable {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

/// Everything [`crate::JsonDiff::inspect`] finds between two documents.
///
/// ```
/// use serde_json::json;
/// let found = playback_compare::JsonDiff::new().inspect(
///     &json!({"a": 1, "b": {"playback.unrecordable": "no Serialize"}}),
///     &json!({"a": 2, "b": {"x": 1}}),
/// );
/// assert_eq!(found.differences[0].path, "/a");
/// assert_eq!(found.not_comparable[0].path, "/b");
/// ```
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Inspection {
    /// The differences, in document order.
    pub differences: Vec<Difference>,
    /// The paths where a side holds the placeholder of a value that could not be
    /// recorded, in document order.
    pub not_comparable: Vec<NotComparable>,
}
