//! The HTML report: one self-contained page (inline CSS and a few lines of script).

use std::collections::HashMap;
use std::fmt::Write as _;
use std::path::Path;

use serde_json::Value;
use time::format_description::well_known::Rfc3339;

use crate::comparison::Comparison;
use crate::error::Error;
use crate::html_assets::{SCRIPT, STYLE};
use crate::job::format_duration;
use crate::pointer::escape_into;
use crate::report::{Report, write_file};
use crate::verdict::Status;

/// Recordings that do not fail are opened (expanded) when there are at most this many
/// failing ones.
const OPEN_LIMIT: usize = 20;

impl Report {
    /// The report as one self-contained HTML page: the counts per category and
    /// status, then per category and per recording the differences (path, recorded,
    /// replayed) and the recorded and replayed values side by side with the
    /// differing paths highlighted; noise is shown apart (grey, dashed), and so are
    /// paths that are not comparable (yellow, dotted). Equal recordings without
    /// either are listed by id.
    ///
    /// ```
    /// use playback_compare::{Comparison, Difference, Report, Status};
    /// let rec = playback_store::Recording::builder("checkout").build();
    /// let mut c = Comparison::new(&rec, Status::Different);
    /// c.differences.push(Difference::changed("/result/Ok/total", 10.into(), 11.into()));
    /// c.recorded = Some(serde_json::json!({"result": {"Ok": {"total": 10}}}));
    /// c.replayed = Some(serde_json::json!({"result": {"Ok": {"total": 11}}}));
    /// let mut report = Report::default();
    /// report.comparisons.push(c);
    /// let html = report.to_html();
    /// assert!(html.starts_with("<!DOCTYPE html>"));
    /// assert!(html.contains("/result/Ok/total"));
    /// assert!(html.contains(r#"class="mark-diff""#));
    /// ```
    pub fn to_html(&self) -> String {
        let mut out = String::with_capacity(16 * 1024);
        let counts = self.counts();
        let code = self.exit_code();
        out.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
        out.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
        let _ = writeln!(
            out,
            "<title>playback report: {} recordings, {} failing</title>",
            counts.total,
            counts.failing()
        );
        let _ = writeln!(out, "<style>{STYLE}</style>\n</head>\n<body>");
        let generated = self
            .generated_at
            .replace_nanosecond(0)
            .unwrap_or(self.generated_at)
            .format(&Rfc3339)
            .unwrap_or_else(|_| String::from("?"));
        let shards = if self.shards.is_empty() {
            String::new()
        } else {
            let list: Vec<String> = self.shards.iter().map(ToString::to_string).collect();
            format!(" · shard {}", list.join(" + "))
        };
        let _ = writeln!(
            out,
            "<header><h1>playback report</h1><div class=\"meta\">{} recordings · {} categories · took {} · generated {}{}</div></header>\n<main>",
            counts.total,
            self.categories().len(),
            esc(&format_duration(self.elapsed)),
            esc(&generated),
            esc(&shards),
        );
        if code == 0 {
            let _ = writeln!(
                out,
                "<div class=\"verdict ok\">OK: {} equal, {} fixed, {} skipped</div>",
                counts.equal, counts.fixed, counts.skipped
            );
        } else {
            let _ = writeln!(
                out,
                "<div class=\"verdict failed\">FAILED: {} different, {} failed, {} errors, {} problems (exit code {code}); {} skipped</div>",
                counts.different,
                counts.failed,
                counts.error,
                self.problems.len(),
                counts.skipped
            );
        }
        self.html_totals(&mut out);
        self.html_axes(&mut out);
        if !self.problems.is_empty() {
            out.push_str("<div class=\"problems\"><h3>Problems</h3><ul>\n");
            for p in &self.problems {
                let category = p
                    .category
                    .as_deref()
                    .map(|c| format!("<b>{}</b>: ", esc(c)))
                    .unwrap_or_default();
                let _ = writeln!(out, "<li>{category}{}</li>", esc(&p.message));
            }
            out.push_str("</ul></div>\n");
        }
        out.push_str("<div class=\"controls\">Show:");
        for status in Status::ALL {
            let _ = write!(
                out,
                " <label><input type=\"checkbox\" data-status=\"{s}\" checked> {s} ({})</label>",
                counts.get(status),
                s = status.as_str()
            );
        }
        out.push_str(" <button id=\"expand\">expand all</button> <button id=\"collapse\">collapse all</button></div>\n");
        let open = counts.failing() <= OPEN_LIMIT;
        for category in self.categories() {
            let _ = writeln!(
                out,
                "<section class=\"category\" id=\"category-{}\">\n<h2>{}</h2>",
                esc(&category.name),
                esc(&category.name)
            );
            if !category.noise.is_empty() {
                out.push_str("<div class=\"learned\"><b>Paths learned as noise</b> (the replays of one recording differed there; reported apart, they do not fail):<ul>\n");
                for n in &category.noise {
                    let _ = writeln!(
                        out,
                        "<li><code>{}</code> in {} recordings</li>",
                        esc(display_path(&n.path)),
                        n.recordings
                    );
                }
                out.push_str("</ul></div>\n");
            }
            let mut quiet = Vec::new();
            for c in self.in_category(&category.name) {
                let plain = c.noise.is_empty() && c.not_comparable.is_empty();
                if c.status == Status::Equal && plain && c.recorded.is_none() {
                    quiet.push(c);
                } else {
                    let quiet_status = matches!(c.status, Status::Equal | Status::Skipped);
                    html_comparison(&mut out, c, open && !quiet_status);
                }
            }
            if !quiet.is_empty() {
                let _ = write!(
                    out,
                    "<details class=\"equal-list rec\" data-status=\"equal\"><summary><span class=\"badge equal\">equal</span> {} recordings</summary><div class=\"body\">",
                    quiet.len()
                );
                for c in quiet {
                    let _ = write!(out, "<code>{}</code> ", esc(c.recording_id.as_str()));
                }
                out.push_str("</div></details>\n");
            }
            out.push_str("</section>\n");
        }
        let _ = writeln!(out, "</main>\n<script>{SCRIPT}</script>\n</body>\n</html>");
        out
    }

