//! Gap-safe screening and working-set selection for the Lasso (Fercoq,
//! Gramfort and Salmon 2015; Massias, Gramfort and Salmon 2018, celer).
//!
//! Scaled problem: ½‖y − Xw‖² + λ‖w‖₁ with λ = Nα, whose duality gap is N
//! times the gap of [`super::gap`]. The dual point θ = s·r/λ, with
//! s = min(1, λ/‖Xᵀr‖_∞), is feasible (‖Xᵀθ‖_∞ ≤ 1), and the dual optimum lies
//! in the ball around θ of radius √(2·N·gap)/λ. So a column with
//! |x_jᵀθ| + ‖x_j‖·radius < 1 has w_j = 0 at every optimum and is dropped.
//!
//! The working set holds every nonzero coordinate plus the remaining
//! columns closest to violating the dual constraint, ranked by
//! (1 − |x_jᵀθ|)/‖x_j‖ (the distance from θ to the constraint's hyperplane).
//!
//! ```
//! use sparsereg::lasso::working_set::{DualPoint, select};
//! let point = DualPoint { xtr: vec![1.0, -4.0, 2.0], s: 1.0, n_alpha: 4.0 };
//! let norms = [1.0, 1.0, 1.0];
//! // Column 1 sits on the constraint; column 0 is active.
//! assert_eq!(select(&point, &norms, &[0.5, 0.0, 0.0], &[true; 3], 2), vec![0, 1]);
//! ```

/// Correlations Xᵀr and the scale s of the feasible dual point θ = s·r/λ.
#[derive(Debug, Clone)]
pub struct DualPoint {
    /// x_jᵀr for every column.
    pub xtr: Vec<f64>,
    /// s = min(1, λ/‖Xᵀr‖_∞).
    pub s: f64,
    /// λ = Nα.
    pub n_alpha: f64,
}

impl DualPoint {
    /// |x_jᵀθ| for column j.
    fn constraint(&self, j: usize) -> f64 {
        self.s * self.xtr[j].abs() / self.n_alpha
    }
}

/// Marks the columns that the gap-safe sphere test proves inactive as not
/// alive. `gap_scaled` is N·(P(w) − D(θ)), the gap of the scaled problem.
/// Returns the number of newly screened columns.
pub fn screen(point: &DualPoint, norms: &[f64], gap_scaled: f64, alive: &mut [bool]) -> usize {
    let radius = (2.0 * gap_scaled.max(0.0)).sqrt() / point.n_alpha;
    let mut screened = 0;
    for (j, keep) in alive.iter_mut().enumerate() {
        if *keep && point.constraint(j) + norms[j] * radius < 1.0 {
            *keep = false;
            screened += 1;
        }
    }
    screened
}

/// Returns the working set, in ascending column order: every alive column
/// with w_j ≠ 0, then the alive columns of smallest (1 − |x_jᵀθ|)/‖x_j‖,
/// up to `size` columns in all (more when more coordinates are nonzero).
pub fn select(
    point: &DualPoint,
    norms: &[f64],
    w: &[f64],
    alive: &[bool],
    size: usize,
) -> Vec<usize> {
    let mut candidates: Vec<(f64, usize)> = (0..w.len())
        .filter(|&j| alive[j])
        .map(|j| {
            let score = if w[j] != 0.0 {
                f64::NEG_INFINITY
            } else {
                (1.0 - point.constraint(j)) / norms[j]
            };
            (score, j)
        })
        .collect();
    let active = w.iter().zip(alive).filter(|(v, a)| **a && **v != 0.0);
    let size = size.max(active.count()).min(candidates.len());
    if size < candidates.len() {
        candidates.select_nth_unstable_by(size, |a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        candidates.truncate(size);
    }
    let mut set: Vec<usize> = candidates.into_iter().map(|(_, j)| j).collect();
    set.sort_unstable();
    set
}
