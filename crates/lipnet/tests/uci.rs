//! The UCI harness: resuming, scheduling independence, shards, failure
//! records and summaries. Most tests use a small collection written into a
//! temporary folder; the smoke-suite tests need `NORMLAB_UCI121`.

use lipnet::uci::{
    self, Config, Phase, Record, RunParams, RunReport, SelectMetric, Shard, Silent, Status,
    SuiteName, SuiteParams, Unit, UnitKey,
};
use serde_json::Value;
use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use tempfile::TempDir;

// ---------------------------------------------------------------------------
// A synthetic collection: `toy` (one file, 12 rows), `duo` (two files, the
// test file in raw units) and `gone` (its data file is missing).

fn write(path: &Path, text: &str) {
    fs::create_dir_all(path.parent().unwrap()).unwrap();
    fs::write(path, text).unwrap();
}

fn data_file(rows: &[(Vec<f64>, usize)]) -> String {
    let n_features = rows[0].0.len();
    let mut text = String::new();
    for j in 1..=n_features {
        text.push_str(&format!("\tf{j}"));
    }
    text.push_str("\tclase\n");
    for (i, (x, c)) in rows.iter().enumerate() {
        text.push_str(&(i + 1).to_string());
        for v in x {
            text.push_str(&format!("\t{v}"));
        }
        text.push_str(&format!("\t{c}\n"));
    }
    text
}

fn index_line(rows: impl IntoIterator<Item = usize>) -> String {
    let mut line: String = rows.into_iter().map(|i| format!("{i} ")).collect();
    line.push('\n');
    line
}

/// Four folds of `n` rows: fold k tests on the k-th quarter.
fn folds(n: usize) -> String {
    let q = n / 4;
    (0..4)
        .map(|k| {
            let test: Vec<usize> = (k * q..(k + 1) * q).collect();
            let train = (0..n).filter(|i| !test.contains(i));
            index_line(train) + &index_line(test)
        })
        .collect()
}

fn meta(
    n_features: usize,
    n_classes: usize,
    files: &[(&str, usize)],
    sel: (usize, usize),
) -> String {
    let mut text = format!(
        "n_entradas= {n_features}\nn_clases= {n_classes}\nn_arquivos= {}\n",
        files.len()
    );
    for (k, (name, rows)) in files.iter().enumerate() {
        text.push_str(&format!(
            "fich{}= {name}\nn_patrons{}= {rows}\n",
            k + 1,
            k + 1
        ));
    }
    text.push_str(&format!(
        "n_patrons_entrena= {}\nn_patrons_valida= {}\nn_conxuntos= 1\n",
        sel.0, sel.1
    ));
    text
}

fn collection() -> TempDir {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path();

    let toy: Vec<(Vec<f64>, usize)> = (0..12)
        .map(|i| {
            let x = vec![(i as f64 - 5.5) / 3.0, ((i * 7) % 5) as f64 / 2.0];
            (x, i % 2)
        })
        .collect();
    write(
        &root.join("toy/toy.txt"),
        &meta(2, 2, &[("toy_R.dat", 12)], (6, 6)),
    );
    write(&root.join("toy/toy_R.dat"), &data_file(&toy));
    let selection = index_line((0..12).step_by(2)) + &index_line((1..12).step_by(2));
    write(&root.join("toy/conxuntos.dat"), &selection);
    write(&root.join("toy/conxuntos_kfold.dat"), &folds(12));

    let duo_train: Vec<(Vec<f64>, usize)> = (0..8)
        .map(|i| (vec![i as f64, (i * i) as f64, 1.0], i % 3))
        .collect();
    let duo_test: Vec<(Vec<f64>, usize)> = (0..4)
        .map(|i| (vec![100.0 * i as f64, 7.0 + i as f64, 1.0], i % 2))
        .collect();
    let files = [("duo_train_R.dat", 8), ("duo_test_R.dat", 4)];
    write(&root.join("duo/duo.txt"), &meta(3, 3, &files, (4, 4)));
    write(&root.join("duo/duo_train_R.dat"), &data_file(&duo_train));
    write(&root.join("duo/duo_test_R.dat"), &data_file(&duo_test));
    write(
        &root.join("duo/conxuntos.dat"),
        &(index_line([0, 2, 4, 6]) + &index_line([1, 3, 5, 7])),
    );
    write(&root.join("duo/conxuntos_kfold.dat"), &folds(8));

    write(
        &root.join("gone/gone.txt"),
        &meta(1, 2, &[("gone_R.dat", 8)], (4, 4)),
    );
    write(
        &root.join("gone/conxuntos.dat"),
        &(index_line([0, 1, 2, 3]) + &index_line([4, 5, 6, 7])),
    );
    write(&root.join("gone/conxuntos_kfold.dat"), &folds(8));
    dir
}

