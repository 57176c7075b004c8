//! Crash isolation: what a child process's end says about its replay.

use std::process::ExitStatus;
use std::time::Duration;

use crate::job::format_duration;

/// How a child process ended, as far as the replay's message is concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ended {
    /// It exited with this code.
    Code(i32),
    /// A signal ended it (Unix).
    Signal(i32),
    /// The platform did not say.
    Unknown,
}

impl Ended {
    pub(crate) fn of(status: ExitStatus) -> Ended {
        if let Some(code) = status.code() {
            return Ended::Code(code);
        }
        #[cfg(unix)]
        {
            use std::os::unix::process::ExitStatusExt;
            if let Some(signal) = status.signal() {
                return Ended::Signal(signal);
            }
        }
        Ended::Unknown
    }
}

/// What the Rust runtime prints when a thread overflows its stack, before it
/// aborts the process.
const STACK_OVERFLOW: &str = "has overflowed its stack";

/// The message of a replay whose process ended without a result. `output` is what
/// the process printed (stdout and stderr).
pub(crate) fn crash_message(ended: Ended, output: &str) -> String {
    if output.contains(STACK_OVERFLOW) {
        return "the replay overflowed its stack".to_owned();
    }
    let base = match ended {
        Ended::Signal(signal) => match signal_name(signal) {
            "SIGABRT" => format!("the replay aborted the process (signal {signal}, SIGABRT)"),
            "" => format!("the replay's process was killed by signal {signal}"),
            name => format!("the replay's process was killed by signal {signal} ({name})"),
        },
        Ended::Code(code) => format!("the replay exited the process with code {code}"),
        Ended::Unknown => "the replay's process ended abnormally".to_owned(),
    };
    match panic_line(output) {
        Some(panic) => format!("{base}; {panic}"),
        None => base,
    }
}

/// The message of a replay stopped at its deadline.
pub(crate) fn timed_out_message(deadline: Duration) -> String {
    format!(
        "the replay did not finish within {}; its process was killed",
        format_duration(deadline)
    )
}

/// The message of a child that exited normally but never replayed: its code before
/// `run()` did not lead to the same isolated run.
pub(crate) fn never_reached_message(run: usize, thread: &str, output: &str) -> String {
    let mut msg = format!(
        "the replay's process exited without replaying: it never reached isolated run #{run} \
         of thread `{thread}`; the code before run() must make the same isolated runs in the \
         child process (see Equalizer::isolate)"
    );
    if let Some(line) = output.lines().rev().map(str::trim).find(|l| !l.is_empty()) {
        msg.push_str(&format!("; its last output line: {line}"));
    }
    msg
}

/// The panic the process printed, as `thread '..' panicked at file:line: message`.
fn panic_line(output: &str) -> Option<String> {
    let mut lines = output.lines();
    let first = lines.find(|l| l.contains("panicked at"))?;
    let message = lines.next().map(str::trim).unwrap_or("");
    Some(format!("{} {message}", first.trim()).trim().to_owned())
}

/// The name of a POSIX signal whose number is the same on Linux and macOS.
fn signal_name(signal: i32) -> &'static str {
    match signal {
        1 => "SIGHUP",
        2 => "SIGINT",
        3 => "SIGQUIT",
        4 => "SIGILL",
        5 => "SIGTRAP",
        6 => "SIGABRT",
        8 => "SIGFPE",
        9 => "SIGKILL",
        11 => "SIGSEGV",
        13 => "SIGPIPE",
        14 => "SIGALRM",
        15 => "SIGTERM",
        _ => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signals_and_exit_codes_name_what_happened() {
        assert_eq!(
            crash_message(Ended::Signal(6), ""),
            "the replay aborted the process (signal 6, SIGABRT)"
        );
        assert_eq!(
            crash_message(Ended::Signal(11), ""),
            "the replay's process was killed by signal 11 (SIGSEGV)"
        );
        assert_eq!(
            crash_message(Ended::Signal(64), ""),
            "the replay's process was killed by signal 64"
        );
        assert_eq!(
            crash_message(Ended::Code(3), "running 1 test\n"),
            "the replay exited the process with code 3"
        );
    }

    #[test]
    fn a_stack_overflow_is_named_whatever_signal_ended_it() {
        let out = "\nthread 'playback-compare-0' (81) has overflowed its stack\nfatal runtime error: stack overflow, aborting\n";
        assert_eq!(
            crash_message(Ended::Signal(6), out),
            "the replay overflowed its stack"
        );
        assert_eq!(
            crash_message(Ended::Signal(11), out),
            "the replay overflowed its stack"
        );
    }

    #[test]
    fn a_panic_outside_the_replay_is_quoted() {
        let out = "running 1 test\nthread 'it::works' (7) panicked at tests/it.rs:9:5:\nassertion failed: ready\nnote: run with `RUST_BACKTRACE=1`\n";
        assert_eq!(
            crash_message(Ended::Code(101), out),
            "the replay exited the process with code 101; thread 'it::works' (7) panicked at tests/it.rs:9:5: assertion failed: ready"
        );
    }

    #[test]
    fn timeouts_and_unreached_runs_say_what_to_do() {
        assert_eq!(
            timed_out_message(Duration::from_secs(5)),
            "the replay did not finish within 5s; its process was killed"
        );
        let msg = never_reached_message(1, "it::works", "test result: ok. 0 passed\n\n");
        assert!(msg.contains("never reached isolated run #1 of thread `it::works`"));
        assert!(msg.ends_with("; its last output line: test result: ok. 0 passed"));
    }
}
