//! Orthogonal matching pursuit (Pati, Rezaiifar and Krishnaprasad 1993;
//! scikit-learn `OrthogonalMatchingPursuit` semantics) and forward stepwise
//! regression (`bestsubset::fs` semantics, Hastie, Tibshirani and Tibshirani 2020).
//!
//! Both start from S = ∅, r = y and repeat k times: pick j ∉ S maximising the
//! score, S ← S ∪ {j}, w = OLS on S, r = y − Xw. OMP scores |x_jᵀr|; forward
//! stepwise scores |x_jᵀr|/‖P⊥_S x_j‖ and skips columns with
//! ‖P⊥_S x_j‖ ≤ 1e-12‖x_j‖. Ties go to the lower index. The loop stops early,
//! with a warning, when the residual vanishes or the chosen column depends on X_S.
//!
//! ```
//! use faer::mat;
//! use sparsereg::greedy::stepwise::omp;
//! let x = mat![[1.0, 0.9], [0.0, 0.1], [0.0, 0.0]];
//! let fit = omp(x.as_ref(), &[1.0, 0.0, 0.0], 1, false).unwrap();
//! assert_eq!(fit.order, Some(vec![0]));
//! ```

use faer::MatRef;

use crate::error::Result;
use crate::linalg::{center, dot, norm2, xt_v};
use crate::qr::{Basis, DEPENDENCE_TOL};
use crate::solver::{Fit, SparseSolver};
use crate::validate::{check_k, check_shapes};

/// Selection score of a greedy step.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Rule {
    /// |x_jᵀr| (OMP).
    Correlation,
    /// |x_jᵀr| / ‖P⊥_S x_j‖ (forward stepwise).
    Normalized,
}

/// Orthogonal matching pursuit with k steps.
///
/// # Errors
/// [`crate::Error::InvalidParameter`] when k = 0, k > d or k > N;
/// [`crate::Error::ShapeMismatch`] on mismatched shapes.
pub fn omp(x: MatRef<'_, f64>, y: &[f64], k: usize, fit_intercept: bool) -> Result<Fit> {
    greedy(x, y, k, fit_intercept, Rule::Correlation)
}

/// Forward stepwise regression with k steps.
///
/// # Errors
/// As [`omp`].
pub fn forward_stepwise(
    x: MatRef<'_, f64>,
    y: &[f64],
    k: usize,
    fit_intercept: bool,
) -> Result<Fit> {
    greedy(x, y, k, fit_intercept, Rule::Normalized)
}

fn greedy(x: MatRef<'_, f64>, y: &[f64], k: usize, fit_intercept: bool, rule: Rule) -> Result<Fit> {
    check_shapes(x, y)?;
    check_k(k, x.ncols(), "d")?;
    check_k(k, x.nrows(), "N")?;
    let c = center(x, y, fit_intercept);
    let (n, d) = (c.x.nrows(), c.x.ncols());
    let norms2: Vec<f64> = (0..d)
        .map(|j| dot(c.x.col_as_slice(j), c.x.col_as_slice(j)))
        .collect();
    let mut proj2 = vec![0.0; d];
    let mut selected = vec![false; d];
    let mut basis = Basis::new(n);
    let mut r = c.y.clone();
    let mut warnings = Vec::new();
    let y_norm = norm2(&c.y);

    for step in 0..k {
        if norm2(&r) <= 1e-14 * y_norm {
            warnings.push(format!("stopped after {step} steps: the residual is zero"));
            break;
        }
        let xtr = xt_v(&c.x, &r);
        let Some(j) = pick(&c.x, &basis, &xtr, &norms2, &proj2, &selected, rule) else {
            warnings.push(format!(
                "stopped after {step} steps: no column is independent of the selected ones"
            ));
            break;
        };
        if !basis.push(j, c.x.col_as_slice(j)) {
            warnings.push(format!(
                "stopped after {step} steps: column {j} is linearly dependent on the selected columns"
            ));
            break;
        }
        selected[j] = true;
        if rule == Rule::Normalized {
            let q = basis.last_q().unwrap_or_default();
            for (i, p) in proj2.iter_mut().enumerate() {
                *p += dot(q, c.x.col_as_slice(i)).powi(2);
            }
        }
        r = basis.residual(&c.y);
    }

    warnings.iter().for_each(|w| tracing::warn!("{w}"));
    let mut coef = vec![0.0; d];
    for (&j, v) in basis.columns.iter().zip(basis.least_squares(&c.y)) {
        coef[j] = v;
    }
    Ok(Fit {
        method: if rule == Rule::Correlation {
            "omp"
        } else {
            "fs"
        }
        .into(),
        intercept: c.intercept(&coef),
        coef,
        converged: true,
        epochs: basis.len(),
        order: Some(basis.columns.clone()),
        warnings,
        ..Fit::default()
    })
}

/// Argmax of the score over unselected nonzero columns (strict `>`: ties to the lower index).
fn pick(
    x: &faer::Mat<f64>,
    basis: &Basis,
    xtr: &[f64],
    norms2: &[f64],
    proj2: &[f64],
    selected: &[bool],
    rule: Rule,
) -> Option<usize> {
    let mut best: Option<(usize, f64)> = None;
    for j in 0..xtr.len() {
        if selected[j] || norms2[j] == 0.0 {
            continue;
        }
        let score = match rule {
            Rule::Correlation => xtr[j].abs(),
            Rule::Normalized => {
                let perp = perp_norm(x, basis, j, norms2[j], proj2[j]);
                if perp <= DEPENDENCE_TOL * norms2[j].sqrt() {
                    continue;
                }
                xtr[j].abs() / perp
            }
        };
        if best.is_none_or(|(_, s)| score > s) {
            best = Some((j, score));
        }
    }
    best.map(|(j, _)| j)
}

/// ‖P⊥_S x_j‖ from the downdated squared norm, recomputed by projection when
/// the downdate has lost most of its digits.
fn perp_norm(x: &faer::Mat<f64>, basis: &Basis, j: usize, norm2_j: f64, proj2_j: f64) -> f64 {
    let downdated = norm2_j - proj2_j;
    if downdated > 1e-6 * norm2_j {
        return downdated.sqrt();
    }
    let mut v = x.col_as_slice(j).to_vec();
    basis.project_out(&mut v);
    norm2(&v)
}

/// OMP as a [`SparseSolver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Omp {
    /// Number of steps k.
    pub k: usize,
    /// Centre X and y and fit an intercept.
    pub fit_intercept: bool,
}

impl SparseSolver for Omp {
    fn name(&self) -> String {
        "omp".into()
    }

    fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Fit> {
        omp(x, y, self.k, self.fit_intercept)
    }
}

/// Forward stepwise as a [`SparseSolver`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ForwardStepwise {
    /// Number of steps k.
    pub k: usize,
    /// Centre X and y and fit an intercept.
    pub fit_intercept: bool,
}

impl SparseSolver for ForwardStepwise {
    fn name(&self) -> String {
        "fs".into()
    }

    fn fit(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<Fit> {
        forward_stepwise(x, y, self.k, self.fit_intercept)
    }
}
