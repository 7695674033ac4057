//! Loss and accuracy barriers along the linear path between two models.
//!
//! Path `θ(λ) = (1−λ)θ_A + λθ_B'` on `λ_k = k/(K−1)`. Two conventions:
//! - `linear` (Frankle et al., "Linear Mode Connectivity and the Lottery Ticket
//!   Hypothesis", ICML 2020; Entezari et al., ICLR 2022):
//!   `B_L = max_k [L(λ_k) − ((1−λ_k)L(0) + λ_k L(1))]`,
//!   `B_a = max_k [((1−λ_k)a(0) + λ_k a(1)) − a(λ_k)]`;
//! - `mean` (Git Re-Basin style): `B_L = max_k L(λ_k) − ½(L(0)+L(1))`,
//!   `B_a = ½(a(0)+a(1)) − min_k a(λ_k)`.
//!
//! For N models with weights w_i: `B_N,L = L(θ̄) − Σ w_i L(θ_i)` and
//! `B_N,a = Σ w_i a(θ_i) − a(θ̄)`. The scalar formulas are the literature's usual
//! ones (derived in the normlab rebasin specification, §2.2), so both are reported.
//!
//! ```
//! use rebasin::barrier::Barriers;
//!
//! let b = Barriers::from_curve(&[0.0, 0.5, 1.0], &[1.0, 3.0, 2.0], &[1.0, 0.5, 1.0]);
//! assert_eq!(b.loss_linear, 1.5);
//! assert_eq!(b.loss_mean, 1.5);
//! assert_eq!(b.acc_linear, 0.5);
//! ```

use serde::Serialize;

use crate::error::{Error, Result};
use crate::model::Model;

/// Barriers and midpoint values of one curve.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Barriers {
    /// Loss barrier above the straight line between the endpoints.
    pub loss_linear: f64,
    /// Maximum loss minus the endpoints' mean loss.
    pub loss_mean: f64,
    /// Accuracy drop below the straight line between the endpoints.
    pub acc_linear: f64,
    /// Endpoints' mean accuracy minus the minimum accuracy.
    pub acc_mean: f64,
    /// Loss at the λ nearest ½ (exactly ½ on grids from [`lambdas`]).
    pub mid_loss: f64,
    /// Accuracy at the λ nearest ½.
    pub mid_acc: f64,
}

impl Barriers {
    /// Computes both conventions from losses and accuracies at `lambdas`
    /// (first λ = 0, last λ = 1).
    ///
    /// # Panics
    /// When the three slices differ in length or are empty (a programming error).
    pub fn from_curve(lambdas: &[f64], loss: &[f64], acc: &[f64]) -> Self {
        assert!(!lambdas.is_empty() && lambdas.len() == loss.len() && loss.len() == acc.len());
        let k = lambdas.len() - 1;
        let line = |v: &[f64], lambda: f64| (1.0 - lambda) * v[0] + lambda * v[k];
        let max = |it: &mut dyn Iterator<Item = f64>| it.fold(f64::NEG_INFINITY, f64::max);
        let loss_linear = max(&mut lambdas.iter().zip(loss).map(|(&l, &v)| v - line(loss, l)));
        let acc_linear = max(&mut lambdas.iter().zip(acc).map(|(&l, &v)| line(acc, l) - v));
        let loss_mean = max(&mut loss.iter().copied()) - 0.5 * (loss[0] + loss[k]);
        let acc_min = acc.iter().copied().fold(f64::INFINITY, f64::min);
        let acc_mean = 0.5 * (acc[0] + acc[k]) - acc_min;
        let distance = |i: usize| (lambdas[i] - 0.5).abs();
        let mid = (0..=k).fold(0, |best, i| {
            if distance(i) < distance(best) {
                i
            } else {
                best
            }
        });
        Self {
            loss_linear,
            loss_mean,
            acc_linear,
            acc_mean,
            mid_loss: loss[mid],
            mid_acc: acc[mid],
        }
    }
}

/// Losses and accuracies along a path.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Curve {
    /// Mean cross-entropy at each λ.
    pub loss: Vec<f64>,
    /// Accuracy in [0, 1] at each λ.
    pub acc: Vec<f64>,
}

/// Largest number of λ values of one path (each is a full evaluation pass).
pub const MAX_LAMBDAS: usize = 10_000;

/// Returns `K` evenly spaced values `k/(K−1)` from 0 to 1; for an even `K`
/// the midpoint λ = ½ is added in order, so that the grid has `K + 1` values.
///
/// # Errors
/// [`Error::Param`] when `count` < 2 or > [`MAX_LAMBDAS`].
pub fn lambdas(count: usize) -> Result<Vec<f64>> {
    if count < 2 {
        return Err(Error::Param {
            name: "lambdas",
            value: count.to_string(),
            rule: "a path needs at least 2 values of λ",
        });
    }
    if count > MAX_LAMBDAS {
        return Err(Error::Param {
            name: "lambdas",
            value: count.to_string(),
            rule: "use at most 10000 values of λ",
        });
    }
    let mut grid: Vec<f64> = (0..count).map(|k| k as f64 / (count - 1) as f64).collect();
    if count % 2 == 0 {
        grid.insert(count / 2, 0.5);
    }
    Ok(grid)
}

/// Evaluates `eval` (returning loss and accuracy) at every λ of the path from
/// `a` (λ = 0) to `b` (λ = 1).
///
/// # Errors
/// Any error of `eval`.
pub fn interpolation_curve(
    a: &Model,
    b: &Model,
    lambdas: &[f64],
    eval: &mut dyn FnMut(&Model) -> Result<(f64, f64)>,
) -> Result<Curve> {
    let mut curve = Curve {
        loss: Vec::new(),
        acc: Vec::new(),
    };
    for &lambda in lambdas {
        let (loss, acc) = eval(&a.lerp(b, lambda))?;
        curve.loss.push(loss);
        curve.acc.push(acc);
    }
    Ok(curve)
}

/// N-model barriers `(B_N,L, B_N,a)` from the merged model's loss and accuracy and
/// the endpoints' values with weights `w`.
pub fn n_model_barrier(merged: (f64, f64), endpoints: &[(f64, f64)], w: &[f64]) -> (f64, f64) {
    let loss: f64 = endpoints.iter().zip(w).map(|(e, wi)| wi * e.0).sum();
    let acc: f64 = endpoints.iter().zip(w).map(|(e, wi)| wi * e.1).sum();
    (merged.0 - loss, acc - merged.1)
}
