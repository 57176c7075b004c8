//! The matrix crate's integration tests, one binary: combtest's behaviours on action
//! matrices, matrices over recordings, and sharding across processes.

mod actions;
mod recordings;
mod shards;
mod support;
