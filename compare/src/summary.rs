//! The terminal summary: counts per category and status, then the first diffs.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

use console::Style;
use serde_json::Value;
use similar::{ChangeTag, TextDiff};

use crate::comparison::Comparison;
use crate::difference::Difference;
use crate::job::format_duration;
use crate::report::Report;
use crate::verdict::Status;

/// How [`Report::write_summary`] prints.
///
/// ```
/// let o = playback_compare::SummaryOptions::new().max_recordings(3).color(false);
/// assert!(format!("{o:?}").contains("max_recordings: 3"));
/// ```
#[derive(Debug, Clone)]
pub struct SummaryOptions {
    max_recordings: usize,
    max_differences: usize,
    max_lines: usize,
    color: Option<bool>,
}

impl Default for SummaryOptions {
    fn default() -> Self {
        SummaryOptions {
            max_recordings: 10,
            max_differences: 10,
            max_lines: 20,
            color: None,
        }
    }
}

impl SummaryOptions {
    /// The defaults: the first 10 recordings that differ or failed, 10 differences
    /// each, 20 lines per value, colours when stdout is a terminal (honouring
    /// `NO_COLOR` and `CLICOLOR`).
    ///
    /// ```
    /// let o = playback_compare::SummaryOptions::new();
    /// assert!(format!("{o:?}").contains("max_recordings: 10"));
    /// ```
    pub fn new() -> Self {
        SummaryOptions::default()
    }

    /// How many failing recordings to detail.
    ///
    /// ```
    /// let o = playback_compare::SummaryOptions::new().max_recordings(0);
    /// assert!(format!("{o:?}").contains("max_recordings: 0"));
    /// ```
    pub fn max_recordings(mut self, n: usize) -> Self {
        self.max_recordings = n;
        self
    }

    /// How many differences to show per recording.
    ///
    /// ```
    /// let o = playback_compare::SummaryOptions::new().max_differences(2);
    /// assert!(format!("{o:?}").contains("max_differences: 2"));
    /// ```
    pub fn max_differences(mut self, n: usize) -> Self {
        self.max_differences = n;
        self
    }

    /// How many lines of each value to show.
    ///
    /// ```
    /// let o = playback_compare::SummaryOptions::new().max_lines(5);
    /// assert!(format!("{o:?}").contains("max_lines: 5"));
    /// ```
    pub fn max_lines(mut self, n: usize) -> Self {
        self.max_lines = n;
        self
    }

    /// Forces colours on or off.
    ///
    /// ```
    /// let o = playback_compare::SummaryOptions::new().color(true);
    /// assert!(format!("{o:?}").contains("color: Some(true)"));
    /// ```
    pub fn color(mut self, on: bool) -> Self {
        self.color = Some(on);
        self
    }
}

struct Styles {
    on: bool,
}

impl Styles {
    fn paint(&self, style: Style, text: &str) -> String {
        style.force_styling(self.on).apply_to(text).to_string()
    }

    fn status(&self, status: Status) -> String {
        let style = match status {
            Status::Equal | Status::Fixed => Style::new().green(),
            Status::Different => Style::new().yellow().bold(),
            Status::Failed | Status::Error => Style::new().red().bold(),
            Status::Skipped => Style::new().dim(),
        };
        self.paint(style, status.as_str())
    }
}

impl Report {
    /// Prints [`Report::write_summary`] to stdout with the default options.
    ///
    /// ```no_run
    /// playback_compare::Report::default().print_summary();
    /// ```
    pub fn print_summary(&self) {
        let stdout = io::stdout();
        let mut lock = stdout.lock();
        // A closed stdout is not worth a panic.
        let _ = self.write_summary(&mut lock, &SummaryOptions::new());
    }

    /// The summary as a string.
    ///
    /// ```
    /// let text = playback_compare::Report::default().summary(&playback_compare::SummaryOptions::new().color(false));
    /// assert!(text.contains("no recordings were compared"));
    /// ```
    pub fn summary(&self, options: &SummaryOptions) -> String {
        let mut out = String::new();
        self.render_summary(&mut out, options);
        out
    }

