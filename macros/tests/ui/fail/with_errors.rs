struct Codec;

#[playback::instrument(playback = "input", with(nope = Codec))]
fn load(id: u64) -> u64 {
    id
}

#[playback::instrument(playback = "input", skip(id), with(id = Codec))]
fn load_skipped(id: u64) -> u64 {
    id
}

fn main() {
    let _ = (load(1), load_skipped(2));
}
