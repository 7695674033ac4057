//! The `pncrit` command: the p-n criterion on a data file.
//!
//! ```text
//! pncrit check --data winequality-red.csv --skip 3 --cols 1-11 --family mvn --json
//! pncrit scan --data winequality-red.csv --skip 3 --cols 1-11 --family mvn --plot scan.svg
//! pncrit nmin --a1 38.5 --a2 839.6667 --r 0.02
//! ```
//!
//! Errors print one line `error: …` on stderr. A usage error (an unknown or
//! malformed option) exits with status 2, any other error with status 1. A
//! closed output pipe (as with `| head -1`) ends the run quietly with status 0.

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use faer::Mat;
use pncrit::bench;
use pncrit::bootstrap;
use pncrit::calibrate::{self, Calib};
use pncrit::criterion::{self, Order};
use pncrit::error::compact;
use pncrit::family::gibbs::GibbsOptions;
use pncrit::family::{
    self, Analysis, Bernoulli, Categorical, Custom, ExpFamily, Exponential, LogLinear, Mode, Mvn,
    Poisson, Sampling,
};
use pncrit::fit::FitOptions;
use pncrit::io::{self as pio, ColumnSpec};
use pncrit::plot::{self, Curve};
use pncrit::report::{Row, TSV_HEADER, Tolerance};
use pncrit::simulate::{self, Case};

#[derive(Parser)]
#[command(
    name = "pncrit",
    version,
    about = "The p-n criterion: is the sample large enough for a model of this dimension?"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Fits one model and decides at the observed n.
    Check(CheckArgs),
    /// Runs nested models (the first d selected columns, d = 1..D) and reports p_max.
    Scan(ScanArgs),
    /// Solves â₁/n + â₂/n² = r for n.
    Nmin(NminArgs),
    /// Simulates the risk of a built-in misspecified case beside the expansion.
    Simulate(SimulateArgs),
    /// Runs a user-supplied statistic: data rows t(Xᵢ) and optionally the model's states.
    Custom(CustomArgs),
    /// Times fitting, expansion and simulation on the wine-red file (median of runs).
    Bench(BenchArgs),
}

