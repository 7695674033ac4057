//! `mnn score`: MNN, Matrix Entropy and loss of one model over a JSONL file.

use std::collections::BTreeSet;
use std::io::Write;
use std::num::NonZeroUsize;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use mnn::io::texts::{TextRow, read_texts};
use mnn::models::{Arch, HiddenStates, ModelSpec, WeightMode, load_model};
use mnn::runner::{CountedMetric, LayerRow, SampleRecord, ScoreParams, Scorer, summarize};
use mnn::{EntropyMethod, MetricOpts, MetricParams, MetricSet};
use serde::Serialize;

use super::matrix::EntropyMethodName;
use super::score_out::{
    OutRequest, clear_old_run, lock_out, prepare_out, score_config, set_resolved_arch,
    with_out_cleanup, write_run_json, write_summary_csv,
};

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ScoreMetric {
    /// Matrix Nuclear-Norm.
    Mnn,
    /// Matrix Entropy, H and erank.
    Me,
    /// Mean next-token negative log-likelihood (causal models only).
    Loss,
}

/// Layers that `--layers` selects.
///
/// NOTE: lists of layer indices such as `0,6,final` are not accepted yet;
/// `all` scores every layer, and the samples can be filtered afterwards.
#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum LayersName {
    /// Only the output of the final norm (alias: `final`).
    #[value(alias = "final")]
    Last,
    /// The embedding output, every block output, and `final`.
    All,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum WeightsName {
    /// Dequantise GGUF weights to f32 at load (faster in candle 0.11.1).
    F32,
    /// Keep GGUF block formats and use quantised matmuls, as llama.cpp does.
    Quantized,
}

#[derive(Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ArchName {
    /// From GGUF `general.architecture` or `config.json` `model_type`.
    Auto,
    /// A Llama-family `.gguf` file, such as SmolLM2.
    LlamaGguf,
    /// A BERT encoder folder (BERT, MiniLM).
    Bert,
    /// A GPT-2 folder.
    Gpt2,
    /// A GPT-NeoX folder (Pythia).
    GptNeox,
}

/// Options shared by `score` and `compare`: the texts and how to score them.
#[derive(Args, Clone)]
pub struct TextArgs {
    /// JSONL file with one JSON object per line.
    #[arg(long, visible_alias = "data")]
    pub input: PathBuf,
    /// Name of the string field to score in each line.
    #[arg(long)]
    pub field: String,
    /// Max tokens kept per text (the first ones), clamped to the model
    /// limit [default: 2048].
    #[arg(long, value_name = "N")]
    pub max_tokens: Option<usize>,
    /// Score only the first K rows (K >= 1).
    #[arg(long, value_name = "K", conflicts_with = "sample", value_parser = parse_row_count)]
    pub limit: Option<usize>,
    /// Score K rows (K >= 1) drawn without replacement with `--seed`.
    #[arg(long, value_name = "K", value_parser = parse_row_count)]
    pub sample: Option<usize>,
    /// Seed of `--sample`. The scores of trained models are deterministic.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Weight storage of GGUF models.
    #[arg(long, value_enum, default_value = "f32")]
    pub weights: WeightsName,
    /// Route to the covariance spectrum for ME.
    #[arg(long, value_enum, default_value = "auto")]
    pub entropy_method: EntropyMethodName,
    /// Threads of the forward pass (rayon's global pool and candle's
    /// matmuls). Default: RAYON_NUM_THREADS, else the physical cores.
    #[arg(long)]
    pub threads: Option<NonZeroUsize>,
    /// Print JSON instead of a table.
    #[arg(long)]
    pub json: bool,
}

#[derive(Args)]
pub struct ScoreArgs {
    /// A `.gguf` file, or a folder with config.json, weights and a tokenizer.
    #[arg(long)]
    pub model: PathBuf,
    /// Architecture of `--model`. `auto` reads it from the model files.
    #[arg(long, value_enum, default_value = "auto")]
    pub arch: ArchName,
    #[command(flatten)]
    pub texts: TextArgs,
    /// Layers to score: `last` (alias `final`) or `all`.
    #[arg(long, value_enum, default_value = "last")]
    pub layers: LayersName,
    /// Metrics to compute, comma-separated.
    #[arg(long, value_enum, value_delimiter = ',', default_value = "mnn,me")]
    pub metrics: Vec<ScoreMetric>,
    /// Output folder for run.json, samples.jsonl and summary.csv.
    #[arg(long)]
    pub out: Option<PathBuf>,
    /// Continue the run in `--out`, skipping finished samples.
    #[arg(long, conflicts_with = "force", requires = "out")]
    pub resume: bool,
    /// Overwrite the run files in a non-empty `--out`.
    #[arg(long, requires = "out")]
    pub force: bool,
}

