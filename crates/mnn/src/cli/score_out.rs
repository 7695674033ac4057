//! The files of a `mnn score --out DIR` run. `run.json` and `summary.csv` are
//! replaced atomically. `samples.jsonl` is appended one sample at a time, and
//! `--resume` drops a partial sample left by an interrupted run.

use std::collections::BTreeSet;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use anyhow::{Context, Result, bail};
use mnn::io::atomic::write_atomic;
use mnn::models::HiddenStates;
use mnn::runner::{DiffSample, SampleRecord, ScoreParams};
use serde::Serialize;
use serde::de::DeserializeOwned;
use sha2::{Digest, Sha256};

use super::score::{ScoreArgs, SummaryLine, TextArgs};

/// A line of `samples.jsonl`: one sample at one layer.
pub trait SampleLine: Serialize + DeserializeOwned {
    /// Returns the sample's index among the input rows.
    fn index(&self) -> usize;

    /// Returns the layer label, `"final"` on a sample's last line.
    fn layer(&self) -> &str;
}

impl SampleLine for SampleRecord {
    fn index(&self) -> usize {
        self.index
    }

    fn layer(&self) -> &str {
        &self.layer
    }
}

impl SampleLine for DiffSample {
    fn index(&self) -> usize {
        self.index
    }

    fn layer(&self) -> &str {
        &self.layer
    }
}

/// The name of the lock file in `--out`.
const LOCK_FILE: &str = "run.lock";

/// An exclusive advisory lock (flock(2)) on `DIR/run.lock`, held until
/// dropped, so a second run on the same `--out` fails instead of appending
/// to the same samples.jsonl.
pub struct RunLock {
    _file: std::fs::File,
}

/// Creates `out` when missing and locks `out/run.lock` for this run.
///
/// # Errors
///
/// An `out` that cannot be created, and a lock held by another run.
pub fn lock_out(out: &Path) -> Result<RunLock> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let path = out.join(LOCK_FILE);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("cannot open {}", path.display()))?;
    try_lock(&file).with_context(|| {
        format!(
            "cannot lock {}: another mnn run is using {}; wait for it to finish or use a new --out",
            path.display(),
            out.display()
        )
    })?;
    Ok(RunLock { _file: file })
}

#[cfg(unix)]
fn try_lock(file: &std::fs::File) -> std::io::Result<()> {
    use std::os::fd::AsRawFd;

    // SAFETY: the descriptor belongs to `file`, which outlives the call, and
    // flock(2) only changes the lock state of that open file.
    let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
    if status == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

// NOTE: no lock off Unix, so two runs on one `--out` are not detected there.
#[cfg(not(unix))]
fn try_lock(_file: &std::fs::File) -> std::io::Result<()> {
    Ok(())
}

/// The options that [`prepare_out`] checks against an existing `--out`.
pub struct OutRequest<'a> {
    pub resume: bool,
    pub force: bool,
    /// The run's options, as built by [`score_config`] or the `diff-erank`
    /// equivalent. `arch` is `auto` until the model has loaded.
    pub config: &'a RunConfig,
    /// The input texts, whose sha256 must match run.json on `--resume`.
    pub input: &'a Path,
    /// The indices of the selected input rows.
    pub selection: &'a BTreeSet<usize>,
}

/// Checks `out` and returns the finished records of a resumed run: one
/// record per (index, layer), only for selected rows.
///
/// # Errors
///
/// A non-empty `out` without `--resume` or `--force`, and on `--resume` a
/// missing run.json, options that differ from it, or input data whose sha256
/// differs from the recorded one.
pub fn prepare_out<R: SampleLine>(out: &Path, request: &OutRequest) -> Result<Vec<R>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let non_empty = std::fs::read_dir(out)?
        .filter_map(Result::ok)
        .any(|entry| entry.file_name() != LOCK_FILE);
    if request.force {
        return Ok(Vec::new());
    }
    if !request.resume {
        if non_empty {
            bail!(
                "output folder {} is not empty; pass --resume to continue it or --force to overwrite it",
                out.display()
            );
        }
        return Ok(Vec::new());
    }
    let run = read_run_json(out)?;
    check_resume_config(out, &run, request.config)?;
    check_resume_data(out, &run, request.input)?;
    read_finished(&out.join("samples.jsonl"), request.selection)
}

