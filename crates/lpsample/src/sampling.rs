//! Row sampling for ℓp subspace embeddings.
//!
//! Bernoulli (Poisson) sampling keeps row i independently with probability
//! q_i = min(1, c·s_i), where c is chosen so that Σ q_i = m exactly (sort the scores
//! in descending order and cap the largest until c·s_(j) ≤ 1 for the rest). A kept
//! row gets weight 1/q_i on |·|^p, so E‖SAx‖_p^p = ‖Ax‖_p^p. When m is at least the
//! number of positive scores, every such row gets q_i = 1 and the result is flagged
//! `clamped`. Rows with s_i = 0 are never sampled.
//!
//! With replacement: m i.i.d. draws with π = s/Σs; a row drawn n_i times gets
//! weight n_i/(m·π_i), which is also unbiased.
//!
//! Compare schemes at equal expected sample size m, not at equal oversampling
//! factor: Σ τ_i^{p/2} grows with n for p < 2.
//!
//! ```
//! use lpsample::sampling::{inclusion_probabilities, sample_rows, SampleMode};
//!
//! let probabilities = inclusion_probabilities(&[5.0, 3.0, 1.0, 1.0, 0.0], 3.0).unwrap();
//! assert_eq!(probabilities.q, vec![1.0, 1.0, 0.5, 0.5, 0.0]);
//! let sample = sample_rows(&[5.0, 3.0, 1.0, 1.0, 0.0], 3.0, SampleMode::Bernoulli, 7).unwrap();
//! assert!(sample.rows.iter().all(|&i| i < 4));
//! ```

use serde::Serialize;
use tape::rng::ChaCha8Rng;

use crate::error::{Error, Result};

/// Largest number of with-replacement draws; each draw costs a binary search, so
/// 10⁸ draws take seconds and larger requests are rejected.
pub const MAX_DRAWS: f64 = 1e8;

/// Row-drawing mode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SampleMode {
    /// Independent inclusion with capped probabilities (default).
    #[default]
    Bernoulli,
    /// m i.i.d. draws proportional to the scores.
    WithReplacement,
}

/// Capped Bernoulli inclusion probabilities.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Probabilities {
    /// q_i ∈ [0, 1], one per row.
    pub q: Vec<f64>,
    /// The multiplier c with q_i = min(1, c·s_i); `None` when clamped.
    pub multiplier: Option<f64>,
    /// Σ q_i: m, or the number of positive scores when clamped.
    pub expected_size: f64,
    /// True when m ≥ the number of positive scores, so every such row has q_i = 1.
    pub clamped: bool,
}

/// A weighted row sample.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Sample {
    /// Sampled row indices, ascending, each once.
    pub rows: Vec<usize>,
    /// Weight of each sampled row on |·|^p (row scale weight^{1/p}).
    pub weights: Vec<f64>,
    /// Expected number of sampled rows (Bernoulli) or draws (with replacement).
    pub expected_size: f64,
    /// True when Bernoulli sampling kept every positive-score row.
    pub clamped: bool,
}

/// Checks that every score is finite and ≥ 0 and at least one is positive.
fn check_scores(scores: &[f64]) -> Result<()> {
    let invalid = |value: String, rule| Error::InvalidArgument {
        name: "score vector",
        value,
        rule,
    };
    if let Some(bad) = scores.iter().find(|s| !(s.is_finite() && **s >= 0.0)) {
        return Err(invalid(
            bad.to_string(),
            "every score must be finite and ≥ 0",
        ));
    }
    if !scores.iter().any(|s| *s > 0.0) {
        return Err(invalid(
            "all zero".into(),
            "at least one score must be positive",
        ));
    }
    Ok(())
}

fn check_size(m: f64) -> Result<f64> {
    if m.is_finite() && m > 0.0 {
        Ok(m)
    } else {
        Err(Error::InvalidSampleSize { m })
    }
}

