//! Fused classification losses over logits `z` (batch × classes), averaged over
//! the batch.
//!
//! Each loss computes its gradient with respect to `z` in the forward pass (when a
//! gradient is needed), so the backward rule is one scaled addition.

use faer::Mat;

use super::Op;
use crate::tape::{Sweep, Tape, Var};

#[track_caller]
fn assert_labels(op: &str, z: &Mat<f64>, y: &[usize]) {
    assert!(
        z.nrows() > 0 && z.ncols() > 0,
        "{op}: logits are {}×{}, expected at least one row and one class",
        z.nrows(),
        z.ncols()
    );
    assert!(
        y.len() == z.nrows(),
        "{op}: {} labels for {} rows of logits",
        y.len(),
        z.nrows()
    );
    if let Some((row, &label)) = y.iter().enumerate().find(|&(_, &l)| l >= z.ncols()) {
        panic!(
            "{op}: label {label} of row {row} is out of range for {} classes",
            z.ncols()
        );
    }
}

impl Tape {
    /// Records the batch mean of the softmax cross-entropy −log softmax(z_i)_{y_i}.
    ///
    /// # Panics
    /// When `y.len()` differs from the number of rows of `z`, a label is not a
    /// valid class index, or `z` is empty.
    #[track_caller]
    pub fn cross_entropy(&mut self, z: Var, y: &[usize]) -> Var {
        self.xent(z, y, 0.0, 1.0)
    }

    /// Records T·CE((z − o·e_y)/T, y), averaged over the batch: the cross-entropy
    /// of logits whose true-class entry is lowered by the offset `o`, at
    /// temperature `T` (the SLL `xent` loss; o = 0, T = 1 is plain cross-entropy).
    ///
    /// The gradient is ∂ℓ/∂z = (softmax((z − o·e_y)/T) − e_y)/n. The log-softmax
    /// subtracts the row maximum before exponentiating.
    ///
    /// # Panics
    /// On the label conditions of [`Tape::cross_entropy`], or when `temperature`
    /// is not positive and finite.
    #[track_caller]
    pub fn xent(&mut self, z: Var, y: &[usize], offset: f64, temperature: f64) -> Var {
        let needs_grad = self.needs_grad(&[z]);
        let (nodes, pool, _) = self.parts();
        let zv = &nodes[z.0].value;
        assert_labels("xent", zv, y);
        assert!(
            temperature > 0.0 && temperature.is_finite(),
            "xent: temperature is {temperature}, expected a positive finite value"
        );
        let (n, c) = (zv.nrows(), zv.ncols());
        let mut grad = needs_grad.then(|| pool.take(n, c));
        let mut shifted = vec![0.0; c];
        let mut total = 0.0;
        for (i, &label) in y.iter().enumerate() {
            for (j, u) in shifted.iter_mut().enumerate() {
                let target_offset = if j == label { offset } else { 0.0 };
                *u = (zv[(i, j)] - target_offset) / temperature;
            }
            let lse = log_sum_exp(&shifted);
            total += temperature * (lse - shifted[label]);
            if let Some(g) = grad.as_mut() {
                for (j, &u) in shifted.iter().enumerate() {
                    let target = if j == label { 1.0 } else { 0.0 };
                    g[(i, j)] = ((u - lse).exp() - target) / n as f64;
                }
            }
        }
        self.push_loss(total / n as f64, z, grad)
    }

    /// Records the multi-class hinge loss of PyTorch's `MultiMarginLoss` (p = 1):
    /// the batch mean of (1/C)·Σ_{j≠y} max(0, μ − z_y + z_j), μ = `margin`.
    ///
    /// The subgradient of a hinge term is 0 where μ − z_y + z_j = 0 exactly.
    ///
    /// # Panics
    /// On the label conditions of [`Tape::cross_entropy`].
    #[track_caller]
    pub fn multi_margin(&mut self, z: Var, y: &[usize], margin: f64) -> Var {
        let needs_grad = self.needs_grad(&[z]);
        let (nodes, pool, _) = self.parts();
        let zv = &nodes[z.0].value;
        assert_labels("multi_margin", zv, y);
        let (n, c) = (zv.nrows(), zv.ncols());
        let mut grad = needs_grad.then(|| pool.take_zeroed(n, c));
        let weight = 1.0 / (c as f64 * n as f64);
        let mut total = 0.0;
        for (i, &label) in y.iter().enumerate() {
            let zy = zv[(i, label)];
            let mut row = 0.0;
            for j in (0..c).filter(|&j| j != label) {
                let hinge = margin - zy + zv[(i, j)];
                if hinge > 0.0 {
                    row += hinge;
                    if let Some(g) = grad.as_mut() {
                        g[(i, j)] += weight;
                        g[(i, label)] -= weight;
                    }
                }
            }
            total += row / c as f64;
        }
        self.push_loss(total / n as f64, z, grad)
    }

    fn push_loss(&mut self, loss: f64, z: Var, grad: Option<Mat<f64>>) -> Var {
        let mut out = self.pool.take(1, 1);
        out[(0, 0)] = loss;
        match grad {
            Some(grad) => self.push(out, Op::Loss { z: z.0, grad }, &[z]),
            None => self.push(out, Op::Constant, &[]),
        }
    }
}

/// Returns log Σ exp(u_j), shifted by the maximum so that no term overflows.
fn log_sum_exp(u: &[f64]) -> f64 {
    let max = u.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    if max == f64::INFINITY {
        return max;
    }
    let sum: f64 = u.iter().map(|&x| (x - max).exp()).sum();
    max + sum.ln()
}

/// ℓ = loss(z): z̄ = ℓ̄·∂ℓ/∂z, with ∂ℓ/∂z stored by the forward pass.
pub(crate) fn loss_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, z: usize, dz: &Mat<f64>) {
    sw.add_to_adjoint(z, g[(0, 0)], dz.as_ref());
}