/// Parses the row count of `--limit` and `--sample`, rejecting 0 as a
/// usage error.
fn parse_row_count(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(0) => Err(
            "0 selects no rows; pass a positive row count, or omit the option to score every row"
                .into(),
        ),
        Ok(count) => Ok(count),
        Err(error) => Err(format!("{error}; pass a positive row count")),
    }
}

/// The `--max-tokens` of `score`, `compare` and `diff-erank` when omitted.
pub const DEFAULT_MAX_TOKENS: usize = 2048;

impl TextArgs {
    /// Returns `--max-tokens`, or [`DEFAULT_MAX_TOKENS`] when omitted.
    pub fn max_tokens(&self) -> usize {
        self.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS)
    }
}

/// One summary row with the run's identity, as printed and written.
#[derive(Serialize)]
pub struct SummaryLine {
    pub model: String,
    pub arch: String,
    pub dataset: String,
    pub field: String,
    #[serde(flatten)]
    pub row: LayerRow,
    pub load_s: f64,
    pub total_s: f64,
    pub threads: usize,
}

/// Runs `mnn score`, removing an `--out` folder that this run created when
/// it fails before writing anything.
pub fn run(args: &ScoreArgs) -> Result<()> {
    with_out_cleanup(args.out.as_deref(), || run_score(args))
}

fn run_score(args: &ScoreArgs) -> Result<()> {
    set_threads(args.texts.threads);
    let start = Instant::now();
    let metrics = metric_opts(&args.metrics, args.texts.entropy_method)?;
    if metrics.is_none() && args.layers == LayersName::All {
        bail!(
            "invalid --layers all with --metrics loss: the loss comes from the final layer only; add mnn or me to --metrics, or drop --layers all"
        );
    }
    let rows = select_rows(&args.texts)?;
    let mut config = score_config(args);
    let mut done: Vec<SampleRecord> = Vec::new();
    let mut _lock = None;
    if let Some(out) = &args.out {
        check_outputs_not_inputs(out, &[&args.texts.input, &args.model])?;
        _lock = Some(lock_out(out)?);
        let selection: BTreeSet<usize> = rows.iter().map(|row| row.index).collect();
        let request = OutRequest {
            resume: args.resume,
            force: args.force,
            config: &config,
            input: &args.texts.input,
            selection: &selection,
        };
        done = prepare_out(out, &request)?;
    }

    let spec = ModelSpec {
        path: args.model.clone(),
        arch: arch_of(args.arch),
        weights: weights_of(args.texts.weights),
    };
    let load_start = Instant::now();
    let mut model = load_model(&spec)?;
    model.check_tokenizer()?;
    let load_s = load_start.elapsed().as_secs_f64();
    set_resolved_arch(&mut config, model.as_ref());
    warn_if_clamped(args.texts.max_tokens, model.max_positions());
    let loss_selected = args.metrics.contains(&ScoreMetric::Loss);
    let loss = loss_selected && model.has_loss();
    if loss_selected && !loss {
        if metrics.is_none() {
            bail!(
                "invalid --metrics loss for {}: this {} model has no language-model head, so it has no loss; select mnn or me",
                args.model.display(),
                model.arch().name()
            );
        }
        tracing::warn!(
            arch = model.arch().name(),
            "--metrics loss needs a language-model head, which this model lacks; no loss is computed"
        );
    }
    let params = ScoreParams {
        max_tokens: args.texts.max_tokens(),
        all_layers: args.layers == LayersName::All,
        loss,
    };

    // The old run files are deleted (`--force`) only once the model has
    // loaded and the options are known to work, so a failed start keeps them.
    if let Some(out) = &args.out {
        if args.force {
            clear_old_run(out)?;
        }
        write_run_json(out, args, &config, model.as_ref(), &params, None)?;
    }

    let finished: BTreeSet<usize> = done.iter().map(|record| record.index).collect();
    let todo: Vec<&TextRow> = rows
        .iter()
        .filter(|row| !finished.contains(&row.index))
        .collect();
    tracing::info!(total = rows.len(), resumed = finished.len(), "scoring");
    let mut records = done;
    let samples_path = args.out.as_ref().map(|out| out.join("samples.jsonl"));
    records.extend(score_rows(
        model.as_mut(),
        metrics,
        params.clone(),
        &todo,
        samples_path.as_deref(),
    )?);

    let lines: Vec<SummaryLine> = summarize(&records, counted_metric(&args.metrics))
        .into_iter()
        .map(|row| SummaryLine {
            model: args.model.display().to_string(),
            arch: model.arch().name().to_string(),
            dataset: dataset_name(&args.texts.input),
            field: args.texts.field.clone(),
            row,
            load_s,
            total_s: start.elapsed().as_secs_f64(),
            threads: candle_core::utils::get_num_threads(),
        })
        .collect();
    if let Some(out) = &args.out {
        write_summary_csv(&out.join("summary.csv"), &lines)?;
        write_run_json(out, args, &config, model.as_ref(), &params, Some(&lines))?;
    }
    print_summary(&lines, args.texts.json)
}

