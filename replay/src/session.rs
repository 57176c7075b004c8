//! One replay of one recording: which recorded interception answers which call, what
//! the replayed operation did, and the first failure of the machinery.

use std::any::Any;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;
use std::time::Instant;

use parking_lot::Mutex;
use playback_layer::{Answer, OnMissing, OpInfo, ReplayScope, Site};
use playback_store::{InterceptionKind, OpResult, Outcome, Recording, RecordingId};

/// What a replay needs of one recorded interception while the operation runs (the
/// rest is read from the recording when the replay ends).
#[derive(Debug)]
struct Entry {
    kind: InterceptionKind,
    alias: String,
    key: Option<Value>,
    value: Option<Box<RawValue>>,
    error: bool,
    signature: String,
}
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::ReplayError;
use crate::mismatch;
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
}

impl Default for Config {
    fn default() -> Self {
        Config {
            on_missing: None,
            strict: true,
            fail_on_stale: false,
            fallbacks: HashMap::new(),
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
    recording_id: RecordingId,
    category: String,
    entries: Vec<Entry>,
    /// Positions in `entries`, by alias; only for recordings with many interceptions
    /// (a scan is cheaper for a few).
    index: Option<HashMap<String, Vec<usize>>>,
    config: Arc<Config>,
    state: Mutex<State>,
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
struct Replayed {
    alias: String,
    invocation: u32,
    args: Box<RawValue>,
    /// The recorded interception it used.
    entry: Option<usize>,
    error: bool,
}

#[derive(Default)]
struct State {
    opened: bool,
    started: Option<Instant>,
    finished: Option<Instant>,
    used: Vec<bool>,
    /// Replayed output calls, by the alias they were matched under (a few aliases: a
    /// scan).
    output_calls: Vec<(String, u32)>,
    /// Replayed outputs, with the recorded interception each one used.
    outputs: Vec<Replayed>,
    result: Option<OpResult>,
    error: Option<ReplayError>,
    warnings: Vec<String>,
    /// Call sites whose last answer came from a recording with another signature.
    stale: HashMap<&'static str, String>,
    /// Operation spans that opened but were not replayed.
    seen: Vec<String>,
}

impl Session {
    pub(crate) fn new(rec: &Recording, config: Arc<Config>) -> Arc<Session> {
        crate::quiet::install();
        let entries: Vec<Entry> = rec
            .interceptions
            .iter()
            .map(|i| Entry {
                kind: i.kind,
                alias: i.alias.clone(),
                key: i.key.clone(),
                value: i.value.clone(),
                error: i.error,
                signature: i.signature.clone(),
            })
            .collect();
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
            entries,
            index,
            config,
            state: Mutex::new(state),
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

    fn candidates<'a>(&'a self, site: &'a Site) -> impl Iterator<Item = &'a str> + 'a {
        std::iter::once(site.alias)
            .chain(site.fallback_aliases.iter().copied())
            .chain(
                self.config
                    .fallbacks
                    .get(site.alias)
                    .into_iter()
                    .flatten()
                    .map(String::as_str),
            )
    }

    fn positions<'a>(
        &'a self,
        alias: &'a str,
        kind: InterceptionKind,
    ) -> Box<dyn Iterator<Item = usize> + 'a> {
        match &self.index {
            Some(index) => Box::new(
                index
                    .get(alias)
                    .map(Vec::as_slice)
                    .unwrap_or_default()
                    .iter()
                    .copied()
                    .filter(move |&i| self.entries[i].kind == kind),
            ),
            None => Box::new(
                self.entries
                    .iter()
                    .enumerate()
                    .filter(move |(_, e)| e.kind == kind && e.alias == alias)
                    .map(|(i, _)| i),
            ),
        }
    }

    /// Checks the recorded signature of `entry` against the call site's. Returns the
    /// error answer when the replay fails on any change.
    fn check_signature(&self, st: &mut State, site: &Site, entry: &Entry) -> Option<Answer> {
        if !signatures_differ(&entry.signature, site.signature) {
            st.stale.remove(site.alias);
            return None;
        }
        if self.config.fail_on_stale {
            let err = self.stale_error(
                site,
                &entry.signature,
                "the replay fails on any signature change (`fail_on_stale_signature(true)`)"
                    .to_owned(),
            );
            return Some(Answer::Fail(fail(st, err)));
        }
        if st
            .stale
            .insert(site.alias, entry.signature.clone())
            .is_none()
        {
            let warning = format!(
                "the signature of `{}` at {} changed since the recording (recorded: {}; current: \
                 {}); its recorded value was used",
                site.alias,
                site.location(),
                entry.signature,
                site.signature
            );
            if !st.warnings.contains(&warning) {
                st.warnings.push(warning);
            }
        }
        None
    }

    fn stale_error(&self, site: &Site, recorded: &str, detail: String) -> ReplayError {
        ReplayError::StaleSignature {
            alias: site.alias,
            recorded: recorded.to_owned(),
            current: site.signature,
            detail,
            site: site.location(),
        }
    }

    /// The recorded signature of `site`'s aliases that differs from today's, if any.
    fn differing_signature(&self, site: &Site, kind: InterceptionKind) -> Option<String> {
        self.candidates(site)
            .flat_map(|alias| self.positions(alias, kind))
            .map(|i| &self.entries[i].signature)
            .find(|sig| signatures_differ(sig, site.signature))
            .cloned()
    }

    fn input_answer(&self, site: &Site, key: &Value) -> Answer {
        let mut st = self.state.lock();
        let found = self.candidates(site).find_map(|alias| {
            self.positions(alias, InterceptionKind::Input)
                .find(|&i| !st.used[i] && recorded_key(&self.entries[i]) == key)
        });
        if let Some(i) = found {
            st.used[i] = true;
            let entry = &self.entries[i];
            if let Some(answer) = self.check_signature(&mut st, site, entry) {
                return answer;
            }
            return Answer::Value(entry.value.clone().unwrap_or_else(null_raw));
        }
        let policy = match (site.on_missing, self.config.on_missing) {
            (OnMissing::Fail, Some(replay_policy)) => replay_policy,
            (site_policy, _) => site_policy,
        };
        let tried = key.to_string();
        match policy {
            OnMissing::Live => {
                st.warnings.push(format!(
                    "input `{}` at {} ran live: key {tried} is not in the recording",
                    site.alias,
                    site.location()
                ));
                return Answer::Live;
            }
            OnMissing::Default if site.on_missing == OnMissing::Default => {
                st.warnings.push(format!(
                    "input `{}` at {} returned Default::default(): key {tried} is not in the \
                     recording",
                    site.alias,
                    site.location()
                ));
                return Answer::Default;
            }
            _ => {}
        }
        let mut nearest = self.describe_missing_input(site, key);
        if policy == OnMissing::Default {
            nearest.push_str(
                "note: the replay asked for `OnMissing::Default`, which only call sites that \
                 declare `on_missing = \"default\"` can honour (they promise `T: Default`)\n",
            );
        }
        let err = match self.differing_signature(site, InterceptionKind::Input) {
            Some(recorded) => self.stale_error(
                site,
                &recorded,
                format!("key {tried} is not in the recording\n{nearest}"),
            ),
            None => ReplayError::InputMismatch {
                recording_id: self.recording_id.to_string(),
                alias: site.alias,
                tried_key: tried,
                nearest,
                site: site.location(),
            },
        };
        Answer::Fail(fail(&mut st, err))
    }

    fn describe_missing_input(&self, site: &Site, key: &Value) -> String {
        let mut keys: Vec<&Value> = Vec::new();
        let mut same = 0usize;
        for alias in self.candidates(site) {
            for i in self.positions(alias, InterceptionKind::Input) {
                let k = recorded_key(&self.entries[i]);
                if k == key {
                    same += 1;
                } else if !keys.contains(&k) {
                    keys.push(k);
                }
            }
        }
        let mut text = String::new();
        if same > 0 {
            text.push_str(&format!(
                "this key was recorded {same} time(s) and every recorded value was already \
                 replayed: the code now makes this call more often\n"
            ));
        }
        if !keys.is_empty() {
            text.push_str(&mismatch::nearest(key, &keys));
        } else if same == 0 {
            let mut recorded: Vec<&str> = self
                .entries
                .iter()
                .filter(|e| e.kind == InterceptionKind::Input)
                .map(|e| e.alias.as_str())
                .collect();
            recorded.dedup();
            let tried: Vec<&str> = self.candidates(site).collect();
            text.push_str(&format!(
                "no input under {} was recorded (recorded inputs: {})\n",
                tried
                    .iter()
                    .map(|a| format!("`{a}`"))
                    .collect::<Vec<_>>()
                    .join(", "),
                if recorded.is_empty() {
                    "none".to_owned()
                } else {
                    recorded.join(", ")
                }
            ));
        }
        text
    }

    fn output_answer(&self, site: &Site, args: &RawValue) -> Answer {
        let mut st = self.state.lock();
        let resolved = self
            .candidates(site)
            .find(|alias| {
                self.positions(alias, InterceptionKind::Output)
                    .next()
                    .is_some()
            })
            .unwrap_or(site.alias);
        let invocation = match st.output_calls.iter_mut().find(|(a, _)| a == resolved) {
            Some((_, n)) => {
                *n += 1;
                *n
            }
            None => {
                st.output_calls.push((resolved.to_owned(), 1));
                1
            }
        };
        let found = self
            .positions(resolved, InterceptionKind::Output)
            .find(|&i| !st.used[i]);
        if let Some(i) = found {
            st.used[i] = true;
            let entry = &self.entries[i];
            if let Some(answer) = self.check_signature(&mut st, site, entry) {
                return answer;
            }
            let raw = entry.value.clone().unwrap_or_else(null_raw);
            // the value is filled in from the recorded side when the replay ends
            st.outputs.push(Replayed {
                alias: resolved.to_owned(),
                invocation,
                args: args.to_owned(),
                entry: Some(i),
                error: entry.error,
            });
            return Answer::Value(raw);
        }
        st.outputs.push(Replayed {
            alias: resolved.to_owned(),
            invocation,
            args: args.to_owned(),
            entry: None,
            error: false,
        });
        if !site.fail_on_missing {
            st.warnings.push(format!(
                "output `{}` at {}: call #{invocation} has no recorded return value; it returned \
                 Default::default()",
                site.alias,
                site.location()
            ));
            return Answer::Default;
        }
        let recorded = self.positions(resolved, InterceptionKind::Output).count();
        let err = match self.differing_signature(site, InterceptionKind::Output) {
            Some(sig) => self.stale_error(
                site,
                &sig,
                format!("call #{invocation} has no recorded return value ({recorded} recorded)"),
            ),
            None => ReplayError::MissingOutput {
                recording_id: self.recording_id.to_string(),
                alias: site.alias,
                invocation,
                recorded: u32::try_from(recorded).unwrap_or(u32::MAX),
                site: site.location(),
            },
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
                    message(p.as_ref())
                ),
                Ended::Returned => String::new(),
            };
            return Ok(Err(ReplayError::NoOperation {
                recording_id: self.recording_id.to_string(),
                category: self.category.clone(),
                seen,
                panic,
            }));
        }
        let result = match (st.result.take(), ended) {
            (Some(OpResult::Returned { .. }), Ended::Panicked(p)) => return Err(p),
            (Some(r), _) => Some(r),
            (None, Ended::Panicked(p)) => Some(OpResult::Panicked {
                message: message(p.as_ref()),
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
            Some(r) => (r.to_json(), r.is_error()),
            None => (Value::Null, false),
        };
        let (recorded, recorded_at) = recorded_side(rec);
        let outputs = std::mem::take(&mut st.outputs)
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
                        let args = if same_args {
                            output.args.clone()
                        } else {
                            parse(&r.args)
                        };
                        (args, output.value.clone())
                    }
                    None => (parse(&r.args), Value::Null),
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
        .with_warnings(std::mem::take(&mut st.warnings));
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
            let output = Output::new(
                e.alias.clone(),
                e.invocation,
                e.args_value(),
                e.value_json(),
                e.error,
            );
            (i, output)
        })
        .unzip();
    let (result, error) = match &rec.result {
        Some(r) => (r.to_json(), r.is_error()),
        None => (
            Value::Null,
            matches!(rec.outcome, Outcome::Error | Outcome::Panicked),
        ),
    };
    (Side::new(result, error, outputs, rec.duration()), positions)
}

