//! Preprocessing shared by every metric: centre the columns over tokens,
//! C = R − 1μᵀ, then scale each row to unit length, Z_i = C_i / ‖C_i‖₂.
//!
//! Z is never stored by the Matrix Nuclear-Norm path. Two streaming passes
//! over row-major R, the first for μ and the second for the row norms ‖C_i‖²
//! and the column sums Σ_i Z_ij², yield everything that path needs, in
//! O(N + d) extra memory. The inner loops live in
//! [`row_kernels`](crate::metrics::row_kernels).

use faer::Mat;

use crate::error::Error;
pub use crate::metrics::row_kernels::Widen;
use crate::metrics::row_kernels::{ROW_BLOCK, add_rows_tracking_max, sum_of_squares};

/// The result of the streaming pass over R.
#[derive(Debug, Clone)]
pub struct RowPass {
    /// Power of two that every entry of R is multiplied by before any other
    /// arithmetic: 1.0 unless the largest |entry| is outside [1e-120, 1e120],
    /// otherwise the factor that maps it into [1, 2). The metrics are scale
    /// invariant and a power-of-two factor is exact, so this only keeps sums
    /// of squares away from f64 overflow and underflow.
    pub scale: f64,
    /// Column means μ_j over all N rows, of the scaled entries.
    pub means: Vec<f64>,
    /// ‖C_i‖₂² of the scaled rows, set to exactly 0.0 for a zero row (see
    /// [`is_zero_centred_row`]).
    pub row_sq_norms: Vec<f64>,
    /// Σ_i Z_ij² over the non-zero rows: the squared column norms of Z.
    pub col_sq_sums: Vec<f64>,
    /// Number of zero rows.
    pub zero_rows: usize,
}

/// Bound of the range [1/SAFE_MAX_ABS, SAFE_MAX_ABS] of the largest |entry|
/// that needs no scaling. Inside it, a row's sum of d squared centred entries
/// cannot overflow f64 for d < 2²⁰⁰, and the square of the largest entry is
/// far from the subnormal range.
const SAFE_MAX_ABS: f64 = 1.0e120;

/// Chooses the power of two 2^k applied to every entry, given the largest
/// |entry|: 1.0 inside the safe range, otherwise the factor that maps
/// `max_abs` into [1, 2), or for subnormal `max_abs` below 2^-1023 the
/// largest finite power of two, 2^1023, which maps it into [2^-51, 1).
fn power_of_two_scale(max_abs: f64) -> f64 {
    if max_abs == 0.0 || (1.0 / SAFE_MAX_ABS..=SAFE_MAX_ABS).contains(&max_abs) {
        return 1.0;
    }

    // log2 of a finite positive f64 lies in [-1074, 1024), and its floor is
    // exact for powers of two, so max_abs · 2^-floor(log2 max_abs) ∈ [1, 2).
    // The factor itself must stay finite, hence the cap at 2^1023.
    let exponent = max_abs.log2().floor() as i32;
    power_of_two((-exponent).min(f64::MAX_EXP - 1))
}

/// 2^k for k in [-1100, 1100], split in two factors so that neither
/// overflows or underflows.
fn power_of_two(k: i32) -> f64 {
    let half = k / 2;
    2.0f64.powi(half) * 2.0f64.powi(k - half)
}

/// Returns true when a centred row counts as a zero row.
///
/// Centring subtracts the column means, which carry rounding errors of up to
/// about 16 ulps from the blocked summation of the column sums. So a row equal
/// to the means (for example one of several identical rows) leaves noise of
/// order ε·‖R_i‖₂ rather than exact zeros, and normalising it would score pure
/// rounding error. This tolerance, ‖C_i‖₂ ≤ 64·ε·‖R_i‖₂ (64·ε ≈ 1.4e-14),
/// was chosen by us: it is above that rounding error with margin, while a
/// row that differs from the means by 1e-13 of its norm is still scored. The
/// reference implementations flag only exact zeros.
pub fn is_zero_centred_row(centred_sq_norm: f64, row_sq_norm: f64) -> bool {
    centred_sq_norm <= ZERO_ROW_TOLERANCE * ZERO_ROW_TOLERANCE * row_sq_norm
}

/// Relative tolerance t of [`is_zero_centred_row`]: ‖C_i‖₂ ≤ t·‖R_i‖₂.
const ZERO_ROW_TOLERANCE: f64 = 64.0 * f64::EPSILON;

/// Computes the column means of row-major `rows` (N × d), each entry first
/// multiplied by a power of two that keeps later sums of squares in range,
/// and returns them with that factor.
///
/// # Errors
///
/// [`Error::NonFinite`] with the first NaN or infinite entry.
pub fn column_means<T: Widen>(
    rows: &[T],
    n_rows: usize,
    n_cols: usize,
) -> Result<(Vec<f64>, f64), Error> {
    let (mut sums, max_abs) = column_sums(rows, n_cols, 1.0);
    if !max_abs.is_finite() {
        return Err(first_non_finite(rows, n_cols));
    }
    let scale = power_of_two_scale(max_abs);
    if scale != 1.0 {
        sums = column_sums(rows, n_cols, scale).0;
    }

    // With |scale·entry| < 2 or ≤ SAFE_MAX_ABS, only a NaN entry makes a sum
    // non-finite. An f32 entry is at most 3.5e38, so an f32 sum is non-finite
    // only when some entry is NaN or infinite.
    if sums.iter().any(|sum| !sum.is_finite()) {
        return Err(first_non_finite(rows, n_cols));
    }

    let inv_n = 1.0 / n_rows as f64;
    let means = sums.into_iter().map(|sum| sum * inv_n).collect();
    Ok((means, scale))
}

