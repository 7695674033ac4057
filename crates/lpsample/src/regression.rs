//! Weighted ℓp regression: min_x Σ_i c_i |a_iᵀx − b_i|^p (c_i = 1 on full data,
//! sampling weights on a sample).
//!
//! - `Conic`: minimise Σ c_i t_i with (t_i, 1, a_iᵀx − b_i) ∈ K_pow(1/p), or the
//!   linear program −t ≤ Ax − b ≤ t for p = 1 (Clarabel 0.11.1). The weights go into
//!   the objective, not into row scaling. Before the solve the columns of A are
//!   scaled to unit norm, b to max |b_i| = 1 and the weights to mean 1, and the
//!   solution is scaled back. When Clarabel stops with another status than
//!   `Solved` or `AlmostSolved`, IRLS runs instead, and its point is returned only
//!   if its relative duality gap ([`gap`]) is at most [`FALLBACK_MAX_GAP`]. An
//!   `AlmostSolved` point with a larger gap is replaced by a certified IRLS point
//!   when that point has a lower objective.
//! - `Irls`: iteratively reweighted least squares from the weighted least-squares
//!   solution. For p < 2 the weights c_i·max(|r_i|, δ)^{p−2} give a
//!   majorise-minimise step. For p > 2 the weights c_i|r_i|^{p−2} give a direction
//!   x_wls − x and the step length θ halves from 1 until the objective decreases.
//!   Both are monotone; the iteration stops at a relative decrease below 1e-12.
//!   This is our choice (derived in the normlab lpsample specification); pIRLS
//!   (Adil, Peng and Sachdeva, NeurIPS 2019) is faster for p ≥ 2.
//! - p = 2 is solved directly by QR least squares under either solver.
//!
//! ```
//! use lpsample::regression::{lp_regression, LpSolver};
//! use lpsample::conic::ConicSettings;
//!
//! let a = faer::mat![[1.0], [1.0], [1.0]];
//! let fit = lp_regression(a.as_ref(), &[0.0, 1.0, 5.0], 1.0, None,
//!     &LpSolver::Conic(ConicSettings::default())).unwrap();
//! assert!((fit.x[0] - 1.0).abs() < 1e-6); // the median
//! ```

use clarabel::solver::SupportedConeT::{self, NonnegativeConeT, PowerConeT};
use faer::linalg::solvers::SolveLstsq;
use faer::{Mat, MatRef};
use serde::Serialize;

use crate::conic::{ConicSettings, Triplets, solve_linear_conic};
use crate::error::{Error, Result};
use crate::input::{check_matrix, check_p};

pub mod gap;

pub use gap::relative_duality_gap;

/// Largest relative duality gap at which an IRLS point replaces a failed conic solve.
pub const FALLBACK_MAX_GAP: f64 = 1e-7;

/// Largest number of step halvings per IRLS iteration for p > 2.
const MAX_HALVINGS: usize = 60;

/// ℓp regression solver.
#[derive(Debug, Clone, PartialEq)]
pub enum LpSolver {
    /// Exact conic program.
    Conic(ConicSettings),
    /// Iteratively reweighted least squares.
    Irls {
        /// Residual floor δ for p < 2; `None` uses 1e-8·max|b_i| (or 1e-8 when b = 0).
        delta: Option<f64>,
        /// Iteration limit (default 500).
        max_iter: usize,
    },
}

/// Default IRLS iteration limit.
pub const DEFAULT_IRLS_MAX_ITER: usize = 500;

impl LpSolver {
    /// Returns IRLS with its defaults.
    pub fn irls() -> Self {
        LpSolver::Irls {
            delta: None,
            max_iter: DEFAULT_IRLS_MAX_ITER,
        }
    }
}

