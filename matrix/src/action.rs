//! Actions (the axes of a matrix), as a trait or as closures, and their type-erased
//! form.

use std::fmt;
use std::marker::PhantomData;
use std::sync::Arc;

use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::walk::{Opt, Options};

/// One axis of a matrix: a step of every walk, with the options it can take.
///
/// A walk runs one option of every action, in the declared order, on its own copy of
/// the state. An action whose `run` returns `Err` (or panics) ends its walk: the
/// later actions do not run, and the walk counts as failed, with the error and the
/// action's name.
///
/// `options()` is called again whenever the product restarts this axis, so it must
/// yield the same options in the same order each time (a range, a `Vec`'s iterator,
/// a generator over a file); they are never collected.
///
/// ```
/// use playback_matrix::Action;
/// struct Qty;
/// impl Action<Vec<u32>> for Qty {
///     type Option = u32;
///     type Error = String;
///     fn name(&self) -> &str { "qty" }
///     fn options(&self) -> Box<dyn Iterator<Item = u32> + Send + '_> { Box::new(1..=3) }
///     fn run(&self, qty: &u32, state: &mut Vec<u32>) -> Result<(), String> {
///         if *qty == 0 { return Err("zero".into()) }
///         state.push(*qty);
///         Ok(())
///     }
/// }
/// let mut state = Vec::new();
/// Qty.run(&2, &mut state).unwrap();
/// assert_eq!(state, [2]);
/// assert_eq!(Qty.options().count(), 3);
/// ```
pub trait Action<S>: Send + Sync + 'static {
    /// One option: it is written to the trace as JSON and read back to replay a walk.
    type Option: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What a failing run returns.
    type Error: fmt::Display;

    /// The axis's name, in reports, traces and walk ids.
    fn name(&self) -> &str;

    /// The options, lazily.
    fn options(&self) -> Box<dyn Iterator<Item = Self::Option> + Send + '_>;

    /// Runs the action with `option` on one walk's state.
    fn run(&self, option: &Self::Option, state: &mut S) -> Result<(), Self::Error>;

    /// The axis's baseline option, left out of walk ids (see [`crate::WalkId`]), so
    /// adding this axis later keeps the ids of walks that take it. Default: none.
    fn baseline(&self) -> Option<Self::Option> {
        None
    }
}

/// A serial action: a barrier between stages (see [`crate::Matrix::serial`]).
///
/// It runs once per option, on one thread, with the states of every walk that reached
/// it (each cloned for this option): `states` holds one state per walk prefix, in
/// product order. An `Err` fails every walk through this option.
///
/// ```
/// use playback_matrix::SerialAction;
/// struct Restart;
/// impl SerialAction<u32> for Restart {
///     type Option = bool;
///     type Error = String;
///     fn name(&self) -> &str { "restart" }
///     fn options(&self) -> Box<dyn Iterator<Item = bool> + Send + '_> { Box::new([false, true].into_iter()) }
///     fn run(&self, restart: &bool, states: &mut [u32]) -> Result<(), String> {
///         if *restart { states.iter_mut().for_each(|s| *s = 0) }
///         Ok(())
///     }
/// }
/// let mut states = [3, 4];
/// Restart.run(&true, &mut states).unwrap();
/// assert_eq!(states, [0, 0]);
/// ```
pub trait SerialAction<S>: Send + Sync + 'static {
    /// One option.
    type Option: Serialize + DeserializeOwned + Send + Sync + 'static;
    /// What a failing run returns.
    type Error: fmt::Display;
    /// The axis's name.
    fn name(&self) -> &str;
    /// The options, lazily.
    fn options(&self) -> Box<dyn Iterator<Item = Self::Option> + Send + '_>;
    /// Runs once for `option`, with every walk's state.
    fn run(&self, option: &Self::Option, states: &mut [S]) -> Result<(), Self::Error>;
}

/// An [`Action`] made of two closures: one that returns the options' iterator, one
/// that runs an option on a state. Made by [`crate::action`].
///
/// ```
/// use playback_matrix::{Action, action};
/// let qty = action("qty", || 1..=3u32, |q: &u32, total: &mut u32| { *total += q; Ok::<_, String>(()) });
/// let mut total = 0;
/// qty.run(&2, &mut total).unwrap();
/// assert_eq!(total, 2);
/// ```
pub struct FnAction<S, O, I, R> {
    name: String,
    options: I,
    run: R,
    baseline: Option<O>,
    _state: PhantomData<fn(&mut S)>,
}

impl<S, O, I, R> fmt::Debug for FnAction<S, O, I, R> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("FnAction")
            .field("name", &self.name)
            .finish_non_exhaustive()
    }
}

/// An action from closures: `options` returns a fresh iterator each time it is
/// called, `run` runs one option on a walk's state.
///
/// ```
/// let rounding = playback_matrix::action(
///     "rounding",
///     || ["nearest", "floor"].into_iter().map(String::from),
///     |mode: &String, state: &mut Vec<String>| { state.push(mode.clone()); Ok::<_, String>(()) },
/// );
/// use playback_matrix::Action;
/// assert_eq!(rounding.name(), "rounding");
/// assert_eq!(rounding.options().count(), 2);
/// ```
pub fn action<S, O, It, I, R, E>(
    name: impl Into<String>,
    options: I,
    run: R,
) -> FnAction<S, O, I, R>
where
    It: Iterator<Item = O> + Send + 'static,
    I: Fn() -> It + Send + Sync + 'static,
    R: Fn(&O, &mut S) -> Result<(), E> + Send + Sync + 'static,
{
    FnAction {
        name: name.into(),
        options,
        run,
        baseline: None,
        _state: PhantomData,
    }
}

