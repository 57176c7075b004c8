//! Rendering the nearest recorded keys of a mismatched input as a diff.

use serde_json::Value;
use similar::{ChangeTag, TextDiff};

/// How many recorded keys a mismatch message shows.
const SHOWN: usize = 3;

/// Renders the recorded keys nearest to `tried`, each as a line diff against it
/// (`-` recorded, `+` tried). `recorded` holds each distinct recorded key once.
pub(crate) fn nearest(tried: &Value, recorded: &[&Value]) -> String {
    let tried_text = pretty(tried);
    let mut ranked: Vec<(f32, String)> = recorded
        .iter()
        .map(|key| {
            let text = pretty(key);
            let ratio = TextDiff::from_chars(text.as_str(), tried_text.as_str()).ratio();
            (ratio, text)
        })
        .collect();
    // Most similar first; equal ratios keep recording order (the sort is stable).
    ranked.sort_by(|a, b| b.0.total_cmp(&a.0));
    let mut out = String::new();
    let total = ranked.len();
    for (n, (ratio, text)) in ranked.into_iter().take(SHOWN).enumerate() {
        out.push_str(&format!(
            "nearest recorded key #{} ({:.0}% similar; - recorded, + tried):\n",
            n + 1,
            ratio * 100.0
        ));
        out.push_str(&line_diff(&text, &tried_text));
    }
    if total > SHOWN {
        out.push_str(&format!(
            "({} more recorded key(s) not shown)\n",
            total - SHOWN
        ));
    }
    out
}

fn pretty(v: &Value) -> String {
    serde_json::to_string_pretty(v).unwrap_or_else(|_| v.to_string())
}

fn line_diff(old: &str, new: &str) -> String {
    let diff = TextDiff::from_lines(old, new);
    let mut out = String::new();
    for change in diff.iter_all_changes() {
        let sign = match change.tag() {
            ChangeTag::Delete => "  - ",
            ChangeTag::Insert => "  + ",
            ChangeTag::Equal => "    ",
        };
        out.push_str(sign);
        out.push_str(change.value().trim_end_matches('\n'));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_most_similar_key_comes_first_with_a_line_diff() {
        let tried = json!({"cart_id": 8, "currency": "EUR"});
        let far = json!({"cart_id": 1234567, "currency": "USD"});
        let near = json!({"cart_id": 7, "currency": "EUR"});
        let text = nearest(&tried, &[&far, &near]);
        let first = text.find("#1").unwrap();
        let near_line = text.find("  -   \"cart_id\": 7,").unwrap();
        let far_line = text.find("  -   \"cart_id\": 1234567,").unwrap();
        assert!(first < near_line && near_line < far_line, "{text}");
        assert!(text.contains("  +   \"cart_id\": 8,"), "{text}");
        assert!(text.contains("      \"currency\": \"EUR\""), "{text}");
    }

    #[test]
    fn only_three_keys_are_shown() {
        let keys: Vec<Value> = (0..5).map(|i| json!(i)).collect();
        let refs: Vec<&Value> = keys.iter().collect();
        let text = nearest(&json!(9), &refs);
        assert_eq!(text.matches("nearest recorded key").count(), 3);
        assert!(
            text.contains("(2 more recorded key(s) not shown)"),
            "{text}"
        );
    }
}
