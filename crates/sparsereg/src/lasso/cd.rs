//! Coordinate descent for the Lasso (Friedman, Hastie and Tibshirani 2010,
//! eq. 5) on working sets, with gap-safe screening, Anderson extrapolation
//! and duality-gap stopping.
//!
//! Update with residual r = y − Xw: z = w_j + x_jᵀr/‖x_j‖²,
//! w_j ← sign(z)·max(|z| − Nα/‖x_j‖², 0), r ← r − x_j Δw_j.
//!
//! Outer loop (as in celer and skglm): recompute r exactly, compute Xᵀr and
//! the duality gap of [`super::gap`] over all columns, and stop at relative
//! gap ≤ tol. Otherwise it screens columns by the gap-safe test and builds a
//! working set of max(10, 2·nnz) columns (see [`super::working_set`]). Only
//! when the support did not grow and the outer gap fell by less than half
//! since the last outer step does the set double instead. Cyclic
//! coordinate descent then runs on the working set until its own gap is
//! below 0.3 × the outer gap.
//! Every 5 sweeps the last iterates are extrapolated ([`super::anderson`]),
//! and every 10 sweeps the exact minimiser on the current sign pattern, or
//! the step towards it cut at the first sign change, is tried
//! ([`super::newton`]). Either point is kept only when it lowers the
//! objective. So the final certificate is always the duality gap over all
//! columns.
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0, 0.0], [0.0, 1.0]];
//! let o = sparsereg::LassoOptions { alpha: 0.1, fit_intercept: false, ..Default::default() };
//! let cd = sparsereg::lasso::cd::coordinate_descent(&x, &[1.0, 0.1], &o, None).unwrap();
//! assert!((cd.coef[0] - 0.8).abs() < 1e-12 && cd.coef[1] == 0.0);
//! ```

use faer::Mat;

use super::anderson::Anderson;
use super::gap::{Gap, check_gap_finite, dual_scale, gap_from_parts};
use super::newton::sign_fixed_step;
use super::working_set::{DualPoint, screen, select};
use crate::LassoOptions;
use crate::error::Result;
use crate::linalg::{axpy, dot, x_w, xt_v};

/// Smallest working set.
const MIN_WORKING_SET: usize = 10;
/// Iterates combined by one Anderson extrapolation; also the number of
/// sweeps between two checks of the working-set gap.
const ANDERSON_DEPTH: usize = 5;
/// Sweeps between two attempts of the sign-fixed least-squares step.
const NEWTON_PERIOD: usize = 10;
/// The working set doubles only when the outer gap stays above this fraction
/// of the previous outer gap. Otherwise it contains max(10, 2·nnz) columns, as
/// in skglm.
const STALL_FRACTION: f64 = 0.5;
/// Limit on consecutive sign-fixed steps, each on the face left by the
/// previous truncated step.
const MAX_FACE_STEPS: usize = 20;
/// Limit on sweeps per working-set problem. On near-duplicate columns the
/// working-set gap can stall while the gap over all columns is already below
/// tol, which only the outer loop checks.
const MAX_INNER_SWEEPS: usize = 200;
/// The working-set problem is solved to this fraction of the outer gap.
const INNER_GAP_FRACTION: f64 = 0.3;

/// Coefficients and certificate of a coordinate-descent run.
#[derive(Debug, Clone)]
pub struct CdResult {
    /// Coefficients (on the data passed in).
    pub coef: Vec<f64>,
    /// Objective and duality gap at `coef`.
    pub gap: Gap,
    /// Sweeps over working sets.
    pub epochs: usize,
    /// True when the relative gap reached `tol`.
    pub converged: bool,
}

