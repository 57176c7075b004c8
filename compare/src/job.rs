//! Replaying and comparing one recording.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Duration;

use playback_replay::{Playback, Side};
use playback_store::{Outcome, Recording};
use serde_json::Value;

use crate::comparator::Context;
use crate::comparison::Comparison;
use crate::diff::JsonDiff;
use crate::pointer::is_within;
use crate::tuning::Resolved;
use crate::verdict::Status;

/// The player used when none is set: automatic replay, which finds the operation by
/// the recording's category and calls it with the recorded arguments.
fn automatic_replay(
    rec: &Recording,
) -> Result<playback_replay::Playback, crate::comparator::BoxError> {
    playback_replay::replay_recording(rec).map_err(Into::into)
}

/// What a worker is doing, for its deadline.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// Replay number `run` (0 is the compared one, 1.. are noise-learning runs).
    Replay(usize),
    /// Extracting and comparing.
    Compare,
}

/// Run settings every job shares.
#[derive(Debug, Clone)]
pub(crate) struct Settings {
    pub(crate) noise_runs: usize,
    pub(crate) keep_results: bool,
    pub(crate) timeout: Option<Duration>,
}

/// Replays and compares one recording. `enter` is called before each phase and
/// returns `false` when the engine gave up on this job (timeout): the result is then
/// `None` and the worker stops.
pub(crate) fn process(
    rec: &Recording,
    tuning: &Resolved,
    settings: &Settings,
    enter: &mut dyn FnMut(Phase) -> bool,
) -> Option<Comparison> {
    let c = Comparison::new(rec, Status::Equal);
    let player: &crate::tuning::PlayerFn = match &tuning.player {
        Some(p) => &**p,
        None => &automatic_replay,
    };
    if !enter(Phase::Replay(0)) {
        return None;
    }
    let playback = match guarded(|| player(rec)) {
        Ok(Ok(p)) => p,
        Ok(Err(e)) => {
            return Some(c.with(Status::Failed, format!("replay failed: {}", chain(&*e))));
        }
        Err(panic) => return Some(c.with(Status::Failed, format!("replay panicked: {panic}"))),
    };
    let mut c = c;
    c.recorded_is_error = Some(playback.recorded().is_error());
    c.replayed_is_error = Some(playback.replayed().is_error());
    c.recorded_duration_us = Some(micros(playback.recorded().duration()));
    c.replayed_duration_us = Some(micros(playback.replayed().duration()));
    c.unused = playback.unused().to_vec();

    let runs = settings.noise_runs;
    let mut extra = Vec::with_capacity(runs);
    for run in 1..=runs {
        if !enter(Phase::Replay(run)) {
            return None;
        }
        match guarded(|| player(rec)) {
            Ok(Ok(p)) => extra.push(p),
            Ok(Err(e)) => {
                let msg = format!(
                    "noise-learning replay {run} of {runs} failed: {}",
                    chain(&*e)
                );
                return Some(keep(c.with(Status::Failed, msg), playback, settings));
            }
            Err(panic) => {
                let msg = format!("noise-learning replay {run} of {runs} panicked: {panic}");
                return Some(keep(c.with(Status::Failed, msg), playback, settings));
            }
        }
    }

    if !enter(Phase::Compare) {
        return None;
    }
    if rec.outcome != Outcome::Incomplete {
        let c = compare(c, rec, tuning, settings, &playback, &extra);
        return Some(keep(c, playback, settings));
    }
    let part = recorded_part(&playback);
    let extra: Vec<Playback> = extra.iter().map(recorded_part).collect();
    let mut c = compare(c, rec, tuning, settings, &part, &extra);
    if c.status != Status::Error {
        let note = format!(
            "incomplete recording: only what was recorded was compared (its {} outputs, not the result)",
            part.recorded().outputs().len()
        );
        c.message = Some(match c.message.take() {
            Some(m) => format!("{note}; {m}"),
            None => note,
        });
    }
    Some(keep(c, playback, settings))
}

