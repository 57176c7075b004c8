//! The query and glob filters.
//!
//! The checks are `playback_store::__fuzz::query_filters`, which the owning crate's tests also run on every committed
//! regression input. Run: see fuzz/README.md.

fn main() {
    afl::fuzz!(|data: &[u8]| playback_store::__fuzz::query_filters(data));
}
