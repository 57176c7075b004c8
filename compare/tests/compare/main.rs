//! Integration tests of playback-compare, through its public API.

mod equalizer;
mod fuzz;
mod html;
mod incomplete;
mod isolate;
mod redacted;
mod sharding;
mod snapshots;
mod studio;
mod support;
mod unrecordable;
