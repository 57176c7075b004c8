//! playback-http against real servers on loopback: an axum shop with a SQLite input
//! that calls a rates service over reqwest, recorded with `RecordLayer` and
//! `ClientMiddleware`, then replayed with the rates service stopped.

mod apps;
mod fanout;
mod redaction;
mod replay;
mod rpcreplay;
mod sampling;
mod support;
