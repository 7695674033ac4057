//! The `pncrit` binary: TSV header, JSON fields, and one-line errors with exit code 2.

mod common;

use std::path::Path;
use std::process::Command;

fn pncrit(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_pncrit"))
        .args(args)
        .output()
        .expect("the binary runs")
}

fn write(dir: &Path, name: &str, text: &str) -> String {
    let path = dir.join(name);
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// Returns a small 3-column data set with a text column first.
fn sample_csv() -> String {
    let mut text = String::from("kind,a,b,c\n");
    for i in 0..40 {
        let x = i as f64;
        text.push_str(&format!(
            "M,{},{},{}\n",
            (x * 0.7).sin() + 2.0,
            (x * 1.3).cos() * x / 10.0,
            (x * 0.37).sin().powi(2) + 0.1 * x
        ));
    }
    text
}

fn assert_one_line_error(out: &std::process::Output, needle: &str) {
    assert_eq!(
        out.status.code(),
        Some(2),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(lines.len(), 1, "stderr: {stderr}");
    assert!(
        lines[0].starts_with("error: ") && lines[0].contains(needle),
        "stderr: {stderr}"
    );
}

#[test]
fn check_prints_tsv_header_and_row() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "x.csv", &sample_csv());
    let out = pncrit(&[
        "check", "--data", &data, "--skip", "1", "--cols", "2-4", "--family", "mvn", "--mode",
        "model",
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    let mut lines = stdout.lines();
    assert_eq!(lines.next(), Some(pncrit::report::TSV_HEADER));
    let row: Vec<&str> = lines.next().unwrap().split('\t').collect();
    assert_eq!(row.len(), pncrit::report::TSV_HEADER.split('\t').count());
    assert_eq!(row[4], "9");
    assert_eq!(row[6], "4.5");
}

#[test]
fn check_json_fields() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "x.csv", &sample_csv());
    let out = pncrit(&[
        "check", "--data", &data, "--skip", "1", "--cols", "2-3", "--family", "mvn", "--mode",
        "model", "--beta", "0.45", "--json",
    ]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    for key in [
        "p", "n", "a1", "a2", "r", "accept", "n_min", "R1", "R2", "flags", "parts",
    ] {
        assert!(v.get(key).is_some(), "missing {key}");
    }
    assert_eq!(v["p"], 5);
    assert!((v["a2"].as_f64().unwrap() - 203.0 / 12.0).abs() < 1e-9);
    assert!((v["r"].as_f64().unwrap() - 0.02).abs() < 1e-15);
}

#[test]
fn non_numeric_cell_suggests_columns() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "x.csv", &sample_csv());
    let out = pncrit(&[
        "check", "--data", &data, "--skip", "1", "--cols", "1-4", "--family", "mvn",
    ]);
    assert_one_line_error(&out, "row 1, column 1: 'M' is not a number; use --cols 2-4");
}

#[test]
fn constant_column_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "c.csv", "1,5\n2,5\n3,5\n4,5\n");
    let out = pncrit(&["check", "--data", &data, "--family", "mvn"]);
    assert_one_line_error(&out, "column 2 is constant");
}

#[test]
fn too_few_rows_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "s.csv", "1,2,3\n4,5,7\n");
    let out = pncrit(&["check", "--data", &data, "--family", "mvn"]);
    assert_one_line_error(&out, "n = 2 rows is too few for d = 3");
    let data = write(dir.path(), "e.csv", "1,2\n4,5\n2,9\n3,1\n");
    let out = pncrit(&[
        "check",
        "--data",
        &data,
        "--family",
        "mvn",
        "--mode",
        "empirical",
    ]);
    assert_one_line_error(&out, "n = 4 rows is too few for p = 5");
}

#[test]
fn collinear_columns_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "k.csv", "1,2,3\n2,4,1\n3,6,4\n4,8,1\n5,10,5\n");
    let out = pncrit(&["check", "--data", &data, "--family", "mvn"]);
    assert_one_line_error(&out, "columns 1 and 2 are collinear");
}

