//! Values that replay fills in for the arguments a recording does not hold: state an
//! operation takes by type (`skip(db)`, axum's `State<T>` and `Extension<T>`, the
//! `self` of a `#[playback::service]` method), registered once per type on a
//! [`Replayer`](crate::Replayer).

use std::any::{Any, TypeId};
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use crate::registry::ArgError;

type Make = dyn Fn() -> Box<dyn Any> + Send + Sync;

/// The provided values, by type. Replay never touches them: they stand in for a
/// database, a connection or a shutdown handle that the replayed code receives but
/// whose calls are replayed.
///
/// ```
/// let replayer = playback_replay::Replayer::new().provide(|| String::from("replay db"));
/// let value: String = replayer.providers().get("db").unwrap();
/// assert_eq!(value, "replay db");
/// ```
#[derive(Clone, Default)]
pub struct Providers {
    by_type: HashMap<TypeId, (&'static str, Arc<Make>)>,
}

impl fmt::Debug for Providers {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_list()
            .entries(self.by_type.values().map(|(name, _)| name))
            .finish()
    }
}

impl Providers {
    pub(crate) fn insert<T: 'static>(&mut self, make: impl Fn() -> T + Send + Sync + 'static) {
        let make: Arc<Make> = Arc::new(move || Box::new(make()) as Box<dyn Any>);
        self.by_type
            .insert(TypeId::of::<T>(), (std::any::type_name::<T>(), make));
    }

    /// A fresh value of type `T` for the argument `arg`, or the error that names the
    /// missing registration.
    ///
    /// ```
    /// let providers = playback_replay::Providers::default();
    /// let err = providers.get::<u32>("limit").unwrap_err();
    /// assert!(format!("{err:?}").contains("u32"));
    /// ```
    pub fn get<T: 'static>(&self, arg: &'static str) -> Result<T, ArgError> {
        let missing = || ArgError::MissingProvider {
            arg,
            type_name: std::any::type_name::<T>(),
        };
        let (_, make) = self.by_type.get(&TypeId::of::<T>()).ok_or_else(missing)?;
        make().downcast::<T>().map(|b| *b).map_err(|_| missing())
    }

    /// Whether a value of type `T` is provided.
    ///
    /// ```
    /// let replayer = playback_replay::Replayer::new().provide(|| 7u8);
    /// assert!(replayer.providers().has::<u8>());
    /// ```
    pub fn has<T: 'static>(&self) -> bool {
        self.by_type.contains_key(&TypeId::of::<T>())
    }
}
