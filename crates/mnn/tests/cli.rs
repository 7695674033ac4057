//! The `mnn` binary on good and bad `.npy` inputs.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn mnn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_mnn"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("the mnn binary runs")
}

/// Writes a `.npy` file with the given header dict and raw data bytes.
fn write_npy(dir: &Path, name: &str, dict: &str, data: &[u8]) -> PathBuf {
    let mut header = dict.to_string();
    while !(10 + header.len() + 1).is_multiple_of(64) {
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

fn f64_npy(dir: &Path, name: &str, shape: &str, values: &[f64], fortran: bool) -> PathBuf {
    let dict = format!(
        "{{'descr': '<f8', 'fortran_order': {}, 'shape': {shape}, }}",
        if fortran { "True" } else { "False" }
    );
    let data: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
    write_npy(dir, name, &dict, &data)
}

fn stdout_json(output: &Output) -> serde_json::Value {
    assert!(
        output.status.success(),
        "stderr: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_slice(&output.stdout).expect("stdout is one JSON object")
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

const CROSS: [f64; 8] = [1.0, 0.0, -1.0, 0.0, 0.0, 1.0, 0.0, -1.0];

#[test]
fn matrix_json_reports_scores() {
    let dir = tempfile::tempdir().unwrap();
    let path = f64_npy(dir.path(), "cross.npy", "(4, 2)", &CROSS, false);
    let json = stdout_json(&mnn(&[
        "matrix",
        "--input",
        path.to_str().unwrap(),
        "--json",
    ]));
    assert_eq!(json["n"], 4);
    assert_eq!(json["d"], 2);
    assert!((json["mnn"].as_f64().unwrap() - 0.5f64.sqrt()).abs() < 1e-12);
    assert!((json["mnn_raw"].as_f64().unwrap() - 8f64.sqrt()).abs() < 1e-12);
    assert!((json["me"].as_f64().unwrap() - 1.0).abs() < 1e-12);
    assert!((json["erank"].as_f64().unwrap() - 2.0).abs() < 1e-12);
    assert_eq!(json["status"], "ok");
}

#[test]
fn matrix_fortran_order_and_f32_match() {
    let dir = tempfile::tempdir().unwrap();
    let columns = [1.0, -1.0, 0.0, 0.0, 0.0, 0.0, 1.0, -1.0];
    let fortran = f64_npy(dir.path(), "f.npy", "(4, 2)", &columns, true);
    let f32_data: Vec<u8> = CROSS
        .iter()
        .flat_map(|&v| (v as f32).to_le_bytes())
        .collect();
    let single = write_npy(
        dir.path(),
        "s.npy",
        "{'descr': '<f4', 'fortran_order': False, 'shape': (4, 2), }",
        &f32_data,
    );
    for path in [fortran, single] {
        let json = stdout_json(&mnn(&[
            "matrix",
            "--input",
            path.to_str().unwrap(),
            "--json",
        ]));
        assert!(
            (json["mnn"].as_f64().unwrap() - 0.5f64.sqrt()).abs() < 1e-12,
            "{path:?}"
        );
        assert!(
            (json["erank"].as_f64().unwrap() - 2.0).abs() < 1e-12,
            "{path:?}"
        );
    }
}

#[test]
fn matrix_one_row_is_degenerate() {
    let dir = tempfile::tempdir().unwrap();
    let path = f64_npy(dir.path(), "one.npy", "(1, 3)", &[1.0, 2.0, 3.0], false);
    let output = mnn(&["matrix", "--input", path.to_str().unwrap(), "--json"]);
    let json = stdout_json(&output);
    assert_eq!(json["status"], "degenerate");
    assert!(json["mnn"].is_null());
    assert!(json["me"].is_null());
    assert!(
        stderr(&output).contains("degenerate"),
        "{}",
        stderr(&output)
    );
}

fn assert_one_error(output: &Output, needle: &str) {
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(output));
    let text = stderr(output);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "expected one error line, got {text}");
    assert!(lines[0].starts_with("error: "), "{text}");
    assert!(text.contains(needle), "expected {needle:?} in {text}");
    assert!(output.stdout.is_empty());
}

#[test]
fn matrix_rejects_nan_entry() {
    let dir = tempfile::tempdir().unwrap();
    let values = [1.0, 2.0, 3.0, f64::NAN];
    let path = f64_npy(dir.path(), "nan.npy", "(2, 2)", &values, false);
    let output = mnn(&["matrix", "--input", path.to_str().unwrap()]);
    assert_one_error(&output, "entry (1, 1) is NaN");
}

#[test]
fn matrix_rejects_integer_dtype() {
    let dir = tempfile::tempdir().unwrap();
    let data: Vec<u8> = [1i64, 2, 3, 4]
        .iter()
        .flat_map(|v| v.to_le_bytes())
        .collect();
    let dict = "{'descr': '<i8', 'fortran_order': False, 'shape': (2, 2), }";
    let path = write_npy(dir.path(), "int.npy", dict, &data);
    let output = mnn(&["matrix", "--input", path.to_str().unwrap()]);
    assert_one_error(&output, "dtype '<i8'");
}

#[test]
fn matrix_rejects_one_dimensional_array() {
    let dir = tempfile::tempdir().unwrap();
    let path = f64_npy(dir.path(), "vec.npy", "(3,)", &[1.0, 2.0, 3.0], false);
    let output = mnn(&["matrix", "--input", path.to_str().unwrap()]);
    assert_one_error(&output, "shape [3]");
}

#[test]
fn matrix_rejects_empty_matrix() {
    let dir = tempfile::tempdir().unwrap();
    let path = f64_npy(dir.path(), "empty.npy", "(0, 4)", &[], false);
    let output = mnn(&["matrix", "--input", path.to_str().unwrap()]);
    assert_one_error(&output, "shape 0 × 4");
}

#[test]
fn matrix_rejects_non_npy_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("text.npy");
    std::fs::write(&path, "not an array").unwrap();
    let output = mnn(&["matrix", "--input", path.to_str().unwrap()]);
    assert_one_error(&output, "not a .npy file");
}

#[test]
fn matrix_missing_file_names_path() {
    let output = mnn(&["matrix", "--input", "/nonexistent/h.npy"]);
    assert_one_error(&output, "/nonexistent/h.npy");
}

#[test]
fn matrix_top_d_above_d_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let path = f64_npy(dir.path(), "cross.npy", "(4, 2)", &CROSS, false);
    let output = mnn(&["matrix", "--input", path.to_str().unwrap(), "--top-d", "3"]);
    assert_one_error(&output, "invalid top_d = 3");
}