    /// Writes [`Report::to_html`] to `path`, creating its directory.
    ///
    /// ```
    /// let dir = tempfile::tempdir()?;
    /// let path = dir.path().join("playback/report.html");
    /// playback_compare::Report::default().write_html(&path)?;
    /// assert!(std::fs::read_to_string(&path)?.contains("playback report"));
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    pub fn write_html(&self, path: impl AsRef<Path>) -> Result<(), Error> {
        write_file(path.as_ref(), self.to_html().as_bytes())
    }

    /// The axis table of a matrix report: counts per axis and option.
    fn html_axes(&self, out: &mut String) {
        let axes = self.axes();
        if axes.is_empty() {
            return;
        }
        out.push_str("<table class=\"totals axes\"><tr><th>axis</th><th>option</th><th>total</th>");
        for status in Status::ALL {
            let _ = write!(out, "<th>{}</th>", status.as_str());
        }
        out.push_str("</tr>\n");
        for axis in &axes {
            for v in &axis.values {
                let only = axis.only_when.as_ref() == Some(&v.value);
                let _ = write!(
                    out,
                    "<tr><td>{}</td><td><code>{}</code>{}</td><td class=\"n\">{}</td>",
                    esc(&axis.axis),
                    esc(&v.value.to_string()),
                    if only { " <b>(only here)</b>" } else { "" },
                    v.counts.total
                );
                for status in Status::ALL {
                    let n = v.counts.get(status);
                    let class = if n > 0 && status.fails() {
                        "n bad"
                    } else {
                        "n"
                    };
                    let _ = write!(out, "<td class=\"{class}\">{n}</td>");
                }
                out.push_str("</tr>\n");
            }
        }
        out.push_str("</table>\n<ul class=\"axes-notes\">");
        for axis in &axes {
            let _ = write!(out, "<li>{}</li>", esc(&axis.sentence()));
        }
        out.push_str("</ul>\n");
    }

