//! Command-line contract: `sparsereg fit --x X.npy --y y.npy --method M --json`
//! recovers a planted support, and bad input gives one clear error each.

use std::path::Path;
use std::process::Command;

use faer::Mat;
use sparsereg::design::Design;
use sparsereg::instance::{InstanceSpec, Noise, generate};

fn sparsereg(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_sparsereg"))
        .args(args)
        .output()
        .unwrap()
}

fn column(v: &[f64]) -> Mat<f64> {
    Mat::from_fn(v.len(), 1, |i, _| v[i])
}

fn write_xy(dir: &Path, x: &Mat<f64>, y: &[f64]) -> (String, String) {
    let (xp, yp) = (dir.join("X.npy"), dir.join("y.npy"));
    datasets::npy::write_matrix(&xp, x).unwrap();
    datasets::npy::write_matrix(&yp, &column(y)).unwrap();
    (xp.display().to_string(), yp.display().to_string())
}

fn fit_json(x: &str, y: &str, extra: &[&str]) -> serde_json::Value {
    let mut args = vec!["fit", "--x", x, "--y", y, "--json"];
    args.extend_from_slice(extra);
    let out = sparsereg(&args);
    assert!(
        out.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).unwrap()
}

fn indices(v: &serde_json::Value) -> Vec<usize> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|e| e.as_u64().unwrap() as usize)
        .collect()
}

