//! The `lpsample scores` acceptance contract and one clear error per bad input.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use faer::Mat;
use serde_json::Value;

fn lpsample(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lpsample"))
        .args(args)
        .output()
        .expect("the lpsample binary runs")
}

fn write_npy(dir: &Path, name: &str, a: &Mat<f64>) -> PathBuf {
    let path = dir.join(name);
    datasets::npy::write_matrix(&path, a).unwrap();
    path
}

/// Writes a version 1 `.npy` file with the given dict and raw data bytes.
fn write_raw_npy(dir: &Path, name: &str, dict: &str, data: &[u8]) -> PathBuf {
    let mut header = dict.to_string();
    while (10 + header.len() + 1) % 64 != 0 {
        header.push(' ');
    }
    header.push('\n');
    let mut bytes = b"\x93NUMPY\x01\x00".to_vec();
    bytes.extend_from_slice(&(header.len() as u16).to_le_bytes());
    bytes.extend_from_slice(header.as_bytes());
    bytes.extend_from_slice(data);
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

fn scores_json(input: &Path, p: &str, kind: &str) -> Value {
    let output = lpsample(&[
        "scores",
        "--input",
        input.to_str().unwrap(),
        "--p",
        p,
        "--kind",
        kind,
        "--json",
    ]);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("one JSON object on stdout")
}

fn check_scores(report: &Value, expected: f64, total: f64) {
    let scores = report["scores"].as_array().unwrap();
    assert_eq!(scores.len(), 3);
    for score in scores {
        assert!(
            (score.as_f64().unwrap() - expected).abs() < 1e-7,
            "{report}"
        );
    }
    assert!(
        (report["total"].as_f64().unwrap() - total).abs() < 1e-6,
        "{report}"
    );
}

#[test]
fn scores_acceptance_a3() {
    let dir = tempfile::tempdir().unwrap();
    let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
    let input = write_npy(dir.path(), "a3.npy", &a);

    check_scores(&scores_json(&input, "1", "leverage"), 2.0 / 3.0, 2.0);
    check_scores(&scores_json(&input, "1", "lewis"), 2.0 / 3.0, 2.0);
    check_scores(&scores_json(&input, "1", "sens"), 0.5, 1.5);
    check_scores(&scores_json(&input, "3", "sens"), 0.8, 2.4);
}

fn stderr_of_failure(args: &[&str]) -> String {
    let output = lpsample(args);
    assert!(!output.status.success(), "expected a failure for {args:?}");
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        stderr.lines().filter(|l| l.starts_with("error:")).count(),
        1,
        "{stderr}"
    );
    stderr
}

#[test]
fn bad_inputs_one_error_each() {
    let dir = tempfile::tempdir().unwrap();
    let path = |p: &PathBuf| p.to_str().unwrap().to_string();
    let good = write_npy(dir.path(), "good.npy", &faer::mat![[1.0, 0.0], [0.0, 1.0]]);
    let nan = write_npy(
        dir.path(),
        "nan.npy",
        &faer::mat![[1.0, f64::NAN], [0.0, 1.0]],
    );
    let inf = write_npy(
        dir.path(),
        "inf.npy",
        &faer::mat![[1.0, 0.0], [f64::INFINITY, 1.0]],
    );
    let zero = write_npy(dir.path(), "zero.npy", &Mat::zeros(3, 2));
    let empty = write_npy(dir.path(), "empty.npy", &Mat::zeros(0, 2));
    let ints = write_raw_npy(
        dir.path(),
        "ints.npy",
        "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 2), }",
        &[1u8, 0, 0, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 0, 0, 0],
    );
    let vector = write_raw_npy(
        dir.path(),
        "vector.npy",
        "{'descr': '<f8', 'fortran_order': False, 'shape': (2,), }",
        &[0u8; 16],
    );
    let text = dir.path().join("text.npy");
    std::fs::write(&text, "1,2\n3,4\n").unwrap();
    let out = dir.path().join("out.npy");

    let missing = dir.path().join("missing.npy");

    let cases: [(&PathBuf, &str, &str); 9] = [
        (&missing, "1", "file not found"),
        (&good, "0.5", "p must be a finite number ≥ 1"),
        (&nan, "1", "non-finite value NaN at row 0, column 1"),
        (&inf, "1", "non-finite value inf at row 1, column 0"),
        (&zero, "1", "rank 0"),
        (&empty, "1", "empty"),
        (&ints, "1", "is not a float"),
        (&vector, "1", "is not 2-D"),
        (&text, "1", "not a .npy file"),
    ];
    for (input, p, message) in cases {
        let args = [
            "scores",
            "--input",
            &path(input),
            "--p",
            p,
            "--kind",
            "lewis",
            "--out",
            &path(&out),
        ];
        let stderr = stderr_of_failure(&args);
        assert!(stderr.contains(message), "{}: {stderr}", input.display());
        assert!(!out.exists(), "no output file after a failure");
    }
}

