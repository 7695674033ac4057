//! The disk cache of chat completions.
//!
//! One file per request at `<dir>/ab/cd/<key>.json`, where `<key>` is the
//! sha256 of the canonical request (see [`super::cache_key`]). Files are
//! written to a temporary name and renamed, so a reader never sees half a file.
//! The API key is never part of a request and never stored.

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The cache policy: which cache reads and writes a request makes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum CachePolicy {
    /// Read hits, write misses.
    #[default]
    Use,
    /// Neither read nor write.
    Off,
    /// Ignore hits, overwrite with fresh responses.
    Refresh,
    /// Read hits; a miss is an error and nothing is sent.
    Only,
}

/// One cached exchange.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Entry {
    /// The canonical request that produced the key.
    pub request: Value,
    /// The server's JSON reply.
    pub response: Value,
    /// Seconds since the Unix epoch when the reply arrived.
    pub time_unix_s: u64,
    /// Wall time of the successful HTTP call, in milliseconds.
    pub latency_ms: u64,
    /// HTTP attempts made, the successful one included.
    pub attempts: u32,
    /// True when the server rejected `response_format` and the reply came in text mode.
    pub text_mode: bool,
    /// The prompt template, if any.
    pub template: Option<String>,
    /// The sha256 of the template's bytes.
    pub template_sha256: Option<String>,
}

/// A cache folder with its policy.
#[derive(Clone, Debug)]
pub struct Cache {
    /// The root folder (`.../normlab/ineqmath/llm` by default).
    pub dir: PathBuf,
    /// The policy.
    pub policy: CachePolicy,
}

/// Returns the default cache root:
/// `${NORMLAB_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/normlab}/ineqmath/llm`.
pub fn default_dir() -> PathBuf {
    let env = |name| std::env::var_os(name).filter(|v| !v.is_empty());
    let normlab = env("NORMLAB_CACHE").map(PathBuf::from).unwrap_or_else(|| {
        let base = env("XDG_CACHE_HOME").map(PathBuf::from).unwrap_or_else(|| {
            Path::new(&env("HOME").unwrap_or_else(|| ".".into())).join(".cache")
        });
        base.join("normlab")
    });
    normlab.join("ineqmath").join("llm")
}

impl Cache {
    /// Returns the file path of `key`.
    pub fn path(&self, key: &str) -> PathBuf {
        self.dir
            .join(key.get(0..2).unwrap_or("00"))
            .join(key.get(2..4).unwrap_or("00"))
            .join(format!("{key}.json"))
    }

    /// Returns the entry of `key` if the policy reads and the file parses.
    pub fn get(&self, key: &str) -> Option<Entry> {
        if matches!(self.policy, CachePolicy::Off | CachePolicy::Refresh) {
            return None;
        }
        let text = std::fs::read_to_string(self.path(key)).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Stores `entry` under `key` unless the policy is [`CachePolicy::Off`].
    /// A failed write is logged and otherwise ignored: the cache is an
    /// accelerator, not part of the result.
    pub fn put(&self, key: &str, entry: &Entry) {
        if self.policy == CachePolicy::Off {
            return;
        }
        let path = self.path(key);
        let tmp = path.with_extension(format!("tmp{}", std::process::id()));
        let written = path
            .parent()
            .map_or(Ok(()), std::fs::create_dir_all)
            .and_then(|()| {
                let text = serde_json::to_vec(entry).map_err(std::io::Error::other)?;
                std::fs::write(&tmp, text)?;
                std::fs::rename(&tmp, &path)
            });
        if let Err(e) = written {
            let _ = std::fs::remove_file(&tmp);
            tracing::warn!(path = %path.display(), error = %e, "cannot write the LLM cache entry");
        }
    }
}