#[derive(Args)]
struct CustomArgs {
    /// File of statistic values t(Xᵢ), one row per observation, one column per statistic.
    #[arg(long)]
    stats: PathBuf,
    /// Header lines to skip in every input file.
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// 1-based columns of --stats (and of --model-cloud) to use (default: all).
    #[arg(long)]
    cols: Option<String>,
    /// File of the model's states t(s), one row per state; without --weights
    /// θ̂ is fitted by damped Newton with uniform base measure on the states.
    #[arg(long)]
    model_cloud: Option<PathBuf>,
    /// File of fitted state probabilities (one per line, summing to 1), used as they are.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Estimation mode (misspecified and model need --model-cloud).
    #[arg(long, value_enum, default_value = "misspecified")]
    mode: ModeName,
    #[command(flatten)]
    decision: DecisionArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct BenchArgs {
    /// Folder holding winequality-red.csv.
    #[arg(long)]
    data_dir: PathBuf,
    /// Timed runs per task after one warm-up (the median is reported).
    #[arg(long, default_value_t = 7)]
    runs: usize,
    /// Replicates per sample size of the Monte-Carlo task.
    #[arg(long, default_value_t = 400_000)]
    reps: usize,
    /// Tasks to run, comma-separated (default: all).
    #[arg(long, value_delimiter = ',')]
    tasks: Vec<String>,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum CaseName {
    /// Poisson model, negative-binomial (4, 0.4) truth.
    PoissonNegbin,
    /// Normal model, Gamma(3) truth.
    NormalGamma,
    /// Two independent Bernoulli variables, correlated truth.
    IndepBernoulli,
}

#[derive(Args)]
struct SimulateArgs {
    /// The case.
    #[arg(long, value_enum)]
    case: CaseName,
    /// Sample sizes, comma-separated.
    #[arg(long, value_delimiter = ',', default_value = "10,20,40,80")]
    n: Vec<usize>,
    /// Replicates per sample size.
    #[arg(long, default_value_t = 50_000)]
    reps: usize,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Clone, Copy, ValueEnum)]
enum FamilyName {
    Mvn,
    Poisson,
    Bernoulli,
    Exponential,
    Categorical,
    Loglinear,
}

#[derive(Clone, Copy, ValueEnum, PartialEq, Eq)]
enum ModeName {
    Misspecified,
    Model,
    Empirical,
}

impl ModeName {
    fn mode(self) -> Mode {
        match self {
            ModeName::Misspecified => Mode::Misspecified,
            ModeName::Model => Mode::Model,
            ModeName::Empirical => Mode::Empirical,
        }
    }
}

#[derive(Clone, Copy, ValueEnum)]
enum Binarize {
    Median,
}

#[derive(Args)]
struct DataArgs {
    /// Data file (comma, TAB, semicolon or space separated).
    #[arg(long)]
    data: PathBuf,
    /// Number of header lines to skip.
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// 1-based columns to use, such as 2-9 or 1,3,5-7 (default: all).
    #[arg(long)]
    cols: Option<String>,
    /// Model family.
    #[arg(long, value_enum)]
    family: FamilyName,
    /// Binarise every column as x > column median (strict) before a log-linear fit.
    #[arg(long, value_enum)]
    binarize: Option<Binarize>,
    /// Largest interaction size of the log-linear model (1: independence, 2: pairwise).
    #[arg(long, default_value_t = 2)]
    interactions: usize,
    /// Cap on enumerated states of the log-linear model (at most 1048576).
    #[arg(long, default_value_t = 65_536)]
    max_states: usize,
    /// When the log-linear model cloud is Gibbs-sampled instead of enumerated.
    #[arg(long, value_enum, default_value = "off")]
    sampling: SamplingName,
    /// Gibbs draws M per sampling round (log-linear sampling only).
    #[arg(long, default_value_t = 20_000)]
    draws: usize,
    /// Gibbs sweeps discarded before the first kept draw.
    #[arg(long, default_value_t = 1_000)]
    burn_in: usize,
}

#[derive(Clone, Copy, ValueEnum)]
enum SamplingName {
    /// Enumerate the states; more than --max-states is an error.
    Off,
    /// Sample only when the states exceed --max-states.
    BeyondCap,
    /// Always sample.
    Always,
}

#[derive(Args)]
struct DecisionArgs {
    /// Bayes-error level β ∈ (0, 0.5); the default 0.45 gives r = 0.02 with Pinsker.
    #[arg(long, allow_negative_numbers = true)]
    beta: Option<f64>,
    /// Calibration from β to r: pinsker, bh, combined or markov:ALPHA.
    #[arg(long, default_value = "pinsker")]
    calib: String,
    /// Risk tolerance r in nats (overrides --beta).
    #[arg(long, allow_negative_numbers = true)]
    r: Option<f64>,
    /// Expansion order used to decide: 1 (â₁/n) or 2 (â₁/n + â₂/n²).
    #[arg(long, default_value_t = 2)]
    order: u8,
}

#[derive(Args)]
struct OutputArgs {
    /// Print JSON instead of TSV.
    #[arg(long)]
    json: bool,
    /// Write the output to this file (through a temporary file and a rename).
    #[arg(short = 'o', long)]
    output: Option<PathBuf>,
    /// Seed of the random streams (`simulate` and `check --bootstrap`).
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Args)]
struct CheckArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Estimation mode.
    #[arg(long, value_enum, default_value = "misspecified")]
    mode: ModeName,
    /// Report a boundary MLE as the flag mle_boundary instead of an error.
    #[arg(long)]
    allow_boundary: bool,
    /// Number of bootstrap resamples for the spread of the misspecified â₁ (0: none).
    #[arg(long, default_value_t = 0)]
    bootstrap: usize,
    #[command(flatten)]
    decision: DecisionArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct ScanArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Modes to scan, comma-separated.
    #[arg(
        long,
        value_enum,
        value_delimiter = ',',
        default_value = "model,misspecified,empirical"
    )]
    modes: Vec<ModeName>,
    /// Nesting rule: `prefix` uses the first d selected columns, d = 1..D.
    #[arg(long, default_value = "prefix")]
    nested: String,
    /// Write an SVG of R̂₂ against n for every nested model of the first mode.
    #[arg(long)]
    plot: Option<PathBuf>,
    #[command(flatten)]
    decision: DecisionArgs,
    #[command(flatten)]
    output: OutputArgs,
}