#[test]
fn sample_command_is_reproducible() {
    let dir = tempfile::tempdir().unwrap();
    let a = Mat::from_fn(60, 3, |i, j| ((i * 7 + j * 3) as f64).sin());
    let input = write_npy(dir.path(), "a.npy", &a);
    let run = |seed: &str| {
        let args = [
            "sample",
            "--input",
            input.to_str().unwrap(),
            "--p",
            "1",
            "--scheme",
            "lewis",
            "--m",
            "15",
            "--seed",
            seed,
            "--json",
        ];
        let output = lpsample(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };
    let first = run("7");
    assert_eq!(first, run("7"));
    assert_eq!(first["expected_size"].as_f64().unwrap(), 15.0);
    assert_eq!(
        first["rows"].as_array().unwrap().len(),
        first["weights"].as_array().unwrap().len()
    );
}

#[test]
fn regress_sweep_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let a = Mat::from_fn(200, 3, |i, j| ((i * (j + 2)) as f64 * 0.37).sin());
    let b = Mat::from_fn(200, 1, |i, _| (i % 9) as f64 - a[(i, 0)]);
    let input = write_npy(dir.path(), "a.npy", &a);
    let target = write_npy(dir.path(), "b.npy", &b);
    let out = dir.path().join("sweep.jsonl");
    let summary = dir.path().join("summary.md");
    let run = |reps: &str| {
        let args = [
            "regress",
            "--input",
            input.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--p",
            "1",
            "--schemes",
            "uniform,lewis",
            "--m-grid",
            "10r",
            "--reps",
            reps,
            "--seed",
            "3",
            "--out",
            out.to_str().unwrap(),
            "--summary",
            summary.to_str().unwrap(),
        ];
        let output = lpsample(&args);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read_to_string(&out).unwrap()
    };

    let first = run("2");
    assert_eq!(first.lines().count(), 4);
    let second = run("3");
    assert_eq!(
        second.lines().count(),
        6,
        "only the new repetition is added"
    );
    assert!(
        second.starts_with(&first),
        "finished lines are kept as they are"
    );

    for line in second.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        assert!(
            record["cost_ratio"].as_f64().unwrap() >= 1.0 - 1e-6,
            "{record}"
        );
    }
    let table = std::fs::read_to_string(&summary).unwrap();
    assert!(table.contains("| lewis | 40 | 3 |"), "{table}");
}

#[test]
fn distortion_sweep_writes_records() {
    let dir = tempfile::tempdir().unwrap();
    let a = Mat::from_fn(150, 3, |i, j| ((i * (j + 2)) as f64 * 0.61).cos());
    let input = write_npy(dir.path(), "a.npy", &a);
    let out = dir.path().join("distortion.jsonl");
    let args = [
        "distortion",
        "--input",
        input.to_str().unwrap(),
        "--p",
        "2",
        "--schemes",
        "uniform,leverage",
        "--m-grid",
        "10r",
        "--probes",
        "gaussian:100,svd",
        "--reps",
        "3",
        "--seed",
        "5",
        "--out",
        out.to_str().unwrap(),
    ];
    let output = lpsample(&args);
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );

    let text = std::fs::read_to_string(&out).unwrap();
    assert_eq!(text.lines().count(), 6);
    for line in text.lines() {
        let record: Value = serde_json::from_str(line).unwrap();
        let probe = record["distortion"].as_f64().unwrap();
        let exact = record["exact"].as_f64().unwrap();
        assert!(probe <= exact + 1e-12, "{record}");
    }
    let summary = String::from_utf8_lossy(&output.stdout);
    assert!(summary.contains("| leverage | 30 | 3 |"), "{summary}");
}

