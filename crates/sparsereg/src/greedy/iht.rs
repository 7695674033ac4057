//! Iterative hard thresholding (Blumensath and Davies 2009, eq. 1.7).
//!
//! w₀ = 0, μ = 1/‖X‖₂², w_{t+1} = H_k(w_t + μXᵀ(y − Xw_t)). Stops when
//! ‖w_{t+1} − w_t‖₂ ≤ tol·max(1, ‖w_t‖₂) or after `max_iter` iterations. With
//! μ ≤ 1/‖X‖₂² the objective ½‖y − Xw‖² never increases (majorisation), which
//! debug builds assert. An optional final OLS refit on the support follows.
//!
//! ```
//! use faer::mat;
//! use sparsereg::{Check, IhtOptions};
//! let x = mat![[1.0, 0.0], [0.0, 1.0]];
//! let o = IhtOptions { k: 1, fit_intercept: false, ..Default::default() }.check().unwrap();
//! let fit = sparsereg::greedy::iht::iht(x.as_ref(), &[0.2, 3.0], &o).unwrap();
//! assert_eq!(fit.support(), vec![1]);
//! ```

use faer::MatRef;

use crate::error::{Error, Result};
use crate::linalg::{center, dot, hard_threshold, norm2, spectral_norm, x_w, xt_v};
use crate::params::{Check, Checked};
use crate::refit::refit_centered;
use crate::solver::{Fit, SparseSolver};
use crate::validate::{check_k, check_shapes};

/// IHT settings.
#[derive(Debug, Clone, PartialEq)]
pub struct IhtOptions {
    /// Sparsity k ≥ 1.
    pub k: usize,
    /// Centre X and y and fit an intercept (default true).
    pub fit_intercept: bool,
    /// Relative step-size tolerance (default 1e-10).
    pub tol: f64,
    /// Iteration limit (default 20 000).
    pub max_iter: usize,
    /// OLS refit on the final support (default true).
    pub refit: bool,
}

impl Default for IhtOptions {
    fn default() -> Self {
        IhtOptions {
            k: 1,
            fit_intercept: true,
            tol: 1e-10,
            max_iter: 20_000,
            refit: true,
        }
    }
}

impl Check for IhtOptions {
    fn validate(&self) -> Result<()> {
        if self.k == 0 {
            return Err(Error::invalid("k", 0, "k must be ≥ 1"));
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(Error::invalid(
                "tol",
                self.tol,
                "tol must be finite and > 0",
            ));
        }
        if self.max_iter == 0 {
            return Err(Error::invalid("max_iter", 0, "max_iter must be ≥ 1"));
        }
        Ok(())
    }
}

/// Runs IHT; see the module documentation.
///
/// # Errors
/// [`Error::InvalidParameter`] when k > d, [`Error::ShapeMismatch`] on
/// mismatched shapes, [`Error::NonFinite`] when the iterate diverges.
pub fn iht(x: MatRef<'_, f64>, y: &[f64], o: &Checked<IhtOptions>) -> Result<Fit> {
    Ok(iht_with_trace(x, y, o)?.0)
}

/// Runs IHT and also returns ‖y − Xw_t‖² for t = 1, 2, … (one value per iteration).
///
/// # Errors
/// As [`iht`].
pub fn iht_with_trace(
    x: MatRef<'_, f64>,
    y: &[f64],
    o: &Checked<IhtOptions>,
) -> Result<(Fit, Vec<f64>)> {
    check_shapes(x, y)?;
    check_k(o.k, x.ncols(), "d")?;
    let c = center(x, y, o.fit_intercept);
    let norm = spectral_norm(&c.x);
    let mu = if norm > 0.0 { 1.0 / (norm * norm) } else { 0.0 };
    let mut w = vec![0.0; c.x.ncols()];
    let mut r = c.y.clone();
    let mut trace = Vec::new();
    let mut converged = false;
    let mut iterations = 0;

    while iterations < o.max_iter {
        let g = xt_v(&c.x, &r);
        let v: Vec<f64> = w.iter().zip(&g).map(|(wj, gj)| wj + mu * gj).collect();
        let w_new = hard_threshold(&v, o.k);
        let xw = x_w(&c.x, &w_new);
        r = c.y.iter().zip(&xw).map(|(a, b)| a - b).collect();
        iterations += 1;
        let objective = dot(&r, &r);
        check_objective(objective, iterations)?;
        debug_assert!(
            trace
                .last()
                .is_none_or(|&prev: &f64| objective <= prev * (1.0 + 1e-10) + 1e-300)
        );
        trace.push(objective);
        let step: f64 = w
            .iter()
            .zip(&w_new)
            .map(|(a, b)| (a - b).powi(2))
            .sum::<f64>()
            .sqrt();
        let scale = norm2(&w).max(1.0);
        w = w_new;
        if step <= o.tol * scale {
            converged = true;
            break;
        }
    }

    let mut warnings = Vec::new();
    if !converged {
        let msg = format!(
            "IHT did not converge in {} iterations; raise max_iter",
            o.max_iter
        );
        tracing::warn!("{msg}");
        warnings.push(msg);
    }
    let fit = Fit {
        method: "iht".into(),
        intercept: c.intercept(&w),
        coef: w,
        converged,
        epochs: iterations,
        warnings,
        ..Fit::default()
    };
    let fit = if o.refit {
        Fit {
            method: "iht".into(),
            ..refit_centered(&c, &fit)
        }
    } else {
        fit
    };
    Ok((fit, trace))
}

fn check_objective(objective: f64, iteration: usize) -> Result<()> {
    if objective.is_finite() {
        return Ok(());
    }
    Err(Error::NonFinite {
        what: "the IHT residual (the iterate diverged)".into(),
        row: iteration,
        col: 0,
        value: objective,
    })
}

/// IHT as a [`SparseSolver`].
#[derive(Debug, Clone)]
pub struct Iht(pub Checked<IhtOptions>);

impl SparseSolver for Iht {
    fn name(&self) -> String {
        "iht".into()
    }

    fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Fit> {
        iht(x, y, &self.0)
    }
}
