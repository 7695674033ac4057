//! `mnn compare`: several models over one data set, one table row per model
//! with MNN, ME, loss and perplexity of the `final` layer.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;
use mnn::models::{ModelSpec, load_model};
use mnn::runner::{CountedMetric, LayerRow, ScoreParams, summarize};
use serde::Serialize;

use super::score::{
    ArchName, ScoreMetric, TextArgs, arch_of, dataset_name, metric_opts, score_rows, select_rows,
    set_threads, warn_if_clamped, weights_of,
};

#[derive(Args)]
pub struct CompareArgs {
    /// Models to compare: `.gguf` files or model folders. Repeat the option for each.
    #[arg(long = "model", required = true)]
    models: Vec<PathBuf>,
    /// Architecture of every `--model`.
    #[arg(long, value_enum, default_value = "auto")]
    arch: ArchName,
    #[command(flatten)]
    texts: TextArgs,
}

/// One model's row. `error` is set, and the values are empty, when the model
/// could not be loaded or has no tokenizer.
#[derive(Serialize)]
struct CompareRow {
    model: String,
    arch: Option<String>,
    dataset: String,
    #[serde(flatten)]
    summary: Option<LayerRow>,
    load_s: f64,
    error: Option<String>,
}

/// Scores the texts with every model and prints the table. A model that
/// fails to load gets an error row and the others continue.
///
/// # Errors
///
/// Invalid text options, a failed write, or any model failing to load
/// (after the table is printed).
pub fn run(args: &CompareArgs) -> Result<()> {
    set_threads(args.texts.threads);
    let selected = [ScoreMetric::Mnn, ScoreMetric::Me, ScoreMetric::Loss];
    let metrics = metric_opts(&selected, args.texts.entropy_method)?;
    let rows = select_rows(&args.texts)?;
    let row_refs: Vec<_> = rows.iter().collect();

    let mut table = Vec::new();
    for path in &args.models {
        let spec = ModelSpec {
            path: path.clone(),
            arch: arch_of(args.arch),
            weights: weights_of(args.texts.weights),
        };
        let start = Instant::now();
        let mut row = CompareRow {
            model: path.display().to_string(),
            arch: None,
            dataset: dataset_name(&args.texts.input),
            summary: None,
            load_s: 0.0,
            error: None,
        };
        let loaded = load_model(&spec).and_then(|model| {
            model.check_tokenizer()?;
            Ok(model)
        });
        let mut model = match loaded {
            Ok(model) => model,
            Err(error) => {
                tracing::error!(model = %path.display(), %error, "model skipped");
                row.error = Some(error.to_string());
                table.push(row);
                continue;
            }
        };
        row.load_s = start.elapsed().as_secs_f64();
        row.arch = Some(model.arch().name().to_string());
        warn_if_clamped(args.texts.max_tokens, model.max_positions());
        let params = ScoreParams {
            max_tokens: args.texts.max_tokens(),
            all_layers: false,
            loss: model.has_loss(),
        };
        let records = score_rows(model.as_mut(), metrics, params, &row_refs, None)?;
        row.summary = summarize(&records, CountedMetric::Mnn)
            .into_iter()
            .find(|s| s.layer == "final");
        table.push(row);
    }
    print_table(&table, args.texts.json)?;
    warn_if_counts_differ(&table);

    let failed = table.iter().filter(|row| row.error.is_some()).count();
    if failed > 0 {
        bail!(
            "{failed} of {} models failed; fix the errors above",
            table.len()
        );
    }
    Ok(())
}

/// Logs one warning when the models scored different numbers of texts (a
/// model with a shorter position limit may skip or truncate texts), because
/// their means are then over different texts.
fn warn_if_counts_differ(table: &[CompareRow]) {
    let counts: Vec<(String, usize)> = table
        .iter()
        .filter_map(|row| {
            Some((
                display_name(Path::new(&row.model)),
                row.summary.as_ref()?.n_scored,
            ))
        })
        .collect();
    let first = counts.first().map(|(_, count)| *count);
    if counts.iter().all(|(_, count)| Some(*count) == first) {
        return;
    }
    let listed: Vec<String> = counts
        .iter()
        .map(|(name, count)| format!("{name}={count}"))
        .collect();
    tracing::warn!(
        counts = %listed.join(", "),
        "the models scored different numbers of texts, so their means are over different texts"
    );
}

/// Returns the file name of a model file, or `parent/folder` for a model
/// folder, whose own name is often just `model`.
fn display_name(path: &std::path::Path) -> String {
    let name = |p: &std::path::Path| p.file_name().map(|n| n.to_string_lossy().into_owned());
    let file = name(path).unwrap_or_else(|| path.display().to_string());
    match path.parent().and_then(name) {
        Some(parent) if path.is_dir() => format!("{parent}/{file}"),
        _ => file,
    }
}

fn format_cell(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
}

fn print_table(table: &[CompareRow], json: bool) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    if json {
        serde_json::to_writer_pretty(&mut stdout, table)?;
        writeln!(stdout)?;
        return Ok(());
    }
    let names: Vec<String> = table
        .iter()
        .map(|row| display_name(std::path::Path::new(&row.model)))
        .collect();
    let width = names
        .iter()
        .map(|name| name.chars().count())
        .max()
        .unwrap_or(0)
        .max(5);
    writeln!(
        stdout,
        "{:<width$} {:<10} {:>7} {:>8} {:>8} {:>8} {:>10}",
        "model", "arch", "scored", "MNN", "ME", "loss", "PPL"
    )?;
    for (row, name) in table.iter().zip(&names) {
        match (&row.summary, &row.error) {
            (Some(summary), _) => writeln!(
                stdout,
                "{:<width$} {:<10} {:>7} {:>8} {:>8} {:>8} {:>10}",
                name,
                row.arch.as_deref().unwrap_or("-"),
                summary.n_scored,
                format_cell(summary.mnn_mean),
                format_cell(summary.me_mean),
                format_cell(summary.loss_mean),
                summary
                    .ppl
                    .map_or_else(|| "-".to_string(), |v| format!("{v:.2}")),
            )?,
            (None, error) => writeln!(
                stdout,
                "{name:<width$} error: {}",
                error.as_deref().unwrap_or("no samples")
            )?,
        }
    }
    writeln!(
        stdout,
        "loss: mean over texts of the mean next-token NLL in nats; PPL = exp(loss)"
    )?;
    Ok(())
}
