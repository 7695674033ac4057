//! Times one solver on `.npy` inputs for the peer comparison in
//! `docs/benchmarks/sparsereg.md`: one warm-up, then the median and minimum
//! wall time of `--runs` fits, printed as one JSON line per tolerance.
//!
//! ```text
//! solver_timing lasso X.npy y.npy ALPHA TOL[,TOL...] [RUNS]
//! solver_timing omp X.npy y.npy K [RUNS]
//! ```
//!
//! Lasso lines carry the achieved relative duality gap of the
//! specification's formula (the one `lasso` reports); OMP lines carry the
//! selection order.

use std::time::Instant;

use anyhow::{Context, Result, bail};
use faer::Mat;
use sparsereg::{Check, LassoOptions, omp};

fn main() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 4 {
        bail!("usage: solver_timing lasso|omp X.npy y.npy ALPHA TOLS [RUNS] | K [RUNS]");
    }
    let x = datasets::npy::read_matrix(std::path::Path::new(&args[1]))?;
    let y = read_vector(&args[2])?;
    match args[0].as_str() {
        "lasso" => {
            let alpha: f64 = args[3].parse().context("ALPHA")?;
            let runs = runs_arg(args.get(5))?;
            for tol in args.get(4).context("TOLS")?.split(',') {
                time_lasso(&x, &y, alpha, tol.parse().context("TOL")?, runs)?;
            }
        }
        "omp" => {
            let k: usize = args[3].parse().context("K")?;
            let runs = runs_arg(args.get(4))?;
            let (times, fit) = repeat(runs, || omp(x.as_ref(), &y, k, true))?;
            let line = serde_json::json!({
                "solver": "omp", "k": k, "median_ms": median(&times),
                "min_ms": min(&times), "order": fit.order,
            });
            println!("{line}");
        }
        other => bail!("unknown solver {other:?}: use lasso or omp"),
    }
    Ok(())
}

fn time_lasso(x: &Mat<f64>, y: &[f64], alpha: f64, tol: f64, runs: usize) -> Result<()> {
    let o = LassoOptions {
        alpha,
        tol,
        ..Default::default()
    }
    .check()?;
    let (times, fit) = repeat(runs, || sparsereg::lasso(x.as_ref(), y, &o))?;
    let line = serde_json::json!({
        "solver": "lasso", "alpha": alpha, "tol": tol, "median_ms": median(&times),
        "min_ms": min(&times), "gap_rel": fit.gap_rel, "nnz": fit.support().len(),
        "epochs": fit.epochs, "converged": fit.converged,
    });
    println!("{line}");
    Ok(())
}

/// One warm-up, then `runs` timed calls; returns the times in ms and the last result.
fn repeat<T>(runs: usize, mut f: impl FnMut() -> sparsereg::Result<T>) -> Result<(Vec<f64>, T)> {
    let mut last = f()?;
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let start = Instant::now();
        last = f()?;
        times.push(start.elapsed().as_secs_f64() * 1e3);
    }
    Ok((times, last))
}

fn runs_arg(arg: Option<&String>) -> Result<usize> {
    Ok(arg
        .map(|s| s.parse())
        .transpose()
        .context("RUNS")?
        .unwrap_or(11))
}

fn read_vector(path: &str) -> Result<Vec<f64>> {
    let m = datasets::npy::read_matrix(std::path::Path::new(path))?;
    Ok((0..m.nrows()).map(|i| m[(i, 0)]).collect())
}

fn median(v: &[f64]) -> f64 {
    let mut s = v.to_vec();
    s.sort_by(f64::total_cmp);
    s[s.len() / 2]
}

fn min(v: &[f64]) -> f64 {
    v.iter().copied().fold(f64::INFINITY, f64::min)
}
