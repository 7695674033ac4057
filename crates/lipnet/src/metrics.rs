//! Clean accuracy, margins and certified robust accuracy.
//!
//! The margin of a sample with logits z and label y is
//! m = z_y − max_{j≠y} z_j, and the sample is correct iff m > 0 (ties are
//! errors). Each difference z_y − z_j of an L-Lipschitz network is
//! √2·L-Lipschitz, so the prediction cannot change under any perturbation of
//! ℓ₂ norm ≤ ε when m > √2·L·ε (strict): the sample is then certified at ε.
//!
//! ```
//! use faer::mat;
//! use lipnet::metrics::{certified_accuracy, clean_accuracy};
//!
//! let z = mat![[2.0, 0.0], [0.0, 0.1], [1.0, 1.0]];
//! let y = [0, 1, 0];
//! assert_eq!(clean_accuracy(z.as_ref(), &y), 2.0 / 3.0);
//! // margins 2.0 and 0.1; only the first exceeds √2·1·0.5 ≈ 0.707
//! assert_eq!(certified_accuracy(z.as_ref(), &y, 1.0, 0.5), 1.0 / 3.0);
//! ```

use crate::error::{Error, Result};
use faer::MatRef;

/// The radii at which results are reported, with their labels.
pub const REPORT_EPS: [(&str, f64); 4] = [
    ("36/255", 36.0 / 255.0),
    ("72/255", 72.0 / 255.0),
    ("108/255", 108.0 / 255.0),
    ("255/255", 1.0),
];

/// Returns z_y − max_{j≠y} z_j for every row (+∞ when there is only one class).
pub fn margins(z: MatRef<'_, f64>, y: &[usize]) -> Vec<f64> {
    (0..z.nrows())
        .map(|i| {
            let label = y[i];
            let mut runner_up = f64::NEG_INFINITY;
            for j in (0..z.ncols()).filter(|&j| j != label) {
                // NaN must propagate: `f64::max` would skip it and certify the row.
                let v = z[(i, j)];
                if v.is_nan() || v > runner_up {
                    runner_up = v;
                }
                if v.is_nan() {
                    break;
                }
            }
            z[(i, label)] - runner_up
        })
        .collect()
}

/// Returns the fraction of rows whose margin is > 0; 0 for an empty batch.
pub fn clean_accuracy(z: MatRef<'_, f64>, y: &[usize]) -> f64 {
    fraction(&margins(z, y), |m| m > 0.0)
}

/// Returns the fraction of rows certified at radius `eps` for an
/// `lip`-Lipschitz network: margin > √2·lip·eps (strict). NaN margins never count.
pub fn certified_accuracy(z: MatRef<'_, f64>, y: &[usize], lip: f64, eps: f64) -> f64 {
    let threshold = 2f64.sqrt() * lip * eps;
    fraction(&margins(z, y), |m| m > threshold)
}

fn fraction(values: &[f64], keep: impl Fn(f64) -> bool) -> f64 {
    if values.is_empty() {
        return 0.0;
    }
    let count = values.iter().filter(|&&v| keep(v)).count();
    count as f64 / values.len() as f64
}

/// Parses a radius written as a decimal (`0.1`) or a fraction (`36/255`).
///
/// # Errors
///
/// [`Error::InvalidParameter`] for text that is neither, a zero denominator,
/// or a negative or non-finite result.
pub fn parse_eps(text: &str) -> Result<f64> {
    let bad = || {
        Error::invalid(
            "eps",
            format!("{text:?}"),
            "write a radius ≥ 0 as a decimal (0.1) or a fraction (36/255)",
        )
    };

    let value = match text.trim().split_once('/') {
        Some((num, den)) => {
            let num: f64 = num.trim().parse().map_err(|_| bad())?;
            let den: f64 = den.trim().parse().map_err(|_| bad())?;
            if den == 0.0 {
                return Err(bad());
            }
            num / den
        }
        None => text.trim().parse().map_err(|_| bad())?,
    };

    if value.is_finite() && value >= 0.0 {
        Ok(value)
    } else {
        Err(bad())
    }
}
