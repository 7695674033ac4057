//! The `rebasin` binary: acceptance contract, subcommands and error messages.

use std::path::Path;
use std::process::{Command, Output};

use rebasin::io::{read_model, write_model};
use rebasin::model::Model;
use rebasin::perm::Perms;
use rebasin::prng::portable_mlp;
use rebasin::spec::{Layout, PermSpec};
use serde_json::Value;

mod common;

fn rebasin(args: &[&str], dir: &Path) -> Output {
    Command::new(env!("CARGO_BIN_EXE_rebasin"))
        .args(args)
        .current_dir(dir)
        .output()
        .expect("the rebasin binary runs")
}

fn stdout_json(out: &Output) -> Value {
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("stdout is JSON")
}

/// Asserts exit code 1 and one `error:` line on stderr containing `needle`.
fn assert_one_error(out: &Output, needle: &str) {
    assert_eq!(out.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {stderr}");
    assert!(lines[0].starts_with("error: "), "stderr: {stderr}");
    assert!(
        lines[0].contains(needle),
        "{} should contain {needle}",
        lines[0]
    );
}

fn permuted_pair(dir: &Path) -> (Model, Perms) {
    let a = portable_mlp(&[12, 16, 16, 4], 0);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let t = Perms {
        groups: spec.groups.clone(),
        perms: vec![
            (0..16).rev().collect(),
            (0..16).map(|i| (i * 5) % 16).collect(),
        ],
    };
    write_model(&dir.join("a.safetensors"), &a).unwrap();
    write_model(&dir.join("b.safetensors"), &t.apply(&spec, &a)).unwrap();
    (a, t)
}

#[test]
fn match_recovers_permuted_copy() {
    let dir = tempfile::tempdir().unwrap();
    let (a, t) = permuted_pair(dir.path());
    let out = rebasin(
        &[
            "match",
            "a.safetensors",
            "b.safetensors",
            "--spec",
            "mlp",
            "-o",
            "out.safetensors",
            "--json",
        ],
        dir.path(),
    );
    let report = stdout_json(&out);
    assert_eq!(report["l2_after"].as_f64(), Some(0.0));
    assert!(report["l2_before"].as_f64().unwrap() > 1.0);
    assert!(report["sweeps"].as_u64().unwrap() >= 1);
    let inv = t.inverse();
    for (name, c) in inv.groups.iter().zip(&inv.perms) {
        let got: Vec<usize> = report["perms"][name]
            .as_array()
            .unwrap()
            .iter()
            .map(|v| v.as_u64().unwrap() as usize)
            .collect();
        assert_eq!(&got, c, "group {name} is the inverse permutation");
    }
    let written = read_model(&dir.path().join("out.safetensors")).unwrap();
    assert_eq!(written.tensors, a.tensors);
    assert!(written.metadata.contains_key("rebasin.perms"));
}

#[test]
fn match_errors_are_one_sentence() {
    let dir = tempfile::tempdir().unwrap();
    permuted_pair(dir.path());
    write_model(
        &dir.path().join("c.safetensors"),
        &portable_mlp(&[12, 16, 17, 4], 1),
    )
    .unwrap();
    let out = rebasin(
        &[
            "match",
            "a.safetensors",
            "c.safetensors",
            "-o",
            "o.safetensors",
        ],
        dir.path(),
    );
    assert_one_error(
        &out,
        "layers.1.bias is [16] in a.safetensors but [17] in c.safetensors",
    );

    std::fs::write(dir.path().join("junk.safetensors"), b"junk").unwrap();
    let out = rebasin(
        &[
            "match",
            "a.safetensors",
            "junk.safetensors",
            "-o",
            "o.safetensors",
        ],
        dir.path(),
    );
    assert_one_error(&out, "junk.safetensors is not a valid safetensors file");

    let mut extra = portable_mlp(&[12, 16, 16, 4], 0);
    extra.insert(
        "head.scale",
        rebasin::model::Tensor::from_f64(vec![4], vec![1.0; 4]),
    );
    write_model(&dir.path().join("x.safetensors"), &extra).unwrap();
    write_model(&dir.path().join("y.safetensors"), &extra).unwrap();
    let out = rebasin(
        &[
            "match",
            "x.safetensors",
            "y.safetensors",
            "-o",
            "o.safetensors",
        ],
        dir.path(),
    );
    assert_one_error(&out, "unknown tensor head.scale");

    let out = rebasin(
        &[
            "match",
            "a.safetensors",
            "missing.safetensors",
            "-o",
            "o.safetensors",
        ],
        dir.path(),
    );
    assert_one_error(&out, "missing.safetensors");
    assert!(
        !dir.path().join("o.safetensors").exists(),
        "no output after an error"
    );
}

#[test]
fn merge_and_barrier_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for seed in 0..3 {
        write_model(
            &p.join(format!("m{seed}.safetensors")),
            &portable_mlp(&[64, 16, 16, 10], seed),
        )
        .unwrap();
    }
    let out = rebasin(
        &[
            "merge",
            "m0.safetensors",
            "m1.safetensors",
            "m2.safetensors",
            "-o",
            "merged.safetensors",
            "--evaluate",
            "--json",
        ],
        p,
    );
    let report = stdout_json(&out);
    assert_eq!(report["models"].as_u64(), Some(3));
    assert!(report["evaluation"]["merged"]["acc"].as_f64().is_some());
    assert!(read_model(&p.join("merged.safetensors")).is_ok());

    let out = rebasin(
        &[
            "barrier",
            "m0.safetensors",
            "m1.safetensors",
            "--align",
            "wm",
            "--lambdas",
            "5",
            "--out-json",
            "curve.json",
            "--csv",
            "curve.csv",
            "--plot",
            "curve.svg",
            "--json",
        ],
        p,
    );
    let barriers = stdout_json(&out);
    for path in ["naive", "aligned"] {
        for split in ["train", "test"] {
            let b = &barriers[path][split];
            assert!(b["loss_linear"].as_f64().unwrap() >= 0.0);
            assert!(b["loss_mean"].as_f64().unwrap() >= 0.0);
        }
    }
    let svg = std::fs::read_to_string(p.join("curve.svg")).unwrap();
    assert!(svg.starts_with("<svg"), "not an SVG file");
    assert!(
        svg.contains("aligned test loss barrier"),
        "missing curve label"
    );
    let csv = std::fs::read_to_string(p.join("curve.csv")).unwrap();
    assert_eq!(csv.lines().count(), 1 + 2 * 2 * 5);

    let out = rebasin(&["merge", "m0.safetensors", "-o", "x.safetensors"], p);
    assert_one_error(&out, "at least 2 models");
    let out = rebasin(
        &[
            "merge",
            "m0.safetensors",
            "m1.safetensors",
            "--weights",
            "0.5,0.6",
            "-o",
            "x.safetensors",
        ],
        p,
    );
    assert_one_error(&out, "sum to 1");
    let out = rebasin(
        &[
            "barrier",
            "m0.safetensors",
            "m1.safetensors",
            "--lambdas",
            "1",
        ],
        p,
    );
    assert_one_error(&out, "at least 2 values");
}

