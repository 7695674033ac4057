//! Sketched leverage scores for tall matrices (Drineas, Magdon-Ismail, Mahoney
//! and Woodruff, "Fast approximation of matrix coherence and statistical
//! leverage", JMLR 2012).
//!
//! 1. A CountSketch S (`rows` × n) maps row i of A to bucket h(i) with sign s(i),
//!    so SA costs one pass over A.
//! 2. Column-pivoted QR of SA gives SAP = QR and the rank r (same rule as
//!    [`crate::basis`]). With B = the first r pivoted columns of A and R₁₁ the
//!    leading r × r block of R, col(B) = col(A).
//! 3. τ̃_i = ‖b_iᵀR₁₁⁻¹Ω‖², with Ω a d × k Gaussian matrix scaled by 1/√k
//!    (Johnson–Lindenstrauss). When k ≥ r the projection saves nothing, so Ω = I
//!    and τ̃_i = ‖b_iᵀR₁₁⁻¹‖².
//!
//! Error: if S is an ε-subspace embedding of col(A), the singular values of
//! BR₁₁⁻¹ lie in [1/(1+ε), 1/(1−ε)], so τ_i/(1+ε)² ≤ ‖b_iᵀR₁₁⁻¹‖² ≤ τ_i/(1−ε)².
//! The Gaussian projection multiplies each score by a χ²_k/k variable (standard
//! deviation √(2/k)). The seed fixes S and Ω, so the scores are reproducible.

use faer::{Mat, MatRef};

use crate::basis::{default_rank_tol, row_norms_squared};
use crate::error::{Error, Result};
use crate::input::check_matrix;
use crate::leverage::Scores;

/// Default number of Gaussian columns k of the projection Ω.
pub const DEFAULT_PROJECTION_COLUMNS: usize = 32;

/// Sizes and seed of the sketch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SketchOptions {
    /// Rows of the CountSketch; `None` uses max(4d², 1000), capped at n.
    pub rows: Option<usize>,
    /// Columns k of the Gaussian projection; k ≥ rank skips the projection.
    pub k: usize,
    /// Seed of the CountSketch hashes, signs and the Gaussian projection.
    pub seed: u64,
}

impl Default for SketchOptions {
    fn default() -> Self {
        Self {
            rows: None,
            k: DEFAULT_PROJECTION_COLUMNS,
            seed: 0,
        }
    }
}

/// Returns the default CountSketch size max(4d², 1000), capped at n.
pub fn default_sketch_rows(n: usize, d: usize) -> usize {
    (4 * d * d).max(1000).min(n)
}

/// Computes approximate leverage scores of `a` by a CountSketch and a Gaussian
/// projection.
///
/// # Errors
/// The errors of [`check_matrix`]; [`Error::InvalidArgument`] when `rows` is
/// below the number of columns or above the number of rows, or k = 0; and
/// [`Error::ZeroMatrix`] when the sketch has rank 0.
pub fn sketched_leverage_scores(
    a: MatRef<'_, f64>,
    options: &SketchOptions,
    rank_tol: Option<f64>,
) -> Result<Scores> {
    check_matrix(a)?;
    let (n, d) = (a.nrows(), a.ncols());
    let rows = options.rows.unwrap_or_else(|| default_sketch_rows(n, d));
    check_options(rows, options.k, n, d)?;

    let sketch = count_sketch(a, rows, options.seed);
    let qr = sketch.col_piv_qr();
    let r = qr.R();
    let tol = rank_tol.unwrap_or_else(|| default_rank_tol(rows, d));
    let scale = r[(0, 0)].abs();
    let rank = (0..d.min(rows))
        .take_while(|&k| r[(k, k)].abs() > tol * scale)
        .count();
    if rank == 0 {
        return Err(Error::ZeroMatrix);
    }

    let pivots = qr.P().arrays().0;
    let basis_columns = Mat::from_fn(n, rank, |i, j| a[(i, pivots[j])]);
    let r11 = r.submatrix(0, 0, rank, rank);
    let values = if options.k >= rank {
        let mut solved = basis_columns.transpose().to_owned();
        r11.transpose()
            .solve_lower_triangular_in_place(solved.as_mut());
        row_norms_squared(solved.transpose())
    } else {
        let mut projection = gaussian_projection(rank, options.k, options.seed);
        r11.solve_upper_triangular_in_place(projection.as_mut());
        row_norms_squared((&basis_columns * &projection).as_ref())
    };
    Ok(Scores { values, rank })
}

fn check_options(rows: usize, k: usize, n: usize, d: usize) -> Result<()> {
    if rows < d || rows > n {
        return Err(Error::InvalidArgument {
            name: "sketch rows",
            value: rows.to_string(),
            rule: "the CountSketch needs at least as many rows as A has columns and at most \
                   as many as A has rows (default max(4d², 1000), capped at n)",
        });
    }
    if k == 0 {
        return Err(Error::InvalidArgument {
            name: "sketch k",
            value: "0".into(),
            rule: "the Gaussian projection needs at least one column (default 32)",
        });
    }
    Ok(())
}

/// Returns SA for a CountSketch S with `rows` rows: row i of A is added with a
/// random sign to a random bucket.
fn count_sketch(a: MatRef<'_, f64>, rows: usize, seed: u64) -> Mat<f64> {
    let mut rng = tape::rng::stream(seed, "countsketch");
    let mut bucket = Vec::with_capacity(a.nrows());
    let mut sign = Vec::with_capacity(a.nrows());
    for _ in 0..a.nrows() {
        bucket.push(tape::rng::below(&mut rng, rows));
        sign.push(if tape::rng::unit(&mut rng) < 0.5 {
            -1.0
        } else {
            1.0
        });
    }

    let mut sketch = Mat::zeros(rows, a.ncols());
    for j in 0..a.ncols() {
        let column = a.col(j);
        let mut target = sketch.col_mut(j);
        for i in 0..a.nrows() {
            target[bucket[i]] += sign[i] * column[i];
        }
    }
    sketch
}

/// Returns a `rank` × k Gaussian matrix scaled by 1/√k.
fn gaussian_projection(rank: usize, k: usize, seed: u64) -> Mat<f64> {
    let mut rng = tape::rng::stream(seed, "leverage-projection");
    tape::rng::normal_mat(&mut rng, rank, k, 1.0 / (k as f64).sqrt())
}
