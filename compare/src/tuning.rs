//! `Tuning`: the player, extractors and comparator used for one category.

use std::fmt;
use std::sync::Arc;

use playback_replay::{Playback, Side};
use playback_store::Recording;
use serde_json::Value;

use crate::comparator::{BoxError, Comparator, Context, FnComparator, result_and_outputs};
use crate::diff::JsonDiff;
use crate::verdict::Verdict;

pub(crate) type PlayerFn = dyn Fn(&Recording) -> Result<Playback, BoxError> + Send + Sync;
pub(crate) type ExtractFn = dyn Fn(&Side) -> Result<Value, BoxError> + Send + Sync;
pub(crate) type DataFn = dyn Fn(&Recording) -> Result<Value, BoxError> + Send + Sync;

/// The per-category plugin bundle: a player, a result extractor, a comparator and a
/// comparison-data extractor (playback-studio's `EqualizerTuning`). Everything left
/// unset falls back to the studio's defaults, and then to the built-in ones:
/// automatic replay (`playback::replay_recording`), [`result_and_outputs`],
/// [`JsonDiff::new`], no comparison data.
///
/// ```
/// use playback_compare::{JsonDiff, Tuning};
/// let tuning = Tuning::new()
///     .extractor(|side| Ok::<_, std::convert::Infallible>(side.result().clone()))
///     .comparator(JsonDiff::new().ignore("/created_at"));
/// assert!(format!("{tuning:?}").contains("extractor: true"));
/// ```
#[derive(Clone, Default)]
pub struct Tuning {
    pub(crate) player: Option<Arc<PlayerFn>>,
    pub(crate) extractor: Option<Arc<ExtractFn>>,
    pub(crate) comparator: Option<Arc<dyn Comparator>>,
    pub(crate) data: Option<Arc<DataFn>>,
}

impl fmt::Debug for Tuning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tuning")
            .field("player", &self.player.is_some())
            .field("extractor", &self.extractor.is_some())
            .field("comparator", &self.comparator.is_some())
            .field("comparison_data", &self.data.is_some())
            .finish()
    }
}

impl Tuning {
    /// A tuning that changes nothing.
    ///
    /// ```
    /// assert!(format!("{:?}", playback_compare::Tuning::new()).contains("player: false"));
    /// ```
    pub fn new() -> Self {
        Tuning::default()
    }

    /// Sets the player: the function that replays one recording and returns both sides.
    ///
    /// An `Err` or a panic from the player makes the recording [`crate::Status::Failed`].
    ///
    /// ```
    /// use playback_replay::{Playback, Side};
    /// let t = playback_compare::Tuning::new().player(|rec: &playback_store::Recording| {
    ///     let side = Side::new(serde_json::Value::Null, false, vec![], std::time::Duration::ZERO);
    ///     Ok::<_, std::io::Error>(Playback::new(rec.id.clone(), rec.category.clone(), side.clone(), side, vec![]))
    /// });
    /// assert!(format!("{t:?}").contains("player: true"));
    /// ```
    pub fn player<F, E>(mut self, player: F) -> Self
    where
        F: Fn(&Recording) -> Result<Playback, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.player = Some(Arc::new(move |r: &Recording| player(r).map_err(Into::into)));
        self
    }

    /// Sets the result extractor, run on the recorded and on the replayed side; its two
    /// results are what the comparator compares. An `Err` or a panic makes the
    /// recording [`crate::Status::Error`].
    ///
    /// ```
    /// let t = playback_compare::Tuning::new()
    ///     .extractor(|side| Ok::<_, std::convert::Infallible>(side.result().clone()));
    /// assert!(format!("{t:?}").contains("extractor: true"));
    /// ```
    pub fn extractor<F, E>(mut self, extractor: F) -> Self
    where
        F: Fn(&Side) -> Result<Value, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.extractor = Some(Arc::new(move |s: &Side| extractor(s).map_err(Into::into)));
        self
    }

    /// Sets the comparator.
    ///
    /// ```
    /// let t = playback_compare::Tuning::new().comparator(playback_compare::JsonDiff::new());
    /// assert!(format!("{t:?}").contains("comparator: true"));
    /// ```
    pub fn comparator<C: Comparator>(mut self, comparator: C) -> Self {
        self.comparator = Some(Arc::new(comparator));
        self
    }

    /// Sets a closure as the comparator. It gets the extracted recorded and replayed
    /// values and a [`Context`]; it may call [`JsonDiff::diff`] to extend the default.
    ///
    /// ```
    /// use playback_compare::{JsonDiff, Verdict};
    /// let t = playback_compare::Tuning::new().compare_with(|a, b, _ctx| {
    ///     let mut found = JsonDiff::new().diff(a, b);
    ///     found.retain(|d| !d.path.ends_with("/etag"));
    ///     Ok::<_, std::convert::Infallible>(Verdict::from_differences(found))
    /// });
    /// assert!(format!("{t:?}").contains("comparator: true"));
    /// ```
    pub fn compare_with<F, E>(self, comparator: F) -> Self
    where
        F: Fn(&Value, &Value, &Context<'_>) -> Result<Verdict, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.comparator(FnComparator(comparator))
    }

    /// Sets the comparison-data extractor: it reads the recording (its metadata, its
    /// arguments) and its result reaches the comparator as [`Context::data`].
    ///
    /// ```
    /// let t = playback_compare::Tuning::new()
    ///     .comparison_data(|rec| Ok::<_, std::convert::Infallible>(serde_json::Value::Object(rec.metadata.clone())));
    /// assert!(format!("{t:?}").contains("comparison_data: true"));
    /// ```
    pub fn comparison_data<F, E>(mut self, data: F) -> Self
    where
        F: Fn(&Recording) -> Result<Value, E> + Send + Sync + 'static,
        E: Into<BoxError>,
    {
        self.data = Some(Arc::new(move |r: &Recording| data(r).map_err(Into::into)));
        self
    }

    /// Fills what this tuning leaves unset from `base`.
    pub(crate) fn over(self, base: &Tuning) -> Tuning {
        Tuning {
            player: self.player.or_else(|| base.player.clone()),
            extractor: self.extractor.or_else(|| base.extractor.clone()),
            comparator: self.comparator.or_else(|| base.comparator.clone()),
            data: self.data.or_else(|| base.data.clone()),
        }
    }

    /// Applies the built-in defaults.
    pub(crate) fn resolve(self) -> Resolved {
        Resolved {
            player: self.player,
            extractor: self
                .extractor
                .unwrap_or_else(|| Arc::new(|s: &Side| Ok(result_and_outputs(s)))),
            comparator: self.comparator.unwrap_or_else(|| Arc::new(JsonDiff::new())),
            data: self.data,
        }
    }
}

/// A tuning with the defaults applied.
pub(crate) struct Resolved {
    pub(crate) player: Option<Arc<PlayerFn>>,
    pub(crate) extractor: Arc<ExtractFn>,
    pub(crate) comparator: Arc<dyn Comparator>,
    pub(crate) data: Option<Arc<DataFn>>,
}

impl fmt::Debug for Resolved {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Resolved")
            .field("player", &self.player.is_some())
            .field("comparison_data", &self.data.is_some())
            .finish_non_exhaustive()
    }
}
