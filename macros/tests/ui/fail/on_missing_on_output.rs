#[playback::instrument(playback = "output", on_missing = "live")]
fn send(to: String) -> bool {
    !to.is_empty()
}

fn main() {
    send(String::new());
}
