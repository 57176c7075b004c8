//! The tests: one libtest trial per recording, planned from a cheap listing and run
//! lazily.

use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, PoisonError};

use libtest_mimic::{Arguments, ColorSetting, Completion, Failed, Trial};
use playback_compare::{Comparison, Equalizer, Progress, Status, SummaryOptions};
use playback_store::{Outcome, RecordingId};

use crate::error::Error;
use crate::harness::Harness;
use crate::names::test_names;
use crate::outcome::{RunOutcome, TestOutcome, TestResult};
use crate::pending::{Pending, pending_path_of, remove, updated_recording, write_atomic};
use crate::update::Update;

/// The name of the one test that stands for a harness that cannot list its recordings.
pub(crate) const SETUP_TEST: &str = "playback::setup";

/// One planned test.
pub(crate) struct Planned {
    pub(crate) name: String,
    kind: Kind,
}

enum Kind {
    Recording { id: RecordingId, incomplete: bool },
    Unreadable(String),
}

/// The tests of `harness`, from its listing alone.
pub(crate) fn plan(harness: &Harness) -> Result<Vec<Planned>, Error> {
    Ok(plan_with_offline(harness, None)?.0)
}

/// The one test `--exact <category>::<short id>` selects, when it can be found without
/// listing every recording (see `Source::find_short_id`).
fn plan_exact(harness: &Harness, args: &Arguments) -> Option<Planned> {
    let name = args
        .filter
        .as_deref()
        .filter(|_| args.exact && args.skip.is_empty())?;
    let (category, short) = name.split_once("::")?;
    let source = harness.source.as_ref()?;
    let summary = source.find_short_id(&harness.query, &harness.name_key, category, short)?;
    Some(Planned {
        name: name.to_owned(),
        kind: Kind::Recording {
            id: summary.id,
            incomplete: summary.outcome == Outcome::Incomplete,
        },
    })
}

fn plan_with_offline(
    harness: &Harness,
    args: Option<&Arguments>,
) -> Result<(Vec<Planned>, Option<String>), Error> {
    let source = harness.source.as_ref().ok_or(Error::NoSource)?;
    if let Some(one) = args.and_then(|args| plan_exact(harness, args)) {
        return Ok((vec![one], None));
    }
    let listing = source.list(&harness.query)?;
    let names = test_names(&listing.summaries, &harness.name_key);
    let mut planned: Vec<Planned> = listing
        .summaries
        .iter()
        .zip(names)
        .map(|(s, name)| Planned {
            name,
            kind: Kind::Recording {
                id: s.id.clone(),
                incomplete: s.outcome == Outcome::Incomplete,
            },
        })
        .collect();
    for (n, err) in listing.unreadable.iter().enumerate() {
        planned.push(Planned {
            name: format!("playback::unreadable::{}", n + 1),
            kind: Kind::Unreadable(with_sources(err)),
        });
    }
    Ok((planned, listing.offline.map(|e| with_sources(&e))))
}

/// What every trial shares.
struct Shared {
    harness: Harness,
    update: Update,
    color: Option<bool>,
    outcomes: Mutex<Vec<TestOutcome>>,
}

impl Shared {
    fn record(&self, outcome: TestOutcome) {
        self.outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .push(outcome);
    }
}

