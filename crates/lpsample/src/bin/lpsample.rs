//! `lpsample`: leverage scores, Lewis weights, ℓp sensitivities and row samples
//! from the command line.
//!
//! ```text
//! lpsample scores --input A.npy --p 1 --kind lewis --json
//! lpsample sample --input A.npy --p 1 --scheme lewis --m 500 --seed 7 --out s.json
//! lpsample scores --input A.npy --p 2 --kind leverage --lev-method sketch --seed 3
//! lpsample bench --input A.npy --p 1 --task lewis --runs 5 --json
//! ```

#[path = "lpsample/bench.rs"]
mod bench;

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use faer::Mat;
use serde_json::json;

use lpsample::conic::ConicSettings;
use lpsample::distortion::ProbeSpec;
use lpsample::input::{check_p, read_npy_matrix};
use lpsample::leverage::{LevMethod, SketchOptions, leverage_scores};
use lpsample::lewis::{LewisOptions, lewis_weights};
use lpsample::plot::{distortion_svg, regression_svg};
use lpsample::regression::{LpSolver, lp_regression};
use lpsample::sampling::{SampleMode, sample_rows};
use lpsample::scheme::{Scheme, scheme_scores};
use lpsample::sensitivity::{SensMethod, sensitivities};
use lpsample::sweep::{
    SweepConfig, distortion_summary, distortion_sweep, markdown_summary, regression_sweep,
};

#[derive(Parser)]
#[command(
    name = "lpsample",
    version,
    about = "ℓp sensitivities, Lewis weights and row sampling"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Compute one score per row and print them with their total.
    Scores(ScoresArgs),
    /// Draw a weighted row sample under a scheme.
    Sample(SampleArgs),
    /// Solve ℓp regression on full data, or sweep sampled regressions (resumable).
    Regress(RegressArgs),
    /// Sweep the probe distortion of samples over schemes and sizes (resumable).
    Distortion(DistortionArgs),
    /// Time a score computation or a regression: one warm-up, then the median of --runs.
    Bench(bench::BenchArgs),
}

#[derive(Clone, Copy, ValueEnum)]
enum Kind {
    /// Leverage scores τ_i.
    Leverage,
    /// ℓp Lewis weights.
    Lewis,
    /// Exact ℓp sensitivities (one convex program per row).
    Sens,
    /// Cheap upper bounds on the ℓp sensitivities.
    SensBound,
    /// Root leverage τ_i^{p/2}.
    RootLeverage,
}

#[derive(Clone, Copy, ValueEnum)]
enum LevMethodArg {
    /// Column-pivoted QR basis (exact, robust on rank-deficient input).
    ColPivQr,
    /// Thin SVD basis (exact).
    Svd,
    /// Cholesky of AᵀA (exact, fast; falls back to col-piv-qr when ill-conditioned).
    GramCholesky,
    /// CountSketch and Gaussian projection (approximate, seeded by --seed).
    Sketch,
}

#[derive(clap::Args)]
struct LevArgs {
    /// Leverage algorithm (for --kind leverage).
    #[arg(long, value_enum, default_value = "col-piv-qr")]
    lev_method: LevMethodArg,
    /// Rows of the CountSketch for --lev-method sketch; default max(4d², 1000), capped at n.
    #[arg(long, allow_negative_numbers = true)]
    sketch_rows: Option<usize>,
    /// Gaussian projection columns k for --lev-method sketch; k ≥ rank skips the projection.
    #[arg(long, default_value_t = lpsample::leverage::sketch::DEFAULT_PROJECTION_COLUMNS,
        allow_negative_numbers = true)]
    sketch_k: usize,
}

impl LevArgs {
    fn method(&self, seed: u64) -> LevMethod {
        match self.lev_method {
            LevMethodArg::ColPivQr => LevMethod::ColPivQr,
            LevMethodArg::Svd => LevMethod::Svd,
            LevMethodArg::GramCholesky => LevMethod::GramCholesky,
            LevMethodArg::Sketch => LevMethod::Sketch(SketchOptions {
                rows: self.sketch_rows,
                k: self.sketch_k,
                seed,
            }),
        }
    }
}

