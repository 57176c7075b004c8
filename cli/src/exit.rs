//! The exit codes, as named constants.

/// The command did what was asked; `diff` found no difference; `review` left nothing
/// pending.
pub(crate) const OK: u8 = 0;
/// `diff`: the two sides differ. `review`: changes were rejected or skipped and stay
/// pending, so the tests they belong to still fail. `audit`: a detector flagged a value.
pub(crate) const DIFFERENT: u8 = 1;
/// A usage error (clap), an unreachable or unreadable store, a missing or invalid file,
/// or recordings that could not be read.
pub(crate) const ERROR: u8 = 2;

/// The exit codes as `--help` prints them.
pub(crate) const HELP: &str = "\
Exit codes:
  0  success: done, no differences (diff), nothing left pending (review)
  1  differences found (diff), changes rejected or left pending (review), values
     flagged (audit)
  2  usage error, store or file error, unreadable recordings";
