//! Exact ℓp sensitivities by convex programs (Clarabel 0.11.1).
//!
//! σ_i = 1/OPT_i with OPT_i = min{‖Ux‖_p^p : u_iᵀx = 1} on an orthonormal basis U
//! of col(A) (the program is invariant under A → AR, and the basis keeps it
//! full-dimensional and well scaled). Variables v = (x ∈ ℝ^r, t ∈ ℝ^n), objective
//! Σ t_j, and:
//! - equality u_iᵀx = 1 in a zero cone;
//! - p = 1: −t_j ≤ u_jᵀx ≤ t_j in a nonnegative cone (a linear program);
//! - p > 1: (t_j, 1, u_jᵀx) ∈ K_pow(1/p), i.e. t_j ≥ |u_jᵀx|^p.
//!
//! For p = 1 the returned value is |u_iᵀx|^p / ‖Ux‖_p^p at the solver's x, a valid
//! ratio (never above the true σ_i) that equals 1/OPT_i at the optimum. For p > 1 the
//! solver's point is refined by Newton's method on the smooth reduced problem (see
//! [`crate::sensitivity::polish`]), which also takes over when Clarabel fails. A zero
//! row has σ_i = 0 and no program is solved.
//!
//! ```
//! use lpsample::basis::{orthonormal_basis, BasisMethod};
//! use lpsample::conic::ConicSettings;
//! use lpsample::sensitivity::sensitivity_of_row;
//!
//! let a = faer::mat![[1.0, 0.0], [0.0, 1.0], [1.0, 1.0]];
//! let basis = orthonormal_basis(a.as_ref(), BasisMethod::ColPivQr, None).unwrap();
//! let row = sensitivity_of_row(&basis, 0, 1.0, &ConicSettings::default()).unwrap();
//! assert!((row.value - 0.5).abs() < 1e-7);
//! ```

use clarabel::solver::SupportedConeT::{self, NonnegativeConeT, PowerConeT, ZeroConeT};
use faer::MatRef;

use crate::basis::{Basis, row_norms_squared};
use crate::conic::{ConicSettings, Triplets, solve_linear_conic};
use crate::error::{Error, Result};
use crate::sensitivity::polish::polish_row;

/// Sensitivity of one row with the maximising direction.
#[derive(Debug, Clone)]
pub struct RowSensitivity {
    /// σ_i ∈ [0, 1].
    pub value: f64,
    /// Maximiser x* in the coordinates of the basis U (length rank), with
    /// u_iᵀx* = 1 up to the solver tolerance; empty for a zero row.
    pub direction: Vec<f64>,
    /// Interior-point iterations.
    pub iterations: u32,
}

/// Computes σ_i for every row (p = 2 returns the leverage scores directly).
///
/// # Errors
/// [`Error::SolverFailed`] naming the first row whose program failed.
pub fn exact_sensitivities(basis: &Basis, p: f64, settings: &ConicSettings) -> Result<Vec<f64>> {
    if p == 2.0 {
        return Ok(row_norms_squared(basis.u.as_ref()));
    }
    let n = basis.u.nrows();
    let mut values = Vec::with_capacity(n);
    for row in 0..n {
        values.push(sensitivity_of_row(basis, row, p, settings)?.value);
        if (row + 1) % 100 == 0 {
            tracing::debug!("exact sensitivities: {} of {n} rows done", row + 1);
        }
    }
    Ok(values)
}

