//! Timing of the metric step on seeded random matrices, for `mnn bench`.

use std::time::Instant;

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::error::Error;
use crate::matrix::MatrixView;
use crate::params::{EntropyMethod, MetricParams, MetricSet};
use crate::score::score_matrix;

/// A metric step to time.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    /// Preprocessing and Matrix Nuclear-Norm from f32 input.
    Mnn,
    /// Preprocessing and Matrix Entropy by the given route.
    Entropy(EntropyMethod),
    /// One streaming read that sums the f32 matrix: the floor for a pass over
    /// the input, to set the MNN time (two passes) beside.
    Read,
}

impl Operation {
    /// Label used in the JSON lines (`mnn`, `me-auto`, `me-gram`, `me-eigh`, `me-svd`).
    pub fn label(self) -> &'static str {
        match self {
            Operation::Mnn => "mnn",
            Operation::Entropy(EntropyMethod::Auto) => "me-auto",
            Operation::Entropy(EntropyMethod::Gram) => "me-gram",
            Operation::Entropy(EntropyMethod::Eigh) => "me-eigh",
            Operation::Entropy(EntropyMethod::Svd) => "me-svd",
            Operation::Read => "read",
        }
    }
}

/// One timed (operation, shape) pair, in the fields the peer script also writes.
#[derive(Debug, Clone, Serialize)]
pub struct Timing {
    #[serde(rename = "impl")]
    pub implementation: &'static str,
    pub op: &'static str,
    pub n: usize,
    pub d: usize,
    pub threads: usize,
    pub repeat: usize,
    /// Seed of the random matrix, when the caller drew it with
    /// [`standard_normal_f32`].
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seed: Option<u64>,
    pub median_ms: f64,
    pub min_ms: f64,
    /// MNN, or H in nats for the entropy routes.
    pub value: f64,
}

/// Checks, before any allocation, that an N × d input and the work buffers of
/// `operation` fit within [`crate::MAX_ELEMENTS`].
///
/// # Errors
///
/// [`Error::TooLarge`] naming the shape and the buffer.
pub fn check_shape(n_rows: usize, n_cols: usize, operation: Operation) -> Result<(), Error> {
    let shape = (n_rows, n_cols);
    crate::check_elements("input matrix", shape, shape)?;
    let side = match operation {
        Operation::Mnn | Operation::Read => return Ok(()),
        Operation::Entropy(EntropyMethod::Auto) => n_rows.min(n_cols),
        Operation::Entropy(EntropyMethod::Gram) => n_rows,
        Operation::Entropy(EntropyMethod::Eigh | EntropyMethod::Svd) => n_cols,
    };
    crate::check_elements("Gram matrix of the entropy route", shape, (side, side))
}

/// Draws a row-major N × d matrix of standard-normal f32 entries from ChaCha8
/// seeded with `seed`, by the Box–Muller transform.
///
/// # Errors
///
/// [`Error::TooLarge`] when N·d exceeds [`crate::MAX_ELEMENTS`].
pub fn standard_normal_f32(n_rows: usize, n_cols: usize, seed: u64) -> Result<Vec<f32>, Error> {
    crate::check_elements("input matrix", (n_rows, n_cols), (n_rows, n_cols))?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut values = Vec::with_capacity(n_rows * n_cols + 1);
    while values.len() < n_rows * n_cols {
        let u1: f64 = 1.0 - rng.random::<f64>();
        let u2: f64 = rng.random::<f64>();
        let radius = (-2.0 * u1.ln()).sqrt();
        let angle = std::f64::consts::TAU * u2;
        values.push((radius * angle.cos()) as f32);
        values.push((radius * angle.sin()) as f32);
    }
    values.truncate(n_rows * n_cols);
    Ok(values)
}

/// Times `operation` on row-major f32 `rows`: one warm-up run, then `repeat`
/// timed runs.
///
/// # Errors
///
/// Any error of [`score_matrix`].
pub fn time_operation(
    rows: &[f32],
    n_rows: usize,
    n_cols: usize,
    operation: Operation,
    repeat: usize,
) -> Result<Timing, Error> {
    let view = MatrixView::from_rows_f32(rows, n_rows, n_cols)?;
    let opts = options(operation).check()?;
    let run = || -> Result<f64, Error> {
        match operation {
            Operation::Mnn => Ok(score_matrix(view, &opts)?.mnn),
            Operation::Entropy(_) => Ok(score_matrix(view, &opts)?.h_nats),
            Operation::Read => Ok(streaming_sum(rows)),
        }
    };

    let value = run()?;
    let mut times_ms = Vec::with_capacity(repeat.clamp(1, 1024));
    for _ in 0..repeat.max(1) {
        let start = Instant::now();
        let value = run()?;
        times_ms.push(start.elapsed().as_secs_f64() * 1e3);
        std::hint::black_box(value);
    }

    times_ms.sort_by(f64::total_cmp);
    Ok(Timing {
        implementation: "mnn-rs",
        op: operation.label(),
        n: n_rows,
        d: n_cols,
        threads: 1,
        repeat: times_ms.len(),
        seed: None,
        median_ms: median(&times_ms),
        min_ms: times_ms[0],
        value,
    })
}

/// Sums every entry in 16 f32 partial sums, a loop the compiler vectorises
/// and whose speed is set by the memory system, not by arithmetic.
fn streaming_sum(rows: &[f32]) -> f64 {
    let mut lanes = [0.0f32; 16];
    let chunks = rows.chunks_exact(16);
    let tail: f32 = chunks.remainder().iter().sum();
    for chunk in chunks {
        for (lane, &value) in lanes.iter_mut().zip(chunk) {
            *lane += value;
        }
    }
    f64::from(lanes.iter().sum::<f32>() + tail)
}

fn options(operation: Operation) -> MetricParams {
    let (mnn, entropy_method) = match operation {
        Operation::Mnn | Operation::Read => (true, EntropyMethod::Auto),
        Operation::Entropy(method) => (false, method),
    };
    MetricParams {
        entropy_method,
        metrics: MetricSet {
            mnn,
            entropy: !mnn,
            nuclear: false,
        },
        ..MetricParams::default()
    }
}

/// Median of sorted, non-empty values.
fn median(sorted: &[f64]) -> f64 {
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        0.5 * (sorted[mid - 1] + sorted[mid])
    }
}