#[derive(Args)]
struct NminArgs {
    /// First-order coefficient â₁ (> 0).
    #[arg(
        long,
        required_unless_present = "d",
        conflicts_with = "d",
        allow_negative_numbers = true
    )]
    a1: Option<f64>,
    /// Second-order coefficient â₂ (default 0).
    #[arg(long, conflicts_with = "d", allow_negative_numbers = true)]
    a2: Option<f64>,
    /// Use the well-specified MVN coefficients for d variables instead of --a1/--a2.
    #[arg(long, allow_negative_numbers = true)]
    d: Option<i64>,
    #[command(flatten)]
    decision: DecisionArgs,
    #[command(flatten)]
    output: OutputArgs,
}

fn main() {
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(tracing_subscriber::EnvFilter::from_default_env())
        .init();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => exit_on_argument_error(&e),
    };
    let result = match cli.command {
        Command::Check(args) => run_check(&args),
        Command::Scan(args) => run_scan(&args),
        Command::Nmin(args) => run_nmin(&args),
        Command::Simulate(args) => run_simulate(&args),
        Command::Custom(args) => run_custom(&args),
        Command::Bench(args) => run_bench(&args),
    };
    if let Err(e) = result {
        if is_broken_pipe(&e) {
            std::process::exit(0);
        }
        eprintln!("error: {}", one_line(&e));
        std::process::exit(1);
    }
}

/// True when the error comes from writing to a pipe whose reader has exited.
fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}

/// Joins the error's chain with `: `, leaving out a cause whose text the line already holds.
fn one_line(e: &anyhow::Error) -> String {
    let mut line = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if line.contains(&text) {
            continue;
        }
        if !line.is_empty() {
            line.push_str(": ");
        }
        line.push_str(&text);
    }
    line
}

/// Checks every output path before any work: it must be none of the
/// `inputs`, absent or a regular file, and its folder must exist.
fn check_outputs(outputs: &[Option<&Path>], inputs: &[&Path]) -> Result<()> {
    for path in outputs.iter().flatten() {
        datasets::check_not_input(path, inputs)?;
        datasets::check_replaceable(path)?;
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(folder) = parent.filter(|p| !p.is_dir()) {
            bail!(
                "folder {} does not exist; create it or choose another output path",
                folder.display()
            );
        }
    }
    Ok(())
}

/// Prints help and version as clap does; prints any other argument error as
/// one line and exits with status 2.
fn exit_on_argument_error(e: &clap::Error) -> ! {
    if !e.use_stderr() {
        e.exit();
    }
    let rendered = e.render().to_string();
    let message: Vec<&str> = rendered
        .lines()
        .map(str::trim)
        .take_while(|l| !l.starts_with("Usage:") && !l.starts_with("For more information"))
        .filter(|l| !l.is_empty() && !l.starts_with("tip:"))
        .collect();
    eprintln!("{}; see --help", message.join(" "));
    std::process::exit(2);
}

fn tolerance(args: &DecisionArgs) -> Result<(Tolerance, Order)> {
    let order = match args.order {
        1 => Order::First,
        2 => Order::Second,
        o => bail!("invalid order = {o}: use --order 1 or --order 2"),
    };
    let calib = Calib::parse(&args.calib)?;
    let tol = match args.r {
        Some(r) if !(r > 0.0 && r.is_finite()) => {
            bail!(
                "invalid r = {}: r must be a positive number of nats, such as 0.02",
                compact(r)
            )
        }
        Some(r) => Tolerance {
            beta: None,
            calib,
            r,
        },
        None => {
            let beta = args.beta.unwrap_or(calibrate::DEFAULT_BETA);
            Tolerance {
                beta: Some(beta),
                calib,
                r: calibrate::tolerance_from_bayes_error(beta, calib)?,
            }
        }
    };
    Ok((tol, order))
}

