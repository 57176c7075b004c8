//! Applying a [`Redactor`] to values, text and whole recordings.

use playback_store::{OpResult, REDACTED, Recording};
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::detect::mask;
use crate::path::State;
use crate::rules::{Mode, Redactor};

/// The metadata key under which a recording carries its rules (never the key), so a
/// replay applies the same rules to the replayed side.
///
/// ```
/// use playback_redact::{Mode, Rules, RULES_METADATA};
/// let r = Rules::new().path("/args/pin", Mode::Remove).compile(None)?;
/// let mut rec = playback_store::Recording::builder("login").build();
/// r.redact_recording(&mut rec);
/// assert_eq!(rec.metadata[RULES_METADATA]["rules"][0]["path"], "/args/pin");
/// # Ok::<(), playback_redact::RedactError>(())
/// ```
pub const RULES_METADATA: &str = "playback.redaction";

/// A marker, with or without fingerprint.
pub(crate) fn marker(fingerprint: Option<String>) -> Value {
    let mut m = Map::new();
    m.insert(
        REDACTED.to_owned(),
        fingerprint.map_or(Value::Null, Value::String),
    );
    Value::Object(m)
}

enum Action {
    Keep,
    Remove,
}

impl Redactor {
    /// The pattern states at `base`, or `None` when nothing can apply under it (no path
    /// rule alive there, no field rule, no detector): the part is then left as it is,
    /// unparsed.
    pub(crate) fn states_at(&self, base: &[&str]) -> Option<Vec<State>> {
        let states: Vec<State> = self.paths.iter().map(|(p, _, _)| p.walk(base)).collect();
        self.reaches(&states).then_some(states)
    }

    /// The pattern states one segment below `states` (with room for a walk below).
    fn states_below(&self, states: &[State], segment: &str) -> Vec<State> {
        let mut below = Vec::with_capacity(states.len() * 8);
        below.extend(
            self.paths
                .iter()
                .zip(states)
                .map(|((p, _, _), s)| p.step(*s, segment)),
        );
        below
    }

    /// The first path rule that matches at `states`: its mode and index.
    pub(crate) fn matching(&self, states: &[State]) -> Option<(Mode, usize)> {
        self.paths
            .iter()
            .zip(states)
            .find(|((p, _, _), s)| p.matched(**s))
            .map(|((_, mode, rule), _)| (*mode, *rule))
    }

    /// Whether a rule can apply at or under the part whose states are `states`.
    fn reaches(&self, states: &[State]) -> bool {
        !self.keys.is_empty()
            || !self.detectors.is_empty()
            || self
                .paths
                .iter()
                .zip(states)
                .any(|((p, _, _), s)| p.matched(*s) || p.alive_below(*s))
    }

    /// Applies the rules to `value`, which sits at path `base` of the recording (for
    /// example `["args", "card"]`). A value removed at the top becomes a marker.
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// use serde_json::json;
    /// let r = Rules::new().path("**/password", Mode::Remove).compile(None)?;
    /// let mut login = json!({"user": "ann", "password": "hunter2"});
    /// r.redact(&["inputs", "auth::login", "key"], &mut login);
    /// assert_eq!(login, json!({"user": "ann"}));
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn redact(&self, base: &[&str], value: &mut Value) {
        let Some(mut stack) = self.states_at(base) else {
            return;
        };
        if let Action::Remove = self.walk(&mut stack, 0, value) {
            *value = marker(None);
        }
    }

    /// Applies the detectors to free text (a panic message); `true` when it changed.
    ///
    /// ```
    /// use playback_redact::{Detector, Mode, Rules};
    /// let r = Rules::new().detect(Detector::Email).detector_mode(Mode::Remove).compile(None)?;
    /// let mut msg = "no account for ann@example.com".to_owned();
    /// assert!(r.redact_text(&mut msg));
    /// assert_eq!(msg, "no account for [redacted:email]");
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn redact_text(&self, text: &mut String) -> bool {
        match self.detectors.redact(text, self.key.as_ref()) {
            Some(out) => {
                *text = out;
                true
            }
            None => false,
        }
    }

