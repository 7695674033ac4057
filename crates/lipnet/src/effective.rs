//! Effective weights: the plain matrices a parameterized network computes with.
//!
//! Every network in this crate evaluates
//!
//! ```text
//! z₀ = x,  z_k = σ(C_k z_{k−1} + b_k)  (k = 1..K),  y = A x + B z_K + b_out
//! ```
//!
//! where a sequential network has A = 0 and B = C_{K+1}. The verifier and the
//! fast evaluation path work on these matrices alone, independent of how the
//! parameterization produced them.

use crate::activation::Activation;
use faer::{Mat, MatRef};

/// The effective weights of one network, in f64.
#[derive(Clone, Debug)]
pub struct Effective {
    /// Skip connection A (n_out × n_in); `None` for sequential networks.
    pub a: Option<Mat<f64>>,
    /// Hidden weights C_1..C_K, C_k of shape n_k × n_{k−1}.
    pub c: Vec<Mat<f64>>,
    /// Hidden biases b_1..b_K, each a 1 × n_k row.
    pub hidden_bias: Vec<Mat<f64>>,
    /// Output weight B (n_out × n_K).
    pub b: Mat<f64>,
    /// Output bias, a 1 × n_out row.
    pub out_bias: Mat<f64>,
    /// The activation σ.
    pub activation: Activation,
}

impl Effective {
    /// Returns the input dimension n_in.
    pub fn n_in(&self) -> usize {
        match self.c.first() {
            Some(c1) => c1.ncols(),
            None => self.b.ncols(),
        }
    }

    /// Returns the output dimension n_out.
    pub fn n_out(&self) -> usize {
        self.b.nrows()
    }

    /// Returns the hidden widths n_1..n_K.
    pub fn widths(&self) -> Vec<usize> {
        self.c.iter().map(|c| c.nrows()).collect()
    }

    /// Evaluates the network on a batch (rows are samples), returning
    /// the outputs and the pre-activations of every hidden layer.
    pub fn forward_with_preactivations(&self, x: MatRef<'_, f64>) -> (Mat<f64>, Vec<Mat<f64>>) {
        let mut pre = Vec::with_capacity(self.c.len());
        let mut z = x.to_owned();

        for (c, bias) in self.c.iter().zip(&self.hidden_bias) {
            let mut v = &z * c.transpose();
            add_row(&mut v, bias.as_ref());
            z = Mat::from_fn(v.nrows(), v.ncols(), |i, j| self.activation.eval(v[(i, j)]));
            pre.push(v);
        }

        let mut y = &z * self.b.transpose();
        if let Some(a) = &self.a {
            y += x * a.transpose();
        }
        add_row(&mut y, self.out_bias.as_ref());
        (y, pre)
    }

    /// Evaluates the network on a batch (rows are samples).
    pub fn forward(&self, x: MatRef<'_, f64>) -> Mat<f64> {
        self.forward_with_preactivations(x).0
    }

    /// Returns the input-output Jacobian A + B D_K C_K ⋯ D_1 C_1 for the
    /// diagonal slope matrices `slopes` (one vector of length n_k per layer).
    pub fn jacobian_for_slopes(&self, slopes: &[Vec<f64>]) -> Mat<f64> {
        let n_in = self.n_in();
        let mut prod = Mat::<f64>::identity(n_in, n_in);

        for (c, d) in self.c.iter().zip(slopes) {
            let mut next = c * &prod;
            for (i, s) in d.iter().enumerate() {
                next.row_mut(i).iter_mut().for_each(|v| *v *= s);
            }
            prod = next;
        }

        let mut j = &self.b * &prod;
        if let Some(a) = &self.a {
            j += a;
        }
        j
    }

    /// Returns the Jacobian at the input row `x` (length n_in), with the
    /// activation slopes of its actual pre-activations.
    pub fn jacobian_at(&self, x: &[f64]) -> Mat<f64> {
        let row = Mat::from_fn(1, x.len(), |_, j| x[j]);
        let (_, pre) = self.forward_with_preactivations(row.as_ref());
        let slopes: Vec<Vec<f64>> = pre
            .iter()
            .map(|v| {
                (0..v.ncols())
                    .map(|j| self.activation.slope(v[(0, j)]))
                    .collect()
            })
            .collect();
        self.jacobian_for_slopes(&slopes)
    }

    /// Returns true when every entry of every matrix is finite.
    pub fn is_finite(&self) -> bool {
        let all = self
            .c
            .iter()
            .chain(&self.hidden_bias)
            .chain(std::iter::once(&self.b))
            .chain(std::iter::once(&self.out_bias))
            .chain(self.a.iter());
        all.into_iter().all(|m| m.is_all_finite())
    }
}

fn add_row(m: &mut Mat<f64>, row: MatRef<'_, f64>) {
    for i in 0..m.nrows() {
        for j in 0..m.ncols() {
            m[(i, j)] += row[(0, j)];
        }
    }
}
