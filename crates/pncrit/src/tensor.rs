//! Explicit symmetric third-order tensors and the contractions F and P of the
//! risk expansion, in a frame where the Fisher information G is the identity.
//!
//! With G = I (so A = G⁻¹ = I) the parts of the normlab pncrit derivation read
//! F = Σ_g tr(Ψ_g S Ψ_g S) and P = Σ_g (tr(Ψ_g S))², where Ψ_g is the slice
//! Ψ₃[·,·,g], and T = ⟨Ψ₃, K₃⟩ (full contraction with the truth's third cumulant).
//! Memory is p³ doubles, so this route is used while p³·8 B ≤ 256 MiB.
//!
//! ```
//! use faer::Mat;
//! use pncrit::tensor::Tensor3;
//! // One point at 1 and one at −1 with equal weight: Ψ₃ = 0.
//! let y = Mat::from_fn(2, 1, |i, _| if i == 0 { 1.0 } else { -1.0 });
//! let psi3 = Tensor3::from_cloud(y.as_ref(), &[0.5, 0.5]);
//! assert_eq!(psi3.get(0, 0, 0), 0.0);
//! ```

use faer::{Mat, MatRef};

use crate::linalg;

/// Largest p for which an explicit p³ tensor (8 bytes per entry) fits in 256 MiB.
pub const MAX_TENSOR_DIM: usize = 322;

/// A symmetric p × p × p tensor in full storage, entry (a, b, c) at (a·p + b)·p + c.
#[derive(Clone, Debug)]
pub struct Tensor3 {
    p: usize,
    data: Vec<f64>,
}

impl Tensor3 {
    /// Returns the zero tensor of dimension p.
    pub fn zeros(p: usize) -> Tensor3 {
        Tensor3 {
            p,
            data: vec![0.0; p * p * p],
        }
    }

    /// Dimension p.
    pub fn dim(&self) -> usize {
        self.p
    }

    /// Returns entry (a, b, c).
    pub fn get(&self, a: usize, b: usize, c: usize) -> f64 {
        self.data[(a * self.p + b) * self.p + c]
    }

    /// Sets entry (a, b, c) and its five permutations.
    pub fn set_sym(&mut self, a: usize, b: usize, c: usize, value: f64) {
        let p = self.p;
        for (i, j, k) in [
            (a, b, c),
            (a, c, b),
            (b, a, c),
            (b, c, a),
            (c, a, b),
            (c, b, a),
        ] {
            self.data[(i * p + j) * p + k] = value;
        }
    }

    /// Builds Σₛ wₛ yₛ^⊗3 over the rows of `y`: for each a, the block
    /// b, c ≥ a is the matrix product Y_{≥a}ᵀ diag(wₛ yₛₐ) Y_{≥a}.
    pub fn from_cloud(y: MatRef<'_, f64>, w: &[f64]) -> Tensor3 {
        let (m, p) = (y.nrows(), y.ncols());
        let mut out = Tensor3::zeros(p);
        for a in 0..p {
            let tail = y.subcols(a, p - a);
            let scaled = Mat::from_fn(m, p - a, |s, j| w[s] * y[(s, a)] * tail[(s, j)]);
            let block = linalg::mul(tail.transpose(), scaled.as_ref());
            for i in 0..p - a {
                for j in i..p - a {
                    out.set_sym(a, a + i, a + j, block[(i, j)]);
                }
            }
        }
        out
    }

    /// Returns slice g as a p × p matrix M[a, b] = Ψ[a, b, g].
    pub fn slice(&self, g: usize) -> Mat<f64> {
        Mat::from_fn(self.p, self.p, |a, b| self.get(a, b, g))
    }

    /// Returns the full contraction Σ_abc self[a,b,c]·other[a,b,c].
    pub fn dot(&self, other: &Tensor3) -> f64 {
        self.data.iter().zip(&other.data).map(|(x, y)| x * y).sum()
    }
}

/// Returns (F, P) = (Σ_g tr(Ψ_g S Ψ_g S), Σ_g (tr(Ψ_g S))²) in the G = I frame.
pub fn contract_f_p(psi3: &Tensor3, s: MatRef<'_, f64>) -> (f64, f64) {
    let mut f = 0.0;
    let mut p_part = 0.0;
    for g in 0..psi3.dim() {
        let slice = psi3.slice(g);
        let ms = linalg::mul(slice.as_ref(), s);
        f += trace_of_square(ms.as_ref());
        let v = linalg::trace(ms.as_ref());
        p_part += v * v;
    }
    (f, p_part)
}

/// Returns tr(M²) = Σ_ij M_ij M_ji.
pub fn trace_of_square(m: MatRef<'_, f64>) -> f64 {
    let n = m.nrows();
    let mut sum = 0.0;
    for i in 0..n {
        for j in 0..n {
            sum += m[(i, j)] * m[(j, i)];
        }
    }
    sum
}