    /// Writes the summary: counts per category and status, the paths learned as
    /// noise, any problems, then the first recordings that differ or failed with
    /// their diffs (coloured on a terminal), and a closing verdict line.
    ///
    /// ```
    /// let mut out = Vec::new();
    /// playback_compare::Report::default().write_summary(&mut out, &playback_compare::SummaryOptions::new())?;
    /// assert!(String::from_utf8(out).unwrap().contains("OK"));
    /// # Ok::<(), std::io::Error>(())
    /// ```
    pub fn write_summary(&self, out: &mut dyn Write, options: &SummaryOptions) -> io::Result<()> {
        let mut text = String::new();
        self.render_summary(&mut text, options);
        out.write_all(text.as_bytes())
    }

    fn render_summary(&self, out: &mut String, options: &SummaryOptions) {
        let s = Styles {
            on: options.color.unwrap_or_else(console::colors_enabled),
        };
        let counts = self.counts();
        let categories = self.categories();
        let shards = if self.shards.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = self.shards.iter().map(ToString::to_string).collect();
            format!(", shard {}", list.join(" + "))
        };
        let _ = writeln!(
            out,
            "{} {} recordings in {} categories, {}{shards}",
            s.paint(Style::new().bold(), "playback:"),
            counts.total,
            categories.len(),
            format_duration(self.elapsed),
        );
        if counts.total > 0 {
            let width = categories
                .iter()
                .map(|c| c.name.chars().count())
                .max()
                .unwrap_or(0)
                .max("category".len());
            let _ = write!(out, "  {:<width$}  {:>6}", "category", "total");
            for status in Status::ALL {
                let _ = write!(out, "  {:>9}", status.as_str());
            }
            out.push('\n');
            for c in &categories {
                let _ = write!(out, "  {:<width$}  {:>6}", c.name, c.counts.total);
                for status in Status::ALL {
                    let n = c.counts.get(status);
                    let cell = format!("{n:>9}");
                    let cell = if n > 0 && status.fails() {
                        s.paint(Style::new().red().bold(), &cell)
                    } else {
                        cell
                    };
                    let _ = write!(out, "  {cell}");
                }
                out.push('\n');
            }
        }
        let noisy: Vec<_> = categories.iter().filter(|c| !c.noise.is_empty()).collect();
        if !noisy.is_empty() {
            let _ = writeln!(
                out,
                "\npaths learned as noise (reported apart, they do not fail):"
            );
            for c in noisy {
                for n in &c.noise {
                    let _ = writeln!(
                        out,
                        "  {}  {}  ({} recordings)",
                        c.name,
                        display_path(&n.path),
                        n.recordings
                    );
                }
            }
        }
        let axes = self.axes();
        if !axes.is_empty() {
            let _ = writeln!(out, "\nper axis:");
            for axis in &axes {
                let _ = writeln!(out, "  {}", axis.sentence());
            }
        }
        self.render_not_comparable(out);
        if !self.problems.is_empty() {
            let _ = writeln!(out, "\n{}", s.paint(Style::new().red().bold(), "problems:"));
            for p in &self.problems {
                match &p.category {
                    Some(c) => {
                        let _ = writeln!(out, "  {c}: {}", p.message);
                    }
                    None => {
                        let _ = writeln!(out, "  {}", p.message);
                    }
                }
            }
        }
        let skipped: Vec<&Comparison> = self
            .comparisons
            .iter()
            .filter(|c| c.status == Status::Skipped)
            .collect();
        if !skipped.is_empty() {
            let _ = writeln!(
                out,
                "\n{} skipped (not compared, they do not fail):",
                plural(skipped.len(), "recording")
            );
            for c in skipped.iter().take(options.max_recordings) {
                let why = c.message.as_deref().unwrap_or("not compared");
                let _ = writeln!(
                    out,
                    "  {}  {}  {}",
                    c.category,
                    c.recording_id,
                    s.paint(Style::new().dim(), why)
                );
            }
            if skipped.len() > options.max_recordings {
                let _ = writeln!(
                    out,
                    "  ... and {} more",
                    skipped.len() - options.max_recordings
                );
            }
        }
        let failing: Vec<&Comparison> = self
            .comparisons
            .iter()
            .filter(|c| c.status.fails())
            .collect();
        if !failing.is_empty() && options.max_recordings > 0 {
            let shown = failing.len().min(options.max_recordings);
            let _ = writeln!(
                out,
                "\nfirst {shown} of {} recordings that differ or failed:",
                failing.len()
            );
            for c in failing.iter().take(shown) {
                render_comparison(out, c, options, &s);
            }
        }
        out.push('\n');
        if counts.total == 0 && self.problems.is_empty() {
            let _ = writeln!(
                out,
                "{} no recordings were compared: check the query, the categories and the shard",
                s.paint(Style::new().yellow().bold(), "warning:")
            );
        } else if counts.total == counts.skipped && self.problems.is_empty() {
            let _ = writeln!(
                out,
                "{} every recording was skipped, so nothing was compared",
                s.paint(Style::new().yellow().bold(), "warning:")
            );
        }
        let skipped = if counts.skipped > 0 {
            format!("; {} skipped", counts.skipped)
        } else {
            String::new()
        };
        let code = self.exit_code();
        if code == 0 {
            let _ = writeln!(
                out,
                "{}: {} equal, {} fixed{skipped}",
                s.paint(Style::new().green().bold(), "OK"),
                counts.equal,
                counts.fixed
            );
        } else {
            let mut parts = Vec::new();
            for status in [Status::Different, Status::Failed, Status::Error] {
                if counts.get(status) > 0 {
                    parts.push(format!("{} {status}", counts.get(status)));
                }
            }
            match self.problems.len() {
                0 => {}
                1 => parts.push("1 problem".to_owned()),
                n => parts.push(format!("{n} problems")),
            }
            let _ = writeln!(
                out,
                "{}: {} (exit code {code}){skipped}",
                s.paint(Style::new().red().bold(), "FAILED"),
                parts.join(", ")
            );
        }
    }

    /// The paths that could not be compared, per category, path and reason, with
    /// how many recordings had them.
    fn render_not_comparable(&self, out: &mut String) {
        let mut seen: BTreeMap<(&str, &str, &str), usize> = BTreeMap::new();
        for c in &self.comparisons {
            for n in &c.not_comparable {
                *seen.entry((&c.category, &n.path, &n.reason)).or_default() += 1;
            }
        }
        if seen.is_empty() {
            return;
        }
        let _ = writeln!(
            out,
            "\npaths not comparable (a value could not be recorded; they do not fail):"
        );
        for ((category, path, reason), n) in seen {
            let _ = writeln!(
                out,
                "  {category}  {}  ({}): {reason}",
                display_path(path),
                plural(n, "recording")
            );
        }
    }
}

