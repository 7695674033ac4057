//! Lasso objective and duality gap (the certificate of scikit-learn's
//! coordinate descent, written in relative form).
//!
//! P(w) = ‖r‖²/(2N) + α‖w‖₁ with r = y − Xw. With s = min(1, Nα/‖Xᵀr‖_∞),
//! D = (s·rᵀy − ½s²‖r‖²)/N, gap = P(w) − D ≥ 0 and relative gap = gap/P(0),
//! P(0) = ‖y‖²/(2N) (derived in the normlab sparsereg specification, §2.5).
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0], [0.0]];
//! // At α ≥ α_max the zero vector is optimal: the gap is 0.
//! let g = sparsereg::lasso::gap::duality_gap(&x, &[1.0, 0.0], &[1.0, 0.0], &[0.0], 1.0);
//! assert_eq!(g.gap_abs, 0.0);
//! ```

use faer::Mat;

use crate::error::{Error, Result};
use crate::linalg::{dot, xt_v};

/// Objective and duality gap of one iterate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Gap {
    /// P(w).
    pub objective: f64,
    /// P(w) − D(θ).
    pub gap_abs: f64,
    /// gap / P(0), or 0 when P(0) = 0.
    pub gap_rel: f64,
}

/// Computes P(w) and the duality gap from the residual `r = y − Xw`.
pub fn duality_gap(x: &Mat<f64>, y: &[f64], r: &[f64], w: &[f64], alpha: f64) -> Gap {
    let xtr_max = xt_v(x, r).iter().fold(0.0f64, |m, v| m.max(v.abs()));
    let l1: f64 = w.iter().map(|v| v.abs()).sum();
    gap_from_parts(y, r, l1, xtr_max, alpha)
}

/// Computes P(w) and the duality gap from r = y − Xw, ‖w‖₁ and ‖Xᵀr‖_∞.
/// With ‖X_Wᵀr‖_∞ over a column subset W it is the gap of the Lasso
/// restricted to W.
pub fn gap_from_parts(y: &[f64], r: &[f64], l1: f64, xtr_max: f64, alpha: f64) -> Gap {
    let n = y.len() as f64;
    let rr = dot(r, r);
    let objective = rr / (2.0 * n) + alpha * l1;
    let s = dual_scale(xtr_max, n * alpha);
    let dual = (s * dot(r, y) - 0.5 * s * s * rr) / n;
    let gap_abs = objective - dual;
    let p0 = dot(y, y) / (2.0 * n);
    let gap_rel = if p0 > 0.0 { gap_abs / p0 } else { 0.0 };
    Gap {
        objective,
        gap_abs,
        gap_rel,
    }
}

/// s = min(1, Nα/‖Xᵀr‖_∞): the factor that makes s·r/(Nα) dual feasible.
pub fn dual_scale(xtr_max: f64, n_alpha: f64) -> f64 {
    if xtr_max > 0.0 {
        (n_alpha / xtr_max).min(1.0)
    } else {
        1.0
    }
}

/// Fails with [`Error::NonFinite`] when the objective or the gap is NaN or infinite.
///
/// # Errors
/// [`Error::NonFinite`] naming the quantity.
pub fn check_gap_finite(g: &Gap) -> Result<()> {
    for (i, v) in [g.objective, g.gap_abs].into_iter().enumerate() {
        if !v.is_finite() {
            return Err(Error::NonFinite {
                what: "the Lasso objective/gap (the iterate diverged)".into(),
                row: i,
                col: 0,
                value: v,
            });
        }
    }
    Ok(())
}
