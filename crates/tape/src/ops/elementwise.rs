//! Entrywise operations, scalings, diagonal shifts and broadcasts.

use faer::Mat;

use super::Op;
use super::kernels;
use crate::tape::{Sweep, Tape, Var};

/// Entrywise functions applied by [`Tape`] methods such as `relu` and `exp`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Unary {
    /// max(x, 0) with derivative 0 at 0; NaN passes through.
    Relu,
    /// x for x > 0, α(eˣ − 1) otherwise.
    Elu(f64),
    /// Hyperbolic tangent.
    Tanh,
    /// |x| with derivative 0 at 0.
    Abs,
    /// eˣ.
    Exp,
    /// Natural logarithm.
    Log,
    /// √x.
    Sqrt,
    /// 1/√x.
    Rsqrt,
    /// 1/x.
    Recip,
    /// x².
    Square,
}

impl Unary {
    /// Evaluates the function at `x`.
    pub fn apply(self, x: f64) -> f64 {
        match self {
            Unary::Relu => {
                if x < 0.0 {
                    0.0
                } else {
                    x
                }
            }
            Unary::Elu(alpha) => {
                if x > 0.0 {
                    x
                } else {
                    alpha * x.exp_m1()
                }
            }
            Unary::Tanh => x.tanh(),
            Unary::Abs => x.abs(),
            Unary::Exp => x.exp(),
            Unary::Log => x.ln(),
            Unary::Sqrt => x.sqrt(),
            Unary::Rsqrt => 1.0 / x.sqrt(),
            Unary::Recip => 1.0 / x,
            Unary::Square => x * x,
        }
    }

    /// Returns the derivative at input `x` with output `y = f(x)`.
    pub fn derivative(self, x: f64, y: f64) -> f64 {
        match self {
            Unary::Relu => {
                if x > 0.0 {
                    1.0
                } else {
                    0.0
                }
            }
            Unary::Elu(alpha) => {
                if x > 0.0 {
                    1.0
                } else {
                    alpha * x.exp()
                }
            }
            Unary::Tanh => 1.0 - y * y,
            Unary::Abs => {
                if x > 0.0 {
                    1.0
                } else if x < 0.0 {
                    -1.0
                } else {
                    0.0
                }
            }
            Unary::Exp => y,
            Unary::Log => 1.0 / x,
            Unary::Sqrt => 0.5 / y,
            Unary::Rsqrt => -0.5 * y * y * y,
            Unary::Recip => -y * y,
            Unary::Square => 2.0 * x,
        }
    }
}

#[track_caller]
fn assert_same_shape(op: &str, a: &Mat<f64>, b: &Mat<f64>) {
    assert!(
        a.shape() == b.shape(),
        "{op}: operands are {}×{} and {}×{}, expected equal shapes",
        a.nrows(),
        a.ncols(),
        b.nrows(),
        b.ncols()
    );
}

#[track_caller]
fn assert_scalar(op: &str, s: &Mat<f64>) {
    assert!(
        s.nrows() == 1 && s.ncols() == 1,
        "{op}: the scalar operand is {}×{}, expected 1×1",
        s.nrows(),
        s.ncols()
    );
}

#[track_caller]
fn assert_vector_len(op: &str, v: &Mat<f64>, len: usize) {
    assert!(
        (v.ncols() == 1 && v.nrows() == len) || (v.nrows() == 1 && v.ncols() == len),
        "{op}: the vector operand is {}×{}, expected {len}×1 or 1×{len}",
        v.nrows(),
        v.ncols()
    );
}

