//! The byte budget: every byte an operation captures, from its first interception until
//! the store has taken its recording, is reserved here first. The sum never passes
//! `max_queued_bytes`, so recordings in progress and recordings waiting for the writer
//! together hold at most that much, whatever the traffic and however slow the store.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// The bytes held for recordings, against their limit.
#[derive(Debug)]
pub(crate) struct Budget {
    used: AtomicUsize,
    peak: AtomicUsize,
    limit: usize,
}

impl Budget {
    pub(crate) fn new(limit: usize) -> Arc<Budget> {
        Arc::new(Budget {
            used: AtomicUsize::new(0),
            peak: AtomicUsize::new(0),
            limit,
        })
    }

    /// Adds `bytes` to `held`, unless that would take the budget past its limit: then
    /// nothing changes and it returns `false`. Never waits.
    #[inline]
    pub(crate) fn grow(self: &Arc<Self>, held: &mut Reservation, bytes: usize) -> bool {
        let limit = self.limit;
        let reserved = self
            .used
            .fetch_update(Ordering::AcqRel, Ordering::Acquire, |used| {
                used.checked_add(bytes).filter(|&after| after <= limit)
            });
        let Ok(before) = reserved else {
            return false;
        };
        let after = before + bytes;
        if after > self.peak.load(Ordering::Relaxed) {
            self.peak.fetch_max(after, Ordering::Relaxed);
        }
        if held.budget.is_none() {
            held.budget = Some(self.clone());
        }
        held.bytes += bytes;
        true
    }

    /// The bytes held now.
    pub(crate) fn used(&self) -> usize {
        self.used.load(Ordering::Acquire)
    }

    /// The most bytes ever held at once.
    pub(crate) fn peak(&self) -> usize {
        self.peak.load(Ordering::Relaxed)
    }
}

/// Bytes one operation holds in the [`Budget`]; given back when dropped (the operation
/// was dropped, or the store has taken its recording).
#[derive(Debug, Default)]
pub(crate) struct Reservation {
    budget: Option<Arc<Budget>>,
    bytes: usize,
}

impl Drop for Reservation {
    fn drop(&mut self) {
        if let Some(budget) = &self.budget {
            budget.used.fetch_sub(self.bytes, Ordering::AcqRel);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reservations_never_pass_the_limit_and_are_given_back_on_drop() {
        let budget = Budget::new(100);
        let mut a = Reservation::default();
        let mut b = Reservation::default();
        assert!(budget.grow(&mut a, 60));
        assert!(!budget.grow(&mut b, 41), "60 + 41 is over 100");
        assert!(budget.grow(&mut b, 40));
        assert_eq!(budget.used(), 100);
        assert!(!budget.grow(&mut a, 1));
        drop(a);
        assert_eq!(budget.used(), 40);
        assert!(budget.grow(&mut b, 60));
        drop(b);
        assert_eq!(budget.used(), 0);
        assert_eq!(budget.peak(), 100);
        assert!(!budget.grow(&mut Reservation::default(), usize::MAX));
    }
}