    /// [`Redactor::redact`] for serialized JSON; the text is left as it is when no rule
    /// can apply under `base`, or when it does not parse.
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().path("/result/token", Mode::Remove).compile(None)?;
    /// let mut raw = serde_json::value::to_raw_value(&serde_json::json!({"token": "t", "n": 1}))?;
    /// r.redact_raw(&["result"], &mut raw);
    /// assert_eq!(raw.get(), r#"{"n":1}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact_raw(&self, base: &[&str], raw: &mut Box<RawValue>) {
        let Some(stack) = self.states_at(base) else {
            return;
        };
        self.redact_raw_from(stack, raw);
    }

    /// [`Redactor::redact_raw`] from the states at the text's path.
    fn redact_raw_from(&self, mut stack: Vec<State>, raw: &mut Box<RawValue>) {
        // One pass over the text, as the `Value` path below would write it; that path
        // runs only for what the pass gives up on.
        match self.redact_text_json(&mut stack, raw.get()) {
            Ok(None) => return,
            Ok(Some(text)) => {
                if let Ok(out) = RawValue::from_string(text) {
                    *raw = out;
                    return;
                }
            }
            Err(_) => {}
        }
        stack.truncate(self.paths.len());
        self.redact_raw_value(&mut stack, raw);
    }

    /// [`Redactor::redact_raw`] through a `Value` tree (`stack` holds the states at the
    /// text's path).
    pub(crate) fn redact_raw_value(&self, stack: &mut Vec<State>, raw: &mut Box<RawValue>) {
        let Ok(mut v) = serde_json::from_str::<Value>(raw.get()) else {
            return;
        };
        let action = self.walk(stack, 0, &mut v);
        if let Action::Remove = action {
            v = marker(None);
        }
        if let Ok(out) = serde_json::value::to_raw_value(&v) {
            *raw = out;
        }
    }

    fn apply(&self, mode: Mode, value: &mut Value) -> Action {
        match mode {
            Mode::Remove => return Action::Remove,
            Mode::Fingerprint => {
                let fp = self.key.as_ref().map(|k| k.fingerprint_value(value));
                *value = marker(fp);
            }
            Mode::MaskLength | Mode::MaskLast4 => mask_value(value, mode == Mode::MaskLast4),
        }
        Action::Keep
    }

    /// Pushes the pattern states one segment below those at `at`; returns where they
    /// start.
    pub(crate) fn child(&self, stack: &mut Vec<State>, at: usize, segment: &str) -> usize {
        let start = stack.len();
        for (k, (p, _, _)) in self.paths.iter().enumerate() {
            let s = stack[at + k];
            stack.push(p.step(s, segment));
        }
        start
    }

    /// Walks `value`, whose pattern states are `stack[at..at + paths]`.
    fn walk(&self, stack: &mut Vec<State>, at: usize, value: &mut Value) -> Action {
        if !self.paths.is_empty() {
            let states = &stack[at..at + self.paths.len()];
            if let Some(((_, mode, rule), _)) = self
                .paths
                .iter()
                .zip(states)
                .find(|((p, _, _), s)| p.matched(**s))
            {
                self.hit(*rule);
                return self.apply(*mode, value);
            }
            let alive = self
                .paths
                .iter()
                .zip(states)
                .any(|((p, _, _), s)| p.alive_below(*s));
            if !alive && self.keys.is_empty() && self.detectors.is_empty() {
                return Action::Keep;
            }
        }
        match value {
            Value::Object(map) => {
                let mut removed = Vec::new();
                for (name, v) in map.iter_mut() {
                    if playback_store::redacted_fingerprint(v).is_some() {
                        continue;
                    }
                    let action = match self.keys.iter().find(|(re, _, _)| re.is_match(name)) {
                        Some((_, mode, i)) => {
                            self.hit(*i);
                            self.apply(*mode, v)
                        }
                        None => {
                            let child = self.child(stack, at, name);
                            let a = self.walk(stack, child, v);
                            stack.truncate(child);
                            a
                        }
                    };
                    if let Action::Remove = action {
                        removed.push(name.clone());
                    }
                }
                for name in removed {
                    map.remove(&name);
                }
            }
            Value::Array(items) => {
                let mut elements = Elements::new(at);
                for v in items.iter_mut() {
                    let child = elements.next(self, stack);
                    if let Action::Remove = self.walk(stack, child, v) {
                        *v = marker(None);
                    }
                    elements.done(stack, child);
                }
                elements.finish(stack);
            }
            Value::String(s) if !self.detectors.is_empty() => {
                self.redact_text(s);
            }
            _ => {}
        }
        Action::Keep
    }

    /// Applies the rules to every part of a recording (arguments, result, metadata,
    /// inputs' keys and values, outputs' arguments and values, panic messages), and
    /// stores the rules in its metadata under [`RULES_METADATA`] (the key stays out).
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().path("/args/password", Mode::Remove).compile(None)?;
    /// let mut rec = playback_store::Recording::builder("login")
    ///     .arg("password", serde_json::value::to_raw_value("hunter2")?)
    ///     .build();
    /// r.redact_recording(&mut rec);
    /// assert!(!String::from_utf8(rec.to_json()?)?.contains("hunter2"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn redact_recording(&self, rec: &mut Recording) {
        let mut removed = Vec::new();
        for (name, raw) in rec.args.iter_mut() {
            if let Some((_, mode, i)) = self.keys.iter().find(|(re, _, _)| re.is_match(name)) {
                self.hit(*i);
                let mut v = serde_json::from_str(raw.get()).unwrap_or(Value::Null);
                if let Action::Remove = self.apply(*mode, &mut v) {
                    removed.push(name.clone());
                } else if let Ok(out) = serde_json::value::to_raw_value(&v) {
                    *raw = out;
                }
            } else {
                self.redact_raw(&["args", name], raw);
            }
        }
        for name in removed {
            rec.args.remove(&name);
        }
        match &mut rec.result {
            Some(OpResult::Returned { value, .. }) => self.redact_raw(&["result"], value),
            Some(OpResult::Panicked { message }) => {
                self.redact_text(message);
            }
            _ => {}
        }
        let start: Vec<State> = self.paths.iter().map(|(p, _, _)| p.start()).collect();
        let inputs = self.states_below(&start, "inputs");
        let outputs = self.states_below(&start, "outputs");
        for i in &mut rec.interceptions {
            let kind = match i.kind {
                playback_store::InterceptionKind::Output => &outputs,
                _ => &inputs,
            };
            let at = self.states_below(kind, &i.alias);
            if let Some(key) = &mut i.key {
                let mut stack = self.states_below(&at, "key");
                if self.reaches(&stack)
                    && let Action::Remove = self.walk(&mut stack, 0, key)
                {
                    *key = marker(None);
                }
            }
            for (part, raw) in [("args", &mut i.args), ("value", &mut i.value)] {
                if let Some(raw) = raw {
                    let stack = self.states_below(&at, part);
                    if self.reaches(&stack) {
                        self.redact_raw_from(stack, raw);
                    }
                }
            }
            if let Some(panic) = &mut i.panic {
                self.redact_text(panic);
            }
            if let Some(reason) = &mut i.unrecordable {
                self.redact_text(reason);
            }
        }
        let mut meta = Value::Object(std::mem::take(&mut rec.metadata));
        self.redact(&["metadata"], &mut meta);
        if let Value::Object(mut m) = meta {
            m.insert(RULES_METADATA.to_owned(), self.spec_json.clone());
            rec.metadata = m;
        }
    }
}

