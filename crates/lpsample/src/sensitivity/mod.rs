//! ℓp sensitivities σ_i = sup_{Ax ≠ 0} |a_iᵀx|^p / ‖Ax‖_p^p ∈ [0, 1] and the total
//! 𝔖_p = Σ σ_i (Woodruff and Yasuda, "Sharper Bounds for ℓp Sensitivity Sampling",
//! ICML 2023).
//!
//! - [`exact`]: σ_i = 1/OPT_i with OPT_i = min{‖Ux‖_p^p : u_iᵀx = 1}, one Clarabel
//!   program per row on an orthonormal basis U;
//! - [`bounds`]: upper bounds from leverage scores and Lewis weights;
//! - [`total`]: an unbiased importance-sampling estimate of 𝔖_p.
//!
//! ```
//! use lpsample::conic::ConicSettings;
//! use lpsample::sensitivity::{sensitivities, SensMethod};
//!
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let sigma = sensitivities(a.as_ref(), 3.0, SensMethod::Exact, &ConicSettings::default(), None)
//!     .unwrap();
//! assert!((sigma.values[0] - 0.8).abs() < 1e-6);
//! ```

pub mod bounds;
pub mod exact;
pub mod polish;
pub mod total;

use faer::MatRef;

use crate::basis::{BasisMethod, orthonormal_basis};
use crate::conic::ConicSettings;
use crate::error::Result;
use crate::input::check_p;
use crate::leverage::Scores;

pub use exact::{RowSensitivity, exact_sensitivities, sensitivity_of_row};

/// Sensitivity algorithm.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SensMethod {
    /// One convex program per row (exact up to the solver tolerance).
    #[default]
    Exact,
    /// The cheap upper bound of [`bounds::sensitivity_bounds`].
    Bound,
}

/// Computes the ℓp sensitivity (or its upper bound) of every row of `a`.
///
/// # Errors
/// [`crate::Error::InvalidP`], the errors of [`orthonormal_basis`],
/// [`crate::Error::SolverFailed`] for the exact method and the Lewis errors for
/// the bound.
pub fn sensitivities(
    a: MatRef<'_, f64>,
    p: f64,
    method: SensMethod,
    settings: &ConicSettings,
    rank_tol: Option<f64>,
) -> Result<Scores> {
    let p = check_p(p)?;
    let basis = orthonormal_basis(a, BasisMethod::ColPivQr, rank_tol)?;
    let values = match method {
        SensMethod::Exact => exact_sensitivities(&basis, p, settings)?,
        SensMethod::Bound => bounds::sensitivity_bounds(&basis, p)?,
    };
    Ok(Scores {
        values,
        rank: basis.rank,
    })
}