/// Solution of an ℓp regression.
#[derive(Debug, Clone, Serialize)]
pub struct LpFit {
    /// Coefficients x (length d).
    pub x: Vec<f64>,
    /// Σ c_i |a_iᵀx − b_i|^p at x.
    pub objective: f64,
    /// Solver iterations (interior-point or IRLS).
    pub iterations: usize,
    /// `Solved`, `AlmostSolved`, `IrlsFallback` (the conic solve failed and IRLS
    /// passed the gap check) or, for IRLS, `Converged` or `MaxIterations`.
    pub status: String,
    /// Relative duality gap of x, an upper bound on (objective − optimum) / objective.
    pub relative_gap: f64,
}

/// Solves min_x Σ c_i |a_iᵀx − b_i|^p, with c = `weights` or all ones.
///
/// # Errors
/// [`Error::InvalidP`], the errors of [`check_matrix`], [`Error::ShapeMismatch`]
/// when `b` or `weights` do not have one entry per row, [`Error::InvalidArgument`]
/// for a negative or non-finite weight or entry of b, [`Error::RegressionFailed`]
/// when the conic solve fails and IRLS does not reach [`FALLBACK_MAX_GAP`], and
/// [`Error::Factorization`].
pub fn lp_regression(
    a: MatRef<'_, f64>,
    b: &[f64],
    p: f64,
    weights: Option<&[f64]>,
    solver: &LpSolver,
) -> Result<LpFit> {
    let p = check_p(p)?;
    check_matrix(a)?;
    let ones = vec![1.0; a.nrows()];
    let c = weights.unwrap_or(&ones);
    check_lengths(a.nrows(), b, c)?;

    if p == 2.0 {
        let x = weighted_least_squares(a, b, c)?;
        return Ok(fit_at(a, b, c, p, x, 0, "Solved".into()));
    }
    match solver {
        LpSolver::Conic(settings) => conic_regression(a, b, p, c, settings),
        LpSolver::Irls { delta, max_iter } => {
            let delta = delta.unwrap_or_else(|| default_delta(b));
            irls(a, b, p, c, delta, *max_iter)
        }
    }
}

fn check_lengths(n: usize, b: &[f64], c: &[f64]) -> Result<()> {
    for (what, values) in [("target b", b), ("weights", c)] {
        if values.len() != n {
            return Err(Error::ShapeMismatch {
                what,
                expected: n,
                found: values.len(),
            });
        }
    }
    if let Some(bad) = b.iter().find(|v| !v.is_finite()) {
        return Err(Error::InvalidArgument {
            name: "target entry",
            value: bad.to_string(),
            rule: "every entry of b must be finite",
        });
    }
    if let Some(bad) = c.iter().find(|w| !(w.is_finite() && **w >= 0.0)) {
        return Err(Error::InvalidArgument {
            name: "weight",
            value: bad.to_string(),
            rule: "every weight must be finite and ≥ 0",
        });
    }
    Ok(())
}

fn default_delta(b: &[f64]) -> f64 {
    let max_abs = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max_abs > 0.0 { 1e-8 * max_abs } else { 1e-8 }
}

/// Returns the objective Σ c_i |a_iᵀx − b_i|^p.
pub fn lp_objective(a: MatRef<'_, f64>, b: &[f64], c: &[f64], p: f64, x: &[f64]) -> f64 {
    residuals(a, b, x)
        .iter()
        .zip(c)
        .map(|(r, ci)| ci * r.abs().powf(p))
        .sum()
}

fn residuals(a: MatRef<'_, f64>, b: &[f64], x: &[f64]) -> Vec<f64> {
    (0..a.nrows())
        .map(|i| (0..a.ncols()).map(|j| a[(i, j)] * x[j]).sum::<f64>() - b[i])
        .collect()
}

fn fit_at(
    a: MatRef<'_, f64>,
    b: &[f64],
    c: &[f64],
    p: f64,
    x: Vec<f64>,
    iterations: usize,
    status: String,
) -> LpFit {
    LpFit {
        objective: lp_objective(a, b, c, p, &x),
        relative_gap: relative_duality_gap(a, b, c, p, &x),
        x,
        iterations,
        status,
    }
}

