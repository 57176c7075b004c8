//! An associated operation without `self` opts out of automatic registration.

#[derive(Debug)]
pub struct Svc;

impl Svc {
    #[playback::instrument(playback = "operation", register = false)]
    pub fn handle(n: u64) -> u64 {
        n + 1
    }
}

fn main() {
    assert_eq!(Svc::handle(1), 2);
}
