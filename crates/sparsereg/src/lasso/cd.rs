//! Cyclic coordinate descent for the Lasso (Friedman, Hastie and Tibshirani
//! 2010, eq. 5), with active-set cycling and duality-gap stopping.
//!
//! Update with residual r = y − Xw: z = w_j + x_jᵀr/‖x_j‖²,
//! w_j ← sign(z)·max(|z| − Nα/‖x_j‖², 0), r ← r − x_j Δw_j.
//! After every full sweep the relative duality gap of [`super::gap`] is
//! checked; between full sweeps the nonzero coordinates are cycled until
//! their updates become negligible.
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0, 0.0], [0.0, 1.0]];
//! let o = sparsereg::LassoOptions { alpha: 0.1, fit_intercept: false, ..Default::default() };
//! let cd = sparsereg::lasso::cd::coordinate_descent(&x, &[1.0, 0.1], &o, None).unwrap();
//! assert!((cd.coef[0] - 0.8).abs() < 1e-12 && cd.coef[1] == 0.0);
//! ```

use faer::Mat;

use super::gap::{Gap, check_gap_finite, duality_gap};
use crate::LassoOptions;
use crate::error::Result;
use crate::linalg::{axpy, dot, x_w};

/// Maximum number of active-set sweeps between two full sweeps.
const MAX_ACTIVE_SWEEPS: usize = 1000;

/// Coefficients and certificate of a coordinate-descent run.
#[derive(Debug, Clone)]
pub struct CdResult {
    /// Coefficients (on the data passed in).
    pub coef: Vec<f64>,
    /// Objective and duality gap at `coef`.
    pub gap: Gap,
    /// Sweeps done (full and active-set sweeps both count).
    pub epochs: usize,
    /// True when the relative gap reached `tol`.
    pub converged: bool,
}

/// Minimises ‖y − Xw‖²/(2N) + α‖w‖₁ on the given (already centred) data,
/// starting from `warm` or zero. Zero columns keep w_j = 0.
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
    let d = x.ncols();
    let norms2: Vec<f64> = (0..d)
        .map(|j| dot(x.col_as_slice(j), x.col_as_slice(j)))
        .collect();
    let mut w = warm.map_or_else(|| vec![0.0; d], <[f64]>::to_vec);
    let xw = x_w(x, &w);
    let mut r: Vec<f64> = y.iter().zip(&xw).map(|(a, b)| a - b).collect();
    let p0 = dot(y, y) / (2.0 * n);
    let all: Vec<usize> = (0..d).filter(|&j| norms2[j] > 0.0).collect();
    let mut epochs = 0;

    loop {
        sweep(x, &norms2, &all, n * o.alpha, &mut w, &mut r);
        epochs += 1;
        let g = duality_gap(x, y, &r, &w, o.alpha);
        check_gap_finite(&g)?;
        if g.gap_rel <= o.tol || epochs >= o.max_epochs {
            return Ok(CdResult {
                coef: w,
                gap: g,
                epochs,
                converged: g.gap_rel <= o.tol,
            });
        }

        let active: Vec<usize> = all.iter().copied().filter(|&j| w[j] != 0.0).collect();
        let small = 0.01 * o.tol * p0;
        for _ in 0..MAX_ACTIVE_SWEEPS {
            if epochs >= o.max_epochs {
                break;
            }
            let change = sweep(x, &norms2, &active, n * o.alpha, &mut w, &mut r);
            epochs += 1;
            if change <= small {
                break;
            }
        }
    }
}

/// One cyclic pass over `coords`; returns max_j Δw_j²‖x_j‖²/(2N), the largest
/// decrease of the quadratic term a single update made (objective units).
fn sweep(
    x: &Mat<f64>,
    norms2: &[f64],
    coords: &[usize],
    n_alpha: f64,
    w: &mut [f64],
    r: &mut [f64],
) -> f64 {
    let n2 = 2.0 * r.len() as f64;
    let mut max_change = 0.0f64;
    for &j in coords {
        let col = x.col_as_slice(j);
        let z = w[j] + dot(col, r) / norms2[j];
        let shrink = n_alpha / norms2[j];
        let new = z.signum() * (z.abs() - shrink).max(0.0);
        let delta = new - w[j];
        if delta != 0.0 {
            axpy(-delta, col, r);
            w[j] = new;
            max_change = max_change.max(delta * delta * norms2[j] / n2);
        }
    }
    max_change
}
