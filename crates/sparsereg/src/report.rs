//! The fit JSON record of the command line and the benchmark: the fit, its
//! settings and, when the truth is known, PE, out-of-sample risk and support
//! scores (see [`crate::metrics`]).
//!
//! ```
//! use sparsereg::{Fit, report::FitReport};
//! let fit = Fit { method: "omp".into(), coef: vec![0.0, 2.0], ..Default::default() };
//! let r = FitReport::new(&fit, "identity", None, 1.5, false);
//! assert_eq!(r.support, vec![1]);
//! assert_eq!(r.coef_on_support, vec![2.0]);
//! ```

use serde::{Deserialize, Serialize};

use crate::instance::Instance;
use crate::metrics::{prediction_error, support_scores};
use crate::solver::Fit;

/// One fit as written by `sparsereg fit --json` and each benchmark line.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FitReport {
    /// Method with modifiers (`lasso-cv+refit`).
    pub method: String,
    /// Preconditioner name (`identity` without one).
    pub preconditioner: String,
    /// Lasso α (null for greedy methods).
    pub alpha: Option<f64>,
    /// α rule (null for greedy methods).
    pub alpha_rule: Option<String>,
    /// Intercept b.
    pub intercept: f64,
    /// Indices of nonzero coefficients.
    pub support: Vec<usize>,
    /// Coefficients on `support`.
    pub coef_on_support: Vec<f64>,
    /// Number of nonzeros.
    pub nnz: usize,
    /// Lasso objective.
    pub objective: Option<f64>,
    /// Absolute duality gap.
    pub gap_abs: Option<f64>,
    /// Relative duality gap.
    pub gap_rel: Option<f64>,
    /// False when a solver stopped at its iteration limit.
    pub converged: bool,
    /// Epochs or iterations.
    pub epochs: usize,
    /// Wall time of the fit in milliseconds.
    pub time_ms: f64,
    /// Selection order of greedy methods.
    pub order: Option<Vec<usize>>,
    /// In-sample prediction error (null without the truth).
    pub pe_in: Option<f64>,
    /// Prediction error on the test design (null without one).
    pub risk_out: Option<f64>,
    /// Support precision.
    pub precision: Option<f64>,
    /// Support recall.
    pub recall: Option<f64>,
    /// Support F1.
    pub f1: Option<f64>,
    /// Warnings of the solvers.
    pub warnings: Vec<String>,
    /// Dense coefficients (only with `--full-coef`).
    #[serde(skip_serializing_if = "Option::is_none", default)]
    pub coef: Option<Vec<f64>>,
}

impl FitReport {
    /// Builds the record of `fit`; metrics stay null until [`FitReport::score`].
    pub fn new(
        fit: &Fit,
        preconditioner: &str,
        alpha_rule: Option<String>,
        time_ms: f64,
        full_coef: bool,
    ) -> Self {
        let support = fit.support();
        FitReport {
            method: fit.method.clone(),
            preconditioner: preconditioner.into(),
            alpha: fit.alpha,
            alpha_rule,
            intercept: fit.intercept,
            nnz: support.len(),
            coef_on_support: fit.coef_on_support(),
            support,
            objective: fit.objective,
            gap_abs: fit.gap_abs,
            gap_rel: fit.gap_rel,
            converged: fit.converged,
            epochs: fit.epochs,
            time_ms,
            order: fit.order.clone(),
            pe_in: None,
            risk_out: None,
            precision: None,
            recall: None,
            f1: None,
            warnings: fit.warnings.clone(),
            coef: full_coef.then(|| fit.coef.clone()),
        }
    }

    /// Fills PE, risk and support scores from the instance's truth.
    pub fn score(&mut self, fit: &Fit, inst: &Instance) {
        self.pe_in = Some(prediction_error(
            inst.x.as_ref(),
            &fit.coef,
            fit.intercept,
            &inst.w_star,
        ));
        if inst.x_test.nrows() > 0 {
            self.risk_out = Some(prediction_error(
                inst.x_test.as_ref(),
                &fit.coef,
                fit.intercept,
                &inst.w_star,
            ));
        }
        let s = support_scores(&self.support, &inst.support);
        (self.precision, self.recall, self.f1) = (Some(s.precision), Some(s.recall), Some(s.f1));
    }
}
