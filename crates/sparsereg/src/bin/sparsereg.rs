//! `sparsereg`: generate random-support instances, fit sparse regressions,
//! compute Lasso paths and the restricted-conditioning diagnostic.
//!
//! ```text
//! sparsereg gen --design ar1:0.9 --n 200 --d 1000 --k 10 --sigma 0.5 --seed 1 --out inst/
//! sparsereg fit --x X.npy --y y.npy --method omp --k 5 --json
//! sparsereg fit --instance inst/ --precond factor:3 --method lasso-cv+refit
//! sparsereg path --x X.npy --y y.npy --n-alphas 100 --eps 1e-3 --out path.json
//! sparsereg diagnose --instance inst/ --k 10 --subsets 500 --precond identity,whiten:1e-3
//! ```

use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Result, anyhow, bail};
use clap::{Args, Parser, Subcommand};
use faer::Mat;
use sparsereg::bench::{BenchConfig, run_bench};
use sparsereg::design::Design;
use sparsereg::instance::{
    CoefDist, Instance, InstanceSpec, Noise, generate, read_instance, write_instance,
};
use sparsereg::io::{write_json_atomic, write_text_atomic};
use sparsereg::methods::{MethodSpec, RunSettings, run_method};
use sparsereg::pipeline::{AlphaRule, PipelineConfig};
use sparsereg::report::FitReport;
use sparsereg::validate::{check_finite, check_finite_vec, check_k, check_no_constant_column};
use sparsereg::{AlphaGrid, Check, CvOptions, LassoOptions};

#[derive(Parser)]
#[command(
    name = "sparsereg",
    version,
    about = "Sparse linear regression on random supports"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Generate a random-support instance directory.
    Gen(GenArgs),
    /// Fit one method and print or write the fit JSON.
    Fit(FitArgs),
    /// Compute the Lasso path on a geometric α grid.
    Path(PathArgs),
    /// Restricted-conditioning diagnostic over random k-subsets.
    Diagnose(DiagnoseArgs),
    /// Prediction error against N for every design and method (resumable JSONL).
    Bench(BenchArgs),
}

#[derive(Args)]
struct BenchArgs {
    /// Comma-separated design strings.
    #[arg(
        long,
        default_value = "gauss,ar1:0.9,equi:0.9,dup:1e-4:1,factor:3:3,walk"
    )]
    designs: String,
    /// Columns d.
    #[arg(long, default_value_t = 200, allow_negative_numbers = true, value_parser = parse_count)]
    d: usize,
    /// Support size k.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = parse_count)]
    k: usize,
    /// Noise σ.
    #[arg(long, default_value_t = 0.5, allow_negative_numbers = true)]
    sigma: f64,
    /// `auto` (N = 2^m·k·ln d up to d) or comma-separated sample sizes.
    #[arg(long, default_value = "auto")]
    n_grid: String,
    /// Repetitions per (design, N).
    #[arg(long, default_value_t = 3, allow_negative_numbers = true, value_parser = parse_count)]
    reps: usize,
    /// Comma-separated methods.
    #[arg(
        long,
        default_value = "lasso,lasso-cv,lasso-cv+refit,omp,fs,iht,cosamp"
    )]
    methods: String,
    /// Preconditioner of the Lasso methods.
    #[arg(long, default_value = "identity")]
    precond: String,
    /// Rows of each test design.
    #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = parse_count)]
    n_test: usize,
    /// Base seed (repetition r uses seed + r).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = parse_seed)]
    seed: u64,
    /// JSON-lines output, appended and resumed. A file computed with other
    /// --d, --k, --sigma, --seed, --n-test or --precond is rejected.
    #[arg(long)]
    out: PathBuf,
    /// Delete the --out file first and start the sweep over.
    #[arg(long)]
    force: bool,
    /// Write a markdown table of median PE to this file.
    #[arg(long)]
    markdown: Option<PathBuf>,
    /// Write one SVG plot per design into this folder.
    #[arg(long)]
    svg_dir: Option<PathBuf>,
    /// Print a JSON summary on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct GenArgs {
    /// Design: gauss, ar1:ρ, equi:ρ, dup:δ:frac, factor:r:s, walk, file:PATH.
    #[arg(long, default_value = "gauss")]
    design: String,
    /// Training rows N.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count)]
    n: usize,
    /// Columns d (ignored for file designs).
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = parse_count)]
    d: usize,
    /// Support size k.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count)]
    k: usize,
    /// Noise standard deviation σ.
    #[arg(long, conflicts_with = "snr", allow_negative_numbers = true)]
    sigma: Option<f64>,
    /// Signal-to-noise ratio: σ² = ‖Xw*‖²/(N·SNR).
    #[arg(long, allow_negative_numbers = true)]
    snr: Option<f64>,
    /// Coefficients: sign, gauss or unif:a:b.
    #[arg(long, default_value = "sign")]
    coef: String,
    /// Keep raw columns (no scaling to ‖X_j‖² = N).
    #[arg(long)]
    raw: bool,
    /// Rows of the test design.
    #[arg(long, default_value_t = 2000, allow_negative_numbers = true, value_parser = parse_count)]
    n_test: usize,
    /// Run seed.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = parse_seed)]
    seed: u64,
    /// Output directory.
    #[arg(long)]
    out: PathBuf,
    /// Print instance.json on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DataArgs {
    /// Instance directory written by `sparsereg gen`.
    #[arg(long, conflicts_with_all = ["x", "y"])]
    instance: Option<PathBuf>,
    /// Design matrix (.npy, N × d, f64 or f32).
    #[arg(long, requires = "y")]
    x: Option<PathBuf>,
    /// Responses (.npy, N entries).
    #[arg(long, requires = "x")]
    y: Option<PathBuf>,
}

