//! The f32 kernels with AVX2 intrinsics, for scale = 1, the only scale that
//! f32 input receives. Each step widens 8 f32 entries to two vectors of 4
//! f64 and does, per entry, the operations of the portable kernel in the same
//! order. Multiplying by 1.0 is exact, so skipping it keeps the results
//! bit-identical.

use std::arch::x86_64::{
    __m256d, _mm256_add_pd, _mm256_castps256_ps128, _mm256_cvtps_pd, _mm256_extractf128_ps,
    _mm256_loadu_pd, _mm256_loadu_ps, _mm256_mul_pd, _mm256_set1_pd, _mm256_setzero_pd,
    _mm256_storeu_pd, _mm256_sub_pd,
};

use super::{LANES, ROW_BLOCK, join_lanes, portable};

/// Loads row[k..k + 8] widened to f64, as entries k..k+4 and k+4..k+8.
///
/// # Safety
///
/// `k + 8 <= row.len()`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn load_widened(row: &[f32], k: usize) -> (__m256d, __m256d) {
    // SAFETY: the caller guarantees that row[k..k + 8] is in bounds.
    let x = unsafe { _mm256_loadu_ps(row.as_ptr().add(k)) };
    let low = _mm256_cvtps_pd(_mm256_castps256_ps128(x));
    let high = _mm256_cvtps_pd(_mm256_extractf128_ps::<1>(x));
    (low, high)
}

/// Returns x − means[k..k + 4].
///
/// # Safety
///
/// `k + 4 <= means.len()`.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn centre(x: __m256d, means: &[f64], k: usize) -> __m256d {
    // SAFETY: the caller guarantees that means[k..k + 4] is in bounds.
    let mean = unsafe { _mm256_loadu_pd(means.as_ptr().add(k)) };
    _mm256_sub_pd(x, mean)
}

/// Adds the rows of `block` in groups of [`ROW_BLOCK`], so that each
/// load and store of the column sums serves several rows. Per column
/// the rows are still added one after the other, in row order.
#[target_feature(enable = "avx2")]
pub fn add_rows(block: &[f32], sums: &mut [f64]) {
    let n_cols = sums.len();
    let groups = block.chunks_exact(ROW_BLOCK * n_cols);
    let last_rows = groups.remainder();
    for group in groups {
        add_row_group(group, sums);
    }
    for row in last_rows.chunks_exact(n_cols) {
        add_row_group(row, sums);
    }
}

/// Adds every row of `group` (one or more rows of `sums.len()` entries,
/// best [`ROW_BLOCK`]) to `sums`, in row order for each column.
#[inline]
#[target_feature(enable = "avx2")]
fn add_row_group(group: &[f32], sums: &mut [f64]) {
    let n_cols = sums.len();
    let full = n_cols / 8 * 8;
    for k in (0..full).step_by(8) {
        // SAFETY: k + 8 <= full <= n_cols = sums.len(), and every row of
        // the group has n_cols entries.
        unsafe {
            let mut sum_low = _mm256_loadu_pd(sums.as_ptr().add(k));
            let mut sum_high = _mm256_loadu_pd(sums.as_ptr().add(k + 4));
            for row in group.chunks_exact(n_cols) {
                let (low, high) = load_widened(row, k);
                sum_low = _mm256_add_pd(sum_low, low);
                sum_high = _mm256_add_pd(sum_high, high);
            }
            _mm256_storeu_pd(sums.as_mut_ptr().add(k), sum_low);
            _mm256_storeu_pd(sums.as_mut_ptr().add(k + 4), sum_high);
        }
    }
    for row in group.chunks_exact(n_cols) {
        for (sum, &value) in sums[full..].iter_mut().zip(&row[full..]) {
            *sum += f64::from(value);
        }
    }
}

/// Returns ‖row − means‖₂² (see [`Widen::centred_sq_norm`](super::Widen::centred_sq_norm)).
#[target_feature(enable = "avx2")]
pub fn centred_sq_norm(row: &[f32], means: &[f64]) -> f64 {
    assert!(means.len() >= row.len(), "one mean per column");
    let full = row.len() / LANES * LANES;
    let mut lanes_low = _mm256_setzero_pd();
    let mut lanes_high = _mm256_setzero_pd();
    for k in (0..full).step_by(LANES) {
        // SAFETY: k + 8 <= full <= row.len() <= means.len().
        unsafe {
            let (low, high) = load_widened(row, k);
            let c_low = centre(low, means, k);
            let c_high = centre(high, means, k + 4);
            lanes_low = _mm256_add_pd(lanes_low, _mm256_mul_pd(c_low, c_low));
            lanes_high = _mm256_add_pd(lanes_high, _mm256_mul_pd(c_high, c_high));
        }
    }

    let mut lanes = [0.0f64; LANES];
    // SAFETY: `lanes` has room for 8 f64, the two stores of 4.
    unsafe {
        _mm256_storeu_pd(lanes.as_mut_ptr(), lanes_low);
        _mm256_storeu_pd(lanes.as_mut_ptr().add(4), lanes_high);
    }
    portable::finish_sq_norm(join_lanes(&lanes), &row[full..], 1.0, &means[full..])
}