/// The pattern states of an array's elements, one after the other: stepped once for
/// the whole array when no rule names an index.
pub(crate) struct Elements {
    at: usize,
    i: usize,
    child: Option<usize>,
    buf: [u8; 20],
}

impl Elements {
    /// The elements of the array whose states are at `at`.
    pub(crate) fn new(at: usize) -> Self {
        Elements {
            at,
            i: 0,
            child: None,
            buf: [0; 20],
        }
    }

    /// The states of the next element: where they start in `stack`.
    pub(crate) fn next(&mut self, r: &Redactor, stack: &mut Vec<State>) -> usize {
        let i = self.i;
        self.i += 1;
        match self.child {
            Some(child) => child,
            None => {
                let child = r.child(stack, self.at, index(i, &mut self.buf));
                if !r.indexed {
                    self.child = Some(child);
                }
                child
            }
        }
    }

    /// Whether every element has the same states (known after the first [`next`]).
    ///
    /// [`next`]: Elements::next
    pub(crate) fn shared(&self) -> bool {
        self.child.is_some()
    }

    /// After the element whose states start at `child`: drops them, unless every
    /// element shares them.
    pub(crate) fn done(&self, stack: &mut Vec<State>, child: usize) {
        if self.child.is_none() {
            stack.truncate(child);
        }
    }

    /// After the last element: drops the shared states.
    pub(crate) fn finish(self, stack: &mut Vec<State>) {
        if let Some(child) = self.child {
            stack.truncate(child);
        }
    }
}

/// `i` in decimal, written into `buf` (array indices as path segments, without
/// allocating).
pub(crate) fn index(mut i: usize, buf: &mut [u8; 20]) -> &str {
    let mut at = buf.len();
    loop {
        at -= 1;
        buf[at] = b'0' + (i % 10) as u8;
        i /= 10;
        if i == 0 {
            break;
        }
    }
    std::str::from_utf8(&buf[at..]).unwrap_or("0")
}

fn mask_value(value: &mut Value, last4: bool) {
    match value {
        Value::String(s) => *s = mask(s, last4),
        Value::Number(n) => *value = Value::String(mask(&n.to_string(), last4)),
        Value::Array(items) => items.iter_mut().for_each(|v| mask_value(v, last4)),
        Value::Object(map) => map.values_mut().for_each(|v| mask_value(v, last4)),
        Value::Bool(_) | Value::Null => {}
    }
}

/// Removes the fingerprints of every marker in `value`, for matching without the key.
///
/// ```
/// let mut v = serde_json::json!({"id": {"playback.redacted": "ab12"}, "n": 1});
/// playback_redact::strip_fingerprints(&mut v);
/// assert_eq!(v, serde_json::json!({"id": {"playback.redacted": null}, "n": 1}));
/// ```
pub fn strip_fingerprints(value: &mut Value) {
    match value {
        Value::Object(map) => {
            if map.len() == 1
                && let Some(fp) = map.get_mut(REDACTED)
            {
                *fp = Value::Null;
                return;
            }
            map.values_mut().for_each(strip_fingerprints);
        }
        Value::Array(items) => items.iter_mut().for_each(strip_fingerprints),
        _ => {}
    }
}
