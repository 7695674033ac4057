//! Newton polish of the sensitivity program for p > 1.
//!
//! On the constraint u_kᵀx = 1, write x = x₀ + N y with x₀ = u_k/‖u_k‖² and N an
//! orthonormal basis of u_k^⊥, so z = Ux = z₀ + V y with V = UN. The reduced
//! objective f(y) = Σ|z_i|^p is convex and smooth for p > 1, with gradient
//! p Vᵀ(|z|^{p−1} sign z) and Hessian p(p−1) Vᵀ diag(|z|^{p−2}) V. Damped Newton
//! steps with Armijo backtracking minimise it; |z_i| is floored at 1e-12·max|z|
//! inside the Hessian weights for p < 2, where |z|^{p−2} is unbounded.
//!
//! Clarabel's power-cone programs stop with `InsufficientProgress` on some small
//! well-conditioned inputs (seen with Clarabel 0.11.1 for p = 3 and p = 6 on
//! 25 × 3 Gaussian matrices), so its point is refined here, and a failed solve
//! falls back to Newton from x₀ (the exact optimum for p = 2).
//!
//! ```
//! use lpsample::sensitivity::polish::polish_row;
//!
//! let u = faer::mat![[1.0, 0.0], [0.0, 1.0]];
//! let polished = polish_row(u.as_ref(), 0, 3.0, None).unwrap();
//! assert!((polished.value - 1.0).abs() < 1e-12);
//! ```

use faer::linalg::solvers::Solve;
use faer::{Mat, MatRef, Side};

/// Largest number of Newton steps.
const MAX_STEPS: usize = 100;

/// Result of a polish.
#[derive(Debug, Clone)]
pub struct Polished {
    /// σ_k = 1 / min Σ|u_iᵀx|^p at the final point.
    pub value: f64,
    /// Final x with u_kᵀx = 1 (rounding aside).
    pub x: Vec<f64>,
    /// Newton steps taken.
    pub steps: usize,
}

/// Minimises Σ|u_iᵀx|^p subject to u_kᵀx = 1 from `start` (projected onto the
/// constraint) or from x₀ = u_k/‖u_k‖². Returns `None` when the row is zero or
/// Newton does not reach a stationary point within its step limit.
pub fn polish_row(
    u: MatRef<'_, f64>,
    row: usize,
    p: f64,
    start: Option<&[f64]>,
) -> Option<Polished> {
    let r = u.ncols();
    let c: Vec<f64> = (0..r).map(|j| u[(row, j)]).collect();
    let c_norm2: f64 = c.iter().map(|v| v * v).sum();
    if c_norm2 == 0.0 {
        return None;
    }
    let x0: Vec<f64> = c.iter().map(|v| v / c_norm2).collect();
    let null_basis = null_space_basis(&c);
    let v = u * &null_basis;
    let z0 = Mat::from_fn(u.nrows(), 1, |i, _| {
        (0..r).map(|j| u[(i, j)] * x0[j]).sum::<f64>()
    });

    let mut y = match start {
        Some(x) => null_basis.transpose() * Mat::from_fn(r, 1, |j, _| x[j] - x0[j]),
        None => Mat::zeros(r - 1, 1),
    };
    let objective = |y: &Mat<f64>| -> f64 {
        let z = &z0 + &v * y;
        (0..z.nrows()).map(|i| z[(i, 0)].abs().powf(p)).sum()
    };

    let mut f = objective(&y);
    let mut steps = 0;
    let mut converged = r == 1;
    while !converged && steps < MAX_STEPS {
        let (gradient, hessian) = derivatives(v.as_ref(), &(&z0 + &v * &y), p);
        let llt = hessian.llt(Side::Lower).ok()?;
        let direction = llt.solve(-&gradient);
        let slope = (gradient.transpose() * &direction)[(0, 0)];
        if -slope <= 1e-15 * f {
            converged = true;
            break;
        }

        let mut step = 1.0;
        loop {
            let trial = &y + &direction * faer::Scale(step);
            let f_trial = objective(&trial);
            if f_trial <= f + 1e-4 * step * slope {
                y = trial;
                f = f_trial;
                break;
            }
            step *= 0.5;
            if step < 1e-12 {
                converged = -slope <= 1e-10 * f;
                break;
            }
        }
        if step < 1e-12 {
            break;
        }
        steps += 1;
    }

    let value = 1.0 / f;
    if !(converged && value.is_finite() && value > 0.0) {
        return None;
    }
    let x_offset = &null_basis * &y;
    let x = (0..r).map(|j| x0[j] + x_offset[(j, 0)]).collect();
    Some(Polished { value, x, steps })
}

/// Returns an r × (r−1) orthonormal basis of the complement of `c`, from the
/// full QR factorization of the column c.
fn null_space_basis(c: &[f64]) -> Mat<f64> {
    let column = Mat::from_fn(c.len(), 1, |i, _| c[i]);
    let q = column.qr().compute_Q();
    q.subcols(1, c.len() - 1).to_owned()
}

/// Returns the gradient and Hessian of y ↦ Σ|z_i|^p at z = z₀ + V y.
fn derivatives(v: MatRef<'_, f64>, z: &Mat<f64>, p: f64) -> (Mat<f64>, Mat<f64>) {
    let n = z.nrows();
    let max_abs = (0..n).fold(0.0f64, |m, i| m.max(z[(i, 0)].abs()));
    let floor = 1e-12 * max_abs;
    let first = Mat::from_fn(n, 1, |i, _| {
        let zi = z[(i, 0)];
        p * zi.abs().powf(p - 1.0) * zi.signum()
    });
    let curvature: Vec<f64> = (0..n)
        .map(|i| p * (p - 1.0) * z[(i, 0)].abs().max(floor).powf(p - 2.0))
        .collect();
    let weighted = Mat::from_fn(n, v.ncols(), |i, j| curvature[i] * v[(i, j)]);
    (v.transpose() * first, v.transpose() * weighted)
}
