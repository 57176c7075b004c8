//! The recording reader: plain JSON and zstd bodies, as the directory and S3 stores read
//! them.
//!
//! The checks are `playback_s3::__fuzz::recording_body`, which the owning crate's tests also run on every committed
//! regression input. Run: see fuzz/README.md.

fn main() {
    afl::fuzz!(|data: &[u8]| playback_s3::__fuzz::recording_body(data));
}
