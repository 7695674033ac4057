//! Restricted-conditioning diagnostic over random k-subsets (derived in the
//! normlab sparsereg specification, §2.7).
//!
//! After scaling columns to ‖X_j‖² = N (no centring), for uniformly random
//! k-subsets S: s_min(S) = √λ_min(X_SᵀX_S/N) and inflation(S) = √k/s_min(S).
//! The slow-rate Lasso bound ‖w‖₁ ≤ √k‖Xw‖₂/(√N s_min) makes the sample need
//! grow with inflation². For an exactly equicorrelated design
//! X_SᵀX_S/N = (1−ρ)I + ρ11ᵀ, so s_min = √(1−ρ) for every |S| ≥ 2.
//!
//! ```
//! use faer::Mat;
//! // Orthogonal columns with ‖X_j‖² = N = 6: every s_min is 1.
//! let x = Mat::from_fn(6, 6, |i, j| if i == j { 6f64.sqrt() } else { 0.0 });
//! let s = sparsereg::diagnostic::s_min(x.as_ref(), &[0, 2, 5]).unwrap();
//! assert!((s - 1.0).abs() < 1e-12);
//! ```

use faer::{Mat, MatRef, Side};
use serde::Serialize;

use crate::error::{Error, Result};
use crate::linalg::dot;
use crate::validate::check_k;

/// Quantiles of s_min over random supports.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConditioningReport {
    /// Support size k.
    pub k: usize,
    /// Number of random subsets drawn.
    pub subsets: usize,
    /// Smallest s_min.
    pub min: f64,
    /// 1% quantile of s_min.
    pub q01: f64,
    /// 5% quantile.
    pub q05: f64,
    /// 25% quantile.
    pub q25: f64,
    /// Median.
    pub q50: f64,
    /// Fraction with s_min < 1e-6 (numerically singular supports).
    pub fraction_singular: f64,
    /// Median of √k/s_min.
    pub median_inflation: f64,
}

/// Scales the columns of `x` to ‖X_j‖² = N; zero columns stay zero.
pub fn normalize_columns(x: MatRef<'_, f64>) -> Mat<f64> {
    let n = x.nrows() as f64;
    let mut out = x.to_owned();
    for j in 0..out.ncols() {
        let col = out.col_as_slice_mut(j);
        let norm = dot(col, col).sqrt();
        if norm > 0.0 {
            let scale = n.sqrt() / norm;
            col.iter_mut().for_each(|v| *v *= scale);
        }
    }
    out
}

/// s_min(S) = √λ_min(X_SᵀX_S/N) of the columns `subset` of `x` as given (no rescaling).
///
/// # Errors
/// [`Error::Singular`] when the eigen-decomposition fails.
pub fn s_min(x: MatRef<'_, f64>, subset: &[usize]) -> Result<f64> {
    let n = x.nrows() as f64;
    let k = subset.len();
    let gram = Mat::from_fn(k, k, |a, b| {
        (0..x.nrows())
            .map(|i| x[(i, subset[a])] * x[(i, subset[b])])
            .sum::<f64>()
            / n
    });
    let eig = gram
        .self_adjoint_eigenvalues(Side::Lower)
        .map_err(|e| Error::Singular(format!("eigenvalues of X_SᵀX_S/N failed: {e:?}")))?;
    Ok(eig.first().copied().unwrap_or(0.0).max(0.0).sqrt())
}

/// Draws `subsets` uniform k-subsets (seeded) and summarises s_min after
/// scaling the columns of `x` to ‖X_j‖² = N.
///
/// # Errors
/// [`Error::InvalidParameter`] when k = 0, k > d or subsets = 0.
pub fn restricted_conditioning(
    x: MatRef<'_, f64>,
    k: usize,
    subsets: usize,
    seed: u64,
) -> Result<ConditioningReport> {
    check_k(k, x.ncols(), "d")?;
    if subsets == 0 {
        return Err(Error::invalid("subsets", 0, "subsets must be ≥ 1"));
    }
    let xn = normalize_columns(x);
    let mut rng = tape::rng::stream(seed, "sparsereg/diagnostic");
    let mut values = Vec::with_capacity(subsets);
    for _ in 0..subsets {
        let s = crate::design::random_support(&mut rng, x.ncols(), k);
        values.push(s_min(xn.as_ref(), &s)?);
    }
    values.sort_by(f64::total_cmp);
    let inflation: Vec<f64> = values.iter().rev().map(|s| (k as f64).sqrt() / s).collect();
    Ok(ConditioningReport {
        k,
        subsets,
        min: values[0],
        q01: quantile(&values, 0.01),
        q05: quantile(&values, 0.05),
        q25: quantile(&values, 0.25),
        q50: quantile(&values, 0.5),
        fraction_singular: values.iter().filter(|&&v| v < 1e-6).count() as f64 / subsets as f64,
        median_inflation: quantile(&inflation, 0.5),
    })
}

/// Linear-interpolation quantile (numpy's default) of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    if lo == hi {
        return sorted[lo];
    }
    sorted[lo] + (pos - lo as f64) * (sorted[hi] - sorted[lo])
}