#[test]
fn scores_sketch_close_to_exact() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = tape::rng::stream(11, "cli-sketch");
    let a = tape::rng::normal_mat(&mut rng, 5000, 4, 1.0);
    let input = write_npy(dir.path(), "tall.npy", &a);
    let run = |method: &str| {
        let output = lpsample(&[
            "scores",
            "--input",
            input.to_str().unwrap(),
            "--p",
            "2",
            "--kind",
            "leverage",
            "--lev-method",
            method,
            "--seed",
            "3",
            "--json",
        ]);
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };

    let exact = run("col-piv-qr");
    let sketched = run("sketch");
    assert!(sketched["method"].as_str().unwrap().starts_with("Sketch"));
    let pairs = exact["scores"]
        .as_array()
        .unwrap()
        .iter()
        .zip(sketched["scores"].as_array().unwrap());
    for (t, s) in pairs {
        let (t, s) = (t.as_f64().unwrap(), s.as_f64().unwrap());
        assert!((s / t - 1.0).abs() < 0.3, "exact {t}, sketched {s}");
    }
}

#[test]
fn negative_values_reach_validation() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_npy(
        dir.path(),
        "a.npy",
        &faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
    );
    let input = input.to_str().unwrap();

    let p = stderr_of_failure(&["scores", "--input", input, "--p", "-1", "--kind", "lewis"]);
    assert!(p.contains("invalid p = -1"), "{p}");
    let eta = stderr_of_failure(&[
        "scores",
        "--input",
        input,
        "--p",
        "1",
        "--kind",
        "lewis",
        "--lewis-eta",
        "-0.5",
    ]);
    assert!(eta.contains("invalid eta = -0.5"), "{eta}");
    let m = stderr_of_failure(&[
        "sample", "--input", input, "--p", "1", "--scheme", "lewis", "--m", "-3",
    ]);
    assert!(m.contains("invalid sample size m = -3"), "{m}");
}

#[test]
fn with_replacement_rejects_huge_m() {
    let dir = tempfile::tempdir().unwrap();
    let input = write_npy(
        dir.path(),
        "a.npy",
        &faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]],
    );
    let stderr = stderr_of_failure(&[
        "sample",
        "--input",
        input.to_str().unwrap(),
        "--p",
        "1",
        "--scheme",
        "lewis",
        "--mode",
        "with-replacement",
        "--m",
        "1e12",
    ]);
    assert!(stderr.contains("at most 1e8 draws"), "{stderr}");
}

#[test]
fn logs_without_colour_when_piped() {
    let dir = tempfile::tempdir().unwrap();
    let a = Mat::from_fn(80, 2, |i, j| ((i * (j + 3)) as f64 * 0.3).sin());
    let input = write_npy(dir.path(), "a.npy", &a);
    let output = Command::new(env!("CARGO_BIN_EXE_lpsample"))
        .env("RUST_LOG", "info")
        .args([
            "distortion",
            "--input",
            input.to_str().unwrap(),
            "--p",
            "1",
            "--schemes",
            "uniform",
            "--m-grid",
            "5r",
            "--probes",
            "svd",
            "--reps",
            "1",
            "--out",
            dir.path().join("d.jsonl").to_str().unwrap(),
        ])
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);

    assert!(output.status.success(), "{stderr}");
    assert!(stderr.contains("sweep unit done"), "{stderr}");
    assert!(
        !stderr.contains('\u{1b}'),
        "ANSI escape in piped logs: {stderr}"
    );
}