impl<S, O, I, R> FnAction<S, O, I, R> {
    /// Sets the baseline option, left out of walk ids (see [`crate::WalkId`]).
    ///
    /// ```
    /// use playback_matrix::Action;
    /// let cache = playback_matrix::action("cache", || [false, true].into_iter(), |_: &bool, _: &mut ()| Ok::<_, String>(()))
    ///     .with_baseline(false);
    /// assert_eq!(cache.baseline(), Some(false));
    /// ```
    pub fn with_baseline(mut self, option: O) -> Self {
        self.baseline = Some(option);
        self
    }
}

impl<S, O, It, I, R, E> Action<S> for FnAction<S, O, I, R>
where
    S: 'static,
    It: 'static,
    O: Serialize + DeserializeOwned + Clone + Send + Sync + 'static,
    It: Iterator<Item = O> + Send,
    I: Fn() -> It + Send + Sync + 'static,
    R: Fn(&O, &mut S) -> Result<(), E> + Send + Sync + 'static,
    E: fmt::Display,
{
    type Option = O;
    type Error = E;

    fn name(&self) -> &str {
        &self.name
    }

    fn options(&self) -> Box<dyn Iterator<Item = O> + Send + '_> {
        Box::new((self.options)())
    }

    fn run(&self, option: &O, state: &mut S) -> Result<(), E> {
        (self.run)(option, state)
    }

    fn baseline(&self) -> Option<O> {
        self.baseline.clone()
    }
}

/// The options of an action, type-erased; the iterator borrows the action.
pub(crate) trait Source: Send + Sync {
    fn fresh(&self) -> Box<dyn Iterator<Item = Opt> + Send + '_>;
}

struct ParallelSource<A, S>(Arc<A>, PhantomData<fn(&mut S)>);

impl<S: 'static, A: Action<S>> Source for ParallelSource<A, S> {
    fn fresh(&self) -> Box<dyn Iterator<Item = Opt> + Send + '_> {
        Box::new(self.0.options().map(opt))
    }
}

struct SerialSource<A, S>(Arc<A>, PhantomData<fn(&mut S)>);

impl<S: 'static, A: SerialAction<S>> Source for SerialSource<A, S> {
    fn fresh(&self) -> Box<dyn Iterator<Item = Opt> + Send + '_> {
        Box::new(self.0.options().map(opt))
    }
}

/// A step's run: on one walk's state.
pub(crate) type RunOne<S> = dyn Fn(&Opt, &mut S) -> Result<(), String> + Send + Sync;
/// A serial step's run: once, on every state.
pub(crate) type RunAll<S> = dyn Fn(&Opt, &mut [S]) -> Result<(), String> + Send + Sync;
/// Reads an option back from its JSON (a trace line).
pub(crate) type Decode = dyn Fn(&Value) -> Result<Opt, serde_json::Error> + Send + Sync;

/// How a step runs: on one walk's state, or once on every state (a barrier).
pub(crate) enum Step<S> {
    Parallel(Box<RunOne<S>>),
    Serial(Box<RunAll<S>>),
}

/// An action with its option type erased.
pub(crate) struct Axis<S> {
    pub(crate) name: String,
    pub(crate) baseline: Option<Value>,
    pub(crate) source: Box<dyn Source>,
    pub(crate) decode: Box<Decode>,
    pub(crate) step: Step<S>,
}

impl<S> Options for Axis<S> {
    fn axis_name(&self) -> &str {
        &self.name
    }
    fn fresh(&self) -> Box<dyn Iterator<Item = Opt> + Send + '_> {
        self.source.fresh()
    }
    fn baseline_json(&self) -> Option<&Value> {
        self.baseline.as_ref()
    }
}

pub(crate) fn opt<O: Serialize + Send + Sync + 'static>(value: O) -> Opt {
    Opt {
        json: serde_json::to_value(&value).unwrap_or_else(|e| Value::String(format!("<{e}>"))),
        value: Arc::new(value),
    }
}

fn decode<O: DeserializeOwned + Serialize + Send + Sync + 'static>(
    json: &Value,
) -> Result<Opt, serde_json::Error> {
    let value: O = serde_json::from_value(json.clone())?;
    Ok(opt(value))
}

fn option_of<O: 'static>(o: &Opt) -> Result<&O, String> {
    o.value
        .downcast_ref::<O>()
        .ok_or_else(|| String::from("an option of another type"))
}

impl<S: 'static> Axis<S> {
    pub(crate) fn parallel<A: Action<S>>(action: A) -> Axis<S> {
        let action = Arc::new(action);
        let baseline = action
            .baseline()
            .and_then(|b| serde_json::to_value(&b).ok());
        Axis {
            name: action.name().to_owned(),
            baseline,
            source: Box::new(ParallelSource(Arc::clone(&action), PhantomData)),
            decode: Box::new(decode::<A::Option>),
            step: Step::Parallel(Box::new(move |o, state| {
                action
                    .run(option_of::<A::Option>(o)?, state)
                    .map_err(|e| e.to_string())
            })),
        }
    }

    pub(crate) fn serial<A: SerialAction<S>>(action: A) -> Axis<S> {
        let action = Arc::new(action);
        Axis {
            name: action.name().to_owned(),
            baseline: None,
            source: Box::new(SerialSource(Arc::clone(&action), PhantomData)),
            decode: Box::new(decode::<A::Option>),
            step: Step::Serial(Box::new(move |o, states| {
                action
                    .run(option_of::<A::Option>(o)?, states)
                    .map_err(|e| e.to_string())
            })),
        }
    }
}