use pncrit::family::HARD_MAX_STATES as MAX_STATES_CAP;

/// Rejects data options that are out of range before the file is read.
fn check_data_args(args: &DataArgs) -> Result<()> {
    if args.max_states == 0 || args.max_states > MAX_STATES_CAP {
        bail!(
            "invalid max-states = {}: give a number from 1 to {MAX_STATES_CAP}, or use --sampling beyond-cap for larger models",
            args.max_states
        );
    }
    Ok(())
}

fn load(args: &DataArgs) -> Result<(Mat<f64>, Vec<usize>, String)> {
    let cols = args.cols.as_deref().map(ColumnSpec::parse).transpose()?;
    let table = pio::read_table(&args.data, args.skip, cols.as_ref())?;
    let label = args
        .data
        .file_stem()
        .map_or("data".into(), |s| s.to_string_lossy().into_owned());
    let x = match args.binarize {
        Some(Binarize::Median) => pio::binarize_median(table.x.as_ref()).0,
        None => table.x,
    };
    pio::check_not_constant(x.as_ref(), &table.columns)?;
    Ok((x, table.columns, label))
}

fn family_of(args: &DataArgs, columns: &[usize], seed: u64) -> Result<Box<dyn ExpFamily>> {
    Ok(match args.family {
        FamilyName::Mvn => Box::new(Mvn {
            columns: columns.to_vec(),
        }),
        FamilyName::Poisson => Box::new(Poisson),
        FamilyName::Bernoulli => Box::new(Bernoulli),
        FamilyName::Exponential => Box::new(Exponential),
        FamilyName::Categorical => Box::new(Categorical),
        FamilyName::Loglinear => {
            let mut family = LogLinear::exact(args.interactions, FitOptions::default().check()?)?;
            family.max_states = args.max_states;
            family.sampling = match args.sampling {
                SamplingName::Off => Sampling::Off,
                SamplingName::BeyondCap => Sampling::BeyondCap,
                SamplingName::Always => Sampling::Always,
            };
            family.gibbs = GibbsOptions {
                draws: args.draws,
                burn_in: args.burn_in,
                seed,
                ..GibbsOptions::default()
            }
            .check()?;
            Box::new(family)
        }
    })
}

fn emit(output: &OutputArgs, text: &str) -> Result<()> {
    match &output.output {
        Some(path) => pio::write_atomic(path, text.as_bytes())
            .with_context(|| format!("writing {}", path.display())),
        None => {
            std::io::stdout().write_all(text.as_bytes())?;
            Ok(())
        }
    }
}

fn run_check(args: &CheckArgs) -> Result<()> {
    check_outputs(&[args.output.output.as_deref()], &[&args.data.data])?;
    check_data_args(&args.data)?;
    let (tol, order) = tolerance(&args.decision)?;
    let (x, columns, label) = load(&args.data)?;
    let fam = family_of(&args.data, &columns, args.output.seed)?;
    tracing::info!(
        family = fam.name(),
        n = x.nrows(),
        d = x.ncols(),
        "check started"
    );
    let analysis = match family::analyze(fam.as_ref(), x.as_ref(), args.mode.mode()) {
        Err(pncrit::Error::MleBoundary { reason }) if args.allow_boundary => {
            let record = serde_json::json!({ "dataset": label, "family": fam.name(), "mode": args.mode.mode().name(),
                "n": x.nrows(), "accept": false, "flags": ["mle_boundary"], "reason": reason });
            let text = if args.output.json {
                format!("{record}\n")
            } else {
                format!("{label}\t{}\tmle_boundary\t{reason}\n", fam.name())
            };
            return emit(&args.output, &text);
        }
        other => other.map_err(|e| file_column(e, &columns))?,
    };
    let mut row = Row::new(&label, &analysis, tol, order);
    let spread = if args.bootstrap > 0 {
        let spread =
            bootstrap::bootstrap_a1(fam.as_ref(), x.as_ref(), args.bootstrap, args.output.seed)?;
        if spread.cv() > bootstrap::UNSTABLE_CV {
            row.flags.push("unstable_plugin");
            row.reliable = false;
        }
        Some(spread)
    } else {
        None
    };
    let text = if args.output.json {
        let mut record = serde_json::to_value(&row)?;
        record["bootstrap_a1"] = serde_json::to_value(&spread)?;
        format!("{}\n", serde_json::to_string_pretty(&record)?)
    } else {
        format!("{TSV_HEADER}\n{}\n", row.to_tsv())
    };
    emit(&args.output, &text)
}