/// Adds one row's normalised squares to `sums` (see [`Widen::add_normalized_squares`](super::Widen::add_normalized_squares)).
#[target_feature(enable = "avx2")]
pub fn add_normalized_squares(row: &[f32], means: &[f64], inv_sq_norm: f64, sums: &mut [f64]) {
    assert!(means.len() >= row.len(), "one mean per column");
    assert!(sums.len() >= row.len(), "one sum per column");
    let full = row.len() / 8 * 8;
    let inv_v = _mm256_set1_pd(inv_sq_norm);
    for k in (0..full).step_by(8) {
        // SAFETY: k + 8 <= full <= row.len() <= means.len(), sums.len().
        unsafe {
            let (low, high) = load_widened(row, k);
            let c_low = centre(low, means, k);
            let c_high = centre(high, means, k + 4);
            let add_low = _mm256_mul_pd(_mm256_mul_pd(c_low, c_low), inv_v);
            let add_high = _mm256_mul_pd(_mm256_mul_pd(c_high, c_high), inv_v);
            let sum_low = _mm256_loadu_pd(sums.as_ptr().add(k));
            let sum_high = _mm256_loadu_pd(sums.as_ptr().add(k + 4));
            _mm256_storeu_pd(sums.as_mut_ptr().add(k), _mm256_add_pd(sum_low, add_low));
            _mm256_storeu_pd(
                sums.as_mut_ptr().add(k + 4),
                _mm256_add_pd(sum_high, add_high),
            );
        }
    }
    portable::add_normalized_squares(
        &row[full..],
        1.0,
        &means[full..],
        inv_sq_norm,
        &mut sums[full..],
    );
}

/// Returns the centred squared norm of each row of a block (see [`centred_sq_norm`]).
#[target_feature(enable = "avx2")]
pub fn centred_sq_norms(rows: &[&[f32]; ROW_BLOCK], means: &[f64]) -> [f64; ROW_BLOCK] {
    let n_cols = rows[0].len();
    assert!(
        rows.iter().all(|row| row.len() == n_cols),
        "rows of equal length"
    );
    assert!(means.len() >= n_cols, "one mean per column");
    let full = n_cols / LANES * LANES;
    let mut lanes_low = [_mm256_setzero_pd(); ROW_BLOCK];
    let mut lanes_high = [_mm256_setzero_pd(); ROW_BLOCK];
    for k in (0..full).step_by(LANES) {
        for (r, row) in rows.iter().enumerate() {
            // SAFETY: k + 8 <= full <= n_cols = row.len() <= means.len().
            unsafe {
                let (low, high) = load_widened(row, k);
                let c_low = centre(low, means, k);
                let c_high = centre(high, means, k + 4);
                lanes_low[r] = _mm256_add_pd(lanes_low[r], _mm256_mul_pd(c_low, c_low));
                lanes_high[r] = _mm256_add_pd(lanes_high[r], _mm256_mul_pd(c_high, c_high));
            }
        }
    }

    std::array::from_fn(|r| {
        let mut lanes = [0.0f64; LANES];
        // SAFETY: `lanes` has room for 8 f64, the two stores of 4.
        unsafe {
            _mm256_storeu_pd(lanes.as_mut_ptr(), lanes_low[r]);
            _mm256_storeu_pd(lanes.as_mut_ptr().add(4), lanes_high[r]);
        }
        let total = join_lanes(&lanes);
        portable::finish_sq_norm(total, &rows[r][full..], 1.0, &means[full..])
    })
}

