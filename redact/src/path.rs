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
    /// Bit `i` set where segment `i` is `**`.
    any: State,
    /// Bit `i` set where segment `i` is `*`.
    one: State,
    /// The named segments: their bit and name.
    names: Vec<(State, String)>,
    /// The bit of a full match.
    full: State,
    /// Whether a named segment is an array index (all digits): if none is, every
    /// element of an array steps to the same state.
    names_an_index: bool,
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
        let bits = |want: &dyn Fn(&Seg) -> bool| {
            segs.iter()
                .enumerate()
                .filter(|(_, s)| want(s))
                .fold(0, |m, (i, _)| m | 1 << i)
        };
        let names = segs
            .iter()
            .enumerate()
            .filter_map(|(i, s)| match s {
                Seg::Name(n) => Some((1 << i, n.clone())),
                _ => None,
            })
            .collect::<Vec<_>>();
        Ok(PathPattern {
            full: 1 << segs.len(),
            any: bits(&|s| *s == Seg::Any),
            one: bits(&|s| *s == Seg::One),
            names_an_index: names
                .iter()
                .any(|(_, n)| !n.is_empty() && n.bytes().all(|c| c.is_ascii_digit())),
            names,
        })
    }

    /// Whether the step into an array element depends on its index.
    pub(crate) fn names_an_index(&self) -> bool {
        self.names_an_index
    }

    /// The state at the document's root.
    pub(crate) fn start(&self) -> State {
        self.closure(1)
    }

    /// `**` matches zero segments too: from each state before a `**`, the state after it.
    fn closure(&self, mut s: State) -> State {
        loop {
            let next = s | (s & self.any) << 1;
            if next == s {
                return s;
            }
            s = next;
        }
    }

    /// The state after one more segment.
    pub(crate) fn step(&self, s: State, segment: &str) -> State {
        if s == 0 {
            return 0;
        }
        let mut next = (s & self.any) | (s & self.one) << 1;
        for (bit, name) in &self.names {
            if s & bit != 0 && name == segment {
                next |= bit << 1;
            }
        }
        if next & self.any == 0 {
            next
        } else {
            self.closure(next)
        }
    }

    /// Whether the path walked so far matches the whole pattern.
    pub(crate) fn matched(&self, s: State) -> bool {
        s & self.full != 0
    }

    /// Whether a path that continues from here can still match (a full match with no
    /// `**` left counts as dead below).
    pub(crate) fn alive_below(&self, s: State) -> bool {
        s & !self.full != 0
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
