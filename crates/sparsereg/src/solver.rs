//! The interface shared by every solver: [`SparseSolver`] and its result [`Fit`].
//!
//! A fit describes ŷ = Xw + b. Solvers with an intercept centre X and y and
//! set b = ȳ − x̄ᵀw; no solver rescales columns.
//!
//! ```
//! use faer::mat;
//! use sparsereg::{Omp, SparseSolver};
//! let x = mat![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
//! let fit = Omp { k: 1, fit_intercept: false }.fit(x.as_ref(), &[0.0, 2.0, 0.0]).unwrap();
//! assert_eq!(fit.support(), vec![1]);
//! ```

use faer::MatRef;
use serde::Serialize;

use crate::error::Result;
use crate::linalg::support_of;

/// The result of one sparse-regression fit.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct Fit {
    /// Method name, e.g. `lasso` or `omp`.
    pub method: String,
    /// Coefficients w, one per column of X.
    pub coef: Vec<f64>,
    /// Intercept b (0 without an intercept).
    pub intercept: f64,
    /// Lasso penalty α (Lasso methods only).
    pub alpha: Option<f64>,
    /// Lasso objective P(w) = ‖y − Xw − b‖²/(2N) + α‖w‖₁ (Lasso methods only).
    pub objective: Option<f64>,
    /// Duality gap P(w) − D(θ) (Lasso methods only).
    pub gap_abs: Option<f64>,
    /// Duality gap divided by P(0) = ‖y_c‖²/(2N) (Lasso methods only).
    pub gap_rel: Option<f64>,
    /// False when the solver stopped at its iteration limit.
    pub converged: bool,
    /// Coordinate-descent epochs or greedy/iterative steps.
    pub epochs: usize,
    /// Columns in the order a greedy method selected them.
    pub order: Option<Vec<usize>>,
    /// Non-fatal problems (early stops, dropped refits, no convergence).
    pub warnings: Vec<String>,
}

impl Fit {
    /// Indices of the nonzero coefficients, ascending.
    pub fn support(&self) -> Vec<usize> {
        support_of(&self.coef)
    }

    /// Coefficients on [`Fit::support`], in the same order.
    pub fn coef_on_support(&self) -> Vec<f64> {
        self.support().iter().map(|&j| self.coef[j]).collect()
    }

    /// Predictions Xw + b for the rows of `x`.
    pub fn predict(&self, x: MatRef<'_, f64>) -> Vec<f64> {
        (0..x.nrows())
            .map(|i| {
                let row: f64 = self
                    .coef
                    .iter()
                    .enumerate()
                    .filter(|(_, w)| **w != 0.0)
                    .map(|(j, w)| x[(i, j)] * w)
                    .sum();
                row + self.intercept
            })
            .collect()
    }
}

/// A sparse-regression method with validated hyper-parameters.
pub trait SparseSolver {
    /// Name used in results and on the command line.
    fn name(&self) -> String;

    /// Fits y ≈ Xw + b.
    ///
    /// # Errors
    /// [`crate::Error::ShapeMismatch`] when `y.len() != x.nrows()`,
    /// [`crate::Error::InvalidParameter`] when the problem size violates the
    /// method's limits (such as k > d), and [`crate::Error::NonFinite`] when an
    /// iterate diverges.
    fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Fit>;
}
