//! Benchmark harness: a small sweep, resume without repeats, markdown and SVG.

use sparsereg::bench::{BenchConfig, markdown, read_bench, run_bench, svg};

fn config() -> BenchConfig {
    BenchConfig {
        designs: vec!["gauss".into(), "ar1:0.9".into()],
        d: 60,
        k: 3,
        sigma: 0.1,
        n_grid: vec![30, 60],
        reps: 2,
        methods: vec!["lasso".into(), "omp".into(), "cosamp".into()],
        precond: "identity".into(),
        seed: 0,
        n_test: 50,
    }
}

#[test]
fn sweep_resumes_and_reports() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.jsonl");
    let mut cfg = config();
    cfg.reps = 1;
    let first = run_bench(&cfg, &out, |_, _| {}).unwrap();
    assert_eq!(first, 2 * 2 * 3);
    let cfg = config();
    let second = run_bench(&cfg, &out, |_, _| {}).unwrap();
    assert_eq!(second, 2 * 2 * 3, "only the new repetition runs");
    let third = run_bench(&cfg, &out, |_, _| {}).unwrap();
    assert_eq!(third, 0, "a finished sweep writes nothing");

    let lines = read_bench(&out).unwrap();
    assert_eq!(lines.len(), 24);
    let omp_pe: Vec<f64> = lines
        .iter()
        .filter(|l| l.key.method == "omp" && l.key.design == "gauss" && l.key.n == 60)
        .map(|l| l.fit.as_ref().unwrap().pe_in.unwrap())
        .collect();
    assert!(omp_pe.iter().all(|&pe| pe < 0.01), "{omp_pe:?}");
    let table = markdown(&lines);
    assert!(table.contains("### ar1:0.9"), "{table}");
    assert!(table.contains("| omp |"), "{table}");
    let plot = svg(&lines, "gauss");
    assert_eq!(plot.matches("<polyline").count(), 3);
}

fn resume_error(cfg: &BenchConfig, out: &std::path::Path) -> String {
    run_bench(cfg, out, |_, _| {}).unwrap_err().to_string()
}

#[test]
fn resume_rejects_other_settings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.jsonl");
    let mut cfg = config();
    cfg.designs = vec!["gauss".into()];
    cfg.n_grid = vec![30];
    cfg.reps = 1;
    cfg.methods = vec!["omp".into()];
    assert_eq!(run_bench(&cfg, &out, |_, _| {}).unwrap(), 1);
    assert_eq!(
        run_bench(&cfg, &out, |_, _| {}).unwrap(),
        0,
        "same settings"
    );

    let mut other = cfg.clone();
    other.n_test = 80;
    let msg = resume_error(&other, &out);
    assert!(msg.contains("--n-test 50, not 80"), "{msg}");
    assert!(msg.contains("--force"), "{msg}");

    let mut other = cfg.clone();
    other.sigma = 0.7;
    let msg = resume_error(&other, &out);
    assert!(msg.contains("--sigma 0.1, not 0.7"), "{msg}");

    let mut other = cfg.clone();
    other.precond = "normalize".into();
    let msg = resume_error(&other, &out);
    assert!(msg.contains("--precond identity, not normalize"), "{msg}");

    let mut more = cfg.clone();
    more.methods.push("cosamp".into());
    more.reps = 2;
    assert_eq!(
        run_bench(&more, &out, |_, _| {}).unwrap(),
        3,
        "new methods and repetitions extend the file"
    );
    assert_eq!(read_bench(&out).unwrap().len(), 4);
}

#[test]
fn resume_rejects_lines_without_settings() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.jsonl");
    let mut cfg = config();
    cfg.designs = vec!["gauss".into()];
    cfg.n_grid = vec![30];
    cfg.reps = 1;
    cfg.methods = vec!["omp".into()];
    run_bench(&cfg, &out, |_, _| {}).unwrap();
    let text = std::fs::read_to_string(&out).unwrap();
    let mut line: serde_json::Value = serde_json::from_str(text.trim()).unwrap();
    line.as_object_mut().unwrap().remove("settings");
    std::fs::write(&out, format!("{line}\n")).unwrap();

    let msg = resume_error(&cfg, &out);
    assert!(msg.contains("older sparsereg"), "{msg}");
}

#[test]
fn zero_repetitions_rejected() {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("bench.jsonl");
    let mut cfg = config();
    cfg.reps = 0;
    let msg = resume_error(&cfg, &out);
    assert!(msg.contains("--reps 1"), "{msg}");
    assert!(!out.exists());
}
