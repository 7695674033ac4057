//! Inner loops of the streaming preprocessing pass, in plain Rust and, for
//! f32 rows on x86-64, with AVX2 intrinsics.
//!
//! Every kernel has a fixed order of operations: column sums add the rows one
//! after the other, and a row's sum of squares runs in [`LANES`] partial sums
//! joined in a fixed tree. The AVX2 kernels, chosen at run time when the CPU
//! supports AVX2, do the same operations in the same order on four f64 values
//! at a time and use no fused multiply-add, so they return the same bits as
//! the portable ones. They also handle [`ROW_BLOCK`] rows per sweep, so that
//! each load of the means and column sums serves several rows.
//!
//! ```
//! use mnn::metrics::row_kernels::centred_sq_norm;
//!
//! let row = [1.0f32, 2.0, 3.0];
//! let means = [1.0, 1.0, 1.0];
//! assert_eq!(centred_sq_norm(&row, 1.0, &means), 5.0);
//! ```

/// Number of independent partial sums in a row's sum of squares. The lanes
/// let the compiler vectorise the reduction, and fixing their number keeps the
/// result identical for every storage order of the input.
pub const LANES: usize = 8;

/// Rows handled together by the block kernels. Each pass over `means` and
/// the column sums then serves this many rows, and the independent
/// per-row sums keep more additions in flight.
pub const ROW_BLOCK: usize = 4;

/// An element type that widens to f64 without rounding, with the inner loops
/// of the streaming pass for rows of that type.
///
/// The provided methods are the portable kernels. The f32 implementation
/// replaces the three hot ones by AVX2 kernels on CPUs that have AVX2, with
/// bit-identical results.
pub trait Widen: Copy + Send + Sync {
    /// Whether some finite values of this type lie outside the range that
    /// needs no power-of-two scaling (see the preprocessing module). When
    /// false, the first pass skips tracking the largest |entry|.
    const MAY_NEED_SCALING: bool;

    fn widen(self) -> f64;

    /// Adds every row of the row-major `block` (rows of `sums.len()`
    /// entries), each entry multiplied by `scale`, to the column sums `sums`.
    fn add_rows(block: &[Self], scale: f64, sums: &mut [f64]) {
        portable::add_rows(block, scale, sums);
    }

    /// Returns ‖scale·row − means‖₂², the squared norm of the centred row,
    /// summed in [`LANES`] partial sums.
    fn centred_sq_norm(row: &[Self], scale: f64, means: &[f64]) -> f64 {
        portable::centred_sq_norm(row, scale, means)
    }

    /// Adds (scale·row_j − means_j)² · `inv_sq_norm` to `sums[j]` for every
    /// column j: one row's contribution to the squared column norms of Z.
    fn add_normalized_squares(
        row: &[Self],
        scale: f64,
        means: &[f64],
        inv_sq_norm: f64,
        sums: &mut [f64],
    ) {
        portable::add_normalized_squares(row, scale, means, inv_sq_norm, sums);
    }

    /// Returns [`Widen::centred_sq_norm`] of each row of a block.
    fn centred_sq_norms(
        rows: &[&[Self]; ROW_BLOCK],
        scale: f64,
        means: &[f64],
    ) -> [f64; ROW_BLOCK] {
        rows.map(|row| Self::centred_sq_norm(row, scale, means))
    }

    /// Runs [`Widen::add_normalized_squares`] for each row of a block in
    /// order, with that row's entry of `inv_sq_norms`. An entry of 0.0 adds
    /// exactly +0.0 for its row, which leaves every sum unchanged.
    fn add_normalized_squares_block(
        rows: &[&[Self]; ROW_BLOCK],
        scale: f64,
        means: &[f64],
        inv_sq_norms: [f64; ROW_BLOCK],
        sums: &mut [f64],
    ) {
        for (row, inv_sq_norm) in rows.iter().zip(inv_sq_norms) {
            Self::add_normalized_squares(row, scale, means, inv_sq_norm, sums);
        }
    }
}

impl Widen for f32 {
    // Every non-zero finite f32 lies within [1.4e-45, 3.5e38].
    const MAY_NEED_SCALING: bool = false;

    #[inline(always)]
    fn widen(self) -> f64 {
        f64::from(self)
    }

