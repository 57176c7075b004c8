//! Terminal output: colours (`--color`, `NO_COLOR`, TTY), tables, and writing to a
//! stdout that may be a closed pipe.

use std::io::{IsTerminal, Write};

use clap::ValueEnum;
use console::Style;
use playback_store::Outcome;

/// `--color`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, ValueEnum)]
pub(crate) enum ColorChoice {
    /// Colours when stdout is a terminal and `NO_COLOR` is not set.
    #[default]
    Auto,
    /// Always colour.
    Always,
    /// Never colour.
    Never,
}

impl ColorChoice {
    /// Whether to colour stdout.
    pub(crate) fn enabled(self) -> bool {
        match self {
            ColorChoice::Always => true,
            ColorChoice::Never => false,
            ColorChoice::Auto => {
                std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
                    && std::io::stdout().is_terminal()
                    && std::env::var("TERM").map_or(true, |t| t != "dumb")
            }
        }
    }
}

/// Paints text, or leaves it plain.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Paint {
    pub(crate) on: bool,
}

impl Paint {
    /// `text` in `style` when colours are on.
    pub(crate) fn apply(self, style: Style, text: &str) -> String {
        style.force_styling(self.on).apply_to(text).to_string()
    }

    /// A header.
    pub(crate) fn bold(self, text: &str) -> String {
        self.apply(Style::new().bold(), text)
    }

    /// Secondary text.
    pub(crate) fn dim(self, text: &str) -> String {
        self.apply(Style::new().dim(), text)
    }

    /// What the left side (A, recorded) had.
    pub(crate) fn removed(self, text: &str) -> String {
        self.apply(Style::new().red(), text)
    }

    /// What the right side (B, replayed) has.
    pub(crate) fn added(self, text: &str) -> String {
        self.apply(Style::new().green(), text)
    }

    /// An outcome in its colour.
    pub(crate) fn outcome(self, outcome: Outcome) -> String {
        let style = match outcome {
            Outcome::Ok => Style::new().green(),
            Outcome::Error => Style::new().red(),
            Outcome::Panicked => Style::new().red().bold(),
            _ => Style::new().yellow(),
        };
        self.apply(style, outcome.as_str())
    }
}

/// Writes to stdout; a closed pipe (`playback list | head`) is not an error.
pub(crate) fn print(text: &str) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_all(text.as_bytes()).and_then(|()| out.flush());
}

/// A warning on stderr.
pub(crate) fn warn(message: &str) {
    eprintln!("warning: {message}");
}

/// Lays out rows in columns, the first row being the header. `cells` may hold colour
/// codes, so widths come from `plain`, the same cells without them.
pub(crate) fn table(plain: &[Vec<String>], cells: &[Vec<String>]) -> String {
    let columns = plain.first().map_or(0, Vec::len);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            plain
                .iter()
                .map(|row| row[c].chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (plain_row, row) in plain.iter().zip(cells) {
        let mut line = String::new();
        for (c, cell) in row.iter().enumerate() {
            line.push_str(cell);
            if c + 1 < columns {
                let pad = widths[c] - plain_row[c].chars().count() + 2;
                line.extend(std::iter::repeat_n(' ', pad));
            }
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// Bytes for people: `512 B`, `12.3 KiB`, `4.0 MiB`.
pub(crate) fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 4] = ["KiB", "MiB", "GiB", "TiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_pad_columns_to_the_widest_plain_cell() {
        let rows = vec![
            vec!["ID".to_owned(), "N".to_owned()],
            vec!["abc".to_owned(), "1".to_owned()],
        ];
        assert_eq!(table(&rows, &rows), "ID   N\nabc  1\n");
    }

    #[test]
    fn bytes_read_in_binary_units() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(12_595), "12.3 KiB");
        assert_eq!(format_bytes(4 << 20), "4.0 MiB");
    }
}