#[derive(Args)]
struct FitArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Method: lasso, lasso-cv, omp, fs, iht, cosamp, with +refit or +threshold;
    /// lasso-cv+relaxed cross-validates the refitted Lasso (for support recovery).
    ///
    /// Plain lasso-cv follows scikit-learn's LassoCV: it takes the α of least
    /// cross-validated error of the shrunken Lasso. That α is small, because a
    /// small α shrinks the true coefficients less, so the fit keeps false
    /// positives and does not recover the support even when the design is easy.
    /// To recover the support use lasso-cv+relaxed, omp or fs with --k, or
    /// +threshold with --k. lasso-cv+relaxed scores each α by the held-out
    /// error of the least-squares refit on the Lasso support and takes the
    /// largest α within one standard error of the best.
    #[arg(long)]
    method: String,
    /// Sparsity k (greedy methods and +threshold; --threshold sets it too).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count)]
    k: Option<usize>,
    /// α rule of `lasso`: fixed:α, universal:c or cv:K (default universal:1 when σ is known).
    #[arg(long, allow_hyphen_values = true)]
    alpha: Option<String>,
    /// Noise level σ for universal:c (default: from instance.json).
    #[arg(long, allow_negative_numbers = true)]
    sigma: Option<f64>,
    /// Folds of lasso-cv.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true, value_parser = parse_count)]
    folds: usize,
    /// Shuffle rows before splitting them into CV folds (default: contiguous folds).
    #[arg(long)]
    cv_shuffle: bool,
    /// Pick the largest α within one standard error of the best CV error.
    #[arg(long)]
    one_se: bool,
    /// Seed of the CV shuffle.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = parse_seed)]
    seed: u64,
    /// Relative duality-gap tolerance of the Lasso.
    #[arg(long, default_value_t = 1e-8, allow_negative_numbers = true)]
    tol: f64,
    /// scikit-learn's tol t (sets --tol 2t).
    #[arg(long, allow_negative_numbers = true)]
    sklearn_tol: Option<f64>,
    /// Preconditioner: identity, normalize, whiten:γ, factor:r, paper.
    #[arg(long, default_value = "identity")]
    precond: String,
    /// OLS refit of the selected support (same as +refit).
    #[arg(long)]
    refit: bool,
    /// Keep the K largest coefficients, then refit (same as +threshold with --k K).
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count)]
    threshold: Option<usize>,
    /// Fit without an intercept.
    #[arg(long)]
    no_intercept: bool,
    /// Give constant columns coefficient 0 instead of rejecting them.
    #[arg(long)]
    allow_constant: bool,
    /// Add the dense coefficient vector to the JSON.
    #[arg(long)]
    full_coef: bool,
    /// Write the fit JSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the fit JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct PathArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Number of α values.
    #[arg(long, default_value_t = 100, allow_negative_numbers = true, value_parser = parse_count)]
    n_alphas: usize,
    /// α_min/α_max.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    eps: f64,
    /// Relative duality-gap tolerance.
    #[arg(long, default_value_t = 1e-8, allow_negative_numbers = true)]
    tol: f64,
    /// Run seed, accepted for uniformity with the other commands. The path is
    /// deterministic (cyclic coordinate descent, no random draws), so the
    /// seed does not change the output.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = parse_seed)]
    seed: u64,
    /// Write the path JSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
    /// Print the path JSON on stdout.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct DiagnoseArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Support size k.
    #[arg(long, allow_negative_numbers = true, value_parser = parse_count)]
    k: usize,
    /// Number of random subsets.
    #[arg(long, default_value_t = 500, allow_negative_numbers = true, value_parser = parse_count)]
    subsets: usize,
    /// Comma-separated preconditioners.
    #[arg(long, default_value = "identity")]
    precond: String,
    /// Seed of the subsets.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = parse_seed)]
    seed: u64,
    /// Print the JSON on stdout (default: a table).
    #[arg(long)]
    json: bool,
}

