//! [`CategoryCache`]: category names by route, made once, so asking the sampler about a
//! request formats nothing.

use std::collections::HashMap;
use std::fmt;
use std::sync::{Arc, PoisonError, RwLock};

/// A bounded cache of operation categories by method and route (axum's matched route,
/// a gRPC method path): the name is made the first time a route is seen and shared
/// afterwards, so a request costs a lookup, not a formatted string.
///
/// It holds at most `capacity` names; past that a new route's name is made on every
/// request and not kept, so routes taken from the outside (raw paths) cannot grow it.
/// [`RecordLayer`](crate::RecordLayer) and playback-grpc's `RecordLayer` use one each.
///
/// ```
/// let cache = playback_http::CategoryCache::new(16);
/// let made = cache.get(&http::Method::GET, "/carts/{id}", || {
///     playback_http::category_name("GET", "/carts/{id}")
/// });
/// assert_eq!(&*made, "GET carts.{id}");
/// // the second time the name comes from the cache: `make` is not called
/// let again = cache.get(&http::Method::GET, "/carts/{id}", || unreachable!());
/// assert!(std::sync::Arc::ptr_eq(&made, &again));
/// ```
pub struct CategoryCache {
    capacity: usize,
    names: RwLock<Routes>,
}

/// The names by route, then by method (a route has few methods).
#[derive(Default)]
struct Routes {
    by_route: HashMap<Box<str>, Vec<(http::Method, Arc<str>)>>,
    len: usize,
}

impl fmt::Debug for CategoryCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let len = self.names.read().map_or(0, |r| r.len);
        f.debug_struct("CategoryCache")
            .field("capacity", &self.capacity)
            .field("len", &len)
            .finish()
    }
}

impl CategoryCache {
    /// A cache that keeps at most `capacity` names.
    ///
    /// ```
    /// let cache = playback_http::CategoryCache::new(2);
    /// assert!(format!("{cache:?}").contains("capacity: 2"));
    /// ```
    pub fn new(capacity: usize) -> Self {
        CategoryCache {
            capacity,
            names: RwLock::new(Routes::default()),
        }
    }

    /// The category of `method` on `route`: from the cache, or made by `make` (and kept
    /// while the cache has room).
    ///
    /// ```
    /// let cache = playback_http::CategoryCache::new(1);
    /// let a = cache.get(&http::Method::POST, "/a", || "POST a".to_owned());
    /// // full: `/b` is made every time and not kept
    /// let b = cache.get(&http::Method::POST, "/b", || "POST b".to_owned());
    /// assert_eq!((&*a, &*b), ("POST a", "POST b"));
    /// assert!(format!("{cache:?}").contains("len: 1"));
    /// ```
    pub fn get(
        &self,
        method: &http::Method,
        route: &str,
        make: impl FnOnce() -> String,
    ) -> Arc<str> {
        {
            let routes = self.names.read().unwrap_or_else(PoisonError::into_inner);
            if let Some(name) = routes.find(method, route) {
                return name;
            }
            if routes.len >= self.capacity {
                return Arc::from(make());
            }
        }
        let name: Arc<str> = Arc::from(make());
        let mut routes = self.names.write().unwrap_or_else(PoisonError::into_inner);
        if let Some(kept) = routes.find(method, route) {
            // another request made it meanwhile
            return kept;
        }
        if routes.len < self.capacity {
            routes.len += 1;
            routes
                .by_route
                .entry(route.into())
                .or_default()
                .push((method.clone(), name.clone()));
        }
        name
    }
}

impl Routes {
    fn find(&self, method: &http::Method, route: &str) -> Option<Arc<str>> {
        self.by_route
            .get(route)?
            .iter()
            .find(|(m, _)| m == method)
            .map(|(_, name)| name.clone())
    }
}
