//! Listing a store: readable summaries, with unreadable entries warned about.

use playback_store::{Query, Store, StoreError, Summary};

use crate::error::CliError;
use crate::output::warn;

/// The summaries `query` matches, newest first, and how many entries could not be
/// read (each one is warned about on stderr).
pub(crate) fn summaries(
    store: &dyn Store,
    query: &Query,
) -> Result<(Vec<Summary>, usize), CliError> {
    let mut found = Vec::new();
    let mut unreadable = 0;
    for entry in store.list(query)? {
        match entry {
            Ok(summary) => found.push(summary),
            Err(err) => {
                unreadable += 1;
                warn(&unreadable_message(&err));
            }
        }
    }
    Ok((found, unreadable))
}

fn unreadable_message(err: &StoreError) -> String {
    format!("skipped an unreadable recording: {err}")
}

/// The exit code once the work is done: an error when some entries were unreadable.
pub(crate) fn finish(unreadable: usize) -> Result<u8, CliError> {
    if unreadable > 0 {
        return Err(CliError::Unreadable { count: unreadable });
    }
    Ok(crate::exit::OK)
}
