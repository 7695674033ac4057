//! The Monte-Carlo validator: simulate the risk E KL(g_θ* ∥ g_θ̂) under a
//! misspecified truth and set it beside a₁/n + a₂/n².
//!
//! Cases (truth → model):
//! - `poisson_negbin`: negative binomial (r = 4, q = 0.4: mean 6, K₂ = 15,
//!   K₃ = 60) → Poisson; loss 6 ln(6/x̄) − 6 + x̄.
//! - `normal_gamma`: Gamma(3, 1) → N(μ, σ²) with t = (x, x²); loss
//!   KL(N(3, 3) ∥ N(x̄, s²)), s² with divisor n.
//! - `indep_bernoulli`: cells P[x₁][x₂] = [[0.35, 0.15], [0.10, 0.40]] → two
//!   independent Bernoulli variables; loss Σⱼ KL(Bern(μ*ⱼ) ∥ Bern(x̄ⱼ)).
//!
//! Replicate k draws from `tape::rng::stream(seed, "<case>/n<n>/rep<k>")`, and
//! losses are summed in replicate order, so results are bit-identical for a
//! seed. Replicates without an MLE (x̄ on the boundary) are counted as
//! failures and left out, so the mean is conditional on existence.
//!
//! ```
//! use pncrit::simulate::{simulate, Case};
//! let row = simulate(Case::PoissonNegBin, 40, 2000, 0).unwrap();
//! assert_eq!(row.reps, 2000);
//! assert!((row.mc_mean - row.r2).abs() < 5.0 * row.mc_se);
//! ```

use faer::Mat;
use serde::Serialize;
use tape::rng::{ChaCha8Rng, stream, unit};

use crate::cumulant::Cloud;
use crate::error::{Error, Result};
use crate::expansion::{self, Expansion, ModelCumulants, Truth};

/// A built-in simulation case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Case {
    /// Poisson model, negative-binomial truth.
    PoissonNegBin,
    /// Univariate normal model, Gamma(3) truth.
    NormalGamma,
    /// Two independent Bernoulli variables, correlated truth.
    IndepBernoulli,
}

impl Case {
    /// Returns the snake_case name.
    pub fn name(&self) -> &'static str {
        match self {
            Case::PoissonNegBin => "poisson_negbin",
            Case::NormalGamma => "normal_gamma",
            Case::IndepBernoulli => "indep_bernoulli",
        }
    }
}

/// One line of the validator: `n reps failures mc_mean mc_se R1 R2 z`.
#[derive(Clone, Debug, Serialize)]
pub struct McRow {
    /// Sample size.
    pub n: usize,
    /// Replicates run.
    pub reps: usize,
    /// Replicates without an MLE (left out of the mean).
    pub failures: usize,
    /// Mean loss over the other replicates (nats).
    pub mc_mean: f64,
    /// Its standard error.
    pub mc_se: f64,
    /// a₁/n (JSON key `R1`, as in `check`).
    #[serde(rename = "R1")]
    pub r1: f64,
    /// a₁/n + a₂/n² (JSON key `R2`).
    #[serde(rename = "R2")]
    pub r2: f64,
    /// (mc_mean − R2)/mc_se.
    pub z: f64,
}

const CELLS: [f64; 4] = [0.35, 0.15, 0.10, 0.40];

/// Returns the expansion of the case from the truth's exact cumulants.
///
/// The Gamma(3) truth enters as its 5-node generalised Gauss–Laguerre rule,
/// which matches every moment of x up to order 9 and hence K₂, K₃ of (x, x²).
///
/// # Errors
///
/// Only on an internal singular information, which the built-in cases avoid.
pub fn case_expansion(case: Case) -> Result<Expansion> {
    match case {
        Case::PoissonNegBin => expansion::expansion(
            &ModelCumulants::Analytic1D {
                k2: 6.0,
                k3: 6.0,
                k4: 6.0,
            },
            &Truth::Moments1D { k2: 15.0, k3: 60.0 },
        ),
        Case::NormalGamma => {
            let (nodes, weights) = gauss_laguerre_shape3();
            let t = Mat::from_fn(nodes.len(), 2, |i, j| {
                let z = (nodes[i] - 3.0) / 3f64.sqrt();
                if j == 0 { z } else { z * z }
            });
            let cloud = Cloud::weighted(t.as_ref(), weights)?;
            expansion::expansion(&ModelCumulants::Gaussian { d: 1 }, &Truth::Cloud(&cloud))
        }
        Case::IndepBernoulli => {
            let states = Mat::from_fn(4, 2, |s, j| ((s >> (1 - j)) & 1) as f64);
            let model_probs: Vec<f64> = (0..4)
                .map(|s| {
                    // Marginals of the truth: P(x₁ = 1) = 0.5, P(x₂ = 1) = 0.55.
                    let m2 = if s & 1 == 1 { 0.55 } else { 0.45 };
                    0.5 * m2
                })
                .collect();
            let model = Cloud::weighted(states.as_ref(), model_probs)?;
            let truth = Cloud::weighted(states.as_ref(), CELLS.to_vec())?;
            expansion::expansion(&ModelCumulants::Cloud(model), &Truth::Cloud(&truth))
        }
    }
}

