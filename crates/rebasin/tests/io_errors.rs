//! Model files, dtypes and rejection of bad input.

use rebasin::Error;
use rebasin::io::{read_model, write_model};
use rebasin::lap::LsapSolver;
use rebasin::model::{Dtype, Model, Tensor};
use rebasin::prng::portable_mlp;
use rebasin::spec::{Layout, PermSpec};
use rebasin::wm::{WmParams, weight_matching};

fn with_dtype(mut m: Model, dtype: Dtype) -> Model {
    for t in m.tensors.values_mut() {
        t.dtype = dtype;
    }
    m
}

#[test]
fn dtype_round_trips() {
    let dir = tempfile::tempdir().unwrap();
    // Values exactly representable in every float dtype.
    let mut m = Model::default();
    m.insert(
        "layers.0.weight",
        Tensor::from_f64(vec![2, 2], vec![0.5, -1.25, 3.0, 0.0]),
    );
    m.metadata.insert("note".into(), "kept".into());
    for dtype in [Dtype::F16, Dtype::BF16, Dtype::F32, Dtype::F64] {
        let m = with_dtype(m.clone(), dtype);
        let path = dir.path().join(format!("{dtype:?}.safetensors"));
        write_model(&path, &m).unwrap();
        let back = read_model(&path).unwrap();
        assert_eq!(back, m, "{dtype:?}");
    }
}

#[test]
fn permuted_output_keeps_dtype_and_bits() {
    let dir = tempfile::tempdir().unwrap();
    let a = with_dtype(portable_mlp(&[4, 6, 3], 0), Dtype::F32);
    // Round the F64 values to F32 once, through a file.
    let path = dir.path().join("a.safetensors");
    write_model(&path, &a).unwrap();
    let a = read_model(&path).unwrap();
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let t = rebasin::perm::Perms {
        groups: spec.groups.clone(),
        perms: vec![vec![5, 4, 3, 2, 1, 0]],
    };
    let b = t.apply(&spec, &a);
    write_model(&dir.path().join("b.safetensors"), &b).unwrap();
    let b = read_model(&dir.path().join("b.safetensors")).unwrap();
    assert!(b.tensors.values().all(|t| t.dtype == Dtype::F32));
    let r = weight_matching(
        &spec,
        &a,
        &b,
        &WmParams::default().check().unwrap(),
        &LsapSolver,
    )
    .unwrap();
    assert_eq!(r.perms.apply(&spec, &b), a);
}

#[test]
fn not_safetensors_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("bad.safetensors");
    std::fs::write(&path, b"this is not a model").unwrap();
    let err = read_model(&path).unwrap_err();
    assert!(matches!(err, Error::NotSafetensors { .. }), "{err}");
    assert!(err.to_string().contains("bad.safetensors"));
}

#[test]
fn shape_mismatch_rejected() {
    let a = portable_mlp(&[4, 6, 3], 0);
    let b = portable_mlp(&[4, 7, 3], 1);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let err = weight_matching(
        &spec,
        &a,
        &b,
        &WmParams::default().check().unwrap(),
        &LsapSolver,
    )
    .unwrap_err();
    assert!(matches!(err, Error::ShapeMismatch { .. }), "{err}");
    assert_eq!(
        err.to_string(),
        "layers.0.bias is [6] in A but [7] in B; the models must share one architecture"
    );
}

#[test]
fn missing_tensor_rejected() {
    let a = portable_mlp(&[4, 6, 3], 0);
    let mut b = portable_mlp(&[4, 6, 3], 1);
    b.tensors.remove("layers.1.bias");
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let err = weight_matching(
        &spec,
        &a,
        &b,
        &WmParams::default().check().unwrap(),
        &LsapSolver,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::MissingTensor { ref name, .. } if name == "layers.1.bias"),
        "{err}"
    );
}

#[test]
fn unknown_tensor_rejected_by_mlp_preset() {
    let mut a = portable_mlp(&[4, 6, 3], 0);
    a.insert("norm.running_mean", Tensor::from_f64(vec![6], vec![0.0; 6]));
    let err = PermSpec::mlp(&a, Layout::Torch).unwrap_err();
    assert!(
        err.to_string().contains("unknown tensor norm.running_mean"),
        "{err}"
    );
}

#[test]
fn uncovered_tensor_rejected_by_json_spec() {
    let a = portable_mlp(&[4, 6, 3], 0);
    let spec = PermSpec::from_json(&serde_json::json!({
        "groups": ["P_0"],
        "tensors": {"layers.0.weight": ["P_0", null], "layers.1.weight": [null, "P_0"]}
    }))
    .unwrap();
    let err = spec.check_covers(&a).unwrap_err();
    assert!(
        err.to_string().contains("layers.0.bias is not covered"),
        "{err}"
    );
}

