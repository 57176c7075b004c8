//! The limits on what a store reads: outside data is bounded before it is parsed.

use std::fs;
use std::io::{self, Read};
use std::path::Path;

use crate::error::StoreError;
use crate::format::Summary;

/// The largest recording (or S3 index object) a store reads, in bytes: 64 MiB.
///
/// The layer writes recordings of at most 8 MiB of serialized values by default
/// (`max_recording_bytes`), so a larger file is not a recording playback wrote with
/// default settings. A file or object over the limit is refused with
/// [`StoreError::TooLarge`] before it is read into memory, so a huge or sparse file in
/// a store cannot exhaust the memory of a listing.
///
/// ```
/// assert_eq!(playback_store::MAX_RECORDING_BYTES, 64 * 1024 * 1024);
/// ```
pub const MAX_RECORDING_BYTES: u64 = 64 * 1024 * 1024;

/// The deepest JSON nesting a recording may have: 127 arrays or objects inside one
/// another, counted from the document's root. This is the fixed limit of the JSON
/// parser (`serde_json`, which this crate never builds with `unbounded_depth`).
///
/// A deeper document is refused with [`StoreError::TooDeep`] instead of recursing
/// further, so no document can overflow the stack of a reader, of a comparison or of
/// a redaction that walks the parsed values.
///
/// ```
/// use playback_store::{MAX_JSON_DEPTH, Recording, StoreError};
/// let deep = format!("{}{}", "[".repeat(MAX_JSON_DEPTH + 1), "]".repeat(MAX_JSON_DEPTH + 1));
/// let err = Recording::from_json_at(deep.as_bytes(), "deep.json").unwrap_err();
/// assert!(matches!(err, StoreError::TooDeep { limit: 127, .. }));
/// ```
pub const MAX_JSON_DEPTH: usize = 127;

/// Refuses `len` bytes over [`MAX_RECORDING_BYTES`].
pub(crate) fn check_size(len: u64, origin: &str) -> Result<(), StoreError> {
    if len > MAX_RECORDING_BYTES {
        return Err(StoreError::TooLarge {
            origin: origin.to_owned(),
            size: len,
            limit: MAX_RECORDING_BYTES,
        });
    }
    Ok(())
}

/// Refuses a document nested deeper than [`MAX_JSON_DEPTH`], whether or not it is
/// valid JSON. The parser stops at that depth by itself only where it builds values:
/// it checks the raw parts of a recording (arguments, return values) without a limit.
pub(crate) fn check_depth(bytes: &[u8], origin: &str) -> Result<(), StoreError> {
    if nests_deeper_than(bytes, MAX_JSON_DEPTH) {
        return Err(StoreError::TooDeep {
            origin: origin.to_owned(),
            limit: MAX_JSON_DEPTH,
        });
    }
    Ok(())
}

