//! The recording reader on plain JSON, as every store parses a recording
//! (`Recording::from_json_at`), without the S3 store's zstd decoding (see
//! `recording_reader`); it builds without aws-sdk-s3.
//!
//! The checks are `playback_store::__fuzz::recording_reader`, which the owning crate's
//! tests also run on every committed regression input. Run: see fuzz/README.md.

fn main() {
    afl::fuzz!(|data: &[u8]| playback_store::__fuzz::recording_reader(data));
}