/// Adds the normalised squares of each row of a block to `sums`, row after
/// row for each column (see [`add_normalized_squares`]).
#[target_feature(enable = "avx2")]
pub fn add_normalized_squares_block(
    rows: &[&[f32]; ROW_BLOCK],
    means: &[f64],
    inv_sq_norms: [f64; ROW_BLOCK],
    sums: &mut [f64],
) {
    let n_cols = rows[0].len();
    assert!(
        rows.iter().all(|row| row.len() == n_cols),
        "rows of equal length"
    );
    assert!(means.len() >= n_cols, "one mean per column");
    assert!(sums.len() >= n_cols, "one sum per column");
    let full = n_cols / 8 * 8;
    let inv_v = inv_sq_norms.map(|inv| _mm256_set1_pd(inv));
    for k in (0..full).step_by(8) {
        // SAFETY: k + 8 <= full <= n_cols <= means.len(), sums.len(), and
        // every row has n_cols entries.
        unsafe {
            let mut sum_low = _mm256_loadu_pd(sums.as_ptr().add(k));
            let mut sum_high = _mm256_loadu_pd(sums.as_ptr().add(k + 4));
            for (row, inv) in rows.iter().zip(&inv_v) {
                let (low, high) = load_widened(row, k);
                let c_low = centre(low, means, k);
                let c_high = centre(high, means, k + 4);
                sum_low = _mm256_add_pd(sum_low, _mm256_mul_pd(_mm256_mul_pd(c_low, c_low), *inv));
                sum_high =
                    _mm256_add_pd(sum_high, _mm256_mul_pd(_mm256_mul_pd(c_high, c_high), *inv));
            }
            _mm256_storeu_pd(sums.as_mut_ptr().add(k), sum_low);
            _mm256_storeu_pd(sums.as_mut_ptr().add(k + 4), sum_high);
        }
    }
    for (row, inv_sq_norm) in rows.iter().zip(inv_sq_norms) {
        portable::add_normalized_squares(
            &row[full..],
            1.0,
            &means[full..],
            inv_sq_norm,
            &mut sums[full..],
        );
    }
}

/// Adds the normalised squares of the `previous` block to `sums` and returns
/// the centred squared norms of the `next` block, in one sweep over the
/// columns. The additions to `sums` happen in the same order as in
/// [`add_normalized_squares_block`], and the norms equal those of
/// [`centred_sq_norms`]. The arithmetic on the previous block, whose rows
/// are in cache, overlaps the loads of the next block from memory.
#[target_feature(enable = "avx2")]
pub fn add_block_then_norms(
    previous: &[&[f32]; ROW_BLOCK],
    inv_sq_norms: [f64; ROW_BLOCK],
    next: &[&[f32]; ROW_BLOCK],
    means: &[f64],
    sums: &mut [f64],
) -> [f64; ROW_BLOCK] {
    let n_cols = next[0].len();
    let all_rows = previous.iter().chain(next);
    assert!(
        all_rows.clone().all(|row| row.len() == n_cols),
        "rows of equal length"
    );
    assert!(means.len() >= n_cols, "one mean per column");
    assert!(sums.len() >= n_cols, "one sum per column");
    let full = n_cols / LANES * LANES;
    let inv_v = inv_sq_norms.map(|inv| _mm256_set1_pd(inv));
    let mut lanes_low = [_mm256_setzero_pd(); ROW_BLOCK];
    let mut lanes_high = [_mm256_setzero_pd(); ROW_BLOCK];
    for k in (0..full).step_by(LANES) {
        // SAFETY: k + 8 <= full <= n_cols <= means.len(), sums.len(), and
        // every row has n_cols entries.
        unsafe {
            let mut sum_low = _mm256_loadu_pd(sums.as_ptr().add(k));
            let mut sum_high = _mm256_loadu_pd(sums.as_ptr().add(k + 4));
            for (row, inv) in previous.iter().zip(&inv_v) {
                let (low, high) = load_widened(row, k);
                let c_low = centre(low, means, k);
                let c_high = centre(high, means, k + 4);
                sum_low = _mm256_add_pd(sum_low, _mm256_mul_pd(_mm256_mul_pd(c_low, c_low), *inv));
                sum_high =
                    _mm256_add_pd(sum_high, _mm256_mul_pd(_mm256_mul_pd(c_high, c_high), *inv));
            }
            _mm256_storeu_pd(sums.as_mut_ptr().add(k), sum_low);
            _mm256_storeu_pd(sums.as_mut_ptr().add(k + 4), sum_high);

            for (r, row) in next.iter().enumerate() {
                let (low, high) = load_widened(row, k);
                let c_low = centre(low, means, k);
                let c_high = centre(high, means, k + 4);
                lanes_low[r] = _mm256_add_pd(lanes_low[r], _mm256_mul_pd(c_low, c_low));
                lanes_high[r] = _mm256_add_pd(lanes_high[r], _mm256_mul_pd(c_high, c_high));
            }
        }
    }

    for (row, inv_sq_norm) in previous.iter().zip(inv_sq_norms) {
        portable::add_normalized_squares(
            &row[full..],
            1.0,
            &means[full..],
            inv_sq_norm,
            &mut sums[full..],
        );
    }
    std::array::from_fn(|r| {
        let mut lanes = [0.0f64; LANES];
        // SAFETY: `lanes` has room for 8 f64, the two stores of 4.
        unsafe {
            _mm256_storeu_pd(lanes.as_mut_ptr(), lanes_low[r]);
            _mm256_storeu_pd(lanes.as_mut_ptr().add(4), lanes_high[r]);
        }
        let total = join_lanes(&lanes);
        portable::finish_sq_norm(total, &next[r][full..], 1.0, &means[full..])
    })
}
