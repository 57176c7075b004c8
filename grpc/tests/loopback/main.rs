//! playback-grpc against real tonic servers on loopback: a shop that calls a catalog,
//! recorded with `RecordLayer` (both servers) and `ClientLayer` (the shop's channel),
//! then replayed with the catalog stopped: the client side on a `connect_lazy` channel to
//! a dead address, the server side through `grpc_service`.

mod apps;
mod client_side;
mod fanout;
mod limits;
mod roundtrip;
mod rpcreplay;
mod sampling;
mod support;