/// Returns the core suite on the synthetic sets with `ldlt-res` only, 1 epoch.
fn synthetic_params(root: &Path, results: &Path) -> RunParams {
    let mut suite = SuiteParams::new(SuiteName::Core);
    suite.methods = Some(vec!["ldlt-res".into()]);
    suite.epochs = Some(1);
    RunParams {
        root: root.to_path_buf(),
        suite,
        results: results.to_path_buf(),
        jobs: 2,
        shard: Shard::ALL,
        max_units: None,
        retry_failed: false,
        select_metric: SelectMetric::Clean,
    }
}

fn run(params: RunParams) -> RunReport {
    uci::run(&params.check().unwrap(), &mut Silent).unwrap()
}

fn lines(path: &Path) -> Vec<Record> {
    uci::read_results(path).unwrap().records
}

/// Results keyed by unit, without the fields that depend on time and machine.
fn comparable(path: &Path) -> BTreeMap<String, Value> {
    lines(path)
        .into_iter()
        .map(|r| {
            let mut v = serde_json::to_value(&r).unwrap();
            let obj = v.as_object_mut().unwrap();
            for volatile in ["train_seconds", "timestamp", "host", "rev"] {
                obj.remove(volatile);
            }
            (r.key().to_string(), v)
        })
        .collect()
}

/// 6 configurations × 3 sets of selection, then report units: toy 4 folds,
/// duo 1 fold, gone 4 folds (all skipped), × 3 seeds.
const SYNTHETIC_UNITS: usize = 6 * 3 + (4 + 1 + 4) * 3;

#[test]
fn synthetic_sweep_writes_every_unit_once() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("uci.jsonl");

    let report = run(synthetic_params(data.path(), &results));
    let recs = lines(&results);
    assert_eq!(report.ran, SYNTHETIC_UNITS);
    assert_eq!(recs.len(), SYNTHETIC_UNITS);
    let keys: BTreeSet<UnitKey> = recs.iter().map(Record::key).collect();
    assert_eq!(keys.len(), recs.len(), "duplicate keys");

    for r in &recs {
        let expected = if r.dataset == "gone" {
            Status::SkippedIncomplete
        } else {
            Status::Ok
        };
        assert_eq!(r.status, expected, "{} {:?}", r.key(), r.error);
    }
    let gone = recs.iter().find(|r| r.dataset == "gone").unwrap();
    assert!(gone.error.as_deref().unwrap().contains("gone_R.dat"));

    let report_units: Vec<&Record> = recs.iter().filter(|r| r.phase == Phase::Report).collect();
    assert_eq!(report_units.len(), 27);
    let toy_configs: BTreeSet<&str> = report_units
        .iter()
        .filter(|r| r.dataset == "toy")
        .map(|r| r.config_id.as_str())
        .collect();
    assert_eq!(
        toy_configs.len(),
        1,
        "one selected config per set and method"
    );

    let duo = report_units.iter().find(|r| r.dataset == "duo").unwrap();
    assert_eq!((duo.n_train, duo.n_test), (Some(8), Some(4)));
    let toy = report_units.iter().find(|r| r.dataset == "toy").unwrap();
    assert_eq!((toy.n_train, toy.n_test), (Some(9), Some(3)));
    assert!(toy.lmi_max_eig.is_some());
    let bound = toy.lip_bound.unwrap() * (1.0 + 1e-9);
    assert!(toy.sampled_jac_max.unwrap() <= bound);
}