    fn html_totals(&self, out: &mut String) {
        out.push_str("<table class=\"totals\"><tr><th>category</th><th>total</th>");
        for status in Status::ALL {
            let _ = write!(out, "<th>{}</th>", status.as_str());
        }
        out.push_str("</tr>\n");
        let mut rows: Vec<(String, crate::counts::Counts)> = self
            .categories()
            .into_iter()
            .map(|c| {
                (
                    format!("<a href=\"#category-{0}\">{0}</a>", esc(&c.name)),
                    c.counts,
                )
            })
            .collect();
        rows.push(("<b>all</b>".to_owned(), self.counts()));
        for (name, counts) in rows {
            let _ = write!(
                out,
                "<tr><td>{name}</td><td class=\"n\">{}</td>",
                counts.total
            );
            for status in Status::ALL {
                let n = counts.get(status);
                let class = if n > 0 && status.fails() {
                    "n bad"
                } else {
                    "n"
                };
                let _ = write!(out, "<td class=\"{class}\">{n}</td>");
            }
            out.push_str("</tr>\n");
        }
        out.push_str("</table>\n");
    }
}

fn html_comparison(out: &mut String, c: &Comparison, open: bool) {
    let status = c.status.as_str();
    let _ = write!(
        out,
        "<details class=\"rec\" data-status=\"{status}\" id=\"rec-{}{}\"{}><summary><span class=\"badge {status}\">{status}</span> <code class=\"id\">{}</code>",
        esc(c.recording_id.as_str()),
        c.combination
            .as_ref()
            .map(|w| format!("-{}", esc(&w.walk_id)))
            .unwrap_or_default(),
        if open { " open" } else { "" },
        esc(c.recording_id.as_str()),
    );
    if !c.operation.is_empty() {
        let _ = write!(out, " <span class=\"op\">{}</span>", esc(&c.operation));
    }
    if let Some(walk) = &c.combination {
        let _ = write!(out, " <span class=\"walk\">[{}]</span>", esc(&walk.label()));
    }
    if !c.differences.is_empty() {
        let _ = write!(out, " · {} differences", c.differences.len());
    }
    if !c.noise.is_empty() {
        let _ = write!(out, " · {} noise", c.noise.len());
    }
    if !c.not_comparable.is_empty() {
        let _ = write!(out, " · {} not comparable", c.not_comparable.len());
    }
    if c.status == Status::Skipped {
        out.push_str(" · not compared");
    }
    out.push_str("</summary>\n<div class=\"body\">\n");
    if let Some(msg) = &c.message {
        let _ = writeln!(out, "<div class=\"msg\">{}</div>", esc(msg));
    }
    if !c.differences.is_empty() || !c.noise.is_empty() {
        out.push_str(
            "<table class=\"diffs\"><tr><th>path</th><th>recorded</th><th>replayed</th></tr>\n",
        );
        for (d, class) in c
            .differences
            .iter()
            .map(|d| (d, "diff"))
            .chain(c.noise.iter().map(|d| (d, "noise")))
        {
            let note = if class == "noise" {
                " <i>(noise)</i>"
            } else {
                ""
            };
            let _ = writeln!(
                out,
                "<tr class=\"{class}\"><td class=\"path\"><code>{}</code>{note}</td><td>{}</td><td>{}</td></tr>",
                esc(display_path(&d.path)),
                cell(d.recorded.as_ref()),
                cell(d.replayed.as_ref())
            );
        }
        out.push_str("</table>\n");
    }
    if !c.not_comparable.is_empty() {
        out.push_str("<table class=\"diffs\"><tr><th>not comparable</th><th>why (a value could not be recorded; this is a note, not a difference)</th></tr>\n");
        for n in &c.not_comparable {
            let _ = writeln!(
                out,
                "<tr class=\"not-comparable\"><td class=\"path\"><code>{}</code></td><td>{}</td></tr>",
                esc(display_path(&n.path)),
                esc(&n.reason)
            );
        }
        out.push_str("</table>\n");
    }
    if !c.noise_paths.is_empty() {
        let paths: Vec<String> = c
            .noise_paths
            .iter()
            .map(|p| format!("<code>{}</code>", esc(display_path(p))))
            .collect();
        let _ = writeln!(
            out,
            "<div class=\"msg\">Learned as noise here: {}</div>",
            paths.join(", ")
        );
    }
    if c.recorded.is_some() || c.replayed.is_some() {
        let marks = marks(c);
        out.push_str("<div class=\"sides\">\n");
        for (title, value) in [("recorded", &c.recorded), ("replayed", &c.replayed)] {
            let _ = write!(out, "<div><h4>{title}</h4><pre>");
            match value {
                Some(v) => render_json(out, v, &mut String::new(), &marks, 0),
                None => out.push_str("<span class=\"absent\">(not available)</span>"),
            }
            out.push_str("</pre></div>\n");
        }
        out.push_str("</div>\n");
    }
    out.push_str("</div></details>\n");
}

