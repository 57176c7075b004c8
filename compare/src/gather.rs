//! Turning a [`Studio`]'s sources into jobs: recordings grouped by category, each
//! with its category's resolved tuning.

use std::collections::BTreeMap;
use std::sync::Arc;

use crate::job::{chain, guarded};
use crate::report::Problem;
use crate::run::{Job, RecordingEntry, UNKNOWN_CATEGORY, common_category};
use crate::studio::{Source, Studio};
use crate::tuning::{Resolved, Tuning};

/// One entry of a category, with its position in the input when it was given
/// directly (store entries are numbered in category order instead).
type Entry = (Option<usize>, RecordingEntry);

impl Studio {
    /// Groups the store's recordings by category (in category order) with their
    /// problems.
    fn gather(&self) -> (BTreeMap<String, Vec<Entry>>, Vec<Problem>) {
        let mut groups: BTreeMap<String, Vec<Entry>> = BTreeMap::new();
        let mut problems = Vec::new();
        let mut add = |category: Option<&str>, entry: RecordingEntry| {
            let name = entry
                .recording()
                .map(|r| r.category.clone())
                .or_else(|| category.map(str::to_owned))
                .unwrap_or_else(|| UNKNOWN_CATEGORY.to_owned());
            groups.entry(name).or_default().push((None, entry));
        };
        match &self.source {
            Source::Given(_) => {}
            Source::Store(store) => {
                if let Some(ids) = &self.ids {
                    for id in ids {
                        let mut entry = RecordingEntry::from(store.get(id));
                        entry.known_id = Some(id.clone());
                        add(None, entry);
                    }
                } else if self.categories.is_empty() {
                    match store.find(&self.lookup) {
                        Ok(found) => found.into_iter().for_each(|e| add(None, e.into())),
                        Err(e) => problems.push(Problem::new(
                            None,
                            format!("failed to look up recordings: {}", chain(&e)),
                        )),
                    }
                } else {
                    for category in &self.categories {
                        match store.find(&self.lookup.clone().in_category(category.clone())) {
                            Ok(found) => found
                                .into_iter()
                                .for_each(|e| add(Some(category), e.into())),
                            Err(e) => problems.push(Problem::new(
                                Some(category),
                                format!("failed to look up recordings: {}", chain(&e)),
                            )),
                        }
                    }
                }
            }
        }
        (groups, problems)
    }

    /// Every recording as a job with its category's tuning, plus the problems found
    /// on the way (lookups, tuners).
    ///
    /// Recordings given directly keep their input position (the synthetic id of an
    /// unreadable one is `unreadable-<position>`), and an unreadable one is reported
    /// under the one category the readable ones share, or `"(unknown)"`.
    pub(crate) fn into_jobs(mut self) -> (Vec<Job>, Vec<Problem>) {
        let (mut groups, mut problems) = self.gather();
        if let Source::Given(entries) =
            std::mem::replace(&mut self.source, Source::Given(Vec::new()))
        {
            let shared = common_category(&entries);
            for (position, entry) in entries.into_iter().enumerate() {
                let name = entry
                    .recording()
                    .map(|r| r.category.clone())
                    .unwrap_or_else(|| shared.clone());
                groups
                    .entry(name)
                    .or_default()
                    .push((Some(position), entry));
            }
        }
        let mut jobs = Vec::new();
        let mut counter = 0;
        for (category, entries) in groups {
            let tuning = match self.tuning_for(&category) {
                Ok(t) => t,
                Err(message) => {
                    problems.push(Problem::new(Some(&category), message));
                    counter += entries.len();
                    continue;
                }
            };
            for (given, entry) in entries {
                jobs.push(Job {
                    entry,
                    tuning: Arc::clone(&tuning),
                    category: category.clone(),
                    position: given.unwrap_or(counter),
                });
                counter += 1;
            }
        }
        (jobs, problems)
    }

    fn tuning_for(&self, category: &str) -> Result<Arc<Resolved>, String> {
        let own = match (self.tunings.get(category), &self.tuner) {
            (Some(t), _) => t.clone(),
            (None, Some(tuner)) => match guarded(|| tuner(category)) {
                Ok(Ok(t)) => t,
                Ok(Err(e)) => {
                    return Err(format!(
                        "the tuner failed for this category, so its recordings were not replayed: {}",
                        chain(&*e)
                    ));
                }
                Err(p) => {
                    return Err(format!(
                        "the tuner panicked for this category, so its recordings were not replayed: {p}"
                    ));
                }
            },
            (None, None) => Tuning::new(),
        };
        Ok(Arc::new(own.over(&self.defaults).resolve()))
    }
}
