//! The report merger on arbitrary shard reports.
//!
//! The checks are `playback_compare::__fuzz::report_merge`, which the owning crate's tests also run on every committed
//! regression input. Run: see fuzz/README.md.

fn main() {
    afl::fuzz!(|data: &[u8]| playback_compare::__fuzz::report_merge(data));
}
