//! One replay of one recording: which recorded interception answers which call, what
//! the replayed operation did, and the first failure of the machinery.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use playback_layer::{Answer, OnMissing, OpInfo, ReplayScope, Site};
use playback_store::{InterceptionKind, OpResult, Outcome, Recording, RecordingId, panic_message};

use serde_json::Value;
use serde_json::value::RawValue;

/// What a replay needs of one recorded interception while the operation runs (the
/// rest is read from the recording when the replay ends).
#[derive(Debug)]
pub(crate) struct Entry {
    pub(crate) kind: InterceptionKind,
    pub(crate) alias: String,
    pub(crate) invocation: u32,
    pub(crate) key: Option<Value>,
    pub(crate) args: Option<Box<RawValue>>,
    pub(crate) value: Option<Box<RawValue>>,
    pub(crate) error: bool,
    pub(crate) signature: String,
    pub(crate) panic: Option<String>,
    pub(crate) unrecordable: Option<String>,
    pub(crate) concurrent: bool,
}

use crate::error::ReplayError;
use crate::json::Json;
use crate::playback::{Output, Playback, Side, Unused};

/// Recordings with more interceptions than this get an index by alias.
const INDEX_FROM: usize = 16;

/// Per-replay settings (see [`Replayer`](crate::Replayer)).
#[derive(Debug, Clone)]
pub(crate) struct Config {
    /// Replaces `OnMissing::Fail` at call sites that kept the default.
    pub(crate) on_missing: Option<OnMissing>,
    /// Calls outside the replayed operation are errors.
    pub(crate) strict: bool,
    /// Any signature change is an error, even when the value still fits.
    pub(crate) fail_on_stale: bool,
    /// Extra fallback aliases, by current alias.
    pub(crate) fallbacks: HashMap<String, Vec<String>>,
    /// Inputs answered by the replayer instead of the recording, by alias.
    pub(crate) overrides: HashMap<String, InputOverride>,
}

/// The answer of [`Replayer::override_input`](crate::Replayer::override_input): the
/// value for a key, or `None` to answer from the recording.
#[derive(Clone)]
pub(crate) struct InputOverride(pub(crate) Arc<OverrideFn>);

/// An override's answer for a key: the value as JSON, or why it did not serialize.
pub(crate) type OverrideFn = dyn Fn(&Value) -> Option<Result<Box<RawValue>, String>> + Send + Sync;

impl fmt::Debug for InputOverride {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("InputOverride")
    }
}

impl Default for Config {
    fn default() -> Self {
        Config {
            on_missing: None,
            strict: true,
            fail_on_stale: false,
            fallbacks: HashMap::new(),
            overrides: HashMap::new(),
        }
    }
}

/// What the replayed code did when it stopped.
pub(crate) enum Ended {
    /// It returned.
    Returned,
    /// It panicked with this payload.
    Panicked(Box<dyn Any + Send>),
}

/// The end of a replay: `Ok` with the playback or a machinery error, or `Err` with a
/// panic to resume (the replayed code panicked after the operation had returned: the
/// panic is the test's own, an assertion in the closure, and must continue).
pub(crate) type Concluded = Result<Result<Playback, ReplayError>, Box<dyn Any + Send>>;

/// One replay.
pub(crate) struct Session {
    pub(crate) recording_id: RecordingId,
    category: String,
    /// The recording is incomplete (its operation was cancelled while recording): the
    /// replay stops, without an error, at the first call the recording does not have.
    pub(crate) incomplete: bool,
    pub(crate) entries: Vec<Entry>,
    /// Positions in `entries`, by alias; only for recordings with many interceptions
    /// (a scan is cheaper for a few).
    pub(crate) index: Option<HashMap<String, Vec<usize>>>,
    pub(crate) config: Arc<Config>,
    pub(crate) state: Mutex<State>,
    /// The recording's redaction rules, applied to the replayed side.
    redaction: crate::redaction::Redaction,
}

