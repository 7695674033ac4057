//! Maximum likelihood by damped Newton for exponential families whose states
//! are enumerated.
//!
//! Maximise ℓ(θ) = θᵀt̄ − ψ(θ) with ψ(θ) = ln Σₛ exp(θᵀtₛ) (a log-sum-exp
//! with max shift). Gradient g = t̄ − μ(θ), Hessian −G(θ); the step Δ = G⁻¹g is
//! solved by Cholesky and halved until ℓ(θ + sΔ) ≥ ℓ(θ) + 10⁻⁴·s·gᵀΔ (Armijo).
//! Stop when ½gᵀΔ < 10⁻²² or max_j |g_j|/√G_jj < 10⁻¹¹. The MLE is declared
//! not to exist (`mle_boundary`) when ‖θ‖∞ exceeds its bound, λ_min(G)/tr(G)
//! falls below its bound, the step length falls below its bound, or Newton
//! does not converge. No ridge is ever added to G. When the predicted ascent
//! ½gᵀΔ is below 1e-13·(1 + |ℓ|), the Armijo test cannot resolve it and the
//! full step is taken.
//!
//! ```
//! use faer::Mat;
//! use pncrit::fit::{newton, FitOptions};
//! // One Bernoulli variable: states t = 0 and t = 1; t̄ = 0.25 gives θ = ln(1/3).
//! let states = Mat::from_fn(2, 1, |s, _| s as f64);
//! let opts = FitOptions::default().check().unwrap();
//! let fit = newton(states.as_ref(), &[0.25], &opts).unwrap();
//! assert!((fit.theta[0] - (1.0f64 / 3.0).ln()).abs() < 1e-10);
//! ```

use faer::{Mat, MatRef};

use crate::error::{Error, Result};
use crate::linalg;

/// Hyper-parameters of damped Newton (validate with [`FitOptions::check`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FitOptions {
    /// Maximum number of Newton iterations (default 100).
    pub max_iter: usize,
    /// Divergence bound on ‖θ‖∞ (default 30).
    pub theta_max: f64,
    /// Divergence bound on λ_min(G)/tr(G) (default 1e-12).
    pub min_eig_ratio: f64,
    /// Smallest accepted step length s (default 1e-10).
    pub min_step: f64,
}

impl Default for FitOptions {
    fn default() -> Self {
        FitOptions {
            max_iter: 100,
            theta_max: 30.0,
            min_eig_ratio: 1e-12,
            min_step: 1e-10,
        }
    }
}

/// Validated [`FitOptions`].
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct CheckedFitOptions(FitOptions);

impl FitOptions {
    /// Validates the options once, so the solver never re-checks them.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for max_iter = 0 or non-positive bounds.
    pub fn check(self) -> Result<CheckedFitOptions> {
        if self.max_iter == 0 {
            return Err(Error::invalid("max_iter", 0, "need at least 1 iteration"));
        }
        for (name, v) in [
            ("theta_max", self.theta_max),
            ("min_eig_ratio", self.min_eig_ratio),
            ("min_step", self.min_step),
        ] {
            if !(v > 0.0 && v.is_finite()) {
                return Err(Error::invalid(name, v, "must be a positive finite number"));
            }
        }
        Ok(CheckedFitOptions(self))
    }
}

impl CheckedFitOptions {
    /// Returns the divergence bound on ‖θ‖∞.
    pub fn theta_max(&self) -> f64 {
        self.0.theta_max
    }
}

/// The fitted model over enumerated states.
#[derive(Clone, Debug)]
pub struct NewtonFit {
    /// Natural parameters θ̂.
    pub theta: Vec<f64>,
    /// Per-observation log-likelihood θ̂ᵀt̄ − ψ(θ̂) (nats).
    pub loglik: f64,
    /// State probabilities at θ̂.
    pub probs: Vec<f64>,
    /// Newton iterations used.
    pub iterations: usize,
}

/// Returns (ψ(θ), state probabilities).
pub fn log_partition(states: MatRef<'_, f64>, theta: &[f64]) -> (f64, Vec<f64>) {
    let column = Mat::from_fn(theta.len(), 1, |j, _| theta[j]);
    let product = linalg::mul(states, column.as_ref());
    let eta: Vec<f64> = (0..states.nrows()).map(|s| product[(s, 0)]).collect();
    let max = eta.iter().fold(f64::NEG_INFINITY, |m, e| m.max(*e));
    let total: f64 = eta.iter().map(|e| (e - max).exp()).sum();
    let psi = max + total.ln();
    (psi, eta.iter().map(|e| (e - psi).exp()).collect())
}

fn loglik(states: MatRef<'_, f64>, theta: &[f64], tbar: &[f64]) -> f64 {
    let dot: f64 = theta.iter().zip(tbar).map(|(a, b)| a * b).sum();
    dot - log_partition(states, theta).0
}