impl Tape {
    /// Records A + B (equal shapes, no broadcasting).
    ///
    /// # Panics
    /// When the shapes differ.
    #[track_caller]
    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.binary("add", a, b, |x, y| x + y, |a, b| Op::Add { a, b })
    }

    /// Records A − B (equal shapes).
    ///
    /// # Panics
    /// When the shapes differ.
    #[track_caller]
    pub fn sub(&mut self, a: Var, b: Var) -> Var {
        self.binary("sub", a, b, |x, y| x - y, |a, b| Op::Sub { a, b })
    }

    /// Records the Hadamard (entrywise) product A ⊙ B (equal shapes).
    ///
    /// # Panics
    /// When the shapes differ.
    #[track_caller]
    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        self.binary("mul", a, b, |x, y| x * y, |a, b| Op::Mul { a, b })
    }

    #[track_caller]
    fn binary(
        &mut self,
        name: &str,
        a: Var,
        b: Var,
        f: impl Fn(f64, f64) -> f64,
        op: impl Fn(usize, usize) -> Op,
    ) -> Var {
        let (nodes, pool, _) = self.parts();
        let (av, bv) = (&nodes[a.0].value, &nodes[b.0].value);
        assert_same_shape(name, av, bv);
        let mut out = pool.take(av.nrows(), av.ncols());
        kernels::map2_into(&mut out, av, bv, f);
        self.push(out, op(a.0, b.0), &[a, b])
    }

    /// Records s·A for a 1 × 1 node `s`.
    ///
    /// # Panics
    /// When `s` is not 1 × 1.
    #[track_caller]
    pub fn scale(&mut self, a: Var, s: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let sv = &nodes[s.0].value;
        assert_scalar("scale", sv);
        let factor = sv[(0, 0)];
        let av = &nodes[a.0].value;
        let mut out = pool.take(av.nrows(), av.ncols());
        kernels::map_into(&mut out, av, |x| factor * x);
        self.push(out, Op::Scale { a: a.0, s: s.0 }, &[a, s])
    }

    /// Records c·A for a constant `c`.
    pub fn scale_const(&mut self, a: Var, c: f64) -> Var {
        let out = self.map_unary_value(a, |x| c * x);
        self.push(out, Op::ScaleConst { a: a.0, c }, &[a])
    }

    /// Records A + c, adding the constant `c` to every entry.
    pub fn add_const(&mut self, a: Var, c: f64) -> Var {
        let out = self.map_unary_value(a, |x| x + c);
        self.push(out, Op::Shift { a: a.0 }, &[a])
    }

    /// Records A + s·I for a square `a` and a 1 × 1 node `s`.
    ///
    /// # Panics
    /// When `a` is not square or `s` is not 1 × 1.
    #[track_caller]
    pub fn add_diag(&mut self, a: Var, s: Var) -> Var {
        let sv = &self.nodes[s.0].value;
        assert_scalar("add_diag", sv);
        let shift = sv[(0, 0)];
        let out = self.shifted_diagonal("add_diag", a, shift);
        self.push(out, Op::AddDiag { a: a.0, s: s.0 }, &[a, s])
    }

    /// Records A + c·I for a square `a` and a constant `c`.
    ///
    /// # Panics
    /// When `a` is not square.
    #[track_caller]
    pub fn add_diag_const(&mut self, a: Var, c: f64) -> Var {
        let out = self.shifted_diagonal("add_diag_const", a, c);
        self.push(out, Op::Shift { a: a.0 }, &[a])
    }

    #[track_caller]
    fn shifted_diagonal(&mut self, name: &str, a: Var, shift: f64) -> Mat<f64> {
        let (nodes, pool, _) = self.parts();
        let av = &nodes[a.0].value;
        assert!(
            av.nrows() == av.ncols(),
            "{name}: input is {}×{}, expected square",
            av.nrows(),
            av.ncols()
        );
        let mut out = pool.take_copy(av.as_ref());
        for i in 0..out.nrows() {
            out[(i, i)] += shift;
        }
        out
    }

    /// Records X + 1·b: the row `b` (1 × m, or m × 1) is added to every row of
    /// the n × m `x`.
    ///
    /// # Panics
    /// When `b` does not have m entries in one row or one column.
    #[track_caller]
    pub fn add_bias(&mut self, x: Var, b: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let (xv, bv) = (&nodes[x.0].value, &nodes[b.0].value);
        assert_vector_len("add_bias", bv, xv.ncols());
        let mut out = pool.take(xv.nrows(), xv.ncols());
        for j in 0..xv.ncols() {
            let bj = kernels::vec_entry(bv, j);
            let src = xv.col_as_slice(j);
            for (d, &s) in out.col_as_slice_mut(j).iter_mut().zip(src) {
                *d = s + bj;
            }
        }
        self.push(out, Op::AddBias { x: x.0, b: b.0 }, &[x, b])
    }

    /// Records diag(v)·X: row i of the n × m `x` is scaled by v_i. `v` is n × 1
    /// or 1 × n.
    ///
    /// # Panics
    /// When `v` does not have n entries in one row or one column.
    #[track_caller]
    pub fn diag_mul_left(&mut self, v: Var, x: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let (vv, xv) = (&nodes[v.0].value, &nodes[x.0].value);
        assert_vector_len("diag_mul_left", vv, xv.nrows());
        let mut out = pool.take(xv.nrows(), xv.ncols());
        for j in 0..xv.ncols() {
            let src = xv.col_as_slice(j);
            for (i, (d, &s)) in out.col_as_slice_mut(j).iter_mut().zip(src).enumerate() {
                *d = kernels::vec_entry(vv, i) * s;
            }
        }
        self.push(out, Op::DiagMulLeft { v: v.0, x: x.0 }, &[v, x])
    }

    /// Records X·diag(v): column j of the n × m `x` is scaled by v_j. `v` is
    /// m × 1 or 1 × m.
    ///
    /// # Panics
    /// When `v` does not have m entries in one row or one column.
    #[track_caller]
    pub fn diag_mul_right(&mut self, x: Var, v: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let (xv, vv) = (&nodes[x.0].value, &nodes[v.0].value);
        assert_vector_len("diag_mul_right", vv, xv.ncols());
        let mut out = pool.take(xv.nrows(), xv.ncols());
        for j in 0..xv.ncols() {
            let vj = kernels::vec_entry(vv, j);
            let src = xv.col_as_slice(j);
            for (d, &s) in out.col_as_slice_mut(j).iter_mut().zip(src) {
                *d = vj * s;
            }
        }
        self.push(out, Op::DiagMulRight { x: x.0, v: v.0 }, &[x, v])
    }

    /// Records `f` applied to every entry of `a`.
    pub fn unary(&mut self, a: Var, f: Unary) -> Var {
        let out = self.map_unary_value(a, |x| f.apply(x));
        self.push(out, Op::Unary { a: a.0, f }, &[a])
    }

    /// Records max(A, 0) entrywise; the derivative at 0 is 0.
    pub fn relu(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Relu)
    }

    /// Records ELU: x for x > 0, α(eˣ − 1) otherwise.
    pub fn elu(&mut self, a: Var, alpha: f64) -> Var {
        self.unary(a, Unary::Elu(alpha))
    }

    /// Records tanh entrywise.
    pub fn tanh(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Tanh)
    }

    /// Records |A| entrywise; the derivative at 0 is 0.
    pub fn abs(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Abs)
    }

    /// Records exp entrywise.
    pub fn exp(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Exp)
    }

    /// Records the natural logarithm entrywise (NaN for negative entries).
    pub fn log(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Log)
    }

    /// Records √A entrywise.
    pub fn sqrt(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Sqrt)
    }

    /// Records 1/√A entrywise.
    pub fn rsqrt(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Rsqrt)
    }

    /// Records 1/A entrywise.
    pub fn recip(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Recip)
    }

    /// Records A² entrywise.
    pub fn square(&mut self, a: Var) -> Var {
        self.unary(a, Unary::Square)
    }

    fn map_unary_value(&mut self, a: Var, f: impl Fn(f64) -> f64) -> Mat<f64> {
        let (nodes, pool, _) = self.parts();
        let av = &nodes[a.0].value;
        let mut out = pool.take(av.nrows(), av.ncols());
        kernels::map_into(&mut out, av, f);
        out
    }
}