/// Rows summed naively before their block sum joins the compensated total.
/// The naive part errs by at most about 16 ulps of the block's entries.
const SUM_BLOCK_ROWS: usize = 16;

/// Returns the column sums of scale·R and the largest |scale·entry|, or 0.0
/// for the largest entry when `T` never needs scaling.
///
/// Blocks of [`SUM_BLOCK_ROWS`] rows are summed naively, and the block sums
/// are added by compensated summation, so each sum stays within about 16 ulps
/// of its entries' magnitude for any N. The zero-row tolerance of
/// [`is_zero_centred_row`] relies on that.
fn column_sums<T: Widen>(rows: &[T], n_cols: usize, scale: f64) -> (Vec<f64>, f64) {
    let mut sums = vec![0.0f64; n_cols];
    let mut compensations = vec![0.0f64; n_cols];
    let mut block_sums = vec![0.0f64; n_cols];
    let mut col_max_abs = vec![0.0f64; n_cols];
    for block in rows.chunks(SUM_BLOCK_ROWS * n_cols) {
        block_sums.fill(0.0);
        if T::MAY_NEED_SCALING {
            add_rows_tracking_max(block, scale, &mut block_sums, &mut col_max_abs);
        } else {
            T::add_rows(block, scale, &mut block_sums);
        }
        add_compensated(&mut sums, &mut compensations, &block_sums);
    }

    for (sum, compensation) in sums.iter_mut().zip(&compensations) {
        *sum += compensation;
    }
    let max_abs = col_max_abs.into_iter().fold(0.0f64, f64::max);
    (sums, max_abs)
}

/// Adds `values` to `sums`, accumulating each rounding error in
/// `compensations` by Knuth's branch-free TwoSum.
fn add_compensated(sums: &mut [f64], compensations: &mut [f64], values: &[f64]) {
    let columns = sums.iter_mut().zip(compensations.iter_mut()).zip(values);
    for ((sum, compensation), &x) in columns {
        let total = *sum + x;
        let x_part = total - *sum;
        *compensation += (*sum - (total - x_part)) + (x - x_part);
        *sum = total;
    }
}

/// Runs the streaming pass: means, row norms and the squared column norms of Z.
///
/// # Errors
///
/// As [`column_means`].
pub fn row_pass<T: Widen>(rows: &[T], n_rows: usize, n_cols: usize) -> Result<RowPass, Error> {
    let (means, scale) = column_means(rows, n_rows, n_cols)?;
    let mut row_sq_norms = Vec::with_capacity(n_rows);
    let mut col_sq_sums = vec![0.0f64; n_cols];
    let mut zero_rows = 0;

    // ‖R_i‖ ≤ ‖C_i‖ + ‖μ‖, so a row can be within the zero-row tolerance only
    // when ‖C_i‖ ≤ t/(1 − t)·‖μ‖. Only such rows need their uncentred norm.
    let tolerance = ZERO_ROW_TOLERANCE / (1.0 - ZERO_ROW_TOLERANCE);
    let candidate_sq_norm = tolerance * tolerance * sum_of_squares(&means);

    let is_zero = |row: &[T], sq_norm: f64| {
        sq_norm == 0.0
            || (sq_norm <= candidate_sq_norm
                && is_zero_centred_row(sq_norm, scaled_sq_norm(row, scale)))
    };

    // Blocks of ROW_BLOCK rows go through the block kernels, one block
    // behind: the sweep that adds block b to the column sums also computes
    // the norms of block b + 1.
    let blocks = rows.chunks_exact(ROW_BLOCK * n_cols);
    let last_rows = blocks.remainder();
    let blocks: Vec<[&[T]; ROW_BLOCK]> = blocks
        .map(|block| std::array::from_fn(|r| &block[r * n_cols..(r + 1) * n_cols]))
        .collect();
    let mut sq_norms = match blocks.first() {
        Some(first) => T::centred_sq_norms(first, scale, &means),
        None => [0.0; ROW_BLOCK],
    };
    for (b, block) in blocks.iter().enumerate() {
        let mut inv_sq_norms = [0.0; ROW_BLOCK];
        for ((row, sq_norm), inv) in block.iter().zip(sq_norms).zip(&mut inv_sq_norms) {
            if is_zero(row, sq_norm) {
                row_sq_norms.push(0.0);
                zero_rows += 1;
            } else {
                row_sq_norms.push(sq_norm);
                *inv = 1.0 / sq_norm;
            }
        }

        let sums = &mut col_sq_sums;
        sq_norms = match blocks.get(b + 1) {
            Some(next) => T::add_block_then_norms(block, inv_sq_norms, next, scale, &means, sums),
            None => {
                T::add_normalized_squares_block(block, scale, &means, inv_sq_norms, sums);
                [0.0; ROW_BLOCK]
            }
        };
    }

    for row in last_rows.chunks_exact(n_cols) {
        let sq_norm = T::centred_sq_norm(row, scale, &means);
        if is_zero(row, sq_norm) {
            row_sq_norms.push(0.0);
            zero_rows += 1;
            continue;
        }
        row_sq_norms.push(sq_norm);
        T::add_normalized_squares(row, scale, &means, 1.0 / sq_norm, &mut col_sq_sums);
    }

    Ok(RowPass {
        scale,
        means,
        row_sq_norms,
        col_sq_sums,
        zero_rows,
    })
}

/// ‖scale·R_i‖₂², the uncentred squared norm of a row.
fn scaled_sq_norm<T: Widen>(row: &[T], scale: f64) -> f64 {
    let scaled: Vec<f64> = row.iter().map(|&value| value.widen() * scale).collect();
    sum_of_squares(&scaled)
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
            column[j] = (value.widen() * pass.scale - mean) / norm;
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
