//! Scenario matrices for [playback](https://docs.rs/playback): every combination of a
//! few settings, run over real recordings, compared, and sharded across machines by
//! walk id (py-combtest's model, on the engines CI already runs).
//!
//! - An [`Action`] (or [`action`] from two closures) is an axis: `options()` yields
//!   its options lazily, `run(&option, &mut state)` applies one to a walk's state.
//! - A [`Matrix`] runs every *walk*, one option per action in declared order, each on
//!   its own clone of the state, on all cores. A failing action ends its walk. A
//!   [`SerialAction`] is a barrier between parallel stages. Each walk has a stable
//!   [`WalkId`] derived from its options, and a line in the trace
//!   ([`TraceLine`]); [`Matrix::replay_walk_by_id`] re-runs one walk in-process.
//! - [`RecordingMatrix`] (`RecordingMatrix::over(recordings)`) makes each recording an
//!   axis value: a walk replays recording R with options O (reaching the code under
//!   test as replay overrides of inputs by alias, or through your closure on the
//!   [`Replayer`](playback_replay::Replayer)), compares the result with the recording
//!   as the Equalizer does, and reports per combination: one
//!   [`Report`](playback_compare::Report) with a [`Combination`](playback_compare::Combination)
//!   per comparison, a per-axis breakdown ("different only when rounding = floor"),
//!   terminal, JSON, JUnit and HTML.
//! - Sharding by walk id: `--shard k/n`, `PLAYBACK_SHARD=k/n`, or a Kubernetes Indexed
//!   Job's `JOB_COMPLETION_INDEX` with `PLAYBACK_SHARDS=n` ([`shard_from_env`]); the
//!   shards' JSON reports merge (`playback report merge`) into exactly the report of
//!   one run. Under nextest, [`RecordingMatrix::trials`] makes every walk a test, and
//!   `--partition hash:k/n` splits them.
//!
//! ```
//! use playback_matrix::{Matrix, action};
//!
//! #[derive(Clone, serde::Serialize, serde::Deserialize)]
//! struct Cart { qty: u32, total: u64 }
//!
//! let matrix = Matrix::new()
//!     .action(action("qty", || [0u32, 1, 5].into_iter(), |qty: &u32, cart: &mut Cart| {
//!         if *qty == 0 { return Err(format!("invalid quantity {qty}")) }
//!         cart.qty = *qty;
//!         Ok(())
//!     }))
//!     .action(action("discount", || [false, true].into_iter(), |on: &bool, cart: &mut Cart| {
//!         cart.total = u64::from(cart.qty) * if *on { 90 } else { 100 };
//!         Ok::<_, String>(())
//!     }))
//!     .gather_states(true);
//!
//! let run = matrix.run(Cart { qty: 0, total: 0 })?;
//! assert_eq!(run.walks, 6);
//! assert_eq!(run.errors, 2); // qty = 0 ends both of its walks
//! let totals: Vec<u64> = run.states.unwrap().into_iter().map(|(_, cart)| cart.total).collect();
//! assert_eq!(totals.len(), 4);
//! assert!(totals.contains(&450));
//! # Ok::<(), playback_matrix::MatrixError>(())
//! ```

mod action;
mod error;
mod matrix;
mod outcome;
mod recordings;
mod setup;
mod shard;
mod trace;
mod trials;
mod walk;

pub use crate::action::{Action, FnAction, SerialAction, action};
pub use crate::error::MatrixError;
pub use crate::matrix::Matrix;
pub use crate::outcome::{MatrixRun, WalkFailure, WalkReplay};
pub use crate::recordings::{MatrixReport, RecordingMatrix};
pub use crate::setup::{InputValue, Setup};
pub use crate::shard::{INDEX_ENV, SHARD_ENV, SHARDS_ENV, shard_from, shard_from_env};
pub use crate::trace::{TRACE_ENV, TraceLine, WALK_ENV, find_walk};
pub use crate::walk::WalkId;