#[derive(clap::Args)]
struct LewisArgs {
    /// Lewis damping η in (0, 2); default 1 for p ≤ 2 and 4/(p+2) for p > 2.
    #[arg(long, allow_negative_numbers = true)]
    lewis_eta: Option<f64>,
    /// Lewis stopping tolerance on max_i |log(F_i/w_i)|.
    #[arg(long, default_value_t = 1e-12, allow_negative_numbers = true)]
    lewis_tol: f64,
    /// Iteration limit of the Lewis fixed point.
    #[arg(long, default_value_t = 500, allow_negative_numbers = true)]
    max_iter: usize,
}

impl LewisArgs {
    fn options(&self, p: f64, rank_tol: Option<f64>) -> LewisOptions {
        LewisOptions {
            eta: self.lewis_eta,
            tol: self.lewis_tol,
            max_iter: self.max_iter,
            rank_tol,
            ..LewisOptions::new(p)
        }
    }
}

#[derive(clap::Args)]
struct InputArgs {
    /// Input matrix: a 2-D float64 or float32 .npy file (rows are samples).
    #[arg(long)]
    input: PathBuf,
    /// Prepend a column of ones (an intercept).
    #[arg(long)]
    intercept: bool,
    /// Exponent p ≥ 1 of the ℓp norm.
    #[arg(long, allow_negative_numbers = true)]
    p: f64,
}

#[derive(clap::Args)]
struct ScoresArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Score kind.
    #[arg(long, value_enum)]
    kind: Kind,
    #[command(flatten)]
    leverage: LevArgs,
    #[command(flatten)]
    lewis: LewisArgs,
    /// Relative rank tolerance; default max(n, d)·machine epsilon.
    #[arg(long, allow_negative_numbers = true)]
    rank_tol: Option<f64>,
    /// Random seed of --lev-method sketch; the other kinds are deterministic.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Also write the scores to this .npy file (n × 1, float64).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the result as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct SampleArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Scheme: uniform, leverage, root-leverage, lewis, sens, sens-bound, mixture[:βσ:βτ], l2aug.
    #[arg(long)]
    scheme: String,
    /// Expected sample size (Bernoulli) or number of draws (with replacement, at most 1e8).
    #[arg(long, allow_negative_numbers = true)]
    m: f64,
    /// Sampling mode.
    #[arg(long, value_enum, default_value = "bernoulli")]
    mode: ModeArg,
    /// Random seed; the same seed gives the same sample bit for bit.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Write the sample as JSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the sample as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct RegressArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Target vector b: a .npy file with one entry per row (1-D or n × 1).
    #[arg(long)]
    target: PathBuf,
    /// Solve once on all rows and print the fit instead of sweeping samples.
    #[arg(long)]
    full: bool,
    /// Solver for --full and for every solve of the sweep (the full-data optimum and each sample).
    #[arg(long, value_enum, default_value = "conic")]
    solver: SolverArg,
    /// Iteration limit of --solver irls.
    #[arg(long, default_value_t = lpsample::regression::DEFAULT_IRLS_MAX_ITER,
        allow_negative_numbers = true)]
    max_iter: usize,
    /// Comma-separated schemes for the sweep.
    #[arg(long, default_value = "uniform,lewis")]
    schemes: String,
    /// Comma-separated expected sample sizes; a suffix r multiplies by rank([A b]), as in 5r.
    #[arg(long, default_value = "5r,10r,20r")]
    m_grid: String,
    /// Repetitions per scheme and size.
    #[arg(long, default_value_t = 20, allow_negative_numbers = true)]
    reps: usize,
    /// Base seed; repetition k uses seed + k.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// JSON-lines file that records every finished unit; a rerun skips the units it contains.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write a markdown table of median and max cost ratios to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Write an SVG plot of median and max cost ratio against m to this file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print the result as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(clap::Args)]