#[test]
fn rerun_skips_finished_units() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("uci.jsonl");
    run(synthetic_params(data.path(), &results));
    let before = fs::read(&results).unwrap();

    let again = run(synthetic_params(data.path(), &results));
    assert_eq!(again.ran, 0);
    assert_eq!(again.already_finished, SYNTHETIC_UNITS);
    assert_eq!(fs::read(&results).unwrap(), before);
}

#[test]
fn max_units_then_resume_keeps_first_lines() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("uci.jsonl");

    let mut first = synthetic_params(data.path(), &results);
    first.max_units = Some(4);
    let report = run(first);
    assert_eq!(report.ran, 4);
    let head = fs::read_to_string(&results).unwrap();
    assert_eq!(head.lines().count(), 4);

    run(synthetic_params(data.path(), &results));
    let all = fs::read_to_string(&results).unwrap();
    assert!(all.starts_with(&head), "the first lines changed");
    assert_eq!(all.lines().count(), SYNTHETIC_UNITS);
}

#[test]
fn torn_last_line_is_dropped_on_resume() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("uci.jsonl");
    let mut first = synthetic_params(data.path(), &results);
    first.max_units = Some(6);
    run(first);

    // Cut the last line in half, as a killed writer would leave it.
    let text = fs::read_to_string(&results).unwrap();
    let last_start = text.trim_end().rfind('\n').unwrap() + 1;
    let torn_key = serde_json::from_str::<Record>(text[last_start..].trim())
        .unwrap()
        .key();
    let cut = last_start + (text.len() - last_start) / 2;
    fs::write(&results, &text[..cut]).unwrap();

    let report = run(synthetic_params(data.path(), &results));
    assert_eq!(report.dropped_torn, 1);
    assert_eq!(report.already_finished, 5);
    let recs = lines(&results);
    assert_eq!(recs.len(), SYNTHETIC_UNITS);
    let keys: BTreeSet<UnitKey> = recs.iter().map(Record::key).collect();
    assert_eq!(keys.len(), SYNTHETIC_UNITS, "duplicate keys");
    assert!(keys.contains(&torn_key));
}

#[test]
fn jobs_and_shards_do_not_change_results() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let path = |name: &str| out.path().join(name);

    let mut one_job = synthetic_params(data.path(), &path("jobs1.jsonl"));
    one_job.jobs = 1;
    run(one_job);
    let mut three_jobs = synthetic_params(data.path(), &path("jobs3.jsonl"));
    three_jobs.jobs = 3;
    run(three_jobs);
    let reference = comparable(&path("jobs1.jsonl"));
    assert_eq!(reference.len(), SYNTHETIC_UNITS);
    assert_eq!(reference, comparable(&path("jobs3.jsonl")));

    let mut union = BTreeMap::new();
    for index in 0..2 {
        let file = path(&format!("shard{index}.jsonl"));
        let mut p = synthetic_params(data.path(), &file);
        p.shard = Shard { index, count: 2 };
        run(p);
        for (key, value) in comparable(&file) {
            assert!(
                union.insert(key.clone(), value).is_none(),
                "{key} in both shards"
            );
        }
    }
    assert_eq!(union, reference);
}