/// Fits θ̂ by damped Newton from θ = 0 (uniform over the states).
///
/// # Errors
///
/// [`Error::MleBoundary`] when the MLE does not exist or Newton diverges, with the reason.
pub fn newton(
    states: MatRef<'_, f64>,
    tbar: &[f64],
    opts: &CheckedFitOptions,
) -> Result<NewtonFit> {
    let opts = opts.0;
    let p = states.ncols();
    let mut theta = vec![0.0; p];
    for iteration in 0..opts.max_iter {
        let (_, probs) = log_partition(states, &theta);
        let mean: Vec<f64> = crate::cumulant::weighted_mean(states, &probs);
        let centred = Mat::from_fn(states.nrows(), p, |s, j| states[(s, j)] - mean[j]);
        let g_mat = linalg::weighted_gram(centred.as_ref(), &probs);
        check_information(g_mat.as_ref(), opts.min_eig_ratio)?;

        let grad: Vec<f64> = (0..p).map(|j| tbar[j] - mean[j]).collect();
        let scaled_grad = (0..p)
            .map(|j| grad[j].abs() / g_mat[(j, j)].sqrt())
            .fold(0.0, f64::max);
        let step = solve(g_mat.as_ref(), &grad)?;
        let decrement: f64 = grad.iter().zip(&step).map(|(a, b)| a * b).sum();
        if 0.5 * decrement < 1e-22 || scaled_grad < 1e-11 {
            let loglik = loglik(states, &theta, tbar);
            return Ok(NewtonFit {
                theta,
                loglik,
                probs,
                iterations: iteration,
            });
        }

        theta = line_search(states, tbar, &theta, &step, decrement, opts.min_step)?;
        let norm = theta.iter().fold(0.0_f64, |m, t| m.max(t.abs()));
        if norm > opts.theta_max {
            return Err(Error::MleBoundary {
                reason: format!(
                    "Newton diverged: ‖θ‖∞ = {norm:.3} exceeds {}",
                    opts.theta_max
                ),
            });
        }
    }
    Err(Error::MleBoundary {
        reason: format!("Newton did not converge in {} iterations", opts.max_iter),
    })
}

fn check_information(g: MatRef<'_, f64>, min_ratio: f64) -> Result<()> {
    let (values, _) = linalg::sym_eigen(g).ok_or_else(|| Error::MleBoundary {
        reason: "the eigensolver failed on G(θ)".into(),
    })?;
    let ratio = values[0] / linalg::trace(g);
    if ratio.is_nan() || ratio < min_ratio {
        return Err(Error::MleBoundary {
            reason: format!("G(θ) is nearly singular: λ_min/tr = {ratio:.3e}"),
        });
    }
    Ok(())
}

fn solve(g: MatRef<'_, f64>, rhs: &[f64]) -> Result<Vec<f64>> {
    let l = linalg::cholesky(g, 0.0).map_err(|k| Error::MleBoundary {
        reason: format!("Cholesky of G(θ) failed at pivot {}", k + 1),
    })?;
    let b = Mat::from_fn(1, rhs.len(), |_, j| rhs[j]);
    let y = linalg::whiten_rows(b.as_ref(), l.as_ref());
    let mut x = y.transpose().to_owned();
    faer::linalg::triangular_solve::solve_upper_triangular_in_place(
        l.transpose(),
        x.as_mut(),
        faer::Par::Seq,
    );
    Ok((0..rhs.len()).map(|j| x[(j, 0)]).collect())
}

/// Relative size of a change in ℓ below which f64 evaluations cannot resolve it.
const ROUNDOFF: f64 = 1e-13;

fn line_search(
    states: MatRef<'_, f64>,
    tbar: &[f64],
    theta: &[f64],
    step: &[f64],
    decrement: f64,
    min_step: f64,
) -> Result<Vec<f64>> {
    let base = loglik(states, theta, tbar);
    let full: Vec<f64> = theta.iter().zip(step).map(|(t, d)| t + d).collect();
    if 0.5 * decrement <= ROUNDOFF * (1.0 + base.abs()) {
        // The predicted ascent is below the resolution of ℓ, so the Armijo test
        // cannot decide; near the optimum the full Newton step is accurate.
        return Ok(full);
    }
    let mut s = 1.0;
    while s >= min_step {
        let trial: Vec<f64> = theta.iter().zip(step).map(|(t, d)| t + s * d).collect();
        if loglik(states, &trial, tbar) >= base + 1e-4 * s * decrement {
            return Ok(trial);
        }
        s *= 0.5;
    }
    Err(Error::MleBoundary {
        reason: format!("the line search found no ascent step above length {min_step:e}"),
    })
}
