//! Ordinary least-squares refit on a selected support (the relaxed Lasso of
//! Meinshausen 2007 with full relaxation) and hard thresholding to k columns.
//!
//! Refit: w_S = argmin ‖y_c − X_{c,S} w_S‖², zero off S, intercept ȳ − x̄ᵀw.
//! Threshold(k): keep the k largest |w_j| (ties to the lower index), then refit.
//! A support with ≥ N columns or dependent columns is not refitted: the fit is
//! returned unchanged with a warning.
//!
//! ```
//! use faer::mat;
//! use sparsereg::{Fit, refit::refit};
//! let x = mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let shrunk = Fit { coef: vec![0.5, 0.0], ..Default::default() };
//! let fit = refit(x.as_ref(), &[2.0, 0.0, 2.0], &shrunk, false).unwrap();
//! assert!((fit.coef[0] - 2.0).abs() < 1e-12);
//! ```

use faer::MatRef;

use crate::error::Result;
use crate::linalg::{Centered, center, top_k};
use crate::qr::Basis;
use crate::solver::Fit;
use crate::validate::check_shapes;

/// OLS coefficients (dense, length d) of the centred data on `cols`, or a
/// warning when the refit is not possible.
pub fn ols_on(c: &Centered, cols: &[usize]) -> std::result::Result<Vec<f64>, String> {
    let n = c.x.nrows();
    if cols.len() >= n {
        return Err(format!(
            "refit skipped: the support has {} columns but N = {n}",
            cols.len()
        ));
    }
    let mut basis = Basis::new(n);
    for &j in cols {
        if !basis.push(j, c.x.col_as_slice(j)) {
            return Err(format!(
                "refit skipped: column {j} is linearly dependent on the other selected columns"
            ));
        }
    }
    let mut w = vec![0.0; c.x.ncols()];
    for (&j, v) in basis.columns.iter().zip(basis.least_squares(&c.y)) {
        w[j] = v;
    }
    Ok(w)
}

/// Replaces the coefficients of `fit` by the OLS refit on its support.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] on mismatched shapes.
pub fn refit(x: MatRef<'_, f64>, y: &[f64], fit: &Fit, fit_intercept: bool) -> Result<Fit> {
    check_shapes(x, y)?;
    let c = center(x, y, fit_intercept);
    Ok(refit_centered(&c, fit))
}

pub(crate) fn refit_centered(c: &Centered, fit: &Fit) -> Fit {
    let mut out = fit.clone();
    match ols_on(c, &fit.support()) {
        Ok(w) => {
            out.intercept = c.intercept(&w);
            out.coef = w;
            out.method = format!("{}+refit", fit.method);
        }
        Err(msg) => {
            tracing::warn!("{msg}");
            out.warnings.push(msg);
        }
    }
    out
}

/// Keeps the `k` largest |w_j| of `fit` (ties to the lower index) and refits.
///
/// # Errors
/// [`crate::Error::ShapeMismatch`] on mismatched shapes.
pub fn threshold(
    x: MatRef<'_, f64>,
    y: &[f64],
    fit: &Fit,
    k: usize,
    fit_intercept: bool,
) -> Result<Fit> {
    check_shapes(x, y)?;
    let c = center(x, y, fit_intercept);
    let mut kept = fit.clone();
    let keep = top_k(&fit.coef, k);
    kept.coef = vec![0.0; fit.coef.len()];
    for j in keep {
        kept.coef[j] = fit.coef[j];
    }
    let mut out = refit_centered(&c, &kept);
    out.method = format!("{}+threshold", fit.method);
    Ok(out)
}