#[test]
fn retry_failed_reruns_only_failures() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("uci.jsonl");
    run(synthetic_params(data.path(), &results));

    // Mark one ok unit as failed by appending a newer line for its key.
    let ok = lines(&results)
        .into_iter()
        .find(|r| r.status == Status::Ok)
        .unwrap();
    let failed = Record::unfinished(&ok.key(), ok.config.as_ref(), Status::Failed, "x".into());
    datasets::jsonl::append_line(&results, &failed).unwrap();

    let skip = run(synthetic_params(data.path(), &results));
    assert_eq!(skip.ran, 0);
    let mut retry = synthetic_params(data.path(), &results);
    retry.retry_failed = true;
    let report = run(retry);
    assert_eq!(report.ran, 1);
    assert_eq!(report.ok, 1);
}

#[test]
fn unit_failures_become_records() {
    let data = collection();
    let stamp = uci::Stamp {
        rev: "test".into(),
        host: "test".into(),
    };
    let config = Config::grid_point(2, 1e-3, 1);
    let unit = |dataset: &str, method: &str, blocked: Option<&str>| Unit {
        key: UnitKey::new(Phase::Report, dataset, method, config.id(), 0, 0),
        config: Some(config.clone()),
        blocked: blocked.map(String::from),
        est_steps: 1,
    };

    let r = uci::run_unit(data.path(), &unit("toy", "no-such-model", None), &stamp);
    assert_eq!(r.status, Status::Failed);
    assert!(
        r.error
            .as_deref()
            .unwrap()
            .contains("not available in this build")
    );

    let r = uci::run_unit(data.path(), &unit("nowhere", "ldlt-res", None), &stamp);
    assert_eq!(r.status, Status::Failed);
    assert!(r.error.as_deref().unwrap().contains("nowhere"));

    let r = uci::run_unit(
        data.path(),
        &unit("toy", "ldlt-res", Some("selection failed")),
        &stamp,
    );
    assert_eq!(r.status, Status::Failed);
    assert_eq!(r.error.as_deref(), Some("selection failed"));

    let r = uci::run_unit(data.path(), &unit("gone", "ldlt-res", None), &stamp);
    assert_eq!(r.status, Status::SkippedIncomplete);

    let r = uci::run_unit(data.path(), &unit("toy", "ldlt-res", None), &stamp);
    assert_eq!(r.status, Status::Ok);
    assert_eq!(r.rev, "test");
    assert_eq!(r.steps, Some(1));
}

#[test]
fn report_waits_for_selection() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("uci.jsonl");
    let mut report_only = synthetic_params(data.path(), &results);
    report_only.suite.phases = Some(uci::Phases::Report);
    let report = run(report_only);
    assert_eq!(report.ran, 0);
    assert_eq!(report.pending_report, 27);

    let mut selection = synthetic_params(data.path(), &results);
    selection.suite.phases = Some(uci::Phases::Selection);
    assert_eq!(run(selection).ran, 18);
    let mut report_only = synthetic_params(data.path(), &results);
    report_only.suite.phases = Some(uci::Phases::Report);
    let report = run(report_only);
    assert_eq!(report.ran, 27);
    assert_eq!(report.pending_report, 0);
}

// ---------------------------------------------------------------------------
// The command line.

fn lipnet(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_lipnet"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("lipnet runs")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

#[test]
fn cli_rejects_bad_flags_in_one_sentence() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("r.jsonl");
    let root = data.path().to_str().unwrap();
    let res = results.to_str().unwrap();
    let cases: [(&[&str], &str); 5] = [
        (&["--shard", "2/2"], "invalid shard"),
        (&["--methods", "ldlt-res-ref"], "--allow-reference"),
        (&["--methods", "ldlt-rez"], "unknown model id"),
        (&["--jobs", "0"], "invalid jobs"),
        (&["--sets", "nosuch"], "not found"),
    ];
    for (extra, expected) in cases {
        let mut args = vec!["uci", "run", "--root", root, "--results", res];
        args.extend_from_slice(extra);
        let out = lipnet(&args);
        assert!(!out.status.success(), "{extra:?} succeeded");
        let err = stderr(&out);
        assert!(err.contains(expected), "{extra:?}: {err}");
        assert_eq!(err.trim().lines().count(), 1, "{extra:?}: {err}");
    }
    assert!(!results.exists(), "a rejected run created the results file");
}