struct DistortionArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Comma-separated schemes.
    #[arg(long, default_value = "uniform,lewis,sens-bound")]
    schemes: String,
    /// Comma-separated expected sample sizes; a suffix r multiplies by rank(A), as in 5r.
    #[arg(long, default_value = "2r,5r,10r,20r")]
    m_grid: String,
    /// Probes: gaussian:K and/or svd, comma-separated.
    #[arg(long, default_value = "gaussian:1000,svd")]
    probes: String,
    /// Repetitions per scheme and size.
    #[arg(long, default_value_t = 30, allow_negative_numbers = true)]
    reps: usize,
    /// Base seed; repetition k uses seed + k for the sample and the probes.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// JSON-lines file that records every finished unit; a rerun skips the units it contains.
    #[arg(long)]
    out: PathBuf,
    /// Write a markdown summary table to this file.
    #[arg(long)]
    summary: Option<PathBuf>,
    /// Write an SVG plot of median and 90th-percentile distortion against m to this file.
    #[arg(long)]
    plot: Option<PathBuf>,
    /// Print the records as JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Clone, Copy, ValueEnum)]
enum SolverArg {
    Conic,
    Irls,
}

#[derive(Clone, Copy, ValueEnum)]
enum ModeArg {
    Bernoulli,
    WithReplacement,
}

fn main() {
    datasets::pipe::restore_default_sigpipe();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .init();

    let cli = Cli::parse();
    let outcome = match cli.command {
        Command::Scores(args) => run_scores(&args),
        Command::Sample(args) => run_sample(&args),
        Command::Regress(args) => run_regress(&args),
        Command::Distortion(args) => run_distortion(&args),
        Command::Bench(args) => bench::run_bench(&args),
    };
    if let Err(err) = outcome {
        eprintln!("error: {err:#}");
        std::process::exit(1);
    }
}

/// Reads the input matrix (with the intercept column if requested) after checking p.
fn load(args: &InputArgs) -> Result<Mat<f64>> {
    check_p(args.p)?;
    let a = read_npy_matrix(&args.input)?;
    if !args.intercept {
        return Ok(a);
    }
    Ok(Mat::from_fn(a.nrows(), a.ncols() + 1, |i, j| {
        if j == 0 { 1.0 } else { a[(i, j - 1)] }
    }))
}

/// Rejects any output file that is one of the input files, before any work.
fn check_outputs(outputs: &[Option<&Path>], inputs: &[&Path]) -> Result<()> {
    for output in outputs.iter().flatten() {
        datasets::check_not_input(output, inputs)?;
    }
    Ok(())
}

fn run_scores(args: &ScoresArgs) -> Result<()> {
    check_outputs(&[args.out.as_deref()], &[&args.input.input])?;
    let a = load(&args.input)?;
    let p = args.input.p;
    let start = Instant::now();
    let settings = ConicSettings::default();
    let (mut iterations, mut residual) = (None, None);

    let (name, method, scores, rank) = match args.kind {
        Kind::Leverage => {
            let method = args.leverage.method(args.seed);
            let s = leverage_scores(a.as_ref(), method, args.rank_tol)?;
            ("leverage", format!("{method:?}"), s.values, s.rank)
        }
        Kind::Lewis => {
            let options = args.lewis.options(p, args.rank_tol);
            let result = lewis_weights(a.as_ref(), &options.check()?)?;
            iterations = Some(result.iterations);
            residual = Some(result.residual);
            (
                "lewis",
                format!("fixed point, eta = {}", result.eta),
                result.weights,
                result.rank,
            )
        }
        Kind::Sens | Kind::SensBound => {
            let (name, method) = match args.kind {
                Kind::Sens => ("sens", SensMethod::Exact),
                _ => ("sens-bound", SensMethod::Bound),
            };
            let s = sensitivities(a.as_ref(), p, method, &settings, args.rank_tol)?;
            (name, format!("{method:?}"), s.values, s.rank)
        }
        Kind::RootLeverage => {
            let s = leverage_scores(a.as_ref(), LevMethod::ColPivQr, args.rank_tol)?;
            let values = s.values.iter().map(|t| t.powf(0.5 * p)).collect();
            ("root-leverage", "ColPivQr".into(), values, s.rank)
        }
    };
    let time_ms = start.elapsed().as_secs_f64() * 1e3;
    let total: f64 = scores.iter().sum();

    if let Some(out) = &args.out {
        let column = Mat::from_fn(scores.len(), 1, |i, _| scores[i]);
        datasets::npy::write_matrix(out, &column)
            .with_context(|| format!("failed to write {}", out.display()))?;
    }
    if args.json {
        let report = json!({
            "kind": name, "p": p, "rank": rank, "scores": scores, "total": total,
            "method": method, "time_ms": time_ms, "iterations": iterations, "residual": residual,
        });
        println!("{report}");
    } else {
        for value in &scores {
            println!("{value}");
        }
        println!("total {total} (rank {rank}, {name}, p = {p}, {time_ms:.1} ms)");
    }
    Ok(())
}