/// Computes q_i = min(1, c·s_i) with Σ q_i = m.
///
/// # Errors
/// [`Error::InvalidSampleSize`] for m ≤ 0 or non-finite m and
/// [`Error::InvalidArgument`] for a negative, non-finite or all-zero score vector.
pub fn inclusion_probabilities(scores: &[f64], m: f64) -> Result<Probabilities> {
    let m = check_size(m)?;
    check_scores(scores)?;

    let mut order: Vec<usize> = (0..scores.len()).filter(|&i| scores[i] > 0.0).collect();
    let positive = order.len();
    if m >= positive as f64 {
        let q = scores
            .iter()
            .map(|&s| if s > 0.0 { 1.0 } else { 0.0 })
            .collect();
        return Ok(Probabilities {
            q,
            multiplier: None,
            expected_size: positive as f64,
            clamped: true,
        });
    }

    order.sort_by(|&i, &j| scores[j].total_cmp(&scores[i]));
    let mut tail_sum: f64 = order.iter().map(|&i| scores[i]).sum();
    let mut capped = 0;
    let multiplier = loop {
        let c = (m - capped as f64) / tail_sum;
        if c * scores[order[capped]] <= 1.0 {
            break c;
        }
        tail_sum -= scores[order[capped]];
        capped += 1;
    };

    let q = scores.iter().map(|&s| (multiplier * s).min(1.0)).collect();
    Ok(Probabilities {
        q,
        multiplier: Some(multiplier),
        expected_size: m,
        clamped: false,
    })
}

/// Draws a weighted sample of expected size `m` with the given seed.
///
/// For [`SampleMode::WithReplacement`], m is rounded to the nearest integer
/// number of draws (at least 1).
///
/// # Errors
/// As [`inclusion_probabilities`], and [`Error::TooManyDraws`] for more than
/// [`MAX_DRAWS`] draws with replacement.
pub fn sample_rows(scores: &[f64], m: f64, mode: SampleMode, seed: u64) -> Result<Sample> {
    match mode {
        SampleMode::Bernoulli => bernoulli_sample(scores, m, seed),
        SampleMode::WithReplacement => sample_with_replacement(scores, m, seed),
    }
}

fn bernoulli_sample(scores: &[f64], m: f64, seed: u64) -> Result<Sample> {
    let probabilities = inclusion_probabilities(scores, m)?;
    let mut rng = tape::rng::stream(seed, "bernoulli");
    let (mut rows, mut weights) = (Vec::new(), Vec::new());

    for (i, &q) in probabilities.q.iter().enumerate() {
        let u = tape::rng::unit(&mut rng);
        if u < q {
            rows.push(i);
            weights.push(1.0 / q);
        }
    }
    Ok(Sample {
        rows,
        weights,
        expected_size: probabilities.expected_size,
        clamped: probabilities.clamped,
    })
}

fn sample_with_replacement(scores: &[f64], m: f64, seed: u64) -> Result<Sample> {
    let m = check_size(m)?;
    if m > MAX_DRAWS {
        return Err(Error::TooManyDraws { m, max: MAX_DRAWS });
    }
    check_scores(scores)?;
    let draws = (m.round() as usize).max(1);
    let table = CumulativeTable::new(scores);
    let mut rng = tape::rng::stream(seed, "with-replacement");

    let mut counts = vec![0usize; scores.len()];
    for _ in 0..draws {
        counts[table.draw(&mut rng)] += 1;
    }

    let total: f64 = scores.iter().sum();
    let (mut rows, mut weights) = (Vec::new(), Vec::new());
    for (i, &count) in counts.iter().enumerate() {
        if count > 0 {
            let probability = scores[i] / total;
            rows.push(i);
            weights.push(count as f64 / (draws as f64 * probability));
        }
    }
    Ok(Sample {
        rows,
        weights,
        expected_size: draws as f64,
        clamped: false,
    })
}

/// Inverse-CDF sampler over nonnegative weights: one uniform draw and a binary
/// search over the cumulative sums per sample (O(log n) per draw).
#[derive(Debug, Clone)]
pub struct CumulativeTable {
    cumulative: Vec<f64>,
}

impl CumulativeTable {
    /// Builds the table; the weights must be finite, ≥ 0 and not all zero.
    pub fn new(weights: &[f64]) -> Self {
        let mut sum = 0.0;
        let cumulative = weights
            .iter()
            .map(|w| {
                sum += w;
                sum
            })
            .collect();
        Self { cumulative }
    }

    /// Draws index i with probability weight_i / Σ weights.
    pub fn draw(&self, rng: &mut ChaCha8Rng) -> usize {
        let total = *self.cumulative.last().unwrap_or(&0.0);
        let target = tape::rng::unit(rng) * total;
        let index = self.cumulative.partition_point(|&c| c <= target);
        index.min(self.cumulative.len() - 1)
    }
}
