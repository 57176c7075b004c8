//! gRPC's length-prefixed messages: split from a body's data as it streams past (up to a
//! cap), and framed again for a replay.

use bytes::{Buf as _, BufMut as _, Bytes, BytesMut};

/// One message as it was framed: its bytes and whether the compressed flag was set.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct RawMessage {
    pub(crate) compressed: bool,
    pub(crate) bytes: Bytes,
}

/// Splits a stream of data chunks into gRPC messages, keeping at most `cap` bytes of
/// messages; past the cap it stops keeping (and marks the capture truncated).
#[derive(Debug)]
pub(crate) struct Splitter {
    cap: usize,
    kept: usize,
    pending: BytesMut,
    pub(crate) messages: Vec<RawMessage>,
    pub(crate) truncated: bool,
}

const HEADER: usize = 5;

impl Splitter {
    pub(crate) fn new(cap: usize) -> Splitter {
        Splitter {
            cap,
            kept: 0,
            pending: BytesMut::new(),
            messages: Vec::new(),
            truncated: false,
        }
    }

    /// Takes one data chunk (copied only while a message is incomplete).
    pub(crate) fn push(&mut self, chunk: &[u8]) {
        if self.truncated {
            return;
        }
        self.pending.extend_from_slice(chunk);
        loop {
            if self.pending.len() < HEADER {
                return;
            }
            let compressed = self.pending[0] == 1;
            let len = u32::from_be_bytes([
                self.pending[1],
                self.pending[2],
                self.pending[3],
                self.pending[4],
            ]) as usize;
            if len > self.cap.saturating_sub(self.kept) {
                // past the cap: keep nothing more
                self.truncated = true;
                self.pending = BytesMut::new();
                return;
            }
            if self.pending.len() < HEADER + len {
                return;
            }
            self.pending.advance(HEADER);
            let bytes = self.pending.split_to(len).freeze();
            self.kept += len;
            self.messages.push(RawMessage { compressed, bytes });
        }
    }

    /// Whether a message was begun and not finished.
    pub(crate) fn has_partial(&self) -> bool {
        !self.pending.is_empty()
    }
}

/// One message framed for the wire.
pub(crate) fn frame(message: &RawMessage) -> Bytes {
    let mut out = BytesMut::with_capacity(HEADER + message.bytes.len());
    out.put_u8(u8::from(message.compressed));
    // a message longer than u32::MAX was never recorded (the cap is far below)
    out.put_u32(u32::try_from(message.bytes.len()).unwrap_or(u32::MAX));
    out.extend_from_slice(&message.bytes);
    out.freeze()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw(bytes: &'static [u8]) -> RawMessage {
        RawMessage {
            compressed: false,
            bytes: Bytes::from_static(bytes),
        }
    }

    #[test]
    fn messages_split_across_chunks_come_out_whole_and_in_order() {
        let wire: Vec<u8> = [
            frame(&raw(b"hello")),
            frame(&raw(b"")),
            frame(&raw(b"world!")),
        ]
        .concat();
        for cut in 0..wire.len() {
            let mut s = Splitter::new(1024);
            s.push(&wire[..cut]);
            s.push(&wire[cut..]);
            let got: Vec<&[u8]> = s.messages.iter().map(|m| &m.bytes[..]).collect();
            assert_eq!(got, [&b"hello"[..], b"", b"world!"], "cut at {cut}");
            assert!(!s.truncated && !s.has_partial());
        }
    }

    #[test]
    fn the_cap_keeps_the_first_messages_and_marks_the_rest_truncated() {
        let wire = [frame(&raw(b"abcd")), frame(&raw(b"efgh"))].concat();
        let mut s = Splitter::new(6);
        s.push(&wire);
        assert_eq!(s.messages, vec![raw(b"abcd")]);
        assert!(s.truncated);
    }
}
