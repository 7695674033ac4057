//! ℓp Lewis weights: the unique w > 0 with w_i = τ_i(W^{1/2−1/p}A), equivalently
//! w_i^{2/p} = a_iᵀ(AᵀW^{1−2/p}A)⁻¹a_i, with Σ w_i = rank(A) and w = τ for p = 2.
//!
//! Fixed point (Cohen and Peng, "ℓp Row Sampling by Lewis Weights", STOC 2015):
//! F_i(w) = (u_iᵀ(UᵀW^{1−2/p}U)⁻¹u_i)^{p/2} on an orthonormal basis U. Each
//! evaluation forms M = Σ w_i^{1−2/p} u_i u_iᵀ, factors M = LLᵀ and sets
//! F_i = ‖L⁻¹u_i‖^p, at cost O(n r²).
//!
//! Damping in log coordinates, log w ← (1−η) log w + η log F(w), is derived in the
//! normlab lpsample specification: the Jacobian of u ↦ log F(e^u) is (1 − p/2)K with
//! K row-stochastic and its spectrum in [0, 1], so the undamped map contracts locally
//! only for p < 4, and η = 4/(p+2) gives the rate (p−2)/(p+2) for p > 2. See
//! [`default_eta`].
//!
//! Rows with u_i = 0 get w_i = 0 and take no part in the iteration.
//!
//! ```
//! use lpsample::lewis::{lewis_weights, LewisOptions};
//!
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let params = LewisOptions::new(1.0).check().unwrap();
//! let result = lewis_weights(a.as_ref(), &params).unwrap();
//! assert!((result.weights[2] - 2.0 / 3.0).abs() < 1e-10);
//! ```

use faer::{Mat, MatRef};

use crate::basis::{Basis, BasisMethod, orthonormal_basis, row_norms_squared};
use crate::error::{Error, Result};
use crate::input::check_p;

mod pass;

use pass::Pass;

/// Number of consecutive residual increases after which the iteration is
/// declared divergent.
pub const MAX_GROWING_STEPS: usize = 20;

/// Number of consecutive iterations without a new smallest residual after
/// which the iteration stops. Above [`STALL_FLOOR`] this is declared divergent
/// (it catches the 2-cycle of the undamped map at p = 4, whose residual neither
/// grows nor shrinks); below it, the residual has reached its rounding floor.
pub const MAX_STALLED_STEPS: usize = 50;

/// Smallest residual below which a stall is reported as a rounding floor
/// ([`Error::LewisStalled`]) rather than as divergence.
pub const STALL_FLOOR: f64 = 1e-6;

/// Returns the default damping η: 1 for p ≤ 2 and 4/(p+2) for p > 2.
///
/// Derived in the normlab lpsample specification, not taken from a paper:
/// the undamped map contracts locally only for p < 4, and η = 4/(p+2)
/// minimises the local rate to (p−2)/(p+2) for p > 2. Global convergence
/// for p ≥ 4 is not proved.
pub fn default_eta(p: f64) -> f64 {
    if p <= 2.0 { 1.0 } else { 4.0 / (p + 2.0) }
}

/// Unchecked options of the Lewis iteration.
#[derive(Debug, Clone, PartialEq)]
pub struct LewisOptions {
    /// Exponent p ≥ 1.
    pub p: f64,
    /// Stop when max_i |log(F_i/w_i)| < tol (default 1e-12).
    pub tol: f64,
    /// Maximum number of fixed-point evaluations (default 500).
    pub max_iter: usize,
    /// Damping η in (0, 2); `None` uses [`default_eta`].
    pub eta: Option<f64>,
    /// Relative rank tolerance of the basis; `None` uses the default.
    pub rank_tol: Option<f64>,
}

impl LewisOptions {
    /// Returns the defaults for exponent `p`.
    pub fn new(p: f64) -> Self {
        Self {
            p,
            tol: 1e-12,
            max_iter: 500,
            eta: None,
            rank_tol: None,
        }
    }

    /// Validates the options.
    ///
    /// # Errors
    /// [`Error::InvalidP`] for p < 1 or non-finite p, and
    /// [`Error::InvalidArgument`] for tol ≤ 0, max_iter = 0 or η outside (0, 2).
    pub fn check(&self) -> Result<LewisParams> {
        let p = check_p(self.p)?;
        if !(self.tol > 0.0 && self.tol.is_finite()) {
            return Err(invalid(
                "tol",
                self.tol,
                "the tolerance must be a finite number > 0",
            ));
        }
        if self.max_iter == 0 {
            return Err(invalid("max_iter", 0.0, "at least one iteration is needed"));
        }
        let eta = self.eta.unwrap_or_else(|| default_eta(p));
        if !(eta > 0.0 && eta < 2.0) {
            return Err(invalid("eta", eta, "the damping must lie in (0, 2)"));
        }
        Ok(LewisParams {
            p,
            tol: self.tol,
            max_iter: self.max_iter,
            eta,
            rank_tol: self.rank_tol,
        })
    }
}

fn invalid(name: &'static str, value: f64, rule: &'static str) -> Error {
    Error::InvalidArgument {
        name,
        value: value.to_string(),
        rule,
    }
}

/// Validated Lewis options, built by [`LewisOptions::check`].
#[derive(Debug, Clone, PartialEq)]
pub struct LewisParams {
    p: f64,
    tol: f64,
    max_iter: usize,
    eta: f64,
    rank_tol: Option<f64>,
}

