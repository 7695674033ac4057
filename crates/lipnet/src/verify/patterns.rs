//! The exhaustive activation-pattern bound.
//!
//! ‖A + B D_K C_K ⋯ D_1 C_1‖₂ is convex in each diagonal D_k ∈ [0, 1]^{n_k}
//! separately, so its maximum over the box sits at a 0/1 vertex. Enumerating
//! the 2^{Σ n_k} vertices therefore gives the exact Lipschitz constant over
//! all activations with slopes in [0, 1], an upper bound for ReLU networks.
//! The same holds for a composition of layers (any [`SlopeNet`]): the Jacobian
//! is affine in each single slope, so the norm is convex in each coordinate.

use super::norms::spectral_norm;
use crate::error::{Error, Result};
use crate::network::SlopeNet;

/// Default cap on Σ n_k (65 536 patterns).
pub const DEFAULT_MAX_BITS: usize = 16;

/// Largest cap accepted by [`exhaustive`] (about a million patterns).
pub const HARD_MAX_BITS: usize = 20;

/// Returns the maximum of ‖J‖₂ over all 0/1 slope patterns and the pattern
/// that attains it (D_1..D_K diagonals concatenated; the first maximum found
/// in counting order wins ties).
///
/// # Errors
///
/// [`Error::TooLarge`] when Σ n_k exceeds `max_bits` or [`HARD_MAX_BITS`].
pub fn exhaustive<N: SlopeNet + ?Sized>(e: &N, max_bits: usize) -> Result<(f64, Vec<bool>)> {
    let widths = e.slope_widths();
    let bits: usize = widths.iter().sum();
    let limit = max_bits.min(HARD_MAX_BITS);
    if bits > limit {
        return Err(Error::TooLarge {
            what: "the exhaustive pattern bound",
            needed: bits,
            limit,
            fix: "use a network with fewer hidden units in total, or the LMI and sampled checks",
        });
    }

    let mut best = (f64::NEG_INFINITY, vec![false; bits]);
    for code in 0u64..(1u64 << bits) {
        let pattern: Vec<bool> = (0..bits).map(|i| code >> i & 1 == 1).collect();
        let norm = pattern_norm(e, &pattern, &widths)?;
        if norm > best.0 {
            best = (norm, pattern);
        }
    }
    Ok(best)
}

/// Returns ‖J‖₂ for the 0/1 slope pattern `pattern` (groups of sizes `widths`).
///
/// # Errors
///
/// [`Error::Decomposition`] when the norm computation fails.
pub fn pattern_norm<N: SlopeNet + ?Sized>(
    e: &N,
    pattern: &[bool],
    widths: &[usize],
) -> Result<f64> {
    let slopes = split_pattern(pattern, widths);
    spectral_norm(e.jacobian_for_slopes(&slopes).as_ref())
}

fn split_pattern(pattern: &[bool], widths: &[usize]) -> Vec<Vec<f64>> {
    let mut out = Vec::with_capacity(widths.len());
    let mut start = 0;
    for &w in widths {
        let layer = pattern[start..start + w]
            .iter()
            .map(|&on| if on { 1.0 } else { 0.0 })
            .collect();
        out.push(layer);
        start += w;
    }
    out
}
