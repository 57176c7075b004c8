//! Which headers are recorded: an allow list (all headers when unset) and a deny list
//! that always starts with the credentials.

use std::collections::BTreeMap;

use http::HeaderMap;
use http::header::HeaderName;

/// Headers that are never recorded, whatever the allow list says.
///
/// ```
/// assert!(playback_http::ALWAYS_DENIED.contains(&"authorization"));
/// ```
pub const ALWAYS_DENIED: &[&str] = &[
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
];

/// Selects the headers that are recorded.
///
/// By default every header is recorded except [`ALWAYS_DENIED`]; [`HeaderFilter::allow`]
/// restricts it to a list, [`HeaderFilter::deny`] leaves out more. The credentials in
/// `ALWAYS_DENIED` are never recorded, even when allowed.
///
/// ```
/// use playback_http::HeaderFilter;
/// let mut headers = http::HeaderMap::new();
/// headers.insert("authorization", "Bearer secret".parse().unwrap());
/// headers.insert("x-tenant", "acme".parse().unwrap());
/// headers.insert("x-trace", "123".parse().unwrap());
/// let selected = HeaderFilter::new().deny(["x-trace"]).select(&headers);
/// assert_eq!(selected.len(), 1);
/// assert_eq!(selected["x-tenant"], "acme");
/// ```
#[derive(Debug, Clone, Default)]
pub struct HeaderFilter {
    allow: Option<Vec<HeaderName>>,
    deny: Vec<HeaderName>,
}

impl HeaderFilter {
    /// Every header except the credentials.
    ///
    /// ```
    /// let f = playback_http::HeaderFilter::new();
    /// assert!(f.keeps("content-type") && !f.keeps("cookie"));
    /// ```
    pub fn new() -> Self {
        HeaderFilter::default()
    }

    /// Records only these headers (still never the credentials).
    ///
    /// ```
    /// let f = playback_http::HeaderFilter::new().allow(["content-type", "authorization"]);
    /// assert!(f.keeps("content-type"));
    /// assert!(!f.keeps("accept") && !f.keeps("authorization"));
    /// ```
    pub fn allow<I, N>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: AsRef<str>,
    {
        self.allow = Some(
            names
                .into_iter()
                .filter_map(|n| parse(n.as_ref()))
                .collect(),
        );
        self
    }

    /// Never records these headers either.
    ///
    /// ```
    /// let f = playback_http::HeaderFilter::new().deny(["x-request-id"]);
    /// assert!(!f.keeps("X-Request-Id"));
    /// ```
    pub fn deny<I, N>(mut self, names: I) -> Self
    where
        I: IntoIterator<Item = N>,
        N: AsRef<str>,
    {
        self.deny
            .extend(names.into_iter().filter_map(|n| parse(n.as_ref())));
        self
    }

    /// Whether a header of this name is recorded (names are case-insensitive).
    ///
    /// ```
    /// assert!(!playback_http::HeaderFilter::new().keeps("Set-Cookie"));
    /// ```
    pub fn keeps(&self, name: &str) -> bool {
        parse(name).is_some_and(|n| self.keeps_name(&n))
    }

    fn keeps_name(&self, name: &HeaderName) -> bool {
        if ALWAYS_DENIED.contains(&name.as_str()) || self.deny.contains(name) {
            return false;
        }
        self.allow.as_ref().is_none_or(|allow| allow.contains(name))
    }

    /// The recorded headers: lowercase names, values as text (repeated headers joined
    /// with `, `; a value that is not text is left out).
    ///
    /// ```
    /// let mut h = http::HeaderMap::new();
    /// h.append("accept", "a".parse().unwrap());
    /// h.append("accept", "b".parse().unwrap());
    /// assert_eq!(playback_http::HeaderFilter::new().select(&h)["accept"], "a, b");
    /// ```
    pub fn select(&self, headers: &HeaderMap) -> BTreeMap<String, String> {
        let mut out: BTreeMap<String, String> = BTreeMap::new();
        for (name, value) in headers {
            if !self.keeps_name(name) {
                continue;
            }
            let Ok(value) = value.to_str() else { continue };
            out.entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push_str(", ");
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_owned());
        }
        out
    }
}

fn parse(name: &str) -> Option<HeaderName> {
    HeaderName::from_bytes(name.trim().to_ascii_lowercase().as_bytes()).ok()
}
