//! The identity preconditioner (D = X0) and column normalisation
//! (D = X0 diag(c), c_j = √N/‖x_j‖, zero columns kept at zero).
//!
//! ```
//! use faer::mat;
//! use sparsereg::precond::{Preconditioner, identity::ColumnNormalize};
//! let x = mat![[2.0], [0.0]];
//! let mut p = ColumnNormalize::default();
//! p.fit(x.as_ref()).unwrap();
//! let (d, _) = p.apply(x.as_ref(), &[1.0, 0.0]).unwrap();
//! assert!((d[(0, 0)] - 2f64.sqrt()).abs() < 1e-15);
//! assert!((p.to_original(&[1.0])[0] - 2f64.sqrt() / 2.0).abs() < 1e-15);
//! ```

use faer::{Mat, MatRef};

use super::{Preconditioner, RefitSpace, check_width};
use crate::error::Result;

/// D = X0, y' = y0.
#[derive(Debug, Clone, Copy, Default)]
pub struct Identity;

impl Preconditioner for Identity {
    fn fit(&mut self, _x: MatRef<'_, f64>) -> Result<()> {
        Ok(())
    }

    fn apply(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<(Mat<f64>, Vec<f64>)> {
        Ok((x.to_owned(), y.to_vec()))
    }

    fn to_original(&self, v: &[f64]) -> Vec<f64> {
        v.to_vec()
    }

    fn name(&self) -> String {
        "identity".into()
    }

    fn refit_space(&self) -> RefitSpace {
        RefitSpace::Original
    }
}

/// D = X0 diag(c) with c_j = √N/‖x_j‖ (0 for a zero column).
#[derive(Debug, Clone, Default)]
pub struct ColumnNormalize {
    scales: Vec<f64>,
}

impl Preconditioner for ColumnNormalize {
    fn fit(&mut self, x: MatRef<'_, f64>) -> Result<()> {
        let n = x.nrows() as f64;
        self.scales = (0..x.ncols())
            .map(|j| {
                let norm = (0..x.nrows())
                    .map(|i| x[(i, j)].powi(2))
                    .sum::<f64>()
                    .sqrt();
                if norm > 0.0 { n.sqrt() / norm } else { 0.0 }
            })
            .collect();
        Ok(())
    }

    fn apply(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<(Mat<f64>, Vec<f64>)> {
        check_width(self.scales.len(), x, "normalize")?;
        Ok((
            Mat::from_fn(x.nrows(), x.ncols(), |i, j| x[(i, j)] * self.scales[j]),
            y.to_vec(),
        ))
    }

    fn to_original(&self, v: &[f64]) -> Vec<f64> {
        v.iter().zip(&self.scales).map(|(a, c)| a * c).collect()
    }

    fn name(&self) -> String {
        "normalize".into()
    }

    fn refit_space(&self) -> RefitSpace {
        RefitSpace::Original
    }
}
