//! Greedy pattern ascent: a lower bound on the exhaustive pattern bound for
//! networks too wide to enumerate.
//!
//! From each start pattern (random, or the signs of the pre-activations of a
//! data point), flip the single bit that increases ‖J‖₂ the most, and repeat
//! until no flip increases it by more than a relative 10⁻¹². Every pattern
//! visited is a vertex of the slope box, so the result never exceeds the
//! exhaustive bound of [`super::exhaustive`].
//!
//! ```
//! use lipnet::model::{ArchParams, LipModel, ModelId};
//! use lipnet::verify::{exhaustive, greedy_patterns, pattern_starts};
//!
//! let arch = ArchParams::new(ModelId::LdltSeq, 3, 2, vec![4, 3], 1.0).check().unwrap();
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let net = lipnet::model::build(&arch, &mut store, &mut rng).unwrap().network(&store).unwrap();
//! let starts = pattern_starts(&net, None, 4, 0);
//! let greedy = greedy_patterns(&net, &starts).unwrap();
//! assert!(greedy.bound <= exhaustive(&net, 16).unwrap().0);
//! ```

use super::patterns::pattern_norm;
use crate::error::Result;
use crate::network::SlopeNet;
use faer::MatRef;
use rand::RngExt;

/// Relative gain below which the ascent stops; it keeps rounding noise from
/// cycling between patterns of equal norm.
const MIN_RELATIVE_GAIN: f64 = 1e-12;

/// The best pattern a search found.
#[derive(Clone, Debug, PartialEq)]
pub struct PatternSearch {
    /// The largest ‖J‖₂ found (0 for no starts).
    pub bound: f64,
    /// Its slope pattern, activation groups concatenated in forward order.
    pub pattern: Vec<bool>,
    /// Number of start patterns.
    pub starts: usize,
    /// Number of Jacobian norms computed.
    pub evaluations: usize,
}

/// Returns start patterns: the pre-activation signs (v > 0) of the rows of
/// `data`, then `n_random` uniform random patterns drawn from `seed`.
pub fn pattern_starts<N: SlopeNet + ?Sized>(
    net: &N,
    data: Option<MatRef<'_, f64>>,
    n_random: usize,
    seed: u64,
) -> Vec<Vec<bool>> {
    let mut starts = Vec::new();
    if let Some(x) = data {
        let (_, pre) = net.forward_with_preactivations(x);
        for i in 0..x.nrows() {
            let pattern = pre
                .iter()
                .flat_map(|v| (0..v.ncols()).map(move |j| v[(i, j)] > 0.0))
                .collect();
            starts.push(pattern);
        }
    }

    let bits: usize = net.slope_widths().iter().sum();
    let mut rng = tape::rng::stream(seed, "greedy-patterns");
    for _ in 0..n_random {
        starts.push((0..bits).map(|_| rng.random_range(0..2) == 1).collect());
    }
    starts
}

/// Runs the greedy ascent from every start and returns the best pattern.
///
/// # Errors
///
/// [`crate::Error::Decomposition`] when a norm computation fails.
pub fn greedy_patterns<N: SlopeNet + ?Sized>(
    net: &N,
    starts: &[Vec<bool>],
) -> Result<PatternSearch> {
    let widths = net.slope_widths();
    let mut best = PatternSearch {
        bound: 0.0,
        pattern: Vec::new(),
        starts: starts.len(),
        evaluations: 0,
    };

    for start in starts {
        let (norm, pattern) = ascend(net, start.clone(), &widths, &mut best.evaluations)?;
        if norm > best.bound || best.pattern.is_empty() {
            best.bound = norm;
            best.pattern = pattern;
        }
    }
    Ok(best)
}

/// Flips the best single bit until no flip gains; returns the final norm and pattern.
fn ascend<N: SlopeNet + ?Sized>(
    net: &N,
    mut pattern: Vec<bool>,
    widths: &[usize],
    evaluations: &mut usize,
) -> Result<(f64, Vec<bool>)> {
    let mut current = pattern_norm(net, &pattern, widths)?;
    *evaluations += 1;

    loop {
        let mut best_flip = None;
        let mut best_norm = current * (1.0 + MIN_RELATIVE_GAIN);
        for bit in 0..pattern.len() {
            pattern[bit] = !pattern[bit];
            let norm = pattern_norm(net, &pattern, widths)?;
            pattern[bit] = !pattern[bit];
            *evaluations += 1;
            if norm > best_norm {
                best_norm = norm;
                best_flip = Some(bit);
            }
        }

        let Some(bit) = best_flip else {
            return Ok((current, pattern));
        };
        pattern[bit] = !pattern[bit];
        current = best_norm;
    }
}