/// Solves min_x Σ c_i (a_iᵀx − b_i)² by QR of diag(√c)A.
fn weighted_least_squares(a: MatRef<'_, f64>, b: &[f64], c: &[f64]) -> Result<Vec<f64>> {
    let root: Vec<f64> = c.iter().map(|w| w.sqrt()).collect();
    let scaled = Mat::from_fn(a.nrows(), a.ncols(), |i, j| root[i] * a[(i, j)]);
    let rhs = Mat::from_fn(a.nrows(), 1, |i, _| root[i] * b[i]);
    let x = scaled.col_piv_qr().solve_lstsq(&rhs);

    let x: Vec<f64> = (0..a.ncols()).map(|j| x[(j, 0)]).collect();
    if x.iter().all(|v| v.is_finite()) {
        Ok(x)
    } else {
        Err(Error::Factorization {
            what: "weighted least-squares QR",
        })
    }
}

fn conic_regression(
    a: MatRef<'_, f64>,
    b: &[f64],
    p: f64,
    c: &[f64],
    settings: &ConicSettings,
) -> Result<LpFit> {
    let (x, iterations, status) = match scaled_conic_solve(a, b, p, c, settings) {
        Ok(solved) => solved,
        Err(status) => return irls_fallback(a, b, p, c, status),
    };
    let fit = fit_at(a, b, c, p, x, iterations, status);
    if fit.status == "Solved" || fit.relative_gap <= FALLBACK_MAX_GAP {
        return Ok(fit);
    }
    // An `AlmostSolved` point with a large gap: prefer a certified IRLS point.
    match irls_fallback(a, b, p, c, fit.status.clone()) {
        Ok(certified) if certified.objective <= fit.objective => Ok(certified),
        _ => Ok(fit),
    }
}

/// Solves the conic program with unit-norm columns, max |b_i| = 1 and mean
/// weight 1, and returns (x, iterations, status) in the original scale.
fn scaled_conic_solve(
    a: MatRef<'_, f64>,
    b: &[f64],
    p: f64,
    c: &[f64],
    settings: &ConicSettings,
) -> std::result::Result<(Vec<f64>, usize, String), String> {
    let (n, d) = (a.nrows(), a.ncols());
    let column_scale: Vec<f64> = (0..d)
        .map(|j| {
            let norm = a.col(j).norm_l2();
            if norm > 0.0 { 1.0 / norm } else { 1.0 }
        })
        .collect();
    let scaled = Mat::from_fn(n, d, |i, j| a[(i, j)] * column_scale[j]);
    let b_max = b.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let b_scale = if b_max > 0.0 { b_max } else { 1.0 };
    let scaled_b: Vec<f64> = b.iter().map(|v| v / b_scale).collect();
    let c_mean = c.iter().sum::<f64>() / n as f64;
    let c_scale = if c_mean > 0.0 { c_mean } else { 1.0 };

    let (constraints, rhs, cones) = regression_program(scaled.as_ref(), &scaled_b, p);
    let q: Vec<f64> = (0..d + n)
        .map(|k| if k < d { 0.0 } else { c[k - d] / c_scale })
        .collect();
    let solution = solve_linear_conic(&q, &constraints, &rhs, &cones, settings)?;

    let x = (0..d)
        .map(|j| solution.x[j] * column_scale[j] * b_scale)
        .collect();
    Ok((x, solution.iterations as usize, solution.status))
}

/// Runs IRLS after a failed conic solve and keeps its point only when the
/// relative duality gap certifies it.
fn irls_fallback(
    a: MatRef<'_, f64>,
    b: &[f64],
    p: f64,
    c: &[f64],
    status: String,
) -> Result<LpFit> {
    tracing::warn!(%status, p, "Clarabel failed on the ℓp regression; trying IRLS");
    let fit = irls(a, b, p, c, default_delta(b), DEFAULT_IRLS_MAX_ITER)?;
    if fit.relative_gap <= FALLBACK_MAX_GAP {
        tracing::info!(
            gap = fit.relative_gap,
            "IRLS point certified by the duality gap"
        );
        return Ok(LpFit {
            status: "IrlsFallback".into(),
            ..fit
        });
    }
    Err(Error::RegressionFailed {
        status,
        gap: fit.relative_gap,
    })
}