fn main() {
    datasets::pipe::restore_default_sigpipe();
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Gen(a) => gen_command(a),
        Command::Fit(a) => fit_command(a),
        Command::Path(a) => path_command(a),
        Command::Diagnose(a) => diagnose_command(a),
        Command::Bench(a) => bench_command(a),
    };
    if let Err(e) = result {
        eprintln!("error: {}", error_message(&e));
        std::process::exit(1);
    }
}

/// Joins the messages of an error chain with ": ", leaving out each cause
/// whose text the message so far already contains, because many errors of
/// this crate print their source themselves.
fn error_message(e: &anyhow::Error) -> String {
    let mut message = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if message.contains(&text) {
            continue;
        }
        if !message.is_empty() {
            message += ": ";
        }
        message += &text;
    }
    message
}

/// Parses a count such as `200` or `1e9` (a whole number ≥ 0, scientific
/// notation allowed), so that negative and fractional values get a clear message.
fn parse_count(s: &str) -> std::result::Result<usize, String> {
    if let Ok(v) = s.parse::<usize>() {
        return Ok(v);
    }
    let v: f64 = s
        .parse()
        .map_err(|_| format!("{s:?} is not a number; give a whole number such as 200 or 1e6"))?;
    if v < 0.0 {
        return Err(format!("{s} is negative; give a whole number ≥ 0"));
    }
    if v.fract() != 0.0 || !v.is_finite() || v >= usize::MAX as f64 {
        return Err(format!(
            "{s} is not a whole number in range; give one such as 200 or 1e6"
        ));
    }
    Ok(v as usize)
}

/// Parses a seed, a whole number in 0 ..= 2^64 − 1.
fn parse_seed(s: &str) -> std::result::Result<u64, String> {
    s.parse::<u64>().map_err(|_| {
        format!("{s:?} is not a valid seed; give a whole number in 0 ..= 18446744073709551615")
    })
}

fn gen_command(a: GenArgs) -> Result<()> {
    let design = Design::parse(&a.design)?;
    let noise = match (a.sigma, a.snr) {
        (_, Some(s)) => Noise::Snr(s),
        (Some(s), None) => Noise::Sigma(s),
        (None, None) => bail!("missing noise level: pass --sigma σ or --snr s"),
    };
    let coef = parse_coef(&a.coef)?;
    if a.d == 0 && !matches!(design, Design::FromMatrix { .. }) {
        bail!(
            "missing --d: the {} design needs the number of columns",
            design.name()
        );
    }
    let spec = InstanceSpec {
        design,
        n: a.n,
        d: a.d,
        k: a.k,
        coef,
        noise,
        normalize: !a.raw,
        n_test: a.n_test,
        seed: a.seed,
    };
    let inst = generate(&spec)?;
    write_instance(&a.out, &inst)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(&inst.meta)?);
    }
    Ok(())
}

fn parse_coef(s: &str) -> Result<CoefDist> {
    let parts: Vec<&str> = s.split(':').collect();
    match parts[..] {
        ["sign"] => Ok(CoefDist::Sign),
        ["gauss"] => Ok(CoefDist::Gauss),
        ["unif", a, b] => Ok(CoefDist::Uniform {
            a: a.parse()?,
            b: b.parse()?,
        }),
        _ => bail!("invalid --coef {s:?}: use sign, gauss or unif:a:b"),
    }
}

/// Loaded data: X, y and, for instances, the truth.
struct Data {
    x: Mat<f64>,
    y: Vec<f64>,
    instance: Option<Instance>,
}