fn run_sample(args: &SampleArgs) -> Result<()> {
    check_outputs(&[args.out.as_deref()], &[&args.input.input])?;
    let a = load(&args.input)?;
    let scheme: Scheme = args.scheme.parse()?;
    let scores = scheme_scores(a.as_ref(), args.input.p, scheme, &ConicSettings::default())?;
    let mode = match args.mode {
        ModeArg::Bernoulli => SampleMode::Bernoulli,
        ModeArg::WithReplacement => SampleMode::WithReplacement,
    };
    let sample = sample_rows(&scores, args.m, mode, args.seed)?;

    let report = json!({
        "rows": sample.rows, "weights": sample.weights, "expected_size": sample.expected_size,
        "clamped": sample.clamped, "scheme": args.scheme, "mode": mode, "m": args.m,
        "seed": args.seed, "p": args.input.p,
    });
    if let Some(out) = &args.out {
        write_atomic(out, &format!("{report}\n"))?;
    }
    if args.json {
        println!("{report}");
    } else {
        println!(
            "{} rows sampled (expected {}, clamped {})",
            sample.rows.len(),
            sample.expected_size,
            sample.clamped
        );
    }
    Ok(())
}

/// Reads the target vector b and checks that it has one entry per row.
fn read_target(path: &Path, rows: usize) -> Result<Vec<f64>> {
    let b = datasets::npy::read_matrix(path)?;
    if b.ncols() != 1 || b.nrows() != rows {
        anyhow::bail!(
            "invalid target {}: shape {} × {}, expected {rows} entries (one per row of the input)",
            path.display(),
            b.nrows(),
            b.ncols()
        );
    }
    Ok((0..rows).map(|i| b[(i, 0)]).collect())
}

/// Parses "200,500" or "5r,10r" (multiples of `rank`).
fn parse_sizes(text: &str, rank: usize) -> Result<Vec<f64>> {
    text.split(',')
        .map(|item| {
            let item = item.trim();
            let (number, factor) = match item.strip_suffix('r') {
                Some(number) => (number, rank as f64),
                None => (item, 1.0),
            };
            let value: f64 = number.parse().with_context(|| {
                format!(
                    "invalid sample size {item}: use a number or a multiple of the rank such as 5r"
                )
            })?;
            Ok(value * factor)
        })
        .collect()
}