fn run_scan(args: &ScanArgs) -> Result<()> {
    if args.nested != "prefix" {
        bail!(
            "invalid nested = {}: only `prefix` (the first d selected columns) is available",
            args.nested
        );
    }
    check_outputs(
        &[args.output.output.as_deref(), args.plot.as_deref()],
        &[&args.data.data],
    )?;
    if args.output.output.is_some() && args.output.output == args.plot {
        bail!("--plot and --output name the same file; give them different names");
    }
    check_data_args(&args.data)?;
    let (tol, order) = tolerance(&args.decision)?;
    let (x, columns, label) = load(&args.data)?;
    let mut rows: Vec<Row> = Vec::new();
    let mut summary = Vec::new();
    for mode in &args.modes {
        let mut accepted = Vec::new();
        for d in 1..=x.ncols() {
            let sub = x.as_ref().subcols(0, d).to_owned();
            let fam = family_of(&args.data, &columns[..d], args.output.seed)?;
            let analysis: Analysis = family::analyze(fam.as_ref(), sub.as_ref(), mode.mode())
                .map_err(|e| file_column(e, &columns))?;
            let row = Row::new(&label, &analysis, tol, order);
            accepted.push((row.p, row.accept));
            rows.push(row);
        }
        let (p_max, non_monotone) = criterion::p_max(&accepted);
        summary.push(serde_json::json!({ "mode": mode.mode().name(), "p_max": p_max, "non_monotone": non_monotone }));
    }
    if let Some(path) = &args.plot {
        write_plot(path, &rows, args.modes[0].mode().name(), tol.r, x.nrows())?;
    }
    let text = if args.output.json {
        format!(
            "{}\n",
            serde_json::to_string_pretty(&serde_json::json!({ "rows": rows, "p_max": summary }))?
        )
    } else {
        let mut t = format!("{TSV_HEADER}\n");
        for row in &rows {
            t.push_str(&row.to_tsv());
            t.push('\n');
        }
        for s in &summary {
            t.push_str(&format!(
                "# p_max\t{}\t{}\tnon_monotone={}\n",
                s["mode"].as_str().unwrap_or("-"),
                s["p_max"],
                s["non_monotone"]
            ));
        }
        t
    };
    emit(&args.output, &text)
}

fn write_plot(path: &Path, rows: &[Row], mode: &str, r: f64, n: usize) -> Result<()> {
    let curves: Vec<Curve> = rows
        .iter()
        .filter(|row| row.mode == mode)
        .map(|row| Curve {
            label: format!("d = {}, p = {}", row.d, row.p),
            a1: row.a1,
            a2: row.a2,
        })
        .collect();
    let hi = rows
        .iter()
        .map(|row| row.n_min as f64)
        .fold(10.0 * n as f64, f64::max);
    let svg = plot::risk_curves_svg(&curves, r, Some(n), (10.0, hi));
    pio::write_atomic(path, svg.as_bytes()).with_context(|| format!("writing {}", path.display()))
}

/// Largest --d of `nmin` (p = d + d(d+1)/2 stays far below 2⁵³).
const MAX_NMIN_D: i64 = 100_000;

