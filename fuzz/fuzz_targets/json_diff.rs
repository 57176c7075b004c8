//! `JsonDiff` ignore and unordered patterns, and the diff of arbitrary documents.
//!
//! The checks are `playback_compare::__fuzz::json_diff`, which the owning crate's tests also run on every committed
//! regression input. Run: see fuzz/README.md.

fn main() {
    afl::fuzz!(|data: &[u8]| playback_compare::__fuzz::json_diff(data));
}
