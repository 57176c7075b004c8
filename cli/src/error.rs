//! The CLI's error type: one clear line, and a hint printed after it.

use std::path::PathBuf;

use playback_store::StoreError;

/// Everything a command can fail with.
#[derive(Debug, thiserror::Error)]
pub(crate) enum CliError {
    #[error("no store given")]
    NoStore,

    #[error("store directory `{}` does not exist", path.display())]
    NoDir { path: PathBuf },

    #[error("`{}` is not a directory", path.display())]
    NotADir { path: PathBuf },

    #[error("invalid S3 URL `{url}`: {reason}")]
    S3Url { url: String, reason: &'static str },

    #[cfg(not(feature = "s3"))]
    #[error("this playback was built without S3 support, so it cannot open `{url}`")]
    NoS3 { url: String },

    #[error("{0}")]
    Store(#[from] StoreError),

    #[error("{0}")]
    Report(#[from] playback_compare::Error),

    #[error("failed to {op} `{}`: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },

    #[error("`{arg}` is neither a file nor a recording id")]
    NotFileOrId { arg: String },

    #[error("`{}` is neither a playback recording nor a playback report", path.display())]
    UnknownDocument { path: PathBuf },

    #[error("cannot diff a {a} with a {b}")]
    MixedKinds { a: &'static str, b: &'static str },

    #[error("{count} recording(s) could not be read")]
    Unreadable { count: usize },

    #[error("{0}")]
    Pending(#[from] playback_harness::Error),

    #[error("review works on a directory of recordings, not on `{url}`")]
    ReviewNeedsDir { url: String },

    #[error("failed to read the answer: {0}")]
    Prompt(std::io::Error),

    #[error("nothing to render")]
    NothingToRender,

    #[error("{0}")]
    Audit(#[from] playback_redact::RedactError),

    #[error("{0}")]
    Matrix(#[from] playback_matrix::MatrixError),

    #[error("the trace `{}` records no command to run", path.display())]
    NoCommandInTrace { path: PathBuf },

    #[cfg_attr(not(feature = "s3"), allow(dead_code))]
    #[error("no `.json` report under `{url}`")]
    NoReports { url: String },
}

impl CliError {
    /// What to do about it, printed as `hint: ...`.
    pub(crate) fn hint(&self) -> Option<String> {
        let hint = match self {
            CliError::NoStore => {
                "pass `--dir PATH` or `--s3 s3://bucket/prefix`, or set PLAYBACK_STORE".into()
            }
            CliError::NoDir { .. } => {
                "check the path; `playback pull --to DIR` creates a directory store".into()
            }
            CliError::NotADir { .. } => "pass the root folder of a directory store".into(),
            CliError::S3Url { .. } => "write it as `s3://bucket/prefix`".into(),
            #[cfg(not(feature = "s3"))]
            CliError::NoS3 { .. } => {
                "install with S3 support: `cargo install --path cli --features s3`".into()
            }
            CliError::Store(err) => store_hint(err)?,
            CliError::Report(_) => {
                "reports are the JSON files written by `Report::write_json` or `report merge`"
                    .into()
            }
            CliError::Io { .. } => "check the path and its permissions".into(),
            CliError::NotFileOrId { .. } => {
                "give a path to a recording or report file, or an id as `playback list` prints it"
                    .into()
            }
            CliError::UnknownDocument { .. } => {
                "diff takes two recordings (ids or `.json` files) or two report files".into()
            }
            CliError::MixedKinds { .. } => {
                "give two recordings, or two reports, not one of each".into()
            }
            CliError::Unreadable { .. } => {
                "the warnings above name them; `playback show ID` tells more".into()
            }
            CliError::Pending(_) => {
                "pending changes are written by a test run with PLAYBACK_UPDATE=new".into()
            }
            CliError::ReviewNeedsDir { .. } => {
                "pass `--dir` with the directory the tests replay, such as tests/recordings".into()
            }
            CliError::Prompt(_) => "pass --accept or --reject when stdin cannot be read".into(),
            CliError::NothingToRender => "pass `--html PATH`, `--junit PATH` or both".into(),
            CliError::Audit(_) => "check that the store is reachable and readable".into(),
            CliError::Matrix(_) => {
                "traces are the JSON-lines files a matrix writes with `.trace(path)`".into()
            }
            CliError::NoReports { .. } => {
                "check the prefix: the shards write their reports under it, e.g. `reports/run-42/`"
                    .into()
            }
            CliError::NoCommandInTrace { .. } => {
                "run your matrix's program yourself with the environment printed above".into()
            }
        };
        Some(hint)
    }
}

fn store_hint(err: &StoreError) -> Option<String> {
    let hint = match err {
        StoreError::InvalidId { .. } => "ids are the 26-character ULIDs `playback list` prints",
        StoreError::NotFound { .. } => "list the ids with `playback list`",
        StoreError::InvalidCategory { .. } => "categories are plain names such as `checkout`",
        StoreError::ReadOnly { .. } => "this command needs a store it may write to",
        StoreError::Backend { .. } => {
            "check the bucket, the AWS credentials and region, and AWS_ENDPOINT_URL"
        }
        _ => return None,
    };
    Some(hint.to_owned())
}