fn run_nmin(args: &NminArgs) -> Result<()> {
    check_outputs(&[args.output.output.as_deref()], &[] as &[&Path])?;
    let (tol, order) = tolerance(&args.decision)?;
    let (a1, a2) = match (args.d, args.a1) {
        (Some(d), _) if !(1..=MAX_NMIN_D).contains(&d) => {
            bail!("invalid d = {d}: give a number of variables from 1 to {MAX_NMIN_D}")
        }
        (Some(d), _) => {
            let d = d as usize;
            (
                pncrit::gaussian::stat_dim(d) as f64 / 2.0,
                pncrit::exact::mvn_a2(d),
            )
        }
        (None, Some(a1)) => (a1, args.a2.unwrap_or(0.0)),
        (None, None) => bail!("missing --a1: give --a1 (and --a2) or --d"),
    };
    if !(a1 > 0.0 && a1.is_finite()) {
        bail!(
            "invalid a1 = {}: a1 must be a positive finite number, such as 38.5",
            compact(a1)
        );
    }
    if !a2.is_finite() {
        bail!("invalid a2 = {}: a2 must be a finite number", compact(a2));
    }
    let (root, n, flags) = criterion::n_min(a1, a2, tol.r, order);
    if flags.contains(&criterion::Flag::NMinOverflow) {
        bail!(
            "n_min overflows: a1 = {a1:e} and a2 = {a2:e} need n ≈ {root:.3e} (reliability bound 2|a2|/a1 = {:.3e}) at r = {}, beyond {:e} observations; check --a1 and --a2, or raise --r",
            2.0 * a2.abs() / a1,
            tol.r,
            criterion::MAX_N
        );
    }
    let flags: Vec<&str> = flags.iter().map(|f| f.name()).collect();
    let text = if args.output.json {
        format!(
            "{}\n",
            serde_json::json!({ "a1": a1, "a2": a2, "r": tol.r, "n_min_root": root, "n_min": n, "flags": flags })
        )
    } else {
        format!(
            "a1\ta2\tr\tn_min_root\tn_min\tflags\n{a1}\t{a2}\t{}\t{root}\t{n}\t{}\n",
            tol.r,
            if flags.is_empty() {
                "-".into()
            } else {
                flags.join(",")
            }
        )
    };
    emit(&args.output, &text)
}

fn run_simulate(args: &SimulateArgs) -> Result<()> {
    check_outputs(&[args.output.output.as_deref()], &[] as &[&Path])?;
    let case = match args.case {
        CaseName::PoissonNegbin => Case::PoissonNegBin,
        CaseName::NormalGamma => Case::NormalGamma,
        CaseName::IndepBernoulli => Case::IndepBernoulli,
    };
    let bar = simulation_bar(args.n.len(), args.output.json);
    let mut rows = Vec::new();
    for &n in &args.n {
        tracing::info!(
            case = case.name(),
            n,
            reps = args.reps,
            "simulation started"
        );
        bar.set_message(format!("n = {n}"));
        rows.push(simulate::simulate(case, n, args.reps, args.output.seed)?);
        bar.inc(1);
    }
    bar.finish_and_clear();
    let text = if args.output.json {
        format!("{}\n", serde_json::to_string_pretty(&rows)?)
    } else {
        let mut t = String::from("n\treps\tfailures\tmc_mean\tmc_se\tR1\tR2\tz\n");
        for r in &rows {
            t.push_str(&format!(
                "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
                r.n, r.reps, r.failures, r.mc_mean, r.mc_se, r.r1, r.r2, r.z
            ));
        }
        t
    };
    emit(&args.output, &text)
}

/// Returns a progress bar over the sample sizes of a simulation, hidden
/// unless stderr is a terminal and the output is text.
fn simulation_bar(len: usize, json: bool) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len as u64);
    let style = indicatif::ProgressStyle::with_template(
        "simulate [{bar:30}] {pos}/{len} sample sizes {msg} ({elapsed})",
    )
    .expect("valid progress template")
    .progress_chars("=> ");
    bar.set_style(style);
    bar
}

