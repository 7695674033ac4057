//! Log-linear models on binary (0/1) variables by exact enumeration.
//!
//! t(x) is the vector of products Π_{j∈A} x_j over variable subsets A of size 1..k,
//! ordered by size, then lexicographically: order 1 is independent Bernoulli
//! variables, order 2 the pairwise (Ising-type) model. State s has
//! x_j = bit (d−1−j) of s, so x₁ is the most significant bit. The fit is damped
//! Newton over the 2^d states ([`crate::fit`]); the model cloud is the states
//! weighted by their fitted probabilities.

use faer::{Mat, MatRef};

use super::{ExpFamily, Fit};
use crate::cumulant::{self, Cloud};
use crate::error::{Error, Result};
use crate::expansion::ModelCumulants;
use crate::fit::{self, CheckedFitOptions};

/// Hard cap on enumerated states (2²⁰).
pub const HARD_MAX_STATES: usize = 1 << 20;

/// A binary log-linear model of interaction order `order`.
#[derive(Clone, Debug)]
pub struct LogLinear {
    /// Largest interaction size k ≥ 1.
    pub order: usize,
    /// Cap on 2^d (at most [`HARD_MAX_STATES`]).
    pub max_states: usize,
    /// Newton options.
    pub fit_options: CheckedFitOptions,
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
    fn check_states(&self, d: usize) -> Result<()> {
        let states = 1u128 << d.min(127);
        let cap = self.max_states.min(HARD_MAX_STATES);
        if d >= 127 || states > cap as u128 {
            return Err(Error::TooManyStates { states, max: cap });
        }
        Ok(())
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
        self.check_states(x.ncols())?;
        Ok(products(x, &subsets(x.ncols(), self.order)))
    }

    fn fit(&self, x: MatRef<'_, f64>, t: MatRef<'_, f64>) -> Result<Fit> {
        let d = x.ncols();
        self.check_states(d)?;
        let states = products(LogLinear::states(d).as_ref(), &subsets(d, self.order));
        let n = t.nrows();
        let tbar = cumulant::weighted_mean(t, &vec![1.0 / n as f64; n]);
        let fitted = fit::newton(states.as_ref(), &tbar, &self.fit_options)?;
        let cloud = Cloud::weighted(states.as_ref(), renormalised(&fitted.probs))?;
        Ok(Fit {
            theta: fitted.theta,
            loglik: fitted.loglik,
            model: ModelCumulants::Cloud(cloud),
            iterations: fitted.iterations,
        })
    }
}

/// Divides by the sum so that rounding leaves the weights summing to 1.
fn renormalised(probs: &[f64]) -> Vec<f64> {
    let total: f64 = probs.iter().sum();
    probs.iter().map(|p| p / total).collect()
}
