//! Recording bodies as stored: JSON, zstd-compressed above a size threshold.

use std::io::Read;

use playback_store::{MAX_RECORDING_BYTES, Recording, StoreError};

/// The zstd frame magic number; JSON text never starts with these bytes.
const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];
/// The compression level: fast, and about 5 to 10 times smaller for recordings.
const ZSTD_LEVEL: i32 = 3;
/// The largest zstd window a stored frame may use: 8 MiB, so decompressing a hostile
/// frame cannot make the decoder allocate a huge window.
const ZSTD_WINDOW_LOG_MAX: u32 = 23;

/// A recording ready to upload.
#[derive(Debug, Clone)]
pub(crate) struct Encoded {
    /// The stored bytes.
    pub(crate) bytes: Vec<u8>,
    /// Whether `bytes` is zstd-compressed JSON (stored with `Content-Encoding: zstd`).
    pub(crate) compressed: bool,
}

/// Serializes a recording, compressing it when the JSON is larger than `compress_above`;
/// `compact` JSON (one line, for packs) or pretty-printed (one object per recording).
pub(crate) fn encode(
    recording: &Recording,
    compress_above: usize,
    compact: bool,
) -> Result<Encoded, StoreError> {
    let json = if compact {
        serde_json::to_vec(recording).map_err(|source| StoreError::Serialize {
            id: recording.id.to_string(),
            source,
        })?
    } else {
        recording.to_json()?
    };
    if json.len() <= compress_above {
        return Ok(Encoded {
            bytes: json,
            compressed: false,
        });
    }
    match zstd::bulk::compress(&json, ZSTD_LEVEL) {
        Ok(bytes) => Ok(Encoded {
            bytes,
            compressed: true,
        }),
        // Compression of an in-memory buffer only fails on allocation problems; the
        // plain JSON is still a valid body.
        Err(_) => Ok(Encoded {
            bytes: json,
            compressed: false,
        }),
    }
}

/// Whether stored bytes are a zstd frame.
pub(crate) fn is_compressed(bytes: &[u8]) -> bool {
    bytes.starts_with(&ZSTD_MAGIC)
}

/// The JSON text of stored bytes: decompressed when they are a zstd frame (whatever
/// the object's content encoding says, so a proxy that drops the header does no harm),
/// at most [`MAX_RECORDING_BYTES`] of it.
pub(crate) fn decode(bytes: Vec<u8>, origin: &str) -> Result<Vec<u8>, StoreError> {
    if !is_compressed(&bytes) {
        return Ok(bytes);
    }
    let corrupt = |source: std::io::Error| StoreError::Backend {
        store: "s3".to_owned(),
        op: "get",
        message: format!(
            "recording at `{origin}` is a corrupt or truncated zstd frame: delete it, or restore \
             it from a copy"
        ),
        source: Some(Box::new(source)),
    };
    let mut decoder = zstd::stream::read::Decoder::new(bytes.as_slice()).map_err(corrupt)?;
    // A frame may ask for a window of up to 2 GiB; ours use at most 2 MiB (level 3).
    decoder
        .window_log_max(ZSTD_WINDOW_LOG_MAX)
        .map_err(corrupt)?;
    let mut json = Vec::new();
    decoder
        .take(MAX_RECORDING_BYTES + 1)
        .read_to_end(&mut json)
        .map_err(corrupt)?;
    let size = u64::try_from(json.len()).unwrap_or(u64::MAX);
    if size > MAX_RECORDING_BYTES {
        return Err(too_large(origin)(size));
    }
    Ok(json)
}

/// The error for a stored object of `size` bytes, over [`MAX_RECORDING_BYTES`] (stored
/// or decompressed).
pub(crate) fn too_large(origin: &str) -> impl FnOnce(u64) -> StoreError + use<> {
    let origin = origin.to_owned();
    move |size| StoreError::TooLarge {
        origin,
        size,
        limit: MAX_RECORDING_BYTES,
    }
}

/// Parses stored bytes into a recording.
pub(crate) fn decode_recording(bytes: Vec<u8>, origin: &str) -> Result<Recording, StoreError> {
    let json = decode(bytes, origin)?;
    Recording::from_json_at(&json, origin)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn big_recording() -> Recording {
        let mut b = Recording::builder("c");
        for i in 0..200 {
            b = b.metadata(format!("key{i}"), "a fairly repetitive value");
        }
        b.build()
    }

    #[test]
    fn small_recordings_stay_plain_json() {
        let rec = Recording::builder("c").build();
        let enc = encode(&rec, 4096, false).unwrap();
        assert!(!enc.compressed);
        assert_eq!(enc.bytes.first(), Some(&b'{'));
        let back = decode_recording(enc.bytes, "k").unwrap();
        assert_eq!(back.id, rec.id);
    }

    #[test]
    fn large_recordings_are_compressed_and_round_trip() {
        let rec = big_recording();
        let plain = rec.to_json().unwrap();
        let enc = encode(&rec, 4096, false).unwrap();
        assert!(enc.compressed);
        assert!(is_compressed(&enc.bytes));
        assert!(
            enc.bytes.len() * 4 < plain.len(),
            "{} vs {}",
            enc.bytes.len(),
            plain.len()
        );
        let back = decode_recording(enc.bytes, "k").unwrap();
        assert_eq!(back.metadata.len(), 200);
    }

    #[test]
    fn a_truncated_zstd_body_is_an_error_naming_the_key() {
        let enc = encode(&big_recording(), 0, false).unwrap();
        let cut = enc.bytes[..enc.bytes.len() / 2].to_vec();
        let err = decode_recording(cut, "p/recordings/x.json").unwrap_err();
        assert!(err.to_string().contains("p/recordings/x.json"), "{err}");
    }
}
