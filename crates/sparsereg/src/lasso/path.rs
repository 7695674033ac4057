//! The Lasso path: a geometric α grid from α_max down to eps·α_max, solved
//! in descending order with warm starts (scikit-learn `lasso_path` semantics).
//!
//! α_i = α_max · eps^{i/(n−1)}, i = 0..n−1.
//!
//! ```
//! let grid = sparsereg::lasso::path::AlphaGrid { n_alphas: 3, eps: 1e-2 };
//! let a = grid.alphas(2.0);
//! assert!((a[1] - 0.2).abs() < 1e-15 && (a[2] - 0.02).abs() < 1e-15);
//! ```

use faer::{Mat, MatRef};

use super::{LassoOptions, alpha_max_centered, cd::coordinate_descent, lasso_fit};
use crate::error::{Error, Result};
use crate::linalg::center;
use crate::params::{Check, Checked};
use crate::solver::Fit;
use crate::validate::{check_magnitude, check_shapes};

/// Size and depth of the α grid.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct AlphaGrid {
    /// Number of α values (default 100).
    pub n_alphas: usize,
    /// Ratio α_min/α_max, in (0, 1) (default 1e-3).
    pub eps: f64,
}

impl Default for AlphaGrid {
    fn default() -> Self {
        AlphaGrid {
            n_alphas: 100,
            eps: 1e-3,
        }
    }
}

impl Check for AlphaGrid {
    fn validate(&self) -> Result<()> {
        if self.n_alphas == 0 {
            return Err(Error::invalid("n_alphas", 0, "n_alphas must be ≥ 1"));
        }
        if !(self.eps > 0.0 && self.eps < 1.0) {
            return Err(Error::invalid("eps", self.eps, "eps must lie in (0, 1)"));
        }
        Ok(())
    }
}

impl AlphaGrid {
    /// Returns the descending grid for a given α_max (first and last values exact).
    pub fn alphas(&self, alpha_max: f64) -> Vec<f64> {
        if self.n_alphas == 1 {
            return vec![alpha_max];
        }
        let last = alpha_max * self.eps;
        let step = (last.ln() - alpha_max.ln()) / (self.n_alphas - 1) as f64;
        let mut a: Vec<f64> = (0..self.n_alphas)
            .map(|i| (alpha_max.ln() + step * i as f64).exp())
            .collect();
        a[0] = alpha_max;
        a[self.n_alphas - 1] = last;
        a
    }
}

/// Fits the Lasso at every α of `alphas` (descending) with warm starts.
/// `o.alpha` is ignored.
///
/// # Errors
/// As [`super::lasso`], and [`Error::Overflow`] for inputs whose sums of
/// squares overflow (see [`check_magnitude`]).
pub fn lasso_path_at(
    x: MatRef<'_, f64>,
    y: &[f64],
    alphas: &[f64],
    o: &Checked<LassoOptions>,
) -> Result<Vec<Fit>> {
    check_shapes(x, y)?;
    check_magnitude(x, y)?;
    let c = center(x, y, o.fit_intercept);
    path_centered(&c, alphas, o)
}

/// Fits the Lasso path on the grid of `grid` (α_max from the centred data).
///
/// # Errors
/// As [`super::lasso`], and [`Error::Overflow`] for inputs whose sums of
/// squares overflow (see [`check_magnitude`]).
pub fn lasso_path(
    x: MatRef<'_, f64>,
    y: &[f64],
    grid: &Checked<AlphaGrid>,
    o: &Checked<LassoOptions>,
) -> Result<Vec<Fit>> {
    check_shapes(x, y)?;
    check_magnitude(x, y)?;
    let c = center(x, y, o.fit_intercept);
    let alphas = grid.alphas(alpha_max_centered(&c.x, &c.y));
    path_centered(&c, &alphas, o)
}

pub(crate) fn path_centered(
    c: &crate::linalg::Centered,
    alphas: &[f64],
    o: &LassoOptions,
) -> Result<Vec<Fit>> {
    let mut fits: Vec<Fit> = Vec::with_capacity(alphas.len());
    for &alpha in alphas {
        let oa = LassoOptions { alpha, ..o.clone() };
        let warm = fits.last().map(|f| f.coef.as_slice());
        let cd = coordinate_descent(&c.x, &c.y, &oa, warm)?;
        tracing::debug!(
            alpha,
            epochs = cd.epochs,
            gap_rel = cd.gap.gap_rel,
            "Lasso path point"
        );
        fits.push(lasso_fit("lasso", c, cd, &oa));
    }
    Ok(fits)
}

/// Coefficient matrix of a path, d × n_alphas.
pub fn coef_matrix(fits: &[Fit]) -> Mat<f64> {
    let d = fits.first().map_or(0, |f| f.coef.len());
    Mat::from_fn(d, fits.len(), |j, a| fits[a].coef[j])
}
