//! OLS refits along a Lasso path (the relaxed Lasso of Meinshausen 2007 with
//! full relaxation, φ = 0), used to cross-validate the refitted estimator.
//!
//! Along a descending α grid the support mostly grows, so the QR factor of
//! the previous support is extended column by column; it is rebuilt only when
//! a column leaves. A support with ≥ N columns or a dependent column cannot be
//! refitted, and the Lasso coefficients are kept for that α, as
//! [`crate::refit::refit`] does.
//!
//! ```
//! use faer::mat;
//! use sparsereg::lasso::relaxed::RelaxedPath;
//! let x = mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let mut path = RelaxedPath::new(&x, &[2.0, 0.0, 2.0]);
//! let w = path.refit(&[0.5, 0.0]);
//! assert!((w[0] - 2.0).abs() < 1e-12 && w[1] == 0.0);
//! ```

use faer::Mat;

use crate::linalg::support_of;
use crate::qr::Basis;

/// Refits a sequence of Lasso solutions on one (centred) design.
#[derive(Debug)]
pub struct RelaxedPath<'a> {
    x: &'a Mat<f64>,
    y: &'a [f64],
    basis: Basis,
    /// False after a dependent column was rejected, until the next rebuild.
    valid: bool,
}

impl<'a> RelaxedPath<'a> {
    /// Starts with an empty support.
    pub fn new(x: &'a Mat<f64>, y: &'a [f64]) -> Self {
        RelaxedPath {
            x,
            y,
            basis: Basis::new(x.nrows()),
            valid: true,
        }
    }

    /// Returns the OLS coefficients of y on the support of `lasso_coef`
    /// (zero off it), or `lasso_coef` itself when the refit is not possible.
    pub fn refit(&mut self, lasso_coef: &[f64]) -> Vec<f64> {
        let support = support_of(lasso_coef);
        if support.len() >= self.x.nrows() {
            return lasso_coef.to_vec();
        }
        let grows = support.len() >= self.basis.len()
            && self
                .basis
                .columns
                .iter()
                .all(|j| support.binary_search(j).is_ok());
        if !grows || !self.valid {
            self.basis = Basis::new(self.x.nrows());
            self.valid = true;
        }
        for &j in &support {
            if !self.basis.columns.contains(&j) && !self.basis.push(j, self.x.col_as_slice(j)) {
                self.valid = false;
                return lasso_coef.to_vec();
            }
        }

        let mut w = vec![0.0; lasso_coef.len()];
        for (&j, v) in self
            .basis
            .columns
            .iter()
            .zip(self.basis.least_squares(self.y))
        {
            w[j] = v;
        }
        w
    }
}
