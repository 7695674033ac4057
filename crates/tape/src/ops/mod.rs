//! Tape operations: forward evaluation (as `Tape` methods) and backward rules.
//!
//! Notation in the backward rules: `X̄` is the adjoint ∂ℓ/∂X of a node `X` for the
//! scalar loss ℓ, and every rule adds its contribution to the adjoints of the
//! inputs, so a node used twice accumulates both paths.

pub(crate) mod elementwise;
pub(crate) mod kernels;
pub(crate) mod linalg;
pub(crate) mod loss;
pub(crate) mod reduce;

use faer::Mat;

use crate::pool::MatPool;
use crate::store::ParamId;
use crate::tape::Sweep;

pub use elementwise::Unary;
pub use linalg::{Gram, Side, Trans, Uplo};

/// Partial-pivot LU factors kept for the backward pass of `Tape::solve`.
pub(crate) struct LuFactors {
    /// Unit lower factor (strict lower part) and upper factor (upper part) in one matrix.
    pub(crate) lu: Mat<f64>,
    pub(crate) perm: Vec<usize>,
    pub(crate) perm_inv: Vec<usize>,
}

/// Operation that computed a node. Operand fields are node indices.
pub(crate) enum Op {
    /// Leaf without gradient, or a node that needs no gradient.
    Constant,
    /// Leaf whose adjoint is reported for a parameter.
    Param(ParamId),
    MatMul {
        a: usize,
        ta: Trans,
        b: usize,
        tb: Trans,
    },
    Gram {
        a: usize,
        kind: Gram,
    },
    Symmetrize {
        a: usize,
    },
    Cholesky {
        a: usize,
    },
    SolveTri {
        t: usize,
        b: usize,
        side: Side,
        uplo: Uplo,
        trans: Trans,
    },
    Solve {
        m: usize,
        b: usize,
        factors: Box<LuFactors>,
    },
    Transpose {
        a: usize,
    },
    ColSlice {
        a: usize,
        start: usize,
    },
    /// `uᵀWv`; `uv` stores `u` followed by `v`.
    Bilinear {
        w: usize,
        uv: Box<[f64]>,
    },
    Add {
        a: usize,
        b: usize,
    },
    Sub {
        a: usize,
        b: usize,
    },
    Mul {
        a: usize,
        b: usize,
    },
    Scale {
        a: usize,
        s: usize,
    },
    ScaleConst {
        a: usize,
        c: f64,
    },
    /// Adds a constant (to every entry or to the diagonal): the adjoint passes unchanged.
    Shift {
        a: usize,
    },
    AddDiag {
        a: usize,
        s: usize,
    },
    AddBias {
        x: usize,
        b: usize,
    },
    DiagMulLeft {
        v: usize,
        x: usize,
    },
    DiagMulRight {
        x: usize,
        v: usize,
    },
    Unary {
        a: usize,
        f: Unary,
    },
    Sum {
        a: usize,
    },
    RowSums {
        a: usize,
    },
    ColSums {
        a: usize,
    },
    FrobeniusNorm {
        a: usize,
    },
    /// Fused loss whose gradient with respect to the logits was computed in the
    /// forward pass.
    Loss {
        z: usize,
        grad: Mat<f64>,
    },
}

/// Returns the matrix buffers held by `op` to `pool`.
pub(crate) fn release(op: Op, pool: &mut MatPool) {
    match op {
        Op::Solve { factors, .. } => pool.put(factors.lu),
        Op::Loss { grad, .. } => pool.put(grad),
        _ => {}
    }
}

/// Adds the contributions of node `out` (with adjoint `grad`) to its inputs.
pub(crate) fn backward(op: &Op, out: usize, grad: &Mat<f64>, sw: &mut Sweep<'_>) {
    match *op {
        Op::Constant | Op::Param(_) => {}
        Op::MatMul { a, ta, b, tb } => linalg::matmul_backward(sw, grad, a, ta, b, tb),
        Op::Gram { a, kind } => linalg::gram_backward(sw, grad, a, kind),
        Op::Symmetrize { a } => linalg::symmetrize_backward(sw, grad, a),
        Op::Cholesky { a } => linalg::cholesky_backward(sw, grad, out, a),
        Op::SolveTri {
            t,
            b,
            side,
            uplo,
            trans,
        } => linalg::solve_tri_backward(sw, grad, out, t, b, (side, uplo, trans)),
        Op::Solve { m, b, ref factors } => linalg::solve_backward(sw, grad, out, m, b, factors),
        Op::Transpose { a } => linalg::transpose_backward(sw, grad, a),
        Op::ColSlice { a, start } => linalg::col_slice_backward(sw, grad, a, start),
        Op::Bilinear { w, ref uv } => linalg::bilinear_backward(sw, grad, w, uv),
        Op::Add { a, b } => elementwise::add_backward(sw, grad, a, b, 1.0),
        Op::Sub { a, b } => elementwise::add_backward(sw, grad, a, b, -1.0),
        Op::Mul { a, b } => elementwise::mul_backward(sw, grad, a, b),
        Op::Scale { a, s } => elementwise::scale_backward(sw, grad, a, s),
        Op::ScaleConst { a, c } => elementwise::scale_const_backward(sw, grad, a, c),
        Op::Shift { a } => elementwise::shift_backward(sw, grad, a),
        Op::AddDiag { a, s } => elementwise::add_diag_backward(sw, grad, a, s),
        Op::AddBias { x, b } => elementwise::add_bias_backward(sw, grad, x, b),
        Op::DiagMulLeft { v, x } => elementwise::diag_mul_left_backward(sw, grad, v, x),
        Op::DiagMulRight { x, v } => elementwise::diag_mul_right_backward(sw, grad, x, v),
        Op::Unary { a, f } => elementwise::unary_backward(sw, grad, out, a, f),
        Op::Sum { a } => reduce::sum_backward(sw, grad, a),
        Op::RowSums { a } => reduce::row_sums_backward(sw, grad, a),
        Op::ColSums { a } => reduce::col_sums_backward(sw, grad, a),
        Op::FrobeniusNorm { a } => reduce::frobenius_norm_backward(sw, grad, out, a),
        Op::Loss { z, grad: ref dz } => loss::loss_backward(sw, grad, z, dz),
    }
}
