//! One-column families with closed-form fits: Poisson, Bernoulli,
//! exponential (rate) and categorical.
//!
//! | family | t | MLE | cumulants of t at θ̂ |
//! |---|---|---|---|
//! | Poisson | x | λ̂ = x̄ > 0 | λ, λ, λ |
//! | Bernoulli | x | μ̂ = x̄ ∈ (0, 1) | k₂ = μ(1−μ), k₃ = k₂(1−2μ), k₄ = k₂(1−6k₂) |
//! | exponential | x | β̂ = 1/x̄ | 1/β², 2/β³, 6/β⁴ |
//! | categorical | one-hot of cells 1..K−1 | π̂ = counts/n | exact cloud of the K cells |

use faer::{Mat, MatRef};

use super::{ExpFamily, Fit};
use crate::cumulant::Cloud;
use crate::error::{Error, Result};
use crate::exact::ln_gamma;
use crate::expansion::ModelCumulants;

fn one_column(x: MatRef<'_, f64>, family: &'static str) -> Result<Vec<f64>> {
    if x.ncols() != 1 {
        return Err(Error::invalid(
            "cols",
            format!("{} columns", x.ncols()),
            format!("the {family} family reads one column; select it with --cols"),
        ));
    }
    if x.nrows() < 2 {
        return Err(Error::TooFewRows {
            n: x.nrows(),
            dim: 1,
            what: "d",
        });
    }
    Ok((0..x.nrows()).map(|i| x[(i, 0)]).collect())
}

fn check_domain(
    values: &[f64],
    family: &'static str,
    rule: &'static str,
    ok: impl Fn(f64) -> bool,
) -> Result<()> {
    match values.iter().position(|v| !ok(*v)) {
        Some(i) => Err(Error::DomainViolation {
            col: 1,
            row: i + 1,
            value: values[i],
            family,
            rule,
        }),
        None => Ok(()),
    }
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn column_stats(values: &[f64]) -> Mat<f64> {
    Mat::from_fn(values.len(), 1, |i, _| values[i])
}

/// Poisson counts, t = x.
#[derive(Clone, Copy, Debug, Default)]
pub struct Poisson;

impl ExpFamily for Poisson {
    fn name(&self) -> &'static str {
        "poisson"
    }

    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let v = one_column(x, "poisson")?;
        check_domain(&v, "poisson", "counts must be non-negative integers", |c| {
            c >= 0.0 && c.fract() == 0.0
        })?;
        Ok(column_stats(&v))
    }

    fn fit(&self, x: MatRef<'_, f64>, _t: MatRef<'_, f64>) -> Result<Fit> {
        let v = one_column(x, "poisson")?;
        let lambda = mean(&v);
        if lambda <= 0.0 {
            return Err(Error::MleBoundary {
                reason: "every count is 0, so λ̂ = 0".into(),
            });
        }
        let log_fact = v.iter().map(|c| ln_gamma(c + 1.0)).sum::<f64>() / v.len() as f64;
        Ok(Fit {
            theta: vec![lambda.ln()],
            loglik: lambda * lambda.ln() - lambda - log_fact,
            model: ModelCumulants::Analytic1D {
                k2: lambda,
                k3: lambda,
                k4: lambda,
            },
            iterations: 0,
            sampling: None,
            off_mle: None,
        })
    }
}

/// Bernoulli 0/1 outcomes, t = x.
#[derive(Clone, Copy, Debug, Default)]
pub struct Bernoulli;