#[test]
fn train_writes_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = rebasin(
        &[
            "train",
            "--arch",
            "64-16-10",
            "--epochs",
            "1",
            "--seed",
            "3",
            "-o",
            "m.safetensors",
            "--dtype",
            "f32",
            "--json",
        ],
        dir.path(),
    );
    let report = stdout_json(&out);
    assert!(report["test_acc"].as_f64().unwrap() > 0.5);
    let m = read_model(&dir.path().join("m.safetensors")).unwrap();
    assert!(m.metadata.contains_key("rebasin.train"));
    assert_eq!(m.get("layers.1.weight").unwrap().shape, vec![10, 16]);
    let first = std::fs::read(dir.path().join("m.safetensors")).unwrap();
    let again = rebasin(
        &[
            "train",
            "--arch",
            "64-16-10",
            "--epochs",
            "1",
            "--seed",
            "3",
            "-o",
            "m2.safetensors",
            "--dtype",
            "f32",
        ],
        dir.path(),
    );
    assert!(again.status.success());
    let second = std::fs::read(dir.path().join("m2.safetensors")).unwrap();
    assert!(first == second, "the same seed gives byte-identical files");
}

#[test]
fn analyze_and_activation_matching_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write_model(
        &p.join("m0.safetensors"),
        &portable_mlp(&[64, 12, 12, 10], 0),
    )
    .unwrap();
    write_model(
        &p.join("m1.safetensors"),
        &portable_mlp(&[64, 12, 12, 10], 1),
    )
    .unwrap();
    let out = rebasin(
        &[
            "analyze",
            "m0.safetensors",
            "m1.safetensors",
            "--top-k",
            "3",
            "--json",
        ],
        p,
    );
    let report = stdout_json(&out);
    for side in ["before", "after"] {
        let r = report[side]["R_mean"].as_f64().unwrap();
        assert!((0.0..=1.0).contains(&r), "{side}: R_mean {r}");
    }
    // The input side of layer 0 is not permuted, so its v-alignment is unchanged.
    let before = report["before"]["layers.0"]["mean_abs_cos_v"]
        .as_f64()
        .unwrap();
    let after = report["after"]["layers.0"]["mean_abs_cos_v"]
        .as_f64()
        .unwrap();
    assert!((before - after).abs() < 1e-9);

    let out = rebasin(
        &[
            "match",
            "m0.safetensors",
            "m1.safetensors",
            "--method",
            "am",
            "-o",
            "am.safetensors",
            "--json",
        ],
        p,
    );
    let report = stdout_json(&out);
    assert_eq!(report["method"], "am");
    assert!(report["l2_after"].as_f64().unwrap() <= report["l2_before"].as_f64().unwrap());

    let out = rebasin(
        &[
            "match",
            "m0.safetensors",
            "m1.safetensors",
            "--method",
            "ste",
            "--ste-epochs",
            "1",
            "-o",
            "ste.safetensors",
            "--json",
        ],
        p,
    );
    let report = stdout_json(&out);
    assert_eq!(report["method"], "ste");
    assert!(report["perms"]["P_1"].as_array().is_some());
    assert_eq!(report["ste"]["epochs"], 1);
    assert_eq!(report["ste"]["best_epoch"], 1);

    let out = rebasin(
        &[
            "match",
            "m0.safetensors",
            "m1.safetensors",
            "--method",
            "ste",
            "--ste-epochs",
            "2",
            "-o",
            "ste.safetensors",
        ],
        p,
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("after 2 epochs"), "{text}");
    assert!(text.contains("kept the permutations of epoch"), "{text}");
    assert!(!text.contains("sweep"), "{text}");
}

