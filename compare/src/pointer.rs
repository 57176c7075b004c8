//! JSON-pointer paths and the path patterns of [`crate::JsonDiff`] rules.

use std::fmt::Write as _;

/// One step of a path while walking a document.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Seg<'a> {
    /// An object member.
    Key(&'a str),
    /// An array element.
    Index(usize),
}

/// Renders segments as an RFC 6901 JSON pointer (`""` is the root).
pub(crate) fn to_pointer(path: &[Seg<'_>]) -> String {
    let mut out = String::new();
    for seg in path {
        out.push('/');
        match seg {
            Seg::Key(key) => escape_into(&mut out, key),
            Seg::Index(i) => {
                let _ = write!(out, "{i}");
            }
        }
    }
    out
}

/// Appends `key` escaped for a JSON pointer (`~` → `~0`, `/` → `~1`).
pub(crate) fn escape_into(out: &mut String, key: &str) {
    if !key.contains(['~', '/']) {
        out.push_str(key);
        return;
    }
    for c in key.chars() {
        match c {
            '~' => out.push_str("~0"),
            '/' => out.push_str("~1"),
            c => out.push(c),
        }
    }
}

/// Whether `path` is `prefix` or lies under it (both JSON pointers).
pub(crate) fn is_within(path: &str, prefix: &str) -> bool {
    match path.strip_prefix(prefix) {
        Some(rest) => rest.is_empty() || rest.starts_with('/'),
        None => false,
    }
}

#[derive(Debug, Clone, PartialEq)]
enum PatSeg {
    /// `*`: exactly one segment.
    Any,
    /// `**`: any number of segments, including none.
    AnyDepth,
    /// A literal member name or array index.
    Lit { text: String, index: Option<usize> },
}

/// A path pattern: a JSON pointer where the segment `*` matches any one segment and
/// `**` matches any number of segments.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct Pattern {
    source: String,
    segs: Vec<PatSeg>,
}

impl Pattern {
    /// Parses a pattern. A missing leading `/` is added, so `"result/id"` means
    /// `"/result/id"`. `""` is the root; `"/"` is the member named `""`, as in RFC 6901.
    pub(crate) fn parse(source: &str) -> Pattern {
        let body = source.strip_prefix('/').unwrap_or(source);
        let segs = if source.is_empty() {
            Vec::new()
        } else {
            body.split('/')
                .map(|raw| match raw {
                    "*" => PatSeg::Any,
                    "**" => PatSeg::AnyDepth,
                    raw => {
                        let text = raw.replace("~1", "/").replace("~0", "~");
                        let index = index_of(&text);
                        PatSeg::Lit { text, index }
                    }
                })
                .collect()
        };
        Pattern {
            source: source.to_owned(),
            segs,
        }
    }

    /// The pattern as written.
    pub(crate) fn as_str(&self) -> &str {
        &self.source
    }

    /// Whether the pattern matches exactly this path.
    pub(crate) fn matches(&self, path: &[Seg<'_>]) -> bool {
        matches_from(&self.segs, path)
    }
}

/// An array index as RFC 6901 writes it: `0` or digits without a leading zero.
fn index_of(text: &str) -> Option<usize> {
    if text.is_empty() || (text.len() > 1 && text.starts_with('0')) {
        return None;
    }
    if !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    text.parse().ok()
}

fn seg_matches(pat: &PatSeg, seg: &Seg<'_>) -> bool {
    match (pat, seg) {
        (PatSeg::Any | PatSeg::AnyDepth, _) => true,
        (PatSeg::Lit { text, .. }, Seg::Key(key)) => text == key,
        (PatSeg::Lit { index, .. }, Seg::Index(i)) => *index == Some(*i),
    }
}

/// Whether the pattern matches the whole path, in time `O(pattern × path)` whatever
/// the number of `**` (trying each split of the path for each `**` in turn would take
/// exponential time on a pattern with many of them).
fn matches_from(pat: &[PatSeg], path: &[Seg<'_>]) -> bool {
    // reach[j]: the pattern segments seen so far match exactly `path[..j]`.
    let mut reach = vec![false; path.len() + 1];
    reach[0] = true;
    for seg in pat {
        let mut next = vec![false; path.len() + 1];
        if matches!(seg, PatSeg::AnyDepth) {
            let mut any = false;
            for (j, slot) in next.iter_mut().enumerate() {
                any |= reach[j];
                *slot = any;
            }
        } else {
            for j in 1..=path.len() {
                next[j] = reach[j - 1] && seg_matches(seg, &path[j - 1]);
            }
        }
        reach = next;
    }
    reach[path.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pointer_escapes_tilde_and_slash_in_keys() {
        let path = [Seg::Key("a/b"), Seg::Index(3), Seg::Key("c~d")];
        assert_eq!(to_pointer(&path), "/a~1b/3/c~0d");
        assert_eq!(to_pointer(&[]), "");
    }

    #[test]
    fn star_matches_exactly_one_segment() {
        let p = Pattern::parse("/outputs/*/args/trace_id");
        assert!(p.matches(&[
            Seg::Key("outputs"),
            Seg::Index(4),
            Seg::Key("args"),
            Seg::Key("trace_id")
        ]));
        assert!(!p.matches(&[Seg::Key("outputs"), Seg::Key("args"), Seg::Key("trace_id")]));
        assert!(!p.matches(&[Seg::Key("outputs"), Seg::Index(0), Seg::Key("args")]));
    }

    #[test]
    fn many_double_stars_match_in_polynomial_time() {
        let keys: Vec<String> = (0..120).map(|i| format!("k{i}")).collect();
        let path: Vec<Seg<'_>> = keys.iter().map(|k| Seg::Key(k)).collect();
        let pattern = Pattern::parse(&format!("{}/nowhere", "/**".repeat(40)));
        assert!(!pattern.matches(&path));
        let pattern = Pattern::parse(&format!("{}/k119", "/**".repeat(40)));
        assert!(pattern.matches(&path));
    }

    #[test]
    fn double_star_matches_any_depth() {
        let p = Pattern::parse("/**/trace_id");
        assert!(p.matches(&[Seg::Key("trace_id")]));
        assert!(p.matches(&[Seg::Key("a"), Seg::Index(1), Seg::Key("trace_id")]));
        assert!(!p.matches(&[Seg::Key("a"), Seg::Key("trace_id"), Seg::Key("x")]));
    }

    #[test]
    fn literal_index_matches_array_index_and_numeric_key() {
        let p = Pattern::parse("/items/0");
        assert!(p.matches(&[Seg::Key("items"), Seg::Index(0)]));
        assert!(p.matches(&[Seg::Key("items"), Seg::Key("0")]));
        assert!(!p.matches(&[Seg::Key("items"), Seg::Index(1)]));
        let leading_zero = Pattern::parse("/items/01");
        assert!(!leading_zero.matches(&[Seg::Key("items"), Seg::Index(1)]));
    }

    #[test]
    fn missing_leading_slash_is_added_and_empty_pattern_is_the_root() {
        assert!(Pattern::parse("result/id").matches(&[Seg::Key("result"), Seg::Key("id")]));
        assert!(Pattern::parse("").matches(&[]));
        assert!(Pattern::parse("/a~1b").matches(&[Seg::Key("a/b")]));
    }

    #[test]
    fn is_within_respects_segment_boundaries() {
        assert!(is_within("/a/b", "/a"));
        assert!(is_within("/a", "/a"));
        assert!(!is_within("/ab", "/a"));
        assert!(is_within("/anything", ""));
    }
}
