//! `io::Result<T>` and boxed errors need a codec: the error names the error type and
//! `playback::codec`.

use std::error::Error;

#[playback::instrument(playback = "input")]
fn read(id: u64) -> std::io::Result<u64> {
    Ok(id)
}

#[playback::instrument(playback = "operation")]
fn handle(id: u64) -> Result<u64, Box<dyn Error + Send + Sync>> {
    Ok(read(id)?)
}

fn main() {
    assert_eq!(handle(1).unwrap(), 1);
}
