#[playback::instrument(playback = "input", category = "checkout")]
fn load(id: u64) -> u64 {
    id
}

fn main() {
    load(1);
}