fn load_data(a: &DataArgs) -> Result<Data> {
    if let Some(dir) = &a.instance {
        let inst = read_instance(dir)?;
        return Ok(Data {
            x: inst.x.clone(),
            y: inst.y.clone(),
            instance: Some(inst),
        });
    }
    let (Some(xp), Some(yp)) = (&a.x, &a.y) else {
        bail!("missing data: pass --instance DIR or both --x X.npy and --y y.npy");
    };
    let x = read_npy(xp)?;
    let ym = read_npy(yp)?;
    if ym.ncols() != 1 {
        bail!(
            "{} has shape {} × {}; y must be a vector of N entries",
            yp.display(),
            ym.nrows(),
            ym.ncols()
        );
    }
    if ym.nrows() != x.nrows() {
        bail!(
            "{} has {} rows but {} has {} entries; give y one entry per row of X",
            xp.display(),
            x.nrows(),
            yp.display(),
            ym.nrows()
        );
    }
    let y = (0..ym.nrows()).map(|i| ym[(i, 0)]).collect();
    Ok(Data {
        x,
        y,
        instance: None,
    })
}

/// Rejects an output file that is one of the data files the command reads.
fn check_output(out: Option<&Path>, a: &DataArgs) -> Result<()> {
    let Some(out) = out else {
        return Ok(());
    };
    let mut inputs: Vec<PathBuf> = a.x.iter().chain(a.y.iter()).cloned().collect();
    if let Some(dir) = &a.instance {
        if let Ok(entries) = std::fs::read_dir(dir) {
            inputs.extend(entries.flatten().map(|e| e.path()));
        }
    }
    datasets::check_not_input(out, &inputs)?;
    Ok(())
}

fn read_npy(path: &Path) -> Result<Mat<f64>> {
    Ok(datasets::npy::read_matrix(path)?)
}

fn fit_command(a: FitArgs) -> Result<()> {
    check_output(a.out.as_deref(), &a.data)?;
    let data = load_data(&a.data)?;
    check_finite("X", data.x.as_ref())?;
    check_finite_vec("y", &data.y)?;
    if !a.allow_constant {
        check_no_constant_column(data.x.as_ref())
            .map_err(|e| anyhow!("{e}, or pass --allow-constant to give it coefficient 0"))?;
    }
    let mut method = MethodSpec::parse(&a.method)?;
    method.refit |= a.refit;
    method.threshold |= a.threshold.is_some();
    let k = a.threshold.or(a.k);
    if let Some(k) = k {
        check_k(k, data.x.ncols(), "d")?;
    }
    let sigma = a.sigma.or(data.instance.as_ref().map(|i| i.meta.sigma));
    let alpha_rule = match (&a.alpha, sigma) {
        (Some(rule), _) => Some(AlphaRule::parse(rule, sigma)?),
        (None, Some(s)) => Some(AlphaRule::Universal { c: 1.0, sigma: s }),
        (None, None) => None,
    };
    let tol = a.sklearn_tol.map_or(a.tol, |t| 2.0 * t);
    let lasso = LassoOptions {
        tol,
        fit_intercept: !a.no_intercept,
        ..Default::default()
    }
    .check()?
    .into_inner();
    let settings = RunSettings {
        k,
        alpha_rule,
        folds: a.folds,
        pipeline: PipelineConfig {
            fit_intercept: !a.no_intercept,
            lasso,
            cv: CvOptions {
                shuffle: a.cv_shuffle,
                one_se: a.one_se,
                seed: a.seed,
                ..Default::default()
            },
            ..Default::default()
        },
    };
    let mut p = sparsereg::precond::parse(&a.precond)?;

    let start = Instant::now();
    let run = run_method(data.x.as_ref(), &data.y, &method, p.as_mut(), &settings)?;
    let time_ms = start.elapsed().as_secs_f64() * 1e3;
    let mut report = FitReport::new(&run.fit, &p.name(), run.alpha_rule, time_ms, a.full_coef);
    if let Some(inst) = &data.instance {
        report.score(&run.fit, inst);
    }
    emit(&report, a.out.as_deref(), a.json)
}

fn emit<T: serde::Serialize>(value: &T, out: Option<&Path>, json: bool) -> Result<()> {
    if let Some(path) = out {
        write_json_atomic(path, value)?;
    }
    if json || out.is_none() {
        println!("{}", serde_json::to_string_pretty(value)?);
    }
    Ok(())
}