#[test]
fn bad_beta_and_r_rejected_without_output_file() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "x.csv", &sample_csv());
    let target = dir.path().join("out.tsv");
    let target_text = target.display().to_string();
    let out = pncrit(&[
        "check",
        "--data",
        &data,
        "--skip",
        "1",
        "--cols",
        "2-3",
        "--family",
        "mvn",
        "--beta",
        "0.7",
        "-o",
        &target_text,
    ]);
    assert_one_line_error(&out, "invalid beta = 0.7");
    let out = pncrit(&[
        "check",
        "--data",
        &data,
        "--skip",
        "1",
        "--cols",
        "2-3",
        "--family",
        "mvn",
        "--r",
        "-1",
        "-o",
        &target_text,
    ]);
    assert_one_line_error(&out, "invalid r = -1");
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only the data file remains"
    );
}

#[test]
fn ragged_row_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "r.csv", "1,2\n3,4,5\n");
    let out = pncrit(&["check", "--data", &data, "--family", "mvn"]);
    assert_one_line_error(&out, "row 2 has 3 fields");
}

#[test]
fn scan_writes_table_and_svg() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "x.csv", &sample_csv());
    let svg = dir.path().join("scan.svg");
    let svg_text = svg.display().to_string();
    let out = pncrit(&[
        "scan", "--data", &data, "--skip", "1", "--cols", "2-4", "--family", "mvn", "--r", "0.02",
        "--plot", &svg_text,
    ]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let stdout = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        stdout.lines().filter(|l| !l.starts_with('#')).count(),
        1 + 9,
        "header + 3 d × 3 modes"
    );
    assert!(stdout.contains("# p_max\tmodel"));
    let text = std::fs::read_to_string(&svg).unwrap();
    assert!(text.starts_with("<svg"));
    assert!(text.trim_end().ends_with("</svg>"));
}

#[test]
fn nmin_mvn_d11() {
    let out = pncrit(&["nmin", "--d", "11", "--r", "0.02", "--json"]);
    assert!(out.status.success());
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert!((v["n_min_root"].as_f64().unwrap() - 1946.5678753690383).abs() < 1e-6);
    assert_eq!(v["n_min"], 1947);
}

#[test]
fn nmin_default_beta_equals_r_002() {
    // a₁/r = 50 exactly: r must be 0.02, not 0.01999999999999999.
    let by_beta = pncrit(&["nmin", "--a1", "1", "--order", "1", "--json"]);
    let by_r = pncrit(&["nmin", "--a1", "1", "--order", "1", "--r", "0.02", "--json"]);
    let a: serde_json::Value = serde_json::from_slice(&by_beta.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&by_r.stdout).unwrap();
    assert_eq!(a["r"], 0.02);
    assert_eq!(a["n_min"], 50);
    assert_eq!(b["n_min"], 50);
}

#[test]
fn nmin_overflow_is_an_error() {
    let out = pncrit(&["nmin", "--a1", "1e300", "--r", "0.02"]);
    assert_one_line_error(&out, "n_min overflows");
    let out = pncrit(&["nmin", "--a1", "1", "--a2", "1e300", "--r", "0.02"]);
    assert_one_line_error(&out, "n_min overflows");
}

#[test]
fn errors_name_the_given_value() {
    let out = pncrit(&["nmin", "--d", "0"]);
    assert_one_line_error(&out, "invalid d = 0");
    let out = pncrit(&["nmin", "--d", "-2"]);
    assert_one_line_error(&out, "invalid d = -2");
    let out = pncrit(&["nmin", "--a1", "-3"]);
    assert_one_line_error(&out, "invalid a1 = -3");
    let out = pncrit(&["nmin", "--a1", "2", "--beta", "-0.1"]);
    assert_one_line_error(&out, "invalid beta = -0.1");

    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "x.csv", &sample_csv());
    let out = pncrit(&[
        "check", "--data", &data, "--skip", "1", "--cols", "2-99", "--family", "mvn",
    ]);
    assert_one_line_error(&out, "invalid cols = 2-99: column 5 does not exist");
}