#[test]
fn bench_emits_npy_and_resumes() {
    let dir = tempfile::tempdir().unwrap();
    let npy = dir.path().join("npy");
    let out = dir.path().join("bench.jsonl");
    let args = [
        "bench",
        "metrics",
        "--shapes",
        "16x8",
        "--repeat",
        "1",
        "--ops",
        "mnn,me-auto",
        "--emit-npy",
        npy.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
        "--json",
    ];
    let first = mnn(&args);
    assert!(first.status.success(), "{}", stderr(&first));
    assert_eq!(String::from_utf8_lossy(&first.stdout).lines().count(), 2);
    assert!(npy.join("randn_16x8_seed0.npy").exists());

    let matrix = mnn(&[
        "matrix",
        "--input",
        npy.join("randn_16x8_seed0.npy").to_str().unwrap(),
        "--json",
    ]);
    let json = stdout_json(&matrix);
    let recorded: serde_json::Value = serde_json::from_str(
        std::fs::read_to_string(&out)
            .unwrap()
            .lines()
            .next()
            .unwrap(),
    )
    .unwrap();
    assert_eq!(json["mnn"], recorded["value"]);

    let second = mnn(&args);
    assert!(second.status.success(), "{}", stderr(&second));
    assert!(second.stdout.is_empty(), "finished pairs are skipped");
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 2);

    let mut other_seed = args.to_vec();
    other_seed.extend(["--seed", "9"]);
    let third = mnn(&other_seed);
    assert!(third.status.success(), "{}", stderr(&third));
    assert_eq!(String::from_utf8_lossy(&third.stdout).lines().count(), 2);
    assert_eq!(std::fs::read_to_string(&out).unwrap().lines().count(), 4);
}