impl LewisParams {
    /// Exponent p.
    pub fn p(&self) -> f64 {
        self.p
    }

    /// Damping η in use.
    pub fn eta(&self) -> f64 {
        self.eta
    }
}

/// Lewis weights with the convergence report.
#[derive(Debug, Clone)]
pub struct LewisResult {
    /// One weight per row of A; Σ = rank.
    pub weights: Vec<f64>,
    /// Numerical rank of A.
    pub rank: usize,
    /// Number of fixed-point evaluations F(w).
    pub iterations: usize,
    /// Final max_i |log(F_i/w_i)| over the nonzero rows.
    pub residual: f64,
    /// Damping η used.
    pub eta: f64,
}

/// Computes the ℓp Lewis weights of the rows of `a`.
///
/// # Errors
/// The errors of [`orthonormal_basis`], [`Error::LewisDiverged`] when F(w) is
/// non-finite, the residual grows for [`MAX_GROWING_STEPS`] consecutive steps
/// or finds no new minimum above [`STALL_FLOOR`] for [`MAX_STALLED_STEPS`]
/// steps, [`Error::LewisStalled`] for such a stall below [`STALL_FLOOR`], and
/// [`Error::LewisNotConverged`] at the iteration limit.
pub fn lewis_weights(a: MatRef<'_, f64>, params: &LewisParams) -> Result<LewisResult> {
    let basis = orthonormal_basis(a, BasisMethod::ColPivQr, params.rank_tol)?;
    lewis_weights_of_basis(&basis, params)
}

/// Computes Lewis weights from an orthonormal basis of col(A).
///
/// # Errors
/// As [`lewis_weights`], without the basis errors.
pub fn lewis_weights_of_basis(basis: &Basis, params: &LewisParams) -> Result<LewisResult> {
    let p = params.p;
    let leverage = row_norms_squared(basis.u.as_ref());
    let active: Vec<usize> = (0..leverage.len()).filter(|&i| leverage[i] > 0.0).collect();

    let (values, iterations, residual) = if p == 2.0 {
        (active.iter().map(|&i| leverage[i]).collect(), 0, 0.0)
    } else if active.len() == leverage.len() {
        iterate(&basis.u, basis.rank, params)?
    } else {
        let u = Mat::from_fn(active.len(), basis.rank, |i, j| basis.u[(active[i], j)]);
        iterate(&u, basis.rank, params)?
    };

    let mut weights = vec![0.0; leverage.len()];
    for (k, &i) in active.iter().enumerate() {
        weights[i] = values[k];
    }
    Ok(LewisResult {
        weights,
        rank: basis.rank,
        iterations,
        residual,
        eta: params.eta,
    })
}

/// Runs the damped fixed point from w = r/n on the active rows of U and
/// returns (weights, iterations, residual). Each [`Pass::step`] evaluates
/// F(w) and already applies the damped step, which is discarded when the
/// iteration stops.
fn iterate(u: &Mat<f64>, rank: usize, params: &LewisParams) -> Result<(Vec<f64>, usize, f64)> {
    let (p, eta) = (params.p, params.eta);
    let diverged = |iter| Error::LewisDiverged { p, eta, iter };
    let mut previous = f64::INFINITY;
    let mut growing = 0;
    let (mut best, mut stalled) = (f64::INFINITY, 0);
    let mut residual = f64::INFINITY;
    let mut pass = Pass::new(u, p, eta, rank as f64 / u.nrows() as f64);

    for iter in 1..=params.max_iter {
        residual = pass.step(u).ok_or_else(|| diverged(iter))?;
        tracing::trace!(iter, residual, "Lewis fixed-point step");
        if residual < params.tol {
            return Ok((pass.into_weights(), iter, residual));
        }

        growing = if residual > previous { growing + 1 } else { 0 };
        (best, stalled) = if residual < best {
            (residual, 0)
        } else {
            (best, stalled + 1)
        };
        if stalled >= MAX_STALLED_STEPS && best < STALL_FLOOR {
            return Err(Error::LewisStalled {
                p,
                tol: params.tol,
                iter,
                residual: best,
            });
        }
        if growing >= MAX_GROWING_STEPS || stalled >= MAX_STALLED_STEPS {
            return Err(diverged(iter));
        }
        previous = residual;
    }
    Err(Error::LewisNotConverged {
        p,
        tol: params.tol,
        iter: params.max_iter,
        residual,
        suggested_max_iter: suggested_max_iter(params, residual),
    })
}

/// Returns an iteration limit that should reach `params.tol` from `residual`:
/// the local rate of the damped map is max(|1 − ηp/2|, |1 − η|) (the spectrum
/// of the Jacobian lies between these values), plus a 50% margin; twice the
/// current limit when that rate is not below 1.
fn suggested_max_iter(params: &LewisParams, residual: f64) -> usize {
    let (p, eta) = (params.p, params.eta);
    let rate = (1.0 - 0.5 * eta * p).abs().max((1.0 - eta).abs());
    let doubled = 2 * params.max_iter;
    if !(rate < 1.0 && residual.is_finite() && residual > params.tol) {
        return doubled;
    }
    let extra = (params.tol / residual).ln() / rate.ln();
    params.max_iter + (1.5 * extra).ceil() as usize + 10
}
