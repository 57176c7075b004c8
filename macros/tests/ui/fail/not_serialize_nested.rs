//! A type that is not a serde type, inside a `Result` or an `Option`: the error names it.

#[derive(Debug)]
struct Cart {
    id: u64,
}

#[playback::instrument(playback = "input")]
fn load(id: u64) -> Result<Cart, String> {
    Ok(Cart { id })
}

#[playback::instrument(playback = "output")]
fn save(id: u64) -> Option<Cart> {
    Some(Cart { id })
}

fn main() {
    assert_eq!(load(1).unwrap().id, 1);
    assert_eq!(save(2).unwrap().id, 2);
}