/// Warns when an explicit `--max-tokens` is above the model's position
/// limit. The runner clamps it either way and logs the clamp at info level,
/// so the default of 2048 clamps silently for models such as MiniLM.
pub fn warn_if_clamped(requested: Option<usize>, limit: usize) {
    if let Some(requested) = requested.filter(|&requested| requested > limit) {
        tracing::warn!(
            requested,
            limit,
            "--max-tokens is above the model limit, so it is clamped"
        );
    }
}

/// Rejects an `--out` whose run files would overwrite the input texts or a
/// model, which `--force` would otherwise delete.
pub fn check_outputs_not_inputs(out: &Path, inputs: &[&Path]) -> Result<()> {
    for name in ["run.json", "samples.jsonl", "summary.csv", "run.lock"] {
        datasets::check_not_input(&out.join(name), inputs)?;
    }
    Ok(())
}

/// Sets the thread count of rayon's global pool and of candle's matmuls,
/// which both read `RAYON_NUM_THREADS` (candle on every matmul, rayon when
/// its global pool starts). The metric step always runs on one thread,
/// because the workspace builds faer without its `rayon` feature.
pub fn set_threads(threads: Option<NonZeroUsize>) {
    let Some(threads) = threads else {
        return;
    };
    // SAFETY: `score` and `compare` call this first, on the main thread,
    // before any model or rayon work starts, so no other thread exists that
    // could read the environment concurrently.
    unsafe { std::env::set_var("RAYON_NUM_THREADS", threads.to_string()) };
}

/// Returns validated metric options for the selected metrics, or `None`
/// when only `loss` is selected.
///
/// # Errors
///
/// An invalid entropy method or metric set.
pub fn metric_opts(
    selected: &[ScoreMetric],
    method: EntropyMethodName,
) -> Result<Option<MetricOpts>> {
    let metrics = MetricSet {
        mnn: selected.contains(&ScoreMetric::Mnn),
        entropy: selected.contains(&ScoreMetric::Me),
        nuclear: false,
    };
    if !(metrics.mnn || metrics.entropy) {
        return Ok(None);
    }
    let params = MetricParams {
        entropy_method: match method {
            EntropyMethodName::Auto => EntropyMethod::Auto,
            EntropyMethodName::Gram => EntropyMethod::Gram,
            EntropyMethodName::Eigh => EntropyMethod::Eigh,
            EntropyMethodName::Svd => EntropyMethod::Svd,
        },
        metrics,
        ..MetricParams::default()
    };
    Ok(Some(params.check()?))
}

/// Returns the metric whose counts fill `n_scored` and `n_nan`: the first
/// of mnn, me and loss that is selected.
fn counted_metric(selected: &[ScoreMetric]) -> CountedMetric {
    if selected.contains(&ScoreMetric::Mnn) {
        CountedMetric::Mnn
    } else if selected.contains(&ScoreMetric::Me) {
        CountedMetric::Me
    } else {
        CountedMetric::Loss
    }
}

/// Maps `--arch` to an architecture, `None` for `auto` (detect from the files).
pub fn arch_of(name: ArchName) -> Option<Arch> {
    match name {
        ArchName::Auto => None,
        ArchName::LlamaGguf => Some(Arch::LlamaGguf),
        ArchName::Bert => Some(Arch::Bert),
        ArchName::Gpt2 => Some(Arch::Gpt2),
        ArchName::GptNeox => Some(Arch::GptNeox),
    }
}

/// Maps `--weights` to the GGUF weight mode.
pub fn weights_of(name: WeightsName) -> WeightMode {
    match name {
        WeightsName::F32 => WeightMode::F32,
        WeightsName::Quantized => WeightMode::Quantized,
    }
}

