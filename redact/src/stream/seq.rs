//! Sequences: each element sits at its index.

use serde::ser::{
    self, Serialize, SerializeSeq, SerializeTuple, SerializeTupleStruct, SerializeTupleVariant,
};
use serde_json::Value;

use super::ctx::{Ctx, Node, Plan};
use crate::apply::{Marker, index};

/// A sequence (array) being walked: each element is at its index.
pub(crate) struct Seq<'c, 'r, I> {
    inner: I,
    c: &'c Ctx<'r>,
    /// The states of the array, or `None`: serialized as it is.
    at: Option<usize>,
    next: usize,
    /// Where to truncate the stack at the end (a variant pushed its member's states).
    pop: Option<usize>,
    /// When no pattern names an array index, every element has the same states and
    /// the same plan: computed once for the array.
    shared: Option<(usize, Plan)>,
}

impl<'c, 'r, I> Seq<'c, 'r, I> {
    pub(super) fn walk(inner: I, c: &'c Ctx<'r>, at: usize, pop: Option<usize>) -> Self {
        let shared = (!c.r.index_names).then(|| {
            let child = c.child(at, "0");
            (child, c.plan_path(child))
        });
        Seq {
            inner,
            c,
            at: Some(at),
            next: 0,
            pop,
            shared,
        }
    }

    pub(super) fn plain(inner: I, c: &'c Ctx<'r>) -> Self {
        Seq {
            inner,
            c,
            at: None,
            next: 0,
            pop: None,
            shared: None,
        }
    }

    /// The plan for the next element (its states are pushed; `Elem::Walk` holds them).
    fn element<T: ?Sized + Serialize, E: ser::Error>(&mut self, value: &T) -> Result<Elem, E> {
        let Some(at) = self.at else {
            return Ok(Elem::Plain(None));
        };
        if let Some((child, plan)) = self.shared {
            return Ok(match plan {
                Plan::Redact(mode, rule) => {
                    Elem::Redacted(self.c.redacted(value, false, mode, rule)?)
                }
                Plan::Walk => Elem::Shared(child),
                Plan::Plain => Elem::Plain(None),
            });
        }
        let mut buf = [0u8; 20];
        let child = self.c.child(at, index(self.next, &mut buf));
        self.next += 1;
        let elem = match self.c.plan_path(child) {
            Plan::Redact(mode, rule) => {
                let v = self.c.redacted(value, false, mode, rule);
                self.c.pop(child);
                Elem::Redacted(v?)
            }
            Plan::Walk => Elem::Walk(child),
            Plan::Plain => Elem::Plain(Some(child)),
        };
        Ok(elem)
    }

    fn done(&self) {
        if let Some((child, _)) = self.shared {
            self.c.pop(child);
        }
        if let Some(p) = self.pop {
            self.c.pop(p);
        }
    }
}

/// What to write for one element of a sequence.
enum Elem {
    /// The redacted value, or `None`: removed (a marker without fingerprint).
    Redacted(Option<Value>),
    /// Walk it; its states start here.
    Walk(usize),
    /// Walk it, with the array's shared element states, which start here.
    Shared(usize),
    /// As it is (states to pop, if any were pushed).
    Plain(Option<usize>),
}

macro_rules! seq_impl {
    ($tr:ident, $method:ident) => {
        impl<I: $tr> $tr for Seq<'_, '_, I> {
            type Ok = I::Ok;
            type Error = I::Error;
            fn $method<T: ?Sized + Serialize>(&mut self, value: &T) -> Result<(), I::Error> {
                match self.element(value)? {
                    Elem::Redacted(Some(v)) => self.inner.$method(&v),
                    Elem::Redacted(None) => self.inner.$method(&Marker(None)),
                    Elem::Walk(child) => {
                        let node = Node {
                            value,
                            c: self.c,
                            at: child,
                            member: false,
                            root: false,
                        };
                        let out = self.inner.$method(&node);
                        self.c.pop(child);
                        out
                    }
                    Elem::Shared(child) => {
                        let node = Node {
                            value,
                            c: self.c,
                            at: child,
                            member: false,
                            root: false,
                        };
                        self.inner.$method(&node)
                    }
                    Elem::Plain(pushed) => {
                        if let Some(p) = pushed {
                            self.c.pop(p);
                        }
                        self.inner.$method(value)
                    }
                }
            }
            fn end(self) -> Result<I::Ok, I::Error> {
                self.done();
                self.inner.end()
            }
        }
    };
}

seq_impl!(SerializeSeq, serialize_element);
seq_impl!(SerializeTuple, serialize_element);
seq_impl!(SerializeTupleStruct, serialize_field);
seq_impl!(SerializeTupleVariant, serialize_field);