#[test]
fn diverging_training_writes_no_model() {
    let dir = tempfile::tempdir().unwrap();
    let out = rebasin(
        &[
            "train",
            "-o",
            "nan.safetensors",
            "--lr",
            "1e6",
            "--epochs",
            "2",
        ],
        dir.path(),
    );
    assert_one_error(&out, "training diverged");
    assert!(!dir.path().join("nan.safetensors").exists());
}

#[test]
fn negative_and_huge_values_get_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let train = |extra: &[&str]| {
        let mut args = vec!["train", "-o", "m.safetensors"];
        args.extend_from_slice(extra);
        rebasin(&args, p)
    };
    assert_one_error(&train(&["--epochs", "1", "--lr", "-0.1"]), "lr = -0.1");
    assert_one_error(
        &train(&["--epochs", "1", "--momentum", "-0.5"]),
        "momentum = -0.5",
    );
    assert_one_error(&train(&["--arch", "64-1000000000-10"]), "8192");
    assert_one_error(&train(&["--arch", "64-8x100000000-10"]), "depth 100000000");
    let negative_count = train(&["--epochs", "-3"]);
    assert!(!negative_count.status.success());
    assert!(String::from_utf8_lossy(&negative_count.stderr).contains("not a whole number"));
    assert!(!p.join("m.safetensors").exists());
}