    fn add_rows(block: &[f32], scale: f64, sums: &mut [f64]) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::add_rows(block, scale, sums) };
        }
        portable::add_rows(block, scale, sums);
    }

    fn centred_sq_norm(row: &[f32], scale: f64, means: &[f64]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::centred_sq_norm(row, scale, means) };
        }
        portable::centred_sq_norm(row, scale, means)
    }

    fn add_normalized_squares(
        row: &[f32],
        scale: f64,
        means: &[f64],
        inv_sq_norm: f64,
        sums: &mut [f64],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::add_normalized_squares(row, scale, means, inv_sq_norm, sums) };
        }
        portable::add_normalized_squares(row, scale, means, inv_sq_norm, sums);
    }

    fn centred_sq_norms(rows: &[&[f32]; ROW_BLOCK], scale: f64, means: &[f64]) -> [f64; ROW_BLOCK] {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::centred_sq_norms(rows, scale, means) };
        }
        rows.map(|row| portable::centred_sq_norm(row, scale, means))
    }

    fn add_normalized_squares_block(
        rows: &[&[f32]; ROW_BLOCK],
        scale: f64,
        means: &[f64],
        inv_sq_norms: [f64; ROW_BLOCK],
        sums: &mut [f64],
    ) {
        #[cfg(target_arch = "x86_64")]
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe {
                avx2::add_normalized_squares_block(rows, scale, means, inv_sq_norms, sums)
            };
        }
        for (row, inv_sq_norm) in rows.iter().zip(inv_sq_norms) {
            portable::add_normalized_squares(row, scale, means, inv_sq_norm, sums);
        }
    }
}

impl Widen for f64 {
    const MAY_NEED_SCALING: bool = true;

    #[inline(always)]
    fn widen(self) -> f64 {
        self
    }
}

/// Does what [`Widen::add_rows`] does and also raises `max_abs[j]` to the
/// largest |scale·entry| of column j. A NaN entry leaves the maximum
/// unchanged and makes its column sum NaN.
pub fn add_rows_tracking_max<T: Widen>(
    block: &[T],
    scale: f64,
    sums: &mut [f64],
    max_abs: &mut [f64],
) {
    for row in block.chunks_exact(sums.len()) {
        let columns = sums.iter_mut().zip(max_abs.iter_mut()).zip(row);
        for ((sum, max), &value) in columns {
            let x = value.widen() * scale;
            *sum += x;
            // A select rather than f64::max or a conditional store, so that
            // the loop vectorises.
            let magnitude = x.abs();
            *max = if magnitude > *max { magnitude } else { *max };
        }
    }
}

/// Returns ‖scale·row − means‖₂² (see [`Widen::centred_sq_norm`]).
pub fn centred_sq_norm<T: Widen>(row: &[T], scale: f64, means: &[f64]) -> f64 {
    T::centred_sq_norm(row, scale, means)
}

/// The kernels in plain Rust, for every element type and CPU.
mod portable {
    use super::{LANES, Widen, join_lanes};

    pub fn add_rows<T: Widen>(block: &[T], scale: f64, sums: &mut [f64]) {
        for row in block.chunks_exact(sums.len()) {
            for (sum, &value) in sums.iter_mut().zip(row) {
                *sum += value.widen() * scale;
            }
        }
    }

    pub fn centred_sq_norm<T: Widen>(row: &[T], scale: f64, means: &[f64]) -> f64 {
        let mut lanes = [0.0f64; LANES];
        let row_chunks = row.chunks_exact(LANES);
        let mean_chunks = means.chunks_exact(LANES);
        let (row_tail, mean_tail) = (row_chunks.remainder(), mean_chunks.remainder());

        for (values, chunk_means) in row_chunks.zip(mean_chunks) {
            for ((lane, &value), &mean) in lanes.iter_mut().zip(values).zip(chunk_means) {
                let c = value.widen() * scale - mean;
                *lane += c * c;
            }
        }

        finish_sq_norm(join_lanes(&lanes), row_tail, scale, mean_tail)
    }

    /// Adds the squares of the centred entries left over after the last
    /// full chunk of [`LANES`] to `total`.
    pub fn finish_sq_norm<T: Widen>(mut total: f64, row: &[T], scale: f64, means: &[f64]) -> f64 {
        for (&value, &mean) in row.iter().zip(means) {
            let c = value.widen() * scale - mean;
            total += c * c;
        }
        total
    }

    pub fn add_normalized_squares<T: Widen>(
        row: &[T],
        scale: f64,
        means: &[f64],
        inv_sq_norm: f64,
        sums: &mut [f64],
    ) {
        for ((sum, &value), &mean) in sums.iter_mut().zip(row).zip(means) {
            let c = value.widen() * scale - mean;
            *sum += c * c * inv_sq_norm;
        }
    }
}