fn regress_args<'a>(
    input: &'a str,
    target: &'a str,
    out: &'a str,
    extra: &[&'a str],
) -> Vec<&'a str> {
    let mut args = vec![
        "regress",
        "--input",
        input,
        "--target",
        target,
        "--p",
        "3",
        "--schemes",
        "lewis",
        "--m-grid",
        "10r",
        "--reps",
        "2",
        "--seed",
        "1",
        "--out",
        out,
    ];
    args.extend_from_slice(extra);
    args
}

#[test]
fn regress_p3_gaussian_solves() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = tape::rng::stream(5, "cli-regress-p3");
    let a = tape::rng::normal_mat(&mut rng, 200, 5, 1.0);
    let b = tape::rng::normal_mat(&mut rng, 200, 1, 1.0);
    let input = write_npy(dir.path(), "a.npy", &a);
    let target = write_npy(dir.path(), "b.npy", &b);
    let full = |solver: &str| {
        let output = lpsample(&[
            "regress",
            "--input",
            input.to_str().unwrap(),
            "--target",
            target.to_str().unwrap(),
            "--p",
            "3",
            "--full",
            "--solver",
            solver,
            "--json",
        ]);
        assert!(
            output.status.success(),
            "{solver}: {}",
            String::from_utf8_lossy(&output.stderr)
        );
        serde_json::from_slice::<Value>(&output.stdout).unwrap()
    };

    let conic = full("conic");
    let irls = full("irls");
    let (c, i) = (
        conic["objective"].as_f64().unwrap(),
        irls["objective"].as_f64().unwrap(),
    );
    assert!((c / i - 1.0).abs() < 1e-6, "conic {c}, IRLS {i}");
    assert!(conic["relative_gap"].as_f64().unwrap() < 1e-6, "{conic}");
}

#[test]
fn regress_sweep_fingerprint_and_plot() {
    let dir = tempfile::tempdir().unwrap();
    let mut rng = tape::rng::stream(6, "cli-fingerprint");
    let a = tape::rng::normal_mat(&mut rng, 150, 3, 1.0);
    let b = tape::rng::normal_mat(&mut rng, 150, 1, 1.0);
    let input = write_npy(dir.path(), "a.npy", &a);
    let target = write_npy(dir.path(), "b.npy", &b);
    let out = dir.path().join("sweep.jsonl");
    let plot = dir.path().join("sweep.svg");
    let (input_s, target_s, out_s) = (
        input.to_str().unwrap(),
        target.to_str().unwrap(),
        out.to_str().unwrap(),
    );
    let run = |extra: &[&str]| {
        let output = lpsample(&regress_args(input_s, target_s, out_s, extra));
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        std::fs::read_to_string(&out).unwrap().lines().count()
    };

    assert_eq!(
        run(&["--solver", "irls", "--plot", plot.to_str().unwrap()]),
        2
    );
    let svg = std::fs::read_to_string(&plot).unwrap();
    assert!(
        svg.starts_with("<svg") && svg.contains("lewis median"),
        "{svg}"
    );
    assert_eq!(
        run(&["--solver", "irls"]),
        2,
        "same input and parameters are resumed"
    );
    assert_eq!(
        run(&["--solver", "conic"]),
        4,
        "another solver is a new unit"
    );

    let changed = Mat::from_fn(150, 3, |i, j| a[(i, j)] + 0.5);
    write_npy(dir.path(), "a.npy", &changed);
    assert_eq!(
        run(&["--solver", "irls"]),
        6,
        "a changed input is never reused"
    );
}

#[test]
fn output_never_replaces_input() {
    let dir = tempfile::tempdir().unwrap();
    let a = Mat::from_fn(3, 2, |i, j| [[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]][i][j]);
    let input = write_npy(dir.path(), "a.npy", &a);
    let before = std::fs::read(&input).unwrap();
    let path = input.to_str().unwrap();

    let msg = stderr_of_failure(&[
        "scores", "--input", path, "--p", "2", "--kind", "leverage", "--out", path,
    ]);

    assert!(msg.contains("also an input"), "{msg}");
    assert_eq!(std::fs::read(&input).unwrap(), before);
}