#[test]
fn cli_run_then_summarize_writes_every_file() {
    let data = collection();
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("r.jsonl");
    let (root, res) = (data.path().to_str().unwrap(), results.to_str().unwrap());
    let run = lipnet(&[
        "uci",
        "run",
        "--root",
        root,
        "--results",
        res,
        "--methods",
        "ldlt-res,ldlt-seq",
        "--sets",
        "toy,duo",
        "--epochs",
        "1",
        "--json",
    ]);
    assert!(run.status.success(), "{}", stderr(&run));
    let counts: Value = serde_json::from_slice(&run.stdout).unwrap();
    assert_eq!(counts["ran"], 2 * (6 * 2 + 5 * 3));

    // Pretend sll-res ran too, so that the paired table and scatter exist.
    for r in lines(&results)
        .into_iter()
        .filter(|r| r.method == "ldlt-seq")
    {
        let mut fake = r.clone();
        fake.method = "sll-res".into();
        datasets::jsonl::append_line(&results, &fake).unwrap();
    }

    let md = out.path().join("uci.md");
    let csv = out.path().join("uci.csv");
    let svg = out.path().join("plots");
    let sum = lipnet(&[
        "uci",
        "summarize",
        "--results",
        res,
        "--markdown",
        md.to_str().unwrap(),
        "--csv",
        csv.to_str().unwrap(),
        "--svg-dir",
        svg.to_str().unwrap(),
    ]);
    assert!(sum.status.success(), "{}", stderr(&sum));

    let text = fs::read_to_string(&md).unwrap();
    assert!(text.contains("| ldlt-res | 2 |"), "{text}");
    assert!(text.contains("### ldlt-res against sll-res"), "{text}");
    assert!(text.contains("without the 11 irregular sets"));
    let csv_text = fs::read_to_string(&csv).unwrap();
    assert_eq!(csv_text.lines().count(), 1 + 2 * 3);
    let tsv = fs::read_to_string(out.path().join("uci-sets.tsv")).unwrap();
    assert_eq!(tsv.lines().count(), 1 + 2 * 3);
    for name in [
        "cra_vs_eps.svg",
        "ldlt_vs_sll_clean.svg",
        "ldlt_vs_sll_cra36.svg",
    ] {
        let plot = fs::read_to_string(svg.join(name)).unwrap();
        assert!(
            plot.starts_with("<?xml") && plot.ends_with("</svg>\n"),
            "{name}"
        );
    }
}

#[test]
fn cli_summarize_missing_folder_leaves_no_file() {
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("r.jsonl");
    let key = UnitKey::new(Phase::Report, "iris", "ldlt-res", "none".into(), 0, 0);
    let rec = Record::unfinished(&key, None, Status::Failed, "boom".into());
    datasets::jsonl::append_line(&results, &rec).unwrap();

    let md = out.path().join("missing/uci.md");
    let sum = lipnet(&[
        "uci",
        "summarize",
        "--results",
        results.to_str().unwrap(),
        "--markdown",
        md.to_str().unwrap(),
    ]);
    assert!(!sum.status.success());
    assert!(stderr(&sum).contains("cannot write"), "{}", stderr(&sum));
    assert!(!md.exists());

    let absent = lipnet(&[
        "uci",
        "summarize",
        "--results",
        "/nonexistent/r.jsonl",
        "--markdown",
        out.path().join("x.md").to_str().unwrap(),
    ]);
    assert!(!absent.status.success());
    assert!(stderr(&absent).contains("not found"), "{}", stderr(&absent));
}

