//! Seeded choice of which texts to score.
//!
//! [`sample_indices`] draws with ChaCha8. [`python_sample`] reproduces
//! CPython's `random.seed(seed); random.sample(range(n), k)`, which is how the
//! published data-set runs drew their texts (seed 123).

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rand_mt::Mt;

use crate::error::Error;

/// Draws `k` distinct indices of `0..n` without replacement, in draw order,
/// reproducible for a given `seed`.
///
/// # Errors
///
/// [`Error::InvalidParam`] when `k > n` or `k` exceeds [`crate::MAX_ELEMENTS`].
pub fn sample_indices(n: usize, k: usize, seed: u64) -> Result<Vec<usize>, Error> {
    check_sample_size(n, k)?;
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    Ok(rand::seq::index::sample(&mut rng, n, k).into_vec())
}

/// Returns the indices of CPython 3's `random.seed(seed)` followed by
/// `random.sample(range(n), k)`, in the same order.
///
/// CPython seeds MT19937 by `init_by_array` with the 32-bit words of the seed
/// (least significant first), draws integers below m by rejection on
/// `getrandbits(bit_length(m))`, and picks one of two algorithms: a shrinking
/// pool when n ≤ 21 + 4^⌈log₄(3k)⌉ (the 4^… term only for k > 5), otherwise
/// repeated draws that skip indices already taken.
///
/// # Errors
///
/// [`Error::InvalidParam`] when `k > n` or `k` exceeds [`crate::MAX_ELEMENTS`].
pub fn python_sample(n: usize, k: usize, seed: u64) -> Result<Vec<usize>, Error> {
    check_sample_size(n, k)?;
    let mut mt = python_seeded(seed);

    let mut pool_limit = 21usize;
    if k > 5 {
        let exponent = ((3 * k) as f64).ln() / 4f64.ln();
        pool_limit += 4usize.pow(exponent.ceil() as u32);
    }

    if n <= pool_limit {
        let mut pool: Vec<usize> = (0..n).collect();
        let mut chosen = Vec::with_capacity(k);
        for i in 0..k {
            let j = below(&mut mt, (n - i) as u64) as usize;
            chosen.push(pool[j]);
            pool[j] = pool[n - i - 1];
        }
        return Ok(chosen);
    }

    let mut taken = std::collections::HashSet::with_capacity(k);
    let mut chosen = Vec::with_capacity(k);
    for _ in 0..k {
        let mut j = below(&mut mt, n as u64) as usize;
        while !taken.insert(j) {
            j = below(&mut mt, n as u64) as usize;
        }
        chosen.push(j);
    }
    Ok(chosen)
}

fn check_sample_size(n: usize, k: usize) -> Result<(), Error> {
    if k > n {
        return Err(Error::InvalidParam {
            name: "sample size",
            value: k.to_string(),
            fix: format!("use at most the {n} texts available"),
        });
    }
    if k > crate::MAX_ELEMENTS {
        return Err(Error::InvalidParam {
            name: "sample size",
            value: k.to_string(),
            fix: format!("use at most {} texts", crate::MAX_ELEMENTS),
        });
    }
    Ok(())
}

/// MT19937 seeded as CPython's `random.seed` seeds it from a non-negative int.
fn python_seeded(seed: u64) -> Mt {
    let low = seed as u32;
    let high = (seed >> 32) as u32;
    if high == 0 {
        Mt::new_with_key([low])
    } else {
        Mt::new_with_key([low, high])
    }
}

/// CPython's `_randbelow_with_getrandbits(m)` for 0 < m < 2⁶⁴.
fn below(mt: &mut Mt, m: u64) -> u64 {
    let bits = 64 - m.leading_zeros();
    loop {
        let r = random_bits(mt, bits);
        if r < m {
            return r;
        }
    }
}

/// CPython's `getrandbits(bits)` for 1 ≤ bits ≤ 64: 32-bit words, least
/// significant first, with the last word shifted down to the bits left.
fn random_bits(mt: &mut Mt, bits: u32) -> u64 {
    if bits <= 32 {
        return u64::from(mt.next_u32() >> (32 - bits));
    }
    let low = u64::from(mt.next_u32());
    let high = u64::from(mt.next_u32() >> (64 - bits));
    low | (high << 32)
}
