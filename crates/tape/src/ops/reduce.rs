//! Reductions: total sum, row and column sums, Frobenius norm.

use faer::Mat;

use super::Op;
use super::kernels;
use crate::tape::{Sweep, Tape, Var};

impl Tape {
    /// Records the sum of all entries as a 1 × 1 node.
    pub fn sum(&mut self, a: Var) -> Var {
        let total = kernels::sum(self.val(a));
        let out = self.scalar_buffer(total);
        self.push(out, Op::Sum { a: a.0 }, &[a])
    }

    /// Records the row sums of the n × m `a` as an n × 1 node.
    pub fn row_sums(&mut self, a: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let av = &nodes[a.0].value;
        let mut out = pool.take_zeroed(av.nrows(), 1);
        for j in 0..av.ncols() {
            let dst = out.col_as_slice_mut(0);
            for (d, &x) in dst.iter_mut().zip(av.col_as_slice(j)) {
                *d += x;
            }
        }
        self.push(out, Op::RowSums { a: a.0 }, &[a])
    }

    /// Records the column sums of the n × m `a` as a 1 × m node.
    pub fn col_sums(&mut self, a: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let av = &nodes[a.0].value;
        let mut out = pool.take(1, av.ncols());
        for j in 0..av.ncols() {
            out[(0, j)] = av.col_as_slice(j).iter().sum();
        }
        self.push(out, Op::ColSums { a: a.0 }, &[a])
    }

    /// Records the Frobenius norm ‖A‖_F = √(Σ a_ij²) as a 1 × 1 node.
    ///
    /// The backward rule Ā = n̄·A/‖A‖_F uses the subgradient 0 when A = 0.
    pub fn frobenius_norm(&mut self, a: Var) -> Var {
        let av = self.val(a);
        let norm = kernels::dot(av, av).sqrt();
        let out = self.scalar_buffer(norm);
        self.push(out, Op::FrobeniusNorm { a: a.0 }, &[a])
    }

    fn scalar_buffer(&mut self, value: f64) -> Mat<f64> {
        let mut out = self.pool.take(1, 1);
        out[(0, 0)] = value;
        out
    }
}

/// s = Σ A: Ā = s̄·1.
pub(crate) fn sum_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize) {
    let sbar = g[(0, 0)];
    if let Some(ga) = sw.adjoint(a) {
        for j in 0..ga.ncols() {
            ga.col_as_slice_mut(j).iter_mut().for_each(|d| *d += sbar);
        }
    }
}

/// r = A·1: Ā_ij = r̄_i.
pub(crate) fn row_sums_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize) {
    if let Some(ga) = sw.adjoint(a) {
        let rbar = g.col_as_slice(0);
        for j in 0..ga.ncols() {
            for (d, &r) in ga.col_as_slice_mut(j).iter_mut().zip(rbar) {
                *d += r;
            }
        }
    }
}

/// c = 1ᵀ·A: Ā_ij = c̄_j.
pub(crate) fn col_sums_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize) {
    if let Some(ga) = sw.adjoint(a) {
        for j in 0..ga.ncols() {
            let cbar = g[(0, j)];
            ga.col_as_slice_mut(j).iter_mut().for_each(|d| *d += cbar);
        }
    }
}

/// n = ‖A‖_F: Ā = n̄·A/n, and 0 when n = 0.
pub(crate) fn frobenius_norm_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, out: usize, a: usize) {
    let norm = sw.value(out)[(0, 0)];
    if norm == 0.0 {
        return;
    }
    let factor = g[(0, 0)] / norm;
    sw.add_to_adjoint(a, factor, sw.value(a).as_ref());
}