impl fmt::Debug for Session {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Session")
            .field("recording_id", &self.recording_id)
            .field("category", &self.category)
            .finish_non_exhaustive()
    }
}

/// One replayed output call; its arguments are parsed when the replay ends (from the
/// recorded side when they are the same text, which a faithful replay gives).
pub(crate) struct Replayed {
    pub(crate) alias: String,
    pub(crate) invocation: u32,
    pub(crate) args: Box<RawValue>,
    /// The recorded interception it used.
    pub(crate) entry: Option<usize>,
    pub(crate) error: bool,
}

#[derive(Default)]
pub(crate) struct State {
    pub(crate) opened: bool,
    pub(crate) started: Option<Instant>,
    pub(crate) finished: Option<Instant>,
    pub(crate) used: Vec<bool>,
    /// Replayed output calls, by the alias they were matched under (a few aliases: a
    /// scan).
    pub(crate) output_calls: Vec<(String, u32)>,
    /// Replayed outputs, with the recorded interception each one used.
    pub(crate) outputs: Vec<Replayed>,
    pub(crate) result: Option<OpResult>,
    pub(crate) error: Option<ReplayError>,
    pub(crate) warnings: Vec<String>,
    /// Call sites whose last answer came from a recording with another signature.
    pub(crate) stale: HashMap<&'static str, String>,
    /// Operation spans that opened but were not replayed.
    pub(crate) seen: Vec<String>,
    /// The replay of an incomplete recording reached the recording's end.
    pub(crate) cut: bool,
}

impl Session {
    pub(crate) fn new(rec: &Recording, config: Arc<Config>) -> Arc<Session> {
        crate::quiet::install();
        let mut entries: Vec<Entry> = rec
            .interceptions
            .iter()
            .map(|i| Entry {
                kind: i.kind,
                alias: i.alias.clone(),
                invocation: i.invocation,
                key: i.key.clone(),
                args: (i.kind == InterceptionKind::Output)
                    .then(|| i.args.clone())
                    .flatten(),
                value: i.value.clone(),
                error: i.error,
                signature: i.signature.clone(),
                panic: i.panic.clone(),
                unrecordable: i.unrecordable.clone(),
                concurrent: i.concurrent,
            })
            .collect();
        let redaction = crate::redaction::Redaction::for_recording(rec);
        redaction.prepare(&mut entries);
        let index = (entries.len() > INDEX_FROM).then(|| {
            let mut index: HashMap<String, Vec<usize>> = HashMap::new();
            for (i, e) in entries.iter().enumerate() {
                match index.get_mut(e.alias.as_str()) {
                    Some(v) => v.push(i),
                    None => {
                        index.insert(e.alias.clone(), vec![i]);
                    }
                }
            }
            index
        });
        let state = State {
            used: vec![false; entries.len()],
            ..State::default()
        };
        Arc::new(Session {
            recording_id: rec.id.clone(),
            category: rec.category.clone(),
            incomplete: rec.outcome == Outcome::Incomplete,
            entries,
            index,
            config,
            state: Mutex::new(state),
            redaction,
        })
    }

    /// An operation span opened: the first one of the recording's category is replayed.
    pub(crate) fn open(self: &Arc<Self>, op: &OpInfo<'_>) -> Option<Arc<dyn ReplayScope>> {
        let mut st = self.state.lock();
        if !st.opened && op.category == self.category {
            st.opened = true;
            st.started = Some(Instant::now());
            return Some(self.clone());
        }
        let why = if st.opened {
            "the replayed operation had already opened"
        } else {
            "another category"
        };
        st.seen.push(format!(
            "`{}` (span `{}::{}`, {why})",
            op.category, op.target, op.name
        ));
        None
    }

