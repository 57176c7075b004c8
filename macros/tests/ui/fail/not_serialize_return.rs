#[derive(Debug)]
struct Cart {
    id: u64,
}

#[playback::instrument(playback = "input")]
fn load(id: u64) -> Cart {
    Cart { id }
}

fn main() {
    assert_eq!(load(1).id, 1);
}
