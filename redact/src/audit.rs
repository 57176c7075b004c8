//! `audit`: what the detectors flag in recordings already stored.

use playback_store::{OpResult, Query, Recording, RecordingId, Store};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::detect::Detectors;
use crate::error::RedactError;
use crate::rules::{Detector, Mode, Rules};

/// One value a detector flagged: where, and which detector. Never the value.
///
/// ```
/// use playback_store::{MemoryStore, Recording, Store};
/// let store = MemoryStore::new();
/// let rec = Recording::builder("signup").metadata("contact", "ann@example.com").build();
/// store.put(&rec)?;
/// let report = playback_redact::audit(&store, &playback_redact::Rules::new())?;
/// assert_eq!(report.findings[0].to_string(), format!("{} /metadata/contact email", rec.id));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Finding {
    /// The recording.
    pub recording: RecordingId,
    /// Where in it, as a path of the rules' document (`/inputs/<alias>/key/..`).
    pub path: String,
    /// What flagged it.
    pub detector: Detector,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {} {}",
            self.recording,
            self.path,
            self.detector.name()
        )
    }
}

/// What [`audit`] found.
///
/// ```
/// let report = playback_redact::audit(&playback_store::MemoryStore::new(), &playback_redact::Rules::new())?;
/// assert!(report.findings.is_empty() && report.scanned == 0);
/// # Ok::<(), playback_redact::RedactError>(())
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct AuditReport {
    /// How many recordings were read.
    pub scanned: usize,
    /// Recordings that could not be read (their id, when known, and the error).
    pub unreadable: Vec<String>,
    /// Every flagged value, by recording and path.
    pub findings: Vec<Finding>,
}

/// Scans every recording in `store` with the detectors of `rules` (all of them when
/// `rules` turns none on), and reports the recording, the path and the detector of each
/// value they flag, never the value.
///
/// ```
/// use playback_store::{MemoryStore, Recording, Store};
/// let store = MemoryStore::new();
/// store.put(&Recording::builder("signup").metadata("contact", "ann@example.com").build())?;
/// let report = playback_redact::audit(&store, &playback_redact::Rules::new())?;
/// assert_eq!(report.findings.len(), 1);
/// assert_eq!(report.findings[0].path, "/metadata/contact");
/// assert!(!format!("{report:?}").contains("ann@"));
/// # Ok::<(), Box<dyn std::error::Error>>(())
/// ```
pub fn audit(store: &dyn Store, rules: &Rules) -> Result<AuditReport, RedactError> {
    let on = if rules.detectors().is_empty() {
        Detector::ALL.to_vec()
    } else {
        rules.detectors().to_vec()
    };
    let detectors = Detectors::new(&on, Mode::Remove);
    let mut report = AuditReport::default();
    let found = store
        .find(&Query::all())
        .map_err(|source| RedactError::Store { source })?;
    for rec in found {
        match rec {
            Ok(rec) => {
                report.scanned += 1;
                scan_recording(&detectors, &rec, &mut report.findings);
            }
            Err(e) => report.unreadable.push(e.to_string()),
        }
    }
    Ok(report)
}

fn scan_recording(d: &Detectors, rec: &Recording, out: &mut Vec<Finding>) {
    let mut scan = |path: String, v: &Value| {
        walk(d, &mut path.clone(), v, &mut |path, det| {
            let f = Finding {
                recording: rec.id.clone(),
                path: path.to_owned(),
                detector: det,
            };
            if !out.contains(&f) {
                out.push(f);
            }
        });
    };
    for (name, raw) in &rec.args {
        scan(format!("/args/{}", escape(name)), &parse(raw));
    }
    match &rec.result {
        Some(OpResult::Returned { value, .. }) => scan("/result".into(), &parse(value)),
        Some(OpResult::Panicked { message }) => {
            scan("/result/panic".into(), &message.as_str().into())
        }
        _ => {}
    }
    for (k, v) in &rec.metadata {
        if k != crate::apply::RULES_METADATA {
            scan(format!("/metadata/{}", escape(k)), v);
        }
    }
    for i in &rec.interceptions {
        let kind = match i.kind {
            playback_store::InterceptionKind::Output => "outputs",
            _ => "inputs",
        };
        let base = format!("/{kind}/{}", escape(&i.alias));
        if let Some(key) = &i.key {
            scan(format!("{base}/key"), key);
        }
        if let Some(args) = &i.args {
            scan(format!("{base}/args"), &parse(args));
        }
        if let Some(value) = &i.value {
            scan(format!("{base}/value"), &parse(value));
        }
        if let Some(p) = &i.panic {
            scan(format!("{base}/panic"), &p.as_str().into());
        }
    }
}

fn walk(d: &Detectors, path: &mut String, v: &Value, found: &mut dyn FnMut(&str, Detector)) {
    match v {
        Value::String(s) => d.find(s, |det, _, _| found(path, det)),
        Value::Object(map) => {
            for (k, v) in map {
                let len = path.len();
                path.push('/');
                path.push_str(&escape(k));
                d.find(k, |det, _, _| found(path, det));
                walk(d, path, v, found);
                path.truncate(len);
            }
        }
        Value::Array(items) => {
            for (i, v) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("/{i}"));
                walk(d, path, v, found);
                path.truncate(len);
            }
        }
        _ => {}
    }
}

fn parse(raw: &RawValue) -> Value {
    serde_json::from_str(raw.get()).unwrap_or(Value::Null)
}

fn escape(s: &str) -> String {
    s.replace('~', "~0").replace('/', "~1")
}
