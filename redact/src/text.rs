//! Reading JSON text and writing it back in serde_json's form (object members sorted
//! by name, as a `Value` map writes them), for the one-pass redaction in `raw.rs`.

use std::borrow::Cow;
use std::ops::Range;

use playback_store::REDACTED;

use crate::detect::mask;

/// Deeper than this, the `Value` path takes over (serde_json's own limit is 128).
const MAX_DEPTH: usize = 100;

/// This pass cannot handle the text; use the `Value` path.
#[derive(Debug)]
pub(crate) struct GiveUp;

pub(crate) type Step<T> = Result<T, GiveUp>;

/// An object member written to the output: its name (a range of the input) and its
/// `"name":value` text (a range of the output).
pub(crate) struct Member {
    pub(crate) name: Range<usize>,
    /// `None` for a member the rules removed (its name still counts as seen).
    pub(crate) text: Option<Range<usize>>,
}

/// The text being read, the output, and scratch space reused across objects.
pub(crate) struct Pass<'a> {
    pub(crate) src: &'a str,
    pub(crate) at: usize,
    pub(crate) out: Vec<u8>,
    pub(crate) members: Vec<Member>,
    /// An object's members while they are put in order.
    scratch: Vec<u8>,
    depth: usize,
}

impl<'a> Pass<'a> {
    /// A pass over `src`.
    pub(crate) fn new(src: &'a str) -> Self {
        Pass {
            src,
            at: 0,
            out: Vec::with_capacity(src.len() + 64),
            members: Vec::new(),
            scratch: Vec::new(),
            depth: 0,
        }
    }

