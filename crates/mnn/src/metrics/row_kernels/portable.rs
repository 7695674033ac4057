//! The kernels in plain Rust, for every element type and CPU.

use super::{LANES, Widen, join_lanes};

/// Adds each row of `block`, scaled, to `sums` (see [`Widen::add_rows`]).
pub fn add_rows<T: Widen>(block: &[T], scale: f64, sums: &mut [f64]) {
    for row in block.chunks_exact(sums.len()) {
        for (sum, &value) in sums.iter_mut().zip(row) {
            *sum += value.widen() * scale;
        }
    }
}

/// Returns ‖scale·row − means‖₂² (see [`Widen::centred_sq_norm`]).
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

/// Adds one row's normalised squares to `sums` (see [`Widen::add_normalized_squares`]).
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
