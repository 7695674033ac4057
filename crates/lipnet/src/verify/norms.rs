//! Spectral norms and the naive product bound.

use crate::effective::Effective;
use crate::error::{Error, Result};
use faer::{Mat, MatRef, Side};

/// Returns ‖X‖₂, the largest singular value, as √λ_max of the smaller Gram matrix.
///
/// # Errors
///
/// [`Error::Decomposition`] when the eigensolver does not converge.
pub fn spectral_norm(x: MatRef<'_, f64>) -> Result<f64> {
    if x.nrows() == 0 || x.ncols() == 0 {
        return Ok(0.0);
    }

    let gram: Mat<f64> = if x.nrows() <= x.ncols() {
        x * x.transpose()
    } else {
        x.transpose() * x
    };
    let eig = gram
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|_| Error::Decomposition {
            what: "symmetric eigenvalue decomposition for a spectral norm",
        })?;
    let max = eig.last().copied().unwrap_or(0.0);
    Ok(max.max(0.0).sqrt())
}

/// Returns ‖A‖₂ + ‖B‖₂ ∏_k ‖C_k‖₂ (sequential networks: ‖B‖₂ ∏‖C_k‖₂).
///
/// # Errors
///
/// [`Error::Decomposition`] when a norm computation fails.
pub fn naive_bound(e: &Effective) -> Result<f64> {
    let mut prod = spectral_norm(e.b.as_ref())?;
    for c in &e.c {
        prod *= spectral_norm(c.as_ref())?;
    }

    let skip = match &e.a {
        Some(a) => spectral_norm(a.as_ref())?,
        None => 0.0,
    };
    Ok(skip + prod)
}
