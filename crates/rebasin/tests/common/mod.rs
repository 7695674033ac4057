//! Helpers shared by the integration tests: golden-file lookup and JSON → model.

#![allow(dead_code)]

use std::path::PathBuf;

use rebasin::model::{Model, Tensor};
use rebasin::prng::SplitMix64;
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

/// Random tensor with values `2u − 1`.
pub fn random_tensor(g: &mut SplitMix64, shape: Vec<usize>) -> Tensor {
    let n: usize = shape.iter().product();
    Tensor::from_f64(shape, (0..n).map(|_| g.next_symmetric()).collect())
}

pub fn add_norm(m: &mut Model, g: &mut SplitMix64, prefix: &str, c: usize) {
    for key in ["weight", "bias", "running_mean", "running_var"] {
        m.insert(format!("{prefix}.{key}"), random_tensor(g, vec![c]));
    }
}

pub fn resnet20(width: usize, seed: u64) -> Model {
    let mut g = SplitMix64::new(seed);
    let mut m = Model::default();
    let ch = [16 * width, 32 * width, 64 * width];
    m.insert("conv1.weight", random_tensor(&mut g, vec![ch[0], 3, 3, 3]));
    add_norm(&mut m, &mut g, "norm1", ch[0]);
    for s in 1..=3 {
        for b in 0..3 {
            let p = format!("layer{s}.{b}");
            let c = ch[s - 1];
            let c_in = if s > 1 && b == 0 { ch[s - 2] } else { c };
            m.insert(
                format!("{p}.conv1.weight"),
                random_tensor(&mut g, vec![c, c_in, 3, 3]),
            );
            add_norm(&mut m, &mut g, &format!("{p}.norm1"), c);
            m.insert(
                format!("{p}.conv2.weight"),
                random_tensor(&mut g, vec![c, c, 3, 3]),
            );
            add_norm(&mut m, &mut g, &format!("{p}.norm2"), c);
            if s > 1 && b == 0 {
                m.insert(
                    format!("{p}.shortcut.0.weight"),
                    random_tensor(&mut g, vec![c, c_in, 1, 1]),
                );
                add_norm(&mut m, &mut g, &format!("{p}.shortcut.1"), c);
            }
        }
    }
    m.insert("linear.weight", random_tensor(&mut g, vec![10, ch[2]]));
    m.insert("linear.bias", random_tensor(&mut g, vec![10]));
    m
}

pub fn vgg(seed: u64, hw: usize) -> Model {
    let mut g = SplitMix64::new(seed);
    let mut m = Model::default();
    m.insert("features.0.weight", random_tensor(&mut g, vec![8, 3, 3, 3]));
    m.insert("features.0.bias", random_tensor(&mut g, vec![8]));
    add_norm(&mut m, &mut g, "features.1", 8);
    m.insert(
        "features.3.weight",
        random_tensor(&mut g, vec![12, 8, 3, 3]),
    );
    m.insert("features.3.bias", random_tensor(&mut g, vec![12]));
    m.insert(
        "classifier.0.weight",
        random_tensor(&mut g, vec![20, 12 * hw]),
    );
    m.insert("classifier.0.bias", random_tensor(&mut g, vec![20]));
    m.insert("classifier.2.weight", random_tensor(&mut g, vec![10, 20]));
    m.insert("classifier.2.bias", random_tensor(&mut g, vec![10]));
    m
}
