//! `lipnet uci run` and `lipnet uci summarize`: the UCI-121 benchmark.

use anyhow::{Context, bail};
use clap::{Args, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use lipnet::uci::{
    self, Observer, Phase, Phases, Projection, Record, RunParams, SelectMetric, Shard, Status,
    SuiteName, SuiteParams, runner::format_duration,
};
use serde_json::json;
use std::io::IsTerminal;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

/// Arguments of `lipnet uci`.
#[derive(Debug, Args)]
pub struct UciArgs {
    #[command(subcommand)]
    command: UciCommand,
}

#[derive(Debug, Subcommand)]
enum UciCommand {
    /// Run benchmark units, appending one JSON line per finished unit and
    /// skipping units the results file already has.
    Run(RunArgs),
    /// Write markdown, CSV, TSV and SVG tables from results files.
    Summarize(SummarizeArgs),
}

impl UciArgs {
    /// Returns true when the command prints JSON on stdout.
    pub fn json(&self) -> bool {
        match &self.command {
            UciCommand::Run(a) => a.json,
            UciCommand::Summarize(a) => a.json,
        }
    }
}

/// Arguments of `lipnet uci run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Collection folder (the one that contains iris/); default: $NORMLAB_UCI121.
    #[arg(long)]
    root: Option<PathBuf>,
    /// Suite: smoke (16 quick units), core (LDLT and SLL, residual and sequential),
    /// full (every method) or sweep (ldlt-res, ldlt-seq, sll-res, mlp; one config, one seed).
    #[arg(long, default_value = "core")]
    suite: String,
    /// Phase: selection, report or all (default: report for smoke and sweep, all otherwise).
    #[arg(long)]
    phase: Option<String>,
    /// Model ids, comma-separated, replacing the suite's methods.
    #[arg(long, value_delimiter = ',')]
    methods: Option<Vec<String>>,
    /// Data sets, comma-separated, restricting the suite.
    #[arg(long, value_delimiter = ',')]
    sets: Option<Vec<String>>,
    /// Epochs per unit, replacing the suite's (part of the config id).
    #[arg(long)]
    epochs: Option<usize>,
    /// Results file (JSON lines); created when absent, appended otherwise.
    #[arg(long)]
    results: PathBuf,
    /// Worker threads; each runs one unit at a time on one core.
    #[arg(long, default_value_t = 2)]
    jobs: usize,
    /// Run only part i of n (0-based), for job arrays: --shard $SLURM_ARRAY_TASK_ID/N.
    #[arg(long)]
    shard: Option<String>,
    /// Run at most this many units, then stop.
    #[arg(long)]
    max_units: Option<usize>,
    /// Rerun units whose latest line has status failed.
    #[arg(long)]
    retry_failed: bool,
    /// Accept the reference-parity ids ldlt-res-ref and ldlt-seq-ref (not valid certificates).
    #[arg(long)]
    allow_reference: bool,
    /// Validation metric for choosing the configuration: clean or cra36.
    #[arg(long, default_value = "clean")]
    select_metric: String,
    /// Base seed: selection units use it, report units it and the next two (smoke: it alone).
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print one JSON object with the run's counts on stdout.
    #[arg(long)]
    json: bool,
}

/// Arguments of `lipnet uci summarize`.
#[derive(Debug, Args)]
pub struct SummarizeArgs {
    /// Results files (JSON lines); give several for a sharded sweep.
    #[arg(long, required = true, num_args = 1..)]
    results: Vec<PathBuf>,
    /// Markdown report to write.
    #[arg(long)]
    markdown: PathBuf,
    /// Per-method table as CSV.
    #[arg(long)]
    csv: Option<PathBuf>,
    /// Per-set scores as TSV; default: the markdown path with `-sets.tsv`.
    #[arg(long)]
    tsv: Option<PathBuf>,
    /// Folder for SVG plots (created when absent).
    #[arg(long)]
    svg_dir: Option<PathBuf>,
    /// Print the summary as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run(args: UciArgs) -> anyhow::Result<ExitCode> {
    match args.command {
        UciCommand::Run(a) => run_sweep(a),
        UciCommand::Summarize(a) => summarize(a),
    }
}

fn run_sweep(a: RunArgs) -> anyhow::Result<ExitCode> {
    let params = run_params(&a)?;
    let config = params.check()?;
    let mut progress = Progress::new(a.json);
    let report = uci::run(&config, &mut progress)?;
    progress.finish();

    if a.json {
        println!("{}", serde_json::to_string(&report)?);
    } else {
        println!(
            "{} units run ({} ok, {} failed, {} skipped: incomplete set), {} already finished, \
             in {}",
            report.ran,
            report.ok,
            report.failed,
            report.skipped_incomplete,
            report.already_finished,
            format_duration(report.seconds)
        );
        if report.left_by_max_units > 0 {
            println!(
                "{} units left for later (--max-units)",
                report.left_by_max_units
            );
        }
        if report.pending_report > 0 {
            println!(
                "{} report units wait for selection results: run --phase selection (or all) first",
                report.pending_report
            );
        }
        println!("results: {}", config.results.display());
    }
    Ok(ExitCode::SUCCESS)
}

