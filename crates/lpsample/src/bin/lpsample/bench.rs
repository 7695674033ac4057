//! `lpsample bench`: wall-clock timing of one task on one input, reported as the
//! median of repeated runs after warm-up runs, for side-by-side comparison with
//! the Python peers in bench/lpsample/.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context, Result};
use clap::ValueEnum;
use faer::Mat;
use serde_json::{Value, json};

use lpsample::conic::ConicSettings;
use lpsample::leverage::leverage_scores;
use lpsample::lewis::lewis_weights;
use lpsample::regression::{LpSolver, lp_regression};
use lpsample::sampling::{SampleMode, sample_rows};
use lpsample::scheme::{Scheme, scheme_scores};

use crate::{InputArgs, LevArgs, LewisArgs, SolverArg, load, read_target};

#[derive(Clone, Copy, ValueEnum)]
pub enum BenchTask {
    /// Leverage scores with --lev-method.
    Leverage,
    /// Lewis weights to --lewis-tol (or --max-iter).
    Lewis,
    /// Full-data ℓp regression with --solver (needs --target).
    Regress,
    /// Lewis scores of [A b], a Bernoulli sample of size --m and a solve with --solver.
    SampledRegress,
}

#[derive(clap::Args)]
pub struct BenchArgs {
    #[command(flatten)]
    input: InputArgs,
    /// Task to time.
    #[arg(long, value_enum)]
    task: BenchTask,
    #[command(flatten)]
    leverage: LevArgs,
    #[command(flatten)]
    lewis: LewisArgs,
    /// Target vector b for the regression tasks (.npy, one entry per row).
    #[arg(long)]
    target: Option<PathBuf>,
    /// Solver of the regression tasks.
    #[arg(long, value_enum, default_value = "conic")]
    solver: SolverArg,
    /// Expected sample size of --task sampled-regress.
    #[arg(long, default_value_t = 2000.0, allow_negative_numbers = true)]
    m: f64,
    /// Untimed warm-up runs.
    #[arg(long, default_value_t = 1, allow_negative_numbers = true)]
    warmup: usize,
    /// Timed runs; the median is reported.
    #[arg(long, default_value_t = 5, allow_negative_numbers = true)]
    runs: usize,
    /// Seed of the sketch and of the sample.
    #[arg(long, default_value_t = 0)]
    seed: u64,
    /// Print the timings as one JSON object on stdout.
    #[arg(long)]
    json: bool,
}

pub fn run_bench(args: &BenchArgs) -> Result<()> {
    if args.runs == 0 {
        anyhow::bail!("invalid --runs 0: at least one timed run is needed");
    }
    let a = load(&args.input)?;
    let b = match &args.target {
        Some(path) => Some(read_target(path, a.nrows())?),
        None => None,
    };
    let task = || run_task(args, &a, b.as_deref());

    for _ in 0..args.warmup {
        task()?;
    }
    let mut times_ms = Vec::with_capacity(args.runs);
    let mut detail = Value::Null;
    for run in 0..args.runs {
        let start = Instant::now();
        detail = task()?;
        times_ms.push(start.elapsed().as_secs_f64() * 1e3);
        tracing::info!(run, ms = times_ms[run], "bench run done");
    }

    let mut sorted = times_ms.clone();
    sorted.sort_by(f64::total_cmp);
    let median_ms = sorted[sorted.len() / 2];
    let report = json!({
        "task": args.task.to_possible_value().map(|v| v.get_name().to_string()),
        "n": a.nrows(), "d": a.ncols(), "p": args.input.p, "warmup": args.warmup,
        "runs": args.runs, "median_ms": median_ms, "min_ms": sorted[0],
        "max_ms": sorted[sorted.len() - 1], "times_ms": times_ms, "detail": detail,
    });
    if args.json {
        println!("{report}");
    } else {
        println!(
            "median {median_ms:.2} ms over {} runs (min {:.2}, max {:.2})",
            args.runs,
            sorted[0],
            sorted[sorted.len() - 1]
        );
    }
    Ok(())
}

/// Runs the task once and returns what it computed, so that the work cannot be skipped.
fn run_task(args: &BenchArgs, a: &Mat<f64>, b: Option<&[f64]>) -> Result<Value> {
    let p = args.input.p;
    let solver = || match args.solver {
        SolverArg::Conic => LpSolver::Conic(ConicSettings::default()),
        SolverArg::Irls => LpSolver::irls(),
    };
    let target = || b.context("missing --target: the regression tasks need a target vector b");

    match args.task {
        BenchTask::Leverage => {
            let method = args.leverage.method(args.seed);
            let scores = leverage_scores(a.as_ref(), method, None)?;
            Ok(json!({"total": scores.values.iter().sum::<f64>(), "rank": scores.rank}))
        }
        BenchTask::Lewis => {
            let params = args.lewis.options(p, None).check()?;
            let result = lewis_weights(a.as_ref(), &params)?;
            Ok(json!({"total": result.weights.iter().sum::<f64>(),
                "iterations": result.iterations, "residual": result.residual}))
        }
        BenchTask::Regress => {
            let fit = lp_regression(a.as_ref(), target()?, p, None, &solver())?;
            Ok(
                json!({"objective": fit.objective, "iterations": fit.iterations,
                "status": fit.status, "relative_gap": fit.relative_gap}),
            )
        }
        BenchTask::SampledRegress => sampled_regression(args, a, target()?, &solver()),
    }
}

fn sampled_regression(
    args: &BenchArgs,
    a: &Mat<f64>,
    b: &[f64],
    solver: &LpSolver,
) -> Result<Value> {
    let p = args.input.p;
    let augmented = Mat::from_fn(a.nrows(), a.ncols() + 1, |i, j| {
        if j < a.ncols() { a[(i, j)] } else { b[i] }
    });
    let scores = scheme_scores(
        augmented.as_ref(),
        p,
        Scheme::Lewis,
        &ConicSettings::default(),
    )?;
    let sample = sample_rows(&scores, args.m, SampleMode::Bernoulli, args.seed)?;
    let sub = Mat::from_fn(sample.rows.len(), a.ncols(), |k, j| a[(sample.rows[k], j)]);
    let sub_b: Vec<f64> = sample.rows.iter().map(|&i| b[i]).collect();
    let fit = lp_regression(sub.as_ref(), &sub_b, p, Some(&sample.weights), solver)?;
    let ones = vec![1.0; a.nrows()];
    let cost = lpsample::regression::lp_objective(a.as_ref(), b, &ones, p, &fit.x);
    Ok(json!({"sample_size": sample.rows.len(), "objective": cost}))
}
