//! Which shard this process runs, from the flags or the environment that CI systems
//! and Kubernetes set.

use playback_compare::Shard;

use crate::error::MatrixError;

/// `k/n`: the shard to run (GitHub Actions / GitLab CI matrix jobs).
///
/// ```
/// assert_eq!(playback_matrix::SHARD_ENV, "PLAYBACK_SHARD");
/// ```
pub const SHARD_ENV: &str = "PLAYBACK_SHARD";
/// How many shards there are, with [`INDEX_ENV`] (Kubernetes Indexed Jobs).
///
/// ```
/// assert_eq!(playback_matrix::SHARDS_ENV, "PLAYBACK_SHARDS");
/// ```
pub const SHARDS_ENV: &str = "PLAYBACK_SHARDS";
/// The 0-based index Kubernetes sets in each pod of an Indexed Job.
///
/// ```
/// assert_eq!(playback_matrix::INDEX_ENV, "JOB_COMPLETION_INDEX");
/// ```
pub const INDEX_ENV: &str = "JOB_COMPLETION_INDEX";

/// The shard this process runs, or `None` for every walk.
///
/// In order of precedence:
///
/// 1. `shard`: a `--shard k/n` flag (`k` from 1);
/// 2. `PLAYBACK_SHARD=k/n`;
/// 3. `JOB_COMPLETION_INDEX=i` (from 0, as Kubernetes Indexed Jobs set it) with
///    `shards` (a `--shards n` flag) or `PLAYBACK_SHARDS=n`: shard `i + 1` of `n`.
///
/// `JOB_COMPLETION_INDEX` without a shard count is an error (set `--shards` or
/// `PLAYBACK_SHARDS` to the job's `completions`), so a job never silently runs every
/// walk in every pod. `env` reads a variable (`|k| std::env::var(k).ok()` in a
/// program), so tests need not touch the process environment.
///
/// ```
/// use playback_matrix::shard_from;
/// let env = |k: &str| match k {
///     "JOB_COMPLETION_INDEX" => Some("2".to_owned()),
///     "PLAYBACK_SHARDS" => Some("4".to_owned()),
///     _ => None,
/// };
/// assert_eq!(shard_from(None, None, env)?.unwrap().to_string(), "3/4");
/// assert_eq!(shard_from(Some("1/2"), None, env)?.unwrap().to_string(), "1/2");
/// assert!(shard_from(None, None, |_| None)?.is_none());
/// # Ok::<(), playback_matrix::MatrixError>(())
/// ```
pub fn shard_from(
    shard: Option<&str>,
    shards: Option<u32>,
    env: impl Fn(&str) -> Option<String>,
) -> Result<Option<Shard>, MatrixError> {
    let parse = |text: &str, source: &str| {
        text.parse::<Shard>().map_err(|e| MatrixError::Shard {
            reason: format!("{source}: {e}"),
        })
    };
    if let Some(text) = shard {
        return parse(text, "--shard").map(Some);
    }
    if let Some(text) = env(SHARD_ENV).filter(|t| !t.trim().is_empty()) {
        return parse(&text, SHARD_ENV).map(Some);
    }
    let Some(index) = env(INDEX_ENV).filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    let index: u32 = index.trim().parse().map_err(|_| MatrixError::Shard {
        reason: format!("{INDEX_ENV}={index} is not a number"),
    })?;
    let total = match shards {
        Some(n) => n,
        None => {
            let text = env(SHARDS_ENV).ok_or_else(|| MatrixError::Shard {
                reason: format!(
                    "{INDEX_ENV} is set but not the shard count: set --shards or {SHARDS_ENV} to the job's completions"
                ),
            })?;
            text.trim().parse().map_err(|_| MatrixError::Shard {
                reason: format!("{SHARDS_ENV}={text} is not a number"),
            })?
        }
    };
    Shard::new(index.saturating_add(1), total)
        .map(Some)
        .map_err(|e| MatrixError::Shard {
            reason: format!("{INDEX_ENV}={index} with {total} shards: {e}"),
        })
}

/// [`shard_from`] with no flags, reading the process environment.
///
/// ```
/// // in CI: PLAYBACK_SHARD=2/4, or JOB_COMPLETION_INDEX=1 with PLAYBACK_SHARDS=4
/// let shard = playback_matrix::shard_from_env()?;
/// # let _ = shard;
/// # Ok::<(), playback_matrix::MatrixError>(())
/// ```
pub fn shard_from_env() -> Result<Option<Shard>, MatrixError> {
    shard_from(None, None, |k| std::env::var(k).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn index_without_a_count_is_an_error_and_flags_win() {
        let env = |k: &str| (k == INDEX_ENV).then(|| "0".to_owned());
        assert!(shard_from(None, None, env).is_err());
        assert_eq!(
            shard_from(None, Some(3), env).unwrap().unwrap().to_string(),
            "1/3"
        );
        let both = |k: &str| match k {
            SHARD_ENV => Some("2/2".to_owned()),
            INDEX_ENV => Some("0".to_owned()),
            _ => None,
        };
        assert_eq!(
            shard_from(None, Some(3), both)
                .unwrap()
                .unwrap()
                .to_string(),
            "2/2"
        );
        assert!(shard_from(Some("3/2"), None, both).is_err());
    }
}
