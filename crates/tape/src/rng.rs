//! Keyed, reproducible random streams and the samplers built on them.
//!
//! [`stream`] derives an independent ChaCha8 generator from a run seed and a
//! string key (such as `"init"`, `"shuffle"` or `"fold3/pgd"`), so the numbers a
//! component draws do not depend on what other components drew before it. The
//! samplers here use only the generator's raw 64-bit output, so their results do
//! not change with the distribution code of `rand` versions.

use faer::Mat;
use rand::{Rng, SeedableRng};
pub use rand_chacha::ChaCha8Rng;

/// SplitMix64 finalizer (Steele, Lea and Flood, 2014): a bijective mix of `x`.
pub fn splitmix64(x: u64) -> u64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// 64-bit FNV-1a hash of `bytes`.
pub fn fnv1a64(bytes: &[u8]) -> u64 {
    const OFFSET_BASIS: u64 = 0xcbf2_9ce4_8422_2325;
    const PRIME: u64 = 0x0000_0100_0000_01b3;
    bytes
        .iter()
        .fold(OFFSET_BASIS, |h, &b| (h ^ u64::from(b)).wrapping_mul(PRIME))
}

/// Returns the generator for `key` under run seed `seed`:
/// `ChaCha8Rng::seed_from_u64(splitmix64(seed ^ fnv1a64(key)))`.
pub fn stream(seed: u64, key: &str) -> ChaCha8Rng {
    ChaCha8Rng::seed_from_u64(splitmix64(seed ^ fnv1a64(key.as_bytes())))
}

/// Draws a uniform value in [0, 1) with 53 random bits.
pub fn unit(rng: &mut ChaCha8Rng) -> f64 {
    const SCALE: f64 = 1.0 / (1u64 << 53) as f64;
    (rng.next_u64() >> 11) as f64 * SCALE
}

/// Draws a uniform value in [lo, hi) (computed as lo + (hi − lo)·u).
pub fn uniform(rng: &mut ChaCha8Rng, lo: f64, hi: f64) -> f64 {
    lo + (hi - lo) * unit(rng)
}

/// Draws a standard normal value with the Box–Muller transform.
///
/// Each call consumes two 64-bit outputs and returns the cosine branch only, so
/// the function keeps no state between calls.
pub fn standard_normal(rng: &mut ChaCha8Rng) -> f64 {
    let u1 = 1.0 - unit(rng);
    let u2 = unit(rng);
    (-2.0 * u1.ln()).sqrt() * (std::f64::consts::TAU * u2).cos()
}

/// Draws an integer uniformly from 0..n without modulo bias (Lemire's method).
///
/// # Panics
/// When `n` is 0.
pub fn below(rng: &mut ChaCha8Rng, n: usize) -> usize {
    assert!(n > 0, "below: the range 0..0 is empty");
    let n = n as u64;
    let threshold = n.wrapping_neg() % n;
    loop {
        let product = u128::from(rng.next_u64()) * u128::from(n);
        if (product as u64) >= threshold {
            return (product >> 64) as usize;
        }
    }
}

/// Draws a `rows × cols` matrix with entries uniform in [lo, hi), filled row by row.
pub fn uniform_mat(rng: &mut ChaCha8Rng, rows: usize, cols: usize, lo: f64, hi: f64) -> Mat<f64> {
    fill_row_major(rows, cols, || uniform(rng, lo, hi))
}

/// Draws a `rows × cols` matrix with entries from N(0, std²), filled row by row.
pub fn normal_mat(rng: &mut ChaCha8Rng, rows: usize, cols: usize, std: f64) -> Mat<f64> {
    fill_row_major(rows, cols, || std * standard_normal(rng))
}

fn fill_row_major(rows: usize, cols: usize, mut draw: impl FnMut() -> f64) -> Mat<f64> {
    let mut m = Mat::zeros(rows, cols);
    for i in 0..rows {
        for j in 0..cols {
            m[(i, j)] = draw();
        }
    }
    m
}

/// Shuffles `items` in place with the Fisher–Yates algorithm.
pub fn shuffle<T>(rng: &mut ChaCha8Rng, items: &mut [T]) {
    for i in (1..items.len()).rev() {
        let j = below(rng, i + 1);
        items.swap(i, j);
    }
}