/// Runs `body` and, when it fails, removes `out` if it did not exist before
/// and is still empty, so a failed start leaves no empty folder behind.
pub fn with_out_cleanup<T>(out: Option<&Path>, body: impl FnOnce() -> Result<T>) -> Result<T> {
    let created = out.filter(|out| !out.exists());
    let result = body();
    if let (Err(_), Some(out)) = (&result, created) {
        // The lock was released when `body` returned. `remove_dir` fails on
        // a folder with run files, which then stays.
        let _ = std::fs::remove_file(out.join(LOCK_FILE));
        if std::fs::remove_dir(out).is_ok() {
            tracing::info!(out = %out.display(), "removed the empty output folder of the failed run");
        }
    }
    result
}

/// Deletes the run files of an earlier run in `out` (`--force`). Called only
/// after the model has loaded, so a failed start leaves the old run intact.
pub fn clear_old_run(out: &Path) -> Result<()> {
    for name in ["run.json", "samples.jsonl", "summary.csv"] {
        let path = out.join(name);
        match std::fs::remove_file(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
            Err(error) => bail!(
                "cannot delete {}: {error}; check its permissions",
                path.display()
            ),
        }
    }
    Ok(())
}

fn read_run_json(out: &Path) -> Result<serde_json::Value> {
    let path = out.join("run.json");
    if !path.exists() {
        bail!(
            "cannot resume: no run.json in {}; start with --force",
            out.display()
        );
    }
    let text = std::fs::read_to_string(&path)
        .with_context(|| format!("cannot read {}", path.display()))?;
    serde_json::from_str(&text).with_context(|| format!("{} is not valid JSON", path.display()))
}

/// Rejects `--resume` when an option in `config` differs from the `config`
/// object of run.json, naming every option that differs. A requested
/// `arch` of `auto` matches any recorded arch, because the same model path
/// resolves to the same architecture.
fn check_resume_config(out: &Path, run: &serde_json::Value, config: &RunConfig) -> Result<()> {
    let Some(previous) = run.get("config").and_then(serde_json::Value::as_object) else {
        bail!(
            "cannot resume: {}/run.json has no recorded options (an older mnn wrote it); start with --force or use a new --out",
            out.display()
        );
    };
    let keys: BTreeSet<&String> = previous.keys().chain(config.keys()).collect();
    let mut differences = Vec::new();
    for key in keys {
        let old = previous.get(key).unwrap_or(&serde_json::Value::Null);
        let new = config.get(key).unwrap_or(&serde_json::Value::Null);
        let auto_arch = key == "arch" && new == "auto";
        if old != new && !auto_arch {
            differences.push(format!("--{key} (run.json: {old}, now: {new})"));
        }
    }
    if !differences.is_empty() {
        bail!(
            "cannot resume {}: options differ from run.json: {}; rerun with the same options, or use --force or a new --out",
            out.display(),
            differences.join(", ")
        );
    }
    Ok(())
}

/// Rejects `--resume` when the input file changed since run.json was written.
fn check_resume_data(out: &Path, run: &serde_json::Value, input: &Path) -> Result<()> {
    let recorded = run
        .pointer("/data/sha256")
        .and_then(serde_json::Value::as_str);
    let current = file_sha256(input);
    if recorded != current.as_deref() {
        bail!(
            "cannot resume {}: the sha256 of {} is {} but run.json records {}; the input data changed, so use --force or a new --out",
            out.display(),
            input.display(),
            current.as_deref().unwrap_or("unknown"),
            recorded.unwrap_or("none")
        );
    }
    Ok(())
}