    pub(crate) fn bytes(&self) -> &'a [u8] {
        self.src.as_bytes()
    }

    pub(crate) fn ws(&mut self) {
        while let Some(b' ' | b'\n' | b'\r' | b'\t') = self.bytes().get(self.at) {
            self.at += 1;
        }
    }

    pub(crate) fn peek(&mut self) -> Step<u8> {
        self.ws();
        self.bytes().get(self.at).copied().ok_or(GiveUp)
    }

    pub(crate) fn expect(&mut self, b: u8) -> Step<()> {
        if self.peek()? == b {
            self.at += 1;
            Ok(())
        } else {
            Err(GiveUp)
        }
    }

    pub(crate) fn enter(&mut self) -> Step<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(GiveUp);
        }
        Ok(())
    }

    /// Leaves an object or an array ([`Pass::enter`] counts the nesting).
    pub(crate) fn leave(&mut self) {
        self.depth -= 1;
    }

    /// A string at `at` (its opening quote): the range of its contents, and whether they
    /// hold an escape.
    pub(crate) fn string(&mut self) -> Step<(Range<usize>, bool)> {
        self.expect(b'"')?;
        let start = self.at;
        let b = self.bytes();
        let mut escaped = false;
        loop {
            match b.get(self.at).copied().ok_or(GiveUp)? {
                b'"' => break,
                b'\\' => {
                    escaped = true;
                    self.at += 2;
                }
                c if c < 0x20 => return Err(GiveUp),
                _ => self.at += 1,
            }
        }
        let range = start..self.at;
        self.at += 1;
        Ok((range, escaped))
    }

    /// A member name; one with an escape is left to the `Value` path.
    pub(crate) fn name(&mut self) -> Step<Range<usize>> {
        let (range, escaped) = self.string()?;
        if escaped {
            return Err(GiveUp);
        }
        self.expect(b':')?;
        Ok(range)
    }

    /// The unescaped text of the string whose contents are `range`.
    pub(crate) fn unescape(&self, range: &Range<usize>) -> Step<String> {
        serde_json::from_str(&self.src[range.start - 1..range.end + 1]).map_err(|_| GiveUp)
    }

    pub(crate) fn write_str(&mut self, s: &str) -> Step<()> {
        serde_json::to_writer(&mut self.out, s).map_err(|_| GiveUp)
    }

    /// The number at `at`, in serde_json's form (the text itself for an integer that
    /// round-trips; otherwise parsed and written back).
    pub(crate) fn number(&mut self) -> Step<Cow<'a, str>> {
        let b = self.bytes();
        let start = self.at;
        let mut end = start + usize::from(b.get(start) == Some(&b'-'));
        let digits = end;
        while b.get(end).is_some_and(u8::is_ascii_digit) {
            end += 1;
        }
        let n = end - digits;
        let more = matches!(b.get(end), Some(b'.' | b'e' | b'E' | b'+' | b'-'));
        // `0`, or no leading zero; at most 18 digits (an `i64` and a `u64`); not `-0`
        // (a float to serde_json)
        if !more && (1..=18).contains(&n) && (b[digits] != b'0' || n == 1 && digits == start) {
            self.at = end;
            return Ok(Cow::Borrowed(&self.src[start..end]));
        }
        while let Some(b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E') = b.get(end) {
            end += 1;
        }
        self.at = end;
        match serde_json::from_str::<serde_json::Value>(&self.src[start..end]) {
            Ok(n @ serde_json::Value::Number(_)) => Ok(Cow::Owned(n.to_string())),
            _ => Err(GiveUp),
        }
    }

    pub(crate) fn literal(&mut self) -> Step<()> {
        let rest = &self.bytes()[self.at..];
        for word in [&b"true"[..], b"false", b"null"] {
            if rest.starts_with(word) {
                self.out.extend_from_slice(word);
                self.at += word.len();
                return Ok(());
            }
        }
        Err(GiveUp)
    }

    /// Copies the value at `at` in serde_json's form; with `mask`, every string and
    /// number in it masked ([`Mode::MaskLength`], or [`Mode::MaskLast4`] when `true`).
    pub(crate) fn copy(&mut self, mask_last4: Option<bool>) -> Step<()> {
        match self.peek()? {
            b'{' => {
                self.at += 1;
                self.enter()?;
                let first = self.members.len();
                let start = self.out.len();
                self.out.push(b'{');
                if self.peek()? == b'}' {
                    self.at += 1;
                } else {
                    loop {
                        let name = self.name()?;
                        if self.out.len() > start + 1 {
                            self.out.push(b',');
                        }
                        let text = self.out.len();
                        self.out.push(b'"');
                        self.out.extend_from_slice(&self.bytes()[name.clone()]);
                        self.out.extend_from_slice(b"\":");
                        self.copy(mask_last4)?;
                        self.members.push(Member {
                            name,
                            text: Some(text..self.out.len()),
                        });
                        if self.close(b'}')? {
                            break;
                        }
                    }
                }
                self.finish_object(start, first)?;
                self.leave();
            }
            b'[' => {
                self.at += 1;
                self.enter()?;
                self.out.push(b'[');
                if self.peek()? == b']' {
                    self.at += 1;
                } else {
                    loop {
                        self.copy(mask_last4)?;
                        if self.close(b']')? {
                            break;
                        }
                        self.out.push(b',');
                    }
                }
                self.out.push(b']');
                self.leave();
            }
            b'"' => {
                let (range, escaped) = self.string()?;
                match mask_last4 {
                    Some(last4) => {
                        let masked = if escaped {
                            mask(&self.unescape(&range)?, last4)
                        } else {
                            mask(&self.src[range], last4)
                        };
                        self.write_str(&masked)?;
                    }
                    None if escaped => {
                        let s = self.unescape(&range)?;
                        self.write_str(&s)?;
                    }
                    None => {
                        self.out.push(b'"');
                        self.out.extend_from_slice(&self.bytes()[range]);
                        self.out.push(b'"');
                    }
                }
            }
            b'-' | b'0'..=b'9' => {
                let n = self.number()?;
                match mask_last4 {
                    Some(last4) => self.write_str(&mask(&n, last4))?,
                    None => self.out.extend_from_slice(n.as_bytes()),
                }
            }
            _ => self.literal()?,
        }
        Ok(())
    }

    /// After a member or an element: `true` at the closing `close`, `false` after a comma.
    pub(crate) fn close(&mut self, close: u8) -> Step<bool> {
        match self.peek()? {
            b',' => {
                self.at += 1;
                Ok(false)
            }
            c if c == close => {
                self.at += 1;
                Ok(true)
            }
            _ => Err(GiveUp),
        }
    }

    /// Closes the object that starts at `start` in the output, whose members are
    /// `members[first..]`: sorted by name as a `Value` map writes them. A name seen twice
    /// (a `Value` keeps the last) is left to the `Value` path.
    pub(crate) fn finish_object(&mut self, start: usize, first: usize) -> Step<()> {
        let src = self.bytes();
        let members = &mut self.members[first..];
        let sorted = members
            .windows(2)
            .all(|w| src[w[0].name.clone()] < src[w[1].name.clone()]);
        if !sorted {
            members.sort_by(|a, b| src[a.name.clone()].cmp(&src[b.name.clone()]));
            if members
                .windows(2)
                .any(|w| src[w[0].name.clone()] == src[w[1].name.clone()])
            {
                return Err(GiveUp);
            }
            self.scratch.clear();
            self.scratch.extend_from_slice(&self.out[start..]);
            self.out.truncate(start + 1);
            for text in members.iter().filter_map(|m| m.text.as_ref()) {
                if self.out.len() > start + 1 {
                    self.out.push(b',');
                }
                self.out
                    .extend_from_slice(&self.scratch[text.start - start..text.end - start]);
            }
        }
        self.members.truncate(first);
        self.out.push(b'}');
        Ok(())
    }

    /// Whether the value at `at` is a marker (`{"playback.redacted": "<fingerprint>"}` or
    /// with `null`); reads nothing.
    pub(crate) fn at_marker(&mut self) -> bool {
        let at = self.at;
        let is = (|| {
            self.expect(b'{')?;
            let (name, _) = self.string()?;
            if &self.src[name] != REDACTED {
                return Err(GiveUp);
            }
            self.expect(b':')?;
            match self.peek()? {
                b'"' => {
                    self.string()?;
                }
                b'n' if self.bytes()[self.at..].starts_with(b"null") => self.at += 4,
                _ => return Err(GiveUp),
            }
            self.expect(b'}')
        })()
        .is_ok();
        self.at = at;
        is
    }

    pub(crate) fn marker(&mut self, fingerprint: Option<&str>) {
        self.out.extend_from_slice(b"{\"");
        self.out.extend_from_slice(REDACTED.as_bytes());
        self.out.extend_from_slice(b"\":");
        match fingerprint {
            Some(fp) => {
                self.out.push(b'"');
                self.out.extend_from_slice(fp.as_bytes());
                self.out.push(b'"');
            }
            None => self.out.extend_from_slice(b"null"),
        }
        self.out.push(b'}');
    }
}
