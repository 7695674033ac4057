//! Timed tasks behind `pncrit bench`, on the wine-red file (1599 rows, 11
//! columns).
//!
//! | task | work |
//! |---|---|
//! | `b1_empirical` | MVN d = 11 (p = 77) in empirical mode |
//! | `b2_sample_k3` | sample K₂ and the explicit K₃ tensor of t at p = 77 |
//! | `b3a_ising_fit` | pairwise log-linear fit on the median-binarised columns (2048 states, p = 66) |
//! | `b3b_ising_expansion` | its misspecified expansion from the fitted cloud |
//! | `b3c_ising_gibbs` | the same model fitted and expanded from 20 000 Gibbs draws |
//! | `b4_mvn_misspecified` | read the file, MVN d = 11 misspecified, end to end |
//! | `b5_monte_carlo` | the three simulation cases at n = 10, 20, 40, 80 |
//!
//! Each task runs once as a warm-up and then `runs` times. The line reports
//! the median, minimum and maximum wall time, the median CPU time of the
//! thread, the process's peak resident memory so far (VmHWM, Linux only) and
//! a value to compare across implementations.

use std::path::PathBuf;
use std::time::Instant;

use faer::Mat;
use serde::Serialize;

use crate::cumulant::Cloud;
use crate::error::{Error, Result};
use crate::expansion::{self, Truth};
use crate::family::gibbs::GibbsOptions;
use crate::family::{self, ExpFamily, LogLinear, Mode, Mvn, Sampling};
use crate::fit::FitOptions;
use crate::io::{self, ColumnSpec};
use crate::simulate::{self, Case};
use crate::tensor::Tensor3;

/// Every task, in run order.
pub const TASKS: [&str; 7] = [
    "b1_empirical",
    "b2_sample_k3",
    "b3a_ising_fit",
    "b3b_ising_expansion",
    "b3c_ising_gibbs",
    "b4_mvn_misspecified",
    "b5_monte_carlo",
];

/// Settings of a benchmark run.
#[derive(Clone, Debug)]
pub struct BenchOptions {
    /// Folder holding `winequality-red.csv`.
    pub data_dir: PathBuf,
    /// Timed runs after the warm-up.
    pub runs: usize,
    /// Monte-Carlo replicates per sample size.
    pub reps: usize,
    /// Seed of the Gibbs and Monte-Carlo streams.
    pub seed: u64,
}

/// One benchmark result.
#[derive(Clone, Debug, Serialize)]
pub struct BenchLine {
    /// Task name.
    pub task: String,
    /// Median wall time (s).
    pub seconds: f64,
    /// Fastest run (s).
    pub min_seconds: f64,
    /// Slowest run (s).
    pub max_seconds: f64,
    /// Median CPU time of the calling thread (s; NaN where unknown). On a
    /// loaded machine this is closer to the work done than the wall time.
    pub cpu_seconds: f64,
    /// Timed runs.
    pub runs: usize,
    /// Peak resident memory of the process so far (MiB); NaN where unknown.
    pub peak_mb: f64,
    /// A result of the task, for comparison with other implementations.
    pub value: f64,
}

fn wine_red(options: &BenchOptions) -> Result<Mat<f64>> {
    let spec = ColumnSpec::parse("1-11")?;
    let path = options.data_dir.join("winequality-red.csv");
    Ok(io::read_table(&path, 3, Some(&spec))?.x)
}

fn ising(order: usize) -> Result<LogLinear> {
    LogLinear::exact(order, FitOptions::default().check()?)
}

