//! `cargo playback ...`: cargo runs this binary as `cargo-playback playback ...`.

fn main() -> std::process::ExitCode {
    playback_cli::run_as_cargo_subcommand(std::env::args_os())
}
