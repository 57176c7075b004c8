//! A matrix over recordings as cargo tests: one libtest-mimic trial per walk, so
//! `cargo test` filters walks by name and nextest partitions them (`--partition
//! hash:k/n`) like any tests.

use std::sync::Arc;

use libtest_mimic::{Failed, Trial};
use playback_store::Recording;

use crate::recordings::RecordingMatrix;
use crate::walk::{Opt, Product, axis_options, walk_id};

impl RecordingMatrix {
    /// Every walk as a test, named `<category>::<recording id>::<walk id>`: it replays
    /// the recording with the walk's options and fails when the comparison does
    /// (different, failed or error), with the options and the differences. Run them
    /// with `libtest_mimic::run(&Arguments::from_args(), trials).exit()` in a test
    /// target with `harness = false`; under nextest, `--partition hash:k/n` shards the
    /// walks across machines (the matrix's own shard setting is not applied here).
    ///
    /// ```
    /// use playback_matrix::RecordingMatrix;
    /// let recordings = vec![playback_store::Recording::builder("quote").build()];
    /// let trials = RecordingMatrix::over(recordings)
    ///     .input_axis("rounding", "shop::rounding", || ["nearest", "floor"].into_iter().map(String::from))
    ///     .trials();
    /// assert_eq!(trials.len(), 2);
    /// assert!(trials[0].name().starts_with("quote::"));
    /// ```
    pub fn trials(self) -> Vec<Trial> {
        let combinations: Vec<Vec<Opt>> = Product::new(self.refs()).collect();
        let matrix = Arc::new(self);
        let mut trials = Vec::new();
        for opts in combinations {
            let opts = Arc::new(opts);
            for rec in matrix.recordings() {
                let refs = matrix.refs();
                let id = walk_id(&refs, &opts, Some(rec.id.as_str()));
                let label: Vec<String> = axis_options(&refs, &opts)
                    .iter()
                    .map(|o| format!("{}={}", o.axis, o.value))
                    .collect();
                let name = format!("{}::{}::{id}", rec.category, rec.id);
                let (matrix, opts, rec) = (Arc::clone(&matrix), Arc::clone(&opts), rec.clone());
                let label = label.join(", ");
                trials.push(Trial::test(name, move || {
                    run_walk(&matrix, &opts, rec, &label)
                }));
            }
        }
        trials
    }
}

fn run_walk(
    matrix: &RecordingMatrix,
    opts: &[Opt],
    recording: Recording,
    label: &str,
) -> Result<(), Failed> {
    let report = matrix.combination_report(opts, recording);
    let Some(c) = report.comparisons.first() else {
        return Err(Failed::from("the replay reported nothing"));
    };
    if !c.status.fails() {
        return Ok(());
    }
    let mut message = format!("{} with {label}", c.status.as_str());
    if let Some(m) = &c.message {
        message.push_str(&format!(": {m}"));
    }
    for d in &c.differences {
        let show = |v: &Option<serde_json::Value>| {
            v.as_ref()
                .map_or("(absent)".to_owned(), ToString::to_string)
        };
        message.push_str(&format!(
            "\n  {}: {} -> {}",
            d.path,
            show(&d.recorded),
            show(&d.replayed)
        ));
    }
    Err(Failed::from(message))
}
