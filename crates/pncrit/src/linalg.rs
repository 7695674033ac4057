//! Small dense helpers over faer: a Cholesky factor that reports the failing
//! pivot, triangular whitening of row clouds, and a symmetric eigensolver.
//!
//! Whitening maps rows uᵢ to yᵢ = L⁻¹uᵢ with LLᵀ = G, so that uᵢᵀG⁻¹u_j = yᵢᵀy_j.
//! It uses triangular solves, never an explicit inverse.
//!
//! ```
//! use faer::Mat;
//! let g = Mat::from_fn(2, 2, |i, j| if i == j { 4.0 } else { 1.0 });
//! let l = pncrit::linalg::cholesky(g.as_ref(), 1e-12).unwrap();
//! assert!((l[(0, 0)] - 2.0).abs() < 1e-15);
//! ```

use faer::linalg::matmul::matmul;
use faer::linalg::triangular_solve::solve_lower_triangular_in_place;
use faer::{Accum, Mat, MatRef, Par, Side};

/// Computes the lower Cholesky factor L of the symmetric matrix `a` (LLᵀ = a).
///
/// # Errors
///
/// Returns the 0-based index k of the first pivot that is not larger than
/// `rel_tol · a[k,k]` (or not positive): column k is then, to that relative
/// accuracy, a linear combination of columns 0..k.
pub fn cholesky(a: MatRef<'_, f64>, rel_tol: f64) -> Result<Mat<f64>, usize> {
    let p = a.nrows();
    let mut l = Mat::<f64>::zeros(p, p);
    for j in 0..p {
        let mut diag = a[(j, j)];
        for k in 0..j {
            diag -= l[(j, k)] * l[(j, k)];
        }
        if !diag.is_finite() || diag <= rel_tol * a[(j, j)].abs() {
            return Err(j);
        }
        let ljj = diag.sqrt();
        l[(j, j)] = ljj;
        for i in j + 1..p {
            let mut s = a[(i, j)];
            for k in 0..j {
                s -= l[(i, k)] * l[(j, k)];
            }
            l[(i, j)] = s / ljj;
        }
    }
    Ok(l)
}

/// Returns Y = U·L⁻ᵀ, that is row i of Y is L⁻¹uᵢ, by a triangular solve.
pub fn whiten_rows(u: MatRef<'_, f64>, l: MatRef<'_, f64>) -> Mat<f64> {
    let mut yt = u.transpose().to_owned();
    solve_lower_triangular_in_place(l, yt.as_mut(), Par::Seq);
    yt.transpose().to_owned()
}

/// Returns a·b (sequential, so results do not depend on the thread count).
pub fn mul(a: MatRef<'_, f64>, b: MatRef<'_, f64>) -> Mat<f64> {
    let mut c = Mat::<f64>::zeros(a.nrows(), b.ncols());
    matmul(c.as_mut(), Accum::Replace, a, b, 1.0, Par::Seq);
    c
}

/// Returns the eigenvalues (ascending) and eigenvectors (columns) of the
/// symmetric matrix `a`; `None` when the solver does not converge.
pub fn sym_eigen(a: MatRef<'_, f64>) -> Option<(Vec<f64>, Mat<f64>)> {
    let evd = a.self_adjoint_eigen(Side::Lower).ok()?;
    let s = evd.S();
    let values = (0..a.nrows()).map(|i| s[i]).collect();
    Some((values, evd.U().to_owned()))
}

/// Returns the weighted second-moment matrix Σᵢ wᵢ uᵢuᵢᵀ of the rows of `u`.
pub fn weighted_gram(u: MatRef<'_, f64>, w: &[f64]) -> Mat<f64> {
    let scaled = Mat::from_fn(u.nrows(), u.ncols(), |i, j| w[i] * u[(i, j)]);
    mul(u.transpose(), scaled.as_ref())
}

/// Returns the trace of a square matrix.
pub fn trace(a: MatRef<'_, f64>) -> f64 {
    (0..a.nrows()).map(|i| a[(i, i)]).sum()
}
