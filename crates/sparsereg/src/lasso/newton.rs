//! The sign-fixed least-squares step of the Lasso: on the face where the
//! active set A and the signs s_A of w are fixed, the objective is quadratic
//! and its minimiser solves (X_AᵀX_A) w_A = X_Aᵀy − Nα·s_A. When that
//! solution keeps the signs, it is the exact minimiser on the face, which
//! coordinate descent only approaches slowly on ill-conditioned columns
//! (correlated designs near interpolation). The caller keeps the step only
//! when it lowers the objective, so the duality-gap certificate is unchanged.
//!
//! ```
//! use faer::mat;
//! use sparsereg::lasso::newton::sign_fixed_step;
//! let x = mat![[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]];
//! // Active set {0} with sign +: w_0 = x_0ᵀy − Nα = 2 − 3·0.1.
//! let w = sign_fixed_step(&x, &[2.0, 0.0, 0.0], &[1.0, 0.0], &[0], 0.3).unwrap();
//! assert!((w[0] - 1.7).abs() < 1e-12);
//! ```

use faer::Mat;

use crate::linalg::dot;

/// Returns the minimiser of the Lasso on the face of `w` restricted to the
/// columns `active` (all with w_j ≠ 0), one value per entry of `active`, or
/// `None` when |A| ≥ N, the Gram matrix is numerically singular or a sign flips.
/// `n_alpha` is Nα.
pub fn sign_fixed_step(
    x: &Mat<f64>,
    y: &[f64],
    w: &[f64],
    active: &[usize],
    n_alpha: f64,
) -> Option<Vec<f64>> {
    let m = active.len();
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
    let same_signs = active.iter().zip(&v).all(|(&j, &vj)| vj * w[j] > 0.0);
    same_signs.then_some(v)
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
