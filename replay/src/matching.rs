//! Which recorded interception answers which call of a replay, and what a call that
//! the recording does not have is told.
//!
//! The rules, for calls that reach the replay in any order (concurrent tasks):
//! - inputs are matched by alias and key; among the unused entries with that key, the
//!   first in recorded order answers. Entries with identical key and identical value are
//!   interchangeable, so the order does not matter. Entries with an identical key but
//!   different values are handed out in recorded order, and when the recording marked
//!   them `concurrent` (their order was the completion order of concurrent tasks) the
//!   replay says so in a warning;
//! - outputs are matched by alias, preferring the unused entry whose recorded arguments
//!   are identical, else the first unused one in recorded order; the replayed outputs
//!   are reported in recorded order.

use playback_layer::{Answer, OnMissing, Site};
use playback_store::InterceptionKind;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::ReplayError;
use crate::mismatch;
use crate::session::{Entry, Replayed, Session, State, fail};

/// What the replay of an incomplete recording tells a call the recording does not have.
const CUT: &str =
    "playback replay: the recording ends here (its operation was cancelled while recording)";

impl Session {
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

    pub(crate) fn stale_error(&self, site: &Site, recorded: &str, detail: String) -> ReplayError {
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

    pub(crate) fn input_answer(&self, site: &Site, key: &Value) -> Answer {
        let mut st = self.state.lock();
        let found = self.candidates(site).find_map(|alias| {
            self.positions(alias, InterceptionKind::Input)
                .find(|&i| !st.used[i] && recorded_key(&self.entries[i]) == key)
        });
        if let Some(value) = self
            .config
            .overrides
            .get(site.alias)
            .and_then(|o| (o.0)(key))
        {
            // the recorded interception, if any, is consumed: it is not reported unused
            if let Some(i) = found {
                st.used[i] = true;
            }
            return match value {
                Ok(value) => Answer::Value(value),
                Err(reason) => {
                    let err = ReplayError::Unserializable {
                        alias: site.alias,
                        reason: format!("the value `override_input` gave: {reason}"),
                        site: site.location(),
                    };
                    Answer::Fail(fail(&mut st, err))
                }
            };
        }
        if let Some(i) = found {
            st.used[i] = true;
            let entry = &self.entries[i];
            if let Some(answer) = self.check_signature(&mut st, site, entry) {
                return answer;
            }
            self.warn_if_order_unknown(&mut st, site, i, key);
            return self.recorded_answer(&mut st, site, entry);
        }
        if self.incomplete {
            st.cut = true;
            return Answer::Fail(CUT.to_owned());
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

    /// What a matched entry answers: its value, its panic, or the error that it could not
    /// be recorded.
    fn recorded_answer(&self, st: &mut State, site: &Site, entry: &Entry) -> Answer {
        if let Some(reason) = &entry.unrecordable {
            let err = ReplayError::Unrecordable {
                recording_id: self.recording_id.to_string(),
                alias: site.alias,
                reason: reason.clone(),
                site: site.location(),
            };
            return Answer::Fail(fail(st, err));
        }
        if let Some(message) = &entry.panic {
            return Answer::Panic(message.clone());
        }
        Answer::Value(entry.value.clone().unwrap_or_else(null_raw))
    }

    /// Entry `chosen` answered `key`: when other unused entries have the same key but
    /// another value, and the recording says the calls were concurrent, the order they
    /// are handed out in is a guess. Say so once per key.
    fn warn_if_order_unknown(&self, st: &mut State, site: &Site, chosen: usize, key: &Value) {
        let entry = &self.entries[chosen];
        let value = entry.value.as_ref().map(|v| v.get());
        let mut differing = 0usize;
        let mut concurrent = entry.concurrent;
        for alias in self.candidates(site) {
            for i in self.positions(alias, InterceptionKind::Input) {
                let other = &self.entries[i];
                if i == chosen || st.used[i] || recorded_key(other) != key {
                    continue;
                }
                if other.value.as_ref().map(|v| v.get()) != value {
                    differing += 1;
                    concurrent |= other.concurrent;
                }
            }
        }
        if differing == 0 || !concurrent {
            return;
        }
        let warning = format!(
            "input `{}` at {}: key {key} was recorded by concurrent calls with different values; \
             they are handed out in recorded order, which concurrent calls need not follow",
            site.alias,
            site.location()
        );
        if !st.warnings.contains(&warning) {
            st.warnings.push(warning);
        }
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

    pub(crate) fn output_answer(&self, site: &Site, args: &RawValue) -> Answer {
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
        // identical arguments first (concurrent calls arrive in any order), else the
        // first unused call in recorded order
        let found = self
            .positions(resolved, InterceptionKind::Output)
            .find(|&i| {
                !st.used[i]
                    && self.entries[i]
                        .args
                        .as_ref()
                        .is_some_and(|a| a.get() == args.get())
            })
            .or_else(|| {
                self.positions(resolved, InterceptionKind::Output)
                    .find(|&i| !st.used[i])
            });
        if let Some(i) = found {
            st.used[i] = true;
            let entry = &self.entries[i];
            if let Some(answer) = self.check_signature(&mut st, site, entry) {
                return answer;
            }
            // the value is filled in from the recorded side when the replay ends
            st.outputs.push(Replayed {
                alias: resolved.to_owned(),
                invocation: entry.invocation,
                args: args.to_owned(),
                entry: Some(i),
                error: entry.error,
            });
            return self.recorded_answer(&mut st, site, entry);
        }
        if self.incomplete {
            st.cut = true;
            return Answer::Fail(CUT.to_owned());
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

/// A `null` value (a `()` return value reads back as absent).
fn null_raw() -> Box<RawValue> {
    serde_json::value::to_raw_value(&Value::Null).unwrap_or_default()
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
