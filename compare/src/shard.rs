//! Sharding: a stable split of recordings across CI machines.

use std::fmt;
use std::str::FromStr;

use playback_store::RecordingId;
use serde::{Deserialize, Serialize};

use crate::error::Error;

/// One part of a sharded run: shard `index` of `total`, counted from 1 (as GitLab's
/// `CI_NODE_INDEX`/`CI_NODE_TOTAL` and nextest's `--partition hash:1/4`).
///
/// A recording belongs to shard `fnv1a64(id) % total + 1`, where `fnv1a64` is the
/// 64-bit FNV-1a hash of the id's UTF-8 bytes. The hash never changes between
/// versions or platforms, so `total` machines running shards `1..=total` over the same
/// recordings replay disjoint parts whose union is the whole set, and
/// [`crate::Report::merge`] puts their JSON reports back together.
///
/// ```
/// use playback_compare::Shard;
/// let id = playback_store::RecordingId::parse("01J9ZQ4Z1W2X3Y4Z5A6B7C8D9E")?;
/// let owners: Vec<u32> = (1..=3).filter(|k| Shard::new(*k, 3).unwrap().contains(&id)).collect();
/// assert_eq!(owners.len(), 1);
/// assert_eq!("2/4".parse::<Shard>()?, Shard::new(2, 4)?);
/// assert!(Shard::new(0, 4).is_err());
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Shard {
    index: u32,
    total: u32,
}

impl Shard {
    /// Shard `index` of `total`; `1 <= index <= total` or [`Error::InvalidShard`].
    ///
    /// ```
    /// assert_eq!(playback_compare::Shard::new(1, 2).unwrap().total(), 2);
    /// assert!(playback_compare::Shard::new(3, 2).is_err());
    /// ```
    pub fn new(index: u32, total: u32) -> Result<Shard, Error> {
        if total == 0 || index == 0 || index > total {
            return Err(Error::InvalidShard { index, total });
        }
        Ok(Shard { index, total })
    }

    /// The shard's number, from 1.
    ///
    /// ```
    /// assert_eq!(playback_compare::Shard::new(2, 3).unwrap().index(), 2);
    /// ```
    pub fn index(&self) -> u32 {
        self.index
    }

    /// How many shards there are.
    ///
    /// ```
    /// assert_eq!(playback_compare::Shard::new(2, 3).unwrap().total(), 3);
    /// ```
    pub fn total(&self) -> u32 {
        self.total
    }

    /// Whether the recording belongs to this shard.
    ///
    /// ```
    /// let id = playback_store::RecordingId::generate();
    /// assert!(playback_compare::Shard::new(1, 1).unwrap().contains(&id));
    /// ```
    pub fn contains(&self, id: &RecordingId) -> bool {
        Shard::owner(id.as_str(), self.total) == self.index
    }

    /// Whether the item with this key (a scenario matrix's walk id, or any stable
    /// text) belongs to this shard: the same FNV-1a rule as [`Shard::contains`].
    ///
    /// ```
    /// let id = playback_store::RecordingId::generate();
    /// let shard = playback_compare::Shard::new(2, 3).unwrap();
    /// assert_eq!(shard.contains_key(id.as_str()), shard.contains(&id));
    /// ```
    pub fn contains_key(&self, key: &str) -> bool {
        Shard::owner(key, self.total) == self.index
    }

    /// The shard (from 1) that owns `id` among `total` shards.
    pub(crate) fn owner(id: &str, total: u32) -> u32 {
        let hash = playback_store::fnv1a(id.as_bytes());
        let total = u64::from(total.max(1));
        u32::try_from(hash % total).unwrap_or(0) + 1
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.index, self.total)
    }
}

impl FromStr for Shard {
    type Err = Error;

    /// Parses `"k/n"`.
    fn from_str(s: &str) -> Result<Shard, Error> {
        let invalid = || Error::ShardSyntax { text: s.to_owned() };
        let (k, n) = s.trim().split_once('/').ok_or_else(invalid)?;
        let k = k.trim().parse().map_err(|_| invalid())?;
        let n = n.trim().parse().map_err(|_| invalid())?;
        Shard::new(k, n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_id_has_exactly_one_owner_and_owners_spread() {
        let mut per_shard = [0usize; 4];
        for _ in 0..400 {
            let id = RecordingId::generate();
            let owners: Vec<u32> = (1..=4)
                .filter(|k| Shard::new(*k, 4).unwrap().contains(&id))
                .collect();
            assert_eq!(owners.len(), 1);
            per_shard[owners[0] as usize - 1] += 1;
        }
        assert!(per_shard.iter().all(|n| *n > 50), "{per_shard:?}");
    }

    #[test]
    fn owner_is_stable_for_a_given_id() {
        assert_eq!(
            Shard::owner("01J9ZQ4Z1W2X3Y4Z5A6B7C8D9E", 7),
            Shard::owner("01J9ZQ4Z1W2X3Y4Z5A6B7C8D9E", 7)
        );
        assert_eq!(Shard::owner("a", 1), 1);
    }

    #[test]
    fn parse_rejects_bad_syntax_and_bad_ranges() {
        assert!(matches!(
            "x".parse::<Shard>(),
            Err(Error::ShardSyntax { .. })
        ));
        assert!(matches!(
            "1/x".parse::<Shard>(),
            Err(Error::ShardSyntax { .. })
        ));
        assert!(matches!(
            "5/4".parse::<Shard>(),
            Err(Error::InvalidShard { index: 5, total: 4 })
        ));
        assert_eq!(
            " 1 / 4 ".parse::<Shard>().unwrap(),
            Shard::new(1, 4).unwrap()
        );
        assert_eq!(Shard::new(3, 4).unwrap().to_string(), "3/4");
    }
}
