//! Inner loops of the streaming preprocessing pass, in plain Rust and, for
//! f32 rows on x86-64, with AVX2 intrinsics.
//!
//! Every kernel has a fixed order of operations: column sums add the rows one
//! after the other, and a row's sum of squares runs in [`LANES`] partial sums
//! joined in a fixed tree. The AVX2 kernels run when the CPU supports AVX2.
//! They do the same operations in the same order on four f64 values at a time
//! and use no fused multiply-add, so they return the same bits as the
//! portable ones. They also handle [`ROW_BLOCK`] rows per sweep, so that
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

    /// Runs [`Widen::add_normalized_squares_block`] on `previous`, then
    /// returns [`Widen::centred_sq_norms`] of `next`. Implementations may
    /// interleave the two in one sweep, with the same results.
    fn add_block_then_norms(
        previous: &[&[Self]; ROW_BLOCK],
        inv_sq_norms: [f64; ROW_BLOCK],
        next: &[&[Self]; ROW_BLOCK],
        scale: f64,
        means: &[f64],
        sums: &mut [f64],
    ) -> [f64; ROW_BLOCK] {
        Self::add_normalized_squares_block(previous, scale, means, inv_sq_norms, sums);
        Self::centred_sq_norms(next, scale, means)
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
        if scale == 1.0 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::add_rows(block, sums) };
        }
        portable::add_rows(block, scale, sums);
    }

    fn centred_sq_norm(row: &[f32], scale: f64, means: &[f64]) -> f64 {
        #[cfg(target_arch = "x86_64")]
        if scale == 1.0 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::centred_sq_norm(row, means) };
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
        if scale == 1.0 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::add_normalized_squares(row, means, inv_sq_norm, sums) };
        }
        portable::add_normalized_squares(row, scale, means, inv_sq_norm, sums);
    }

    fn centred_sq_norms(rows: &[&[f32]; ROW_BLOCK], scale: f64, means: &[f64]) -> [f64; ROW_BLOCK] {
        #[cfg(target_arch = "x86_64")]
        if scale == 1.0 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::centred_sq_norms(rows, means) };
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
        if scale == 1.0 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe { avx2::add_normalized_squares_block(rows, means, inv_sq_norms, sums) };
        }
        for (row, inv_sq_norm) in rows.iter().zip(inv_sq_norms) {
            portable::add_normalized_squares(row, scale, means, inv_sq_norm, sums);
        }
    }

    fn add_block_then_norms(
        previous: &[&[f32]; ROW_BLOCK],
        inv_sq_norms: [f64; ROW_BLOCK],
        next: &[&[f32]; ROW_BLOCK],
        scale: f64,
        means: &[f64],
        sums: &mut [f64],
    ) -> [f64; ROW_BLOCK] {
        #[cfg(target_arch = "x86_64")]
        if scale == 1.0 && std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU supports AVX2, as checked on the line above.
            return unsafe {
                avx2::add_block_then_norms(previous, inv_sq_norms, next, means, sums)
            };
        }
        for (row, inv_sq_norm) in previous.iter().zip(inv_sq_norms) {
            portable::add_normalized_squares(row, scale, means, inv_sq_norm, sums);
        }
        next.map(|row| portable::centred_sq_norm(row, scale, means))
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

mod portable;

#[cfg(target_arch = "x86_64")]
mod avx2;

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

    /// Builds a row whose length need not be a multiple of the lane count,
    /// with entries that make the summation order visible in the last bits.
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

        // Scale 1 is the only scale f32 input receives, and the one the
        // AVX2 kernels handle.
        f32::add_normalized_squares(&row_f32, 1.0, &means, 0.125, &mut sums);
        for ((e, &x), &m) in expected.iter_mut().zip(&row_f32).zip(&means) {
            let c = f64::from(x) - m;
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

        let norms = f32::centred_sq_norms(&block, 1.0, &means);
        f32::add_normalized_squares_block(&block, 1.0, &means, inv, &mut sums);
        for (row, inv_sq_norm) in block.iter().zip(inv) {
            portable::add_normalized_squares(row, 1.0, &means, inv_sq_norm, &mut expected);
        }

        for (norm, row) in norms.iter().zip(&block) {
            let reference = portable::centred_sq_norm(row, 1.0, &means);
            assert_eq!(norm.to_bits(), reference.to_bits());
        }
        assert_eq!(sums, expected);
    }

    #[test]
    fn fused_block_step_matches_separate_steps() {
        let n_cols = 1029;
        let rows = awkward_rows(2 * ROW_BLOCK, n_cols);
        let block = |b: usize| -> [&[f32]; ROW_BLOCK] {
            std::array::from_fn(|r| &rows[(b * ROW_BLOCK + r) * n_cols..][..n_cols])
        };
        let means: Vec<f64> = (0..n_cols).map(|j| 0.003 * j as f64 - 1.0).collect();
        let inv = [0.5, 0.25, 0.0, 4.0];
        let mut sums = vec![0.75; n_cols];
        let mut expected = vec![0.75; n_cols];

        let norms = f32::add_block_then_norms(&block(0), inv, &block(1), 1.0, &means, &mut sums);
        for (row, inv_sq_norm) in block(0).iter().zip(inv) {
            portable::add_normalized_squares(row, 1.0, &means, inv_sq_norm, &mut expected);
        }

        assert_eq!(sums, expected);
        for (norm, row) in norms.iter().zip(&block(1)) {
            let reference = portable::centred_sq_norm(row, 1.0, &means);
            assert_eq!(norm.to_bits(), reference.to_bits());
        }
    }

    #[test]
    fn add_rows_matches_portable() {
        let n_cols = 1021;
        let rows = awkward_rows(7, n_cols);
        let mut sums = vec![0.5; n_cols];
        let mut expected = vec![0.5; n_cols];

        f32::add_rows(&rows, 1.0, &mut sums);
        portable::add_rows(&rows, 1.0, &mut expected);

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