/// The f32 kernels with AVX2 intrinsics: each step widens 8 f32 entries to
/// two vectors of 4 f64 and does, per entry, the operations of the portable
/// kernel in the same order, so the results are bit-identical.
#[cfg(target_arch = "x86_64")]
mod avx2 {
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

    /// Returns scale·x − means[k..k + 4].
    ///
    /// # Safety
    ///
    /// `k + 4 <= means.len()`.
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn centre(x: __m256d, scale: __m256d, means: &[f64], k: usize) -> __m256d {
        // SAFETY: the caller guarantees that means[k..k + 4] is in bounds.
        let mean = unsafe { _mm256_loadu_pd(means.as_ptr().add(k)) };
        _mm256_sub_pd(_mm256_mul_pd(x, scale), mean)
    }

    /// Adds the rows of `block` in groups of [`ROW_BLOCK`], so that each
    /// load and store of the column sums serves several rows. Per column
    /// the rows are still added one after the other, in row order.
    #[target_feature(enable = "avx2")]
    pub fn add_rows(block: &[f32], scale: f64, sums: &mut [f64]) {
        let n_cols = sums.len();
        let groups = block.chunks_exact(ROW_BLOCK * n_cols);
        let last_rows = groups.remainder();
        for group in groups {
            add_row_group(group, scale, sums);
        }
        for row in last_rows.chunks_exact(n_cols) {
            add_row_group(row, scale, sums);
        }
    }

