//! `mnn diff-erank`: Diff-eRank of a model over a JSONL file.
//!
//! Every text is scored by the trained model and by an untrained one of the
//! same architecture (`--untrained random` draws fresh weights with
//! `--seed`, `--untrained PATH` loads another checkpoint). Per layer,
//! Diff-eRank = exp(mean H_untrained) − exp(mean H_trained), with H the
//! Matrix Entropy in nats and each mean over the samples with a finite H
//! (Wei et al. 2024, "Diff-eRank: A Novel Rank-Based Metric for Evaluating
//! Large Language Models").
//!
//! ```text
//! mnn diff-erank --model SmolLM2-135M-Instruct.Q4_1.gguf --untrained random --seed 0 \
//!   --input alpaca-eval.jsonl --field output --limit 5 --out runs/smol-diff
//! ```

use std::collections::BTreeSet;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, bail};
use clap::Args;
use mnn::MetricOpts;
use mnn::io::texts::TextRow;
use mnn::models::{HiddenStates, ModelSpec, init, load_model};
use mnn::runner::{DiffLayerRow, DiffSample, ScoreParams, Scorer, summarize_diff};
use serde::Serialize;

use super::score::{
    ArchName, DEFAULT_MAX_TOKENS, LayersName, ScoreMetric, TextArgs, arch_of,
    check_outputs_not_inputs, dataset_name, format_cell, metric_opts, open_for_append, print_json,
    progress_bar, select_rows, set_threads, weights_of,
};
use super::score_out::{
    OutRequest, RunConfig, cell, clear_old_run, csv_field, file_sha256, lock_out, prepare_out,
    run_record, selection_config, set_resolved_arch, value_name, with_out_cleanup, write_csv,
    write_run_record,
};

/// Arguments of `mnn diff-erank`.
#[derive(Args)]
#[command(mut_arg("seed", |arg| arg.help(
    "Seed of `--sample` and of the random untrained weights (`--untrained random`)",
)))]
pub struct DiffErankArgs {
    /// The trained model: a `.gguf` file, or a folder with config.json,
    /// weights and a tokenizer.
    #[arg(long)]
    pub model: PathBuf,
    #[arg(long, value_enum, default_value = "auto")]
    pub arch: ArchName,
    /// `random` for weights drawn with `--seed` as transformers initialises
    /// them, or the path of another checkpoint of the same architecture
    /// (write `./random` for a folder named `random`).
    #[arg(long, value_name = "random|PATH")]
    pub untrained: String,
    #[command(flatten)]
    pub texts: TextArgs,
    /// Layers to score: `last` (alias `final`) or `all`.
    #[arg(long, value_enum, default_value = "last")]
    pub layers: LayersName,
    /// Output folder for run.json, samples.jsonl and summary.csv.
    #[arg(long)]
    pub out: PathBuf,
    /// Continue the run in `--out`, skipping finished samples.
    #[arg(long, conflicts_with = "force")]
    pub resume: bool,
    /// Overwrite the run files in a non-empty `--out`.
    #[arg(long)]
    pub force: bool,
}

/// The source of the untrained model.
#[derive(Debug, Clone, PartialEq, Eq)]
enum UntrainedSource {
    /// Weights drawn by [`init::load_untrained`].
    Random,
    /// Another checkpoint of the same architecture.
    Checkpoint(PathBuf),
}

impl UntrainedSource {
    fn parse(value: &str) -> Self {
        if value == "random" {
            Self::Random
        } else {
            Self::Checkpoint(PathBuf::from(value))
        }
    }
}

/// One summary row with the run's identity, as printed and written.
#[derive(Serialize)]
pub struct DiffSummaryLine {
    pub model: String,
    /// `random` or the path of the untrained checkpoint.
    pub untrained: String,
    /// The seed of random untrained weights, `None` for a checkpoint.
    pub seed: Option<u64>,
    pub arch: String,
    pub dataset: String,
    pub field: String,
    #[serde(flatten)]
    pub row: DiffLayerRow,
    pub load_s: f64,
    pub total_s: f64,
    pub threads: usize,
}