#[test]
fn cli_summarize_never_overwrites_results() {
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("r.jsonl");
    let key = UnitKey::new(Phase::Report, "iris", "ldlt-res", "none".into(), 0, 0);
    let rec = Record::unfinished(&key, None, Status::Failed, "boom".into());
    datasets::jsonl::append_line(&results, &rec).unwrap();
    let before = fs::read(&results).unwrap();

    let sum = lipnet(&[
        "uci",
        "summarize",
        "--results",
        results.to_str().unwrap(),
        "--markdown",
        out.path().join("s.md").to_str().unwrap(),
        "--csv",
        results.to_str().unwrap(),
    ]);

    assert!(!sum.status.success());
    assert!(stderr(&sum).contains("also an input"), "{}", stderr(&sum));
    assert_eq!(fs::read(&results).unwrap(), before);
    assert!(!out.path().join("s.md").exists());
}

// ---------------------------------------------------------------------------
// The smoke suite on the real collection.

/// Returns `$NORMLAB_UCI121`, resolved from the workspace root when relative.
fn uci_root() -> Option<PathBuf> {
    let Some(p) = std::env::var_os("NORMLAB_UCI121") else {
        eprintln!("skipped: NORMLAB_UCI121 not set");
        return None;
    };
    let p = PathBuf::from(p);
    if p.is_absolute() {
        return Some(p);
    }
    Some(Path::new(env!("CARGO_MANIFEST_DIR")).join("../..").join(p))
}

fn smoke(root: &Path, results: &Path, extra: &[&str]) -> Output {
    let mut args = vec![
        "uci",
        "run",
        "--suite",
        "smoke",
        "--epochs",
        "2",
        "--root",
        root.to_str().unwrap(),
        "--results",
        results.to_str().unwrap(),
    ];
    args.extend_from_slice(extra);
    let out = lipnet(&args);
    assert!(out.status.success(), "{}", stderr(&out));
    out
}

#[test]
fn smoke_resume_gives_sixteen_lines() {
    let Some(root) = uci_root() else { return };
    let out = tempfile::tempdir().unwrap();
    let results = out.path().join("smoke.jsonl");

    smoke(&root, &results, &["--max-units", "3"]);
    let head = fs::read_to_string(&results).unwrap();
    assert_eq!(head.lines().count(), 3);

    smoke(&root, &results, &[]);
    let all = fs::read_to_string(&results).unwrap();
    assert!(all.starts_with(&head), "the first 3 lines changed");
    let recs = lines(&results);
    assert_eq!(recs.len(), 16);
    let keys: BTreeSet<UnitKey> = recs.iter().map(Record::key).collect();
    assert_eq!(keys.len(), 16, "duplicate keys");
    for r in recs.iter().filter(|r| r.method == "ldlt-res") {
        assert_eq!(r.status, Status::Ok, "{} {:?}", r.key(), r.error);
        assert!(r.clean_acc.is_some());
    }
    for r in &recs {
        assert_ne!(r.status, Status::SkippedIncomplete, "{}", r.key());
        assert!(r.status == Status::Ok || r.error.is_some(), "{}", r.key());
    }

    // Tear the last line; the resumed run drops it and reruns its unit.
    let last_start = all.trim_end().rfind('\n').unwrap() + 1;
    fs::write(&results, &all[..last_start + 10]).unwrap();
    let resumed = smoke(&root, &results, &[]);
    assert!(stderr(&resumed).contains("torn"), "{}", stderr(&resumed));
    let recs = lines(&results);
    assert_eq!(recs.len(), 16);
    let keys: BTreeSet<UnitKey> = recs.iter().map(Record::key).collect();
    assert_eq!(keys.len(), 16, "duplicate keys after resume");
}

#[test]
fn smoke_jobs_one_and_two_agree() {
    let Some(root) = uci_root() else { return };
    let out = tempfile::tempdir().unwrap();
    let one_job = out.path().join("jobs1.jsonl");
    let two_jobs = out.path().join("jobs2.jsonl");
    smoke(&root, &one_job, &["--jobs", "1"]);
    smoke(&root, &two_jobs, &["--jobs", "2"]);
    let reference = comparable(&one_job);
    assert_eq!(reference.len(), 16);
    assert_eq!(reference, comparable(&two_jobs));
}