/// Minimises ‖y − Xw‖²/(2N) + α‖w‖₁ on the given (already centred) data,
/// starting from `warm` or zero. Zero columns keep w_j = 0. Requires α > 0.
///
/// # Errors
/// [`crate::Error::NonFinite`] when the objective or gap becomes non-finite.
pub fn coordinate_descent(
    x: &Mat<f64>,
    y: &[f64],
    o: &LassoOptions,
    warm: Option<&[f64]>,
) -> Result<CdResult> {
    let n = y.len() as f64;
    let n_alpha = n * o.alpha;
    let norms2: Vec<f64> = (0..x.ncols())
        .map(|j| dot(x.col_as_slice(j), x.col_as_slice(j)))
        .collect();
    let norms: Vec<f64> = norms2.iter().map(|v| v.sqrt()).collect();
    let mut alive: Vec<bool> = norms2.iter().map(|&v| v > 0.0).collect();
    let mut w = warm.map_or_else(|| vec![0.0; x.ncols()], <[f64]>::to_vec);
    let p0 = dot(y, y) / (2.0 * n);
    let mut epochs = 0;
    let mut ws_size = 0;
    let mut previous_gap = f64::INFINITY;

    loop {
        zero_screened(&mut w, &alive);
        let mut r = residual(x, y, &w);
        let xtr = xt_v(x, &r);
        let xtr_max = xtr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let g = gap_from_parts(y, &r, l1_norm(&w), xtr_max, o.alpha);
        check_gap_finite(&g)?;
        let done = g.gap_rel <= o.tol || epochs >= o.max_epochs;
        if done {
            return Ok(finished(w, g, epochs, o.tol));
        }

        let point = DualPoint {
            xtr,
            s: dual_scale(xtr_max, n_alpha),
            n_alpha,
        };
        screen(&point, &norms, n * g.gap_abs, &mut alive);
        let nnz = w
            .iter()
            .zip(&alive)
            .filter(|(v, a)| **a && **v != 0.0)
            .count();
        let requested = MIN_WORKING_SET.max(2 * nnz);
        let stalled = g.gap_abs > STALL_FRACTION * previous_gap;
        ws_size = if requested > ws_size || !stalled {
            requested
        } else {
            2 * ws_size
        };
        ws_size = ws_size.min(x.ncols());
        previous_gap = g.gap_abs;
        let ws = select(&point, &norms, &w, &alive, ws_size);
        if ws.is_empty() {
            // Every column was screened, so w = 0 is optimal up to rounding.
            return Ok(finished(w, g, epochs, o.tol));
        }

        let inner = InnerProblem {
            x,
            y,
            norms2: &norms2,
            ws: &ws,
            n_alpha,
            alpha: o.alpha,
        };
        let tol_inner = (INNER_GAP_FRACTION * g.gap_abs).max(0.1 * o.tol * p0);
        let budget = MAX_INNER_SWEEPS.min(o.max_epochs - epochs);
        epochs += inner.solve(&mut w, &mut r, tol_inner, budget);
    }
}

fn finished(coef: Vec<f64>, gap: Gap, epochs: usize, tol: f64) -> CdResult {
    CdResult {
        coef,
        gap,
        epochs,
        converged: gap.gap_rel <= tol,
    }
}

/// The Lasso restricted to the columns of a working set.
struct InnerProblem<'a> {
    x: &'a Mat<f64>,
    y: &'a [f64],
    norms2: &'a [f64],
    ws: &'a [usize],
    n_alpha: f64,
    alpha: f64,
}