impl Comparison {
    /// What the summary shows for this recording: its status, category, id and
    /// operation, the message (for a `Failed` one, the replay error and how to fix it),
    /// each difference as a JSON pointer with a line diff of the recorded and replayed
    /// values, the paths that were not comparable and the noise. Coloured when
    /// `options` says so (by default when stdout is a terminal, honouring `NO_COLOR`).
    ///
    /// ```
    /// use playback_compare::{Comparison, Difference, Status, SummaryOptions};
    /// let rec = playback_store::Recording::builder("quote").build();
    /// let mut c = Comparison::new(&rec, Status::Different);
    /// c.differences.push(Difference::changed("/result/Ok/total", 1234.into(), 1233.into()));
    /// let text = c.render(&SummaryOptions::new().color(false));
    /// assert!(text.starts_with("different  quote"));
    /// assert!(text.contains("/result/Ok/total\n    - 1234\n    + 1233"));
    /// ```
    pub fn render(&self, options: &SummaryOptions) -> String {
        let s = Styles {
            on: options.color.unwrap_or_else(console::colors_enabled),
        };
        let mut out = String::new();
        render_comparison(&mut out, self, options, &s);
        out.split_off(1)
    }
}

fn render_comparison(out: &mut String, c: &Comparison, options: &SummaryOptions, s: &Styles) {
    let _ = write!(
        out,
        "\n{}  {}  {}",
        s.status(c.status),
        c.category,
        c.recording_id
    );
    if !c.operation.is_empty() {
        let _ = write!(out, "  {}", s.paint(Style::new().dim(), &c.operation));
    }
    out.push('\n');
    if let Some(msg) = &c.message {
        let _ = writeln!(out, "    {msg}");
    }
    for d in c.differences.iter().take(options.max_differences) {
        render_difference(out, d, options.max_lines, s);
    }
    if c.differences.len() > options.max_differences {
        let _ = writeln!(
            out,
            "    ... and {} more differences",
            c.differences.len() - options.max_differences
        );
    }
    for n in c.not_comparable.iter().take(options.max_differences) {
        let _ = writeln!(
            out,
            "    {} {}: {}",
            s.paint(Style::new().dim(), "not comparable:"),
            display_path(&n.path),
            n.reason
        );
    }
    if !c.noise.is_empty() {
        let paths: Vec<&str> = c.noise.iter().map(|d| display_path(&d.path)).collect();
        let _ = writeln!(
            out,
            "    {} {}",
            s.paint(Style::new().dim(), "noise:"),
            paths.join(", ")
        );
    }
}

