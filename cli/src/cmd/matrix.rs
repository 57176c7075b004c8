//! `playback matrix replay --trace FILE --id N`: one walk of a scenario matrix, from
//! its trace.
//!
//! The CLI cannot run your actions: they are code in your binary. So it prints the
//! walk (its options, recording and outcome, from the trace) and the exact command to
//! re-run only that walk in your own binary: the command line the trace's header
//! recorded, with `PLAYBACK_MATRIX_WALK` and `PLAYBACK_MATRIX_TRACE` set, under which
//! `Matrix::run` / `RecordingMatrix::run` run that one walk (on the calling thread, for
//! a debugger). `--run` runs that command, and exits with its exit code.

use std::path::PathBuf;
use std::process::Command;

use clap::{Args, Subcommand};
use playback_matrix::{TRACE_ENV, WALK_ENV, WalkId, find_walk};

use crate::args::Global;
use crate::error::CliError;
use crate::output::{Paint, print};

/// `playback matrix ...`.
#[derive(Debug, Subcommand)]
pub(crate) enum MatrixCommand {
    /// Show one walk of a matrix trace and how to re-run exactly it in your binary.
    Replay(ReplayArgs),
}

/// `playback matrix replay --trace FILE --id N [--run]`.
#[derive(Debug, Args)]
#[command(after_help = "Example:
  playback matrix replay --trace target/playback/matrix.jsonl --id 5f1c0a7e9b2d4c31
  playback matrix replay --trace target/playback/matrix.jsonl --id 5f1c0a7e9b2d4c31 --run")]
pub(crate) struct ReplayArgs {
    /// The trace a matrix run wrote (JSON lines).
    #[arg(long, value_name = "FILE")]
    pub(crate) trace: PathBuf,

    /// The walk's id: 16 hexadecimal digits, as in the trace and the reports.
    #[arg(long, value_name = "N")]
    pub(crate) id: String,

    /// Run the command that re-runs the walk, and exit with its exit code.
    #[arg(long)]
    pub(crate) run: bool,
}

pub(crate) fn run(global: &Global, command: &MatrixCommand) -> Result<u8, CliError> {
    match command {
        MatrixCommand::Replay(args) => replay(global, args),
    }
}

fn replay(global: &Global, args: &ReplayArgs) -> Result<u8, CliError> {
    let id: WalkId = args.id.parse()?;
    let (walk, command) = find_walk(&args.trace, id)?;
    let trace = std::path::absolute(&args.trace).unwrap_or_else(|_| args.trace.clone());
    let paint = Paint {
        on: global.color.enabled(),
    };
    let mut out = format!("{} {id}\n", paint.bold("walk"));
    if let Some(recording) = &walk.recording {
        out.push_str(&format!("  recording  {recording}\n"));
    }
    for o in &walk.options {
        out.push_str(&format!("  {:<10} {}\n", o.axis, o.value));
    }
    out.push_str(&format!("  outcome    {}\n", walk.outcome));
    if let Some(action) = &walk.failed_at {
        out.push_str(&format!("  failed at  {action}\n"));
    }
    if let Some(error) = &walk.error {
        out.push_str(&format!("  error      {error}\n"));
    }
    let shell: Vec<String> = command.iter().map(|a| quote(a)).collect();
    let env = format!(
        "{WALK_ENV}={id} {TRACE_ENV}={}",
        quote(&trace.display().to_string())
    );
    if command.is_empty() {
        out.push_str(&format!(
            "\nre-run it: run the program that wrote the trace with\n  {env}\n"
        ));
    } else {
        out.push_str(&format!(
            "\nre-run exactly this walk (the command that wrote the trace; a test binary runs only the walk):\n  {env} {}\n",
            shell.join(" ")
        ));
    }
    if !args.run {
        print(&out);
        return Ok(crate::exit::OK);
    }
    let Some((program, rest)) = command.split_first() else {
        return Err(CliError::NoCommandInTrace {
            path: args.trace.clone(),
        });
    };
    print(&out);
    let status = Command::new(program)
        .args(rest)
        .env(WALK_ENV, id.to_string())
        .env(TRACE_ENV, &trace)
        .status()
        .map_err(|source| CliError::Io {
            op: "run",
            path: PathBuf::from(program),
            source,
        })?;
    Ok(status
        .code()
        .and_then(|c| u8::try_from(c).ok())
        .unwrap_or(crate::exit::ERROR))
}

/// Quotes an argument for a POSIX shell when it needs it.
fn quote(arg: &str) -> String {
    let plain = !arg.is_empty()
        && arg
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./:=@%+,".contains(c));
    if plain {
        arg.to_owned()
    } else {
        format!("'{}'", arg.replace('\'', r"'\''"))
    }
}
