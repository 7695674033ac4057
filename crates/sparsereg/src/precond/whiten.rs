//! Whitening: P = (X0ᵀX0/N + γI)^{−1/2} by a symmetric eigen-decomposition,
//! D = X0P, w = Pv. Only sensible for N > d or γ > 0.
//!
//! ```
//! use faer::mat;
//! use sparsereg::precond::{Preconditioner, whiten::Whiten};
//! let x = mat![[1.0, 1.0], [1.0, -1.0], [-1.0, 1.0], [-1.0, -1.0]];
//! let mut p = Whiten::new(0.0);
//! p.fit(x.as_ref()).unwrap();
//! let w = p.to_original(&[1.0, 0.0]);
//! assert!((w[0] - 1.0).abs() < 1e-12 && w[1].abs() < 1e-12);
//! ```

use faer::{Mat, MatRef, Side};

use super::{Preconditioner, RefitSpace, check_width};
use crate::error::{Error, Result};

/// Relative eigenvalue floor below which Σ counts as singular.
const SINGULAR_TOL: f64 = 1e-12;

/// The whitening transform with ridge γ ≥ 0.
#[derive(Debug, Clone)]
pub struct Whiten {
    gamma: f64,
    p: Option<Mat<f64>>,
}

impl Whiten {
    /// Whitening with ridge γ (γ ≥ 0; validated by [`super::parse`]).
    pub fn new(gamma: f64) -> Self {
        Whiten { gamma, p: None }
    }
}

impl Preconditioner for Whiten {
    fn fit(&mut self, x: MatRef<'_, f64>) -> Result<()> {
        let (n, d) = (x.nrows() as f64, x.ncols());
        let mut sigma = x.transpose() * x;
        for i in 0..d {
            for j in 0..d {
                sigma[(i, j)] /= n;
            }
            sigma[(i, i)] += self.gamma;
        }
        let eig = sigma.self_adjoint_eigen(Side::Lower).map_err(|e| {
            Error::Singular(format!("eigen-decomposition of XᵀX/N + γI failed: {e:?}"))
        })?;
        let values: Vec<f64> = (0..d).map(|i| eig.S()[i]).collect();
        let max = values.iter().fold(0.0f64, |m, v| m.max(*v));
        if values.iter().any(|&v| v <= SINGULAR_TOL * max) {
            return Err(Error::Singular(format!(
                "whiten:{} needs XᵀX/N + γI to be positive definite, but it is singular \
                 (N = {}, d = {d}); use whiten:γ with γ > 0, e.g. whiten:1e-3",
                self.gamma,
                x.nrows()
            )));
        }
        let v = eig.U();
        let p = Mat::from_fn(d, d, |i, j| {
            (0..d)
                .map(|l| v[(i, l)] * v[(j, l)] / values[l].sqrt())
                .sum()
        });
        self.p = Some(p);
        Ok(())
    }

    fn apply(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<(Mat<f64>, Vec<f64>)> {
        let p = self
            .p
            .as_ref()
            .ok_or_else(|| Error::ShapeMismatch("whiten was applied before fit".into()))?;
        check_width(p.nrows(), x, "whiten")?;
        Ok((x * p, y.to_vec()))
    }

    fn to_original(&self, v: &[f64]) -> Vec<f64> {
        let Some(p) = &self.p else { return v.to_vec() };
        (0..p.nrows())
            .map(|i| (0..p.ncols()).map(|j| p[(i, j)] * v[j]).sum())
            .collect()
    }

    fn name(&self) -> String {
        format!("whiten:{}", self.gamma)
    }

    fn refit_space(&self) -> RefitSpace {
        RefitSpace::Transformed
    }
}
