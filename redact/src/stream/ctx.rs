//! The state of one streaming redaction, and what happens at each position.

use std::cell::{Cell, RefCell};

use playback_store::redacted_fingerprint;
use serde::ser::{self, Serialize, Serializer};
use serde_json::Value;

use super::ser::Ser;
use crate::apply::Action;
use crate::path::State;
use crate::rules::{Mode, Redactor};

/// The name under which `serde_json::value::RawValue` serializes itself.
pub(super) const RAW_TOKEN: &str = "$serde_json::private::RawValue";

/// One streaming redaction: the rules, and the pattern states of the positions being
/// serialized (a stack: each node's states are `stack[at..at + patterns]`).
pub(crate) struct Ctx<'r> {
    pub(crate) r: &'r Redactor,
    stack: RefCell<Vec<State>>,
    /// Set when a shape was met that is redacted on a tree instead (see
    /// [`Ctx::fall_back`]); the serialization then fails and the caller redo it.
    pub(crate) fallback: Cell<bool>,
    /// The part's first member is `Err` (a `Result::Err`), as written before redaction.
    pub(crate) first_err: Cell<bool>,
}

/// What happens to the value at one position.
#[derive(Clone, Copy)]
pub(super) enum Plan {
    /// A rule matches it.
    Redact(Mode, usize),
    /// Something may apply below: walk it.
    Walk,
    /// Nothing can apply at it or below: serialize it as it is.
    Plain,
}

impl<'r> Ctx<'r> {
    pub(crate) fn new(r: &'r Redactor, states: Vec<State>) -> Self {
        Ctx {
            r,
            stack: RefCell::new(states),
            fallback: Cell::new(false),
            first_err: Cell::new(false),
        }
    }

    /// The shapes redacted on a tree: a rule that matches a struct or tuple variant's
    /// own member (its value is only ever seen field by field), a map key that is not
    /// a string or an integer, and an object member that starts like a `Secret` marker
    /// (`{"playback.redacted": ..}`) but is not one. The serialization fails, and the
    /// caller redacts the part with [`Redactor::redact`] on its tree.
    pub(super) fn fall_back<E: ser::Error>(&self) -> E {
        self.fallback.set(true);
        E::custom("playback: this part is redacted on a tree")
    }

    /// Pushes the states one segment below those at `at`; returns where they start.
    pub(super) fn child(&self, at: usize, segment: &str) -> usize {
        let mut stack = self.stack.borrow_mut();
        let start = stack.len();
        for (k, (p, _, _)) in self.r.paths.iter().enumerate() {
            let s = stack[at + k];
            stack.push(p.step(s, segment));
        }
        start
    }

    pub(super) fn pop(&self, to: usize) {
        self.stack.borrow_mut().truncate(to);
    }

    /// The plan for the value at `at`; `name` is its member name when it is an object
    /// member (field-name rules apply to it first).
    pub(super) fn plan(&self, at: usize, name: Option<&str>) -> Plan {
        if let Some(name) = name
            && let Some((_, mode, i)) = self.r.keys.iter().find(|(re, _, _)| re.is_match(name))
        {
            return Plan::Redact(*mode, *i);
        }
        self.plan_path(at)
    }

    /// The rule that matches the part's root, if one does.
    pub(crate) fn plan_root(&self) -> Option<(Mode, usize)> {
        match self.plan_path(0) {
            Plan::Redact(mode, rule) => Some((mode, rule)),
            _ => None,
        }
    }

    /// The plan for member `name` of the object at the root: `Err` with the rule that
    /// matches it, `Ok(Some(states))` to walk it, `Ok(None)` to write it as it is.
    pub(crate) fn plan_member(&self, name: &str) -> Result<Option<usize>, (Mode, usize)> {
        let child = self.child(0, name);
        match self.plan(child, Some(name)) {
            Plan::Redact(mode, rule) => {
                self.pop(child);
                Err((mode, rule))
            }
            Plan::Walk => Ok(Some(child)),
            Plan::Plain => {
                self.pop(child);
                Ok(None)
            }
        }
    }

    pub(super) fn plan_path(&self, at: usize) -> Plan {
        if self.r.paths.is_empty() {
            return Plan::Walk; // field rules or detectors, else the part was not streamed
        }
        let stack = self.stack.borrow();
        let states = &stack[at..at + self.r.paths.len()];
        let mut alive = false;
        for ((p, mode, rule), s) in self.r.paths.iter().zip(states) {
            if p.matched(*s) {
                return Plan::Redact(*mode, *rule);
            }
            alive |= p.alive_below(*s);
        }
        if alive || !self.r.keys.is_empty() || !self.r.detectors.is_empty() {
            Plan::Walk
        } else {
            Plan::Plain
        }
    }

    /// The redacted form of a value a rule matched, from its tree; `None` when it is
    /// removed. An object member that is already a marker is left as it is.
    pub(crate) fn redacted<T: ?Sized + Serialize, E: ser::Error>(
        &self,
        value: &T,
        member: bool,
        mode: Mode,
        rule: usize,
    ) -> Result<Option<Value>, E> {
        let mut v = serde_json::to_value(value).map_err(E::custom)?;
        if member && redacted_fingerprint(&v).is_some() {
            return Ok(Some(v));
        }
        self.r.hit(rule);
        Ok(match self.r.apply(mode, &mut v) {
            Action::Remove => None,
            Action::Keep => Some(v),
        })
    }

    pub(super) fn detect(&self, text: &str) -> Option<String> {
        if self.r.detectors.is_empty() {
            return None;
        }
        self.r.detectors.redact(text, self.r.key.as_ref())
    }
}

/// A value to serialize at a walked position (its plan was `Walk`).
pub(crate) struct Node<'c, 'r, T: ?Sized> {
    pub(crate) value: &'c T,
    pub(crate) c: &'c Ctx<'r>,
    pub(crate) at: usize,
    pub(crate) member: bool,
    pub(crate) root: bool,
}

impl<T: ?Sized + Serialize> Serialize for Node<'_, '_, T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.value.serialize(Ser {
            s,
            c: self.c,
            at: self.at,
            member: self.member,
            root: self.root,
        })
    }
}
