//! The S3 index objects: an object key and a summary body.
//!
//! The checks are `playback_s3::__fuzz::index_object`, which the owning crate's tests also run on every committed
//! regression input. Run: see fuzz/README.md.

fn main() {
    afl::fuzz!(|data: &[u8]| playback_s3::__fuzz::index_object(data));
}