fn run_params(a: &RunArgs) -> anyhow::Result<RunParams> {
    let root = match &a.root {
        Some(r) => r.clone(),
        None => match std::env::var_os("NORMLAB_UCI121") {
            Some(r) => PathBuf::from(r),
            None => bail!(
                "missing collection folder: pass --root or set NORMLAB_UCI121 to the folder \
                 that contains iris/"
            ),
        },
    };
    let suite = SuiteParams {
        name: SuiteName::parse(&a.suite)?,
        methods: a.methods.clone(),
        sets: a.sets.clone(),
        epochs: a.epochs,
        phases: a.phase.as_deref().map(Phases::parse).transpose()?,
        seed: a.seed,
        allow_reference: a.allow_reference,
    };
    Ok(RunParams {
        root,
        suite,
        results: a.results.clone(),
        jobs: a.jobs,
        shard: a
            .shard
            .as_deref()
            .map(Shard::parse)
            .transpose()?
            .unwrap_or(Shard::ALL),
        max_units: a.max_units,
        retry_failed: a.retry_failed,
        select_metric: SelectMetric::parse(&a.select_metric)?,
    })
}

/// Progress bar per phase on a terminal, and the time projection on stderr.
struct Progress {
    json: bool,
    bar: Option<ProgressBar>,
}

impl Progress {
    fn new(json: bool) -> Self {
        Self { json, bar: None }
    }

    fn finish(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}

impl Observer for Progress {
    fn phase_started(&mut self, phase: Phase, n_units: usize) {
        self.finish();
        if self.json || !std::io::stderr().is_terminal() {
            return;
        }
        let bar = ProgressBar::new(n_units as u64);
        let style = ProgressStyle::with_template(
            "{prefix} [{bar:30}] {pos}/{len} units {msg} ({elapsed}, eta {eta})",
        )
        .expect("valid progress template")
        .progress_chars("=> ");
        bar.set_style(style);
        bar.set_prefix(phase.name().to_string());
        self.bar = Some(bar);
    }

    fn unit_finished(&mut self, record: &Record) {
        if let Some(bar) = &self.bar {
            let status = match record.status {
                Status::Ok => String::new(),
                other => format!(" {}", other.name()),
            };
            bar.set_message(format!("{} {}{status}", record.dataset, record.method));
            bar.inc(1);
        }
    }

    fn projected(&mut self, p: &Projection) {
        let line = format!(
            "projected total time: {} (estimate after {} units, {} elapsed)",
            format_duration(p.total_seconds),
            p.units_done,
            format_duration(p.elapsed_seconds)
        );
        match &self.bar {
            Some(bar) => bar.println(line),
            None => eprintln!("{line}"),
        }
    }
}

fn summarize(a: SummarizeArgs) -> anyhow::Result<ExitCode> {
    let records = uci::read_all_results(&a.results)?;
    if records.is_empty() {
        bail!(
            "no results lines in {}: run `lipnet uci run` first",
            list_paths(&a.results)
        );
    }
    let summary = uci::summarize(records);
    let tsv = a.tsv.clone().unwrap_or_else(|| default_tsv(&a.markdown));
    for output in [Some(&a.markdown), Some(&tsv), a.csv.as_ref()]
        .into_iter()
        .flatten()
    {
        datasets::check_not_input(output, &a.results)?;
    }
    let files = uci::write_summary(
        &summary,
        &a.markdown,
        &tsv,
        a.csv.as_deref(),
        a.svg_dir.as_deref(),
    )
    .context("cannot write the summary")?;

    if a.json {
        println!(
            "{}",
            serde_json::to_string(&json!({ "summary": summary, "files": files }))?
        );
        return Ok(ExitCode::SUCCESS);
    }
    println!(
        "{} units, {} ok report units, {} failed or skipped groups, {} certificate violations",
        summary.n_units,
        summary.n_report_ok,
        summary.failures.len(),
        summary.violations.len()
    );
    println!("markdown: {}", files.markdown.display());
    println!("per-set TSV: {}", files.tsv.display());
    if let Some(csv) = &files.csv {
        println!("CSV: {}", csv.display());
    }
    for svg in &files.svg {
        println!("SVG: {}", svg.display());
    }
    Ok(ExitCode::SUCCESS)
}

/// Returns `OUT-sets.tsv` for `OUT.md`.
fn default_tsv(markdown: &Path) -> PathBuf {
    let stem = markdown
        .file_stem()
        .map_or("summary".into(), |s| s.to_string_lossy().into_owned());
    markdown.with_file_name(format!("{stem}-sets.tsv"))
}

fn list_paths(paths: &[PathBuf]) -> String {
    paths
        .iter()
        .map(|p| p.display().to_string())
        .collect::<Vec<_>>()
        .join(", ")
}
