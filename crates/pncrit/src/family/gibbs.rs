//! Gibbs-sampled model clouds for binary log-linear models whose 2^d states
//! are too many to enumerate.
//!
//! The sampler runs systematic-scan sweeps: each x_j is redrawn from its full
//! conditional, logit P(x_j = 1 | rest) = Σ_{A∋j} θ_A Π_{i∈A∖{j}} x_i. After
//! `burn_in` sweeps it keeps one state every `thin` sweeps.
//!
//! The fit is a stochastic-approximation Newton iteration with importance
//! reweighting (Geyer–Thompson). Each round draws M states at the current θ
//! and fits the tilt δ that makes the reweighted draws, with weights
//! ∝ exp(δᵀt_s), match t̄ exactly (damped Newton on the draws). When the tilted
//! weights keep an effective sample size of at least [`MIN_ESS_FRACTION`]·M,
//! θ̂ = θ + δ and the tilted draws are the model cloud. Otherwise θ moves by
//! δ (or by the plain Newton step when the tilted fit fails), limited to
//! [`TRUST_RADIUS`] in the norm of the sampled Fisher information, and the
//! next round draws again. Round k uses the random stream
//! `"loglinear/gibbs/round<k>"` of the seed, so a seed gives bit-identical
//! results.

use faer::{Mat, MatRef};
use tape::rng::{ChaCha8Rng, stream, unit};

use crate::cumulant::Cloud;
use crate::error::{Error, Result};
use crate::fit::{self, CheckedFitOptions};
use crate::linalg;

/// The smallest effective sample size of the tilted draws, as a fraction of
/// M, at which the tilt is accepted as the final fit.
pub const MIN_ESS_FRACTION: f64 = 0.9;

/// The largest move of θ in one round, in the norm √(δᵀĜδ).
pub const TRUST_RADIUS: f64 = 2.0;

/// Options of the Gibbs sampler (validate with [`GibbsOptions::check`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct GibbsOptions {
    /// Kept draws M per round (default 20 000).
    pub draws: usize,
    /// Sweeps discarded before the first kept draw (default 1 000).
    pub burn_in: usize,
    /// Sweeps between kept draws (default 1).
    pub thin: usize,
    /// Largest number of sampling rounds (default 30).
    pub max_rounds: usize,
    /// Seed of the random streams.
    pub seed: u64,
}

impl Default for GibbsOptions {
    fn default() -> Self {
        GibbsOptions {
            draws: 20_000,
            burn_in: 1_000,
            thin: 1,
            max_rounds: 30,
            seed: 0,
        }
    }
}

/// Validated [`GibbsOptions`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CheckedGibbsOptions(GibbsOptions);

impl GibbsOptions {
    /// Validates the options once.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for fewer than 100 draws, thin = 0 or
    /// max_rounds = 0.
    pub fn check(self) -> Result<CheckedGibbsOptions> {
        if self.draws < 100 {
            return Err(Error::invalid(
                "draws",
                self.draws,
                "use at least 100 Gibbs draws, such as --draws 20000",
            ));
        }
        if self.thin == 0 {
            return Err(Error::invalid(
                "thin",
                0,
                "keep a draw every 1 or more sweeps",
            ));
        }
        if self.max_rounds == 0 {
            return Err(Error::invalid("max_rounds", 0, "need at least 1 round"));
        }
        Ok(CheckedGibbsOptions(self))
    }

    /// Returns the options without validation (for reports).
    pub fn get(checked: &CheckedGibbsOptions) -> GibbsOptions {
        checked.0
    }
}

/// The fit of a sampled model.
#[derive(Clone, Debug)]
pub struct SampledFit {
    /// Natural parameters θ̂.
    pub theta: Vec<f64>,
    /// The tilted draws at θ̂: M statistic rows with weights ∝ exp(δᵀt_s).
    pub cloud: Cloud,
    /// Sampling rounds used.
    pub rounds: usize,
    /// Effective sample size 1/Σw² of the final cloud.
    pub ess: f64,
}