/// Whether JSON text nests arrays and objects more than `limit` levels deep (brackets
/// inside strings do not count). Text that is not JSON is scanned the same way; an
/// unterminated string ends the scan.
///
/// The recorder uses it to mark a value the reader would refuse (deeper than
/// [`MAX_JSON_DEPTH`] with the document around it) as unrecordable when it is captured.
///
/// ```
/// use playback_store::nests_deeper_than;
/// assert!(!nests_deeper_than(br#"[[1], {"a": "[[[["}]"#, 2));
/// assert!(nests_deeper_than(b"[[[1]]]", 2));
/// ```
pub fn nests_deeper_than(bytes: &[u8], limit: usize) -> bool {
    // Fewer opening brackets than the limit, wherever they are: cannot be deeper.
    if memchr::memchr2_iter(b'[', b'{', bytes).count() <= limit {
        return false;
    }
    let mut depth = 0usize;
    let mut bytes = bytes.iter();
    while let Some(&b) = bytes.next() {
        match CLASS[usize::from(b)] {
            // Inside a string only a quote or a backslash matters; an unterminated
            // string ends the scan (the parser reports it).
            QUOTE => loop {
                match bytes.next().map(|&c| CLASS[usize::from(c)]) {
                    None => return false,
                    Some(QUOTE) => break,
                    // The next byte is escaped, whatever it is.
                    Some(BACKSLASH) => {
                        bytes.next();
                    }
                    Some(_) => {}
                }
            },
            OPEN => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            CLOSE => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

const QUOTE: u8 = 1;
const BACKSLASH: u8 = 2;
const OPEN: u8 = 3;
const CLOSE: u8 = 4;

/// What each byte is to the depth scan (a table lookup is cheaper than a comparison
/// chain in the loop, and strings are mostly short, so a search call per string is not).
static CLASS: [u8; 256] = {
    let mut t = [0u8; 256];
    t[b'"' as usize] = QUOTE;
    t[b'\\' as usize] = BACKSLASH;
    t[b'[' as usize] = OPEN;
    t[b'{' as usize] = OPEN;
    t[b']' as usize] = CLOSE;
    t[b'}' as usize] = CLOSE;
    t
};

/// The error for a document the JSON parser refused: [`StoreError::TooDeep`] when it
/// nests deeper than [`MAX_JSON_DEPTH`], else [`StoreError::Corrupt`].
pub(crate) fn parse_error(source: serde_json::Error, origin: &str) -> StoreError {
    // serde_json has no public error code; its message for this case is stable
    // ("recursion limit exceeded at line .. column ..").
    if source.to_string().starts_with("recursion limit exceeded") {
        StoreError::TooDeep {
            origin: origin.to_owned(),
            limit: MAX_JSON_DEPTH,
        }
    } else {
        StoreError::Corrupt {
            origin: origin.to_owned(),
            source,
        }
    }
}

/// Reads a file of at most [`MAX_RECORDING_BYTES`]: a larger one is refused from its
/// size before any byte is read, and a file that grows while it is read is cut at the
/// limit and refused too.
pub(crate) fn read_file(path: &Path) -> io::Result<Result<Vec<u8>, u64>> {
    let file = fs::File::open(path)?;
    let len = file.metadata()?.len();
    if len > MAX_RECORDING_BYTES {
        return Ok(Err(len));
    }
    let mut bytes = Vec::with_capacity(usize::try_from(len).unwrap_or(0));
    file.take(MAX_RECORDING_BYTES + 1).read_to_end(&mut bytes)?;
    let read = u64::try_from(bytes.len()).unwrap_or(u64::MAX);
    if read > MAX_RECORDING_BYTES {
        return Ok(Err(read));
    }
    Ok(Ok(bytes))
}

/// `recorded_at` as RFC 3339, refusing on read a time whose UTC date is outside the
/// range the `time` crate represents (years -9999 to 9999): every store and query
/// converts `recorded_at` to UTC, which would panic on such a time.
pub(crate) mod rfc3339_in_utc_range {
    use serde::de::Error as _;
    use serde::{Deserializer, Serializer};
    use time::{OffsetDateTime, UtcOffset};

    pub(crate) fn serialize<S: Serializer>(at: &OffsetDateTime, s: S) -> Result<S::Ok, S::Error> {
        time::serde::rfc3339::serialize(at, s)
    }

    pub(crate) fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<OffsetDateTime, D::Error> {
        let at = time::serde::rfc3339::deserialize(d)?;
        match at.checked_to_offset(UtcOffset::UTC) {
            Some(_) => Ok(at),
            None => Err(D::Error::custom(format!(
                "recorded_at {at} is outside the years -9999 to 9999 in UTC"
            ))),
        }
    }
}

impl Summary {
    /// Parses a summary as the S3 store keeps it in an index object, naming `origin` in
    /// errors: over [`MAX_RECORDING_BYTES`] is [`StoreError::TooLarge`], nested deeper
    /// than [`MAX_JSON_DEPTH`] is [`StoreError::TooDeep`], anything else that is not a
    /// summary is [`StoreError::Corrupt`].
    ///
    /// ```
    /// use playback_store::{Recording, StoreError, Summary};
    /// let rec = Recording::builder("checkout").build();
    /// let json = serde_json::to_vec(&rec.summary()).unwrap();
    /// assert_eq!(Summary::from_json_at(&json, "index.json")?, rec.summary());
    /// let err = Summary::from_json_at(&json[..json.len() / 2], "index.json").unwrap_err();
    /// assert!(matches!(err, StoreError::Corrupt { .. }));
    /// # Ok::<(), StoreError>(())
    /// ```
    pub fn from_json_at(bytes: &[u8], origin: &str) -> Result<Summary, StoreError> {
        check_size(u64::try_from(bytes.len()).unwrap_or(u64::MAX), origin)?;
        check_depth(bytes, origin)?;
        serde_json::from_slice(bytes).map_err(|err| parse_error(err, origin))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Recording;

    fn nested(depth: usize) -> String {
        format!("{}{}", "[".repeat(depth), "]".repeat(depth))
    }

    #[test]
    fn nesting_up_to_the_limit_parses_and_one_more_level_is_too_deep() {
        let ok: serde_json::Value = serde_json::from_str(&nested(MAX_JSON_DEPTH)).unwrap();
        assert!(ok.is_array());
        let err =
            serde_json::from_str::<serde_json::Value>(&nested(MAX_JSON_DEPTH + 1)).unwrap_err();
        assert!(matches!(
            parse_error(err, "x"),
            StoreError::TooDeep { limit: 127, .. }
        ));
    }

    #[test]
    fn a_hundred_thousand_levels_inside_a_recording_value_are_too_deep_not_a_stack_overflow() {
        let rec = Recording::builder("c").build();
        let text = String::from_utf8(rec.to_json().unwrap()).unwrap();
        let deep = text.replacen(
            "\"metadata\": {}",
            &format!("\"metadata\": {{\"x\": {}}}", nested(100_000)),
            1,
        );
        assert_ne!(
            deep, text,
            "the metadata field is where the test expects it"
        );
        let err = Recording::from_json_at(deep.as_bytes(), "deep.json").unwrap_err();
        assert!(matches!(err, StoreError::TooDeep { .. }), "{err}");
        assert_eq!(
            err.to_string(),
            "recording at deep.json nests JSON deeper than 127 levels, the most a store reads: \
             it is not a recording playback wrote; delete it or move it out of the store"
        );
        let err = Summary::from_json_at(deep.as_bytes(), "index.json").unwrap_err();
        assert!(matches!(err, StoreError::TooDeep { .. }), "{err}");
    }

    #[test]
    fn a_time_outside_the_utc_range_is_corrupt_not_a_panic_later() {
        let rec = Recording::builder("c").build();
        let mut doc: serde_json::Value = serde_json::from_slice(&rec.to_json().unwrap()).unwrap();
        doc["recorded_at"] = "9999-12-31T23:59:59-23:59".into();
        let err = Recording::from_json_at(doc.to_string().as_bytes(), "late.json").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
        let summary = serde_json::json!({"id": rec.id(), "category": "c", "operation": "",
            "recorded_at": "9999-12-31T23:59:59-23:59", "duration_us": 0, "outcome": "ok",
            "metadata": {}});
        let err = Summary::from_json_at(summary.to_string().as_bytes(), "i.json").unwrap_err();
        assert!(matches!(err, StoreError::Corrupt { .. }), "{err}");
    }

    #[test]
    fn depth_counts_brackets_outside_strings_only() {
        assert!(check_depth(nested(MAX_JSON_DEPTH).as_bytes(), "x").is_ok());
        assert!(check_depth(nested(MAX_JSON_DEPTH + 1).as_bytes(), "x").is_err());
        let quoted = format!("[\"{}\\\"{}\"]", "[".repeat(500), "{".repeat(500));
        assert!(check_depth(quoted.as_bytes(), "x").is_ok(), "{quoted}");
        assert!(check_depth("[".repeat(MAX_JSON_DEPTH + 1).as_bytes(), "x").is_err());
        // An escaped backslash ends the escape: the quote after it closes the string.
        let closed = format!("[\"a\\\\\"{}", "[".repeat(MAX_JSON_DEPTH));
        assert!(check_depth(closed.as_bytes(), "x").is_err(), "{closed}");
        // A lone backslash at the very end, and an unterminated string, are left to the parser.
        assert!(check_depth(b"[\"abc\\", "x").is_ok());
        assert!(check_depth(b"[\"abc", "x").is_ok());
    }

    /// The byte-by-byte scan the fast one replaced, as the reference.
    fn depth_reference(bytes: &[u8]) -> bool {
        let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
        for &b in bytes {
            if in_string {
                match (escaped, b) {
                    (true, _) => escaped = false,
                    (false, b'\\') => escaped = true,
                    (false, b'"') => in_string = false,
                    _ => {}
                }
                continue;
            }
            match b {
                b'"' => in_string = true,
                b'[' | b'{' => {
                    depth += 1;
                    if depth > MAX_JSON_DEPTH {
                        return false;
                    }
                }
                b']' | b'}' => depth = depth.saturating_sub(1),
                _ => {}
            }
        }
        true
    }

    #[test]
    fn the_fast_depth_scan_agrees_with_the_byte_scan() {
        let balanced = [b'[', b'{', b']', b'}', b'"', b'\\', b'a', b' '];
        // Drifts deeper, so the limit is passed in many inputs.
        let deepening = [b'[', b'[', b'[', b'{', b'"', b'\\', b'a', b']'];
        let mut rng = fastrand::Rng::with_seed(16);
        let mut too_deep = 0;
        for round in 0..20_000 {
            let (alphabet, len) = match round % 4 {
                0 => (deepening, rng.usize(0..1_500)),
                1 => (balanced, rng.usize(0..600)),
                _ => (balanced, rng.usize(0..60)),
            };
            let bytes: Vec<u8> = (0..len)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect();
            assert_eq!(
                check_depth(&bytes, "x").is_ok(),
                depth_reference(&bytes),
                "{}",
                String::from_utf8_lossy(&bytes)
            );
            too_deep += usize::from(!depth_reference(&bytes));
        }
        assert!(too_deep > 500, "only {too_deep} inputs went past the limit");
    }

    #[test]
    fn a_deep_argument_is_too_deep_although_the_parser_checks_raw_values_without_a_limit() {
        let rec = Recording::builder("c").build();
        let text = String::from_utf8(rec.to_json().unwrap()).unwrap();
        let deep = text.replacen(
            "\"args\": {}",
            &format!("\"args\": {{\"x\": {}}}", nested(5_000)),
            1,
        );
        assert_ne!(deep, text);
        let err = Recording::from_json_at(deep.as_bytes(), "deep.json").unwrap_err();
        assert!(matches!(err, StoreError::TooDeep { .. }), "{err}");
    }

    #[test]
    fn documents_over_the_size_limit_are_refused_before_parsing() {
        let err = check_size(MAX_RECORDING_BYTES + 1, "big.json").unwrap_err();
        assert_eq!(
            err.to_string(),
            "recording at big.json is 67108865 bytes, over the 67108864-byte limit on what a \
             store reads (MAX_RECORDING_BYTES): it is not a recording playback wrote; delete \
             it or move it out of the store"
        );
        assert!(check_size(MAX_RECORDING_BYTES, "ok.json").is_ok());
    }

    #[test]
    fn a_sparse_file_of_a_gigabyte_is_refused_from_its_size() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("huge.json");
        fs::File::create(&path).unwrap().set_len(1 << 30).unwrap();
        assert_eq!(read_file(&path).unwrap(), Err(1 << 30));
        fs::write(&path, b"{}").unwrap();
        assert_eq!(read_file(&path).unwrap(), Ok(b"{}".to_vec()));
    }
}
