//! The query flags shared by `list`, `stats` and `pull`, and the `--meta` syntax.

use clap::{Args, ValueEnum};
use playback_store::{Cmp, MetaFilter, Outcome, Query};
use serde_json::Value;
use time::OffsetDateTime;

use crate::when::{When, parse_when};

/// Which recordings a command works on.
#[derive(Debug, Clone, Default, Args)]
pub(crate) struct QueryArgs {
    /// Only recordings of this category.
    #[arg(long, value_name = "NAME")]
    pub(crate) category: Option<String>,

    /// Only recordings of this operation alias (such as `shop::checkout`).
    #[arg(long, value_name = "ALIAS")]
    pub(crate) operation: Option<String>,

    /// Only recordings made since WHEN: a duration ago (`7d`, `12h`, `30m`), a UTC date
    /// (`2026-01-31`) or an RFC 3339 timestamp.
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    pub(crate) since: Option<When>,

    /// Only recordings made until WHEN (same forms as `--since`).
    #[arg(long, value_name = "WHEN", value_parser = parse_when)]
    pub(crate) until: Option<When>,

    /// A metadata condition, repeatable (all must hold): `key=value`, `key!=value`,
    /// `key~glob` (`*`, `?`, `[a-z]`), `key>n`, `key<n`, `key>=n`, `key<=n`. Values
    /// that read as JSON (`3`, `true`) also match the same text as a string.
    #[arg(long = "meta", value_name = "FILTER", value_parser = parse_meta)]
    pub(crate) meta: Vec<(String, MetaFilter)>,

    /// Only recordings with this outcome; repeat for any of several.
    #[arg(long, value_enum, value_name = "OUTCOME")]
    pub(crate) outcome: Vec<OutcomeArg>,

    /// At most this many recordings (the newest).
    #[arg(long, value_name = "N")]
    pub(crate) limit: Option<usize>,
}

/// `--outcome`'s values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub(crate) enum OutcomeArg {
    /// Returned a value that is not an error.
    Ok,
    /// Returned an `Err`.
    Error,
    /// Panicked.
    Panicked,
    /// Did not finish (a cancelled future).
    Incomplete,
}

impl From<OutcomeArg> for Outcome {
    fn from(o: OutcomeArg) -> Outcome {
        match o {
            OutcomeArg::Ok => Outcome::Ok,
            OutcomeArg::Error => Outcome::Error,
            OutcomeArg::Panicked => Outcome::Panicked,
            OutcomeArg::Incomplete => Outcome::Incomplete,
        }
    }
}

impl QueryArgs {
    /// The store query, with relative times counted back from `now`.
    pub(crate) fn to_query(&self, now: OffsetDateTime) -> Query {
        let mut query = Query::all();
        if let Some(category) = &self.category {
            query = query.in_category(category);
        }
        if let Some(operation) = &self.operation {
            query = query.operation(operation);
        }
        if let Some(since) = self.since {
            query = query.from(since.resolve(now));
        }
        if let Some(until) = self.until {
            query = query.until(until.resolve(now));
        }
        for (key, filter) in &self.meta {
            query = query.metadata(key, filter.clone());
        }
        for outcome in &self.outcome {
            query = query.outcome(Outcome::from(*outcome));
        }
        if let Some(limit) = self.limit {
            query = query.limit(limit);
        }
        query
    }
}

/// Parses `--meta`: `key=value`, `key!=value`, `key~glob`, `key>n`, `key<n`, `key>=n`,
/// `key<=n`.
pub(crate) fn parse_meta(text: &str) -> Result<(String, MetaFilter), String> {
    let Some(at) = text.find(['=', '!', '~', '<', '>']) else {
        return Err(format!(
            "invalid metadata filter `{text}`: write `key=value`, `key~glob` or `key>n` \
             (also `!=`, `<`, `>=`, `<=`)"
        ));
    };
    let (key, rest) = text.split_at(at);
    if key.is_empty() {
        return Err(format!(
            "invalid metadata filter `{text}`: the key before `{}` is empty",
            &rest[..1]
        ));
    }
    let (op, value) = [">=", "<=", "!=", "=", "~", ">", "<"]
        .iter()
        .find_map(|op| rest.strip_prefix(op).map(|value| (*op, value)))
        .ok_or_else(|| format!("invalid metadata filter `{text}`: `!` must be followed by `=`"))?;
    let filter = match op {
        "=" => equal_to(value),
        "~" => MetaFilter::glob(value),
        "!=" => MetaFilter::cmp(Cmp::Ne, json_or_text(value)),
        _ => {
            let cmp = match op {
                ">" => Cmp::Gt,
                "<" => Cmp::Lt,
                ">=" => Cmp::Ge,
                _ => Cmp::Le,
            };
            MetaFilter::cmp(cmp, json_or_text(value))
        }
    };
    Ok((key.to_owned(), filter))
}

/// `=`: the value as JSON (a number, `true`, `null`) or as the same text.
fn equal_to(value: &str) -> MetaFilter {
    match json_or_text(value) {
        Value::String(text) => MetaFilter::from(text),
        json => MetaFilter::any_of([MetaFilter::from(json), MetaFilter::from(value)]),
    }
}

/// A scalar JSON value (`3`, `2.5`, `true`, `null`), or else the text as a string.
fn json_or_text(value: &str) -> Value {
    match serde_json::from_str::<Value>(value) {
        Ok(json @ (Value::Number(_) | Value::Bool(_) | Value::Null)) => json,
        _ => Value::String(value.to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn matches(filter: &str, value: Value) -> bool {
        parse_meta(filter).unwrap().1.matches(Some(&value))
    }

    #[test]
    fn meta_filters_cover_every_operator() {
        assert_eq!(parse_meta("tenant=acme").unwrap().0, "tenant");
        assert!(matches("tenant=acme", json!("acme")));
        assert!(!matches("tenant=acme", json!("other")));
        assert!(matches("items=3", json!(3)));
        assert!(matches("items=3", json!("3")));
        assert!(matches("region~eu-*", json!("eu-west-1")));
        assert!(!matches("region~eu-*", json!("us-east-1")));
        assert!(matches("items>2", json!(3)));
        assert!(!matches("items>3", json!(3)));
        assert!(matches("items>=3", json!(3)));
        assert!(matches("items<4", json!(3)));
        assert!(matches("items<=3", json!(3)));
        assert!(matches("tenant!=acme", json!("other")));
        assert!(matches("url=a=b", json!("a=b")));
    }

    #[test]
    fn meta_filters_without_key_or_operator_are_refused() {
        assert!(parse_meta("tenant").unwrap_err().contains("key=value"));
        assert!(parse_meta("=x").unwrap_err().contains("key"));
        assert!(parse_meta("a!b").unwrap_err().contains("`!`"));
    }
}