fn path_command(a: PathArgs) -> Result<()> {
    tracing::debug!(seed = a.seed, "the Lasso path makes no random draws");
    check_output(a.out.as_deref(), &a.data)?;
    let data = load_data(&a.data)?;
    check_finite("X", data.x.as_ref())?;
    check_finite_vec("y", &data.y)?;
    let grid = AlphaGrid {
        n_alphas: a.n_alphas,
        eps: a.eps,
    }
    .check()?;
    let o = LassoOptions {
        tol: a.tol,
        ..Default::default()
    }
    .check()?;
    let fits = sparsereg::lasso_path(data.x.as_ref(), &data.y, &grid, &o)?;
    let rows: Vec<FitReport> = fits
        .iter()
        .map(|f| FitReport::new(f, "identity", None, 0.0, true))
        .collect();
    emit(&rows, a.out.as_deref(), a.json)
}

fn diagnose_command(a: DiagnoseArgs) -> Result<()> {
    let data = load_data(&a.data)?;
    check_finite("X", data.x.as_ref())?;
    check_k(a.k, data.x.ncols(), "d")?;
    let mut out = serde_json::Map::new();
    for name in a.precond.split(',') {
        let mut p = sparsereg::precond::parse(name)?;
        let x0 = sparsereg::linalg::center(data.x.as_ref(), &data.y, false);
        let x0 = sparsereg::diagnostic::normalize_columns(x0.x.as_ref());
        p.fit(x0.as_ref())?;
        let (d, _) = p.apply(x0.as_ref(), &data.y)?;
        let r = sparsereg::diagnostic::restricted_conditioning(d.as_ref(), a.k, a.subsets, a.seed)?;
        if !a.json {
            println!(
                "{:<16} min {:.3e}  q01 {:.3e}  q05 {:.3e}  q25 {:.3e}  median {:.3e}  singular {:.3}  median inflation {:.3}",
                p.name(),
                r.min,
                r.q01,
                r.q05,
                r.q25,
                r.q50,
                r.fraction_singular,
                r.median_inflation
            );
        }
        out.insert(p.name(), serde_json::to_value(r)?);
    }
    if a.json {
        println!("{}", serde_json::to_string_pretty(&out)?);
    }
    Ok(())
}

fn bench_command(a: BenchArgs) -> Result<()> {
    if a.reps == 0 {
        bail!("invalid --reps 0: a sweep needs at least one repetition; pass --reps 1 or more");
    }
    let n_grid = if a.n_grid == "auto" {
        sparsereg::bench::auto_grid(a.k, a.d)
    } else {
        a.n_grid
            .split(',')
            .map(|v| {
                v.trim()
                    .parse::<usize>()
                    .map_err(|_| anyhow!("invalid --n-grid entry {v:?}: use whole numbers or auto"))
            })
            .collect::<Result<_>>()?
    };
    let split = |s: &str| {
        s.split(',')
            .map(|v| v.trim().to_string())
            .collect::<Vec<_>>()
    };
    let cfg = BenchConfig {
        designs: split(&a.designs),
        d: a.d,
        k: a.k,
        sigma: a.sigma,
        n_grid,
        reps: a.reps,
        methods: split(&a.methods),
        precond: a.precond.clone(),
        seed: a.seed,
        n_test: a.n_test,
    };
    let bar = indicatif::ProgressBar::new(0);
    if !std::io::IsTerminal::is_terminal(&std::io::stderr()) {
        bar.set_draw_target(indicatif::ProgressDrawTarget::hidden());
    }
    for design in &cfg.designs {
        Design::parse(design)?;
    }
    for method in &cfg.methods {
        MethodSpec::parse(method)?;
    }
    if a.force && a.out.exists() {
        std::fs::remove_file(&a.out)
            .map_err(|e| anyhow!("{}: failed to delete it for --force: {e}", a.out.display()))?;
    }
    let written = run_bench(&cfg, &a.out, |done, total| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
    })?;
    bar.finish_and_clear();
    let lines = sparsereg::bench::read_bench(&a.out)?;
    if let Some(path) = &a.markdown {
        write_text_atomic(path, &sparsereg::bench::markdown(&lines))?;
    }
    if let Some(dir) = &a.svg_dir {
        std::fs::create_dir_all(dir)?;
        for design in &cfg.designs {
            let canonical = Design::parse(design)?.name();
            let name = canonical.replace([':', '/', '.'], "_");
            let svg = sparsereg::bench::svg(&lines, &canonical);
            write_text_atomic(&dir.join(format!("pe_vs_n_{name}.svg")), &svg)?;
        }
    }
    let summary =
        serde_json::json!({"new_lines": written, "total_lines": lines.len(), "out": a.out});
    if a.json {
        println!("{summary}");
    } else {
        eprintln!(
            "{written} new lines, {} in {}",
            lines.len(),
            a.out.display()
        );
    }
    Ok(())
}
