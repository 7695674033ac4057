//! The exact nuclear norm ‖Z‖_*, for validating the Matrix Nuclear-Norm.
//!
//! Σ_j ‖Z_{:,j}‖₂ ≥ ‖Z‖_* by the triangle inequality over the rank-1 column
//! terms, with equality for mutually orthogonal columns.

use faer::MatRef;

use crate::error::Error;

/// Returns the sum of the singular values of Z, given Zᵀ (d × N_eff).
///
/// # Errors
///
/// [`Error::NoConvergence`] when the singular value decomposition fails.
pub fn nuclear_norm(zt: MatRef<'_, f64>) -> Result<f64, Error> {
    let singular_values = zt.singular_values().map_err(|_| Error::NoConvergence {
        what: "singular value decomposition",
        n_rows: zt.ncols(),
        n_cols: zt.nrows(),
    })?;
    Ok(singular_values.iter().sum())
}
