//! Exponential families g(x;θ) = h(x)·exp{θᵀt(x) − ψ(θ)}: their statistics,
//! fits and model cumulants, and the analysis of a data set in one of the
//! three estimation modes.
//!
//! | mode | model cumulants | truth cumulants |
//! |---|---|---|
//! | `misspecified` | fitted model at θ̂ | sample K₂, K₃ of t(Xᵢ), divisor n |
//! | `model` | fitted model at θ̂ | the model's own, so a₁ = p/2 |
//! | `empirical` | sample K₂, K₃, K₄ in the well-specified formula | sample |
//!
//! ```
//! use faer::Mat;
//! use pncrit::family::{analyze, Mode, Poisson};
//! let x = Mat::from_fn(6, 1, |i, _| [1.0, 3.0, 0.0, 2.0, 5.0, 1.0][i]);
//! let a = analyze(&Poisson, x.as_ref(), Mode::Model).unwrap();
//! assert!((a.expansion.a2 - 5.0 / (12.0 * 2.0)).abs() < 1e-12); // 5/(12λ), λ̂ = 2
//! ```

mod custom;
mod discrete;
pub mod gibbs;
mod loglinear;
mod mvn;

pub use custom::Custom;
pub use discrete::{Bernoulli, Categorical, Exponential, Poisson};
pub use loglinear::{HARD_MAX_STATES, LogLinear, Sampling, subsets};
pub use mvn::Mvn;

use faer::{Mat, MatRef};
use serde::Serialize;

use crate::cumulant::Cloud;
use crate::error::Result;
use crate::expansion::{self, Expansion, ModelCumulants, Truth};

/// The estimation mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Fitted model cumulants, sample truth cumulants (default).
    Misspecified,
    /// Fitted model cumulants for both (well-specified, a₁ = p/2).
    Model,
    /// Sample cumulants in the well-specified formula; no fit, no normaliser.
    Empirical,
}

impl Mode {
    /// Returns the lower-case name.
    pub fn name(&self) -> &'static str {
        match self {
            Mode::Misspecified => "misspecified",
            Mode::Model => "model",
            Mode::Empirical => "empirical",
        }
    }
}

/// A fitted model.
#[derive(Clone, Debug)]
pub struct Fit {
    /// Natural parameters θ̂ in the order of t (empty where the family reports none).
    pub theta: Vec<f64>,
    /// Mean log-likelihood per observation ℓ̄ (nats); includes h(x).
    pub loglik: f64,
    /// Cumulants of t under the fitted model.
    pub model: ModelCumulants,
    /// Newton iterations (0 for closed-form fits).
    pub iterations: usize,
    /// How the model cloud was sampled (absent for exact clouds and closed forms).
    pub sampling: Option<SamplingReport>,
    /// Distance √(δᵀG⁻¹δ) of a user-supplied model cloud's mean from t̄, when
    /// it exceeds the tolerance (the cloud is then not at the MLE).
    pub off_mle: Option<f64>,
}

/// The size and quality of a Gibbs-sampled model cloud.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct SamplingReport {
    /// Gibbs draws M in the model cloud.
    pub draws: usize,
    /// Sweeps discarded before the first kept draw.
    pub burn_in: usize,
    /// Sampled Newton rounds used.
    pub rounds: usize,
    /// Effective sample size 1/Σw² of the tilted draws.
    pub ess: f64,
}

/// A natural exponential family with a known statistic.
pub trait ExpFamily: Sync {
    /// Name used in tables, such as `mvn`.
    fn name(&self) -> &'static str;

    /// Number of variables (columns) the family reads, given the data's column count.
    fn variables(&self, x: MatRef<'_, f64>) -> usize {
        x.ncols()
    }

    /// Validates the data and returns the statistic rows t(Xᵢ) (n × p).
    ///
    /// The MVN family returns statistics of the whitened data; the expansion
    /// is invariant under t → Ct + c, so every mode gives the same result.
    ///
    /// # Errors
    ///
    /// Data that the family cannot take (wrong domain, constant or collinear
    /// columns, too few rows).
    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>>;

    /// Fits the model by maximum likelihood.
    ///
    /// # Errors
    ///
    /// As [`ExpFamily::stats`], and [`crate::Error::MleBoundary`] when the MLE does not exist.
    fn fit(&self, x: MatRef<'_, f64>, t: MatRef<'_, f64>) -> Result<Fit>;
}

/// The result of one analysis.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// Family name.
    pub family: &'static str,
    /// Mode used.
    pub mode: Mode,
    /// Number of variables.
    pub d: usize,
    /// Model dimension p.
    pub p: usize,
    /// Number of observations n.
    pub n: usize,
    /// The expansion (`shares_max` is NaN in model mode, which uses no data cloud).
    pub expansion: Expansion,
    /// The fit (absent in empirical mode).
    pub fit: Option<Fit>,
    /// Batch-means Monte-Carlo standard error of â₂ (sampled model clouds only).
    pub a2_mc_se: Option<f64>,
}

/// Number of batches in the batch-means standard error of â₂.
pub const MC_BATCHES: usize = 20;

/// Analyses the data `x` (rows are observations) under `family` in `mode`.
///
/// # Errors
///
/// The family's data and fit errors, and [`crate::Error::TooFewRows`] in
/// empirical mode when n ≤ p.
pub fn analyze(family: &dyn ExpFamily, x: MatRef<'_, f64>, mode: Mode) -> Result<Analysis> {
    let t = family.stats(x)?;
    let (n, p) = (t.nrows(), t.ncols());
    let (expansion, fit) = match mode {
        Mode::Empirical => (expansion::empirical(t.as_ref())?, None),
        Mode::Model | Mode::Misspecified => {
            let fit = family.fit(x, t.as_ref())?;
            tracing::info!(
                family = family.name(),
                iterations = fit.iterations,
                "fit finished"
            );
            let cloud = Cloud::from_data(t.as_ref());
            let truth = if mode == Mode::Model {
                Truth::SameAsModel
            } else {
                Truth::Cloud(&cloud)
            };
            (expansion::expansion(&fit.model, &truth)?, Some(fit))
        }
    };
    let a2_mc_se = match &fit {
        Some(Fit {
            model: ModelCumulants::Cloud(cloud),
            sampling: Some(_),
            ..
        }) => Some(batch_se(cloud, mode, t.as_ref())?),
        _ => None,
    };
    tracing::info!(family = family.name(), mode = mode.name(), route = ?expansion.route, "expansion finished");
    Ok(Analysis {
        family: family.name(),
        mode,
        d: family.variables(x),
        p,
        n,
        expansion,
        fit,
        a2_mc_se,
    })
}

/// Returns the batch-means standard error of â₂ for a sampled model cloud:
/// sd(â₂ over [`MC_BATCHES`] consecutive blocks of draws)/√B.
fn batch_se(cloud: &Cloud, mode: Mode, t: MatRef<'_, f64>) -> Result<f64> {
    let size = cloud.len() / MC_BATCHES;
    let data = Cloud::from_data(t);
    let mut values = Vec::with_capacity(MC_BATCHES);
    for b in 0..MC_BATCHES {
        let model = ModelCumulants::Cloud(gibbs::block(cloud, b * size, size)?);
        let truth = match mode {
            Mode::Model => Truth::SameAsModel,
            _ => Truth::Cloud(&data),
        };
        values.push(expansion::expansion(&model, &truth)?.a2);
    }
    let mean = values.iter().sum::<f64>() / MC_BATCHES as f64;
    let var = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (MC_BATCHES - 1) as f64;
    Ok((var / MC_BATCHES as f64).sqrt())
}