/// Computes σ_row by one convex program, for any p ≥ 1 including p = 2.
///
/// `p` must already be checked (finite, ≥ 1).
///
/// # Errors
/// [`Error::SolverFailed`] when Clarabel ends with a status other than
/// `Solved` or `AlmostSolved`, or returns a non-finite or zero ratio.
pub fn sensitivity_of_row(
    basis: &Basis,
    row: usize,
    p: f64,
    settings: &ConicSettings,
) -> Result<RowSensitivity> {
    let u = basis.u.as_ref();
    let is_zero_row = (0..u.ncols()).all(|j| u[(row, j)] == 0.0);
    if is_zero_row {
        return Ok(RowSensitivity {
            value: 0.0,
            direction: Vec::new(),
            iterations: 0,
        });
    }

    // σ is invariant under scaling U, and rows of average norm 1 (instead of
    // √(r/n)) keep the interior-point iterates well scaled for large n.
    let scale = (u.nrows() as f64 / u.ncols() as f64).sqrt();
    let scaled = u * faer::Scale(scale);
    let (a, b, cones) = build_program(scaled.as_ref(), row, p);
    let q: Vec<f64> = (0..u.ncols() + u.nrows())
        .map(|k| if k < u.ncols() { 0.0 } else { 1.0 })
        .collect();
    let solved = solve_linear_conic(&q, &a, &b, &cones, settings);

    if p == 1.0 {
        let solution = solved.map_err(|status| Error::SolverFailed { row, status })?;
        let x: Vec<f64> = solution.x[..u.ncols()].iter().map(|v| v * scale).collect();
        return checked_ratio(u, row, p, x, solution.iterations, &solution.status);
    }

    // p > 1: refine Clarabel's point by Newton, or start Newton afresh when it failed.
    let start: Option<Vec<f64>> = match &solved {
        Ok(solution) => Some(solution.x[..u.ncols()].iter().map(|v| v * scale).collect()),
        Err(status) => {
            tracing::warn!(row, %status, "Clarabel failed; solving the row by Newton's method instead");
            None
        }
    };
    let iterations = solved.as_ref().map_or(0, |s| s.iterations);
    match (polish_row(u, row, p, start.as_deref()), solved) {
        (Some(polished), _) => Ok(RowSensitivity {
            value: polished.value.min(1.0),
            direction: polished.x,
            iterations: iterations + polished.steps as u32,
        }),
        (None, Ok(solution)) => checked_ratio(
            u,
            row,
            p,
            start.unwrap_or_default(),
            solution.iterations,
            &solution.status,
        ),
        (None, Err(status)) => Err(Error::SolverFailed { row, status }),
    }
}

/// Returns the ratio at `x` after checking that it is finite and positive.
fn checked_ratio(
    u: MatRef<'_, f64>,
    row: usize,
    p: f64,
    x: Vec<f64>,
    iterations: u32,
    status: &str,
) -> Result<RowSensitivity> {
    let value = ratio_at(u, row, &x, p);
    if !(value.is_finite() && value > 0.0) {
        return Err(Error::SolverFailed {
            row,
            status: format!("{status} with an unusable ratio {value}"),
        });
    }
    Ok(RowSensitivity {
        value: value.min(1.0),
        direction: x,
        iterations,
    })
}

/// Builds (A, b, cones) of the program for `row`; columns are (x, t).
fn build_program(
    u: MatRef<'_, f64>,
    row: usize,
    p: f64,
) -> (Triplets, Vec<f64>, Vec<SupportedConeT<f64>>) {
    let (n, r) = (u.nrows(), u.ncols());
    let constraint_rows = if p == 1.0 { 1 + 2 * n } else { 1 + 3 * n };
    let mut a = Triplets::new(constraint_rows, r + n);
    let mut b = vec![0.0; constraint_rows];

    for j in 0..r {
        a.push(0, j, u[(row, j)]);
    }
    b[0] = 1.0;

    if p == 1.0 {
        for i in 0..n {
            for j in 0..r {
                a.push(1 + 2 * i, j, u[(i, j)]);
                a.push(2 + 2 * i, j, -u[(i, j)]);
            }
            a.push(1 + 2 * i, r + i, -1.0);
            a.push(2 + 2 * i, r + i, -1.0);
        }
        return (a, b, vec![ZeroConeT(1), NonnegativeConeT(2 * n)]);
    }

    let mut cones = vec![ZeroConeT(1)];
    for i in 0..n {
        let base = 1 + 3 * i;
        a.push(base, r + i, -1.0);
        b[base + 1] = 1.0;
        for j in 0..r {
            a.push(base + 2, j, -u[(i, j)]);
        }
        cones.push(PowerConeT(1.0 / p));
    }
    (a, b, cones)
}

/// Returns |u_rowᵀx|^p / ‖Ux‖_p^p.
fn ratio_at(u: MatRef<'_, f64>, row: usize, x: &[f64], p: f64) -> f64 {
    let dot = |i: usize| (0..u.ncols()).map(|j| u[(i, j)] * x[j]).sum::<f64>();
    let total: f64 = (0..u.nrows()).map(|i| dot(i).abs().powf(p)).sum();
    dot(row).abs().powf(p) / total
}