fn marks(c: &Comparison) -> HashMap<&str, &'static str> {
    let mut marks = HashMap::new();
    for n in &c.not_comparable {
        marks.insert(n.path.as_str(), "mark-na");
    }
    for d in &c.noise {
        marks.insert(d.path.as_str(), "mark-noise");
    }
    for d in &c.differences {
        marks.insert(d.path.as_str(), "mark-diff");
    }
    marks
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None => "<span class=\"absent\">(absent)</span>".to_owned(),
        Some(v) => {
            let text = v.to_string();
            let text = if text.chars().count() > 300 {
                format!("{}...", text.chars().take(300).collect::<String>())
            } else {
                text
            };
            format!("<code>{}</code>", esc(&text))
        }
    }
}

/// Pretty-prints `v` as HTML, wrapping every node whose path is marked.
fn render_json(
    out: &mut String,
    v: &Value,
    path: &mut String,
    marks: &HashMap<&str, &'static str>,
    indent: usize,
) {
    let mark = marks.get(path.as_str()).copied();
    if let Some(class) = mark {
        let _ = write!(
            out,
            "<span class=\"{class}\" title=\"{}\">",
            esc(display_path(path))
        );
    }
    let pad = |n: usize| "  ".repeat(n);
    match v {
        Value::Object(map) if !map.is_empty() => {
            out.push_str("{\n");
            let len = map.len();
            for (i, (key, child)) in map.iter().enumerate() {
                let keep = path.len();
                path.push('/');
                escape_into(path, key);
                let _ = write!(
                    out,
                    "{}{}: ",
                    pad(indent + 1),
                    esc(&Value::String(key.clone()).to_string())
                );
                render_json(out, child, path, marks, indent + 1);
                path.truncate(keep);
                out.push_str(if i + 1 < len { ",\n" } else { "\n" });
            }
            let _ = write!(out, "{}}}", pad(indent));
        }
        Value::Array(items) if !items.is_empty() => {
            out.push_str("[\n");
            let len = items.len();
            for (i, child) in items.iter().enumerate() {
                let keep = path.len();
                let _ = write!(path, "/{i}");
                out.push_str(&pad(indent + 1));
                render_json(out, child, path, marks, indent + 1);
                path.truncate(keep);
                out.push_str(if i + 1 < len { ",\n" } else { "\n" });
            }
            let _ = write!(out, "{}]", pad(indent));
        }
        other => out.push_str(&esc(&other.to_string())),
    }
    if mark.is_some() {
        out.push_str("</span>");
    }
}

fn display_path(path: &str) -> &str {
    if path.is_empty() { "(root)" } else { path }
}

/// Escapes text for HTML content and attribute values.
fn esc(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn render_json_marks_the_differing_node_only() {
        let marks = HashMap::from([("/a/1", "mark-diff"), ("/b", "mark-noise")]);
        let mut out = String::new();
        render_json(
            &mut out,
            &json!({"a": [1, 2], "b": "x"}),
            &mut String::new(),
            &marks,
            0,
        );
        assert_eq!(
            out,
            "{\n  &quot;a&quot;: [\n    1,\n    <span class=\"mark-diff\" title=\"/a/1\">2</span>\n  ],\n  &quot;b&quot;: <span class=\"mark-noise\" title=\"/b\">&quot;x&quot;</span>\n}"
        );
    }

    #[test]
    fn escaping_neutralises_markup_in_values_and_ids() {
        assert_eq!(
            esc("<script>alert('x')</script>&"),
            "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;"
        );
        let mut out = String::new();
        render_json(
            &mut out,
            &json!({"<b>": "</pre>"}),
            &mut String::new(),
            &HashMap::new(),
            0,
        );
        assert!(!out.contains("<b>") && !out.contains("</pre>"), "{out}");
    }

    #[test]
    fn root_difference_wraps_the_whole_value() {
        let marks = HashMap::from([("", "mark-diff")]);
        let mut out = String::new();
        render_json(&mut out, &json!(3), &mut String::new(), &marks, 0);
        assert_eq!(out, "<span class=\"mark-diff\" title=\"(root)\">3</span>");
    }
}
