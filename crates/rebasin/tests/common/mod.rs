//! Helpers shared by the integration tests: golden-file lookup and JSON → model.

#![allow(dead_code)]

use std::path::PathBuf;

use rebasin::model::{Model, Tensor};
use serde_json::Value;

/// Returns the rebasin golden folder from `NORMLAB_REBASIN_GOLDEN` or
/// `NORMLAB_GOLDEN`/rebasin, relative paths taken from the workspace root, or
/// prints a skip notice and returns `None`.
pub fn golden_dir() -> Option<PathBuf> {
    let workspace = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = if let Ok(d) = std::env::var("NORMLAB_REBASIN_GOLDEN") {
        PathBuf::from(d)
    } else if let Ok(d) = std::env::var("NORMLAB_GOLDEN") {
        PathBuf::from(d).join("rebasin")
    } else {
        println!("skipped: NORMLAB_GOLDEN not set");
        return None;
    };
    let dir = if dir.is_relative() {
        workspace.join(dir)
    } else {
        dir
    };
    if !dir.is_dir() {
        println!("skipped: golden folder {} not found", dir.display());
        return None;
    }
    Some(dir)
}

/// Reads `name` from the golden folder, or `None` with a skip notice.
pub fn golden(name: &str) -> Option<Value> {
    let path = golden_dir()?.join(name);
    let text = std::fs::read_to_string(&path).expect("golden file is readable");
    Some(serde_json::from_str(&text).expect("golden file is valid JSON"))
}

/// Converts a nested JSON list to (shape, row-major values).
pub fn nested(v: &Value) -> (Vec<usize>, Vec<f64>) {
    match v {
        Value::Array(items) => {
            let mut shape = vec![items.len()];
            let mut values = Vec::new();
            let mut inner_shape = Vec::new();
            for item in items {
                let (s, vals) = nested(item);
                inner_shape = s;
                values.extend(vals);
            }
            shape.extend(inner_shape);
            (shape, values)
        }
        other => (Vec::new(), vec![other.as_f64().expect("number")]),
    }
}

/// Builds an F64 model from a JSON object name → nested list.
pub fn model_from_json(obj: &Value) -> Model {
    let mut m = Model::default();
    for (name, v) in obj.as_object().expect("object") {
        let (shape, values) = nested(v);
        m.insert(name.clone(), Tensor::from_f64(shape, values));
    }
    m
}

/// Parses a JSON list of unsigned integers.
pub fn usize_list(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("list")
        .iter()
        .map(|x| x.as_u64().expect("integer") as usize)
        .collect()
}

/// Parses a JSON list of lists of unsigned integers.
pub fn orders(v: &Value) -> Vec<Vec<usize>> {
    v.as_array().expect("list").iter().map(usize_list).collect()
}

/// Asserts |actual − expected| ≤ tol·max(1, |expected|).
pub fn assert_close(actual: f64, expected: f64, tol: f64, what: &str) {
    let scale = expected.abs().max(1.0);
    assert!(
        (actual - expected).abs() <= tol * scale,
        "{what}: got {actual}, expected {expected}"
    );
}
