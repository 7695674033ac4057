//! Sampling schemes: the score s_i each one assigns to row i.
//!
//! | scheme | s_i | intended p | source |
//! |---|---|---|---|
//! | uniform | 1 | any | baseline |
//! | leverage | τ_i | any | classical (ℓ2) |
//! | root-leverage | τ_i^{p/2} | 1 ≤ p < 2 | Woodruff and Yasuda, ICML 2023 |
//! | lewis | w_i | any | Cohen and Peng, STOC 2015 |
//! | sens, sens-bound | exact σ_i or its bound | any | Woodruff and Yasuda, ICML 2023 |
//! | mixture | β_σ σ̃_i/Σσ̃ + β_τ τ_i/r | p > 2 | see [`mixture_scores`] |
//! | l2aug | σ̃_i + τ_i | 1 ≤ p ≤ 2 | see [`l2_augmented_scores`] |
//!
//! σ̃ is the sensitivity bound of [`crate::sensitivity::bounds`].
//!
//! ```
//! use lpsample::scheme::{scheme_scores, Scheme};
//! use lpsample::conic::ConicSettings;
//!
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let s = scheme_scores(a.as_ref(), 1.0, Scheme::RootLeverage, &ConicSettings::default()).unwrap();
//! assert!((s[0] - (2.0f64 / 3.0).sqrt()).abs() < 1e-12);
//! ```

use std::str::FromStr;

use faer::MatRef;

use crate::basis::{BasisMethod, orthonormal_basis, row_norms_squared};
use crate::conic::ConicSettings;
use crate::error::{Error, Result};
use crate::input::check_p;
use crate::lewis::{LewisOptions, lewis_weights_of_basis};
use crate::sensitivity::bounds::sensitivity_bounds;
use crate::sensitivity::{SensMethod, exact_sensitivities};

/// A row-sampling scheme.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scheme {
    /// s_i = 1.
    Uniform,
    /// s_i = τ_i.
    Leverage,
    /// s_i = τ_i^{p/2}.
    RootLeverage,
    /// s_i = w_i (ℓp Lewis weights).
    Lewis,
    /// Exact sensitivities or their upper bound.
    Sensitivity(SensMethod),
    /// β_σ σ̃_i/Σσ̃ + β_τ τ_i/r.
    Mixture { beta_sens: f64, beta_lev: f64 },
    /// σ̃_i + τ_i.
    L2Augmented,
}

impl FromStr for Scheme {
    type Err = Error;

    /// Parses `uniform`, `leverage`, `root-leverage`, `lewis`, `sens`,
    /// `sens-bound`, `mixture`, `mixture:βσ:βτ` or `l2aug`.
    fn from_str(text: &str) -> Result<Self> {
        let scheme = match text {
            "uniform" => Scheme::Uniform,
            "leverage" => Scheme::Leverage,
            "root-leverage" => Scheme::RootLeverage,
            "lewis" => Scheme::Lewis,
            "sens" => Scheme::Sensitivity(SensMethod::Exact),
            "sens-bound" => Scheme::Sensitivity(SensMethod::Bound),
            "mixture" => Scheme::Mixture {
                beta_sens: 1.0,
                beta_lev: 1.0,
            },
            "l2aug" => Scheme::L2Augmented,
            other => return parse_mixture(other),
        };
        Ok(scheme)
    }
}

fn parse_mixture(text: &str) -> Result<Scheme> {
    let invalid = || Error::InvalidArgument {
        name: "scheme",
        value: text.to_string(),
        rule: "use uniform, leverage, root-leverage, lewis, sens, sens-bound, l2aug, \
               mixture or mixture:BETA_SENS:BETA_LEV with nonnegative betas",
    };
    let parts: Vec<&str> = text.split(':').collect();
    let [name, sens, lev] = parts[..] else {
        return Err(invalid());
    };
    let beta_sens: f64 = sens.parse().map_err(|_| invalid())?;
    let beta_lev: f64 = lev.parse().map_err(|_| invalid())?;
    let valid = |beta: f64| beta.is_finite() && beta >= 0.0;
    if name != "mixture" || !valid(beta_sens) || !valid(beta_lev) || beta_sens + beta_lev == 0.0 {
        return Err(invalid());
    }
    Ok(Scheme::Mixture {
        beta_sens,
        beta_lev,
    })
}

/// Computes the score of every row of `a` under `scheme`.
///
/// # Errors
/// [`Error::InvalidP`], the basis errors, the Lewis errors and, for exact
/// sensitivities, [`Error::SolverFailed`].
pub fn scheme_scores(
    a: MatRef<'_, f64>,
    p: f64,
    scheme: Scheme,
    settings: &ConicSettings,
) -> Result<Vec<f64>> {
    let p = check_p(p)?;
    let basis = orthonormal_basis(a, BasisMethod::ColPivQr, None)?;
    let leverage = || row_norms_squared(basis.u.as_ref());

    let scores = match scheme {
        Scheme::Uniform => vec![1.0; a.nrows()],
        Scheme::Leverage => leverage(),
        Scheme::RootLeverage => leverage().iter().map(|t| t.powf(0.5 * p)).collect(),
        Scheme::Lewis => lewis_weights_of_basis(&basis, &LewisOptions::new(p).check()?)?.weights,
        Scheme::Sensitivity(SensMethod::Exact) => exact_sensitivities(&basis, p, settings)?,
        Scheme::Sensitivity(SensMethod::Bound) => sensitivity_bounds(&basis, p)?,
        Scheme::Mixture {
            beta_sens,
            beta_lev,
        } => {
            let bound = sensitivity_bounds(&basis, p)?;
            mixture_scores(&bound, &leverage(), basis.rank, beta_sens, beta_lev)
        }
        Scheme::L2Augmented => l2_augmented_scores(&sensitivity_bounds(&basis, p)?, &leverage()),
    };
    Ok(scores)
}

/// Returns β_σ σ̃_i/Σσ̃ + β_τ τ_i/r.
///
/// Our rule, derived in the normlab lpsample specification: Woodruff and
/// Yasuda's exact leverage-plus-sensitivity rule for p > 2 was not available.
pub fn mixture_scores(
    bound: &[f64],
    leverage: &[f64],
    rank: usize,
    beta_sens: f64,
    beta_lev: f64,
) -> Vec<f64> {
    let bound_total: f64 = bound.iter().sum();
    bound
        .iter()
        .zip(leverage)
        .map(|(s, t)| beta_sens * s / bound_total + beta_lev * t / rank as f64)
        .collect()
}

/// Returns σ̃_i + τ_i.
///
/// Our reading of ℓ2 augmentation (Munteanu and Omlor, arXiv 2406.00328);
/// their exact rule was not available.
pub fn l2_augmented_scores(bound: &[f64], leverage: &[f64]) -> Vec<f64> {
    bound.iter().zip(leverage).map(|(s, t)| s + t).collect()
}