fn run_regress(args: &RegressArgs) -> Result<()> {
    let outputs = [
        args.out.as_deref(),
        args.summary.as_deref(),
        args.plot.as_deref(),
    ];
    check_outputs(&outputs, &[&args.input.input, &args.target])?;
    let a = load(&args.input)?;
    let b = read_target(&args.target, a.nrows())?;
    let p = args.input.p;

    let solver = match args.solver {
        SolverArg::Conic => LpSolver::Conic(ConicSettings::default()),
        SolverArg::Irls => LpSolver::Irls {
            delta: None,
            max_iter: args.max_iter,
        },
    };
    if args.full {
        let fit = lp_regression(a.as_ref(), &b, p, None, &solver)?;
        if args.json {
            println!("{}", serde_json::to_string(&fit)?);
        } else {
            println!(
                "objective {} after {} iterations ({})",
                fit.objective, fit.iterations, fit.status
            );
            println!("x = {:?}", fit.x);
        }
        return Ok(());
    }

    let out = args
        .out
        .as_ref()
        .context("missing --out: the sweep needs a JSON-lines file to record and resume")?;
    let augmented = Mat::from_fn(a.nrows(), a.ncols() + 1, |i, j| {
        if j < a.ncols() { a[(i, j)] } else { b[i] }
    });
    let rank = leverage_scores(augmented.as_ref(), LevMethod::ColPivQr, None)?.rank;
    let schemes = parse_schemes(&args.schemes)?;
    let config = SweepConfig {
        p,
        schemes,
        sizes: parse_sizes(&args.m_grid, rank)?,
        reps: args.reps,
        seed: args.seed,
    };
    let bar = progress_bar();
    let records = regression_sweep(a.as_ref(), &b, &config, &solver, out, &mut |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();

    let summary = markdown_summary(&records);
    if let Some(path) = &args.summary {
        write_atomic(path, &summary)?;
    }
    if let Some(path) = &args.plot {
        write_atomic(path, &regression_svg(&records))?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&records)?);
    } else {
        print!("{summary}");
    }
    Ok(())
}

fn parse_schemes(text: &str) -> Result<Vec<(String, Scheme)>> {
    text.split(',')
        .map(|name| Ok((name.trim().to_string(), name.trim().parse::<Scheme>()?)))
        .collect()
}

/// Parses "gaussian:1000,svd".
fn parse_probes(text: &str) -> Result<ProbeSpec> {
    let mut spec = ProbeSpec {
        gaussian: 0,
        svd: false,
    };
    for item in text.split(',').map(str::trim) {
        if item == "svd" {
            spec.svd = true;
            continue;
        }
        let count = item
            .strip_prefix("gaussian:")
            .and_then(|count| count.parse().ok())
            .with_context(|| {
                format!("invalid probe {item}: use gaussian:K (K a whole number) or svd")
            })?;
        spec.gaussian = count;
    }
    Ok(spec)
}

fn run_distortion(args: &DistortionArgs) -> Result<()> {
    let outputs = [
        Some(args.out.as_path()),
        args.summary.as_deref(),
        args.plot.as_deref(),
    ];
    check_outputs(&outputs, &[&args.input.input])?;
    let a = load(&args.input)?;
    let rank = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None)?.rank;
    let config = SweepConfig {
        p: args.input.p,
        schemes: parse_schemes(&args.schemes)?,
        sizes: parse_sizes(&args.m_grid, rank)?,
        reps: args.reps,
        seed: args.seed,
    };
    let probes = parse_probes(&args.probes)?;
    let bar = progress_bar();
    let records = distortion_sweep(
        a.as_ref(),
        &config,
        &probes,
        &args.out,
        &mut |done, total| {
            bar.set_length(total as u64);
            bar.set_position(done as u64);
        },
    )?;
    bar.finish_and_clear();

    let summary = distortion_summary(&records);
    if let Some(path) = &args.summary {
        write_atomic(path, &summary)?;
    }
    if let Some(path) = &args.plot {
        write_atomic(path, &distortion_svg(&records))?;
    }
    if args.json {
        println!("{}", serde_json::to_string(&records)?);
    } else {
        print!("{summary}");
    }
    Ok(())
}

/// Returns a progress bar on stderr, hidden when stderr is not a terminal.
fn progress_bar() -> indicatif::ProgressBar {
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    bar
}

/// Writes `text` to a temporary file in the same folder, then renames it.
fn write_atomic(path: &Path, text: &str) -> Result<()> {
    let folder = path
        .parent()
        .filter(|f| !f.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let file_name = path
        .file_name()
        .context("the output path has no file name")?;
    let temporary = folder.join(format!(".{}.tmp", file_name.to_string_lossy()));
    datasets::check_replaceable(path)?;
    std::fs::write(&temporary, text)
        .with_context(|| format!("failed to write {}", temporary.display()))?;
    std::fs::rename(&temporary, path)
        .with_context(|| format!("failed to rename to {}", path.display()))
}