/// Builds (A, b, cones) with variables (x, t).
fn regression_program(
    a: MatRef<'_, f64>,
    b: &[f64],
    p: f64,
) -> (Triplets, Vec<f64>, Vec<SupportedConeT<f64>>) {
    let (n, d) = (a.nrows(), a.ncols());
    if p == 1.0 {
        let mut constraints = Triplets::new(2 * n, d + n);
        let mut rhs = vec![0.0; 2 * n];
        for i in 0..n {
            for j in 0..d {
                constraints.push(2 * i, j, a[(i, j)]);
                constraints.push(2 * i + 1, j, -a[(i, j)]);
            }
            constraints.push(2 * i, d + i, -1.0);
            constraints.push(2 * i + 1, d + i, -1.0);
            rhs[2 * i] = b[i];
            rhs[2 * i + 1] = -b[i];
        }
        return (constraints, rhs, vec![NonnegativeConeT(2 * n)]);
    }

    let mut constraints = Triplets::new(3 * n, d + n);
    let mut rhs = vec![0.0; 3 * n];
    for i in 0..n {
        constraints.push(3 * i, d + i, -1.0);
        rhs[3 * i + 1] = 1.0;
        for j in 0..d {
            constraints.push(3 * i + 2, j, -a[(i, j)]);
        }
        rhs[3 * i + 2] = -b[i];
    }
    (constraints, rhs, vec![PowerConeT(1.0 / p); n])
}

fn irls(
    a: MatRef<'_, f64>,
    b: &[f64],
    p: f64,
    c: &[f64],
    delta: f64,
    max_iter: usize,
) -> Result<LpFit> {
    let mut x = weighted_least_squares(a, b, c)?;
    let mut objective = lp_objective(a, b, c, p, &x);

    for iter in 1..=max_iter {
        let r = residuals(a, b, &x);
        let irls_weights: Vec<f64> = r
            .iter()
            .zip(c)
            .map(|(ri, ci)| {
                let magnitude = if p < 2.0 {
                    ri.abs().max(delta)
                } else {
                    ri.abs()
                };
                ci * magnitude.powf(p - 2.0)
            })
            .collect();
        let x_wls = weighted_least_squares(a, b, &irls_weights)?;

        let (next_x, next_objective) = if p < 2.0 {
            let value = lp_objective(a, b, c, p, &x_wls);
            (x_wls, value)
        } else {
            backtrack(a, b, c, p, &x, &x_wls, objective)
        };

        let decrease = objective - next_objective;
        if next_objective <= objective {
            x = next_x;
            objective = next_objective;
        }
        if decrease <= 1e-12 * objective.abs() {
            return Ok(fit_at(a, b, c, p, x, iter, "Converged".into()));
        }
    }
    Ok(fit_at(a, b, c, p, x, max_iter, "MaxIterations".into()))
}

/// Halves θ from 1 until f(x + θ(x_wls − x)) < f(x); returns x itself when no step decreases f.
fn backtrack(
    a: MatRef<'_, f64>,
    b: &[f64],
    c: &[f64],
    p: f64,
    x: &[f64],
    x_wls: &[f64],
    objective: f64,
) -> (Vec<f64>, f64) {
    let mut theta = 1.0;
    for _ in 0..MAX_HALVINGS {
        let trial: Vec<f64> = x
            .iter()
            .zip(x_wls)
            .map(|(xi, wi)| xi + theta * (wi - xi))
            .collect();
        let value = lp_objective(a, b, c, p, &trial);
        if value < objective {
            return (trial, value);
        }
        theta *= 0.5;
    }
    (x.to_vec(), objective)
}