impl InnerProblem<'_> {
    /// Sweeps the working set until its duality gap is ≤ `tol_abs` or
    /// `max_epochs` sweeps are done; returns the number of sweeps.
    fn solve(&self, w: &mut [f64], r: &mut Vec<f64>, tol_abs: f64, max_epochs: usize) -> usize {
        let mut history = Anderson::new(ANDERSON_DEPTH);
        let mut epochs = 0;
        while epochs < max_epochs {
            sweep(self.x, self.norms2, self.ws, self.n_alpha, w, r);
            epochs += 1;
            history.push(&self.ws.iter().map(|&j| w[j]).collect::<Vec<_>>());
            if epochs % ANDERSON_DEPTH != 0 {
                continue;
            }
            self.try_extrapolation(&history, w, r);
            if self.gap(w, r) <= tol_abs {
                break;
            }
            if epochs % NEWTON_PERIOD == 0 {
                // A sweep costs about 4·|W|·N flops. Each attempt may spend as
                // much as the sweeps so far, so that a large active set gets
                // face steps only once the sweeps stall.
                let budget = 4 * epochs * self.ws.len() * self.y.len();
                self.try_sign_fixed_step(w, r, budget);
            }
        }
        epochs
    }

    /// Replaces (w, r) by the extrapolated point when it lowers the objective.
    fn try_extrapolation(&self, history: &Anderson, w: &mut [f64], r: &mut Vec<f64>) {
        if !history.is_full() {
            return;
        }
        let Some(candidate) = history.extrapolate() else {
            return;
        };
        let mut w_new = w.to_vec();
        for (&j, &v) in self.ws.iter().zip(&candidate) {
            w_new[j] = v;
        }
        let r_new = residual(self.x, self.y, &w_new);
        if self.objective(&w_new, &r_new) < self.objective(w, r) {
            w.copy_from_slice(&w_new);
            *r = r_new;
        }
    }

    /// Replaces (w, r) by the minimiser on the current face, or by the step
    /// towards it truncated at the face's boundary (see [`super::newton`]),
    /// when it exists and lowers the objective. A truncated step drops one
    /// coordinate from the face, so the step is repeated on the smaller face,
    /// up to [`MAX_FACE_STEPS`] times and while the estimated cost stays
    /// within `budget` flops.
    fn try_sign_fixed_step(&self, w: &mut [f64], r: &mut Vec<f64>, budget: usize) {
        let n = self.y.len();
        let mut spent = 0;
        for _ in 0..MAX_FACE_STEPS {
            let active: Vec<usize> = self.ws.iter().copied().filter(|&j| w[j] != 0.0).collect();
            // Gram matrix |A|²·N flops, then Cholesky |A|³/3. With |A| ≥ N
            // the Gram matrix is singular and no step exists.
            let m = active.len();
            if m >= n {
                return;
            }
            spent += m * m * n + m * m * m / 3;
            if spent > budget {
                return;
            }
            let Some(v) = sign_fixed_step(self.x, self.y, w, &active, self.n_alpha) else {
                return;
            };
            let truncated = v.contains(&0.0);
            let mut w_new = w.to_vec();
            for (&j, &vj) in active.iter().zip(&v) {
                w_new[j] = vj;
            }
            let r_new = residual(self.x, self.y, &w_new);
            if self.objective(&w_new, &r_new) >= self.objective(w, r) {
                return;
            }
            w.copy_from_slice(&w_new);
            *r = r_new;
            if !truncated {
                return;
            }
        }
    }

    fn objective(&self, w: &[f64], r: &[f64]) -> f64 {
        dot(r, r) / (2.0 * r.len() as f64) + self.alpha * l1_norm(w)
    }

    /// Absolute duality gap of the working-set problem.
    fn gap(&self, w: &[f64], r: &[f64]) -> f64 {
        let xtr_max = self
            .ws
            .iter()
            .map(|&j| dot(self.x.col_as_slice(j), r).abs())
            .fold(0.0f64, f64::max);
        gap_from_parts(self.y, r, l1_norm(w), xtr_max, self.alpha).gap_abs
    }
}

/// One cyclic pass over `coords`.
fn sweep(
    x: &Mat<f64>,
    norms2: &[f64],
    coords: &[usize],
    n_alpha: f64,
    w: &mut [f64],
    r: &mut [f64],
) {
    for &j in coords {
        let col = x.col_as_slice(j);
        let z = w[j] + dot(col, r) / norms2[j];
        let shrink = n_alpha / norms2[j];
        let new = z.signum() * (z.abs() - shrink).max(0.0);
        let delta = new - w[j];
        if delta != 0.0 {
            axpy(-delta, col, r);
            w[j] = new;
        }
    }
}

fn residual(x: &Mat<f64>, y: &[f64], w: &[f64]) -> Vec<f64> {
    let xw = x_w(x, w);
    y.iter().zip(&xw).map(|(a, b)| a - b).collect()
}

fn l1_norm(w: &[f64]) -> f64 {
    w.iter().map(|v| v.abs()).sum()
}

fn zero_screened(w: &mut [f64], alive: &[bool]) {
    for (v, &a) in w.iter_mut().zip(alive) {
        if !a {
            *v = 0.0;
        }
    }
}
