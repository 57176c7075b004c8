//! The `playback` command line; see `playback --help`.

fn main() -> std::process::ExitCode {
    playback_cli::run(std::env::args_os())
}