/// Runs `mnn diff-erank`, removing an `--out` folder that this run created
/// when it fails before writing anything.
pub fn run(args: &DiffErankArgs) -> Result<()> {
    with_out_cleanup(Some(&args.out), || run_diff(args))
}

fn run_diff(args: &DiffErankArgs) -> Result<()> {
    set_threads(args.texts.threads);
    let start = Instant::now();
    let source = UntrainedSource::parse(&args.untrained);
    let Some(metrics) = metric_opts(&[ScoreMetric::Me], args.texts.entropy_method)? else {
        bail!("internal error: Matrix Entropy options are missing");
    };
    let rows = select_rows(&args.texts)?;
    let mut config = diff_config(args);
    let mut inputs = vec![args.texts.input.as_path(), args.model.as_path()];
    if let UntrainedSource::Checkpoint(path) = &source {
        inputs.push(path);
    }
    check_outputs_not_inputs(&args.out, &inputs)?;
    let _lock = lock_out(&args.out)?;
    let selection: BTreeSet<usize> = rows.iter().map(|row| row.index).collect();
    let request = OutRequest {
        resume: args.resume,
        force: args.force,
        config: &config,
        input: &args.texts.input,
        selection: &selection,
    };
    let done: Vec<DiffSample> = prepare_out(&args.out, &request)?;

    let load_start = Instant::now();
    let (mut untrained, mut trained) = load_models(args, &source)?;
    let load_s = load_start.elapsed().as_secs_f64();
    set_resolved_arch(&mut config, trained.as_ref());
    let params = ScoreParams {
        max_tokens: shared_token_limit(args.texts.max_tokens, untrained.as_ref(), trained.as_ref()),
        all_layers: args.layers == LayersName::All,
        loss: false,
    };

    // As in `mnn score`, the old run files go only once both models loaded.
    if args.force {
        clear_old_run(&args.out)?;
    }
    write_run_json(args, &config, trained.as_ref(), &params, None)?;

    let finished: BTreeSet<usize> = done.iter().map(|record| record.index).collect();
    let todo: Vec<&TextRow> = rows
        .iter()
        .filter(|row| !finished.contains(&row.index))
        .collect();
    tracing::info!(
        total = rows.len(),
        resumed = finished.len(),
        "scoring with both models"
    );
    let mut records = done;
    let models = ModelPair {
        untrained: untrained.as_mut(),
        trained: trained.as_mut(),
    };
    records.extend(score_pairs(
        models,
        metrics,
        params.clone(),
        &todo,
        &args.out,
    )?);

    let lines: Vec<DiffSummaryLine> = summarize_diff(&records)
        .into_iter()
        .map(|row| DiffSummaryLine {
            model: args.model.display().to_string(),
            untrained: args.untrained.clone(),
            seed: (source == UntrainedSource::Random).then_some(args.texts.seed),
            arch: trained.arch().name().to_string(),
            dataset: dataset_name(&args.texts.input),
            field: args.texts.field.clone(),
            row,
            load_s,
            total_s: start.elapsed().as_secs_f64(),
            threads: candle_core::utils::get_num_threads(),
        })
        .collect();
    write_summary_csv(&args.out.join("summary.csv"), &lines)?;
    write_run_json(args, &config, trained.as_ref(), &params, Some(&lines))?;
    print_summary(&lines, args.texts.json)
}

