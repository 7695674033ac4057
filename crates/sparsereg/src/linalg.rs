//! Dense vector kernels, centring, hard thresholding and the spectral norm.
//!
//! Centring (scikit-learn semantics): X_c = X − 1 x̄ᵀ, y_c = y − ȳ, and the
//! intercept of a coefficient vector w is b = ȳ − x̄ᵀw.
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0, 2.0], [3.0, 6.0]];
//! let c = sparsereg::linalg::center(x.as_ref(), &[1.0, 3.0], true);
//! assert_eq!(c.x_mean, vec![2.0, 4.0]);
//! assert_eq!(c.intercept(&[1.0, 0.0]), 0.0);
//! ```

use faer::{Mat, MatRef};

/// Dot product of two equally long slices. Four independent partial sums
/// let the compiler use SIMD lanes (a single running sum fixes the order of
/// additions and cannot be vectorised).
pub fn dot(a: &[f64], b: &[f64]) -> f64 {
    let len = a.len().min(b.len());
    let (a, b) = (&a[..len], &b[..len]);
    let mut acc = [0.0f64; 4];
    let (a_chunks, b_chunks) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a_chunks
        .remainder()
        .iter()
        .zip(b_chunks.remainder())
        .map(|(u, v)| u * v)
        .sum();
    for (u, v) in a_chunks.zip(b_chunks) {
        for lane in 0..4 {
            acc[lane] += u[lane] * v[lane];
        }
    }
    (acc[0] + acc[1]) + (acc[2] + acc[3]) + tail
}

/// Euclidean norm.
pub fn norm2(a: &[f64]) -> f64 {
    dot(a, a).sqrt()
}

/// y ← y + alpha·x.
pub fn axpy(alpha: f64, x: &[f64], y: &mut [f64]) {
    for (yi, xi) in y.iter_mut().zip(x) {
        *yi += alpha * xi;
    }
}

/// Xᵀv for a column-major X.
pub fn xt_v(x: &Mat<f64>, v: &[f64]) -> Vec<f64> {
    (0..x.ncols()).map(|j| dot(x.col_as_slice(j), v)).collect()
}

/// Xw, skipping zero coefficients.
pub fn x_w(x: &Mat<f64>, w: &[f64]) -> Vec<f64> {
    let mut out = vec![0.0; x.nrows()];
    for (j, &wj) in w.iter().enumerate() {
        if wj != 0.0 {
            axpy(wj, x.col_as_slice(j), &mut out);
        }
    }
    out
}

/// A design and response after optional centring, with the means to undo it.
#[derive(Debug, Clone)]
pub struct Centered {
    /// X − 1 x̄ᵀ (or X when not centred), column-major.
    pub x: Mat<f64>,
    /// y − ȳ (or y).
    pub y: Vec<f64>,
    /// Column means x̄ (zeros when not centred).
    pub x_mean: Vec<f64>,
    /// ȳ (zero when not centred).
    pub y_mean: f64,
}

impl Centered {
    /// Intercept b = ȳ − x̄ᵀw of coefficients `w` fitted on the centred data.
    pub fn intercept(&self, w: &[f64]) -> f64 {
        self.y_mean - dot(&self.x_mean, w)
    }
}

/// Copies `x` and `y`, centring both when `fit_intercept` is true.
pub fn center(x: MatRef<'_, f64>, y: &[f64], fit_intercept: bool) -> Centered {
    let (n, d) = (x.nrows(), x.ncols());
    let mut xc = x.to_owned();
    let mut x_mean = vec![0.0; d];
    let mut y_mean = 0.0;
    if fit_intercept && n > 0 {
        for (j, mean) in x_mean.iter_mut().enumerate() {
            let col = xc.col_as_slice_mut(j);
            *mean = col.iter().sum::<f64>() / n as f64;
            col.iter_mut().for_each(|v| *v -= *mean);
        }
        y_mean = y.iter().sum::<f64>() / n as f64;
    }
    let yc = y.iter().map(|v| v - y_mean).collect();
    Centered {
        x: xc,
        y: yc,
        x_mean,
        y_mean,
    }
}

/// Indices of the `k` largest |v_j|, ties to the lower index, returned sorted.
pub fn top_k(v: &[f64], k: usize) -> Vec<usize> {
    let mut idx: Vec<usize> = (0..v.len()).collect();
    idx.sort_by(|&a, &b| v[b].abs().total_cmp(&v[a].abs()).then(a.cmp(&b)));
    idx.truncate(k);
    idx.sort_unstable();
    idx
}

/// H_k(v): keeps the `k` largest magnitudes (ties to the lower index), zeroes the rest.
pub fn hard_threshold(v: &[f64], k: usize) -> Vec<f64> {
    let mut out = vec![0.0; v.len()];
    for j in top_k(v, k) {
        out[j] = v[j];
    }
    out
}

/// Indices of the nonzero entries.
pub fn support_of(w: &[f64]) -> Vec<usize> {
    (0..w.len()).filter(|&j| w[j] != 0.0).collect()
}

/// Spectral norm ‖X‖₂: exact SVD when min(N, d) ≤ 500, else 100 power
/// iterations on XᵀX from a fixed start vector (a lower estimate).
pub fn spectral_norm(x: &Mat<f64>) -> f64 {
    if x.nrows().min(x.ncols()) <= 500 {
        if let Ok(s) = x.singular_values() {
            return s.first().copied().unwrap_or(0.0);
        }
    }
    power_iteration(x, 100)
}

fn power_iteration(x: &Mat<f64>, iterations: usize) -> f64 {
    let d = x.ncols();
    let mut v: Vec<f64> = (0..d).map(|j| 1.0 + (j % 7) as f64 * 0.1).collect();
    let mut sigma = 0.0;
    for _ in 0..iterations {
        let nv = norm2(&v);
        if nv == 0.0 {
            return 0.0;
        }
        v.iter_mut().for_each(|e| *e /= nv);
        let xv = x_w(x, &v);
        sigma = norm2(&xv);
        v = xt_v(x, &xv);
    }
    sigma
}
