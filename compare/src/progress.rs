//! The progress bar of a run.

use std::io::IsTerminal;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::verdict::Status;

/// When to draw a progress bar on stderr during a run.
///
/// ```
/// use playback_compare::Progress;
/// assert_eq!(Progress::default(), Progress::Auto);
/// assert!(!Progress::Never.enabled());
/// ```
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub enum Progress {
    /// When stderr is a terminal and the `CI` environment variable is not set.
    #[default]
    Auto,
    /// Always (indicatif still draws nothing when stderr is not a terminal).
    Always,
    /// Never.
    Never,
}

impl Progress {
    /// Whether a bar is drawn.
    ///
    /// ```
    /// assert!(playback_compare::Progress::Always.enabled());
    /// ```
    pub fn enabled(self) -> bool {
        match self {
            Progress::Auto => std::io::stderr().is_terminal() && std::env::var_os("CI").is_none(),
            Progress::Always => true,
            Progress::Never => false,
        }
    }
}

/// The bar and the counts it shows.
pub(crate) struct Bar {
    bar: Option<ProgressBar>,
    counts: [u64; Status::ALL.len()],
}

impl Bar {
    pub(crate) fn new(progress: Progress, total: usize) -> Bar {
        let bar = progress.enabled().then(|| {
            let style = ProgressStyle::with_template(
                "{spinner} replaying [{elapsed_precise}] {bar:30} {pos}/{len} {per_sec} {msg}",
            )
            .unwrap_or_else(|_| ProgressStyle::default_bar());
            let bar = ProgressBar::with_draw_target(
                Some(u64::try_from(total).unwrap_or(u64::MAX)),
                ProgressDrawTarget::stderr(),
            )
            .with_style(style);
            bar.enable_steady_tick(Duration::from_millis(200));
            bar
        });
        Bar {
            bar,
            counts: [0; Status::ALL.len()],
        }
    }

    pub(crate) fn record(&mut self, status: Status) {
        let Some(bar) = &self.bar else {
            return;
        };
        let i = Status::ALL.iter().position(|s| *s == status).unwrap_or(0);
        self.counts[i] += 1;
        let msg: Vec<String> = Status::ALL
            .iter()
            .zip(self.counts)
            .filter(|(_, n)| *n > 0)
            .map(|(s, n)| format!("{n} {s}"))
            .collect();
        bar.set_message(msg.join(", "));
        bar.inc(1);
    }

    pub(crate) fn finish(self) {
        if let Some(bar) = self.bar {
            bar.finish_and_clear();
        }
    }
}
