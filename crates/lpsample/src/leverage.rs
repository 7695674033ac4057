//! Leverage scores τ_i = a_iᵀ(AᵀA)⁺a_i = ‖U_i‖², with τ_i ∈ [0, 1] and Σ τ_i = rank(A).
//!
//! `ColPivQr` and `Svd` read τ from an orthonormal basis U (see [`crate::basis`]),
//! which is right on rank-deficient input. `GramCholesky` factors G = AᵀA = LLᵀ and
//! returns τ_i = ‖L⁻¹a_i‖²; it squares the condition number, so it is used only when
//! the Cholesky succeeds and the condition estimate (max L_kk / min L_kk)² is below
//! 1e10, and otherwise falls back to `ColPivQr` with a log line. `Sketch` is the
//! seeded approximation of [`sketch`] for tall matrices.
//!
//! ```
//! use lpsample::leverage::{leverage_scores, LevMethod};
//!
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let scores = leverage_scores(a.as_ref(), LevMethod::ColPivQr, None).unwrap();
//! assert!((scores.values[0] - 2.0 / 3.0).abs() < 1e-12);
//! assert_eq!(scores.rank, 2);
//! ```

use faer::{MatRef, Side};

use crate::basis::{BasisMethod, orthonormal_basis, row_norms_squared, row_norms_squared_solved};
use crate::error::Result;
use crate::input::check_matrix;

pub mod sketch;

pub use sketch::{SketchOptions, sketched_leverage_scores};

/// Largest condition estimate of AᵀA for which `GramCholesky` is trusted.
pub const GRAM_MAX_CONDITION: f64 = 1e10;

/// Algorithm for leverage scores.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum LevMethod {
    /// Column-pivoted QR basis (default, robust on rank-deficient input).
    #[default]
    ColPivQr,
    /// Thin SVD basis.
    Svd,
    /// Cholesky of the Gram matrix, with fallback to `ColPivQr`.
    GramCholesky,
    /// CountSketch and Gaussian projection (approximate, seeded).
    Sketch(SketchOptions),
}

/// A score vector with the rank of the matrix it belongs to.
#[derive(Debug, Clone)]
pub struct Scores {
    /// One score per row of A.
    pub values: Vec<f64>,
    /// Numerical rank of A.
    pub rank: usize,
}

/// Computes the leverage scores of every row of `a`.
///
/// # Errors
/// The errors of [`orthonormal_basis`] (empty, non-finite or zero input), and
/// for `Sketch` those of [`sketched_leverage_scores`].
pub fn leverage_scores(
    a: MatRef<'_, f64>,
    method: LevMethod,
    rank_tol: Option<f64>,
) -> Result<Scores> {
    let basis_method = match method {
        LevMethod::ColPivQr => BasisMethod::ColPivQr,
        LevMethod::Svd => BasisMethod::Svd,
        LevMethod::GramCholesky => {
            check_matrix(a)?;
            if let Some(scores) = gram_cholesky_scores(a) {
                return Ok(scores);
            }
            tracing::info!("Gram matrix is ill-conditioned; falling back to column-pivoted QR");
            BasisMethod::ColPivQr
        }
        LevMethod::Sketch(options) => return sketched_leverage_scores(a, &options, rank_tol),
    };

    let basis = orthonormal_basis(a, basis_method, rank_tol)?;
    Ok(Scores {
        values: row_norms_squared(basis.u.as_ref()),
        rank: basis.rank,
    })
}

/// Returns τ from G = AᵀA = LLᵀ, or `None` when the Cholesky fails or the
/// condition estimate of G exceeds [`GRAM_MAX_CONDITION`].
fn gram_cholesky_scores(a: MatRef<'_, f64>) -> Option<Scores> {
    let gram = a.transpose() * a;
    let llt = gram.llt(Side::Lower).ok()?;
    let l = llt.L();

    let diag: Vec<f64> = (0..l.nrows()).map(|k| l[(k, k)].abs()).collect();
    let max = diag.iter().copied().fold(0.0, f64::max);
    let min = diag.iter().copied().fold(f64::INFINITY, f64::min);
    let condition = (max / min).powi(2);
    if !(condition.is_finite() && condition < GRAM_MAX_CONDITION) {
        return None;
    }

    let values = row_norms_squared_solved(a, l);
    Some(Scores {
        values,
        rank: a.ncols(),
    })
}