/// Keeps the records of selected samples whose `final` line was written,
/// one per (index, layer), the first in file order. Rewrites the file
/// without the other lines (a partial sample left by an interrupted run,
/// duplicates, rows outside the selection) and logs how many were ignored.
fn read_finished<R: SampleLine>(path: &Path, selection: &BTreeSet<usize>) -> Result<Vec<R>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    let parsed: Vec<R> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let unparsed = text.lines().count() - parsed.len();
    let finished: BTreeSet<usize> = parsed
        .iter()
        .filter(|record| record.layer() == "final")
        .map(|record| record.index())
        .collect();

    let mut seen: BTreeSet<(usize, String)> = BTreeSet::new();
    let mut unique_records = Vec::new();
    let (mut duplicated, mut unselected) = (0usize, 0usize);
    for record in parsed {
        let index = record.index();
        if !selection.contains(&index) {
            unselected += 1;
        } else if !seen.insert((index, record.layer().to_string())) {
            duplicated += 1;
        } else if finished.contains(&index) {
            unique_records.push(record);
        }
    }
    if duplicated + unselected > 0 {
        tracing::warn!(
            path = %path.display(),
            duplicated,
            outside_selection = unselected,
            "ignored lines of samples.jsonl: a repeated (index, layer) or an index outside the selected rows"
        );
    }
    if unparsed > 0 {
        tracing::info!(unparsed, "dropped unparsable lines of samples.jsonl");
    }

    let mut content = String::new();
    for record in &unique_records {
        content.push_str(&serde_json::to_string(record)?);
        content.push('\n');
    }
    if content != text {
        write_atomic(path, content.as_bytes())?;
    }
    Ok(unique_records)
}

/// The options of a run that change which texts are scored or how, keyed by
/// the command-line option name. Stored as `config` in run.json, compared
/// field by field on `--resume`, and hashed into `config_hash`.
pub type RunConfig = serde_json::Map<String, serde_json::Value>;

/// Returns the name of a clap value, as typed on the command line.
pub fn value_name<V: clap::ValueEnum>(value: &V) -> String {
    value
        .to_possible_value()
        .map(|possible| possible.get_name().to_string())
        .unwrap_or_default()
}

/// Returns the row selection part of a config: `--limit`, `--sample`, and
/// `--seed` only when `--sample` uses it.
pub fn selection_config(texts: &TextArgs) -> RunConfig {
    let mut config = RunConfig::new();
    config.insert("input".into(), serde_json::json!(texts.input));
    config.insert("field".into(), serde_json::json!(texts.field));
    config.insert("max-tokens".into(), serde_json::json!(texts.max_tokens()));
    config.insert("limit".into(), serde_json::json!(texts.limit));
    config.insert("sample".into(), serde_json::json!(texts.sample));
    let seed = texts.sample.map(|_| texts.seed);
    config.insert("seed".into(), serde_json::json!(seed));
    config.insert("weights".into(), value_name(&texts.weights).into());
    config.insert(
        "entropy-method".into(),
        value_name(&texts.entropy_method).into(),
    );
    config
}

/// Returns the config of `mnn score`, with `arch` as requested (`auto`
/// until [`set_resolved_arch`] runs).
pub fn score_config(args: &ScoreArgs) -> RunConfig {
    let mut config = selection_config(&args.texts);
    config.insert("model".into(), serde_json::json!(args.model));
    config.insert("arch".into(), value_name(&args.arch).into());
    config.insert("layers".into(), value_name(&args.layers).into());
    let metrics: Vec<String> = args.metrics.iter().map(value_name).collect();
    config.insert("metrics".into(), serde_json::json!(metrics));
    config
}

/// Replaces `arch` in `config` by the architecture the model loaded as, so
/// an explicit `--arch` equal to what `auto` resolved matches on `--resume`.
pub fn set_resolved_arch(config: &mut RunConfig, model: &dyn HiddenStates) {
    config.insert("arch".into(), model.arch().name().into());
}

/// Returns the sha256 of the config, in hex.
pub fn config_hash(config: &RunConfig) -> String {
    hash_json(&serde_json::Value::Object(config.clone()))
}