    /// An instrumented call ran outside every operation while this replay was current.
    pub(crate) fn outside(&self, site: &Site) -> Answer {
        let mut st = self.state.lock();
        if !self.config.strict {
            st.warnings.push(format!(
                "`{}` at {} ran live outside the replayed operation",
                site.alias,
                site.location()
            ));
            return Answer::Live;
        }
        let mut fix = if st.opened {
            "the call lost the operation's span: a task spawned inside the operation needs \
             `.in_current_span()` (and `.with_current_subscriber()` on a multi-thread runtime), \
             or replay on a `ReplayRuntime`, whose worker threads all replay"
                .to_owned()
        } else {
            format!(
                "no operation of category `{}` is open: a global filter \
                 (`registry().with(EnvFilter::..)`) may disable its span, so put the filter on the \
                 layers that need it (`fmt::layer().with_filter(..)`); a call made before the \
                 operation starts is never recorded",
                self.category
            )
        };
        if !st.seen.is_empty() {
            fix.push_str(&format!(
                "\nnot replayed operation span(s): {}",
                st.seen.join(", ")
            ));
        }
        fix.push_str(
            "\nto run such calls live on purpose, replay with `Replayer::new().strict(false)`",
        );
        let err = ReplayError::OutsideOperation {
            alias: site.alias,
            site: site.location(),
            fix,
        };
        Answer::Fail(fail(&mut st, err))
    }

    /// Ends the replay: the playback, the first machinery error, or a panic to resume.
    /// `rec` is the recording the session was made from.
    pub(crate) fn conclude(&self, rec: &Recording, ended: Ended) -> Concluded {
        let mut st = self.state.lock();
        if let Some(err) = st.error.take() {
            return Ok(Err(err));
        }
        if !st.opened {
            let seen = if st.seen.is_empty() {
                String::new()
            } else {
                format!(" (operation spans seen instead: {})", st.seen.join(", "))
            };
            let panic = match &ended {
                Ended::Panicked(p) => format!(
                    "; the replayed code panicked first: {}",
                    panic_message(p.as_ref())
                ),
                Ended::Returned => String::new(),
            };
            return Ok(Err(ReplayError::NoOperation {
                recording_id: self.recording_id.to_string(),
                category: self.category.clone(),
                seen,
                panic,
                hint: String::new(),
            }));
        }
        let result = match (st.result.take(), ended) {
            // the replay of an incomplete recording stopped where the recording ends
            _ if st.cut => None,
            (Some(OpResult::Returned { .. }), Ended::Panicked(p)) => return Err(p),
            (Some(r), _) => Some(r),
            (None, Ended::Panicked(p)) => Some(OpResult::Panicked {
                message: panic_message(p.as_ref()),
            }),
            (None, Ended::Returned) => None,
        };
        let now = Instant::now();
        let started = st.started.unwrap_or(now);
        let duration = st
            .finished
            .unwrap_or(now)
            .saturating_duration_since(started);
        let (result_json, error) = match &result {
            Some(r) => (result_of(r), r.is_error()),
            None => (Json::null(), false),
        };
        let (recorded, recorded_at) = recorded_side(rec);
        let mut replayed_outputs = std::mem::take(&mut st.outputs);
        // In recorded order: concurrent calls reach the replay in any order.
        replayed_outputs.sort_by_key(|r| r.entry.unwrap_or(usize::MAX));
        let outputs = replayed_outputs
            .into_iter()
            .map(|r| {
                let recorded_output = r
                    .entry
                    .and_then(|i| recorded_at.iter().position(|&j| j == i).map(|pos| (i, pos)));
                let (args, value) = match recorded_output {
                    Some((i, pos)) => {
                        let same_args = rec.interceptions[i]
                            .args
                            .as_ref()
                            .is_some_and(|a| a.get() == r.args.get());
                        let output = &recorded.outputs()[pos];
                        // The same text shares the recorded side's copy.
                        let args = if same_args {
                            output.args.clone()
                        } else {
                            Json::from_raw(&r.args)
                        };
                        (args, output.value.clone())
                    }
                    None => (Json::from_raw(&r.args), Json::null()),
                };
                Output::new(r.alias, r.invocation, args, value, r.error)
            })
            .collect();
        let replayed = Side::new(result_json, error, outputs, duration);
        let unused = rec
            .interceptions
            .iter()
            .zip(&st.used)
            .filter(|(_, used)| !**used)
            .map(|(e, _)| Unused::new(e.kind, e.alias.clone(), e.invocation, e.site.clone()))
            .collect();
        let playback = Playback::new(
            self.recording_id.clone(),
            self.category.clone(),
            recorded,
            replayed,
            unused,
        )
        .with_warnings(std::mem::take(&mut st.warnings))
        .with_stopped_at_recording_end(st.cut);
        Ok(Ok(playback))
    }
}