/// Loads the trained model, then the untrained one, and returns
/// `(untrained, trained)`.
fn load_models(
    args: &DiffErankArgs,
    source: &UntrainedSource,
) -> Result<(Box<dyn HiddenStates>, Box<dyn HiddenStates>)> {
    let spec = ModelSpec {
        path: args.model.clone(),
        arch: arch_of(args.arch),
        weights: weights_of(args.texts.weights),
    };
    let trained = load_model(&spec)?;
    trained.check_tokenizer()?;

    let untrained = match source {
        UntrainedSource::Random => {
            let spec = ModelSpec {
                arch: Some(trained.arch()),
                ..spec
            };
            init::load_untrained(&spec, args.texts.seed)?
        }
        UntrainedSource::Checkpoint(path) => {
            let spec = ModelSpec {
                path: path.clone(),
                arch: None,
                ..spec
            };
            // NOTE: each model tokenizes with its own tokenizer, and only the
            // architecture, d and L are compared, so a checkpoint with another
            // vocabulary scores other token sequences.
            let untrained = load_model(&spec)?;
            check_same_shape(untrained.as_ref(), trained.as_ref(), args)?;
            untrained.check_tokenizer()?;
            untrained
        }
    };
    Ok((untrained, trained))
}

/// Returns `requested` clamped to the position limit of both models, with a
/// warning when it is lowered, so that both models see the same tokens.
fn shared_token_limit(
    requested: Option<usize>,
    untrained: &dyn HiddenStates,
    trained: &dyn HiddenStates,
) -> usize {
    let limit = untrained.max_positions().min(trained.max_positions());
    let explicit = requested.is_some();
    let requested = requested.unwrap_or(DEFAULT_MAX_TOKENS);
    if explicit && requested > limit {
        tracing::warn!(
            requested,
            limit,
            "--max-tokens is above the position limit of the models, so it is clamped"
        );
    }
    requested.min(limit)
}

/// Rejects an untrained checkpoint whose architecture, hidden size, layer
/// count or vocabulary size (token embedding rows) differs from the trained
/// model's.
fn check_same_shape(
    untrained: &dyn HiddenStates,
    trained: &dyn HiddenStates,
    args: &DiffErankArgs,
) -> Result<()> {
    let describe = |model: &dyn HiddenStates| {
        let vocab = model
            .vocab_size()
            .map_or_else(|| "unknown".to_string(), |rows| rows.to_string());
        format!(
            "{} with d = {}, {} layers and a vocabulary of {vocab} tokens",
            model.arch().name(),
            model.hidden_size(),
            model.n_layers()
        )
    };
    let same = untrained.arch() == trained.arch()
        && untrained.hidden_size() == trained.hidden_size()
        && untrained.n_layers() == trained.n_layers()
        && untrained.vocab_size() == trained.vocab_size();
    if !same {
        bail!(
            "invalid --untrained {}: it is {}, but --model {} is {}; pass a checkpoint of the same architecture and size, or --untrained random",
            args.untrained,
            describe(untrained),
            args.model.display(),
            describe(trained)
        );
    }
    Ok(())
}

/// The two models of one run.
struct ModelPair<'a> {
    untrained: &'a mut dyn HiddenStates,
    trained: &'a mut dyn HiddenStates,
}

/// Scores `rows` with both models and a progress bar, appending each
/// sample's joined records to `out/samples.jsonl` (flushed per sample).
fn score_pairs(
    models: ModelPair<'_>,
    metrics: MetricOpts,
    params: ScoreParams,
    rows: &[&TextRow],
    out: &Path,
) -> Result<Vec<DiffSample>> {
    let mut untrained = Scorer::new(models.untrained, metrics, params.clone().check()?);
    let mut trained = Scorer::new(models.trained, metrics, params.check()?);
    let mut file = open_for_append(&out.join("samples.jsonl"))?;
    let progress = progress_bar(rows.len());
    let mut records = Vec::new();
    for row in rows {
        // Both models have the same layer count, so their records pair up by
        // position. Each record is kept as parsed back from its line, as
        // `mnn score` does, so a resumed run summarises the same values.
        let mut lines = String::new();
        for (u, t) in untrained.score(row).iter().zip(trained.score(row).iter()) {
            let line = serde_json::to_string(&DiffSample::join(u, t))?;
            records.push(serde_json::from_str::<DiffSample>(&line)?);
            lines.push_str(&line);
            lines.push('\n');
        }
        file.write_all(lines.as_bytes())?;
        file.flush()?;
        progress.inc(1);
    }
    progress.finish_and_clear();
    Ok(records)
}