#[test]
fn closed_stdout_ends_quietly() {
    let dir = tempfile::tempdir().unwrap();
    permuted_pair(dir.path());
    let (reader, writer) = std::io::pipe().unwrap();
    drop(reader);
    let out = Command::new(env!("CARGO_BIN_EXE_rebasin"))
        .args([
            "match",
            "a.safetensors",
            "b.safetensors",
            "-o",
            "out.safetensors",
            "--json",
        ])
        .current_dir(dir.path())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn logs_carry_no_colours_off_a_terminal() {
    let dir = tempfile::tempdir().unwrap();
    permuted_pair(dir.path());
    let out = Command::new(env!("CARGO_BIN_EXE_rebasin"))
        .args([
            "match",
            "a.safetensors",
            "b.safetensors",
            "-o",
            "out.safetensors",
        ])
        .env("RUST_LOG", "debug")
        .current_dir(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("weight-matching sweep"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "{stderr}");
}

/// Builds a width-1 ResNet20 for 1-channel 8×8 images with valid BatchNorm statistics.
fn digits_resnet() -> Model {
    let mut m = common::resnet20(1, 7);
    let mut g = rebasin::prng::SplitMix64::new(70);
    m.insert(
        "conv1.weight",
        common::random_tensor(&mut g, vec![16, 1, 3, 3]),
    );
    for (name, t) in &mut m.tensors {
        if name.ends_with("running_var") {
            t.values.iter_mut().for_each(|v| *v = v.abs() + 0.5);
        }
    }
    m
}

#[test]
fn resnet_barrier_and_batchnorm_repair_run() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let a = digits_resnet();
    let spec = PermSpec::resnet20(&a).unwrap();
    let mut t = Perms::identity(&spec, &spec.validate(&a).unwrap());
    for c in &mut t.perms {
        c.reverse();
    }
    write_model(&p.join("a.safetensors"), &a).unwrap();
    write_model(&p.join("b.safetensors"), &t.apply(&spec, &a)).unwrap();
    let matched = rebasin(
        &[
            "match",
            "a.safetensors",
            "b.safetensors",
            "--spec",
            "resnet20",
            "-o",
            "b_aligned.safetensors",
            "--json",
        ],
        p,
    );
    assert_eq!(stdout_json(&matched)["l2_after"].as_f64(), Some(0.0));
    let out = rebasin(
        &[
            "barrier",
            "a.safetensors",
            "b.safetensors",
            "--spec",
            "resnet20",
            "--align",
            "wm",
            "--bn-repair",
            "--lambdas",
            "3",
            "--json",
        ],
        p,
    );
    let barriers = stdout_json(&out);
    assert_eq!(
        barriers["aligned"]["test"]["loss_linear"].as_f64(),
        Some(0.0)
    );
    assert!(
        barriers["naive"]["test"]["loss_linear"]
            .as_f64()
            .unwrap()
            .is_finite()
    );
    let merged = rebasin(
        &[
            "merge",
            "a.safetensors",
            "b.safetensors",
            "--spec",
            "resnet20",
            "-o",
            "merged.safetensors",
            "--bn-repair",
            "--json",
        ],
        p,
    );
    assert!(
        merged.status.success(),
        "{}",
        String::from_utf8_lossy(&merged.stderr)
    );
    let merged = read_model(&p.join("merged.safetensors")).unwrap();
    let stored = &merged.get("norm1.running_var").unwrap().values;
    let original = &a.get("norm1.running_var").unwrap().values;
    assert_ne!(
        stored, original,
        "the merged model carries repaired statistics"
    );
    let mlp_repair = rebasin(
        &["barrier", "a.safetensors", "b.safetensors", "--bn-repair"],
        p,
    );
    assert_one_error(&mlp_repair, "--bn-repair needs a BatchNorm network");
}

#[test]
fn bench_matches_golden_permutations() {
    let Some(golden) = common::golden_dir() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let file = golden.join("wm_golden_portable.json");
    let out = rebasin(
        &[
            "bench",
            "--golden",
            file.to_str().unwrap(),
            "--repeats",
            "2",
            "--json",
        ],
        dir.path(),
    );
    let report = stdout_json(&out);
    assert_eq!(report["perms_equal_golden"], Value::Bool(true));
    assert_eq!(report["sweeps"].as_u64(), Some(8));
    assert_eq!(report["seconds"].as_array().unwrap().len(), 2);
    let one = rebasin(
        &[
            "bench",
            "--golden",
            file.to_str().unwrap(),
            "--repeats",
            "1",
        ],
        dir.path(),
    );
    assert_one_error(&one, "--repeats 1");
}

/// Asserts that `path` still contains exactly `bytes`.
fn assert_unchanged(path: &Path, bytes: &[u8]) {
    assert_eq!(
        std::fs::read(path).unwrap(),
        bytes,
        "{} was changed",
        path.display()
    );
}

#[test]
fn output_equal_to_input_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    permuted_pair(p);
    let a_bytes = std::fs::read(p.join("a.safetensors")).unwrap();
    let b_bytes = std::fs::read(p.join("b.safetensors")).unwrap();

    let barrier = ["barrier", "a.safetensors", "b.safetensors", "--csv"];
    let out = rebasin(&[&barrier[..], &["a.safetensors"]].concat(), p);
    assert_one_error(&out, "also an input");
    let out = rebasin(
        &[
            "match",
            "a.safetensors",
            "b.safetensors",
            "-o",
            "b.safetensors",
            "--perms",
            "a.safetensors",
        ],
        p,
    );
    assert_one_error(&out, "also an input");
    let out = rebasin(
        &[
            "merge",
            "a.safetensors",
            "b.safetensors",
            "-o",
            "./b.safetensors",
        ],
        p,
    );
    assert_one_error(&out, "also an input");
    let out = rebasin(
        &[
            "analyze",
            "a.safetensors",
            "b.safetensors",
            "--out-json",
            "a.safetensors",
        ],
        p,
    );
    assert_one_error(&out, "also an input");

    assert_unchanged(&p.join("a.safetensors"), &a_bytes);
    assert_unchanged(&p.join("b.safetensors"), &b_bytes);
}