#[test]
fn bench_huge_shape_is_rejected() {
    let output = mnn(&[
        "bench",
        "metrics",
        "--shapes",
        "100000000x100000000",
        "--repeat",
        "1",
        "--ops",
        "mnn",
    ]);
    assert_one_error(&output, "shape 100000000 × 100000000");
}

#[test]
fn bench_closed_pipe_exits_quietly() {
    let mut child = Command::new(env!("CARGO_BIN_EXE_mnn"))
        .args([
            "bench",
            "metrics",
            "--shapes",
            "8x4,8x4,8x4",
            "--repeat",
            "1",
            "--ops",
            "mnn",
        ])
        .env("RUST_LOG", "warn")
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    drop(child.stdout.take());
    let output = child.wait_with_output().unwrap();
    assert!(output.status.success(), "stderr: {}", stderr(&output));
    assert!(output.stderr.is_empty(), "stderr: {}", stderr(&output));
}

#[test]
fn bench_unwritable_out_names_output() {
    let output = mnn(&[
        "bench",
        "metrics",
        "--shapes",
        "8x4",
        "--repeat",
        "1",
        "--ops",
        "mnn",
        "--out",
        "/proc/nope.jsonl",
    ]);
    assert_one_error(&output, "output file /proc/nope.jsonl");
    assert!(!stderr(&output).contains("UCI"), "{}", stderr(&output));
}

