//! One module per command.

pub(crate) mod audit;
pub(crate) mod completions;
pub(crate) mod diff;
pub(crate) mod list;
mod listing;
pub(crate) mod matrix;
pub(crate) mod prune;
pub(crate) mod pull;
pub(crate) mod report;
pub(crate) mod review;
pub(crate) mod show;
pub(crate) mod stats;
