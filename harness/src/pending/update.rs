//! What accepting a change does to a recording: [`updated_recording`].

use std::collections::HashSet;

use playback_replay::{Output, Playback};
use playback_store::{Interception, InterceptionKind, OpResult, Outcome, Recording};
use serde_json::Value;
use serde_json::value::RawValue;

use super::ordered::raw_like;

use crate::error::Error;

/// The recording as it reads once a replay's change is accepted: what the pending file
/// holds, and what [`crate::pending::Pending::accept`] writes.
///
/// Accepting updates the recording's **expected outputs** to what the replay produced,
/// and keeps everything the replay was fed:
///
/// - **the operation's result** becomes the replayed one (`{"Ok": ..}`, `{"Err": ..}`,
///   or a panic), and the outcome follows it (`ok`, `error`, `panicked`; an
///   `incomplete` recording stays incomplete). A recording without a result (a plain
///   span, an incomplete operation) keeps none when the replay gave none.
/// - **each output** interception is matched to a replayed output by alias and
///   invocation number: a matched one takes the replayed arguments (its return value,
///   signature and call site stay: replay returned the recorded value); a recorded
///   output the new code no longer makes is removed; a replayed output the recording
///   does not have is added at the end, with the arguments and return value the replay
///   gave it.
/// - **everything else is kept byte for byte**: the inputs (their keys and values, so
///   the recording still replays), the operation's arguments, the id, the category,
///   the operation alias, `recorded_at`, the duration, the metadata and the format
///   version. An output whose arguments did not change keeps its exact bytes too, and
///   a changed value is written with the recorded value's key order, so the file's
///   diff shows only the values that changed.
///
/// So the updated recording replays as before and now compares `Equal` on the code
/// that produced `playback`.
///
/// ```
/// use playback_replay::{Output, Playback, Side};
/// use playback_store::{Interception, OpResult, Recording};
/// use serde_json::{json, value::to_raw_value};
/// use std::time::Duration;
///
/// let raw = |v: serde_json::Value| to_raw_value(&v).unwrap();
/// let rec = Recording::builder("quote")
///     .interception(Interception::input("shop::rate", 1, json!({"currency": "USD"}), raw(json!({"Ok": 1.1})), false))
///     .interception(Interception::output("shop::audit", 1, raw(json!({"total": 1100})), raw(json!(null)), false))
///     .result(OpResult::Returned { value: raw(json!({"Ok": {"total": 1100}})), error: false })
///     .build();
/// let recorded = Side::new(json!({"Ok": {"total": 1100}}), false, vec![], Duration::ZERO);
/// let out = Output::new("shop::audit", 1, json!({"total": 1099}), json!(null), false);
/// let replayed = Side::new(json!({"Ok": {"total": 1099}}), false, vec![out], Duration::ZERO);
/// let playback = Playback::new(rec.id.clone(), "quote", recorded, replayed, vec![]);
///
/// let updated = playback_harness::pending::updated_recording(&rec, &playback)?;
/// assert_eq!(updated.result.as_ref().unwrap().to_json(), json!({"Ok": {"total": 1099}}));
/// assert_eq!(updated.interceptions[1].args_value(), json!({"total": 1099}));
/// // the input is untouched
/// assert_eq!(updated.interceptions[0].value.as_ref().unwrap().get(), rec.interceptions[0].value.as_ref().unwrap().get());
/// assert_eq!(updated.id, rec.id);
/// # Ok::<(), playback_harness::Error>(())
/// ```
pub fn updated_recording(original: &Recording, playback: &Playback) -> Result<Recording, Error> {
    let replayed = playback.replayed();
    // In the recorded value's key order, so only what changed shows in a diff.
    let raw = |v: &Value, recorded: Option<&RawValue>| {
        raw_like(v, recorded).map_err(|e| Error::Update {
            id: original.id.to_string(),
            reason: format!("a replayed value does not serialize: {e}"),
        })
    };
    let mut rec = original.clone();

    let result = replayed.result();
    if !(result.is_null() && original.result.is_none()) {
        let new = match panic_message(result, replayed.is_error()) {
            Some(message) => OpResult::Panicked { message },
            None => OpResult::Returned {
                value: raw(result, recorded_value(original.result.as_ref()))?,
                error: replayed.is_error(),
            },
        };
        if rec.outcome != Outcome::Incomplete {
            rec.outcome = match &new {
                OpResult::Panicked { .. } => Outcome::Panicked,
                r if r.is_error() => Outcome::Error,
                _ => Outcome::Ok,
            };
        }
        // Keep the recorded bytes when only formatting would change.
        let same = original
            .result
            .as_ref()
            .is_some_and(|old| old.to_json() == new.to_json() && old.is_error() == new.is_error());
        if !same {
            rec.result = Some(new);
        }
    }

    let outputs = replayed.outputs();
    let mut matched: HashSet<(&str, u32)> = HashSet::new();
    let mut interceptions = Vec::with_capacity(original.interceptions.len());
    for i in &original.interceptions {
        if i.kind != InterceptionKind::Output {
            interceptions.push(i.clone());
            continue;
        }
        let Some(out) = outputs
            .iter()
            .find(|o| o.alias == i.alias && o.invocation == i.invocation)
        else {
            continue; // the new code no longer makes this output
        };
        matched.insert((out.alias.as_str(), out.invocation));
        let mut kept = i.clone();
        if i.args_value() != out.args {
            kept.args = Some(raw(&out.args, i.args.as_deref())?);
        }
        interceptions.push(kept);
    }
    for out in outputs {
        if !matched.contains(&(out.alias.as_str(), out.invocation)) {
            interceptions.push(new_output(out, &raw)?);
        }
    }
    rec.interceptions = interceptions;
    Ok(rec)
}

