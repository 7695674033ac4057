//! Weighted point clouds of centred sufficient statistics, and their sample
//! cumulants.
//!
//! A distribution of the statistic t is held as points uₛ with weights wₛ ≥ 0,
//! Σwₛ = 1, centred at the weighted mean m = Σwₛtₛ. Then
//! K₂ = Σwₛuₛuₛᵀ and K₃ = Σwₛuₛ^⊗3 (divisor n for data: wᵢ = 1/n). This is the
//! point-cloud representation of the normlab pncrit specification: data and
//! enumerated model distributions are treated alike.
//!
//! ```
//! use faer::Mat;
//! let t = Mat::from_fn(4, 1, |i, _| i as f64);
//! let cloud = pncrit::cumulant::Cloud::from_data(t.as_ref());
//! assert_eq!(cloud.mean, vec![1.5]);
//! assert!((cloud.covariance()[(0, 0)] - 1.25).abs() < 1e-15);
//! ```

use faer::{Mat, MatRef};

use crate::error::{Error, Result};
use crate::linalg;

/// A weighted cloud of centred statistic vectors (one row per point).
#[derive(Clone, Debug)]
pub struct Cloud {
    /// Centred points uₛ = tₛ − m, one per row (M × p).
    pub points: Mat<f64>,
    /// Weights wₛ ≥ 0 with Σwₛ = 1.
    pub weights: Vec<f64>,
    /// The weighted mean m that was subtracted.
    pub mean: Vec<f64>,
}

impl Cloud {
    /// Builds the empirical cloud of the rows of `t` (weights 1/n), centred at t̄.
    pub fn from_data(t: MatRef<'_, f64>) -> Cloud {
        let n = t.nrows();
        let weights = vec![1.0 / n as f64; n];
        Cloud::centred(t, weights)
    }

    /// Builds a cloud from raw points `t` and weights, centring at the weighted mean.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when the lengths differ, a weight is negative
    /// or not finite, or the weights do not sum to 1 within 1e-9.
    pub fn weighted(t: MatRef<'_, f64>, weights: Vec<f64>) -> Result<Cloud> {
        if weights.len() != t.nrows() {
            return Err(Error::invalid(
                "weights",
                weights.len(),
                format!("need one weight per point ({})", t.nrows()),
            ));
        }
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(Error::invalid(
                "weights",
                "a negative or non-finite weight",
                "weights must be ≥ 0",
            ));
        }
        let total: f64 = weights.iter().sum();
        if (total - 1.0).abs() > 1e-9 {
            return Err(Error::invalid("weights", total, "weights must sum to 1"));
        }
        Ok(Cloud::centred(t, weights))
    }

    fn centred(t: MatRef<'_, f64>, weights: Vec<f64>) -> Cloud {
        let mean = weighted_mean(t, &weights);
        let points = Mat::from_fn(t.nrows(), t.ncols(), |i, j| t[(i, j)] - mean[j]);
        Cloud {
            points,
            weights,
            mean,
        }
    }

    /// Dimension p of the statistic.
    pub fn dim(&self) -> usize {
        self.points.ncols()
    }

    /// Number of points M.
    pub fn len(&self) -> usize {
        self.points.nrows()
    }

    /// Whether the cloud has no points.
    pub fn is_empty(&self) -> bool {
        self.points.nrows() == 0
    }

    /// Returns the covariance K₂ = Σwₛuₛuₛᵀ.
    pub fn covariance(&self) -> Mat<f64> {
        linalg::weighted_gram(self.points.as_ref(), &self.weights)
    }
}

/// Returns Σwᵢtᵢ over the rows of `t`, summed column by column in row order.
pub fn weighted_mean(t: MatRef<'_, f64>, w: &[f64]) -> Vec<f64> {
    (0..t.ncols())
        .map(|j| (0..t.nrows()).map(|i| w[i] * t[(i, j)]).sum())
        .collect()
}
