//! Redacting the parts of a recording while they are first serialized (the layer does
//! this when it captures them), and the rest of a recording afterwards.

use playback_store::{OpResult, Recording};
use serde::Serialize;
use serde_json::value::{RawValue, to_raw_value};
use serde_json::{Map, Value};

use crate::apply::{Action, Marker, RULES_METADATA};
use crate::path::State;
use crate::rules::Redactor;
use crate::stream::{Ctx, Node};
use crate::transcode::Transcoder;

/// Why a streamed part did not come out.
enum Stream {
    /// A shape that is redacted on a tree instead.
    Fallback,
    Failed(serde_json::Error),
}

/// A part serialized with the rules applied, and whether it starts with an `Err`
/// member (a `Result::Err`), as it did before redaction.
type Part = (Box<RawValue>, bool);

fn starts_with_err(v: &Value) -> bool {
    matches!(v, Value::Object(m) if m.keys().next().is_some_and(|k| k == "Err"))
}

impl Redactor {
    /// Serializes the part at `states` (its root), redacting as it goes.
    fn stream_root<T: ?Sized + Serialize>(
        &self,
        states: Vec<State>,
        value: &T,
    ) -> Result<Part, Stream> {
        let c = Ctx::new(self, states);
        let node = Node {
            value,
            c: &c,
            at: 0,
            member: false,
            root: true,
        };
        match c.plan_root() {
            Some((mode, rule)) => {
                let mut v = serde_json::to_value(value).map_err(Stream::Failed)?;
                let err = starts_with_err(&v);
                self.hit(rule);
                let raw = match self.apply(mode, &mut v) {
                    Action::Remove => to_raw_value(&Marker(None)),
                    Action::Keep => to_raw_value(&v),
                };
                raw.map(|raw| (raw, err)).map_err(Stream::Failed)
            }
            None => match to_raw_value(&node) {
                Ok(raw) => Ok((raw, c.first_err.get())),
                Err(_) if c.fallback.get() => Err(Stream::Fallback),
                Err(e) => Err(Stream::Failed(e)),
            },
        }
    }

