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

use super::score::{LayersName, ScoreArgs, SummaryLine, TextArgs, arch_of, weights_of};

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

/// Checks `out` and returns the finished records of a resumed run.
pub fn prepare_out<R: SampleLine>(
    out: &Path,
    resume: bool,
    force: bool,
    hash: &str,
) -> Result<Vec<R>> {
    std::fs::create_dir_all(out).with_context(|| format!("cannot create {}", out.display()))?;
    let non_empty = std::fs::read_dir(out)?.next().is_some();
    if force {
        return Ok(Vec::new());
    }
    if !resume {
        if non_empty {
            bail!(
                "output folder {} is not empty; pass --resume to continue it or --force to overwrite it",
                out.display()
            );
        }
        return Ok(Vec::new());
    }
    check_resume_hash(out, hash)?;
    read_finished(&out.join("samples.jsonl"))
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

fn check_resume_hash(out: &Path, hash: &str) -> Result<()> {
    let path = out.join("run.json");
    let Ok(text) = std::fs::read_to_string(&path) else {
        return Ok(());
    };
    let run: serde_json::Value = serde_json::from_str(&text)
        .with_context(|| format!("{} is not valid JSON", path.display()))?;
    let previous = run.get("config_hash").and_then(serde_json::Value::as_str);
    if previous.is_some_and(|previous| previous != hash) {
        bail!(
            "{} was written with other options (config hash {}); rerun with the same options or use --force",
            path.display(),
            previous.unwrap_or_default()
        );
    }
    Ok(())
}

/// Keeps the records of samples whose `final` line was written, and rewrites
/// the file without any partial sample left by an interrupted run.
fn read_finished<R: SampleLine>(path: &Path) -> Result<Vec<R>> {
    let Ok(text) = std::fs::read_to_string(path) else {
        return Ok(Vec::new());
    };
    let parsed: Vec<R> = text
        .lines()
        .filter_map(|line| serde_json::from_str(line).ok())
        .collect();
    let finished: BTreeSet<usize> = parsed
        .iter()
        .filter(|record| record.layer() == "final")
        .map(|record| record.index())
        .collect();
    let kept: Vec<R> = parsed
        .into_iter()
        .filter(|record| finished.contains(&record.index()))
        .collect();
    let mut content = String::new();
    for record in &kept {
        content.push_str(&serde_json::to_string(record)?);
        content.push('\n');
    }
    if content != text {
        write_atomic(path, content.as_bytes())?;
    }
    Ok(kept)
}

/// Hashes (sha256) the options that change the scores, so `--resume` can reject a
/// run started with other options. The row selection (`--limit`, `--sample`,
/// `--seed`) is left out, so a resumed run may cover more rows.
pub fn config_hash(args: &ScoreArgs) -> String {
    let options = serde_json::json!({
        "model": args.model,
        "arch": format!("{:?}", arch_of(args.arch)),
        "input": args.texts.input,
        "field": args.texts.field,
        "max_tokens": args.texts.max_tokens,
        "weights": format!("{:?}", weights_of(args.texts.weights)),
        "entropy_method": format!("{:?}", args.texts.entropy_method as u8),
        "layers": args.layers == LayersName::All,
        "metrics": args.metrics.iter().map(|m| *m as u8).collect::<Vec<_>>(),
    });
    hash_json(&options)
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

pub fn write_run_json(
    out: &Path,
    args: &ScoreArgs,
    hash: &str,
    model: &dyn HiddenStates,
    params: &ScoreParams,
    summary: Option<&[SummaryLine]>,
) -> Result<()> {
    let run = run_record(hash, params, (&args.model, model), &args.texts, summary);
    write_run_record(out, &run)
}

/// Builds the `run.json` fields that `score` and `diff-erank` share: the
/// command line, options, model (path and loaded model), data and summary.
pub fn run_record<S: Serialize>(
    hash: &str,
    params: &ScoreParams,
    (model_path, model): (&Path, &dyn HiddenStates),
    texts: &TextArgs,
    summary: Option<&[S]>,
) -> serde_json::Value {
    serde_json::json!({
        "command": std::env::args().collect::<Vec<_>>(),
        "config_hash": hash,
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