#[test]
fn spec_errors_name_the_problem() {
    let a = portable_mlp(&[4, 6, 3], 0);
    let cases = [
        (
            serde_json::json!({"groups": ["P"], "tensors": {"nope.weight": ["P", null]}}),
            "nope.weight is in the spec but not in the model",
        ),
        (
            serde_json::json!({"groups": ["P"], "tensors": {"layers.0.weight": ["P", "P"]}}),
            "appears twice",
        ),
        (
            serde_json::json!({"groups": ["P"], "tensors": {"layers.0.weight": ["P", null], "layers.1.weight": ["P", null]}}),
            "has size 6",
        ),
        (
            serde_json::json!({"groups": ["P"], "tensors": {"layers.0.weight": [{"group": "P", "block": 4}, null]}}),
            "does not divide",
        ),
        (
            serde_json::json!({"groups": ["P"], "tensors": {"layers.0.weight": ["Q", null]}}),
            "names group Q",
        ),
    ];
    for (json, needle) in cases {
        let err = PermSpec::from_json(&json)
            .and_then(|s| s.validate(&a).map(|_| ()))
            .unwrap_err();
        assert!(
            err.to_string().contains(needle),
            "{err} should contain {needle}"
        );
    }
}

#[test]
fn mlp_chain_mismatch_rejected() {
    let mut a = portable_mlp(&[4, 6, 3], 0);
    a.insert(
        "layers.1.weight",
        Tensor::from_f64(vec![3, 5], vec![0.0; 15]),
    );
    let err = PermSpec::mlp(&a, Layout::Torch).unwrap_err();
    assert!(err.to_string().contains("cannot chain"), "{err}");
}

#[test]
fn non_finite_weight_rejected() {
    let a = portable_mlp(&[4, 6, 3], 0);
    let mut b = portable_mlp(&[4, 6, 3], 1);
    b.tensors.get_mut("layers.1.weight").unwrap().values[2] = f64::NAN;
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let err = weight_matching(
        &spec,
        &a,
        &b,
        &WmParams::default().check().unwrap(),
        &LsapSolver,
    )
    .unwrap_err();
    assert!(
        matches!(err, Error::NonFinite { ref name } if name == "layers.1.weight"),
        "{err}"
    );
}

#[test]
fn replay_exhausted_rejected() {
    let a = portable_mlp(&[4, 6, 6, 3], 0);
    let b = portable_mlp(&[4, 6, 6, 3], 1);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let options = WmParams {
        order: rebasin::wm::Order::Replay(vec![]),
        ..WmParams::default()
    }
    .check()
    .unwrap();
    let err = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap_err();
    assert!(matches!(err, Error::Order(_)), "{err}");
}

#[test]
fn no_partial_file_after_error() {
    let dir = tempfile::tempdir().unwrap();
    // The target is an existing folder, so the final rename fails after the
    // temporary file was written.
    let target = dir.path().join("out.safetensors");
    std::fs::create_dir(&target).unwrap();
    let err = write_model(&target, &portable_mlp(&[2, 3, 2], 0)).unwrap_err();
    assert!(matches!(err, Error::Io { .. }));
    let names: Vec<String> = std::fs::read_dir(dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert_eq!(names, vec!["out.safetensors".to_string()]);
    assert!(target.is_dir());
}

#[test]
fn metadata_keys_are_written_in_sorted_order() {
    let base = portable_mlp(&[3, 4, 2], 0);
    let keys: Vec<String> = (0..24).map(|i| format!("key.{i}")).collect();
    let mut forward = base.clone();
    let mut backward = base;
    for k in &keys {
        forward.metadata.insert(k.clone(), format!("value {k}"));
    }
    for k in keys.iter().rev() {
        backward.metadata.insert(k.clone(), format!("value {k}"));
    }
    let first = rebasin::io::serialize_model(&forward).unwrap();
    assert_eq!(first, rebasin::io::serialize_model(&backward).unwrap());
    assert_eq!(
        first,
        rebasin::io::serialize_model(&forward.clone()).unwrap()
    );
    let header_len = u64::from_le_bytes(first[..8].try_into().unwrap()) as usize;
    let header = std::str::from_utf8(&first[8..8 + header_len]).unwrap();
    let positions: Vec<usize> = ["key.0\"", "key.1\"", "key.10\"", "key.9\""]
        .iter()
        .map(|k| header.find(k).unwrap())
        .collect();
    assert!(positions.windows(2).all(|w| w[0] < w[1]), "{header}");
    assert_eq!(rebasin::io::parse_model(&first).unwrap(), forward);
}