/// What an incomplete recording can be compared on: the outputs it recorded. Both
/// results are `null` (production never produced one), and the replay keeps only
/// as many outputs as the recording has.
fn recorded_part(playback: &Playback) -> Playback {
    let n = playback.recorded().outputs().len();
    let side = |s: &Side| {
        let outputs = s.outputs().iter().take(n).cloned().collect();
        Side::new(Value::Null, false, outputs, s.duration())
    };
    Playback::new(
        playback.recording_id().clone(),
        playback.category(),
        side(playback.recorded()),
        side(playback.replayed()),
        playback.unused().to_vec(),
    )
    .with_warnings(playback.warnings().to_vec())
}

/// Extracts, learns noise and compares. The playback is the compared one; the
/// caller keeps the original with [`keep`].
fn compare(
    mut c: Comparison,
    rec: &Recording,
    tuning: &Resolved,
    settings: &Settings,
    playback: &Playback,
    extra: &[Playback],
) -> Comparison {
    let extract = |side: &Side, what: &str| -> Result<Value, String> {
        match guarded(|| (tuning.extractor)(side)) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!(
                "the result extractor failed on the {what} side: {}",
                chain(&*e)
            )),
            Err(p) => Err(format!(
                "the result extractor panicked on the {what} side: {p}"
            )),
        }
    };
    let values = extract(playback.recorded(), "recorded").and_then(|recorded| {
        extract(playback.replayed(), "replayed").map(|replayed| (recorded, replayed))
    });
    let (recorded, replayed) = match values {
        Ok(v) => v,
        Err(msg) => return c.with(Status::Error, msg),
    };

    // Noise: the paths where the replays of the same recording disagree.
    let plain = JsonDiff::new();
    let noise_diff = tuning.comparator.noise_diff().unwrap_or(&plain);
    let mut noise_paths = BTreeSet::new();
    for (run, p) in extra.iter().enumerate() {
        let other = match extract(p.replayed(), &format!("noise-learning replay {}", run + 1)) {
            Ok(v) => v,
            Err(msg) => return c.with(Status::Error, msg),
        };
        match guarded(|| noise_diff.diff(&replayed, &other)) {
            Ok(found) => noise_paths.extend(found.into_iter().map(|d| d.path)),
            Err(p) => {
                let msg = format!("a custom rule of the diff panicked while learning noise: {p}");
                return c.with(Status::Error, msg);
            }
        }
    }

    let data = match &tuning.data {
        None => Ok(Value::Null),
        Some(f) => match guarded(|| f(rec)) {
            Ok(Ok(v)) => Ok(v),
            Ok(Err(e)) => Err(format!(
                "the comparison-data extractor failed: {}",
                chain(&*e)
            )),
            Err(p) => Err(format!("the comparison-data extractor panicked: {p}")),
        },
    };
    let data = match data {
        Ok(d) => d,
        Err(msg) => {
            c.recorded = Some(recorded);
            c.replayed = Some(replayed);
            return c.with(Status::Error, msg);
        }
    };

    let context = Context::new(rec, playback, &data);
    let verdict = match guarded(|| tuning.comparator.compare(&recorded, &replayed, &context)) {
        Ok(Ok(v)) => v,
        Ok(Err(e)) => {
            c.recorded = Some(recorded);
            c.replayed = Some(replayed);
            let msg = format!("the comparator failed: {}", chain(&*e));
            return c.with(Status::Error, msg);
        }
        Err(p) => {
            c.recorded = Some(recorded);
            c.replayed = Some(replayed);
            let msg = format!("the comparator panicked: {p}");
            return c.with(Status::Error, msg);
        }
    };

    c.status = verdict.status;
    c.message = verdict.message;
    c.not_comparable = verdict.not_comparable;
    let (noise, real): (Vec<_>, Vec<_>) = verdict
        .differences
        .into_iter()
        .partition(|d| noise_paths.iter().any(|n| is_within(&d.path, n)));
    if matches!(c.status, Status::Different | Status::Fixed) && real.is_empty() && !noise.is_empty()
    {
        c.status = Status::Equal;
        c.message = Some("only paths learned as noise differ".to_owned());
    }
    c.differences = real;
    c.noise = noise;
    c.noise_paths = noise_paths.into_iter().collect();
    let notable = !c.noise.is_empty() || !c.not_comparable.is_empty();
    if settings.keep_results || c.status != Status::Equal || notable {
        c.recorded = Some(recorded);
        c.replayed = Some(replayed);
    }
    c
}

