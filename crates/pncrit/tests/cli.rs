//! The `pncrit` binary: TSV header, JSON fields, one-line errors (exit code 1,
//! usage errors 2) and the guards on output paths.

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
    assert_exit_and_line(out, 1, needle);
}

fn assert_usage_error(out: &std::process::Output, needle: &str) {
    assert_exit_and_line(out, 2, needle);
}

fn assert_exit_and_line(out: &std::process::Output, code: i32, needle: &str) {
    assert_eq!(
        out.status.code(),
        Some(code),
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
    assert_one_line_error(
        &out,
        "line 2 of the file (data row 1), column 1: 'M' is not a number; use --cols 2-4",
    );
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
    assert_one_line_error(&out, "data row 2 (after the skipped lines) has 3 fields");
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
    assert_usage_error(&out, "--data");
    let out = pncrit(&["nmin", "--d", "3", "--skip-me"]);
    assert_usage_error(&out, "--skip-me");
    let out = pncrit(&["nmin", "--a1", "38.5", "--d", "11"]);
    assert_usage_error(&out, "cannot be used with");
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

#[test]
fn output_equal_to_input_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "in.csv", &sample_csv());
    let before = std::fs::read(&data).unwrap();
    let check = [
        "check", "--data", &data, "--skip", "1", "--cols", "2-4", "--family", "mvn",
    ];
    let out = pncrit(&[&check[..], &["-o", &data]].concat());
    assert_one_line_error(&out, "also an input");
    let scan = [
        "scan", "--data", &data, "--skip", "1", "--cols", "2-4", "--family", "mvn",
    ];
    let out = pncrit(&[&scan[..], &["--plot", &data]].concat());
    assert_one_line_error(&out, "also an input");
    assert_eq!(
        std::fs::read(&data).unwrap(),
        before,
        "the input was changed"
    );
}

#[test]
fn bad_output_path_fails_first() {
    let dir = tempfile::tempdir().unwrap();
    let folder = dir.path().display().to_string();
    // 10⁹ replicates would run for hours: the folder must be rejected first.
    let simulate = [
        "simulate",
        "--case",
        "poisson-negbin",
        "--reps",
        "1000000000",
    ];
    let out = pncrit(&[&simulate[..], &["-o", &folder]].concat());
    assert_one_line_error(&out, "not a regular file");

    let missing = dir.path().join("nodir").join("x.tsv");
    let out = pncrit(&["nmin", "--d", "3", "-o", missing.to_str().unwrap()]);
    assert_one_line_error(
        &out,
        "does not exist; create it or choose another output path",
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("x.tsv.tmp"));

    let out = pncrit(&["check", "--data", "no-such.csv", "--family", "mvn"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(stderr.matches("os error 2").count(), 1, "{stderr}");
}

#[test]
fn closed_pipe_ends_quietly() {
    use std::process::Stdio;
    let mut child = Command::new(env!("CARGO_BIN_EXE_pncrit"))
        .args([
            "simulate",
            "--case",
            "poisson-negbin",
            "--n",
            "10,20,40,80,160,320",
            "--reps",
            "2000",
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(
        out.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn option_ranges_checked_first() {
    let dir = tempfile::tempdir().unwrap();
    let data = write(dir.path(), "x.csv", &sample_csv());
    let base = ["check", "--data", &data, "--skip", "1", "--cols", "2-4"];
    let out = pncrit(
        &[
            &base[..],
            &["--family", "loglinear", "--max-states", "20000000"],
        ]
        .concat(),
    );
    assert_one_line_error(
        &out,
        "invalid max-states = 20000000: give a number from 1 to 1048576",
    );
    let out = pncrit(&[
        "check", "--data", &data, "--skip", "1", "--cols", "2,2,3", "--family", "mvn",
    ]);
    assert_one_line_error(&out, "column 2 is selected twice");
}

#[test]
fn missing_skip_is_suggested() {
    let dir = tempfile::tempdir().unwrap();
    let rows: String = sample_csv()
        .lines()
        .skip(1)
        .map(|l| format!("{}\n", &l[2..]))
        .collect();
    let text = format!("a,b,c\nunits,cm,kg\n{rows}");
    let data = write(dir.path(), "x.csv", &text);
    let out = pncrit(&["check", "--data", &data, "--family", "mvn"]);
    assert_one_line_error(
        &out,
        "the first 2 lines look like a header, so use --skip 2",
    );
}

#[test]
fn huge_scale_leaves_a1_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let plain = write(dir.path(), "plain.csv", &sample_csv());
    let scaled_text: String = sample_csv()
        .lines()
        .enumerate()
        .map(|(i, line)| {
            let mut fields: Vec<String> = line.split(',').map(str::to_string).collect();
            if i > 0 {
                fields[1] = format!("{:e}", fields[1].parse::<f64>().unwrap() * 1e160);
            }
            fields.join(",") + "\n"
        })
        .collect();
    let scaled = write(dir.path(), "scaled.csv", &scaled_text);
    let a1 = |path: &str| {
        let out = pncrit(&[
            "check", "--data", path, "--skip", "1", "--cols", "2-4", "--family", "mvn", "--json",
        ]);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        v["a1"].as_f64().unwrap()
    };
    let (a, b) = (a1(&plain), a1(&scaled));
    assert!((a - b).abs() <= 1e-9 * a.abs(), "{a} vs {b}");
}

#[test]
fn huge_values_print_compactly() {
    let out = pncrit(&["nmin", "--a1", "-1e300"]);
    assert_one_line_error(&out, "invalid a1 = -1e300");
}