/// `1 recording`, `3 recordings`.
fn plural(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

fn pretty(v: &Value) -> String {
    let mut text = serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string());
    text.push('\n');
    text
}

fn render_difference(out: &mut String, d: &Difference, max_lines: usize, s: &Styles) {
    let _ = writeln!(
        out,
        "  {}",
        s.paint(Style::new().cyan(), display_path(&d.path))
    );
    if d.is_redacted() {
        let _ = writeln!(
            out,
            "    {} (its fingerprint differs; values are never shown)",
            s.paint(Style::new().yellow(), crate::REDACTED_CHANGED)
        );
        return;
    }
    let red = Style::new().red();
    let green = Style::new().green();
    let old = d.recorded.as_ref().map(pretty).unwrap_or_default();
    let new = d.replayed.as_ref().map(pretty).unwrap_or_default();
    if d.recorded.is_none() {
        let _ = writeln!(
            out,
            "    {}",
            s.paint(Style::new().dim(), "(absent when recorded)")
        );
    }
    let diff = TextDiff::from_lines(&old, &new);
    let mut lines = 0;
    for op in diff.ops() {
        for change in diff.iter_inline_changes(op) {
            if lines == max_lines {
                let _ = writeln!(out, "    ...");
                lines += 1;
            }
            if lines > max_lines {
                continue;
            }
            lines += 1;
            let (sign, style) = match change.tag() {
                ChangeTag::Delete => ("-", red.clone()),
                ChangeTag::Insert => ("+", green.clone()),
                ChangeTag::Equal => (" ", Style::new().dim()),
            };
            let _ = write!(out, "    {} ", s.paint(style.clone(), sign));
            for (emphasized, value) in change.iter_strings_lossy() {
                let value = value.trim_end_matches('\n');
                let piece = if emphasized {
                    s.paint(style.clone().underlined().bold(), value)
                } else {
                    s.paint(style.clone(), value)
                };
                out.push_str(&piece);
            }
            out.push('\n');
        }
    }
    if d.replayed.is_none() {
        let _ = writeln!(
            out,
            "    {}",
            s.paint(Style::new().dim(), "(absent when replayed)")
        );
    }
}