/// Rewrites a domain error's column from the position in the selection to the 1-based file column.
fn file_column(err: pncrit::Error, columns: &[usize]) -> pncrit::Error {
    match err {
        pncrit::Error::DomainViolation {
            col,
            row,
            value,
            family,
            rule,
        } => {
            let col = columns.get(col - 1).copied().unwrap_or(col);
            pncrit::Error::DomainViolation {
                col,
                row,
                value,
                family,
                rule,
            }
        }
        other => other,
    }
}

fn run_custom(args: &CustomArgs) -> Result<()> {
    let mut inputs = vec![args.stats.as_path()];
    inputs.extend(args.model_cloud.as_deref());
    inputs.extend(args.weights.as_deref());
    check_outputs(&[args.output.output.as_deref()], &inputs)?;
    let (tol, order) = tolerance(&args.decision)?;
    let cols = args.cols.as_deref().map(ColumnSpec::parse).transpose()?;
    let stats = pio::read_table(&args.stats, args.skip, cols.as_ref())?;
    let states = match &args.model_cloud {
        Some(path) => Some(pio::read_table(path, args.skip, cols.as_ref())?.x),
        None => None,
    };
    let weights = match &args.weights {
        Some(path) => Some(read_weights(path, args.skip)?),
        None => None,
    };
    let family = Custom::new(states, weights, FitOptions::default().check()?)?;
    let label = args
        .stats
        .file_stem()
        .map_or("stats".into(), |s| s.to_string_lossy().into_owned());
    tracing::info!(n = stats.x.nrows(), p = stats.x.ncols(), "custom started");
    let analysis = family::analyze(&family, stats.x.as_ref(), args.mode.mode())?;
    let row = Row::new(&label, &analysis, tol, order);
    let text = if args.output.json {
        format!("{}\n", serde_json::to_string_pretty(&row)?)
    } else {
        format!("{TSV_HEADER}\n{}\n", row.to_tsv())
    };
    emit(&args.output, &text)
}

fn read_weights(path: &Path, skip: usize) -> Result<Vec<f64>> {
    let table = pio::read_table(path, skip, None)?;
    if table.x.ncols() != 1 {
        bail!(
            "invalid weights file {}: it has {} columns; give one probability per line",
            path.display(),
            table.x.ncols()
        );
    }
    Ok((0..table.x.nrows()).map(|i| table.x[(i, 0)]).collect())
}

fn run_bench(args: &BenchArgs) -> Result<()> {
    let data = args.data_dir.join("winequality-red.csv");
    check_outputs(&[args.output.output.as_deref()], &[data.as_path()])?;
    if args.runs == 0 {
        bail!("invalid runs = 0: use at least 1 timed run, such as --runs 7");
    }
    let options = bench::BenchOptions {
        data_dir: args.data_dir.clone(),
        runs: args.runs,
        reps: args.reps,
        seed: args.output.seed,
    };
    let tasks: Vec<&str> = if args.tasks.is_empty() {
        bench::TASKS.to_vec()
    } else {
        args.tasks.iter().map(String::as_str).collect()
    };
    let mut text = String::new();
    if !args.output.json {
        text.push_str(
            "task\tseconds\tmin_seconds\tmax_seconds\tcpu_seconds\truns\tpeak_mb\tvalue\n",
        );
    }
    for task in tasks {
        tracing::info!(task, "benchmark started");
        let line = bench::run(task, &options)?;
        if args.output.json {
            text.push_str(&serde_json::to_string(&line)?);
        } else {
            text.push_str(&format!(
                "{}\t{:.4}\t{:.4}\t{:.4}\t{:.4}\t{}\t{:.1}\t{}",
                line.task,
                line.seconds,
                line.min_seconds,
                line.max_seconds,
                line.cpu_seconds,
                line.runs,
                line.peak_mb,
                line.value
            ));
        }
        text.push('\n');
    }
    emit(&args.output, &text)
}