/// Runs `task` once per call of the closure and returns its value.
fn task_body(task: &str, options: &BenchOptions) -> Result<Box<dyn Fn() -> Result<f64>>> {
    let x = wine_red(options)?;
    let binary = io::binarize_median(x.as_ref()).0;
    let opts = options.clone();
    Ok(match task {
        "b1_empirical" => Box::new(move || {
            Ok(
                family::analyze(&Mvn::default(), x.as_ref(), Mode::Empirical)?
                    .expansion
                    .a2,
            )
        }),
        "b2_sample_k3" => {
            let t = Mvn::default().stats(x.as_ref())?;
            Box::new(move || {
                let cloud = Cloud::from_data(t.as_ref());
                let k2 = cloud.covariance();
                let k3 = Tensor3::from_cloud(cloud.points.as_ref(), &cloud.weights);
                Ok(k3.dot(&k3) + k2[(0, 0)])
            })
        }
        "b3a_ising_fit" => {
            let family = ising(2)?;
            let t = family.stats(binary.as_ref())?;
            Box::new(move || Ok(family.fit(binary.as_ref(), t.as_ref())?.loglik))
        }
        "b3b_ising_expansion" => {
            let family = ising(2)?;
            let t = family.stats(binary.as_ref())?;
            let fit = family.fit(binary.as_ref(), t.as_ref())?;
            Box::new(move || {
                let data = Cloud::from_data(t.as_ref());
                Ok(expansion::expansion(&fit.model, &Truth::Cloud(&data))?.a2)
            })
        }
        "b3c_ising_gibbs" => {
            let mut family = ising(2)?;
            family.sampling = Sampling::Always;
            family.gibbs = GibbsOptions {
                seed: opts.seed,
                ..GibbsOptions::default()
            }
            .check()?;
            Box::new(move || {
                Ok(
                    family::analyze(&family, binary.as_ref(), Mode::Misspecified)?
                        .expansion
                        .a2,
                )
            })
        }
        "b4_mvn_misspecified" => Box::new(move || {
            let x = wine_red(&opts)?;
            Ok(
                family::analyze(&Mvn::default(), x.as_ref(), Mode::Misspecified)?
                    .expansion
                    .a2,
            )
        }),
        "b5_monte_carlo" => Box::new(move || {
            let mut total = 0.0;
            for case in [Case::PoissonNegBin, Case::NormalGamma, Case::IndepBernoulli] {
                for n in [10, 20, 40, 80] {
                    total += simulate::simulate(case, n, opts.reps, opts.seed)?.mc_mean;
                }
            }
            Ok(total)
        }),
        other => {
            return Err(Error::invalid(
                "tasks",
                other,
                format!("use one of {}", TASKS.join(", ")),
            ));
        }
    })
}

/// Runs one task: a warm-up, then `options.runs` timed runs.
///
/// # Errors
///
/// [`Error::InvalidParameter`] for an unknown task, and the task's own errors
/// (a missing data file, for example), and runs = 0.
pub fn run(task: &str, options: &BenchOptions) -> Result<BenchLine> {
    if options.runs == 0 {
        return Err(Error::invalid("runs", 0, "use at least 1 timed run"));
    }
    let body = task_body(task, options)?;
    let value = body()?;
    let mut times = Vec::with_capacity(options.runs);
    let mut cpu = Vec::with_capacity(options.runs);
    for _ in 0..options.runs {
        let start = Instant::now();
        let cpu_start = thread_cpu_seconds();
        body()?;
        cpu.push(thread_cpu_seconds() - cpu_start);
        times.push(start.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    Ok(BenchLine {
        task: task.to_string(),
        seconds: io::median(&times),
        min_seconds: times[0],
        max_seconds: times[times.len() - 1],
        cpu_seconds: io::median(&cpu),
        runs: options.runs,
        peak_mb: peak_resident_mb(),
        value,
    })
}

/// Returns the CPU time of the calling thread from /proc/thread-self/schedstat
/// (nanoseconds on CPU), or NaN where unavailable. The tasks run on one
/// thread (every matrix product is sequential).
fn thread_cpu_seconds() -> f64 {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|text| text.split_whitespace().next()?.parse::<f64>().ok())
        .map_or(f64::NAN, |ns| ns * 1e-9)
}

/// Returns VmHWM from /proc/self/status in MiB, or NaN where unavailable.
fn peak_resident_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|text| {
            text.lines()
                .find(|l| l.starts_with("VmHWM:"))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|kb| kb.parse::<f64>().ok())
        })
        .map_or(f64::NAN, |kb| kb / 1024.0)
}
