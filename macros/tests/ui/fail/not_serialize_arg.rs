#[derive(Debug)]
struct Db;

#[playback::instrument(playback = "input")]
fn load(db: &Db, id: u64) -> u64 {
    let _ = db;
    id
}

fn main() {
    load(&Db, 1);
}