#[test]
fn bad_output_path_fails_first() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    std::fs::create_dir(p.join("folder")).unwrap();
    // 500 epochs would take long: training must not start when the output is a folder.
    let out = rebasin(&["train", "-o", "folder", "--epochs", "500"], p);
    assert_one_error(&out, "not a regular file");

    let out = rebasin(
        &["train", "-o", "nodir/x.safetensors", "--epochs", "500"],
        p,
    );
    assert_one_error(
        &out,
        "folder nodir does not exist; create it or choose another output path",
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains(".tmp"));
}

#[test]
fn merge_prints_its_evaluation_as_text() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for seed in 0..2 {
        let m = portable_mlp(&[64, 16, 10], seed);
        write_model(&p.join(format!("m{seed}.safetensors")), &m).unwrap();
    }
    let out = rebasin(
        &[
            "merge",
            "m0.safetensors",
            "m1.safetensors",
            "-o",
            "merged.safetensors",
            "--evaluate",
        ],
        p,
    );
    assert!(out.status.success());
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(text.contains("naive average: test loss"), "{text}");
    assert!(text.contains("merged: test loss"), "{text}");
    assert!(!text.contains(" 1 rounds"), "{text}");
}

/// Renames `norm1`/`norm2` layers to the BatchNorm spelling `bn1`/`bn2`.
fn batchnorm_names(m: &Model) -> Model {
    let mut renamed = m.clone();
    renamed.tensors = m
        .tensors
        .iter()
        .map(|(name, t)| {
            (
                name.replace("norm1", "bn1").replace("norm2", "bn2"),
                t.clone(),
            )
        })
        .collect();
    renamed
}

#[test]
fn resnet_preset_accepts_batchnorm_names() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let a = digits_resnet();
    let spec = PermSpec::resnet20(&a).unwrap();
    let mut t = Perms::identity(&spec, &spec.validate(&a).unwrap());
    for c in &mut t.perms {
        c.reverse();
    }
    let b = t.apply(&spec, &a);
    write_model(&p.join("a.safetensors"), &batchnorm_names(&a)).unwrap();
    write_model(&p.join("b.safetensors"), &batchnorm_names(&b)).unwrap();
    assert!(
        batchnorm_names(&a)
            .tensors
            .contains_key("layer1.0.bn1.weight")
    );

    let matched = rebasin(
        &[
            "match",
            "a.safetensors",
            "b.safetensors",
            "--spec",
            "resnet20",
            "-o",
            "b_aligned.safetensors",
            "--json",
        ],
        p,
    );
    assert_eq!(stdout_json(&matched)["l2_after"].as_f64(), Some(0.0));

    let mut odd = batchnorm_names(&a);
    let t = odd.tensors.remove("bn1.weight").unwrap();
    odd.insert("stem_bn.weight", t);
    write_model(&p.join("odd.safetensors"), &odd).unwrap();
    let out = rebasin(
        &[
            "match",
            "odd.safetensors",
            "odd.safetensors",
            "--spec",
            "resnet20",
            "-o",
            "o.safetensors",
        ],
        p,
    );
    assert_one_error(&out, "tensor stem_bn.weight is not a resnet20 preset name");
}