    /// Serializes `value`, the part of a recording at `base` (for example
    /// `["outputs", "mail::send", "value"]` or `["result"]`), with the rules applied as
    /// it is serialized: no value tree is built, except for a value a rule matches. The
    /// result is what [`Redactor::redact`] gives on the serialized value (object members
    /// keep their serialized order).
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// use serde_json::json;
    /// let r = Rules::new().path("/result/token", Mode::Remove).compile(None)?;
    /// let raw = r.serialize(&["result"], &json!({"token": "t", "n": 1}))?;
    /// assert_eq!(raw.get(), r#"{"n":1}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serialize<T: ?Sized + Serialize>(
        &self,
        base: &[&str],
        value: &T,
    ) -> Result<Box<RawValue>, serde_json::Error> {
        self.serialize_flagging_err(base, value).map(|(raw, _)| raw)
    }

    /// [`Redactor::serialize`], and whether the value, before redaction, serialized as
    /// an object whose first member is `Err` (a `Result::Err`; a rule may remove it).
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().path("/outputs/*/value/Err", Mode::Remove).compile(None)?;
    /// let failed: Result<u8, String> = Err("ann@example.com".into());
    /// let (raw, err) = r.serialize_flagging_err(&["outputs", "mail::send", "value"], &failed)?;
    /// assert_eq!((raw.get(), err), ("{}", true));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serialize_flagging_err<T: ?Sized + Serialize>(
        &self,
        base: &[&str],
        value: &T,
    ) -> Result<(Box<RawValue>, bool), serde_json::Error> {
        let Some(states) = self.states_at(base) else {
            let raw = to_raw_value(value)?;
            let err = raw.get().starts_with("{\"Err\":");
            return Ok((raw, err));
        };
        match self.stream_root(states, value) {
            Ok(part) => Ok(part),
            Err(Stream::Failed(e)) => Err(e),
            Err(Stream::Fallback) => {
                let mut v = serde_json::to_value(value)?;
                let err = starts_with_err(&v);
                self.redact(base, &mut v);
                Ok((to_raw_value(&v)?, err))
            }
        }
    }

    /// Serializes `value` as the member `name` of the object at `object` (an output's
    /// argument, in `["outputs", alias, "args"]`), with the rules applied as it is
    /// serialized; `None` when a rule removes it. Check [`Redactor::matches`] on
    /// `object` first: when a rule matches the object itself, serialize its members as
    /// they are and redact the object whole.
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().key("(?i)password", Mode::Remove).compile(None)?;
    /// let at = ["outputs", "auth::login", "args"];
    /// assert!(r.serialize_member(&at, "password", "hunter2")?.is_none());
    /// assert_eq!(r.serialize_member(&at, "user", "ann")?.unwrap().get(), "\"ann\"");
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serialize_member<T: ?Sized + Serialize>(
        &self,
        object: &[&str],
        name: &str,
        value: &T,
    ) -> Result<Option<Box<RawValue>>, serde_json::Error> {
        let Some(states) = self.states_at(object) else {
            return to_raw_value(value).map(Some);
        };
        let c = Ctx::new(self, states);
        let streamed = match c.plan_member(name) {
            Err((mode, rule)) => {
                match c.redacted::<_, serde_json::Error>(value, true, mode, rule)? {
                    Some(v) => return to_raw_value(&v).map(Some),
                    None => return Ok(None),
                }
            }
            Ok(None) => return to_raw_value(value).map(Some),
            Ok(Some(child)) => to_raw_value(&Node {
                value,
                c: &c,
                at: child,
                member: true,
                root: false,
            }),
        };
        match streamed {
            Ok(raw) => Ok(Some(raw)),
            Err(_) if c.fallback.get() => {
                let mut m = Map::new();
                m.insert(name.to_owned(), serde_json::to_value(value)?);
                let mut obj = Value::Object(m);
                self.redact(object, &mut obj);
                match obj.get(name) {
                    Some(v) => to_raw_value(v).map(Some),
                    None => Ok(None),
                }
            }
            Err(e) => Err(e),
        }
    }

    /// Serializes the operation's argument `name` (at `/args/<name>`) with the rules
    /// applied as it is serialized: field-name rules on `name` first, then the rules at
    /// its path; `None` when a rule removes it.
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().path("/args/card/number", Mode::MaskLast4).compile(None)?;
    /// let card = serde_json::json!({"number": "4111111111111111"});
    /// let raw = r.serialize_arg("card", &card)?.unwrap();
    /// assert_eq!(raw.get(), r#"{"number":"************1111"}"#);
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn serialize_arg<T: ?Sized + Serialize>(
        &self,
        name: &str,
        value: &T,
    ) -> Result<Option<Box<RawValue>>, serde_json::Error> {
        if let Some((_, mode, i)) = self.keys.iter().find(|(re, _, _)| re.is_match(name)) {
            self.hit(*i);
            let mut v = serde_json::to_value(value)?;
            return match self.apply(*mode, &mut v) {
                Action::Remove => Ok(None),
                Action::Keep => to_raw_value(&v).map(Some),
            };
        }
        self.serialize(&["args", name], value).map(Some)
    }

    /// Whether a path rule matches the part at `base` itself (for example
    /// `/outputs/*/args` on `["outputs", "mail::send", "args"]`).
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().path("/outputs/*/args", Mode::Remove).compile(None)?;
    /// assert!(r.matches(&["outputs", "mail::send", "args"]));
    /// assert!(!r.matches(&["outputs", "mail::send", "value"]));
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn matches(&self, base: &[&str]) -> bool {
        self.paths.iter().any(|(p, _, _)| p.matched(p.walk(base)))
    }

    /// [`Redactor::redact_raw`] by streaming: the JSON text goes through the redacting
    /// serializer without a tree. `None` when nothing can apply under `base`, or the text
    /// is not JSON.
    pub(crate) fn stream_raw(&self, base: &[&str], raw: &RawValue) -> Option<Box<RawValue>> {
        let states = self.states_at(base)?;
        let mut de = serde_json::Deserializer::from_str(raw.get());
        match self.stream_root(states, &Transcoder::new(&mut de)) {
            Ok((out, _)) => Some(out),
            Err(Stream::Failed(_)) => None,
            Err(Stream::Fallback) => {
                let mut v: Value = serde_json::from_str(raw.get()).ok()?;
                self.redact(base, &mut v);
                to_raw_value(&v).ok()
            }
        }
    }

    /// Applies the rules to what the layer does not redact while capturing: input keys
    /// (kept as trees for matching), metadata, panic messages and unrecordable reasons;
    /// and stores the rules in the metadata under [`RULES_METADATA`]. With
    /// [`Redactor::serialize`], [`Redactor::serialize_member`] and
    /// [`Redactor::serialize_arg`] for the serialized parts, a recording ends up as
    /// [`Redactor::redact_recording`] leaves it.
    ///
    /// ```
    /// use playback_redact::{Mode, Rules};
    /// let r = Rules::new().path("/metadata/user", Mode::Remove).compile(None)?;
    /// let mut rec = playback_store::Recording::builder("login").metadata("user", "ann").build();
    /// r.redact_after_capture(&mut rec);
    /// assert!(rec.metadata.get("user").is_none());
    /// # Ok::<(), playback_redact::RedactError>(())
    /// ```
    pub fn redact_after_capture(&self, rec: &mut Recording) {
        if let Some(OpResult::Panicked { message }) = &mut rec.result {
            self.redact_text(message);
        }
        for i in &mut rec.interceptions {
            if let Some(key) = &mut i.key {
                let kind = match i.kind {
                    playback_store::InterceptionKind::Output => "outputs",
                    _ => "inputs",
                };
                self.redact(&[kind, i.alias.as_str(), "key"], key);
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
