//! Orthonormal basis U of the column space of A and the numerical rank r.
//!
//! Column-pivoted QR: A P = Q R, r = #{k : |R_kk| > tol·|R_00|}, U = Q[:, :r].
//! SVD: A = U Σ Vᵀ, r = #{k : s_k > tol·s_0}. The default tolerance is
//! tol = max(n, d)·ε_mach, numpy's `matrix_rank` rule. Every score in this
//! crate is invariant under A → AR for invertible R, so the algorithms work
//! on U (derived in the normlab lpsample specification).
//!
//! Unpivoted thin QR must not be used for scores: its Q keeps d orthonormal
//! columns on rank-deficient input, so Σ‖Q_i‖² = d instead of r.
//!
//! ```
//! use lpsample::basis::{orthonormal_basis, BasisMethod};
//!
//! let a = faer::mat![[1.0, 2.0], [2.0, 4.0], [3.0, 6.0]];
//! let basis = orthonormal_basis(a.as_ref(), BasisMethod::ColPivQr, None).unwrap();
//! assert_eq!(basis.rank, 1);
//! ```

use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::traits::pulp::{Arch, Simd, WithSimd};
use faer::{Accum, Mat, MatMut, MatRef, Par};

use crate::error::{Error, Result};
use crate::input::check_matrix;

/// Orthonormal basis of col(A): `u` is n × rank with UᵀU = I.
#[derive(Debug, Clone)]
pub struct Basis {
    /// n × rank matrix with orthonormal columns.
    pub u: Mat<f64>,
    /// Numerical rank of A under the rank tolerance.
    pub rank: usize,
}

/// Factorization used to find the basis.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BasisMethod {
    /// Column-pivoted Householder QR (default).
    #[default]
    ColPivQr,
    /// Thin singular value decomposition.
    Svd,
}

/// Returns the default relative rank tolerance max(n, d)·ε_mach.
pub fn default_rank_tol(rows: usize, cols: usize) -> f64 {
    rows.max(cols) as f64 * f64::EPSILON
}

/// Computes an orthonormal basis of col(A) and its rank.
///
/// `rank_tol` is relative to the largest |R_kk| or singular value; `None`
/// uses [`default_rank_tol`].
///
/// # Errors
/// The errors of [`check_matrix`], [`Error::ZeroMatrix`] when the rank is 0
/// and [`Error::Factorization`] when the SVD fails to converge.
pub fn orthonormal_basis(
    a: MatRef<'_, f64>,
    method: BasisMethod,
    rank_tol: Option<f64>,
) -> Result<Basis> {
    check_matrix(a)?;
    let tol = rank_tol.unwrap_or_else(|| default_rank_tol(a.nrows(), a.ncols()));

    let basis = match method {
        BasisMethod::ColPivQr => col_piv_qr_basis(a, tol),
        BasisMethod::Svd => svd_basis(a, tol)?,
    };
    if basis.rank == 0 {
        return Err(Error::ZeroMatrix);
    }
    Ok(basis)
}

fn col_piv_qr_basis(a: MatRef<'_, f64>, tol: f64) -> Basis {
    let qr = a.col_piv_qr();
    let r = qr.R();
    let diag_len = r.nrows().min(r.ncols());
    let scale = if diag_len > 0 { r[(0, 0)].abs() } else { 0.0 };
    let rank = (0..diag_len)
        .take_while(|&k| r[(k, k)].abs() > tol * scale)
        .count();

    let q = qr.compute_thin_Q();
    Basis {
        u: q.subcols(0, rank).to_owned(),
        rank,
    }
}

fn svd_basis(a: MatRef<'_, f64>, tol: f64) -> Result<Basis> {
    let svd = a
        .thin_svd()
        .map_err(|_| Error::Factorization { what: "SVD" })?;
    let s = svd.S().column_vector();
    let scale = if s.nrows() > 0 { s[0] } else { 0.0 };
    let rank = (0..s.nrows()).filter(|&k| s[k] > tol * scale).count();
    Ok(Basis {
        u: svd.U().subcols(0, rank).to_owned(),
        rank,
    })
}

/// Rows per block in the blocked passes over a tall matrix: a block of 20
/// columns takes 160 kB, so the block products stay in cache instead of
/// writing and rereading an n × d matrix.
pub(crate) const BLOCK_ROWS: usize = 1024;

