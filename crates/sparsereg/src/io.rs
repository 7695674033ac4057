//! JSON files written through a temporary file and a rename, so that an
//! error never leaves a partial file.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("a.json");
//! sparsereg::io::write_json_atomic(&path, &vec![1, 2]).unwrap();
//! let back: Vec<i32> = sparsereg::io::read_json(&path).unwrap();
//! assert_eq!(back, vec![1, 2]);
//! ```

use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Writes `value` as pretty JSON to `path` through `.NAME.tmp<pid>` in the same folder.
///
/// # Errors
/// [`Error::Io`] or [`Error::Json`]; the temporary file is removed on failure.
pub fn write_json_atomic<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let text = serde_json::to_string_pretty(value).map_err(|source| Error::Json {
        path: path.display().to_string(),
        source,
    })?;
    write_text_atomic(path, &(text + "\n"))
}

/// Writes `text` to `path` through a temporary file in the same folder.
///
/// # Errors
/// [`Error::Io`]; the temporary file is removed on failure.
pub fn write_text_atomic(path: &Path, text: &str) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let result = datasets::check_replaceable(path)
        .and_then(|()| std::fs::write(&tmp, text))
        .and_then(|()| std::fs::rename(&tmp, path));
    result.map_err(|source| {
        // The write already failed; removing the leftover is best effort.
        let _ = std::fs::remove_file(&tmp);
        Error::Io {
            path: path.display().to_string(),
            source,
        }
    })
}

/// Reads a JSON file.
///
/// # Errors
/// [`Error::Io`] or [`Error::Json`].
pub fn read_json<T: DeserializeOwned>(path: &Path) -> Result<T> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    serde_json::from_str(&text).map_err(|source| Error::Json {
        path: path.display().to_string(),
        source,
    })
}
