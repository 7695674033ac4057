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