/// C = A + sign·B: Ā = C̄ and B̄ = sign·C̄.
pub(crate) fn add_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize, b: usize, sign: f64) {
    sw.add_to_adjoint(a, 1.0, g.as_ref());
    sw.add_to_adjoint(b, sign, g.as_ref());
}

/// C = A ⊙ B: Ā = C̄ ⊙ B and B̄ = C̄ ⊙ A.
pub(crate) fn mul_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize, b: usize) {
    let (av, bv) = (sw.value(a), sw.value(b));
    if let Some(ga) = sw.adjoint(a) {
        kernels::add_map2(ga, g, bv, |g, y| g * y);
    }
    if let Some(gb) = sw.adjoint(b) {
        kernels::add_map2(gb, g, av, |g, x| g * x);
    }
}

/// C = s·A: Ā = s·C̄ and s̄ = ⟨A, C̄⟩.
pub(crate) fn scale_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize, s: usize) {
    let av = sw.value(a);
    let factor = sw.value(s)[(0, 0)];
    sw.add_to_adjoint(a, factor, g.as_ref());
    if let Some(gs) = sw.adjoint(s) {
        gs[(0, 0)] += kernels::dot(av, g);
    }
}

/// C = c·A: Ā = c·C̄.
pub(crate) fn scale_const_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize, c: f64) {
    sw.add_to_adjoint(a, c, g.as_ref());
}

