//! `playback completions <shell>`: a completion script on stdout.

use clap::{Args, CommandFactory};
use clap_complete::Shell;

use crate::args::Cli;
use crate::error::CliError;

/// `playback completions <SHELL>`.
#[derive(Debug, Args)]
#[command(after_help = "Examples:
  playback completions bash > ~/.local/share/bash-completion/completions/playback
  playback completions zsh > ~/.zfunc/_playback
  playback completions fish > ~/.config/fish/completions/playback.fish")]
pub(crate) struct CompletionsArgs {
    /// The shell.
    #[arg(value_enum, value_name = "SHELL")]
    pub(crate) shell: Shell,
}

pub(crate) fn run(args: &CompletionsArgs) -> Result<u8, CliError> {
    let mut command = Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "playback", &mut script);
    crate::output::print(&String::from_utf8_lossy(&script));
    Ok(crate::exit::OK)
}
