//! A user-supplied sufficient statistic for discrete data.
//!
//! The data rows are the statistic values t(Xᵢ) themselves (n × p). The model
//! is given by its support: one row t(s) per state s (M × p). Without weights
//! the model is the exponential family with uniform base measure on those
//! states, g(s;θ) ∝ exp(θᵀt(s)), and θ̂ is fitted by damped Newton. With
//! weights, they are taken as the fitted state probabilities and used as they
//! are. A cloud whose mean differs from t̄ by more than [`MLE_TOLERANCE`] in
//! the norm √(δᵀG⁻¹δ) is flagged as not at the MLE. Empirical mode needs no
//! states at all.
//!
//! ```
//! use faer::Mat;
//! use pncrit::family::{analyze, Custom, Mode};
//! use pncrit::fit::FitOptions;
//! // Bernoulli data through its statistic t = x and the support {0, 1}.
//! let t = Mat::from_fn(8, 1, |i, _| f64::from(u8::from(i % 4 == 0)));
//! let states = Mat::from_fn(2, 1, |s, _| s as f64);
//! let family = Custom::new(Some(states), None, FitOptions::default().check().unwrap()).unwrap();
//! let a = analyze(&family, t.as_ref(), Mode::Model).unwrap();
//! let mu: f64 = 0.25; // (5/12)(1/μ + 1/(1−μ)) − 11/12
//! let a2 = 5.0 / 12.0 * (1.0 / mu + 1.0 / (1.0 - mu)) - 11.0 / 12.0;
//! assert!((a.expansion.a2 - a2).abs() < 1e-9);
//! ```

use std::collections::HashMap;

use faer::{Mat, MatRef};

use super::{ExpFamily, Fit};
use crate::cumulant::{self, Cloud};
use crate::error::{Error, Result};
use crate::expansion::ModelCumulants;
use crate::fit::{self, CheckedFitOptions};
use crate::linalg;

/// Largest distance √(δᵀG⁻¹δ) between a supplied cloud's mean and t̄ that
/// still counts as "at the MLE".
pub const MLE_TOLERANCE: f64 = 1e-6;

/// A family given by its statistic values on the data and on the model's states.
#[derive(Clone, Debug)]
pub struct Custom {
    states: Option<Mat<f64>>,
    weights: Option<Vec<f64>>,
    fit_options: CheckedFitOptions,
}

impl Custom {
    /// Builds the family from the state statistics (M × p) and optional fitted
    /// state probabilities.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when weights come without states, a state
    /// value is not finite, two states are equal, or the weights do not match
    /// the states (count, sign, sum 1 within 1e-9).
    pub fn new(
        states: Option<Mat<f64>>,
        weights: Option<Vec<f64>>,
        fit_options: CheckedFitOptions,
    ) -> Result<Custom> {
        if let (None, Some(_)) = (&states, &weights) {
            return Err(Error::invalid(
                "weights",
                "given without states",
                "give the states with --model-cloud as well",
            ));
        }
        if let Some(u) = &states {
            check_states(u.as_ref())?;
            if let Some(w) = &weights {
                Cloud::weighted(u.as_ref(), w.clone())?;
            }
        }
        Ok(Custom {
            states,
            weights,
            fit_options,
        })
    }
}

fn state_key(row: impl Iterator<Item = f64>) -> Vec<u64> {
    // Adding 0.0 maps −0.0 to +0.0, so equal values get equal keys.
    row.map(|v| (v + 0.0).to_bits()).collect()
}

fn check_states(u: MatRef<'_, f64>) -> Result<()> {
    if u.nrows() < 2 {
        return Err(Error::invalid(
            "model-cloud",
            format!("{} state", u.nrows()),
            "a model needs at least 2 states",
        ));
    }
    let mut seen: HashMap<Vec<u64>, usize> = HashMap::new();
    for s in 0..u.nrows() {
        if let Some(j) = (0..u.ncols()).find(|&j| !u[(s, j)].is_finite()) {
            return Err(Error::invalid(
                "model-cloud",
                u[(s, j)],
                format!("state {}, column {} must be finite", s + 1, j + 1),
            ));
        }
        if let Some(first) = seen.insert(state_key((0..u.ncols()).map(|j| u[(s, j)])), s) {
            return Err(Error::invalid(
                "model-cloud",
                format!("states {} and {}", first + 1, s + 1),
                "they are equal; list each state once",
            ));
        }
    }
    Ok(())
}

