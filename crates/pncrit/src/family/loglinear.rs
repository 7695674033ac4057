//! Log-linear models on binary (0/1) variables, by exact enumeration of the
//! 2^d states or by Gibbs sampling ([`super::gibbs`]) beyond the state cap.
//!
//! t(x) is the vector of products Π_{j∈A} x_j over variable subsets A of size 1..k,
//! ordered by size, then lexicographically: order 1 is independent Bernoulli
//! variables, order 2 the pairwise (Ising-type) model. State s has
//! x_j = bit (d−1−j) of s, so x₁ is the most significant bit. The fit is damped
//! Newton over the 2^d states ([`crate::fit`]), and the model cloud is the
//! states weighted by their fitted probabilities. With sampling, the model
//! cloud is M Gibbs draws at θ̂ (importance-tilted so that their mean is t̄),
//! and the log-likelihood is not reported because ψ(θ̂) is unknown.

use faer::{Mat, MatRef};

use super::gibbs::{self, CheckedGibbsOptions, GibbsOptions};
use super::{ExpFamily, Fit, SamplingReport};
use crate::cumulant::{self, Cloud};
use crate::error::{Error, Result};
use crate::expansion::ModelCumulants;
use crate::fit::{self, CheckedFitOptions};

/// Hard cap on enumerated states (2²⁰).
pub const HARD_MAX_STATES: usize = 1 << 20;

/// When the model cloud comes from Gibbs draws instead of enumeration.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sampling {
    /// Never sample: more states than the cap is an error.
    Off,
    /// Sample only when 2^d exceeds the cap.
    BeyondCap,
    /// Always sample (for checks against enumeration).
    Always,
}

/// A binary log-linear model of interaction order `order`.
#[derive(Clone, Debug)]
pub struct LogLinear {
    /// Largest interaction size k ≥ 1.
    pub order: usize,
    /// Cap on 2^d (at most [`HARD_MAX_STATES`]).
    pub max_states: usize,
    /// Newton options.
    pub fit_options: CheckedFitOptions,
    /// When to sample.
    pub sampling: Sampling,
    /// Gibbs sampler options.
    pub gibbs: CheckedGibbsOptions,
}

/// Returns the variable subsets of size 1..=order of 0..d, by size then lexicographically.
pub fn subsets(d: usize, order: usize) -> Vec<Vec<usize>> {
    let mut out = Vec::new();
    for size in 1..=order.min(d) {
        let mut combo: Vec<usize> = (0..size).collect();
        loop {
            out.push(combo.clone());
            let Some(i) = (0..size).rev().find(|&i| combo[i] < d - size + i) else {
                break;
            };
            combo[i] += 1;
            for j in i + 1..size {
                combo[j] = combo[j - 1] + 1;
            }
        }
    }
    out
}

fn products(rows: MatRef<'_, f64>, terms: &[Vec<usize>]) -> Mat<f64> {
    Mat::from_fn(rows.nrows(), terms.len(), |i, a| {
        terms[a].iter().map(|&j| rows[(i, j)]).product()
    })
}

impl LogLinear {
    /// Builds an exact (enumerating) model with the default state cap 65 536.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for order 0.
    pub fn exact(order: usize, fit_options: CheckedFitOptions) -> Result<LogLinear> {
        if order == 0 {
            return Err(Error::invalid(
                "interactions",
                0,
                "use 1 (independence) or more",
            ));
        }
        Ok(LogLinear {
            order,
            max_states: 65_536,
            fit_options,
            sampling: Sampling::Off,
            gibbs: GibbsOptions::default().check()?,
        })
    }

    /// Returns whether the fit of `d` variables samples, or the error when it
    /// can neither enumerate nor sample.
    fn samples(&self, d: usize) -> Result<bool> {
        let states = 1u128 << d.min(127);
        let cap = self.max_states.min(HARD_MAX_STATES);
        let too_many = d >= 127 || states > cap as u128;
        match self.sampling {
            Sampling::Always => Ok(true),
            Sampling::BeyondCap => Ok(too_many),
            Sampling::Off if too_many => Err(Error::TooManyStates { states, max: cap }),
            Sampling::Off => Ok(false),
        }
    }

    /// Returns the 2^d × d matrix of states.
    pub fn states(d: usize) -> Mat<f64> {
        Mat::from_fn(1 << d, d, |s, j| ((s >> (d - 1 - j)) & 1) as f64)
    }
}

impl ExpFamily for LogLinear {
    fn name(&self) -> &'static str {
        "loglinear"
    }

    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        for j in 0..x.ncols() {
            if let Some(i) = (0..x.nrows()).find(|&i| x[(i, j)] != 0.0 && x[(i, j)] != 1.0) {
                return Err(Error::DomainViolation {
                    col: j + 1,
                    row: i + 1,
                    value: x[(i, j)],
                    family: "loglinear",
                    rule: "values must be 0 or 1 (use --binarize median)",
                });
            }
        }
        // The state cap applies to the fit only, so empirical mode works for any d.
        crate::io::check_not_constant(x, &(1..=x.ncols()).collect::<Vec<_>>())?;
        Ok(products(x, &subsets(x.ncols(), self.order)))
    }

    fn fit(&self, x: MatRef<'_, f64>, t: MatRef<'_, f64>) -> Result<Fit> {
        let d = x.ncols();
        let n = t.nrows();
        let tbar = cumulant::weighted_mean(t, &vec![1.0 / n as f64; n]);
        if self.samples(d)? {
            return self.fit_sampled(d, &tbar);
        }
        let states = products(LogLinear::states(d).as_ref(), &subsets(d, self.order));
        let fitted = fit::newton(states.as_ref(), &tbar, &self.fit_options)?;
        let cloud = Cloud::weighted(states.as_ref(), renormalised(&fitted.probs))?;
        Ok(Fit {
            theta: fitted.theta,
            loglik: fitted.loglik,
            model: ModelCumulants::Cloud(cloud),
            iterations: fitted.iterations,
            sampling: None,
            off_mle: None,
        })
    }
}

impl LogLinear {
    fn fit_sampled(&self, d: usize, tbar: &[f64]) -> Result<Fit> {
        let terms = subsets(d, self.order);
        let fitted = gibbs::fit(
            d,
            &terms,
            tbar,
            |states| products(states, &terms),
            &self.fit_options,
            &self.gibbs,
        )?;
        let opts = GibbsOptions::get(&self.gibbs);
        tracing::info!(
            draws = opts.draws,
            rounds = fitted.rounds,
            ess = fitted.ess,
            "Gibbs fit finished"
        );
        Ok(Fit {
            theta: fitted.theta,
            // NOTE: ψ(θ̂) is not estimated from the draws, so no log-likelihood
            // (and no AIC or TIC) is reported for sampled fits.
            loglik: f64::NAN,
            model: ModelCumulants::Cloud(fitted.cloud),
            iterations: fitted.rounds,
            sampling: Some(SamplingReport {
                draws: opts.draws,
                burn_in: opts.burn_in,
                rounds: fitted.rounds,
                ess: fitted.ess,
            }),
            off_mle: None,
        })
    }
}

/// Divides by the sum so that rounding leaves the weights summing to 1.
fn renormalised(probs: &[f64]) -> Vec<f64> {
    let total: f64 = probs.iter().sum();
    probs.iter().map(|p| p / total).collect()
}