/// The recorded side, and for each of its outputs the position of its interception.
fn recorded_side(rec: &Recording) -> (Side, Vec<usize>) {
    let (positions, outputs) = rec
        .interceptions
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == InterceptionKind::Output)
        .map(|(i, e)| {
            let args = e.args.as_deref().map_or_else(Json::null, Json::from_raw);
            let value = match (&e.panic, &e.value) {
                (Some(message), _) => Json::from(serde_json::json!({ "panic": message })),
                (None, Some(v)) => Json::from_raw(v),
                (None, None) => Json::null(),
            };
            let output = Output::new(e.alias.clone(), e.invocation, args, value, e.error);
            (i, output)
        })
        .unzip();
    let (result, error) = match &rec.result {
        Some(r) => (result_of(r), r.is_error()),
        None => (
            Json::null(),
            matches!(rec.outcome, Outcome::Error | Outcome::Panicked),
        ),
    };
    (Side::new(result, error, outputs, rec.duration()), positions)
}

impl ReplayScope for Session {
    fn input(&self, site: &Site, key: &Value) -> Answer {
        match self.redaction.key(site, key) {
            Some(key) => self.input_answer(site, &key),
            None => self.input_answer(site, key),
        }
    }

    fn output(&self, site: &Site, args: &RawValue) -> Answer {
        match self.redaction.args(site, args) {
            Some(args) => self.output_answer(site, &args),
            None => self.output_answer(site, args),
        }
    }

    fn type_mismatch(
        &self,
        site: &Site,
        type_name: &'static str,
        error: &serde_json::Error,
    ) -> String {
        let mut st = self.state.lock();
        let err = match st.stale.get(site.alias) {
            Some(recorded) => self.stale_error(
                site,
                recorded,
                format!("the recorded value does not deserialize as `{type_name}`: {error}"),
            ),
            None => ReplayError::TypeMismatch {
                recording_id: self.recording_id.to_string(),
                alias: site.alias,
                type_name,
                message: error.to_string(),
                site: site.location(),
            },
        };
        fail(&mut st, err)
    }

    fn unserializable(&self, site: &Site, reason: &str) -> String {
        let err = ReplayError::Unserializable {
            alias: site.alias,
            reason: reason.to_owned(),
            site: site.location(),
        };
        fail(&mut self.state.lock(), err)
    }

    fn recording_id(&self) -> Option<RecordingId> {
        Some(self.recording_id.clone())
    }

    fn finish(&self, mut result: OpResult) {
        self.redaction.result(&mut result);
        let mut st = self.state.lock();
        st.finished.get_or_insert_with(Instant::now);
        st.result = Some(result);
    }

    fn close(&self) {
        self.state.lock().finished.get_or_insert_with(Instant::now);
    }
}

/// Keeps the first machinery error; returns the message the call site panics with.
pub(crate) fn fail(st: &mut State, err: ReplayError) -> String {
    let message = format!("{}{err}", crate::quiet::PREFIX);
    if st.error.is_none() {
        st.error = Some(err);
    }
    message
}

/// Captured arguments as JSON (the layer produced them with serde_json, so they parse).
/// The operation's result as [`Json`]: its text, or `{"panic": message}`.
fn result_of(result: &OpResult) -> Json {
    match result {
        OpResult::Returned { value, .. } => Json::from_raw(value),
        _ => Json::from(result.to_json()),
    }
}
