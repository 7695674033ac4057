//! The Lasso, min_w ‖y − Xw − b‖²/(2N) + α‖w‖₁ (scikit-learn's objective),
//! solved by coordinate descent with a duality-gap certificate; its path and
//! K-fold cross-validation.
//!
//! α_max = ‖X_cᵀy_c‖_∞/N is the smallest α whose solution is 0.
//!
//! ```
//! use faer::mat;
//! use sparsereg::{Check, LassoOptions};
//! let x = mat![[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0]];
//! let y = [2.0, 0.5, -2.0, -0.5];
//! let o = LassoOptions { alpha: 0.1, ..Default::default() }.check().unwrap();
//! let fit = sparsereg::lasso::lasso(x.as_ref(), &y, &o).unwrap();
//! // Orthogonal columns with ‖x_j‖² = 2: w_0 = x_0ᵀy/2 − Nα/2 = 2 − 0.2.
//! assert!((fit.coef[0] - 1.8).abs() < 1e-9);
//! assert!(fit.gap_rel.unwrap() <= 1e-8);
//! ```

pub mod anderson;
pub mod cd;
pub mod cv;
pub mod gap;
pub mod newton;
pub mod path;
pub mod relaxed;
pub mod working_set;

use faer::MatRef;

use crate::error::{Error, Result};
use crate::linalg::{center, dot, xt_v};
use crate::params::{Check, Checked};
use crate::solver::{Fit, SparseSolver};
use crate::validate::check_shapes;

/// Why α = 0 is rejected: the Lasso is then least squares, whose dual
/// feasible set {θ : Xᵀθ = 0} the scaled residual never reaches, so the
/// duality gap stays at ‖r‖²/(2N) and cannot certify convergence.
pub const ZERO_ALPHA_ADVICE: &str = "alpha = 0 is ordinary least squares, which the Lasso's \
     duality-gap certificate cannot check; use a small alpha > 0 with +refit (OLS on the \
     selected columns) or omp/fs with --k";

/// Hyper-parameters of one Lasso fit.
#[derive(Debug, Clone, PartialEq)]
pub struct LassoOptions {
    /// Penalty α > 0 (scikit-learn's `alpha`); α = 0 is rejected, see [`ZERO_ALPHA_ADVICE`].
    pub alpha: f64,
    /// Centre X and y and fit an intercept (default true).
    pub fit_intercept: bool,
    /// Stop at relative duality gap ≤ tol (default 1e-8; scikit-learn's tol t is 2t here).
    pub tol: f64,
    /// Limit on coordinate-descent sweeps (default 100 000).
    pub max_epochs: usize,
}

impl Default for LassoOptions {
    fn default() -> Self {
        LassoOptions {
            alpha: 1.0,
            fit_intercept: true,
            tol: 1e-8,
            max_epochs: 100_000,
        }
    }
}

impl Check for LassoOptions {
    fn validate(&self) -> Result<()> {
        if self.alpha == 0.0 {
            return Err(Error::invalid("alpha", self.alpha, ZERO_ALPHA_ADVICE));
        }
        if !(self.alpha > 0.0 && self.alpha.is_finite()) {
            return Err(Error::invalid(
                "alpha",
                self.alpha,
                "alpha must be finite and > 0",
            ));
        }
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(Error::invalid(
                "tol",
                self.tol,
                "tol must be finite and > 0",
            ));
        }
        if self.max_epochs == 0 {
            return Err(Error::invalid("max_epochs", 0, "max_epochs must be ≥ 1"));
        }
        Ok(())
    }
}

/// α_max = ‖X_cᵀy_c‖_∞/N on the (optionally centred) data.
///
/// # Errors
/// [`Error::ShapeMismatch`] when `y.len() != x.nrows()`.
pub fn alpha_max(x: MatRef<'_, f64>, y: &[f64], fit_intercept: bool) -> Result<f64> {
    check_shapes(x, y)?;
    let c = center(x, y, fit_intercept);
    Ok(alpha_max_centered(&c.x, &c.y))
}

pub(crate) fn alpha_max_centered(x: &faer::Mat<f64>, y: &[f64]) -> f64 {
    let m = xt_v(x, y).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    m / y.len() as f64
}

/// Fits one Lasso; see the module documentation for the objective.
///
/// # Errors
/// [`Error::ShapeMismatch`] on mismatched shapes, [`Error::NonFinite`] when the
/// iterate diverges.
pub fn lasso(x: MatRef<'_, f64>, y: &[f64], o: &Checked<LassoOptions>) -> Result<Fit> {
    check_shapes(x, y)?;
    let c = center(x, y, o.fit_intercept);
    let cd = cd::coordinate_descent(&c.x, &c.y, o, None)?;
    Ok(lasso_fit("lasso", &c, cd, o))
}

pub(crate) fn lasso_fit(
    method: &str,
    c: &crate::linalg::Centered,
    cd: cd::CdResult,
    o: &LassoOptions,
) -> Fit {
    let mut warnings = Vec::new();
    if !cd.converged {
        let msg = format!(
            "Lasso did not converge in {} epochs (relative gap {:.3e} > tol {:.1e}); raise max_epochs",
            cd.epochs, cd.gap.gap_rel, o.tol
        );
        tracing::warn!("{msg}");
        warnings.push(msg);
    }
    let intercept = c.intercept(&cd.coef);
    debug_assert!(dot(&cd.coef, &cd.coef).is_finite());
    Fit {
        method: method.into(),
        intercept,
        coef: cd.coef,
        alpha: Some(o.alpha),
        objective: Some(cd.gap.objective),
        gap_abs: Some(cd.gap.gap_abs),
        gap_rel: Some(cd.gap.gap_rel),
        converged: cd.converged,
        epochs: cd.epochs,
        order: None,
        warnings,
    }
}

/// The Lasso as a [`SparseSolver`].
#[derive(Debug, Clone)]
pub struct Lasso(pub Checked<LassoOptions>);

impl SparseSolver for Lasso {
    fn name(&self) -> String {
        "lasso".into()
    }

    fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Fit> {
        lasso(x, y, &self.0)
    }
}
