//! Cheap upper bounds on ℓp sensitivities from leverage scores τ and Lewis
//! weights w. They are derived in the normlab lpsample specification and checked
//! against exact sensitivities in the property tests:
//! - p ≤ 2: σ_i ≤ min(1, w_i, τ_i^{p/2}), hence 𝔖_p ≤ r;
//! - p > 2: σ_i ≤ min(1, r^{p/2−1} w_i), hence 𝔖_p ≤ r^{p/2}.
//!
//! Proof sketch: with x = Ry and W^{1/2−1/p}AR orthonormal, |a_iᵀx| ≤ w_i^{1/p}‖y‖₂,
//! and Hölder gives ‖y‖₂^p ≤ ‖Ax‖_p^p for p ≤ 2 and ‖y‖₂² ≤ r^{1−2/p}‖Ax‖_p² for p ≥ 2.
//!
//! ```
//! use lpsample::basis::{orthonormal_basis, BasisMethod};
//! use lpsample::sensitivity::bounds::sensitivity_bounds;
//!
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let basis = orthonormal_basis(a.as_ref(), BasisMethod::ColPivQr, None).unwrap();
//! let bound = sensitivity_bounds(&basis, 1.0).unwrap();
//! assert!(bound[0] >= 0.5);
//! ```

use crate::basis::{Basis, row_norms_squared};
use crate::error::Result;
use crate::lewis::{LewisOptions, lewis_weights_of_basis};

/// Returns the upper bound of every σ_i. `p` must already be checked.
///
/// # Errors
/// The Lewis iteration errors ([`crate::Error::LewisDiverged`],
/// [`crate::Error::LewisNotConverged`]).
pub fn sensitivity_bounds(basis: &Basis, p: f64) -> Result<Vec<f64>> {
    let lewis_params = LewisOptions::new(p).check()?;
    let lewis = lewis_weights_of_basis(basis, &lewis_params)?.weights;

    if p <= 2.0 {
        let leverage = row_norms_squared(basis.u.as_ref());
        let bound = leverage
            .iter()
            .zip(&lewis)
            .map(|(tau, w)| 1f64.min(*w).min(tau.powf(0.5 * p)))
            .collect();
        return Ok(bound);
    }

    let factor = (basis.rank as f64).powf(0.5 * p - 1.0);
    Ok(lewis.iter().map(|w| 1f64.min(factor * w)).collect())
}
