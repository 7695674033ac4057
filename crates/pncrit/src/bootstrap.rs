//! The bootstrap spread of the misspecified â₁: refit on B resamples of the
//! rows (drawn with replacement) and report mean, standard deviation and the
//! 5–95% quantiles. A coefficient of variation sd/mean above
//! [`UNSTABLE_CV`] raises the `unstable_plugin` flag.
//!
//! Resample k draws from `tape::rng::stream(seed, "bootstrap/rep<k>")`, so the
//! result is reproducible for a seed. Resamples whose fit fails (for example
//! a singular covariance) are counted and left out.
//!
//! ```
//! use faer::Mat;
//! use pncrit::bootstrap::bootstrap_a1;
//! use pncrit::family::Poisson;
//! let x = Mat::from_fn(50, 1, |i, _| (i % 7) as f64);
//! let spread = bootstrap_a1(&Poisson, x.as_ref(), 20, 0).unwrap();
//! assert_eq!(spread.reps, 20);
//! assert!(spread.q05 <= spread.mean && spread.mean <= spread.q95);
//! ```

use faer::{Mat, MatRef};
use serde::Serialize;
use tape::rng::{below, stream};

use crate::cumulant::Cloud;
use crate::error::{Error, Result};
use crate::expansion;
use crate::family::ExpFamily;

/// Coefficient of variation of â₁ above which `unstable_plugin` is raised (our threshold).
pub const UNSTABLE_CV: f64 = 0.20;

/// Summary of the bootstrap distribution of â₁.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Spread {
    /// Resamples drawn.
    pub reps: usize,
    /// Resamples whose fit failed.
    pub failures: usize,
    /// Mean of â₁.
    pub mean: f64,
    /// Standard deviation of â₁ (divisor B − 1).
    pub sd: f64,
    /// 5% quantile (linear interpolation between order statistics).
    pub q05: f64,
    /// 95% quantile.
    pub q95: f64,
}

impl Spread {
    /// Returns sd/mean.
    pub fn cv(&self) -> f64 {
        self.sd / self.mean
    }
}

fn a1_of(family: &dyn ExpFamily, x: MatRef<'_, f64>) -> Result<f64> {
    let t = family.stats(x)?;
    let fit = family.fit(x, t.as_ref())?;
    expansion::first_order(&fit.model, &Cloud::from_data(t.as_ref()))
}

fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, frac) = (pos.floor() as usize, pos.fract());
    let hi = (lo + 1).min(sorted.len() - 1);
    sorted[lo] + frac * (sorted[hi] - sorted[lo])
}

/// Draws `reps` resamples of the rows of `x` and summarises â₁.
///
/// # Errors
///
/// [`Error::InvalidParameter`] when reps < 2 or fewer than two resamples fit.
pub fn bootstrap_a1(
    family: &dyn ExpFamily,
    x: MatRef<'_, f64>,
    reps: usize,
    seed: u64,
) -> Result<Spread> {
    if reps < 2 {
        return Err(Error::invalid(
            "bootstrap",
            reps,
            "need at least 2 resamples",
        ));
    }
    let n = x.nrows();
    let mut values = Vec::with_capacity(reps);
    for k in 0..reps {
        let mut rng = stream(seed, &format!("bootstrap/rep{k}"));
        let rows: Vec<usize> = (0..n).map(|_| below(&mut rng, n)).collect();
        let resample = Mat::from_fn(n, x.ncols(), |i, j| x[(rows[i], j)]);
        match a1_of(family, resample.as_ref()) {
            Ok(a1) => values.push(a1),
            Err(e) => tracing::warn!(resample = k, error = %e, "bootstrap fit failed"),
        }
    }

    if values.len() < 2 {
        return Err(Error::invalid(
            "bootstrap",
            reps,
            "fewer than two resamples could be fitted",
        ));
    }
    let count = values.len() as f64;
    let mean = values.iter().sum::<f64>() / count;
    let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (count - 1.0)).sqrt();
    let mut sorted = values.clone();
    sorted.sort_by(f64::total_cmp);
    Ok(Spread {
        reps,
        failures: reps - values.len(),
        mean,
        sd,
        q05: quantile(&sorted, 0.05),
        q95: quantile(&sorted, 0.95),
    })
}