#[test]
fn fit_recovers_planted_support() {
    let spec = InstanceSpec {
        design: Design::Gauss,
        n: 200,
        d: 500,
        k: 5,
        noise: Noise::Sigma(0.1),
        n_test: 10,
        seed: 0,
        ..Default::default()
    };
    let inst = generate(&spec).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let (x, y) = write_xy(dir.path(), &inst.x, &inst.y);

    let omp = fit_json(&x, &y, &["--method", "omp", "--k", "5"]);
    assert_eq!(indices(&omp["support"]), inst.support, "omp");
    assert_eq!(omp["coef_on_support"].as_array().unwrap().len(), 5);

    let cv = fit_json(&x, &y, &["--method", "lasso-cv"]);
    let support = indices(&cv["support"]);
    assert!(
        inst.support.iter().all(|j| support.contains(j)),
        "lasso-cv misses a planted column: {support:?}"
    );
    let coef: Vec<f64> = cv["coef_on_support"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    let mut dense = vec![0.0; 500];
    for (j, c) in support.iter().zip(coef) {
        dense[*j] = c;
    }
    assert_eq!(
        sparsereg::linalg::top_k(&dense, 5),
        inst.support,
        "lasso-cv: the 5 largest coefficients"
    );

    let thresholded = fit_json(&x, &y, &["--method", "lasso-cv+threshold", "--k", "5"]);
    assert_eq!(
        indices(&thresholded["support"]),
        inst.support,
        "lasso-cv+threshold"
    );
    for method in ["fs", "iht", "cosamp"] {
        let fit = fit_json(&x, &y, &["--method", method, "--k", "5"]);
        assert_eq!(indices(&fit["support"]), inst.support, "{method}");
    }
}

fn fit_error(x: &str, y: &str, extra: &[&str]) -> String {
    let mut args = vec!["fit", "--x", x, "--y", y];
    args.extend_from_slice(extra);
    let out = sparsereg(&args);
    assert!(!out.status.success(), "expected a failure for {extra:?}");
    let stderr = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert_eq!(stderr.lines().count(), 1, "one line expected: {stderr}");
    stderr
}

#[test]
fn bad_input_gives_one_clear_error() {
    let dir = tempfile::tempdir().unwrap();
    let x = Mat::from_fn(20, 6, |i, j| ((i * 31 + j * 17) % 11) as f64);
    let y: Vec<f64> = (0..20).map(|i| i as f64).collect();

    let (xp, _) = write_xy(dir.path(), &x, &y);
    let short = dir.path().join("short.npy");
    datasets::npy::write_matrix(&short, &column(&y[..19])).unwrap();
    let msg = fit_error(
        &xp,
        short.to_str().unwrap(),
        &["--method", "omp", "--k", "2"],
    );
    assert!(msg.contains("20 rows"), "{msg}");
    assert!(msg.contains("19 entries"), "{msg}");

    let mut nan = x.clone();
    nan[(3, 4)] = f64::NAN;
    let nan_dir = dir.path().join("nan");
    std::fs::create_dir(&nan_dir).unwrap();
    let (xn, yn) = write_xy(&nan_dir, &nan, &y);
    let out_file = nan_dir.join("fit.json");
    let msg = fit_error(
        &xn,
        &yn,
        &[
            "--method",
            "omp",
            "--k",
            "2",
            "--out",
            out_file.to_str().unwrap(),
        ],
    );
    assert!(msg.contains("row 3, column 4"), "{msg}");
    assert!(!out_file.exists(), "no output file after an error");

    let (xp, yp) = write_xy(dir.path(), &x, &y);
    let msg = fit_error(&xp, &yp, &["--method", "omp", "--k", "7"]);
    assert!(msg.contains("invalid k = 7"), "{msg}");

    let mut constant = x.clone();
    for i in 0..20 {
        constant[(i, 2)] = 1.5;
    }
    let c_dir = dir.path().join("const");
    std::fs::create_dir(&c_dir).unwrap();
    let (xc, yc) = write_xy(&c_dir, &constant, &y);
    let msg = fit_error(&xc, &yc, &["--method", "lasso-cv"]);
    assert!(msg.contains("column 2"), "{msg}");
    assert!(msg.contains("constant"), "{msg}");
}

#[test]
fn gen_then_fit_instance() {
    let dir = tempfile::tempdir().unwrap();
    let inst = dir.path().join("inst");
    let out = sparsereg(&[
        "gen",
        "--design",
        "ar1:0.5",
        "--n",
        "80",
        "--d",
        "60",
        "--k",
        "3",
        "--sigma",
        "0.1",
        "--seed",
        "2",
        "--n-test",
        "100",
        "--out",
        inst.to_str().unwrap(),
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for name in [
        "X.npy",
        "y.npy",
        "w_star.npy",
        "X_test.npy",
        "y_test_signal.npy",
        "instance.json",
    ] {
        assert!(inst.join(name).exists(), "{name}");
    }
    let out = sparsereg(&[
        "fit",
        "--instance",
        inst.to_str().unwrap(),
        "--method",
        "lasso+refit",
        "--json",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let fit: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(fit["alpha_rule"], "universal:1");
    assert!(fit["pe_in"].as_f64().unwrap() < 0.05, "{fit}");
    assert!(fit["gap_rel"].as_f64().unwrap() <= 1e-8);
}

/// Writes the acceptance instance (Gaussian, N = 200, d = 500, k = 5, σ = 0.1).
fn acceptance_instance(dir: &Path, seed: u64) -> (Vec<usize>, String, String) {
    let spec = InstanceSpec {
        design: Design::Gauss,
        n: 200,
        d: 500,
        k: 5,
        noise: Noise::Sigma(0.1),
        n_test: 10,
        seed,
        ..Default::default()
    };
    let inst = generate(&spec).unwrap();
    let (x, y) = write_xy(dir, &inst.x, &inst.y);
    (inst.support, x, y)
}

#[test]
fn omp_and_relaxed_cv_recover_support_exactly() {
    for seed in 0..4 {
        let dir = tempfile::tempdir().unwrap();
        let (support, x, y) = acceptance_instance(dir.path(), seed);

        let omp = fit_json(&x, &y, &["--method", "omp", "--k", "5"]);
        assert_eq!(indices(&omp["support"]), support, "omp, seed {seed}");

        let cv = fit_json(&x, &y, &["--method", "lasso-cv+relaxed"]);
        assert_eq!(
            indices(&cv["support"]),
            support,
            "lasso-cv+relaxed, seed {seed}"
        );
        assert_eq!(cv["method"], "lasso-cv+relaxed", "seed {seed}");
        for c in cv["coef_on_support"].as_array().unwrap() {
            let c = c.as_f64().unwrap();
            assert!((c.abs() - 1.0).abs() < 0.05, "seed {seed}: coefficient {c}");
        }
    }
}

#[test]
fn invalid_flags_give_our_errors() {
    let dir = tempfile::tempdir().unwrap();
    let x = Mat::from_fn(20, 6, |i, j| ((i * 31 + j * 17) % 11) as f64);
    let y: Vec<f64> = (0..20).map(|i| i as f64).collect();
    let (xp, yp) = write_xy(dir.path(), &x, &y);

    let msg = fit_error(&xp, &yp, &["--method", "lasso", "--alpha", "fixed:0"]);
    assert!(msg.contains("ordinary least squares"), "{msg}");
    let msg = fit_error(&xp, &yp, &["--method", "lasso", "--alpha", "fixed:-1"]);
    assert!(msg.contains("invalid alpha = -1"), "{msg}");
    let msg = fit_error(&xp, &yp, &["--method", "lasso-cv", "--tol", "-1"]);
    assert!(msg.contains("invalid tol = -1"), "{msg}");
    let msg = fit_error(&xp, &yp, &["--method", "lasso", "--sigma", "-2"]);
    assert!(msg.contains("invalid sigma = -2"), "{msg}");

    let out = sparsereg(&[
        "fit", "--x", &xp, "--y", &yp, "--method", "omp", "--k", "-3",
    ]);
    let msg = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(msg.contains("-3 is negative"), "{msg}");
    assert!(!msg.contains("unexpected argument"), "{msg}");
}

#[test]
fn gen_rejects_huge_design_up_front() {
    let dir = tempfile::tempdir().unwrap();
    let out_dir = dir.path().join("huge");
    let out = sparsereg(&[
        "gen",
        "--n",
        "1e12",
        "--d",
        "1e9",
        "--k",
        "5",
        "--sigma",
        "0.1",
        "--out",
        out_dir.to_str().unwrap(),
    ]);
    let msg = String::from_utf8_lossy(&out.stderr).trim().to_string();
    assert!(!out.status.success());
    assert_eq!(msg.lines().count(), 1, "{msg}");
    assert!(msg.contains("invalid n = 1000000000000"), "{msg}");
    assert!(!out_dir.exists(), "no output after an error");
}

#[test]
fn fit_output_never_replaces_input() {
    let dir = tempfile::tempdir().unwrap();
    let x = Mat::from_fn(20, 3, |i, j| ((i * 7 + j * 3) % 5) as f64 + i as f64);
    let y: Vec<f64> = (0..20).map(|i| i as f64).collect();
    let (xp, yp) = write_xy(dir.path(), &x, &y);
    let before = std::fs::read(&xp).unwrap();

    let out = sparsereg(&[
        "fit", "--x", &xp, "--y", &yp, "--method", "omp", "--k", "1", "--out", &xp,
    ]);

    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("also an input"), "{stderr}");
    assert_eq!(std::fs::read(&xp).unwrap(), before);
}

#[cfg(unix)]
#[test]
fn closed_pipe_ends_without_panic() {
    use std::process::Stdio;

    let dir = tempfile::tempdir().unwrap();
    let x = Mat::from_fn(200, 300, |i, j| (((i * 131 + j * 71) % 97) as f64).sin());
    let y: Vec<f64> = (0..200).map(|i| (i as f64).cos()).collect();
    let (xp, yp) = write_xy(dir.path(), &x, &y);

    // The reader closes before the fit finishes, so the JSON meets a closed pipe.
    let mut child = Command::new(env!("CARGO_BIN_EXE_sparsereg"))
        .args(["path", "--x", &xp, "--y", &yp, "--n-alphas", "20", "--json"])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();

    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(!stderr.contains("panicked"), "{stderr}");
    assert!(!stderr.contains("error"), "{stderr}");
}

#[test]
fn huge_finite_data_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let x = Mat::from_fn(20, 6, |i, j| ((i * 31 + j * 17) % 11) as f64 * 1e300);
    let y: Vec<f64> = (0..20).map(|i| i as f64).collect();
    let (xp, yp) = write_xy(dir.path(), &x, &y);
    for method in ["omp", "fs", "cosamp", "iht", "lasso", "lasso-cv"] {
        let msg = fit_error(
            &xp,
            &yp,
            &["--method", method, "--k", "2", "--sigma", "0.5"],
        );
        assert!(
            msg.contains("column 0 of X is too large"),
            "{method}: {msg}"
        );
        assert!(msg.contains("rescale"), "{method}: {msg}");
    }

    let out = sparsereg(&["path", "--x", &xp, "--y", &yp, "--seed", "3"]);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("column 0 of X is too large"), "{stderr}");
}

#[test]
fn bench_errors_print_once() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let out = out.to_str().unwrap();
    let run = sparsereg(&["bench", "--reps", "0", "--out", out]);
    let stderr = String::from_utf8_lossy(&run.stderr).trim().to_string();
    assert!(!run.status.success());
    assert!(stderr.contains("--reps 1"), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");

    let markdown = dir.path().join("b.md");
    std::fs::write(&markdown, "| method |\n").unwrap();
    let markdown = markdown.to_str().unwrap();
    let args = [
        "bench",
        "--designs",
        "gauss",
        "--d",
        "20",
        "--k",
        "2",
        "--n-grid",
        "20",
        "--reps",
        "1",
        "--methods",
        "omp",
        "--n-test",
        "10",
        "--out",
        markdown,
    ];
    let run = sparsereg(&args);
    let stderr = String::from_utf8_lossy(&run.stderr).trim().to_string();
    assert!(!run.status.success());
    assert_eq!(stderr.matches("line 1, column 1").count(), 1, "{stderr}");
}

#[test]
fn bench_rejects_changed_settings_then_force_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("b.jsonl");
    let out = out.to_str().unwrap();
    let bench = |sigma: &str, extra: &[&str]| {
        let mut args = vec![
            "bench",
            "--designs",
            "gauss",
            "--d",
            "20",
            "--k",
            "2",
            "--n-grid",
            "20",
            "--reps",
            "1",
            "--methods",
            "omp",
            "--n-test",
            "10",
            "--sigma",
            sigma,
            "--out",
            out,
        ];
        args.extend_from_slice(extra);
        sparsereg(&args)
    };
    assert!(bench("0.5", &[]).status.success());

    let run = bench("0.9", &[]);
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(!run.status.success());
    assert!(stderr.contains("--sigma 0.5, not 0.9"), "{stderr}");

    assert!(bench("0.9", &["--force"]).status.success());
    let lines = sparsereg::bench::read_bench(Path::new(out)).unwrap();
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].key.sigma, 0.9);
}