pub(crate) fn run(harness: Harness, args: &Arguments) -> RunOutcome {
    let color = match args.color {
        Some(ColorSetting::Always) => Some(true),
        Some(ColorSetting::Never) => Some(false),
        _ if args.logfile.is_some() => Some(false),
        _ => None,
    };
    let setup = harness
        .update
        .map_or_else(Update::from_env, Ok)
        .and_then(|update| plan_with_offline(&harness, Some(args)).map(|p| (update, p)));
    let (update, planned) = match setup {
        Ok((update, (planned, offline))) => {
            if let Some(err) = offline {
                eprintln!(
                    "playback: the store cannot be listed ({err}); running the {} recordings of the cache",
                    planned.len()
                );
            }
            (update, Ok(planned))
        }
        Err(err) => (Update::No, Err(with_sources(&err))),
    };
    let shared = Arc::new(Shared {
        harness,
        update,
        color,
        outcomes: Mutex::new(Vec::new()),
    });
    let trials = match planned {
        Ok(planned) => planned.into_iter().map(|p| trial(&shared, p)).collect(),
        Err(message) => {
            let s = shared.clone();
            vec![Trial::test(SETUP_TEST, move || {
                s.record(failed_outcome(SETUP_TEST, None, message.clone()));
                Err(Failed::from(message))
            })]
        }
    };
    let conclusion = libtest_mimic::run(args, trials);
    let mut tests = std::mem::take(
        &mut *shared
            .outcomes
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    tests.sort_by(|a, b| a.name.cmp(&b.name));
    RunOutcome { conclusion, tests }
}

fn trial(shared: &Arc<Shared>, planned: Planned) -> Trial {
    let shared = shared.clone();
    let name = planned.name.clone();
    match planned.kind {
        Kind::Unreadable(message) => Trial::test(name.clone(), move || {
            shared.record(failed_outcome(&name, None, message.clone()));
            Err(Failed::from(message))
        }),
        Kind::Recording { id, incomplete } => {
            let ignored = incomplete && !shared.harness.include_incomplete;
            Trial::ignorable_test(name.clone(), move || {
                let (outcome, result) = replay(&shared, &name, &id, incomplete);
                shared.record(outcome);
                result
            })
            .with_ignored_flag(ignored)
        }
    }
}

fn failed_outcome(name: &str, id: Option<RecordingId>, message: String) -> TestOutcome {
    TestOutcome {
        name: name.to_owned(),
        recording_id: id,
        status: Status::Error,
        result: TestResult::Failed,
        message: Some(message),
        pending: None,
        accepted: false,
    }
}

/// Replays and compares one recording, and applies the update mode.
fn replay(
    shared: &Shared,
    name: &str,
    id: &RecordingId,
    incomplete: bool,
) -> (TestOutcome, Result<Completion, Failed>) {
    let h = &shared.harness;
    let source = h.source.as_ref().expect("planned tests have a source");
    let loaded = match source.load(id) {
        Ok(loaded) => loaded,
        Err(err) => {
            let message = format!("recording {id} could not be loaded: {}", with_sources(&err));
            return (
                failed_outcome(name, Some(id.clone()), message.clone()),
                Err(message.into()),
            );
        }
    };
    let mut eq = Equalizer::new(vec![loaded.recording.clone()])
        .tuning(h.tuning.clone())
        .progress(Progress::Never)
        .threads(1)
        .keep_results(true)
        .include_incomplete(h.include_incomplete || incomplete)
        .learn_noise(h.noise_runs);
    if let Some(player) = &h.player {
        let player = player.clone();
        eq = eq.player(move |rec| player(rec));
    }
    if let Some(comparator) = &h.comparator {
        eq = eq.comparator(comparator.clone());
    }
    if let Some(timeout) = h.timeout {
        eq = eq.timeout(timeout);
    }
    let report = eq.run();
    let mut outcome = TestOutcome {
        name: name.to_owned(),
        recording_id: Some(id.clone()),
        status: Status::Error,
        result: TestResult::Failed,
        message: None,
        pending: None,
        accepted: false,
    };
    let Some(comparison) = report.comparisons.into_iter().next() else {
        let problems: Vec<String> = report.problems.iter().map(|p| p.message.clone()).collect();
        let message = format!("recording {id} was not compared: {}", problems.join("; "));
        outcome.message = Some(message.clone());
        return (outcome, Err(message.into()));
    };
    outcome.status = comparison.status;
    let pending_file = loaded.file.as_deref().map(pending_path_of);
    match comparison.status {
        Status::Equal | Status::Fixed => {
            if shared.update != Update::No
                && let Some(stale) = &pending_file
                && let Err(err) = remove(stale)
            {
                eprintln!("playback: {name}: {err}");
            }
            outcome.result = TestResult::Passed;
            (outcome, Ok(Completion::Completed))
        }
        Status::Skipped => {
            outcome.result = TestResult::Ignored;
            let why = comparison
                .message
                .unwrap_or_else(|| "not compared".to_owned());
            (outcome, Ok(Completion::ignored_with(why)))
        }
        Status::Different => different(shared, name, &loaded, comparison, outcome),
        _ => {
            let message = render(shared, &comparison);
            outcome.message = Some(message.clone());
            (outcome, Err(message.into()))
        }
    }
}

fn render(shared: &Shared, comparison: &Comparison) -> String {
    let mut options = SummaryOptions::new().max_differences(20).max_lines(40);
    if let Some(color) = shared.color {
        options = options.color(color);
    }
    comparison.render(&options)
}

/// A recording whose replay differs: fail, write a pending change, or accept it.
fn different(
    shared: &Shared,
    name: &str,
    loaded: &crate::source::Loaded,
    comparison: Comparison,
    mut outcome: TestOutcome,
) -> (TestOutcome, Result<Completion, Failed>) {
    let mut message = render(shared, &comparison);
    let written = match (shared.update, loaded.file.as_deref()) {
        (Update::No, _) => Ok(None),
        (_, None) => {
            message.push_str(
                "\nrecordings from a store are not updated: pull them into a directory \
                 (`playback pull QUERY --to DIR`) and run the tests on it\n",
            );
            Ok(None)
        }
        (update, Some(file)) => update_file(update, name, loaded, &comparison, file).map(Some),
    };
    match written {
        Ok(None) => {}
        Ok(Some(Written::Pending(path))) => {
            message.push_str(&format!(
                "\npending change written to {}\nreview it with `playback review`, or accept \
                 every change with PLAYBACK_UPDATE=always\n",
                path.display()
            ));
            outcome.pending = Some(path);
        }
        Ok(Some(Written::Accepted(path))) => {
            eprintln!(
                "playback: {name}: accepted the change into {}",
                path.display()
            );
            outcome.accepted = true;
            outcome.result = TestResult::Passed;
            outcome.message = Some(message);
            return (outcome, Ok(Completion::Completed));
        }
        Err(err) => message.push_str(&format!(
            "\nthe change could not be written: {}\n",
            with_sources(&err)
        )),
    }
    outcome.message = Some(message.clone());
    (outcome, Err(message.into()))
}

enum Written {
    Pending(PathBuf),
    Accepted(PathBuf),
}

fn update_file(
    update: Update,
    name: &str,
    loaded: &crate::source::Loaded,
    comparison: &Comparison,
    file: &Path,
) -> Result<Written, Error> {
    let playback = comparison.playback.as_ref().ok_or_else(|| Error::Update {
        id: loaded.recording.id.to_string(),
        reason: "the comparison kept no playback".to_owned(),
    })?;
    let updated = updated_recording(&loaded.recording, playback)?;
    if update == Update::Always {
        write_atomic(file, &updated.to_json()?)?;
        remove(&pending_path_of(file))?;
        return Ok(Written::Accepted(file.to_owned()));
    }
    let original = std::fs::read(file).map_err(Error::io(file, "read"))?;
    let pending = Pending::write(file, &original, name, comparison, updated)?;
    Ok(Written::Pending(pending.pending_path().to_owned()))
}

/// An error's message followed by its sources': `failed to list `x`: check ...: network
/// is unreachable`.
fn with_sources(err: &dyn std::error::Error) -> String {
    let mut text = err.to_string();
    let mut source = err.source();
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}
