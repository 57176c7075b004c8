//! Every kind of `#[tracing::instrument]` argument passes through unchanged.

use tracing::Level;

#[derive(Debug)]
struct Db;

#[playback::instrument(
    playback = "input",
    name = "load",
    target = "shop::db",
    level = "debug",
    skip(db),
    fields(table = "carts", otel.kind = "client", id_plus_one = id + 1),
    err(Display),
    ret(level = Level::TRACE),
)]
fn load(db: &Db, id: u64) -> Result<u64, String> {
    let _ = db;
    if id == 0 {
        return Err("missing".to_owned());
    }
    Ok(id)
}

#[playback::instrument(playback = "output", skip_all, level = Level::WARN, err, ret)]
fn send(db: &Db, to: String) -> Result<bool, String> {
    let _ = db;
    Ok(!to.is_empty())
}

#[playback::instrument(playback = "input", parent = None, follows_from = [tracing::Span::current().id()], ret(Debug))]
fn detached(n: u8) -> u8 {
    n
}

#[playback::instrument(
    playback = "operation",
    target = "shop",
    level = "info",
    name = "op",
    err(Debug),
    ret
)]
fn op(id: u64) -> Result<u64, String> {
    load(&Db, id)?;
    send(&Db, "ann".to_owned())?;
    Ok(detached(3).into())
}

fn main() {
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_writer(std::io::sink)
        .finish();
    tracing::subscriber::with_default(subscriber, || {
        assert_eq!(op(1), Ok(3));
        assert_eq!(op(0), Err("missing".to_owned()));
    });
}
