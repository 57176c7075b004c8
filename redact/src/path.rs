//! Path patterns: JSON-pointer segments, `*` for one segment, `**` for any number.

use crate::error::RedactError;

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
        Ok(PathPattern { segs })
    }

    /// Whether `path` matches the whole pattern.
    pub(crate) fn matches(&self, path: &[&str]) -> bool {
        glob(&self.segs, path)
    }

    /// Whether a path that starts with `prefix` can still match.
    pub(crate) fn alive(&self, prefix: &[&str]) -> bool {
        let mut p = prefix;
        for (i, seg) in self.segs.iter().enumerate() {
            match seg {
                Seg::Any => return true,
                _ if p.is_empty() => return true,
                Seg::One => p = &p[1..],
                Seg::Name(n) if n == p[0] => p = &p[1..],
                Seg::Name(_) => return false,
            }
            if i + 1 == self.segs.len() {
                // the pattern ends here: only the path itself (no deeper) matches
                return p.is_empty();
            }
        }
        false
    }
}

fn glob(pat: &[Seg], path: &[&str]) -> bool {
    match pat.split_first() {
        None => path.is_empty(),
        Some((Seg::Any, rest)) => (0..=path.len()).any(|i| glob(rest, &path[i..])),
        Some((seg, rest)) => match path.split_first() {
            None => false,
            Some((first, tail)) => {
                let ok = match seg {
                    Seg::One => true,
                    Seg::Name(n) => n == first,
                    Seg::Any => false,
                };
                ok && glob(rest, tail)
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_match_exactly_with_one_and_any_segments() {
        let p = PathPattern::parse("/args/card/number").unwrap();
        assert!(p.matches(&["args", "card", "number"]));
        assert!(!p.matches(&["args", "card"]));
        assert!(p.alive(&["args"]) && p.alive(&["args", "card"]));
        assert!(!p.alive(&["result"]) && !p.alive(&["args", "card", "number", "x"]));
        let any = PathPattern::parse("**/password").unwrap();
        assert!(any.matches(&["inputs", "login", "key", "password"]));
        assert!(any.matches(&["password"]));
        assert!(any.alive(&["metadata"]));
        let one = PathPattern::parse("/outputs/*/args/to").unwrap();
        assert!(one.matches(&["outputs", "mail::send", "args", "to"]));
        assert!(PathPattern::parse("").is_err() && PathPattern::parse("**").is_err());
    }
}
