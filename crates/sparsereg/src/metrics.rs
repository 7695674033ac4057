//! Prediction error and support recovery.
//!
//! PE = ‖Xŵ + b̂·1 − Xw*‖²/N on a design X (the training design for PE_in, a
//! fresh test design for risk_out); precision = |F ∩ S|/|F|, recall =
//! |F ∩ S|/|S|, F1 their harmonic mean, with F = {j : ŵ_j ≠ 0} and S the true
//! support (normlab sparsereg specification, §2.6).
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0, 0.0], [0.0, 1.0]];
//! let pe = sparsereg::metrics::prediction_error(x.as_ref(), &[1.0, 0.0], 0.0, &[1.0, 0.0]);
//! assert_eq!(pe, 0.0);
//! let s = sparsereg::metrics::support_scores(&[0, 1], &[1, 2]);
//! assert_eq!((s.precision, s.recall), (0.5, 0.5));
//! ```

use faer::MatRef;
use serde::Serialize;

/// PE = ‖Xŵ + b̂ − Xw*‖²/N.
pub fn prediction_error(x: MatRef<'_, f64>, w_hat: &[f64], intercept: f64, w_star: &[f64]) -> f64 {
    let n = x.nrows();
    let mut sum = 0.0;
    for i in 0..n {
        let mut e = intercept;
        for j in 0..x.ncols() {
            let diff = w_hat[j] - w_star[j];
            if diff != 0.0 {
                e += x[(i, j)] * diff;
            }
        }
        sum += e * e;
    }
    sum / n as f64
}

/// Support recovery scores.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct SupportScores {
    /// |F ∩ S|/|F| (1 when F is empty).
    pub precision: f64,
    /// |F ∩ S|/|S| (1 when S is empty).
    pub recall: f64,
    /// 2PR/(P + R) (0 when both are 0).
    pub f1: f64,
}

/// Scores the selected support `found` against the true support `truth`.
pub fn support_scores(found: &[usize], truth: &[usize]) -> SupportScores {
    let hits = found.iter().filter(|j| truth.contains(j)).count() as f64;
    let precision = if found.is_empty() {
        1.0
    } else {
        hits / found.len() as f64
    };
    let recall = if truth.is_empty() {
        1.0
    } else {
        hits / truth.len() as f64
    };
    let f1 = if precision + recall > 0.0 {
        2.0 * precision * recall / (precision + recall)
    } else {
        0.0
    };
    SupportScores {
        precision,
        recall,
        f1,
    }
}
