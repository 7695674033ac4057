//! Helpers shared by the integration tests: golden files and parameter stores.

#![allow(dead_code)]

use faer::Mat;
use lipnet::contraction::theta_for_alpha;
use lipnet::model::{self, ArchParams, LipModel, ModelId};
use serde_json::Value;
use std::path::PathBuf;
use tape::ParamStore;

/// Returns `$NORMLAB_GOLDEN/lipnet/<name>` parsed, or prints a skip notice.
pub fn golden(name: &str) -> Option<Value> {
    let Some(root) = std::env::var_os("NORMLAB_GOLDEN") else {
        eprintln!("skipped: NORMLAB_GOLDEN not set");
        return None;
    };
    let path = PathBuf::from(root).join("lipnet").join(name);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read golden file {}: {e}", path.display()));
    Some(serde_json::from_str(&text).expect("golden file is JSON"))
}

/// Returns `$NORMLAB_UCI121`, or prints a skip notice.
pub fn uci_root() -> Option<PathBuf> {
    match std::env::var_os("NORMLAB_UCI121") {
        Some(p) => Some(PathBuf::from(p)),
        None => {
            eprintln!("skipped: NORMLAB_UCI121 not set");
            None
        }
    }
}

/// Converts a JSON number, vector or matrix into a matrix; vectors become 1 × n rows.
pub fn mat(v: &Value) -> Mat<f64> {
    match v {
        Value::Number(n) => Mat::from_fn(1, 1, |_, _| n.as_f64().unwrap()),
        Value::Array(rows) if rows.first().is_some_and(Value::is_array) => {
            let r: Vec<Vec<f64>> = rows
                .iter()
                .map(|row| {
                    row.as_array()
                        .unwrap()
                        .iter()
                        .map(|x| x.as_f64().unwrap())
                        .collect()
                })
                .collect();
            Mat::from_fn(r.len(), r[0].len(), |i, j| r[i][j])
        }
        Value::Array(xs) => {
            let r: Vec<f64> = xs.iter().map(|x| x.as_f64().unwrap()).collect();
            Mat::from_fn(1, r.len(), |_, j| r[j])
        }
        other => panic!("not a matrix: {other}"),
    }
}

/// Builds a parameter store from golden raw parameters, mapping `alpha_X` to `theta_X`.
pub fn store_from_params(params: &Value) -> ParamStore {
    let mut store = ParamStore::new();
    let obj = params.as_object().expect("params object");
    for (name, value) in obj {
        match name.strip_prefix("alpha_") {
            Some(suffix) => {
                let alpha = value.as_f64().unwrap();
                let theta = Mat::from_fn(1, 1, |_, _| theta_for_alpha(alpha));
                store.add(format!("theta_{suffix}"), theta).unwrap();
            }
            None => {
                store.add(name.clone(), mat(value)).unwrap();
            }
        }
    }
    store
}

/// Attaches the model described by a golden case (architecture, variant, L).
pub fn golden_model(case: &Value, store: &mut ParamStore) -> Box<dyn LipModel> {
    let residual = case["architecture"] == "residual";
    let certified = case["variant"] == "certified";
    let id = match (residual, certified) {
        (true, true) => ModelId::LdltRes,
        (true, false) => ModelId::LdltResRef,
        (false, true) => ModelId::LdltSeq,
        (false, false) => ModelId::LdltSeqRef,
    };
    let widths: Vec<usize> = case["widths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|w| w.as_u64().unwrap() as usize)
        .collect();
    let arch = ArchParams::new(
        id,
        case["n_in"].as_u64().unwrap() as usize,
        case["n_out"].as_u64().unwrap() as usize,
        widths,
        case["L"].as_f64().unwrap(),
    )
    .check()
    .unwrap();
    model::attach(&arch, store).unwrap()
}

/// Returns max |a − b| over all entries; panics on a shape mismatch.
pub fn max_abs_diff(a: &Mat<f64>, b: &Mat<f64>) -> f64 {
    assert_eq!(
        (a.nrows(), a.ncols()),
        (b.nrows(), b.ncols()),
        "shape mismatch"
    );
    let mut worst: f64 = 0.0;
    for i in 0..a.nrows() {
        for j in 0..a.ncols() {
            worst = worst.max((a[(i, j)] - b[(i, j)]).abs());
        }
    }
    worst
}

/// Adds U(±`size`) noise to every parameter entry. Gradient checks use it to
/// move AOL's orthogonal initialization, where the off-diagonal entries of WᵀW
/// sit at the kink of |·|, to a point where the loss is differentiable.
pub fn perturb_params(store: &mut ParamStore, rng: &mut rand_chacha::ChaCha8Rng, size: f64) {
    let ids: Vec<_> = store.ids().collect();
    for id in ids {
        let value = store.get_mut(id);
        for i in 0..value.nrows() {
            for j in 0..value.ncols() {
                value[(i, j)] += tape::rng::uniform(rng, -size, size);
            }
        }
    }
}
