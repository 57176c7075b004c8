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

use crate::serialize::{empty_object, null_raw};
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

impl Pending {
    fn into_interception(self) -> Interception {
        let location = self.site.location();
        let c = self.captured;
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
    pub(crate) fn into_recording(self) -> Recording {
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