/// Nodes and weights of the 5-point rule for the density x²e^{−x}/2 (Gamma(3, 1)),
/// by the Golub–Welsch eigenvalue method on the Laguerre Jacobi matrix (α = 2).
fn gauss_laguerre_shape3() -> (Vec<f64>, Vec<f64>) {
    let (m, alpha) = (5usize, 2.0);
    let jacobi = Mat::from_fn(m, m, |i, j| {
        if i == j {
            2.0 * i as f64 + alpha + 1.0
        } else if i.abs_diff(j) == 1 {
            let k = i.max(j) as f64;
            (k * (k + alpha)).sqrt()
        } else {
            0.0
        }
    });
    let (nodes, vectors) = crate::linalg::sym_eigen(jacobi.as_ref())
        .expect("a 5 × 5 tridiagonal eigenproblem converges");
    let weights = (0..m).map(|k| vectors[(0, k)].powi(2)).collect();
    (nodes, weights)
}

/// Returns P(X ≤ k) = 1 − 0.6^(k+1) for k = 0..71, where X counts the
/// failures before the first success at success probability 0.4. Beyond 72
/// entries 0.6^(k+1) < 2⁻⁵³, below the resolution of `unit`.
fn geometric_thresholds() -> [f64; 72] {
    std::array::from_fn(|k| 1.0 - 0.6f64.powi(k as i32 + 1))
}

/// Returns the geometric variate for the uniform u by inversion: the number of
/// thresholds P(X ≤ k) that u reaches. This is the draw ⌊ln(1 − u)/ln 0.6⌋
/// without a logarithm, up to rounding at the thresholds.
fn geometric_by_inversion(u: f64, thresholds: &[f64; 72]) -> f64 {
    thresholds.iter().take_while(|&&t| u >= t).count() as f64
}

/// Draws the losses of one replicate; `None` when the MLE does not exist.
fn replicate(case: Case, n: usize, rng: &mut ChaCha8Rng) -> Option<f64> {
    match case {
        Case::PoissonNegBin => {
            let thresholds = geometric_thresholds();
            let total: f64 = (0..n * 4)
                .map(|_| geometric_by_inversion(unit(rng), &thresholds))
                .sum();
            let mean = total / n as f64;
            (mean > 0.0).then(|| 6.0 * (6.0 / mean).ln() - 6.0 + mean)
        }
        Case::NormalGamma => {
            let draws: Vec<f64> = (0..n)
                .map(|_| -((1.0 - unit(rng)) * (1.0 - unit(rng)) * (1.0 - unit(rng))).ln())
                .collect();
            let mean = draws.iter().sum::<f64>() / n as f64;
            let var = draws.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / n as f64;
            (var > 0.0).then(|| 0.5 * ((var / 3.0).ln() + (3.0 + (3.0 - mean).powi(2)) / var - 1.0))
        }
        Case::IndepBernoulli => {
            let (mut ones1, mut ones2) = (0usize, 0usize);
            for _ in 0..n {
                let u = unit(rng);
                let cell = if u < CELLS[0] {
                    0
                } else if u < CELLS[0] + CELLS[1] {
                    1
                } else if u < 1.0 - CELLS[3] {
                    2
                } else {
                    3
                };
                ones1 += cell >> 1;
                ones2 += cell & 1;
            }
            let kl = |star: f64, hat: f64| {
                star * (star / hat).ln() + (1.0 - star) * ((1.0 - star) / (1.0 - hat)).ln()
            };
            let (m1, m2) = (ones1 as f64 / n as f64, ones2 as f64 / n as f64);
            let interior = |m: f64| m > 0.0 && m < 1.0;
            (interior(m1) && interior(m2)).then(|| kl(0.5, m1) + kl(0.55, m2))
        }
    }
}

/// Simulates `reps` replicates at sample size n.
///
/// # Errors
///
/// [`Error::InvalidParameter`] when n = 0, reps < 2, or fewer than two
/// replicates have an MLE.
pub fn simulate(case: Case, n: usize, reps: usize, seed: u64) -> Result<McRow> {
    if n == 0 {
        return Err(Error::invalid("n", n, "the sample size must be ≥ 1"));
    }
    if reps < 2 {
        return Err(Error::invalid("reps", reps, "use at least 2 replicates"));
    }
    let losses: Vec<Option<f64>> = (0..reps)
        .map(|k| {
            replicate(
                case,
                n,
                &mut stream(seed, &format!("{}/n{n}/rep{k}", case.name())),
            )
        })
        .collect();

    let kept: Vec<f64> = losses.iter().flatten().copied().collect();
    if kept.len() < 2 {
        return Err(Error::invalid(
            "reps",
            reps,
            "fewer than two replicates had an MLE; increase n",
        ));
    }
    let count = kept.len() as f64;
    let mean = kept.iter().sum::<f64>() / count;
    let var = kept.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / (count - 1.0);
    let se = (var / count).sqrt();

    let e = case_expansion(case)?;
    let nf = n as f64;
    let (r1, r2) = (e.a1 / nf, e.a1 / nf + e.a2 / (nf * nf));
    Ok(McRow {
        n,
        reps,
        failures: reps - kept.len(),
        mc_mean: mean,
        mc_se: se,
        r1,
        r2,
        z: (mean - r2) / se,
    })
}
