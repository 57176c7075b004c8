#[playback::instrument(playback = "input")]
const fn answer() -> u64 {
    42
}

#[playback::instrument(playback = "output")]
extern "C" fn callback(n: u32) -> u32 {
    n
}

#[derive(Debug)]
struct Config {
    name: String,
}

#[playback::instrument(playback = "input")]
fn name(config: &Config) -> &str {
    &config.name
}

fn main() {
    let _ = (
        answer(),
        callback(1),
        name(&Config {
            name: String::new(),
        }),
    );
}
