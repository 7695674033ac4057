//! Anderson extrapolation of coordinate-descent iterates (Bertrand and
//! Massias 2021, "Anderson acceleration of coordinate descent", the scheme
//! skglm uses).
//!
//! From K + 1 successive iterates w_0..w_K with differences u_k = w_{k+1} − w_k,
//! solve (UUᵀ) z = 1 for the K × K Gram matrix of the differences and return
//! Σ_k c_k w_{k+1} with c = z / Σz. The caller accepts the point only when
//! it lowers the objective, so a poor extrapolation costs one evaluation.
//!
//! ```
//! use sparsereg::lasso::anderson::Anderson;
//! // Iterates of w_{t+1} = (1, 1) + diag(1/2, 1/4)·(w_t − (1, 1)) from w_0 = 0.
//! let mut acc = Anderson::new(2);
//! for w in [[0.0, 0.0], [0.5, 0.75], [0.75, 0.9375]] {
//!     acc.push(&w);
//! }
//! let w = acc.extrapolate().unwrap();
//! let distance = |v: &[f64]| ((v[0] - 1.0).powi(2) + (v[1] - 1.0).powi(2)).sqrt();
//! assert!(distance(&w) < 0.6 * distance(&[0.75, 0.9375]));
//! ```

/// A ring of the last K + 1 iterates of a fixed-length vector.
#[derive(Debug, Clone)]
pub struct Anderson {
    k: usize,
    iterates: Vec<Vec<f64>>,
}

impl Anderson {
    /// Creates an empty history for K differences.
    pub fn new(k: usize) -> Self {
        Anderson {
            k,
            iterates: Vec::with_capacity(k + 1),
        }
    }

    /// True when K + 1 iterates are stored.
    pub fn is_full(&self) -> bool {
        self.iterates.len() == self.k + 1
    }

    /// Appends an iterate, dropping the oldest beyond K + 1.
    pub fn push(&mut self, w: &[f64]) {
        if self.iterates.len() == self.k + 1 {
            self.iterates.remove(0);
        }
        self.iterates.push(w.to_vec());
    }

    /// Forgets the history (after the working set or the iterate changed otherwise).
    pub fn clear(&mut self) {
        self.iterates.clear();
    }

    /// Returns the extrapolated point, or `None` when fewer than K + 1
    /// iterates are stored or the Gram system is singular.
    pub fn extrapolate(&self) -> Option<Vec<f64>> {
        if self.k == 0 || self.iterates.len() < self.k + 1 {
            return None;
        }
        let diffs: Vec<Vec<f64>> = self
            .iterates
            .windows(2)
            .map(|p| p[1].iter().zip(&p[0]).map(|(a, b)| a - b).collect())
            .collect();
        let gram: Vec<Vec<f64>> = diffs
            .iter()
            .map(|u| diffs.iter().map(|v| crate::linalg::dot(u, v)).collect())
            .collect();
        let z = solve_small(gram, vec![1.0; self.k])?;
        let total: f64 = z.iter().sum();
        if !(total.abs() > 0.0 && total.is_finite()) {
            return None;
        }
        let len = self.iterates[0].len();
        let mut out = vec![0.0; len];
        for (c, w) in z.iter().zip(&self.iterates[1..]) {
            crate::linalg::axpy(c / total, w, &mut out);
        }
        out.iter().all(|v| v.is_finite()).then_some(out)
    }
}

/// Solves A z = b for a small dense A by Gaussian elimination with partial
/// pivoting; `None` when a pivot falls below 1e-14 × the largest diagonal entry.
fn solve_small(mut a: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let m = b.len();
    let scale = (0..m).map(|i| a[i][i].abs()).fold(0.0f64, f64::max);
    if scale <= 0.0 || !scale.is_finite() {
        return None;
    }
    for col in 0..m {
        let pivot = (col..m).max_by(|&i, &j| a[i][col].abs().total_cmp(&a[j][col].abs()))?;
        if a[pivot][col].abs() <= 1e-14 * scale {
            return None;
        }
        a.swap(col, pivot);
        b.swap(col, pivot);
        let (upper, lower) = a.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for (offset, row) in lower.iter_mut().enumerate() {
            let factor = row[col] / pivot_row[col];
            for (target, source) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *target -= factor * source;
            }
            b[col + 1 + offset] -= factor * b[col];
        }
    }
    let mut z = vec![0.0; m];
    for i in (0..m).rev() {
        let tail: f64 = (i + 1..m).map(|c| a[i][c] * z[c]).sum();
        z[i] = (b[i] - tail) / a[i][i];
    }
    Some(z)
}
