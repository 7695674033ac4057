//! `config.json` of a Hugging Face model folder, read into a typed config of
//! one architecture.

use std::path::Path;

use serde::de::DeserializeOwned;

use crate::Error;

/// Reads `<dir>/config.json` into `T` after checking that its `model_type`
/// is one of `model_types`.
///
/// # Errors
/// [`Error::Read`] when the file cannot be read, and [`Error::Model`] when it
/// is not JSON, names another `model_type` or lacks a field `T` needs.
pub fn read_config<T: DeserializeOwned>(
    dir: &Path,
    model_types: &[&str],
    arch_name: &str,
) -> Result<T, Error> {
    let path = dir.join("config.json");
    let text = std::fs::read_to_string(&path).map_err(|error| Error::Read {
        path: path.clone(),
        error,
    })?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| invalid_config(&path, e))?;

    let model_type = value.get("model_type").and_then(|v| v.as_str());
    match model_type {
        Some(found) if model_types.contains(&found) => {}
        found => {
            return Err(Error::Model {
                path,
                reason: format!(
                    "model_type {} is not a {arch_name} model (expected {})",
                    found.map_or("(missing)".to_string(), |s| format!("\"{s}\"")),
                    model_types.join(" or ")
                ),
                fix: "pass a folder of a supported architecture, or fix model_type".into(),
            });
        }
    }

    serde_json::from_value(value).map_err(|e| invalid_config(&path, e))
}

/// Returns the model folder of `path`: the folder itself, or the parent of
/// a file inside it.
pub fn model_dir(path: &Path) -> &Path {
    if path.is_file() {
        path.parent().unwrap_or(path)
    } else {
        path
    }
}

/// Builds the error for a config value that the forward pass does not support.
pub fn unsupported(dir: &Path, reason: String, fix: &str) -> Error {
    Error::Model {
        path: dir.join("config.json"),
        reason,
        fix: fix.into(),
    }
}

/// Checks that `n_heads` divides `hidden_size` and returns the head width.
pub fn head_dim(dir: &Path, hidden_size: usize, n_heads: usize) -> Result<usize, Error> {
    if n_heads == 0 || hidden_size == 0 || !hidden_size.is_multiple_of(n_heads) {
        return Err(unsupported(
            dir,
            format!("hidden size {hidden_size} is not a positive multiple of {n_heads} heads"),
            "fix the hidden size or head count in config.json",
        ));
    }
    Ok(hidden_size / n_heads)
}

fn invalid_config(path: &Path, error: serde_json::Error) -> Error {
    Error::Model {
        path: path.to_path_buf(),
        reason: format!("invalid config.json: {error}"),
        fix: "pass the config.json saved with the weights".into(),
    }
}
