//! Path patterns: JSON-pointer segments, `*` for one segment, `**` for any number.
//!
//! A pattern is matched as a small automaton while a document is walked: its state is a
//! bit set (bit `i`: the first `i` segments are matched), stepped once per segment, so a
//! walk allocates nothing per node and never re-reads the path above it.

use crate::error::RedactError;

/// The most segments a pattern may have (one bit per state in a `u64`).
const MAX_SEGMENTS: usize = 62;

#[derive(Debug, Clone, PartialEq, Eq)]
enum Seg {
    Name(String),
    One,
    Any,
}

/// A parsed path pattern.
#[derive(Debug, Clone)]
pub(crate) struct PathPattern {
    segs: Vec<Seg>,
}

/// Where a walk stands in a pattern; `0` is dead (nothing below can match).
pub(crate) type State = u64;

impl PathPattern {
    pub(crate) fn parse(pattern: &str) -> Result<Self, RedactError> {
        let invalid = |reason: &str| RedactError::InvalidPath {
            pattern: pattern.to_owned(),
            reason: reason.to_owned(),
        };
        let body = pattern.strip_prefix('/').unwrap_or(pattern);
        if body.is_empty() {
            return Err(invalid(
                "it is empty: name a path such as `/args/card/number` or `**/password`",
            ));
        }
        let segs = body
            .split('/')
            .map(|s| match s {
                "*" => Seg::One,
                "**" => Seg::Any,
                s => Seg::Name(s.replace("~1", "/").replace("~0", "~")),
            })
            .collect::<Vec<_>>();
        if segs.iter().all(|s| *s == Seg::Any) {
            return Err(invalid(
                "`**` alone would redact everything: name at least one segment",
            ));
        }
        if segs.len() > MAX_SEGMENTS {
            return Err(invalid("it has more than 62 segments"));
        }
        Ok(PathPattern { segs })
    }

    /// The state at the document's root.
    pub(crate) fn start(&self) -> State {
        self.closure(1)
    }

    /// `**` matches zero segments too: from each state before a `**`, the state after it.
    fn closure(&self, mut s: State) -> State {
        for (i, seg) in self.segs.iter().enumerate() {
            if *seg == Seg::Any && s & (1 << i) != 0 {
                s |= 1 << (i + 1);
            }
        }
        s
    }

    /// The state after one more segment.
    pub(crate) fn step(&self, s: State, segment: &str) -> State {
        if s == 0 {
            return 0;
        }
        let mut next = 0;
        for (i, seg) in self.segs.iter().enumerate() {
            if s & (1 << i) == 0 {
                continue;
            }
            match seg {
                Seg::Any => next |= 1 << i,
                Seg::One => next |= 1 << (i + 1),
                Seg::Name(n) if n == segment => next |= 1 << (i + 1),
                Seg::Name(_) => {}
            }
        }
        self.closure(next)
    }

    /// Whether the path walked so far matches the whole pattern.
    pub(crate) fn matched(&self, s: State) -> bool {
        s & (1 << self.segs.len()) != 0
    }

    /// Whether a path that continues from here can still match (a full match with no
    /// `**` left counts as dead below).
    pub(crate) fn alive_below(&self, s: State) -> bool {
        s & !(1 << self.segs.len()) != 0
    }

    /// The state after `path`.
    pub(crate) fn walk(&self, path: &[&str]) -> State {
        path.iter().fold(self.start(), |s, seg| self.step(s, seg))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn matches(p: &PathPattern, path: &[&str]) -> bool {
        p.matched(p.walk(path))
    }

    #[test]
    fn paths_match_exactly_with_one_and_any_segments() {
        let p = PathPattern::parse("/args/card/number").unwrap();
        assert!(matches(&p, &["args", "card", "number"]));
        assert!(!matches(&p, &["args", "card"]));
        assert!(!matches(&p, &["args", "card", "number", "x"]));
        assert!(p.alive_below(p.walk(&["args"])) && p.alive_below(p.walk(&["args", "card"])));
        assert!(!p.alive_below(p.walk(&["result"])));
        assert!(!p.alive_below(p.walk(&["args", "card", "number"])));
        let any = PathPattern::parse("**/password").unwrap();
        assert!(matches(&any, &["inputs", "login", "key", "password"]));
        assert!(matches(&any, &["password"]));
        assert!(!matches(&any, &["password", "x"]));
        assert!(any.alive_below(any.walk(&["metadata"])));
        let mid = PathPattern::parse("/a/**/z").unwrap();
        assert!(matches(&mid, &["a", "z"]) && matches(&mid, &["a", "b", "c", "z"]));
        assert!(!matches(&mid, &["b", "z"]));
        let one = PathPattern::parse("/outputs/*/args/to").unwrap();
        assert!(matches(&one, &["outputs", "mail::send", "args", "to"]));
        assert!(PathPattern::parse("").is_err() && PathPattern::parse("**").is_err());
    }
}
