//! Matrix Entropy: the von Neumann entropy of A = ZᵀZ / N_eff.
//!
//! A is d × d, positive semi-definite, with trace 1 because the rows of Z are
//! unit vectors. With p_i the eigenvalues of A/tr(A), H = −Σ_{p_i > 0} p_i ln p_i
//! in nats, Matrix Entropy is H / ln d and the effective rank is exp(H).
//! Centring removes one rank, so 0 ≤ H ≤ ln min(N_eff − 1, d).

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::{Accum, Mat, MatRef, Par, Side};

use crate::error::Error;
use crate::params::EntropyMethod;

/// Returns the spectrum p of A/tr(A), given Zᵀ (d × N_eff).
///
/// The entries sum to 1 up to rounding and may include tiny negative values
/// from the solver. The order is the solver's.
///
/// # Errors
///
/// [`Error::NoConvergence`] when the eigen- or singular-value solver fails.
pub fn normalized_spectrum(zt: MatRef<'_, f64>, method: EntropyMethod) -> Result<Vec<f64>, Error> {
    let (d, n_eff) = (zt.nrows(), zt.ncols());
    let use_gram = match method {
        EntropyMethod::Auto => n_eff <= d,
        EntropyMethod::Gram => true,
        EntropyMethod::Eigh | EntropyMethod::Svd => false,
    };

    if method == EntropyMethod::Svd {
        return svd_spectrum(zt);
    }
    let scale = 1.0 / n_eff as f64;
    let gram = if use_gram {
        lower_gram(zt.transpose(), scale)
    } else {
        lower_gram(zt, scale)
    };
    let trace = lower_trace(gram.as_ref());
    let eigenvalues =
        gram.self_adjoint_eigenvalues(Side::Lower)
            .map_err(|_| Error::NoConvergence {
                what: "symmetric eigenvalue solver",
                n_rows: gram.nrows(),
                n_cols: gram.ncols(),
            })?;
    Ok(eigenvalues
        .into_iter()
        .map(|lambda| lambda / trace)
        .collect())
}

/// Entropy in nats of a spectrum that sums to 1, ignoring every p ≤ 0.
/// The result is clamped at +0.0: a solver eigenvalue a few ulps above 1
/// would otherwise give a tiny negative entropy, and −0.0 is never returned.
pub fn entropy_nats(spectrum: &[f64]) -> f64 {
    let sum: f64 = spectrum
        .iter()
        .filter(|&&p| p > 0.0)
        .map(|&p| p * p.ln())
        .sum();
    // max may return either zero when −sum is −0.0, and adding +0.0 turns
    // −0.0 into +0.0 without changing any other value.
    (-sum).max(0.0) + 0.0
}

/// Computes the lower triangle (diagonal included) of scale · X Xᵀ. The strict
/// upper triangle stays zero.
fn lower_gram(x: MatRef<'_, f64>, scale: f64) -> Mat<f64> {
    let size = x.nrows();
    let mut gram = Mat::<f64>::zeros(size, size);
    triangular::matmul(
        gram.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        x,
        BlockStructure::Rectangular,
        x.transpose(),
        BlockStructure::Rectangular,
        scale,
        Par::Seq,
    );
    gram
}

fn lower_trace(matrix: MatRef<'_, f64>) -> f64 {
    (0..matrix.nrows()).map(|i| matrix[(i, i)]).sum()
}

/// Singular values of the full d × d matrix A/tr(A), the reference route.
fn svd_spectrum(zt: MatRef<'_, f64>) -> Result<Vec<f64>, Error> {
    let d = zt.nrows();
    let mut a = zt * zt.transpose();
    a *= faer::Scale(1.0 / zt.ncols() as f64);
    let trace = lower_trace(a.as_ref());
    a *= faer::Scale(1.0 / trace);
    a.singular_values().map_err(|_| Error::NoConvergence {
        what: "singular value decomposition",
        n_rows: d,
        n_cols: d,
    })
}