/// C = A + constant: Ā = C̄.
pub(crate) fn shift_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize) {
    sw.add_to_adjoint(a, 1.0, g.as_ref());
}

/// C = A + s·I: Ā = C̄ and s̄ = tr C̄.
pub(crate) fn add_diag_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize, s: usize) {
    sw.add_to_adjoint(a, 1.0, g.as_ref());
    if let Some(gs) = sw.adjoint(s) {
        gs[(0, 0)] += (0..g.nrows()).map(|i| g[(i, i)]).sum::<f64>();
    }
}

/// C = X + 1·b: X̄ = C̄ and b̄ = column sums of C̄.
pub(crate) fn add_bias_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, x: usize, b: usize) {
    sw.add_to_adjoint(x, 1.0, g.as_ref());
    if let Some(gb) = sw.adjoint(b) {
        for j in 0..g.ncols() {
            *kernels::vec_entry_mut(gb, j) += g.col_as_slice(j).iter().sum::<f64>();
        }
    }
}

/// C = diag(v)·X: X̄ = diag(v)·C̄ and v̄_i = Σ_j C̄_ij X_ij.
pub(crate) fn diag_mul_left_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, v: usize, x: usize) {
    let (vv, xv) = (sw.value(v), sw.value(x));
    if let Some(gx) = sw.adjoint(x) {
        for j in 0..g.ncols() {
            let src = g.col_as_slice(j);
            for (i, (d, &s)) in gx.col_as_slice_mut(j).iter_mut().zip(src).enumerate() {
                *d += kernels::vec_entry(vv, i) * s;
            }
        }
    }
    if let Some(gv) = sw.adjoint(v) {
        for j in 0..g.ncols() {
            let (gc, xc) = (g.col_as_slice(j), xv.col_as_slice(j));
            for (i, (&gi, &xi)) in gc.iter().zip(xc).enumerate() {
                *kernels::vec_entry_mut(gv, i) += gi * xi;
            }
        }
    }
}

/// C = X·diag(v): X̄ = C̄·diag(v) and v̄_j = Σ_i C̄_ij X_ij.
pub(crate) fn diag_mul_right_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, x: usize, v: usize) {
    let (xv, vv) = (sw.value(x), sw.value(v));
    if let Some(gx) = sw.adjoint(x) {
        for j in 0..g.ncols() {
            let vj = kernels::vec_entry(vv, j);
            for (d, &s) in gx.col_as_slice_mut(j).iter_mut().zip(g.col_as_slice(j)) {
                *d += vj * s;
            }
        }
    }
    if let Some(gv) = sw.adjoint(v) {
        for j in 0..g.ncols() {
            let (gc, xc) = (g.col_as_slice(j), xv.col_as_slice(j));
            *kernels::vec_entry_mut(gv, j) += gc.iter().zip(xc).map(|(a, b)| a * b).sum::<f64>();
        }
    }
}

/// C = f(A) entrywise: Ā = C̄ ⊙ f′(A).
pub(crate) fn unary_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, out: usize, a: usize, f: Unary) {
    let (av, cv) = (sw.value(a), sw.value(out));
    if let Some(ga) = sw.adjoint(a) {
        kernels::add_map3(ga, g, av, cv, |g, x, y| g * f.derivative(x, y));
    }
}
