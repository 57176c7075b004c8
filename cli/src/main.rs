//! The `playback` command line.
fn main() {}
