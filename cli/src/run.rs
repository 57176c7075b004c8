//! The entry points: parse, dispatch, and turn errors into one line, a hint and an
//! exit code.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;

use crate::args::{Cli, Command};
use crate::cmd;
use crate::error::CliError;
use crate::exit;

/// Runs the `playback` command line with these arguments (the first is the program
/// name) and returns its exit code: `0` success, `1` differences or changes left
/// pending, `2` an error.
///
/// ```
/// let code = playback_cli::run(["playback", "list", "--dir", "/no/such/dir"]);
/// assert_eq!(code, std::process::ExitCode::from(2));
/// ```
pub fn run<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(err) => {
            // Help and version go to stdout with 0; usage errors to stderr with 2.
            let _ = err.print();
            return ExitCode::from(if err.use_stderr() {
                exit::ERROR
            } else {
                exit::OK
            });
        }
    };
    match dispatch(cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err}");
            if let Some(hint) = err.hint() {
                eprintln!("hint: {hint}");
            }
            ExitCode::from(exit::ERROR)
        }
    }
}

/// Like [`run`], for the `cargo-playback` binary: cargo passes `playback` as the first
/// argument after the program name, which is skipped.
///
/// ```
/// let code = playback_cli::run_as_cargo_subcommand(["cargo-playback", "playback", "completions", "zsh"]);
/// assert_eq!(code, std::process::ExitCode::SUCCESS);
/// ```
pub fn run_as_cargo_subcommand<I, T>(args: I) -> ExitCode
where
    I: IntoIterator<Item = T>,
    T: Into<OsString> + Clone,
{
    let mut args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    if args.get(1).is_some_and(|a| a == "playback") {
        args.remove(1);
    }
    if let Some(program) = args.first_mut() {
        *program = OsString::from("cargo playback");
    }
    run(args)
}

fn dispatch(cli: Cli) -> Result<u8, CliError> {
    let global = &cli.global;
    match cli.command {
        Command::List(args) => cmd::list::run(global, &args),
        Command::Show(args) => cmd::show::run(global, &args),
        Command::Stats(args) => cmd::stats::run(global, &args),
        Command::Audit(args) => cmd::audit::run(global, &args),
        Command::Pull(args) => cmd::pull::run(global, &args),
        Command::Diff(args) => cmd::diff::run(global, &args),
        Command::Report(command) => cmd::report::run(global, &command),
        Command::Matrix(command) => cmd::matrix::run(global, &command),
        Command::Prune(args) => cmd::prune::run(global, &args),
        Command::Review(args) => cmd::review::run(global, &args),
        Command::Completions(args) => cmd::completions::run(&args),
    }
}