fn new_output(
    out: &Output,
    raw: &impl Fn(&Value, Option<&RawValue>) -> Result<Box<RawValue>, Error>,
) -> Result<Interception, Error> {
    Ok(Interception::output(
        out.alias.clone(),
        out.invocation,
        raw(&out.args, None)?,
        raw(&out.value, None)?,
        out.error,
    ))
}

/// The recorded return value, as text.
fn recorded_value(result: Option<&OpResult>) -> Option<&RawValue> {
    match result? {
        OpResult::Returned { value, .. } => Some(value),
        _ => None,
    }
}

/// The message of a side's `{"panic": message}` result.
fn panic_message(result: &Value, error: bool) -> Option<String> {
    let map = result.as_object().filter(|m| error && m.len() == 1)?;
    map.get("panic")?.as_str().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;
    use playback_replay::Side;
    use serde_json::json;
    use std::time::Duration;

    fn raw(v: Value) -> Box<RawValue> {
        serde_json::value::to_raw_value(&v).unwrap()
    }

    fn playback(rec: &Recording, result: Value, error: bool, outputs: Vec<Output>) -> Playback {
        let recorded = Side::new(Value::Null, false, vec![], Duration::ZERO);
        let replayed = Side::new(result, error, outputs, Duration::ZERO);
        Playback::new(
            rec.id.clone(),
            rec.category.clone(),
            recorded,
            replayed,
            vec![],
        )
    }

    fn out(alias: &str, invocation: u32, args: Value) -> Output {
        Output::new(alias, invocation, args, json!({"Ok": null}), false)
    }

    #[test]
    fn outputs_are_matched_by_alias_and_invocation_removed_and_added() {
        let rec = Recording::builder("checkout")
            .interception(Interception::input(
                "db::load",
                1,
                json!({"id": 1}),
                raw(json!(5)),
                false,
            ))
            .interception(Interception::output(
                "db::save",
                1,
                raw(json!({"n": 1})),
                raw(json!(7)),
                false,
            ))
            .interception(Interception::output(
                "mail::send",
                1,
                raw(json!({"to": "a"})),
                raw(json!(null)),
                false,
            ))
            .interception(Interception::output(
                "db::save",
                2,
                raw(json!({"n": 2})),
                raw(json!(8)),
                false,
            ))
            .result(OpResult::Returned {
                value: raw(json!({"Ok": 1})),
                error: false,
            })
            .build();
        let p = playback(
            &rec,
            json!({"Ok": 1}),
            false,
            vec![
                out("db::save", 1, json!({"n": 10})),
                out("db::save", 2, json!({"n": 2})),
                out("audit::log", 1, json!({"x": true})),
            ],
        );
        let updated = updated_recording(&rec, &p).unwrap();
        let seen: Vec<(String, u32, Value)> = updated
            .interceptions
            .iter()
            .map(|i| (i.alias.clone(), i.invocation, i.args_value()))
            .collect();
        assert_eq!(
            seen,
            vec![
                ("db::load".to_owned(), 1, Value::Null),
                ("db::save".to_owned(), 1, json!({"n": 10})),
                ("db::save".to_owned(), 2, json!({"n": 2})),
                ("audit::log".to_owned(), 1, json!({"x": true})),
            ]
        );
        // the recorded return value of a matched output stays
        assert_eq!(updated.interceptions[1].value.as_ref().unwrap().get(), "7");
        // an unchanged output keeps its bytes, and so does the unchanged result
        assert_eq!(
            updated.interceptions[2].args.as_ref().unwrap().get(),
            rec.interceptions[3].args.as_ref().unwrap().get()
        );
    }

    #[test]
    fn the_result_and_outcome_follow_the_replay() {
        let rec = Recording::builder("c")
            .result(OpResult::Returned {
                value: raw(json!({"Ok": 1})),
                error: false,
            })
            .build();
        let err =
            updated_recording(&rec, &playback(&rec, json!({"Err": "no"}), true, vec![])).unwrap();
        assert_eq!(err.outcome, Outcome::Error);
        assert!(err.result.as_ref().unwrap().is_error());
        let panicked = updated_recording(
            &rec,
            &playback(&rec, json!({"panic": "boom"}), true, vec![]),
        )
        .unwrap();
        assert_eq!(panicked.outcome, Outcome::Panicked);
        assert!(
            matches!(panicked.result, Some(OpResult::Panicked { ref message }) if message == "boom")
        );
        // `{"panic": ..}` returned as a value, not an error, is a value
        let value =
            updated_recording(&rec, &playback(&rec, json!({"panic": "x"}), false, vec![])).unwrap();
        assert_eq!(value.outcome, Outcome::Ok);
        assert_eq!(value.result.unwrap().to_json(), json!({"panic": "x"}));
    }

    #[test]
    fn a_recording_without_a_result_keeps_none_and_an_incomplete_one_stays_incomplete() {
        let plain = Recording::builder("c").build();
        let same =
            updated_recording(&plain, &playback(&plain, Value::Null, false, vec![])).unwrap();
        assert!(same.result.is_none());
        let cut = Recording::builder("c").outcome(Outcome::Incomplete).build();
        let updated =
            updated_recording(&cut, &playback(&cut, json!({"Ok": 2}), false, vec![])).unwrap();
        assert_eq!(updated.outcome, Outcome::Incomplete);
        assert_eq!(updated.result.unwrap().to_json(), json!({"Ok": 2}));
    }
}