#[test]
fn bench_emit_over_out_is_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("randn_8x4_seed0.npy");
    let output = mnn(&[
        "bench",
        "metrics",
        "--shapes",
        "8x4",
        "--repeat",
        "1",
        "--ops",
        "mnn",
        "--emit-npy",
        dir.path().to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert_eq!(output.status.code(), Some(1), "stderr: {}", stderr(&output));
    assert!(
        stderr(&output).contains("also an input"),
        "{}",
        stderr(&output)
    );
}

#[test]
fn matrix_directory_error_said_once() {
    let dir = tempfile::tempdir().unwrap();
    let output = mnn(&["matrix", "--input", dir.path().to_str().unwrap()]);
    assert_one_error(&output, "Is a directory");
    assert_eq!(stderr(&output).matches("os error").count(), 1);
}

#[test]
fn matrix_top_d_zero_names_file() {
    let dir = tempfile::tempdir().unwrap();
    let path = f64_npy(dir.path(), "cross.npy", "(4, 2)", &CROSS, false);
    let output = mnn(&["matrix", "--input", path.to_str().unwrap(), "--top-d", "0"]);
    assert_one_error(&output, "invalid top_d = 0");
    assert!(stderr(&output).contains("cross.npy"), "{}", stderr(&output));
}

#[test]
fn matrix_degenerate_warning_fits_case() {
    let dir = tempfile::tempdir().unwrap();
    let rows: Vec<f64> = [1.5, -2.0, 0.25].repeat(10);
    let path = f64_npy(dir.path(), "same.npy", "(10, 3)", &rows, false);
    let output = mnn(&[
        "matrix",
        "--input",
        path.to_str().unwrap(),
        "--zero-rows",
        "skip",
        "--json",
    ]);
    let json = stdout_json(&output);
    let text = stderr(&output);
    assert_eq!(json["status"], "degenerate");
    assert_eq!(json["top_d"], 0);
    assert!(text.contains("every centred row is zero"), "{text}");
    assert!(text.contains("n=10"), "{text}");
    assert!(!text.contains("N = 1"), "{text}");
    assert!(!text.contains("--zero-rows skip"), "{text}");
}

#[test]
fn matrix_two_rows_me_is_positive_zero() {
    let dir = tempfile::tempdir().unwrap();
    let path = f64_npy(
        dir.path(),
        "two.npy",
        "(2, 3)",
        &[1.0, 2.0, 3.0, -1.0, 0.5, 7.0],
        false,
    );
    let output = mnn(&["matrix", "--input", path.to_str().unwrap(), "--json"]);
    let text = String::from_utf8_lossy(&output.stdout).into_owned();
    assert!(!text.contains("-0.0"), "{text}");
}

#[test]
fn bench_bad_arguments_exit_two() {
    let cases: [&[&str]; 3] = [&["--shapes", "1x5"], &["--repeat", "0"], &["--ops", "foo"]];
    for case in cases {
        let mut args = vec!["bench", "metrics"];
        args.extend_from_slice(case);

        let output = mnn(&args);

        assert_eq!(
            output.status.code(),
            Some(2),
            "{case:?}: {}",
            stderr(&output)
        );
        assert!(
            stderr(&output).contains(case[1]),
            "{case:?}: {}",
            stderr(&output)
        );
    }
}

/// Formats the header dictionary of a C-order array with the given dtype and shape.
fn npy_dict(descr: &str, shape: &[usize]) -> String {
    let dims: Vec<String> = shape.iter().map(|n| n.to_string()).collect();
    format!(
        "{{'descr': '{descr}', 'fortran_order': False, 'shape': ({},), }}",
        dims.join(", ")
    )
}

/// Values exactly representable in float16, as (f16 bits, value).
const HALF_VALUES: [(u16, f32); 6] = [
    (0x3c00, 1.0),
    (0xc000, -2.0),
    (0x3800, 0.5),
    (0x4200, 3.0),
    (0xb400, -0.25),
    (0x0000, 0.0),
];

fn scored_json(path: &Path) -> Vec<serde_json::Value> {
    let output = mnn(&["matrix", "--input", path.to_str().unwrap(), "--json"]);
    assert!(output.status.success(), "{}", stderr(&output));
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

#[test]
fn matrix_reads_float16_like_float32() {
    let dir = tempfile::tempdir().unwrap();
    let order = [0, 1, 2, 3, 4, 5, 3, 0, 5, 1, 4, 2];
    let half: Vec<u8> = order
        .iter()
        .flat_map(|&k| HALF_VALUES[k].0.to_le_bytes())
        .collect();
    let single: Vec<u8> = order
        .iter()
        .flat_map(|&k| HALF_VALUES[k].1.to_le_bytes())
        .collect();
    let half_path = write_npy(dir.path(), "h.npy", &npy_dict("<f2", &[4, 3]), &half);
    let single_path = write_npy(dir.path(), "s.npy", &npy_dict("<f4", &[4, 3]), &single);

    let from_half = scored_json(&half_path);
    let from_single = scored_json(&single_path);

    assert_eq!(from_half.len(), 1);
    assert_eq!(from_half[0]["status"], "ok");
    assert_eq!(from_half[0]["mnn"], from_single[0]["mnn"]);
    assert_eq!(from_half[0]["me"], from_single[0]["me"]);
}

#[test]
fn matrix_scores_each_stack_slice() {
    let dir = tempfile::tempdir().unwrap();
    let values: Vec<f32> = (0..24).map(|k| ((k * 7 % 11) as f32 - 5.0) * 0.5).collect();
    let bytes = |part: &[f32]| -> Vec<u8> { part.iter().flat_map(|v| v.to_le_bytes()).collect() };
    let stack_dict = npy_dict("<f4", &[2, 4, 3]);
    let stack_path = write_npy(dir.path(), "stack.npy", &stack_dict, &bytes(&values));
    let first_dict = npy_dict("<f4", &[4, 3]);
    let first_path = write_npy(dir.path(), "a.npy", &first_dict, &bytes(&values[..12]));
    let second_dict = npy_dict("<f4", &[1, 4, 3]);
    let second_path = write_npy(dir.path(), "b.npy", &second_dict, &bytes(&values[12..]));

    let stack = scored_json(&stack_path);
    let first = scored_json(&first_path);
    let second = scored_json(&second_path);

    assert_eq!(stack.len(), 2);
    assert_eq!(stack[0]["layer"], 0);
    assert_eq!(stack[1]["layer"], 1);
    assert_eq!(stack[0]["mnn"], first[0]["mnn"]);
    assert_eq!(stack[1]["mnn"], second[0]["mnn"]);
    assert_eq!(stack[1]["me"], second[0]["me"]);
    assert!(
        second[0].get("layer").is_none(),
        "a squeezed (1, N, d) array is one matrix"
    );
}
