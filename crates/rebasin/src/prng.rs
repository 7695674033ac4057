//! Portable test-model generator, bit-exact on any IEEE-754 machine.
//!
//! SplitMix64 (Steele, Lea, Flood, "Fast splittable pseudorandom number
//! generators", OOPSLA 2014): `state += 0x9E3779B97F4A7C15`, then the mix
//! `z = (z ^ (z>>30))·0xBF58476D1CE4E5B9`, `z = (z ^ (z>>27))·0x94D049BB133111EB`,
//! output `z ^ (z>>31)`; `u = (x >> 11)·2^-53`. Layer i of the test MLP with seed s
//! draws `layers.{i}.weight = (2u − 1)·sqrt(6 / in)` row-major, then
//! `layers.{i}.bias = (2u − 1)·0.01` (derived in the normlab rebasin
//! specification, §5.2). Every operation is exact or correctly rounded, so numpy
//! and Rust agree bit for bit.
//!
//! ```
//! let mut g = rebasin::prng::SplitMix64::new(0);
//! assert_eq!(g.next_u64(), 0xe220a8397b1dcdaf);
//! let m = rebasin::prng::portable_mlp(&[784, 512, 512, 512, 10], 0);
//! assert_eq!(m.get("layers.0.weight").unwrap().values[0], 0.0670654209298034);
//! ```

use crate::model::{Model, Tensor};

/// SplitMix64 generator.
#[derive(Clone, Debug)]
pub struct SplitMix64 {
    state: u64,
}

impl SplitMix64 {
    /// Starts a stream at `state`.
    pub fn new(state: u64) -> Self {
        Self { state }
    }

    /// Returns the next 64-bit output.
    pub fn next_u64(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Returns a uniform value in [0, 1) with 53 random bits.
    pub fn next_unit(&mut self) -> f64 {
        (self.next_u64() >> 11) as f64 * (1.0 / (1u64 << 53) as f64)
    }

    /// Returns `2u − 1`, uniform in [−1, 1).
    pub fn next_symmetric(&mut self) -> f64 {
        2.0 * self.next_unit() - 1.0
    }
}

/// Generates the portable test MLP with layer sizes `sizes` (input first), F64,
/// torch layout.
pub fn portable_mlp(sizes: &[usize], seed: u64) -> Model {
    let mut g = SplitMix64::new(seed);
    let mut model = Model::default();
    for (i, pair) in sizes.windows(2).enumerate() {
        let (fan_in, fan_out) = (pair[0], pair[1]);
        let scale = (6.0 / fan_in as f64).sqrt();
        let w = (0..fan_in * fan_out)
            .map(|_| g.next_symmetric() * scale)
            .collect();
        model.insert(
            format!("layers.{i}.weight"),
            Tensor::from_f64(vec![fan_out, fan_in], w),
        );
        let b = (0..fan_out).map(|_| g.next_symmetric() * 0.01).collect();
        model.insert(
            format!("layers.{i}.bias"),
            Tensor::from_f64(vec![fan_out], b),
        );
    }
    model
}
