//! `playback review`: accept or reject the changes a `PLAYBACK_UPDATE=new` test run
//! left pending next to the recordings.

use std::io::{BufRead, IsTerminal, Write};
use std::path::{Path, PathBuf};

use clap::Args;
use playback_harness::pending::{self, Pending};

use crate::args::Global;
use crate::error::CliError;
use crate::open::{Location, open_dir};
use crate::output::print;

/// The directory reviewed when no store is given.
const DEFAULT_DIR: &str = "tests/recordings";

/// `playback review [--dir DIR] [--accept | --reject | --interactive]`.
#[derive(Debug, Args)]
#[command(
    after_help = "Without --accept or --reject, each change is shown and you answer
  a  accept: the recording's expected outputs become the replayed ones
  r  reject: delete the pending change; the recording stays as it is
  s  skip: leave it pending for later
  A / R  accept / reject this one and every one after it
  q  quit: leave the rest pending
When stdin is not a terminal, the changes are listed and none is applied.
The directory is --dir, else PLAYBACK_STORE, else tests/recordings.

Examples:
  PLAYBACK_UPDATE=new cargo test; playback review --dir tests/recordings
  playback review --accept"
)]
pub(crate) struct ReviewArgs {
    /// Accept every pending change without asking.
    #[arg(long, conflicts_with_all = ["reject", "interactive"])]
    pub(crate) accept: bool,

    /// Reject every pending change without asking.
    #[arg(long, conflicts_with = "interactive")]
    pub(crate) reject: bool,

    /// Ask about each change even when stdin is not a terminal (one answer per line).
    #[arg(long)]
    pub(crate) interactive: bool,
}

/// What to do with one change.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Answer {
    Accept,
    Reject,
    Skip,
    AcceptAll,
    RejectAll,
    Quit,
}

/// How many changes went which way.
#[derive(Debug, Default)]
struct Tally {
    accepted: usize,
    rejected: usize,
    left: usize,
}

pub(crate) fn run(global: &Global, args: &ReviewArgs) -> Result<u8, CliError> {
    let dir = review_dir(global)?;
    open_dir(&dir)?;
    let changes = pending::find(&dir)?;
    if changes.is_empty() {
        print(&format!("no pending changes in {}\n", dir.display()));
        return Ok(crate::exit::OK);
    }
    let color = global.color.enabled();
    let tally = if args.accept {
        apply_all(&changes, Answer::Accept)?
    } else if args.reject {
        apply_all(&changes, Answer::Reject)?
    } else if args.interactive || std::io::stdin().is_terminal() {
        let echo = !std::io::stdin().is_terminal();
        ask_each(&changes, color, echo, &mut std::io::stdin().lock())?
    } else {
        for change in &changes {
            print(&format!("{}\n", change.render(color)));
        }
        eprintln!(
            "{} change(s) pending; pass --accept or --reject, or run `playback review` in a \
             terminal",
            changes.len()
        );
        return Ok(crate::exit::DIFFERENT);
    };
    print(&format!(
        "accepted {}, rejected {}, left pending {}\n",
        tally.accepted, tally.rejected, tally.left
    ));
    Ok(if tally.rejected + tally.left == 0 {
        crate::exit::OK
    } else {
        crate::exit::DIFFERENT
    })
}

/// `--dir`, else a directory `PLAYBACK_STORE` names, else `tests/recordings`.
fn review_dir(global: &Global) -> Result<PathBuf, CliError> {
    match Location::from_flags(global) {
        Ok(Location::Dir(dir)) => Ok(dir),
        Ok(Location::S3 { bucket, prefix }) => Err(CliError::ReviewNeedsDir {
            url: format!("s3://{bucket}/{prefix}"),
        }),
        Err(CliError::NoStore) => Ok(PathBuf::from(DEFAULT_DIR)),
        Err(err) => Err(err),
    }
}

fn apply(change: &Pending, answer: Answer, tally: &mut Tally) -> Result<(), CliError> {
    let name = change.test_name();
    match answer {
        Answer::Accept | Answer::AcceptAll => {
            change.accept()?;
            tally.accepted += 1;
            print(&format!(
                "accepted {name} ({})\n",
                shown(change.recording_path())
            ));
        }
        Answer::Reject | Answer::RejectAll => {
            change.reject()?;
            tally.rejected += 1;
            print(&format!("rejected {name}\n"));
        }
        Answer::Skip | Answer::Quit => {
            tally.left += 1;
            print(&format!("left {name} pending\n"));
        }
    }
    Ok(())
}

fn apply_all(changes: &[Pending], answer: Answer) -> Result<Tally, CliError> {
    let mut tally = Tally::default();
    for change in changes {
        apply(change, answer, &mut tally)?;
    }
    Ok(tally)
}

/// Shows each change and applies the answer read from `input` (printed back when
/// `echo`, as a terminal would); at the end of the input the rest stay pending.
fn ask_each(
    changes: &[Pending],
    color: bool,
    echo: bool,
    input: &mut dyn BufRead,
) -> Result<Tally, CliError> {
    let mut tally = Tally::default();
    let mut sticky: Option<Answer> = None;
    for (n, change) in changes.iter().enumerate() {
        let answer = match sticky {
            Some(answer) => answer,
            None => {
                print(&format!(
                    "[{}/{}] {}\n",
                    n + 1,
                    changes.len(),
                    change.render(color)
                ));
                let answer = prompt(input, echo)?;
                if matches!(answer, Answer::AcceptAll | Answer::RejectAll | Answer::Quit) {
                    sticky = Some(answer);
                }
                answer
            }
        };
        apply(change, answer, &mut tally)?;
    }
    Ok(tally)
}

/// Asks until the answer is one of the letters; the end of the input quits.
fn prompt(input: &mut dyn BufRead, echo: bool) -> Result<Answer, CliError> {
    loop {
        print("accept [a], reject [r], skip [s], accept all [A], reject all [R], quit [q]? ");
        let _ = std::io::stdout().flush();
        let mut line = String::new();
        if input.read_line(&mut line).map_err(CliError::Prompt)? == 0 {
            print("\n");
            return Ok(Answer::Quit);
        }
        if echo {
            print(&format!("{}\n", line.trim_end()));
        }
        let answer = match line.trim() {
            "a" | "y" | "accept" => Answer::Accept,
            "r" | "n" | "reject" => Answer::Reject,
            "s" | "" | "skip" => Answer::Skip,
            "A" => Answer::AcceptAll,
            "R" => Answer::RejectAll,
            "q" | "quit" => Answer::Quit,
            other => {
                eprintln!("`{other}` is not an answer");
                continue;
            }
        };
        return Ok(answer);
    }
}

/// A path relative to the current directory when it is inside it.
fn shown(path: &Path) -> String {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| path.strip_prefix(cwd).ok().map(Path::to_owned))
        .unwrap_or_else(|| path.to_owned())
        .display()
        .to_string()
}