#[test]
fn resnet_activation_matching_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    let a = digits_resnet();
    let spec = PermSpec::resnet20(&a).unwrap();
    let mut t = Perms::identity(&spec, &spec.validate(&a).unwrap());
    for c in &mut t.perms {
        c.reverse();
    }
    write_model(&p.join("a.safetensors"), &a).unwrap();
    write_model(&p.join("b.safetensors"), &t.apply(&spec, &a)).unwrap();
    let args = |method| {
        [
            "match",
            "a.safetensors",
            "b.safetensors",
            "--spec",
            "resnet20",
            "--method",
            method,
            "-o",
            "b_aligned.safetensors",
            "--json",
        ]
    };
    let out = rebasin(&args("am"), p);
    let report = stdout_json(&out);
    assert_eq!(report["method"], "am");
    let (before, after) = (
        report["l2_before"].as_f64().unwrap(),
        report["l2_after"].as_f64().unwrap(),
    );
    assert!(after < 0.5 * before, "L2 {before} -> {after}");

    let out = rebasin(&args("ste"), p);
    assert_one_error(&out, "--method ste needs the built-in MLP");
}

#[test]
fn merge_with_ste_runs() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    for seed in 0..3 {
        write_model(
            &p.join(format!("m{seed}.safetensors")),
            &portable_mlp(&[64, 16, 10], seed),
        )
        .unwrap();
    }

    let out = rebasin(
        &[
            "merge",
            "m0.safetensors",
            "m1.safetensors",
            "m2.safetensors",
            "--method",
            "ste",
            "--ste-epochs",
            "1",
            "-o",
            "merged.safetensors",
            "--json",
        ],
        p,
    );
    let report = stdout_json(&out);
    assert_eq!(report["method"], "ste");
    assert_eq!(report["ste"]["epochs"].as_u64(), Some(1));
    assert!(report["ste"].get("logged_loss").is_none());

    let steps = report["ste"]["steps"].as_u64().unwrap();
    let best_step = report["ste"]["best_step"].as_u64().unwrap();
    assert!(steps > 0);
    assert!(best_step >= 1, "best step {best_step}");
    assert!(best_step <= steps, "best step {best_step} of {steps}");
    assert_eq!(report["ste"]["best_epoch"].as_u64(), Some(1));

    // The endpoints' training loss is positive, so the loss above them is
    // below the loss itself.
    let loss = report["ste"]["loss"].as_f64().unwrap();
    let above = report["ste"]["loss_above_endpoints"].as_f64().unwrap();
    assert!(loss.is_finite(), "cross-entropy {loss}");
    assert!(loss > 0.0, "cross-entropy {loss}");
    assert!(
        above < loss,
        "{above} should be the loss minus the endpoints' loss"
    );

    for w in report["weights"].as_array().unwrap() {
        assert!(
            (w.as_f64().unwrap() - 1.0 / 3.0).abs() < 1e-12,
            "weight {w}"
        );
    }

    // Model 0 keeps the identity and every other P_0 is a permutation of the
    // 16 hidden units.
    let perms = report["perms"].as_array().unwrap();
    assert_eq!(perms.len(), 3);
    let identity: Vec<u64> = (0..16).collect();
    let as_indices = |v: &Value| -> Vec<u64> {
        let indices = v["P_0"].as_array().unwrap();
        indices.iter().map(|i| i.as_u64().unwrap()).collect()
    };
    assert_eq!(as_indices(&perms[0]), identity);
    for perm in &perms[1..] {
        let mut sorted = as_indices(perm);
        sorted.sort_unstable();
        assert_eq!(sorted, identity);
    }
    assert!(read_model(&p.join("merged.safetensors")).is_ok());
}

#[test]
fn cnn_models_get_preset_hints() {
    let dir = tempfile::tempdir().unwrap();
    let p = dir.path();
    write_model(&p.join("v0.safetensors"), &common::vgg(0, 4)).unwrap();
    write_model(&p.join("v1.safetensors"), &common::vgg(1, 4)).unwrap();
    write_model(&p.join("r0.safetensors"), &digits_resnet()).unwrap();

    let out = rebasin(
        &[
            "merge",
            "v0.safetensors",
            "v1.safetensors",
            "--spec",
            "vgg",
            "--method",
            "ste",
            "-o",
            "m.safetensors",
        ],
        p,
    );
    assert_one_error(&out, "--method ste needs the built-in MLP; for --spec vgg");

    let out = rebasin(&["barrier", "v0.safetensors", "v1.safetensors"], p);
    assert_one_error(&out, "pass --spec vgg");

    let out = rebasin(&["barrier", "r0.safetensors", "r0.safetensors"], p);
    assert_one_error(&out, "pass --spec resnet20");
}