/// Returns ‖L⁻¹a_i‖² for every row a_i of `a`, with `l` lower triangular and
/// invertible. It forms L⁻ᵀ (d × d) once and multiplies A·L⁻ᵀ one block of
/// [`BLOCK_ROWS`] rows at a time.
pub fn row_norms_squared_solved(a: MatRef<'_, f64>, l: MatRef<'_, f64>) -> Vec<f64> {
    let inverse_t = lower_inverse_transpose(l);
    let mut norms = vec![0.0; a.nrows()];
    let mut block = Mat::<f64>::zeros(BLOCK_ROWS.min(a.nrows()), a.ncols());

    for start in (0..a.nrows()).step_by(BLOCK_ROWS) {
        let rows = BLOCK_ROWS.min(a.nrows() - start);
        let mut product = block.as_mut().subrows_mut(0, rows);
        solve_rows(product.as_mut(), a.subrows(start, rows), inverse_t.as_ref());
        add_row_norms_squared(product.as_ref(), &mut norms[start..start + rows]);
    }
    norms
}

/// Returns L⁻ᵀ (upper triangular) for lower triangular, invertible `l`.
pub(crate) fn lower_inverse_transpose(l: MatRef<'_, f64>) -> Mat<f64> {
    let mut inverse = Mat::<f64>::identity(l.nrows(), l.ncols());
    l.solve_lower_triangular_in_place(inverse.as_mut());
    inverse.transpose().to_owned()
}

/// Writes `rows`·L⁻ᵀ into `dst`, reading only the upper triangle of
/// `inverse_t` = L⁻ᵀ (half the flops of a dense product).
pub(crate) fn solve_rows(dst: MatMut<'_, f64>, rows: MatRef<'_, f64>, inverse_t: MatRef<'_, f64>) {
    triangular::matmul(
        dst,
        BlockStructure::Rectangular,
        Accum::Replace,
        rows,
        BlockStructure::Rectangular,
        inverse_t,
        BlockStructure::TriangularUpper,
        1.0,
        Par::Seq,
    );
}

/// Returns the squared Euclidean norm of every row of `u`.
pub fn row_norms_squared(u: MatRef<'_, f64>) -> Vec<f64> {
    let mut norms = vec![0.0; u.nrows()];
    add_row_norms_squared(u, &mut norms);
    norms
}

/// Adds the squared Euclidean norm of row i of `u` to `norms[i]`.
///
/// Contiguous columns are read as slices, four at a time, in a loop compiled
/// for AVX2 where the CPU has it (pulp's runtime dispatch), and `norms` is
/// written once per four columns.
pub(crate) fn add_row_norms_squared(u: MatRef<'_, f64>, norms: &mut [f64]) {
    let columns: Option<Vec<&[f64]>> = (0..u.ncols())
        .map(|j| u.col(j).try_as_col_major().map(|col| col.as_slice()))
        .collect();
    match columns {
        Some(columns) => Arch::new().dispatch(ColumnSquares {
            columns: &columns,
            norms,
        }),
        None => {
            for j in 0..u.ncols() {
                for (norm, x) in norms.iter_mut().zip(u.col(j).iter()) {
                    *norm += x * x;
                }
            }
        }
    }
}

/// Adds Σ_j columns[j][i]² to `norms[i]`, as a SIMD dispatch target.
struct ColumnSquares<'a> {
    columns: &'a [&'a [f64]],
    norms: &'a mut [f64],
}

impl WithSimd for ColumnSquares<'_> {
    type Output = ();

    #[inline(always)]
    fn with_simd<S: Simd>(self, _simd: S) {
        add_column_squares(self.columns, self.norms);
    }
}

/// Adds Σ_j columns[j][i]² to `norms[i]`; inlined into SIMD dispatch.
#[inline(always)]
fn add_column_squares(columns: &[&[f64]], norms: &mut [f64]) {
    let n = norms.len();
    for group in columns.chunks(4) {
        if let [a, b, c, d] = group {
            let (a, b, c, d) = (&a[..n], &b[..n], &c[..n], &d[..n]);
            for (i, norm) in norms.iter_mut().enumerate() {
                *norm += (a[i] * a[i] + b[i] * b[i]) + (c[i] * c[i] + d[i] * d[i]);
            }
        } else {
            for col in group {
                for (norm, x) in norms.iter_mut().zip(*col) {
                    *norm += x * x;
                }
            }
        }
    }
}
