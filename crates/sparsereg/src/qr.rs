//! Incremental QR of a growing column set, by modified Gram–Schmidt applied
//! twice ("twice is enough", Giraud, Langou and Rozložník 2005).
//!
//! X_S = Q R with orthonormal Q; least squares on S solves R w = Qᵀy. A column
//! with ‖P⊥x‖ ≤ 1e-12‖x‖ is rejected as linearly dependent.
//!
//! ```
//! use sparsereg::qr::Basis;
//! let mut basis = Basis::new(3);
//! assert!(basis.push(0, &[1.0, 0.0, 0.0]));
//! assert!(basis.push(1, &[1.0, 1.0, 0.0]));
//! assert!(!basis.push(2, &[2.0, 1.0, 0.0]));
//! let w = basis.least_squares(&[1.0, 2.0, 5.0]);
//! assert!((w[0] + 1.0).abs() < 1e-14 && (w[1] - 2.0).abs() < 1e-14);
//! ```

use crate::linalg::{axpy, dot, norm2};

/// Relative threshold below which a projected column counts as dependent.
pub const DEPENDENCE_TOL: f64 = 1e-12;

/// Orthonormal basis Q of the accepted columns and the triangular factor R.
#[derive(Debug, Clone)]
pub struct Basis {
    n: usize,
    q: Vec<Vec<f64>>,
    /// Column i of R (length i + 1).
    r: Vec<Vec<f64>>,
    /// Design indices of the accepted columns, in insertion order.
    pub columns: Vec<usize>,
}

impl Basis {
    /// Creates an empty basis in ℝⁿ.
    pub fn new(n: usize) -> Self {
        Basis {
            n,
            q: Vec::new(),
            r: Vec::new(),
            columns: Vec::new(),
        }
    }

    /// Number of accepted columns.
    pub fn len(&self) -> usize {
        self.q.len()
    }

    /// True when no column was accepted.
    pub fn is_empty(&self) -> bool {
        self.q.is_empty()
    }

    /// Projects `v` onto the orthogonal complement of span(Q), in place, and
    /// returns the coefficients Qᵀv that were removed (two passes summed).
    pub fn project_out(&self, v: &mut [f64]) -> Vec<f64> {
        let mut coef = vec![0.0; self.q.len()];
        for _pass in 0..2 {
            for (c, q) in coef.iter_mut().zip(&self.q) {
                let h = dot(q, v);
                axpy(-h, q, v);
                *c += h;
            }
        }
        coef
    }

    /// Appends column `x` (design index `index`). Returns false and leaves the
    /// basis unchanged when x is linearly dependent on it (or zero).
    pub fn push(&mut self, index: usize, x: &[f64]) -> bool {
        debug_assert_eq!(x.len(), self.n);
        let x_norm = norm2(x);
        let mut v = x.to_vec();
        let mut r_col = self.project_out(&mut v);
        let v_norm = norm2(&v);
        if x_norm == 0.0 || v_norm <= DEPENDENCE_TOL * x_norm {
            return false;
        }
        v.iter_mut().for_each(|e| *e /= v_norm);
        r_col.push(v_norm);
        self.q.push(v);
        self.r.push(r_col);
        self.columns.push(index);
        true
    }

    /// Returns the most recently accepted basis vector.
    pub fn last_q(&self) -> Option<&[f64]> {
        self.q.last().map(Vec::as_slice)
    }

    /// Least-squares coefficients of `y` on the accepted columns, in insertion order.
    pub fn least_squares(&self, y: &[f64]) -> Vec<f64> {
        let mut z = y.to_vec();
        let qty = self.project_out(&mut z);
        back_substitute(&self.r, qty)
    }

    /// Residual y − X_S w of the least-squares fit, computed as P⊥y.
    pub fn residual(&self, y: &[f64]) -> Vec<f64> {
        let mut r = y.to_vec();
        self.project_out(&mut r);
        r
    }
}

fn back_substitute(r: &[Vec<f64>], mut z: Vec<f64>) -> Vec<f64> {
    let m = r.len();
    for i in (0..m).rev() {
        let mut s = z[i];
        for l in i + 1..m {
            s -= r[l][i] * z[l];
        }
        z[i] = s / r[i][i];
    }
    z
}
