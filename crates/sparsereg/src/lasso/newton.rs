//! The sign-fixed least-squares step of the Lasso: on the face where the
//! active set A and the signs s_A of w are fixed, the objective is the
//! quadratic Q(v) = ‖y − X_A v‖²/(2N) + α·s_Aᵀv, whose minimiser solves
//! (X_AᵀX_A) v = X_Aᵀy − Nα·s_A. Coordinate descent only approaches it slowly
//! on ill-conditioned columns (near-duplicate columns, correlated designs near
//! interpolation), because one sweep shrinks the error along x_a − x_b by
//! about corr(x_a, x_b)² only.
//!
//! When v keeps every sign, it is the exact minimiser on the face. When some
//! signs flip, the step goes from w towards v only until the first coordinate
//! reaches zero, and sets that coordinate to zero. Q decreases along the
//! whole segment (it is convex with its minimum at the far end) and equals
//! the Lasso objective there, so the truncated step lowers the objective
//! and moves w to a smaller face. The caller still keeps a step only when the
//! computed objective is lower, so the duality-gap certificate is unchanged.
//!
//! ```
//! use faer::mat;
//! use sparsereg::lasso::newton::sign_fixed_step;
//! let x = mat![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
//! // Active set {0} with sign +: w_0 = x_0ᵀy − Nα = 2 − 3·0.1.
//! let w = sign_fixed_step(&x, &[2.0, 0.0, 0.0], &[1.0, 0.0], &[0], 0.3).unwrap();
//! assert!((w[0] - 1.7).abs() < 1e-12);
//! // With w_0 = 1 the face minimiser of y = (−1, 0, 0) is −1.3 < 0, so the
//! // step stops at w_0 = 0.
//! let w = sign_fixed_step(&x, &[-1.0, 0.0, 0.0], &[1.0, 0.0], &[0], 0.3).unwrap();
//! assert_eq!(w[0], 0.0);
//! ```

use faer::Mat;

use crate::linalg::dot;

/// Returns the minimiser of the Lasso on the face of `w` restricted to the
/// columns `active` (all with w_j ≠ 0), one value per entry of `active`.
/// When that minimiser flips a sign, it returns instead the point where the
/// segment from w to it leaves the face, with the first coordinate to cross
/// zero set to 0. Returns `None` when |A| ≥ N or the Gram matrix is
/// numerically singular. `n_alpha` is Nα.
pub fn sign_fixed_step(
    x: &Mat<f64>,
    y: &[f64],
    w: &[f64],
    active: &[usize],
    n_alpha: f64,
) -> Option<Vec<f64>> {
    let m = active.len();
    // NOTE: with |A| ≥ N (coordinate descent keeps both columns of many
    // near-duplicate pairs when N < d) no step is taken, so the sweeps can
    // stall for thousands of epochs. A step along the null space of X_A
    // (eigen-decomposition of the Gram matrix) cost more than it saved in
    // 5-fold CV on such designs.
    if m == 0 || m >= x.nrows() {
        return None;
    }
    let mut gram = vec![0.0; m * m];
    for a in 0..m {
        for b in 0..=a {
            let g = dot(x.col_as_slice(active[a]), x.col_as_slice(active[b]));
            gram[a * m + b] = g;
            gram[b * m + a] = g;
        }
    }
    let rhs: Vec<f64> = active
        .iter()
        .map(|&j| dot(x.col_as_slice(j), y) - n_alpha * w[j].signum())
        .collect();
    let v = cholesky_solve(gram, rhs, m)?;
    let current: Vec<f64> = active.iter().map(|&j| w[j]).collect();
    Some(truncate_at_face(&current, v))
}

/// Returns `v` when every entry keeps the sign of `w`. Otherwise it returns
/// the point w + t(v − w) with the largest t ∈ (0, 1] at which no sign flips,
/// and sets the coordinate that reaches zero there exactly to 0.
fn truncate_at_face(w: &[f64], mut v: Vec<f64>) -> Vec<f64> {
    let mut first: Option<(f64, usize)> = None;
    for (i, (&wi, &vi)) in w.iter().zip(&v).enumerate() {
        if vi * wi > 0.0 {
            continue;
        }
        let t = wi / (wi - vi);
        if first.is_none_or(|(best, _)| t < best) {
            first = Some((t, i));
        }
    }
    let Some((t, hit)) = first else {
        return v;
    };
    for (vi, &wi) in v.iter_mut().zip(w) {
        *vi = wi + t * (*vi - wi);
        if *vi * wi < 0.0 {
            *vi = 0.0;
        }
    }
    v[hit] = 0.0;
    v
}

/// Solves G v = b for a symmetric positive definite m × m G (row-major) by
/// Cholesky; `None` when a pivot is ≤ 1e-12 × the largest diagonal entry.
fn cholesky_solve(mut g: Vec<f64>, mut b: Vec<f64>, m: usize) -> Option<Vec<f64>> {
    let scale = (0..m).map(|i| g[i * m + i]).fold(0.0f64, f64::max);
    for i in 0..m {
        for j in 0..=i {
            let mut s = g[i * m + j];
            for l in 0..j {
                s -= g[i * m + l] * g[j * m + l];
            }
            if i == j {
                if s.is_nan() || s <= 1e-12 * scale {
                    return None;
                }
                g[i * m + i] = s.sqrt();
            } else {
                g[i * m + j] = s / g[j * m + j];
            }
        }
    }
    for i in 0..m {
        let s: f64 = (0..i).map(|l| g[i * m + l] * b[l]).sum();
        b[i] = (b[i] - s) / g[i * m + i];
    }
    for i in (0..m).rev() {
        let s: f64 = (i + 1..m).map(|l| g[l * m + i] * b[l]).sum();
        b[i] = (b[i] - s) / g[i * m + i];
    }
    b.iter().all(|v| v.is_finite()).then_some(b)
}
