//! Helpers shared by the tests: locating the golden and data folders.

#![allow(dead_code)]

use std::path::PathBuf;

use serde_json::Value;

fn resolve(var: &str) -> Option<PathBuf> {
    let Some(root) = std::env::var_os(var) else {
        println!("skipped: {var} not set");
        return None;
    };
    let root = PathBuf::from(root);
    Some(if root.is_relative() {
        PathBuf::from(env!("CARGO_MANIFEST_DIR"))
            .join("../..")
            .join(root)
    } else {
        root
    })
}

/// Returns `$NORMLAB_GOLDEN/ineqmath`, or `None` (after a notice) when unset.
pub fn golden_dir() -> Option<PathBuf> {
    resolve("NORMLAB_GOLDEN").map(|root| root.join("ineqmath"))
}

/// Returns `$NORMLAB_INEQMATH`, or `None` (after a notice) when unset.
pub fn data_dir() -> Option<PathBuf> {
    resolve("NORMLAB_INEQMATH")
}

/// Reads and parses a golden JSON file.
pub fn golden_json(name: &str) -> Option<Value> {
    let path = golden_dir()?.join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|err| panic!("cannot read {}: {err}", path.display()));
    Some(serde_json::from_str(&text).expect("golden file is valid JSON"))
}

/// Returns the `cases` (or `pairs`) array of a golden file.
pub fn cases(value: &Value, key: &str) -> Vec<Value> {
    value[key].as_array().expect("a case array").clone()
}
