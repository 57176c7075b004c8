//! Scenario-matrix walks in a report: the combination of options a comparison ran
//! with, and the breakdown of a report per axis.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::counts::Counts;
use crate::report::Report;

/// The walk of a scenario matrix a comparison belongs to: its stable id and its
/// options, one per axis, in the matrix's declared order (the recording axis is not
/// listed: it is the comparison's `recording_id`).
///
/// A report of a plain Equalizer run has none; a report of `playback::matrix` has one
/// per comparison, and then holds one comparison per (recording, walk).
///
/// ```
/// use playback_compare::{AxisOption, Combination};
/// let c = Combination::new("00c0ffee00c0ffee", vec![AxisOption::new("rounding", "floor")]);
/// assert_eq!(c.label(), "rounding=\"floor\"");
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Combination {
    /// The walk's id: 16 hexadecimal digits (see `playback::matrix::WalkId`).
    pub walk_id: String,
    /// One option per axis, in declared order.
    pub options: Vec<AxisOption>,
}

/// One axis's option in a [`Combination`].
///
/// ```
/// let o = playback_compare::AxisOption::new("currency_source", "recorded");
/// assert_eq!(o.value, serde_json::json!("recorded"));
/// ```
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AxisOption {
    /// The axis's name.
    pub axis: String,
    /// The option, as JSON.
    pub value: Value,
}

impl AxisOption {
    /// The option `value` of axis `axis`.
    ///
    /// ```
    /// assert_eq!(playback_compare::AxisOption::new("cache", true).axis, "cache");
    /// ```
    pub fn new(axis: impl Into<String>, value: impl Into<Value>) -> Self {
        AxisOption {
            axis: axis.into(),
            value: value.into(),
        }
    }
}

impl Combination {
    /// A combination with a walk id and its options.
    ///
    /// ```
    /// let c = playback_compare::Combination::new("0000000000000001", vec![]);
    /// assert_eq!(c.walk_id, "0000000000000001");
    /// ```
    pub fn new(walk_id: impl Into<String>, options: Vec<AxisOption>) -> Self {
        Combination {
            walk_id: walk_id.into(),
            options,
        }
    }

    /// `axis=value` pairs joined with `, ` (values as JSON).
    ///
    /// ```
    /// use playback_compare::{AxisOption, Combination};
    /// let c = Combination::new("01", vec![AxisOption::new("a", 1), AxisOption::new("b", "x")]);
    /// assert_eq!(c.label(), "a=1, b=\"x\"");
    /// ```
    pub fn label(&self) -> String {
        let mut out = String::new();
        for (i, o) in self.options.iter().enumerate() {
            if i > 0 {
                out.push_str(", ");
            }
            let _ = write!(out, "{}={}", o.axis, o.value);
        }
        out
    }
}

/// The comparisons of a matrix report, counted per value of one axis.
///
/// ```
/// assert!(playback_compare::Report::default().axes().is_empty());
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AxisSummary {
    /// The axis's name.
    pub axis: String,
    /// Counts per option, in the order the options first appear in the report.
    pub values: Vec<AxisValueCounts>,
    /// Set when every failing comparison (different, failed, error) has this option
    /// and some comparisons with another option exist: "different only when
    /// `axis` = `value`".
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub only_when: Option<Value>,
}

/// The counts of one option of an axis.
///
/// ```
/// let v = playback_compare::AxisValueCounts::new(serde_json::json!("floor"));
/// assert_eq!(v.counts.total, 0);
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AxisValueCounts {
    /// The option.
    pub value: Value,
    /// The comparisons of walks with this option.
    pub counts: Counts,
}

impl AxisValueCounts {
    /// An option with no comparison counted yet.
    ///
    /// ```
    /// let v = playback_compare::AxisValueCounts::new(1.into());
    /// assert_eq!(v.value, 1);
    /// ```
    pub fn new(value: Value) -> Self {
        AxisValueCounts {
            value,
            counts: Counts::default(),
        }
    }
}

impl AxisSummary {
    /// One line for people: "rounding: different only when rounding = \"floor\"
    /// (3 of 4 walks)", or the counts of each failing option.
    ///
    /// ```
    /// assert!(playback_compare::Report::default().axes().iter().all(|a| !a.sentence().is_empty()));
    /// ```
    pub fn sentence(&self) -> String {
        let failing: usize = self.values.iter().map(|v| v.counts.failing()).sum();
        if failing == 0 {
            return format!("{}: nothing differs under any option", self.axis);
        }
        if let Some(value) = &self.only_when {
            return format!(
                "{}: different only when {} = {value} ({failing} walks)",
                self.axis, self.axis
            );
        }
        let parts: Vec<String> = self
            .values
            .iter()
            .map(|v| format!("{} = {}: {}", self.axis, v.value, v.counts.failing()))
            .collect();
        format!(
            "{}: different under several options ({})",
            self.axis,
            parts.join(", ")
        )
    }
}

impl Report {
    /// The breakdown per axis of a matrix report (empty for an Equalizer's report):
    /// for each axis, in declared order, the counts per option and, when the failing
    /// walks all share one option, that option ([`AxisSummary::only_when`]).
    ///
    /// ```
    /// use playback_compare::{AxisOption, Combination, Comparison, Report, Status};
    /// let rec = playback_store::Recording::builder("quote").build();
    /// let mut report = Report::default();
    /// for (id, rounding, status) in [("01", "nearest", Status::Equal), ("02", "floor", Status::Different)] {
    ///     let mut c = Comparison::new(&rec, status);
    ///     c.combination = Some(Combination::new(id, vec![AxisOption::new("rounding", rounding)]));
    ///     report.comparisons.push(c);
    /// }
    /// let axes = report.axes();
    /// assert_eq!(axes[0].only_when, Some(serde_json::json!("floor")));
    /// assert_eq!(axes[0].sentence(), "rounding: different only when rounding = \"floor\" (1 walks)");
    /// ```
    pub fn axes(&self) -> Vec<AxisSummary> {
        let mut axes: Vec<AxisSummary> = Vec::new();
        let mut position: BTreeMap<&str, usize> = BTreeMap::new();
        for c in &self.comparisons {
            let Some(combination) = &c.combination else {
                continue;
            };
            for o in &combination.options {
                let i = *position.entry(&o.axis).or_insert_with(|| {
                    axes.push(AxisSummary {
                        axis: o.axis.clone(),
                        values: Vec::new(),
                        only_when: None,
                    });
                    axes.len() - 1
                });
                let values = &mut axes[i].values;
                let v = match values.iter().position(|v| v.value == o.value) {
                    Some(v) => v,
                    None => {
                        values.push(AxisValueCounts::new(o.value.clone()));
                        values.len() - 1
                    }
                };
                values[v].counts.add(c.status);
            }
        }
        for axis in &mut axes {
            let failing: Vec<&AxisValueCounts> = axis
                .values
                .iter()
                .filter(|v| v.counts.failing() > 0)
                .collect();
            if failing.len() == 1 && axis.values.len() > 1 {
                axis.only_when = Some(failing[0].value.clone());
            }
        }
        axes
    }
}
