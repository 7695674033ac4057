//! Unbiased estimate of the total sensitivity 𝔖_p = Σ σ_i by importance sampling
//! (our reading of Padmanabhan, Woodruff and Zhang, NeurIPS 2023, arXiv 2311.04158).
//!
//! Draw T rows i.i.d. with π_i = w_i/r (Lewis weights, Σ w = r), solve the exact
//! program of each, and return 𝔖̂ = (1/T) Σ σ_i/π_i with its standard error. Each
//! term is ≤ r for p ≤ 2 (because σ ≤ w) and ≤ r^{p/2} for p > 2.
//!
//! ```
//! use lpsample::conic::ConicSettings;
//! use lpsample::sensitivity::total::total_sensitivity_estimate;
//!
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let estimate = total_sensitivity_estimate(a.as_ref(), 1.0, 20, 0, &ConicSettings::default())
//!     .unwrap();
//! assert!((estimate.mean - 1.5).abs() < 1e-6);
//! ```

use faer::MatRef;
use serde::Serialize;

use crate::basis::{BasisMethod, orthonormal_basis};
use crate::conic::ConicSettings;
use crate::error::{Error, Result};
use crate::input::check_p;
use crate::lewis::{LewisOptions, lewis_weights_of_basis};
use crate::sampling::CumulativeTable;
use crate::sensitivity::sensitivity_of_row;

/// Mean and standard error of an estimate.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct Estimate {
    /// Estimated total sensitivity.
    pub mean: f64,
    /// Standard error of the mean (sample standard deviation / √T).
    pub std_error: f64,
    /// Number of draws T.
    pub draws: usize,
}

/// Estimates 𝔖_p from `draws` rows drawn with probability w_i/r.
///
/// # Errors
/// [`Error::InvalidP`], [`Error::InvalidArgument`] for `draws` < 2, the basis
/// and Lewis errors, and [`Error::SolverFailed`].
pub fn total_sensitivity_estimate(
    a: MatRef<'_, f64>,
    p: f64,
    draws: usize,
    seed: u64,
    settings: &ConicSettings,
) -> Result<Estimate> {
    let p = check_p(p)?;
    if draws < 2 {
        return Err(Error::InvalidArgument {
            name: "draws",
            value: draws.to_string(),
            rule: "at least 2 draws are needed for a standard error",
        });
    }
    let basis = orthonormal_basis(a, BasisMethod::ColPivQr, None)?;
    let lewis = lewis_weights_of_basis(&basis, &LewisOptions::new(p).check()?)?.weights;
    let total_weight: f64 = lewis.iter().sum();

    let table = CumulativeTable::new(&lewis);
    let mut rng = tape::rng::stream(seed, "total-sensitivity");
    let mut terms = Vec::with_capacity(draws);
    for _ in 0..draws {
        let row = table.draw(&mut rng);
        let sigma = sensitivity_of_row(&basis, row, p, settings)?.value;
        terms.push(sigma * total_weight / lewis[row]);
    }

    let mean = terms.iter().sum::<f64>() / draws as f64;
    let variance = terms.iter().map(|t| (t - mean).powi(2)).sum::<f64>() / (draws - 1) as f64;
    Ok(Estimate {
        mean,
        std_error: (variance / draws as f64).sqrt(),
        draws,
    })
}
