//! Compressive sampling matching pursuit (Needell and Tropp 2009, Algorithm 1).
//!
//! w₀ = 0, r = y. Each iteration: u = Xᵀr; Ω = the 2k largest |u_j| (ties to
//! the lower index); T = Ω ∪ supp(w); b = least squares of y on X_T (zero off
//! T); w = H_k(b); r = y − Xw. Stops when ‖r‖ ≤ 1e-12‖y‖, when the support
//! repeats and ‖w_new − w‖ ≤ 1e-12·max(1, ‖w‖), or after `max_iter` iterations.
//! Needs 3k ≤ N. An optional final OLS refit on supp(w) follows.
//!
//! ```
//! use faer::mat;
//! use sparsereg::{Check, CosampOptions};
//! let x = mat![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
//! let o = CosampOptions { k: 1, fit_intercept: false, ..Default::default() }.check().unwrap();
//! let fit = sparsereg::greedy::cosamp::cosamp(x.as_ref(), &[0.0, 2.0, 0.0], &o).unwrap();
//! assert_eq!(fit.coef, vec![0.0, 2.0]);
//! ```

use faer::MatRef;

use crate::error::{Error, Result};
use crate::linalg::{center, hard_threshold, norm2, support_of, top_k, x_w, xt_v};
use crate::params::{Check, Checked};
use crate::qr::Basis;
use crate::refit::refit_centered;
use crate::solver::{Fit, SparseSolver};
use crate::validate::{check_k, check_shapes};

/// CoSaMP settings.
#[derive(Debug, Clone, PartialEq)]
pub struct CosampOptions {
    /// Sparsity k ≥ 1, with 3k ≤ N.
    pub k: usize,
    /// Centre X and y and fit an intercept (default true).
    pub fit_intercept: bool,
    /// Iteration limit (default 100).
    pub max_iter: usize,
    /// OLS refit on the final support (default true).
    pub refit: bool,
}

impl Default for CosampOptions {
    fn default() -> Self {
        CosampOptions {
            k: 1,
            fit_intercept: true,
            max_iter: 100,
            refit: true,
        }
    }
}

impl Check for CosampOptions {
    fn validate(&self) -> Result<()> {
        if self.k == 0 {
            return Err(Error::invalid("k", 0, "k must be ≥ 1"));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid("max_iter", 0, "max_iter must be ≥ 1"));
        }
        Ok(())
    }
}

/// Runs CoSaMP; see the module documentation.
///
/// # Errors
/// [`Error::InvalidParameter`] when k > d or 3k > N, [`Error::ShapeMismatch`]
/// on mismatched shapes.
pub fn cosamp(x: MatRef<'_, f64>, y: &[f64], o: &Checked<CosampOptions>) -> Result<Fit> {
    check_shapes(x, y)?;
    check_k(o.k, x.ncols(), "d")?;
    if 3 * o.k > x.nrows() {
        return Err(Error::invalid(
            "k",
            o.k,
            format!(
                "CoSaMP needs 3k ≤ N = {}; choose k ≤ {}",
                x.nrows(),
                x.nrows() / 3
            ),
        ));
    }
    let c = center(x, y, o.fit_intercept);
    let y_norm = norm2(&c.y);
    let mut w = vec![0.0; c.x.ncols()];
    let mut r = c.y.clone();
    let mut warnings = Vec::new();
    let mut converged = false;
    let mut iterations = 0;

    while iterations < o.max_iter {
        iterations += 1;
        let u = xt_v(&c.x, &r);
        let mut merged = top_k(&u, 2 * o.k);
        merged.extend(support_of(&w));
        merged.sort_unstable();
        merged.dedup();
        let b = least_squares_on(&c.x, &c.y, &merged, &mut warnings);
        let w_new = hard_threshold(&b, o.k);
        let xw = x_w(&c.x, &w_new);
        r = c.y.iter().zip(&xw).map(|(a, v)| a - v).collect();
        let step = norm2(&w.iter().zip(&w_new).map(|(a, v)| a - v).collect::<Vec<_>>());
        let same_support = support_of(&w) == support_of(&w_new);
        let scale = norm2(&w).max(1.0);
        w = w_new;
        if norm2(&r) <= 1e-12 * y_norm || (same_support && step <= 1e-12 * scale) {
            converged = true;
            break;
        }
    }

    if !converged {
        warnings.push(format!(
            "CoSaMP did not converge in {} iterations",
            o.max_iter
        ));
    }
    warnings.iter().for_each(|m| tracing::warn!("{m}"));
    let fit = Fit {
        method: "cosamp".into(),
        intercept: c.intercept(&w),
        coef: w,
        converged,
        epochs: iterations,
        warnings,
        ..Fit::default()
    };
    Ok(if o.refit {
        Fit {
            method: "cosamp".into(),
            ..refit_centered(&c, &fit)
        }
    } else {
        fit
    })
}

/// Least squares of y on the columns `cols` (dense result); columns dependent
/// on earlier ones in `cols` get 0 and a warning.
fn least_squares_on(
    x: &faer::Mat<f64>,
    y: &[f64],
    cols: &[usize],
    warnings: &mut Vec<String>,
) -> Vec<f64> {
    let mut basis = Basis::new(x.nrows());
    for &j in cols {
        if !basis.push(j, x.col_as_slice(j)) {
            let msg = format!(
                "column {j} is linearly dependent on the merged support; its coefficient is 0"
            );
            if !warnings.contains(&msg) {
                warnings.push(msg);
            }
        }
    }
    let mut b = vec![0.0; x.ncols()];
    for (&j, v) in basis.columns.iter().zip(basis.least_squares(y)) {
        b[j] = v;
    }
    b
}

/// CoSaMP as a [`SparseSolver`].
#[derive(Debug, Clone)]
pub struct Cosamp(pub Checked<CosampOptions>);

impl SparseSolver for Cosamp {
    fn name(&self) -> String {
        "cosamp".into()
    }

    fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Fit> {
        cosamp(x, y, &self.0)
    }
}