/// Returns the config of `mnn diff-erank` (see [`RunConfig`]). `--seed`
/// is always part of it, because it also draws the random untrained weights.
fn diff_config(args: &DiffErankArgs) -> RunConfig {
    let mut config = selection_config(&args.texts);
    config.insert("model".into(), serde_json::json!(args.model));
    config.insert("arch".into(), value_name(&args.arch).into());
    config.insert("untrained".into(), args.untrained.clone().into());
    config.insert("seed".into(), args.texts.seed.into());
    config.insert("layers".into(), value_name(&args.layers).into());
    config
}

fn write_run_json(
    args: &DiffErankArgs,
    config: &RunConfig,
    trained: &dyn HiddenStates,
    params: &ScoreParams,
    summary: Option<&[DiffSummaryLine]>,
) -> Result<()> {
    let mut run = run_record(config, params, (&args.model, trained), &args.texts, summary);
    run["untrained"] = match UntrainedSource::parse(&args.untrained) {
        UntrainedSource::Random => serde_json::json!({
            "source": "random",
            "seed": args.texts.seed,
            "rng": "ChaCha8",
        }),
        UntrainedSource::Checkpoint(path) => serde_json::json!({
            "source": path,
            "sha256": file_sha256(&path),
        }),
    };
    write_run_record(&args.out, &run)
}

const CSV_HEADER: &str = "model,untrained,seed,arch,dataset,field,layer,n_samples,n_scored,\
n_empty,n_excluded,mean_tokens,h_mean_untrained,h_mean_trained,erank_untrained,erank_trained,\
diff,n_untrained,n_trained,load_s,total_s,threads";

fn write_summary_csv(path: &Path, lines: &[DiffSummaryLine]) -> Result<()> {
    write_csv(path, CSV_HEADER, lines.iter().map(summary_cells))
}

fn summary_cells(line: &DiffSummaryLine) -> Vec<String> {
    let row = &line.row;
    let diff = row.diff.as_ref();
    vec![
        csv_field(&line.model),
        csv_field(&line.untrained),
        line.seed.map(|seed| seed.to_string()).unwrap_or_default(),
        line.arch.clone(),
        csv_field(&line.dataset),
        csv_field(&line.field),
        row.layer.clone(),
        row.n_samples.to_string(),
        row.n_scored.to_string(),
        row.n_empty.to_string(),
        row.n_excluded.to_string(),
        cell(row.mean_tokens),
        cell(row.h_mean_untrained),
        cell(row.h_mean_trained),
        cell(diff.map(|d| d.erank_untrained)),
        cell(diff.map(|d| d.erank_trained)),
        cell(diff.map(|d| d.diff)),
        diff.map(|d| d.n_untrained.to_string()).unwrap_or_default(),
        diff.map(|d| d.n_trained.to_string()).unwrap_or_default(),
        line.load_s.to_string(),
        line.total_s.to_string(),
        line.threads.to_string(),
    ]
}

fn print_summary(lines: &[DiffSummaryLine], json: bool) -> Result<()> {
    if json {
        return print_json(lines);
    }
    let mut stdout = std::io::stdout().lock();
    writeln!(
        stdout,
        "layer    n  scored  empty  excluded  erank_untrained  erank_trained  diff_erank"
    )?;
    for line in lines {
        let row = &line.row;
        let diff = row.diff.as_ref();
        writeln!(
            stdout,
            "{:<6} {:>4} {:>6} {:>6} {:>9}  {:>15}  {:>13}  {:>10}",
            row.layer,
            row.n_samples,
            row.n_scored,
            row.n_empty,
            row.n_excluded,
            format_cell(diff.map(|d| d.erank_untrained)),
            format_cell(diff.map(|d| d.erank_trained)),
            format_cell(diff.map(|d| d.diff)),
        )?;
    }
    Ok(())
}