/// The variable subsets of a log-linear model, indexed by variable.
struct Terms<'a> {
    terms: &'a [Vec<usize>],
    /// Indices of the terms that contain variable j.
    by_variable: Vec<Vec<usize>>,
}

impl<'a> Terms<'a> {
    fn new(d: usize, terms: &'a [Vec<usize>]) -> Terms<'a> {
        let mut by_variable = vec![Vec::new(); d];
        for (a, term) in terms.iter().enumerate() {
            for &j in term {
                by_variable[j].push(a);
            }
        }
        Terms { terms, by_variable }
    }

    fn conditional_logit(&self, x: &[bool], j: usize, theta: &[f64]) -> f64 {
        self.by_variable[j]
            .iter()
            .filter(|&&a| self.terms[a].iter().all(|&i| i == j || x[i]))
            .map(|&a| theta[a])
            .sum()
    }
}

fn sweep(x: &mut [bool], terms: &Terms<'_>, theta: &[f64], rng: &mut ChaCha8Rng) {
    for j in 0..x.len() {
        let logit = terms.conditional_logit(x, j, theta);
        let p_one = 1.0 / (1.0 + (-logit).exp());
        x[j] = unit(rng) < p_one;
    }
}

/// Draws `opts.draws` states (M × d, entries 0/1) of the log-linear model
/// with parameters `theta` over the variable subsets `terms`, from the random
/// stream `key` of the seed. The chain starts from independent fair bits.
pub fn draw_states(
    d: usize,
    terms: &[Vec<usize>],
    theta: &[f64],
    opts: &CheckedGibbsOptions,
    key: &str,
) -> Mat<f64> {
    let opts = opts.0;
    let terms = Terms::new(d, terms);
    let mut rng = stream(opts.seed, key);
    let mut x: Vec<bool> = (0..d).map(|_| unit(&mut rng) < 0.5).collect();
    for _ in 0..opts.burn_in {
        sweep(&mut x, &terms, theta, &mut rng);
    }
    let mut states = Mat::<f64>::zeros(opts.draws, d);
    for s in 0..opts.draws {
        for _ in 0..opts.thin {
            sweep(&mut x, &terms, theta, &mut rng);
        }
        for j in 0..d {
            states[(s, j)] = f64::from(u8::from(x[j]));
        }
    }
    states
}

/// Fits θ̂ by sampled Newton rounds; `statistics` maps M × d states to their
/// M × p statistic rows, and `tbar` is the data mean of the statistic.
///
/// # Errors
///
/// [`Error::MleBoundary`] when a component of t̄ lies on the boundary of
/// [0, 1], ‖θ‖∞ exceeds its bound, the sampled information is singular, or
/// the rounds run out before the tilt's effective sample size reaches
/// [`MIN_ESS_FRACTION`]·M.
pub fn fit(
    d: usize,
    terms: &[Vec<usize>],
    tbar: &[f64],
    statistics: impl Fn(MatRef<'_, f64>) -> Mat<f64>,
    fit_options: &CheckedFitOptions,
    opts: &CheckedGibbsOptions,
) -> Result<SampledFit> {
    check_interior(terms, tbar)?;
    let p = tbar.len();
    let mut theta = vec![0.0; p];
    for round in 0..opts.0.max_rounds {
        let states = draw_states(
            d,
            terms,
            &theta,
            opts,
            &format!("loglinear/gibbs/round{round}"),
        );
        let t = statistics(states.as_ref());
        let draws = Cloud::from_data(t.as_ref());
        let g = draws.covariance();
        let l = linalg::cholesky(g.as_ref(), 1e-12).map_err(|k| Error::MleBoundary {
            reason: format!(
                "statistic {} is constant over the {} Gibbs draws of round {}; use more --draws",
                k + 1,
                draws.len(),
                round + 1
            ),
        })?;

        let tilt = fit::newton(t.as_ref(), tbar, fit_options).ok();
        let (delta, accepted) = match &tilt {
            Some(tilt) => {
                let ess = effective_size(&tilt.probs);
                (
                    tilt.theta.clone(),
                    ess >= MIN_ESS_FRACTION * draws.len() as f64,
                )
            }
            None => (newton_step(&draws, tbar, l.as_ref()), false),
        };
        tracing::debug!(round = round + 1, accepted, "Gibbs round finished");
        if let (true, Some(tilt)) = (accepted, tilt) {
            let theta = theta.iter().zip(&delta).map(|(a, b)| a + b).collect();
            let ess = effective_size(&tilt.probs);
            return Ok(SampledFit {
                theta,
                cloud: Cloud::weighted(t.as_ref(), tilt.probs)?,
                rounds: round + 1,
                ess,
            });
        }

        let scale = (TRUST_RADIUS / g_norm(l.as_ref(), &delta)).min(1.0);
        for (a, b) in theta.iter_mut().zip(&delta) {
            *a += scale * b;
        }
        check_bound(&theta, fit_options)?;
    }
    Err(Error::MleBoundary {
        reason: format!(
            "sampled Newton did not settle in {} rounds (the tilt kept less than {:.0}% effective draws); use more --draws",
            opts.0.max_rounds,
            100.0 * MIN_ESS_FRACTION
        ),
    })
}

/// Rejects a t̄ with a component at 0 or 1: every statistic is a 0/1 product,
/// so such a mean lies on a face of the marginal polytope and no MLE exists.
fn check_interior(terms: &[Vec<usize>], tbar: &[f64]) -> Result<()> {
    match tbar.iter().position(|&m| m <= 0.0 || m >= 1.0) {
        Some(a) => Err(Error::MleBoundary {
            reason: format!(
                "the product of variables {:?} has sample mean {}",
                terms[a].iter().map(|j| j + 1).collect::<Vec<_>>(),
                tbar[a]
            ),
        }),
        None => Ok(()),
    }
}

fn check_bound(theta: &[f64], fit_options: &CheckedFitOptions) -> Result<()> {
    let norm = theta.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
    let bound = fit_options.theta_max();
    if norm > bound {
        return Err(Error::MleBoundary {
            reason: format!("sampled Newton diverged: ‖θ‖∞ = {norm:.3} exceeds {bound}"),
        });
    }
    Ok(())
}

/// Returns the Newton step Ĝ⁻¹(t̄ − μ̂) of a draw cloud, with LLᵀ = Ĝ.
fn newton_step(draws: &Cloud, tbar: &[f64], l: MatRef<'_, f64>) -> Vec<f64> {
    let p = tbar.len();
    let grad = Mat::from_fn(1, p, |_, j| tbar[j] - draws.mean[j]);
    let y = linalg::whiten_rows(grad.as_ref(), l);
    let mut x = y.transpose().to_owned();
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(
        l.transpose(),
        x.as_mut(),
        faer::Par::Seq,
    );
    (0..p).map(|j| x[(j, 0)]).collect()
}

/// Returns √(δᵀĜδ) = |Lᵀδ| with LLᵀ = Ĝ.
fn g_norm(l: MatRef<'_, f64>, delta: &[f64]) -> f64 {
    let p = delta.len();
    (0..p)
        .map(|j| (j..p).map(|i| l[(i, j)] * delta[i]).sum::<f64>().powi(2))
        .sum::<f64>()
        .sqrt()
}

/// Returns the effective sample size 1/Σw² of normalised weights.
pub fn effective_size(weights: &[f64]) -> f64 {
    let total: f64 = weights.iter().sum();
    1.0 / weights.iter().map(|w| (w / total).powi(2)).sum::<f64>()
}

/// Returns the cloud of rows `start..start + len` of `cloud`, with its weights
/// renormalised and re-centred at their own weighted mean.
///
/// # Errors
///
/// [`Error::InvalidParameter`] when the block's weights sum to zero.
pub fn block(cloud: &Cloud, start: usize, len: usize) -> Result<Cloud> {
    let w = &cloud.weights[start..start + len];
    let total: f64 = w.iter().sum();
    let weights = w.iter().map(|x| x / total).collect();
    Cloud::weighted(cloud.points.as_ref().subrows(start, len), weights)
}
