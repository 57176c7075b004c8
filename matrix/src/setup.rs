//! `Setup`: the state of a walk over a recording: the replay overrides and settings
//! its options chose.

use std::collections::BTreeMap;

use playback_replay::Replayer;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The state of a [`crate::RecordingMatrix`] walk: what its options set before the
/// recording is replayed. Each axis's action writes into it; the matrix then turns it
/// into a [`Replayer`] ([`Setup::apply`], then your `configure` closure).
///
/// ```
/// use playback_matrix::Setup;
/// let mut setup = Setup::default();
/// setup.override_input("shop::rounding", "floor");
/// setup.override_input_for("shop::exchange_rate", "USD", 1.1);
/// setup.set("rate_source", "reference");
/// assert_eq!(setup.get("rate_source"), Some(&serde_json::json!("reference")));
/// let replayer = setup.apply(playback_replay::Replayer::new());
/// assert!(format!("{replayer:?}").contains("shop::rounding"));
/// ```
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Setup {
    /// Inputs answered by the walk instead of the recording, by call-site alias.
    pub inputs: BTreeMap<String, InputValue>,
    /// Free-form settings, for your `configure` closure.
    pub settings: BTreeMap<String, Value>,
}

/// What an overridden input returns.
///
/// ```
/// let v = playback_matrix::InputValue::Always(serde_json::json!("floor"));
/// assert_eq!(v.answer(&serde_json::Value::Null), Some(serde_json::json!("floor")));
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[non_exhaustive]
pub enum InputValue {
    /// This value, whatever the call's key.
    Always(Value),
    /// The value paired with the call's key; other keys come from the recording.
    ByKey(Vec<(Value, Value)>),
}

impl InputValue {
    /// The answer for a call with `key`, or `None` (the recording answers).
    ///
    /// ```
    /// use serde_json::json;
    /// let v = playback_matrix::InputValue::ByKey(vec![(json!("USD"), json!(1.1))]);
    /// assert_eq!(v.answer(&json!("USD")), Some(json!(1.1)));
    /// assert_eq!(v.answer(&json!("GBP")), None);
    /// ```
    pub fn answer(&self, key: &Value) -> Option<Value> {
        match self {
            InputValue::Always(v) => Some(v.clone()),
            InputValue::ByKey(pairs) => {
                pairs.iter().find(|(k, _)| k == key).map(|(_, v)| v.clone())
            }
        }
    }
}

fn json(value: impl Serialize) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl Setup {
    /// Answers input call site `alias` with `value`, whatever its key (for
    /// `playback::value("alias", ..)` and inputs without arguments).
    ///
    /// ```
    /// let mut s = playback_matrix::Setup::default();
    /// s.override_input("shop::rounding", "floor");
    /// assert!(s.inputs.contains_key("shop::rounding"));
    /// ```
    pub fn override_input(&mut self, alias: impl Into<String>, value: impl Serialize) {
        self.inputs
            .insert(alias.into(), InputValue::Always(json(value)));
    }

    /// Answers input call site `alias` with `value` when it is called with `key` (its
    /// arguments as JSON, as the recording stores them); other keys keep their
    /// recorded values.
    ///
    /// ```
    /// let mut s = playback_matrix::Setup::default();
    /// s.override_input_for("shop::exchange_rate", "USD", 1.1);
    /// s.override_input_for("shop::exchange_rate", "GBP", 0.9);
    /// let v = &s.inputs["shop::exchange_rate"];
    /// assert_eq!(v.answer(&serde_json::json!("GBP")), Some(serde_json::json!(0.9)));
    /// ```
    pub fn override_input_for(
        &mut self,
        alias: impl Into<String>,
        key: impl Serialize,
        value: impl Serialize,
    ) {
        let entry = self
            .inputs
            .entry(alias.into())
            .or_insert_with(|| InputValue::ByKey(Vec::new()));
        if let InputValue::Always(_) = entry {
            *entry = InputValue::ByKey(Vec::new());
        }
        if let InputValue::ByKey(pairs) = entry {
            let key = json(key);
            pairs.retain(|(k, _)| *k != key);
            pairs.push((key, json(value)));
        }
    }

    /// Sets a free-form setting.
    ///
    /// ```
    /// let mut s = playback_matrix::Setup::default();
    /// s.set("cache", true);
    /// assert_eq!(s.get("cache"), Some(&serde_json::json!(true)));
    /// ```
    pub fn set(&mut self, name: impl Into<String>, value: impl Serialize) {
        self.settings.insert(name.into(), json(value));
    }

    /// A setting.
    ///
    /// ```
    /// assert!(playback_matrix::Setup::default().get("cache").is_none());
    /// ```
    pub fn get(&self, name: &str) -> Option<&Value> {
        self.settings.get(name)
    }

    /// `replayer` with this setup's input overrides
    /// ([`Replayer::override_input`]).
    ///
    /// ```
    /// let r = playback_matrix::Setup::default().apply(playback_replay::Replayer::new());
    /// assert!(format!("{r:?}").contains("overrides: []"));
    /// ```
    pub fn apply(&self, mut replayer: Replayer) -> Replayer {
        for (alias, value) in &self.inputs {
            let value = value.clone();
            replayer = replayer.override_input(alias.clone(), move |key| value.answer(key));
        }
        replayer
    }
}