/// Reads the texts and applies `--limit` or `--sample`.
///
/// # Errors
///
/// `--limit 0`, `--sample 0`, an input file without rows, and the errors
/// of [`read_texts`].
pub fn select_rows(args: &TextArgs) -> Result<Vec<TextRow>> {
    if args.limit == Some(0) {
        bail!("invalid --limit 0: pass a positive row count, or omit --limit to score every row");
    }
    if args.sample == Some(0) {
        bail!("invalid --sample 0: pass a positive row count, or omit --sample to score every row");
    }
    let rows = read_texts(&args.input, &args.field)?;
    if rows.is_empty() {
        bail!(
            "input {} has no rows: it is empty or contains only blank lines; pass a JSONL file with one JSON object per line",
            args.input.display()
        );
    }
    if let Some(limit) = args.limit {
        return Ok(rows.into_iter().take(limit).collect());
    }
    if let Some(k) = args.sample {
        let mut indices = mnn::sampling::sample_indices(rows.len(), k, args.seed)?;
        indices.sort_unstable();
        return Ok(indices.into_iter().map(|i| rows[i].clone()).collect());
    }
    Ok(rows)
}

/// Scores `rows` with a progress bar, appending each sample's records to
/// `samples` (flushed per sample) when given.
pub fn score_rows(
    model: &mut dyn HiddenStates,
    metrics: Option<MetricOpts>,
    params: ScoreParams,
    rows: &[&TextRow],
    samples: Option<&Path>,
) -> Result<Vec<SampleRecord>> {
    let mut scorer = Scorer::with_metrics(model, metrics, params.check()?);
    let mut file = samples.map(open_for_append).transpose()?;
    let progress = progress_bar(rows.len());
    let mut records = Vec::new();
    for row in rows {
        // Records are summarised as parsed back from their JSON lines, because
        // serde_json's default float parsing may differ from the written value
        // in the last bit. A resumed run, which reads its earlier records from
        // samples.jsonl, then summarises exactly what an uninterrupted run does.
        let mut lines = String::new();
        for record in scorer.score(row) {
            let line = serde_json::to_string(&record)?;
            records.push(serde_json::from_str::<SampleRecord>(&line)?);
            lines.push_str(&line);
            lines.push('\n');
        }
        if let Some(file) = file.as_mut() {
            file.write_all(lines.as_bytes())?;
            file.flush()?;
        }
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(records)
}

/// Opens `samples.jsonl` for appending, creating it when missing.
pub fn open_for_append(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .with_context(|| format!("cannot open {} for appending", path.display()))
}

/// Returns a progress bar over `len` texts, hidden when stderr is not a
/// terminal.
pub fn progress_bar(len: usize) -> ProgressBar {
    let progress = ProgressBar::new(len as u64);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        progress.set_draw_target(ProgressDrawTarget::hidden());
    }
    if let Ok(style) = ProgressStyle::with_template("{bar:40} {pos}/{len} texts, {eta} left") {
        progress.set_style(style);
    }
    progress
}

/// Returns the file stem of the input, used as the data set name.
pub fn dataset_name(path: &Path) -> String {
    path.file_stem()
        .map(|stem| stem.to_string_lossy().into_owned())
        .unwrap_or_default()
}

/// Formats a table cell with four decimals, `-` for a value not computed.
pub fn format_cell(value: Option<f64>) -> String {
    value.map_or_else(|| "-".to_string(), |v| format!("{v:.4}"))
}

/// Prints `value` as pretty JSON on stdout.
pub fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    let mut stdout = std::io::stdout().lock();
    serde_json::to_writer_pretty(&mut stdout, value)?;
    writeln!(stdout)?;
    Ok(())
}

fn print_summary(lines: &[SummaryLine], json: bool) -> Result<()> {
    if json {
        return print_json(lines);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "layer     n  scored   nan  empty  skipped  mean_tokens      mnn       me     loss  tokens/s"
    )?;
    for line in lines {
        let row = &line.row;
        writeln!(
            stdout,
            "{:<6} {:>4} {:>7} {:>5} {:>6} {:>8}  {:>11}  {:>7}  {:>7}  {:>7}  {:>8}",
            row.layer,
            row.n_samples,
            row.n_scored,
            row.n_nan,
            row.n_empty,
            row.n_skipped,
            format_cell(row.mean_tokens),
            format_cell(row.mnn_mean),
            format_cell(row.me_mean),
            format_cell(row.loss_mean),
            row.tokens_per_s
                .map_or_else(|| "-".to_string(), |v| format!("{v:.1}")),
        )?;
    }
    Ok(())
}