/// Keeps the playback in the comparison when asked to.
fn keep(mut c: Comparison, playback: Playback, settings: &Settings) -> Comparison {
    if settings.keep_results {
        c.playback = Some(playback);
    }
    c
}

/// The comparison of a job the engine gave up on.
pub(crate) fn timed_out(
    rec: &Recording,
    phase: Phase,
    timeout: Duration,
    runs: usize,
) -> Comparison {
    let after = format_duration(timeout);
    let tail = "its thread cannot be stopped, so it was abandoned and replaced";
    let c = Comparison::new(rec, Status::Failed);
    match phase {
        Phase::Replay(0) => c.with(
            Status::Failed,
            format!("replay timed out after {after}; {tail}"),
        ),
        Phase::Replay(run) => c.with(
            Status::Failed,
            format!("noise-learning replay {run} of {runs} timed out after {after}; {tail}"),
        ),
        Phase::Compare => c.with(
            Status::Error,
            format!("the extractor or comparator timed out after {after}; {tail}"),
        ),
    }
}

/// Runs user code, turning a panic into its message.
pub(crate) fn guarded<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    catch_unwind(AssertUnwindSafe(f)).map_err(|payload| playback_store::panic_message(&*payload))
}

/// An error and its sources, `: `-separated, skipping a source whose message the
/// previous one already contains.
pub(crate) fn chain(e: &(dyn std::error::Error + 'static)) -> String {
    let mut out = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        let text = s.to_string();
        if !out.contains(&text) {
            out.push_str(": ");
            out.push_str(&text);
        }
        source = s.source();
    }
    out
}

fn micros(d: Duration) -> u64 {
    u64::try_from(d.as_micros()).unwrap_or(u64::MAX)
}

/// `1.5s`, `250ms`, `2m 5s`.
pub(crate) fn format_duration(d: Duration) -> String {
    let ms = d.as_millis();
    if ms < 1000 {
        format!("{ms}ms")
    } else if ms < 60_000 {
        let s = d.as_secs_f64();
        if (s - s.round()).abs() < 0.001 {
            format!("{}s", s.round())
        } else {
            format!("{s:.1}s")
        }
    } else {
        format!("{}m {}s", d.as_secs() / 60, d.as_secs() % 60)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::comparator::BoxError;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn chain_joins_sources_once() {
        let e = Outer(std::io::Error::other("disk on fire"));
        assert_eq!(chain(&e), "outer: disk on fire");
        let boxed: BoxError = "plain".into();
        assert_eq!(chain(&*boxed), "plain");
    }

    #[test]
    fn guarded_returns_the_panic_message() {
        let r: Result<(), String> = guarded(|| panic!("boom {}", 7));
        assert_eq!(r.unwrap_err(), "boom 7");
        assert_eq!(guarded(|| 3).unwrap(), 3);
    }

    #[test]
    fn durations_format_for_people() {
        assert_eq!(format_duration(Duration::from_millis(250)), "250ms");
        assert_eq!(format_duration(Duration::from_secs(2)), "2s");
        assert_eq!(format_duration(Duration::from_millis(1500)), "1.5s");
        assert_eq!(format_duration(Duration::from_secs(125)), "2m 5s");
    }
}
