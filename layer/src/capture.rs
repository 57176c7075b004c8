//! What the request path hands to the writer: static call-site data and values already
//! serialized. The writer thread turns it into the recording format, off the request
//! path.

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::time::Duration;

use playback_store::{Interception, InterceptionKind, OpResult, Outcome, Recording, RecordingId};
use serde_json::value::RawValue;
use serde_json::{Map, Value};
use time::OffsetDateTime;

use crate::serialize::{empty_object, null_raw, placeholder_raw};
use crate::site::Site;

/// How the operation is named in its recording; formatted by the writer.
#[derive(Debug, Clone, Copy)]
pub(crate) enum OpName {
    Span {
        target: &'static str,
        name: &'static str,
    },
    Alias(&'static str),
}

impl OpName {
    fn render(self) -> String {
        match self {
            OpName::Span { target, name } => format!("{target}::{name}"),
            OpName::Alias(alias) => alias.to_owned(),
        }
    }
}

/// What is recorded for one interception, serialized on the request path.
#[derive(Debug)]
pub(crate) struct Captured {
    pub(crate) key: Option<Value>,
    pub(crate) args: Option<Box<RawValue>>,
    /// `None` when the body panicked.
    pub(crate) value: Option<Box<RawValue>>,
    pub(crate) error: bool,
    pub(crate) panic: Option<String>,
    pub(crate) unrecordable: Option<String>,
    pub(crate) concurrent: bool,
}

/// One interception as captured on the request path: where and which call it was, and
/// what it captured.
#[derive(Debug)]
pub(crate) struct Pending {
    pub(crate) kind: InterceptionKind,
    pub(crate) site: Site,
    pub(crate) invocation: u32,
    pub(crate) captured: Captured,
}

/// How deep a captured value may nest: a recording is read up to
/// [`playback_store::MAX_JSON_DEPTH`] levels, and the document puts each value at most
/// four levels down (`interceptions[i].value`, `result.returned.value`, `args.name`).
pub(crate) const MAX_VALUE_DEPTH: usize = playback_store::MAX_JSON_DEPTH - 4;

fn too_deep_reason() -> String {
    format!(
        "the value nests deeper than {MAX_VALUE_DEPTH} levels, which the recording reader refuses (playback_store::MAX_JSON_DEPTH)"
    )
}

/// Replaces a raw value the reader would refuse as too deep by an unrecordable
/// placeholder; returns the reason when it did.
fn guard_raw(raw: &mut Box<RawValue>) -> Option<String> {
    if !playback_store::nests_deeper_than(raw.get().as_bytes(), MAX_VALUE_DEPTH) {
        return None;
    }
    let reason = too_deep_reason();
    *raw = placeholder_raw(&reason);
    Some(reason)
}

fn value_depth_over(value: &Value, limit: usize) -> bool {
    match value {
        Value::Array(_) | Value::Object(_) if limit == 0 => true,
        Value::Array(items) => items.iter().any(|v| value_depth_over(v, limit - 1)),
        Value::Object(map) => map.values().any(|v| value_depth_over(v, limit - 1)),
        _ => false,
    }
}

impl Pending {
    fn into_interception(self) -> Interception {
        let location = self.site.location();
        let mut c = self.captured;
        let mut too_deep = None;
        for raw in [c.args.as_mut(), c.value.as_mut()].into_iter().flatten() {
            too_deep = guard_raw(raw).or(too_deep);
        }
        if let Some(key) = c.key.as_mut()
            && value_depth_over(key, MAX_VALUE_DEPTH)
        {
            let reason = too_deep_reason();
            *key = playback_store::unrecordable(&reason);
            too_deep = Some(reason);
        }
        if let Some(reason) = too_deep {
            c.unrecordable.get_or_insert(reason);
        }
        let value = c.value.unwrap_or_else(null_raw);
        let mut i = match self.kind {
            InterceptionKind::Output => Interception::output(
                self.site.alias,
                self.invocation,
                c.args.unwrap_or_else(empty_object),
                value,
                c.error,
            ),
            _ => Interception::input(
                self.site.alias,
                self.invocation,
                c.key.unwrap_or(Value::Object(Map::new())),
                value,
                c.error,
            ),
        };
        if c.panic.is_some() {
            i.value = None;
        }
        i.panic = c.panic;
        i.unrecordable = c.unrecordable;
        i.concurrent = c.concurrent;
        i.with_site(self.site.signature, location)
    }
}

/// A finished operation on its way to the writer, which builds the [`Recording`].
#[derive(Debug)]
pub(crate) struct Finished {
    pub(crate) id: Option<RecordingId>,
    pub(crate) category: Cow<'static, str>,
    pub(crate) operation: OpName,
    pub(crate) recorded_at: OffsetDateTime,
    pub(crate) duration: Duration,
    pub(crate) outcome: Outcome,
    pub(crate) metadata: Map<String, Value>,
    pub(crate) args: BTreeMap<String, Box<RawValue>>,
    pub(crate) result: Option<OpResult>,
    pub(crate) interceptions: Vec<Pending>,
}

impl Finished {
    /// Builds the recording. A value the reader would refuse as too deep becomes an
    /// unrecordable placeholder (its interception says why), so the recording stays
    /// readable and the rest of it is kept.
    pub(crate) fn into_recording(mut self) -> Recording {
        for raw in self.args.values_mut() {
            guard_raw(raw);
        }
        if let Some(OpResult::Returned { value, .. }) = self.result.as_mut() {
            guard_raw(value);
        }
        let id = self
            .id
            .unwrap_or_else(|| RecordingId::generate_at(self.recorded_at));
        let mut rec = Recording::builder(self.category.into_owned())
            .id(id)
            .operation(self.operation.render())
            .duration(self.duration)
            .outcome(self.outcome)
            .metadata_map(self.metadata)
            .interceptions(
                self.interceptions
                    .into_iter()
                    .map(Pending::into_interception)
                    .collect(),
            )
            .build();
        rec.recorded_at = self.recorded_at;
        rec.args = self.args;
        rec.result = self.result;
        rec
    }
}