impl Custom {
    fn states_for(&self, p: usize) -> Result<&Mat<f64>> {
        let u = self.states.as_ref().ok_or(Error::MissingModelCloud)?;
        if u.ncols() != p {
            return Err(Error::invalid(
                "model-cloud",
                format!("{} columns", u.ncols()),
                format!("the statistic has {p} columns; give one column per statistic"),
            ));
        }
        Ok(u)
    }

    /// Checks that every data row is one of the states.
    fn check_support(&self, t: MatRef<'_, f64>, u: MatRef<'_, f64>) -> Result<()> {
        let support: HashMap<Vec<u64>, usize> = (0..u.nrows())
            .map(|s| (state_key((0..u.ncols()).map(|j| u[(s, j)])), s))
            .collect();
        for i in 0..t.nrows() {
            if !support.contains_key(&state_key((0..t.ncols()).map(|j| t[(i, j)]))) {
                return Err(Error::invalid(
                    "stats",
                    format!("row {}", i + 1),
                    "it is not one of the --model-cloud states; add the state or fix the row",
                ));
            }
        }
        Ok(())
    }
}

impl ExpFamily for Custom {
    fn name(&self) -> &'static str {
        "custom"
    }

    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        if x.nrows() < 2 {
            return Err(Error::invalid(
                "stats",
                format!("{} rows", x.nrows()),
                "need at least 2 rows of statistic values",
            ));
        }
        crate::io::check_not_constant(x, &(1..=x.ncols()).collect::<Vec<_>>())?;
        if self.states.is_some() {
            self.states_for(x.ncols())?;
        }
        Ok(x.to_owned())
    }

    fn fit(&self, _x: MatRef<'_, f64>, t: MatRef<'_, f64>) -> Result<Fit> {
        let u = self.states_for(t.ncols())?;
        let n = t.nrows();
        let tbar = cumulant::weighted_mean(t, &vec![1.0 / n as f64; n]);
        match &self.weights {
            Some(w) => {
                let cloud = Cloud::weighted(u.as_ref(), w.clone())?;
                let distance = mean_distance(&cloud, &tbar)?;
                if distance > MLE_TOLERANCE {
                    tracing::warn!(distance, "model cloud is not at the MLE");
                }
                Ok(Fit {
                    theta: Vec::new(),
                    loglik: f64::NAN,
                    model: ModelCumulants::Cloud(cloud),
                    iterations: 0,
                    sampling: None,
                    off_mle: (distance > MLE_TOLERANCE).then_some(distance),
                })
            }
            None => {
                self.check_support(t, u.as_ref())?;
                let fitted = fit::newton(u.as_ref(), &tbar, &self.fit_options)?;
                let total: f64 = fitted.probs.iter().sum();
                let probs = fitted.probs.iter().map(|p| p / total).collect();
                Ok(Fit {
                    theta: fitted.theta,
                    loglik: fitted.loglik,
                    model: ModelCumulants::Cloud(Cloud::weighted(u.as_ref(), probs)?),
                    iterations: fitted.iterations,
                    sampling: None,
                    off_mle: None,
                })
            }
        }
    }
}

/// Returns √(δᵀG⁻¹δ) for δ = (cloud mean) − t̄, with G the cloud's covariance.
fn mean_distance(cloud: &Cloud, tbar: &[f64]) -> Result<f64> {
    let g = cloud.covariance();
    let l = linalg::cholesky(g.as_ref(), 1e-12).map_err(|k| Error::Singular {
        detail: format!(
            "statistic {} of the model cloud is a linear combination of statistics 1..{}",
            k + 1,
            k
        ),
    })?;
    let delta = Mat::from_fn(1, tbar.len(), |_, j| cloud.mean[j] - tbar[j]);
    let y = linalg::whiten_rows(delta.as_ref(), l.as_ref());
    Ok((0..tbar.len())
        .map(|j| y[(0, j)].powi(2))
        .sum::<f64>()
        .sqrt())
}
