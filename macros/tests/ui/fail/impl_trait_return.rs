#[playback::instrument(playback = "input")]
fn ids(n: u64) -> impl Iterator<Item = u64> {
    0..n
}

fn main() {
    assert_eq!(ids(2).count(), 2);
}
