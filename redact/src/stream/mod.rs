//! Redacting while a value is first serialized: a serde `Serializer` wrapper that walks
//! the path patterns as it goes, and writes the redacted form where a rule matches. No
//! value tree is built, except for a value a rule matches (its fingerprint or mask is
//! computed from its tree, as [`Redactor::redact`] does).
//!
//! It gives what [`Redactor::redact`] gives on the serialized value, rule for rule, with
//! two differences that do not change meaning: object members keep the order in which
//! they were serialized (a parsed tree sorts them), and the rare shapes it does not
//! stream, listed at `Ctx::fall_back`, are redacted on a tree instead.

mod ctx;
mod key;
mod object;
mod seq;
mod ser;

pub(crate) use ctx::{Ctx, Node};