impl ReplayScope for Session {
    fn input(&self, site: &Site, key: &Value) -> Answer {
        self.input_answer(site, key)
    }

    fn output(&self, site: &Site, args: &RawValue) -> Answer {
        self.output_answer(site, args)
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

    fn finish(&self, result: OpResult) {
        let mut st = self.state.lock();
        st.finished.get_or_insert_with(Instant::now);
        st.result = Some(result);
    }

    fn close(&self) {
        self.state.lock().finished.get_or_insert_with(Instant::now);
    }
}

/// Keeps the first machinery error; returns the message the call site panics with.
fn fail(st: &mut State, err: ReplayError) -> String {
    let message = format!("{}{err}", crate::quiet::PREFIX);
    if st.error.is_none() {
        st.error = Some(err);
    }
    message
}

/// Whether two signatures differ. Empty ones are never compared, and the function's name
/// is left out, so a renamed call site found through a fallback alias is not stale.
fn signatures_differ(recorded: &str, current: &str) -> bool {
    if recorded.is_empty() || current.is_empty() {
        return false;
    }
    fn shape(s: &str) -> &str {
        &s[s.find('(').unwrap_or(0)..]
    }
    shape(recorded) != shape(current)
}

/// A recorded key; a `null` key (the key of `playback::now()`) reads back as absent.
fn recorded_key(entry: &Entry) -> &Value {
    static NULL: Value = Value::Null;
    entry.key.as_ref().unwrap_or(&NULL)
}

/// Captured arguments as JSON (the layer produced them with serde_json, so they parse).
fn parse(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

/// A `null` value (a `()` return value reads back as absent).
fn null_raw() -> Box<RawValue> {
    serde_json::value::to_raw_value(&Value::Null).unwrap_or_default()
}

/// The message of a panic payload.
pub(crate) fn message(payload: &(dyn Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "<non-string panic payload>".to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signatures_compare_without_the_function_name() {
        assert!(!signatures_differ(
            "fn old(id: u64) -> u8",
            "fn new_name(id: u64) -> u8"
        ));
        assert!(signatures_differ(
            "fn load(id: u64) -> u8",
            "fn load(id: u32) -> u8"
        ));
        assert!(!signatures_differ("", "fn load(id: u32) -> u8"));
        assert!(signatures_differ("clock", "other"));
    }
}
