//! PGD search for input pairs that break a claimed Lipschitz bound.
//!
//! Ascends the difference quotient
//!
//! ```text
//! ρ(x, δ) = ‖f(x + δ) − f(x)‖ / ‖δ‖,    ‖δ‖ renormalised to δ_norm (10⁻³) after every step
//! ```
//!
//! over x and δ from several seeded starts. With r = f(x + δ) − f(x) and
//! r̂ = r/‖r‖, the gradients are ∇_δ‖r‖ = J(x + δ)ᵀr̂ and ∇_x‖r‖ = (J(x + δ) −
//! J(x))ᵀr̂, with J from the activation slopes at each point. The δ step is
//! δ̂ ← normalize(δ̂ + ∇_δ/‖∇_δ‖), a damped power iteration on JᵀJ. For ReLU
//! networks ∇_x vanishes inside a linear region, so the x step moves along a
//! random unit direction whenever ∇_x = 0. Any ratio above L on a model that
//! claims L is a counterexample; the best pair is returned so it can be saved.
//!
//! ```
//! use lipnet::model::{ArchParams, LipModel, ModelId};
//! use lipnet::verify::{PgdParams, pgd_search};
//!
//! let arch = ArchParams::new(ModelId::LdltRes, 3, 2, vec![4], 1.0).check().unwrap();
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let net = lipnet::model::build(&arch, &mut store, &mut rng).unwrap().network(&store).unwrap();
//! let config = PgdParams { starts: 4, steps: 10, ..PgdParams::default() }.check().unwrap();
//! let found = pgd_search(&net, None, &config);
//! assert!(found.ratio <= 1.0 + 1e-6);
//! ```

use crate::error::{Error, Result};
use crate::network::SlopeNet;
use faer::{Mat, MatRef};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

/// Relative slack over L that a PGD ratio may reach on a certified model; it
/// absorbs rounding in the finite difference at ‖δ‖ = 10⁻³.
pub const PGD_SLACK: f64 = 1e-6;

/// Unchecked PGD settings; [`PgdParams::check`] validates them.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PgdParams {
    /// Number of starting points.
    pub starts: usize,
    /// Gradient steps per start.
    pub steps: usize,
    /// ‖δ‖ after every renormalisation.
    pub delta_norm: f64,
    /// Length of each x step, in input units.
    pub x_step: f64,
    /// Standard deviation of random starting points (used without data).
    pub x_scale: f64,
    /// Seed of the starts and of the random x steps.
    pub seed: u64,
}

impl Default for PgdParams {
    /// 32 starts × 50 steps, ‖δ‖ = 10⁻³, x steps of 0.1, N(0, 1) starts, seed 0.
    fn default() -> Self {
        Self {
            starts: 32,
            steps: 50,
            delta_norm: 1e-3,
            x_step: 0.1,
            x_scale: 1.0,
            seed: 0,
        }
    }
}

/// Validated PGD settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PgdConfig(PgdParams);

impl PgdConfig {
    /// Returns the settings.
    pub fn params(&self) -> &PgdParams {
        &self.0
    }
}

impl PgdParams {
    /// Validates the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for zero starts, a non-positive or
    /// non-finite ‖δ‖, or a negative or non-finite step or scale.
    pub fn check(self) -> Result<PgdConfig> {
        if self.starts == 0 {
            return Err(Error::invalid(
                "pgd starts",
                0,
                "use at least one start, for example 32",
            ));
        }
        if !(self.delta_norm.is_finite() && self.delta_norm > 0.0) {
            return Err(Error::invalid(
                "pgd delta_norm",
                self.delta_norm,
                "‖δ‖ must be finite and > 0, for example 1e-3",
            ));
        }
        for (name, value) in [("pgd x_step", self.x_step), ("pgd x_scale", self.x_scale)] {
            if !(value.is_finite() && value >= 0.0) {
                return Err(Error::invalid(name, value, "use a finite value ≥ 0"));
            }
        }
        Ok(PgdConfig(self))
    }
}

/// The best pair a PGD search found.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PgdResult {
    /// The largest ‖f(x′) − f(x)‖/‖x′ − x‖ found.
    pub ratio: f64,
    /// The first point x.
    pub x: Vec<f64>,
    /// The second point x′ = x + δ.
    pub x_prime: Vec<f64>,
    /// Number of (x, δ) pairs evaluated.
    pub evaluations: usize,
}

