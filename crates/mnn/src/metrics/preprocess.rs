//! Preprocessing shared by every metric: centre the columns over tokens,
//! C = R − 1μᵀ, then scale each row to unit length, Z_i = C_i / ‖C_i‖₂.
//!
//! Z is never stored by the Matrix Nuclear-Norm path. One streaming pass over
//! row-major R yields the row norms ‖C_i‖² and the column sums Σ_i Z_ij², which
//! is everything that path needs, in O(N + d) extra memory.

use faer::Mat;

use crate::error::Error;

/// Number of independent partial sums in a row's sum of squares. The lanes
/// let the compiler vectorise the reduction, and fixing their number keeps the
/// result identical for every storage order of the input.
const LANES: usize = 8;

/// An element type that widens to f64 without rounding.
pub trait Widen: Copy + Send + Sync {
    fn widen(self) -> f64;
}

impl Widen for f32 {
    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }
}

impl Widen for f64 {
    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
}

/// The result of the streaming pass over R.
#[derive(Debug, Clone)]
pub struct RowPass {
    /// Column means μ_j over all N rows.
    pub means: Vec<f64>,
    /// ‖C_i‖₂² for each row; exactly 0.0 marks a zero row.
    pub row_sq_norms: Vec<f64>,
    /// Σ_i Z_ij² over the non-zero rows: the squared column norms of Z.
    pub col_sq_sums: Vec<f64>,
    /// Number of rows with ‖C_i‖₂ = 0.
    pub zero_rows: usize,
}

/// Computes the column means of row-major `rows` (N × d).
///
/// # Errors
///
/// [`Error::NonFinite`] with the first NaN or infinite entry, and
/// [`Error::Overflow`] when finite entries sum past the f64 range.
pub fn column_means<T: Widen>(rows: &[T], n_rows: usize, n_cols: usize) -> Result<Vec<f64>, Error> {
    let mut sums = vec![0.0f64; n_cols];
    for row in rows.chunks_exact(n_cols) {
        for (sum, &value) in sums.iter_mut().zip(row) {
            *sum += value.widen();
        }
    }

    if sums.iter().any(|sum| !sum.is_finite()) {
        return Err(first_non_finite(rows, n_cols));
    }

    let scale = 1.0 / n_rows as f64;
    Ok(sums.into_iter().map(|sum| sum * scale).collect())
}

/// Runs the streaming pass: means, row norms and the squared column norms of Z.
///
/// # Errors
///
/// As [`column_means`].
pub fn row_pass<T: Widen>(rows: &[T], n_rows: usize, n_cols: usize) -> Result<RowPass, Error> {
    let means = column_means(rows, n_rows, n_cols)?;
    let mut centred = vec![0.0f64; n_cols];
    let mut row_sq_norms = Vec::with_capacity(n_rows);
    let mut col_sq_sums = vec![0.0f64; n_cols];
    let mut zero_rows = 0;

    for row in rows.chunks_exact(n_cols) {
        let sq_norm = centre_row(row, &means, &mut centred);
        row_sq_norms.push(sq_norm);
        if sq_norm == 0.0 {
            zero_rows += 1;
            continue;
        }
        let inv = 1.0 / sq_norm;
        for (sum, &c) in col_sq_sums.iter_mut().zip(&centred) {
            *sum += c * c * inv;
        }
    }

    Ok(RowPass {
        means,
        row_sq_norms,
        col_sq_sums,
        zero_rows,
    })
}

/// Writes C_i = R_i − μ into `out` and returns ‖C_i‖₂².
#[inline]
pub fn centre_row<T: Widen>(row: &[T], means: &[f64], out: &mut [f64]) -> f64 {
    for ((c, &value), &mean) in out.iter_mut().zip(row).zip(means) {
        *c = value.widen() - mean;
    }
    sum_of_squares(out)
}

/// Σ x_k² with a fixed lane structure, so the result does not depend on how
/// the caller obtained `values`.
fn sum_of_squares(values: &[f64]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += x * x;
        }
    }
    let mut total = ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]));
    for &x in tail {
        total += x * x;
    }
    total
}

/// Builds Zᵀ (d × N_eff, so that each token is one contiguous column) from the
/// rows with a non-zero centred norm.
pub fn normalized_rows_transposed<T: Widen>(rows: &[T], n_cols: usize, pass: &RowPass) -> Mat<f64> {
    let n_eff = pass.row_sq_norms.len() - pass.zero_rows;
    let mut zt = Mat::<f64>::zeros(n_cols, n_eff);
    let kept = rows
        .chunks_exact(n_cols)
        .zip(&pass.row_sq_norms)
        .filter(|&(_, &sq_norm)| sq_norm != 0.0);

    for (k, (row, &sq_norm)) in kept.enumerate() {
        let norm = sq_norm.sqrt();
        let mut column = zt.col_mut(k);
        for (j, (&value, &mean)) in row.iter().zip(&pass.means).enumerate() {
            column[j] = (value.widen() - mean) / norm;
        }
    }
    zt
}

fn first_non_finite<T: Widen>(rows: &[T], n_cols: usize) -> Error {
    let position = rows.iter().position(|value| !value.widen().is_finite());
    match position {
        Some(index) => Error::NonFinite {
            row: index / n_cols,
            col: index % n_cols,
            value: rows[index].widen(),
        },
        None => Error::Overflow {
            max_abs: rows
                .iter()
                .map(|value| value.widen().abs())
                .fold(0.0, f64::max),
        },
    }
}
