//! Shared test helpers: golden files and data through environment variables.

#![allow(dead_code)]

use std::path::PathBuf;

/// Resolves an environment variable as a path, relative paths from the workspace root.
pub fn env_path(var: &str) -> Option<PathBuf> {
    let value = std::env::var_os(var)?;
    let path = PathBuf::from(value);
    if path.is_absolute() {
        return Some(path);
    }
    let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    Some(root.join(path))
}

/// Loads `NORMLAB_GOLDEN/pncrit/<name>`, or prints the skip notice and returns `None`.
pub fn golden(name: &str) -> Option<serde_json::Value> {
    let Some(dir) = env_path("NORMLAB_GOLDEN") else {
        println!("skipped: NORMLAB_GOLDEN not set");
        return None;
    };
    let text =
        std::fs::read_to_string(dir.join("pncrit").join(name)).expect("golden file is readable");
    Some(serde_json::from_str(&text).expect("golden file is JSON"))
}

/// Returns `NORMLAB_PNCRIT_DATA`, or prints the skip notice and returns `None`.
pub fn data_dir() -> Option<PathBuf> {
    let dir = env_path("NORMLAB_PNCRIT_DATA");
    if dir.is_none() {
        println!("skipped: NORMLAB_PNCRIT_DATA not set");
    }
    dir
}

/// Asserts |actual − expected| ≤ tol·max(|expected|, 1e-300).
pub fn assert_rel(actual: f64, expected: f64, tol: f64, what: &str) {
    let err = (actual - expected).abs() / expected.abs().max(1e-300);
    assert!(
        err <= tol,
        "{what}: {actual} vs {expected} (relative error {err:.3e} > {tol:e})"
    );
}

/// Reads a number from a JSON value.
pub fn num(v: &serde_json::Value) -> f64 {
    v.as_f64().expect("a JSON number")
}