    /// Adds every row of `group` (one or more rows of `sums.len()` entries,
    /// best [`ROW_BLOCK`]) to `sums`, in row order for each column.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn add_row_group(group: &[f32], scale: f64, sums: &mut [f64]) {
        let n_cols = sums.len();
        let full = n_cols / 8 * 8;
        let scale_v = _mm256_set1_pd(scale);
        for k in (0..full).step_by(8) {
            // SAFETY: k + 8 <= full <= n_cols = sums.len(), and every row of
            // the group has n_cols entries.
            unsafe {
                let mut sum_low = _mm256_loadu_pd(sums.as_ptr().add(k));
                let mut sum_high = _mm256_loadu_pd(sums.as_ptr().add(k + 4));
                for row in group.chunks_exact(n_cols) {
                    let (low, high) = load_widened(row, k);
                    sum_low = _mm256_add_pd(sum_low, _mm256_mul_pd(low, scale_v));
                    sum_high = _mm256_add_pd(sum_high, _mm256_mul_pd(high, scale_v));
                }
                _mm256_storeu_pd(sums.as_mut_ptr().add(k), sum_low);
                _mm256_storeu_pd(sums.as_mut_ptr().add(k + 4), sum_high);
            }
        }
        for row in group.chunks_exact(n_cols) {
            for (sum, &value) in sums[full..].iter_mut().zip(&row[full..]) {
                *sum += f64::from(value) * scale;
            }
        }
    }

    #[target_feature(enable = "avx2")]
    pub fn centred_sq_norm(row: &[f32], scale: f64, means: &[f64]) -> f64 {
        assert!(means.len() >= row.len(), "one mean per column");
        let full = row.len() / LANES * LANES;
        let scale_v = _mm256_set1_pd(scale);
        let mut lanes_low = _mm256_setzero_pd();
        let mut lanes_high = _mm256_setzero_pd();
        for k in (0..full).step_by(LANES) {
            // SAFETY: k + 8 <= full <= row.len() <= means.len().
            unsafe {
                let (low, high) = load_widened(row, k);
                let c_low = centre(low, scale_v, means, k);
                let c_high = centre(high, scale_v, means, k + 4);
                lanes_low = _mm256_add_pd(lanes_low, _mm256_mul_pd(c_low, c_low));
                lanes_high = _mm256_add_pd(lanes_high, _mm256_mul_pd(c_high, c_high));
            }
        }

        let mut lanes = [0.0f64; LANES];
        // SAFETY: `lanes` holds 8 f64, two stores of 4.
        unsafe {
            _mm256_storeu_pd(lanes.as_mut_ptr(), lanes_low);
            _mm256_storeu_pd(lanes.as_mut_ptr().add(4), lanes_high);
        }
        portable::finish_sq_norm(join_lanes(&lanes), &row[full..], scale, &means[full..])
    }

    #[target_feature(enable = "avx2")]
    pub fn add_normalized_squares(
        row: &[f32],
        scale: f64,
        means: &[f64],
        inv_sq_norm: f64,
        sums: &mut [f64],
    ) {
        assert!(means.len() >= row.len(), "one mean per column");
        assert!(sums.len() >= row.len(), "one sum per column");
        let full = row.len() / 8 * 8;
        let scale_v = _mm256_set1_pd(scale);
        let inv_v = _mm256_set1_pd(inv_sq_norm);
        for k in (0..full).step_by(8) {
            // SAFETY: k + 8 <= full <= row.len() <= means.len(), sums.len().
            unsafe {
                let (low, high) = load_widened(row, k);
                let c_low = centre(low, scale_v, means, k);
                let c_high = centre(high, scale_v, means, k + 4);
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
            scale,
            &means[full..],
            inv_sq_norm,
            &mut sums[full..],
        );
    }

    #[target_feature(enable = "avx2")]
    pub fn centred_sq_norms(
        rows: &[&[f32]; ROW_BLOCK],
        scale: f64,
        means: &[f64],
    ) -> [f64; ROW_BLOCK] {
        let n_cols = rows[0].len();
        assert!(
            rows.iter().all(|row| row.len() == n_cols),
            "rows of equal length"
        );
        assert!(means.len() >= n_cols, "one mean per column");
        let full = n_cols / LANES * LANES;
        let scale_v = _mm256_set1_pd(scale);
        let mut lanes_low = [_mm256_setzero_pd(); ROW_BLOCK];
        let mut lanes_high = [_mm256_setzero_pd(); ROW_BLOCK];
        for k in (0..full).step_by(LANES) {
            for (r, row) in rows.iter().enumerate() {
                // SAFETY: k + 8 <= full <= n_cols = row.len() <= means.len().
                unsafe {
                    let (low, high) = load_widened(row, k);
                    let c_low = centre(low, scale_v, means, k);
                    let c_high = centre(high, scale_v, means, k + 4);
                    lanes_low[r] = _mm256_add_pd(lanes_low[r], _mm256_mul_pd(c_low, c_low));
                    lanes_high[r] = _mm256_add_pd(lanes_high[r], _mm256_mul_pd(c_high, c_high));
                }
            }
        }

        std::array::from_fn(|r| {
            let mut lanes = [0.0f64; LANES];
            // SAFETY: `lanes` holds 8 f64, two stores of 4.
            unsafe {
                _mm256_storeu_pd(lanes.as_mut_ptr(), lanes_low[r]);
                _mm256_storeu_pd(lanes.as_mut_ptr().add(4), lanes_high[r]);
            }
            let total = join_lanes(&lanes);
            portable::finish_sq_norm(total, &rows[r][full..], scale, &means[full..])
        })
    }

    #[target_feature(enable = "avx2")]
    pub fn add_normalized_squares_block(
        rows: &[&[f32]; ROW_BLOCK],
        scale: f64,
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
        let scale_v = _mm256_set1_pd(scale);
        let inv_v = inv_sq_norms.map(|inv| _mm256_set1_pd(inv));
        for k in (0..full).step_by(8) {
            // SAFETY: k + 8 <= full <= n_cols <= means.len(), sums.len(), and
            // every row has n_cols entries.
            unsafe {
                let mut sum_low = _mm256_loadu_pd(sums.as_ptr().add(k));
                let mut sum_high = _mm256_loadu_pd(sums.as_ptr().add(k + 4));
                for (row, inv) in rows.iter().zip(&inv_v) {
                    let (low, high) = load_widened(row, k);
                    let c_low = centre(low, scale_v, means, k);
                    let c_high = centre(high, scale_v, means, k + 4);
                    sum_low =
                        _mm256_add_pd(sum_low, _mm256_mul_pd(_mm256_mul_pd(c_low, c_low), *inv));
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
                scale,
                &means[full..],
                inv_sq_norm,
                &mut sums[full..],
            );
        }
    }
}

/// Σ x_k² with the lane structure of [`centred_sq_norm`].
pub fn sum_of_squares(values: &[f64]) -> f64 {
    let mut lanes = [0.0f64; LANES];
    let chunks = values.chunks_exact(LANES);
    let tail = chunks.remainder();
    for chunk in chunks {
        for (lane, &x) in lanes.iter_mut().zip(chunk) {
            *lane += x * x;
        }
    }

    let mut total = join_lanes(&lanes);
    for &x in tail {
        total += x * x;
    }
    total
}

/// Joins the partial sums in a fixed pairwise tree.
#[inline(always)]
fn join_lanes(lanes: &[f64; LANES]) -> f64 {
    ((lanes[0] + lanes[1]) + (lanes[2] + lanes[3]))
        + ((lanes[4] + lanes[5]) + (lanes[6] + lanes[7]))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A row whose length is not a multiple of the lane count, with entries
    /// that make the summation order visible in the last bits.
    fn awkward_row(len: usize) -> Vec<f64> {
        (0..len)
            .map(|k| ((k * 7919 % 1009) as f64 - 504.5) * 1.0e-3 + 1.0 / (k + 3) as f64)
            .collect()
    }

    #[test]
    fn centred_norm_matches_centred_buffer() {
        let row = awkward_row(4099);
        let means: Vec<f64> = (0..row.len()).map(|k| 1.0e-4 * k as f64).collect();
        let centred: Vec<f64> = row.iter().zip(&means).map(|(x, m)| x * 0.5 - m).collect();

        let fused = centred_sq_norm(&row, 0.5, &means);

        assert_eq!(fused.to_bits(), sum_of_squares(&centred).to_bits());
    }

    #[test]
    fn kernels_match_portable_copies() {
        let row = awkward_row(1027);
        let row_f32: Vec<f32> = row.iter().map(|&x| x as f32).collect();
        let means: Vec<f64> = row.iter().map(|x| x * 0.25).collect();
        let mut sums = vec![0.0; row.len()];
        let mut expected = vec![0.0; row.len()];

        f32::add_normalized_squares(&row_f32, 2.0, &means, 0.125, &mut sums);
        for ((e, &x), &m) in expected.iter_mut().zip(&row_f32).zip(&means) {
            let c = f64::from(x) * 2.0 - m;
            *e += c * c * 0.125;
        }

        assert_eq!(sums, expected);
    }

    /// `n_rows` rows of `n_cols` f32 entries with varied magnitudes.
    fn awkward_rows(n_rows: usize, n_cols: usize) -> Vec<f32> {
        awkward_row(n_rows * n_cols)
            .iter()
            .enumerate()
            .map(|(k, &x)| (x * (1.0 + (k % 13) as f64)) as f32)
            .collect()
    }

    #[test]
    fn block_kernels_match_portable_rows() {
        let n_cols = 1027;
        let rows = awkward_rows(ROW_BLOCK, n_cols);
        let block: [&[f32]; ROW_BLOCK] =
            std::array::from_fn(|r| &rows[r * n_cols..(r + 1) * n_cols]);
        let means: Vec<f64> = (0..n_cols).map(|j| 0.01 * j as f64 - 3.0).collect();
        let inv = [0.5, 0.0, 0.25, 2.0];
        let mut sums = vec![1.0; n_cols];
        let mut expected = vec![1.0; n_cols];

        let norms = f32::centred_sq_norms(&block, 2.0, &means);
        f32::add_normalized_squares_block(&block, 2.0, &means, inv, &mut sums);
        for (row, inv_sq_norm) in block.iter().zip(inv) {
            portable::add_normalized_squares(row, 2.0, &means, inv_sq_norm, &mut expected);
        }

        for (norm, row) in norms.iter().zip(&block) {
            let reference = portable::centred_sq_norm(row, 2.0, &means);
            assert_eq!(norm.to_bits(), reference.to_bits());
        }
        assert_eq!(sums, expected);
    }

    #[test]
    fn add_rows_matches_portable() {
        let n_cols = 1021;
        let rows = awkward_rows(7, n_cols);
        let mut sums = vec![0.5; n_cols];
        let mut expected = vec![0.5; n_cols];

        f32::add_rows(&rows, 0.25, &mut sums);
        portable::add_rows(&rows, 0.25, &mut expected);

        assert_eq!(sums, expected);
    }

    #[test]
    fn tracking_max_sees_negative_entries() {
        let block = [1.0f64, -8.0, 3.0, 2.0, 0.5, -4.0];
        let mut sums = vec![0.0; 3];
        let mut max_abs = vec![0.0; 3];

        add_rows_tracking_max(&block, 0.5, &mut sums, &mut max_abs);

        assert_eq!(sums, vec![1.5, -3.75, -0.5]);
        assert_eq!(max_abs, vec![1.0, 4.0, 2.0]);
    }
}