#[test]
fn argument_errors_are_one_line() {
    let out = pncrit(&["check", "--family", "mvn"]);
    assert_one_line_error(&out, "--data");
    let out = pncrit(&["nmin", "--d", "3", "--skip-me"]);
    assert_one_line_error(&out, "--skip-me");
}

#[test]
fn constant_poisson_column_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "p.csv", "a,b\n1,3\n2,3\n5,3\n");
    let out = pncrit(&[
        "check", "--data", &data, "--skip", "1", "--cols", "2", "--family", "poisson",
    ]);
    assert_one_line_error(&out, "column 2 is constant");
}

#[test]
fn custom_command_reproduces_bernoulli() {
    let dir = tempfile::tempdir().unwrap();
    let values = "1\n0\n0\n1\n1\n0\n1\n1\n1\n0\n";
    let stats = write(dir.path(), "t.csv", values);
    let states = write(dir.path(), "u.csv", "0\n1\n");
    let custom = pncrit(&[
        "custom",
        "--stats",
        &stats,
        "--model-cloud",
        &states,
        "--json",
    ]);
    assert!(
        custom.status.success(),
        "{}",
        String::from_utf8_lossy(&custom.stderr)
    );
    let builtin = pncrit(&["check", "--data", &stats, "--family", "bernoulli", "--json"]);
    let a: serde_json::Value = serde_json::from_slice(&custom.stdout).unwrap();
    let b: serde_json::Value = serde_json::from_slice(&builtin.stdout).unwrap();
    for key in ["a1", "a2", "R2"] {
        let (u, v) = (a[key].as_f64().unwrap(), b[key].as_f64().unwrap());
        assert!((u - v).abs() < 1e-9 * v.abs(), "{key}: {u} vs {v}");
    }
    assert_eq!(a["family"], "custom");

    let out = pncrit(&["custom", "--stats", &stats]);
    assert_one_line_error(&out, "--model-cloud FILE or use --mode empirical");
    let bad = write(dir.path(), "w.csv", "0.5\n0.25\n");
    let out = pncrit(&[
        "custom",
        "--stats",
        &stats,
        "--model-cloud",
        &states,
        "--weights",
        &bad,
    ]);
    assert_one_line_error(&out, "weights must sum to 1");
}

#[test]
fn loglinear_sampling_seeded() {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::new();
    let mut rng = tape::rng::stream(11, "binary-data");
    for _ in 0..300 {
        let bits: Vec<String> = (0..4)
            .map(|_| u8::from(tape::rng::unit(&mut rng) < 0.4).to_string())
            .collect();
        text.push_str(&bits.join(","));
        text.push('\n');
    }
    let data = write(dir.path(), "b.csv", &text);
    let args = [
        "check",
        "--data",
        &data,
        "--family",
        "loglinear",
        "--sampling",
        "always",
        "--draws",
        "4000",
        "--burn-in",
        "200",
        "--seed",
        "3",
        "--json",
    ];
    let first = pncrit(&args);
    assert!(
        first.status.success(),
        "{}",
        String::from_utf8_lossy(&first.stderr)
    );
    let second = pncrit(&args);
    assert_eq!(first.stdout, second.stdout);
    let v: serde_json::Value = serde_json::from_slice(&first.stdout).unwrap();
    assert_eq!(v["sampling"]["draws"], 4000);
    assert!(v["a2_mc_se"].as_f64().unwrap() > 0.0);
    assert!(v["loglik"].is_null());

    let out = pncrit(&[
        "check",
        "--data",
        &data,
        "--family",
        "loglinear",
        "--max-states",
        "8",
    ]);
    assert_one_line_error(&out, "use --sampling beyond-cap");
}