/// Searches for the pair with the largest difference quotient.
///
/// Starts are the rows of `data` in order (cycling when there are fewer rows
/// than starts), or N(0, x_scale²) points without data.
pub fn pgd_search<N: SlopeNet + ?Sized>(
    net: &N,
    data: Option<MatRef<'_, f64>>,
    config: &PgdConfig,
) -> PgdResult {
    let p = config.params();
    let mut rng = tape::rng::stream(p.seed, "pgd");
    let mut best = PgdResult {
        ratio: 0.0,
        x: Vec::new(),
        x_prime: Vec::new(),
        evaluations: 0,
    };

    for start in 0..p.starts {
        let x = start_point(net.n_in(), data, start, p.x_scale, &mut rng);
        let delta = scaled(&random_unit(net.n_in(), &mut rng), p.delta_norm);
        run_start(net, p, x, delta, &mut rng, &mut best);
    }
    best
}

/// Runs the ascent from one start and updates `best` with every pair it visits.
fn run_start<N: SlopeNet + ?Sized>(
    net: &N,
    p: &PgdParams,
    mut x: Vec<f64>,
    mut delta: Vec<f64>,
    rng: &mut ChaCha8Rng,
    best: &mut PgdResult,
) {
    for step in 0..=p.steps {
        let x_prime = add(&x, &delta);
        let r = sub(&eval(net, &x_prime), &eval(net, &x));
        let r_norm = norm(&r);
        record(best, r_norm / norm(&delta), &x, &x_prime);
        if step == p.steps {
            break;
        }

        let r_hat = if r_norm > 0.0 {
            scaled(&r, 1.0 / r_norm)
        } else {
            random_unit(r.len(), rng)
        };
        let j_prime = net.jacobian_at(&x_prime);
        let j = net.jacobian_at(&x);
        let grad_delta = transpose_times(&j_prime, &r_hat);
        let grad_x = sub(&grad_delta, &transpose_times(&j, &r_hat));

        delta = next_delta(&delta, &grad_delta, p.delta_norm);
        let direction = match unit(&grad_x) {
            Some(u) => u,
            None => random_unit(x.len(), rng),
        };
        x = add(&x, &scaled(&direction, p.x_step));
    }
}

fn record(best: &mut PgdResult, ratio: f64, x: &[f64], x_prime: &[f64]) {
    best.evaluations += 1;
    if ratio > best.ratio || best.x.is_empty() {
        best.ratio = ratio;
        best.x = x.to_vec();
        best.x_prime = x_prime.to_vec();
    }
}

/// Returns δ_norm·normalize(δ̂ + ĝ), or δ unchanged when the gradient is 0.
fn next_delta(delta: &[f64], grad: &[f64], delta_norm: f64) -> Vec<f64> {
    let Some(g) = unit(grad) else {
        return delta.to_vec();
    };
    let d = scaled(delta, 1.0 / norm(delta));
    match unit(&add(&d, &g)) {
        Some(u) => scaled(&u, delta_norm),
        None => delta.to_vec(),
    }
}

fn start_point(
    n_in: usize,
    data: Option<MatRef<'_, f64>>,
    start: usize,
    x_scale: f64,
    rng: &mut ChaCha8Rng,
) -> Vec<f64> {
    match data {
        Some(x) if x.nrows() > 0 => {
            let i = start % x.nrows();
            (0..n_in).map(|j| x[(i, j)]).collect()
        }
        _ => (0..n_in)
            .map(|_| x_scale * tape::rng::standard_normal(rng))
            .collect(),
    }
}

fn eval<N: SlopeNet + ?Sized>(net: &N, x: &[f64]) -> Vec<f64> {
    let row = Mat::from_fn(1, x.len(), |_, j| x[j]);
    let y = net.forward(row.as_ref());
    (0..y.ncols()).map(|j| y[(0, j)]).collect()
}

/// Returns Jᵀr.
fn transpose_times(j: &Mat<f64>, r: &[f64]) -> Vec<f64> {
    (0..j.ncols())
        .map(|c| (0..j.nrows()).map(|i| j[(i, c)] * r[i]).sum())
        .collect()
}

fn random_unit(n: usize, rng: &mut ChaCha8Rng) -> Vec<f64> {
    loop {
        let v: Vec<f64> = (0..n).map(|_| tape::rng::standard_normal(rng)).collect();
        if let Some(u) = unit(&v) {
            return u;
        }
    }
}

fn unit(v: &[f64]) -> Option<Vec<f64>> {
    let n = norm(v);
    (n > 0.0 && n.is_finite()).then(|| scaled(v, 1.0 / n))
}

fn norm(v: &[f64]) -> f64 {
    v.iter().map(|a| a * a).sum::<f64>().sqrt()
}

fn add(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x + y).collect()
}

fn sub(a: &[f64], b: &[f64]) -> Vec<f64> {
    a.iter().zip(b).map(|(x, y)| x - y).collect()
}

fn scaled(v: &[f64], c: f64) -> Vec<f64> {
    v.iter().map(|a| a * c).collect()
}