impl ExpFamily for Bernoulli {
    fn name(&self) -> &'static str {
        "bernoulli"
    }

    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let v = one_column(x, "bernoulli")?;
        check_domain(&v, "bernoulli", "values must be 0 or 1", |c| {
            c == 0.0 || c == 1.0
        })?;
        Ok(column_stats(&v))
    }

    fn fit(&self, x: MatRef<'_, f64>, _t: MatRef<'_, f64>) -> Result<Fit> {
        let mu = mean(&one_column(x, "bernoulli")?);
        if mu <= 0.0 || mu >= 1.0 {
            return Err(Error::MleBoundary {
                reason: format!("the sample mean is {mu}, so μ̂ is on the boundary"),
            });
        }
        let k2 = mu * (1.0 - mu);
        Ok(Fit {
            theta: vec![(mu / (1.0 - mu)).ln()],
            loglik: mu * mu.ln() + (1.0 - mu) * (1.0 - mu).ln(),
            model: ModelCumulants::Analytic1D {
                k2,
                k3: k2 * (1.0 - 2.0 * mu),
                k4: k2 * (1.0 - 6.0 * k2),
            },
            iterations: 0,
            sampling: None,
            off_mle: None,
        })
    }
}

/// Exponential waiting times with unknown rate β, t = x (θ = −β).
#[derive(Clone, Copy, Debug, Default)]
pub struct Exponential;

impl ExpFamily for Exponential {
    fn name(&self) -> &'static str {
        "exponential"
    }

    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let v = one_column(x, "exponential")?;
        check_domain(&v, "exponential", "values must be positive", |c| c > 0.0)?;
        Ok(column_stats(&v))
    }

    fn fit(&self, x: MatRef<'_, f64>, _t: MatRef<'_, f64>) -> Result<Fit> {
        let beta = 1.0 / mean(&one_column(x, "exponential")?);
        Ok(Fit {
            theta: vec![-beta],
            loglik: beta.ln() - 1.0,
            model: ModelCumulants::Analytic1D {
                k2: beta.powi(-2),
                k3: 2.0 * beta.powi(-3),
                k4: 6.0 * beta.powi(-4),
            },
            iterations: 0,
            sampling: None,
            off_mle: None,
        })
    }
}

/// Categorical labels in one column (numeric codes); the K cells are the
/// distinct values in increasing order, and the last cell is the reference.
#[derive(Clone, Copy, Debug, Default)]
pub struct Categorical;

impl Categorical {
    fn cells(values: &[f64]) -> Vec<f64> {
        let mut cells = values.to_vec();
        cells.sort_by(f64::total_cmp);
        cells.dedup();
        cells
    }
}

/// Returns the one-hot rows of cells 1..K−1 (cell K is the reference, all zeros).
pub(crate) fn one_hot(k: usize) -> Mat<f64> {
    Mat::from_fn(k, k - 1, |cell, j| f64::from(u8::from(cell == j)))
}

impl ExpFamily for Categorical {
    fn name(&self) -> &'static str {
        "categorical"
    }

    fn stats(&self, x: MatRef<'_, f64>) -> Result<Mat<f64>> {
        let v = one_column(x, "categorical")?;
        let cells = Categorical::cells(&v);
        if cells.len() < 2 {
            return Err(Error::ConstantColumn {
                col: 1,
                value: v[0],
            });
        }
        let index = |value: f64| cells.iter().position(|c| *c == value).unwrap_or(0);
        Ok(Mat::from_fn(v.len(), cells.len() - 1, |i, j| {
            f64::from(u8::from(index(v[i]) == j))
        }))
    }

    fn fit(&self, x: MatRef<'_, f64>, _t: MatRef<'_, f64>) -> Result<Fit> {
        let v = one_column(x, "categorical")?;
        let cells = Categorical::cells(&v);
        let k = cells.len();
        let n = v.len() as f64;
        let probs: Vec<f64> = cells
            .iter()
            .map(|c| v.iter().filter(|x| *x == c).count() as f64 / n)
            .collect();
        let cloud = Cloud::weighted(one_hot(k).as_ref(), probs.clone())?;
        let reference = probs[k - 1].ln();
        Ok(Fit {
            theta: probs[..k - 1].iter().map(|p| p.ln() - reference).collect(),
            loglik: probs.iter().map(|p| p * p.ln()).sum(),
            model: ModelCumulants::Cloud(cloud),
            iterations: 0,
            sampling: None,
            off_mle: None,
        })
    }
}
