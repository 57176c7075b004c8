#[playback::instrument(playback = "input", alias = "shop::load", alias = "shop::load_v2")]
fn load(id: u64) -> u64 {
    id
}

fn main() {
    load(1);
}