/// Returns the sha256 of the compact JSON text of `options`, in hex.
pub fn hash_json(options: &serde_json::Value) -> String {
    hex(&Sha256::digest(options.to_string().as_bytes()))
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Returns the sha256 of a file, or `None` for a folder or an unreadable file.
pub fn file_sha256(path: &Path) -> Option<String> {
    let mut file = std::fs::File::open(path).ok()?;
    if !file.metadata().ok()?.is_file() {
        return None;
    }
    let mut hasher = Sha256::new();
    let mut buffer = vec![0u8; 1 << 20];
    loop {
        let read = std::io::Read::read(&mut file, &mut buffer).ok()?;
        if read == 0 {
            break;
        }
        hasher.update(&buffer[..read]);
    }
    Some(hex(&hasher.finalize()))
}

fn unix_seconds() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

/// Writes `run.json` of `mnn score` atomically: options, model, data and,
/// at the end of a run, the summary.
pub fn write_run_json(
    out: &Path,
    args: &ScoreArgs,
    config: &RunConfig,
    model: &dyn HiddenStates,
    params: &ScoreParams,
    summary: Option<&[SummaryLine]>,
) -> Result<()> {
    let run = run_record(config, params, (&args.model, model), &args.texts, summary);
    write_run_record(out, &run)
}

/// Builds the `run.json` fields that `score` and `diff-erank` share: the
/// command line, options, model (path and loaded model), data and summary.
pub fn run_record<S: Serialize>(
    config: &RunConfig,
    params: &ScoreParams,
    (model_path, model): (&Path, &dyn HiddenStates),
    texts: &TextArgs,
    summary: Option<&[S]>,
) -> serde_json::Value {
    serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>(),
        "config_hash": config_hash(config),
        "config": config,
        "options": params,
        "model": {
            "path": model_path,
            "sha256": file_sha256(model_path),
            "arch": model.arch().name(),
            "hidden_size": model.hidden_size(),
            "n_layers": model.n_layers(),
            "max_positions": model.max_positions(),
        },
        "data": {
            "path": texts.input,
            "sha256": file_sha256(&texts.input),
            "field": texts.field,
        },
        "crate_version": env!("CARGO_PKG_VERSION"),
        "threads": candle_core::utils::get_num_threads(),
        "time_unix_s": unix_seconds(),
        "finished": summary.is_some(),
        "summary": summary,
    })
}

/// Writes `out/run.json` atomically.
pub fn write_run_record(out: &Path, run: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(run)?;
    Ok(write_atomic(&out.join("run.json"), text.as_bytes())?)
}

const CSV_HEADER: &str = "model,arch,dataset,field,layer,n_samples,n_scored,n_nan,n_empty,\
n_truncated,mean_tokens,mnn_mean,me_mean,h_mean_nats,erank_of_mean_h,loss_mean,ppl,load_s,\
tokenize_s,forward_s,mnn_s,me_s,total_s,tokens_per_s,threads,n_skipped";

/// Formats a CSV cell, empty for a value not computed.
pub fn cell(value: Option<f64>) -> String {
    value.map(|v| v.to_string()).unwrap_or_default()
}

/// Quotes a CSV field that contains a comma, a quote or a newline.
pub fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text.to_string()
    }
}

/// Writes a CSV file atomically: `header`, then one line per row of cells.
pub fn write_csv(path: &Path, header: &str, rows: impl Iterator<Item = Vec<String>>) -> Result<()> {
    let mut csv = String::from(header);
    csv.push('\n');
    for cells in rows {
        csv.push_str(&cells.join(","));
        csv.push('\n');
    }
    Ok(write_atomic(path, csv.as_bytes())?)
}

/// Writes `summary.csv` atomically, one row per layer.
pub fn write_summary_csv(path: &Path, lines: &[SummaryLine]) -> Result<()> {
    write_csv(path, CSV_HEADER, lines.iter().map(summary_cells))
}

fn summary_cells(line: &SummaryLine) -> Vec<String> {
    let row = &line.row;
    vec![
        csv_field(&line.model),
        line.arch.clone(),
        csv_field(&line.dataset),
        csv_field(&line.field),
        row.layer.clone(),
        row.n_samples.to_string(),
        row.n_scored.to_string(),
        row.n_nan.to_string(),
        row.n_empty.to_string(),
        row.n_truncated.to_string(),
        cell(row.mean_tokens),
        cell(row.mnn_mean),
        cell(row.me_mean),
        cell(row.h_mean_nats),
        cell(row.erank_of_mean_h),
        cell(row.loss_mean),
        cell(row.ppl),
        line.load_s.to_string(),
        row.tokenize_s.to_string(),
        row.forward_s.to_string(),
        row.mnn_s.to_string(),
        row.me_s.to_string(),
        line.total_s.to_string(),
        cell(row.tokens_per_s),
        line.threads.to_string(),
        row.n_skipped.to_string(),
    ]
}

#[cfg(all(test, unix))]
mod tests {
    use super::lock_out;

    #[test]
    fn second_lock_on_out_fails() {
        let dir = tempfile::tempdir().unwrap();
        let first = lock_out(dir.path()).unwrap();
        let error = lock_out(dir.path()).err().expect("the second lock fails");
        assert!(
            format!("{error:#}").contains("another mnn run"),
            "{error:#}"
        );

        drop(first);
        assert!(lock_out(dir.path()).is_ok());
    }
}
