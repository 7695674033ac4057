//! Linear-algebra operations: products, Grams, Cholesky, triangular and LU solves,
//! transposes, column slices and bilinear forms.

use faer::linalg::cholesky::llt::factor::{
    LltError, LltRegularization, cholesky_in_place, cholesky_in_place_scratch,
};
use faer::linalg::lu::partial_pivoting::factor::{lu_in_place, lu_in_place_scratch};
use faer::linalg::lu::partial_pivoting::solve::{
    solve_in_place, solve_in_place_scratch, solve_transpose_in_place,
    solve_transpose_in_place_scratch,
};
use faer::linalg::matmul::matmul;
use faer::linalg::matmul::triangular::{self, BlockStructure};
use faer::linalg::triangular_solve::{
    solve_lower_triangular_in_place, solve_upper_triangular_in_place,
};
use faer::perm::PermRef;
use faer::{Accum, Mat, MatMut, MatRef, Par};

use super::kernels;
use super::{LuFactors, Op};
use crate::error::{Error, Result};
use crate::pool::MatPool;
use crate::tape::{Scratch, Sweep, Tape, Var};

/// Side of the unknown in a triangular solve: `Left` solves `op(T)·X = B`,
/// `Right` solves `X·op(T) = B`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Side {
    /// Solve op(T)·X = B.
    Left,
    /// Solve X·op(T) = B.
    Right,
}

/// Triangle of a matrix that an operation reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Uplo {
    /// Entries on and below the diagonal.
    Lower,
    /// Entries on and above the diagonal.
    Upper,
}

/// Whether an operand enters as itself (`No`) or transposed (`Yes`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Trans {
    /// Use the operand as stored.
    No,
    /// Use the transpose of the operand.
    Yes,
}

impl Trans {
    /// Returns the other flag.
    pub fn flip(self) -> Self {
        match self {
            Trans::No => Trans::Yes,
            Trans::Yes => Trans::No,
        }
    }
}

/// Orientation of a Gram matrix: `AtA` is AᵀA (columns), `AAt` is AAᵀ (rows).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Gram {
    /// AᵀA, n × n for an m × n matrix A.
    AtA,
    /// AAᵀ, m × m for an m × n matrix A.
    AAt,
}

/// Returns `m` or its transpose.
fn apply_trans(m: &Mat<f64>, t: Trans) -> MatRef<'_, f64> {
    match t {
        Trans::No => m.as_ref(),
        Trans::Yes => m.transpose(),
    }
}

fn block_structure(uplo: Uplo) -> BlockStructure {
    match uplo {
        Uplo::Lower => BlockStructure::TriangularLower,
        Uplo::Upper => BlockStructure::TriangularUpper,
    }
}

/// Solves `op(T)·X = B` in place (`rhs` contains B on entry and X on exit), reading
/// only the `uplo` triangle of `t`.
fn solve_left_in_place(t: MatRef<'_, f64>, uplo: Uplo, trans: Trans, rhs: MatMut<'_, f64>) {
    match (uplo, trans) {
        (Uplo::Lower, Trans::No) => solve_lower_triangular_in_place(t, rhs, Par::Seq),
        (Uplo::Upper, Trans::No) => solve_upper_triangular_in_place(t, rhs, Par::Seq),
        (Uplo::Lower, Trans::Yes) => solve_upper_triangular_in_place(t.transpose(), rhs, Par::Seq),
        (Uplo::Upper, Trans::Yes) => solve_lower_triangular_in_place(t.transpose(), rhs, Par::Seq),
    }
}

/// Solves `op(T)·X = B` (`Left`) or `X·op(T) = B` (`Right`) in place.
fn solve_tri_in_place(
    t: MatRef<'_, f64>,
    side: Side,
    uplo: Uplo,
    trans: Trans,
    rhs: MatMut<'_, f64>,
) {
    match side {
        Side::Left => solve_left_in_place(t, uplo, trans, rhs),
        // X·op(T) = B is op(T)ᵀ·Xᵀ = Bᵀ.
        Side::Right => solve_left_in_place(t, uplo, trans.flip(), rhs.transpose_mut()),
    }
}

impl Tape {
    /// Records `op(a)·op(b)`, where `op` transposes when the flag is `Trans::Yes`.
    ///
    /// # Panics
    /// When the inner dimensions of `op(a)` and `op(b)` differ.
    #[track_caller]
    pub fn matmul(&mut self, a: Var, ta: Trans, b: Var, tb: Trans) -> Var {
        let (nodes, pool, _) = self.parts();
        let lhs = apply_trans(&nodes[a.0].value, ta);
        let rhs = apply_trans(&nodes[b.0].value, tb);
        assert!(
            lhs.ncols() == rhs.nrows(),
            "matmul: op(a) is {}×{} but op(b) is {}×{}",
            lhs.nrows(),
            lhs.ncols(),
            rhs.nrows(),
            rhs.ncols()
        );
        let mut out = pool.take(lhs.nrows(), rhs.ncols());
        matmul(out.as_mut(), Accum::Replace, lhs, rhs, 1.0, Par::Seq);
        self.push(
            out,
            Op::MatMul {
                a: a.0,
                ta,
                b: b.0,
                tb,
            },
            &[a, b],
        )
    }

    /// Records the Gram matrix AᵀA (`Gram::AtA`, n × n for an m × n `a`) or AAᵀ
    /// (`Gram::AAt`, m × m).
    ///
    /// Only the lower triangle is computed and then mirrored, so the result is
    /// exactly symmetric, which the Cholesky backward rule assumes.
    pub fn gram(&mut self, a: Var, kind: Gram) -> Var {
        let (nodes, pool, _) = self.parts();
        let av = nodes[a.0].value.as_ref();
        let (lhs, rhs) = match kind {
            Gram::AtA => (av.transpose(), av),
            Gram::AAt => (av, av.transpose()),
        };
        let n = lhs.nrows();
        let mut out = pool.take(n, n);
        triangular::matmul(
            out.as_mut(),
            BlockStructure::TriangularLower,
            Accum::Replace,
            lhs,
            BlockStructure::Rectangular,
            rhs,
            BlockStructure::Rectangular,
            1.0,
            Par::Seq,
        );
        kernels::mirror_lower(&mut out);
        self.push(out, Op::Gram { a: a.0, kind }, &[a])
    }

    /// Records (A + Aᵀ)/2 for a square `a`; the result is exactly symmetric.
    ///
    /// # Panics
    /// When `a` is not square.
    #[track_caller]
    pub fn symmetrize(&mut self, a: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let av = &nodes[a.0].value;
        let n = av.nrows();
        assert!(
            av.ncols() == n,
            "symmetrize: input is {n}×{}, expected square",
            av.ncols()
        );
        // out_ij = (a_ji + a_ij)/2 and out_ji = (a_ij + a_ji)/2 round identically.
        let mut out = pool.take(n, n);
        kernels::transpose_into(&mut out, av);
        kernels::map_in_place(&mut out, av, |t, x| 0.5 * (t + x));
        self.push(out, Op::Symmetrize { a: a.0 }, &[a])
    }

    /// Records the lower Cholesky factor P of a symmetric positive definite `a`
    /// (A = PPᵀ; the upper factor is R = Pᵀ).
    ///
    /// Only the lower triangle of `a` is read. The factorization never clamps
    /// pivots or adds jitter.
    ///
    /// # Errors
    /// [`Error::Shape`] when `a` is not square; [`Error::Cholesky`] when a pivot is
    /// not positive, with `node` the index of `a`.
    pub fn cholesky(&mut self, a: Var) -> Result<Var> {
        let (nodes, pool, scratch) = self.parts();
        let av = &nodes[a.0].value;
        let n = av.nrows();
        if av.ncols() != n {
            return Err(Error::Shape {
                op: "cholesky",
                lhs: (n, av.ncols()),
                rhs: (n, av.ncols()),
            });
        }
        let mut out = pool.take_copy(av.as_ref());
        let req = cholesky_in_place_scratch::<f64>(n, Par::Seq, Default::default());
        let status = cholesky_in_place(
            out.as_mut(),
            LltRegularization::default(),
            Par::Seq,
            scratch.stack(req),
            Default::default(),
        );
        if let Err(LltError::NonPositivePivot { index }) = status {
            let min_pivot = failed_pivot(av, &out, index);
            pool.put(out);
            return Err(Error::Cholesky {
                node: a.0,
                pivot_index: index,
                min_pivot,
            });
        }
        kernels::zero_strict_upper(&mut out);
        Ok(self.push(out, Op::Cholesky { a: a.0 }, &[a]))
    }

    /// Records the solution of a triangular system: `op(T)⁻¹·B` for `Side::Left`,
    /// `B·op(T)⁻¹` for `Side::Right`.
    ///
    /// Only the `uplo` triangle of `t` (including the diagonal) is read, and no
    /// inverse is formed. A zero diagonal entry gives infinities or NaN.
    ///
    /// # Panics
    /// When `t` is not square or its size does not match the rows (`Left`) or
    /// columns (`Right`) of `b`.
    #[track_caller]
    pub fn solve_tri(&mut self, t: Var, b: Var, side: Side, uplo: Uplo, trans: Trans) -> Var {
        let (nodes, pool, _) = self.parts();
        let tv = &nodes[t.0].value;
        let bv = &nodes[b.0].value;
        let n = tv.nrows();
        let matched = match side {
            Side::Left => bv.nrows(),
            Side::Right => bv.ncols(),
        };
        assert!(
            tv.ncols() == n && matched == n,
            "solve_tri ({side:?}): T is {}×{} and B is {}×{}",
            n,
            tv.ncols(),
            bv.nrows(),
            bv.ncols()
        );
        let mut out = pool.take_copy(bv.as_ref());
        solve_tri_in_place(tv.as_ref(), side, uplo, trans, out.as_mut());
        let op = Op::SolveTri {
            t: t.0,
            b: b.0,
            side,
            uplo,
            trans,
        };
        self.push(out, op, &[t, b])
    }

    /// Records M⁻¹·B, computed with a partial-pivot LU factorization of `m`.
    ///
    /// # Errors
    /// [`Error::Shape`] when `m` is not square or its size differs from the rows
    /// of `b`; [`Error::Singular`] when a pivot of the factorization is zero or not
    /// finite.
    pub fn solve(&mut self, m: Var, b: Var) -> Result<Var> {
        let needs_grad = self.needs_grad(&[m, b]);
        let (nodes, pool, scratch) = self.parts();
        let mv = &nodes[m.0].value;
        let bv = &nodes[b.0].value;
        let n = mv.nrows();

        if mv.ncols() != n || bv.nrows() != n {
            return Err(Error::Shape {
                op: "solve",
                lhs: (n, mv.ncols()),
                rhs: (bv.nrows(), bv.ncols()),
            });
        }

        let factors = lu_factor(mv, pool, scratch);
        let singular = (0..n).any(|i| {
            let pivot = factors.lu[(i, i)];
            pivot == 0.0 || !pivot.is_finite()
        });
        if singular {
            pool.put(factors.lu);
            return Err(Error::Singular { node: m.0 });
        }

        let mut out = pool.take_copy(bv.as_ref());
        let req = solve_in_place_scratch::<usize, f64>(n, out.ncols(), Par::Seq);
        let perm = PermRef::new_checked(&factors.perm, &factors.perm_inv, n);
        let lu = factors.lu.as_ref();
        solve_in_place(lu, lu, perm, out.as_mut(), Par::Seq, scratch.stack(req));

        if !needs_grad {
            pool.put(factors.lu);
            return Ok(self.push(out, Op::Constant, &[]));
        }
        let op = Op::Solve {
            m: m.0,
            b: b.0,
            factors: Box::new(factors),
        };
        Ok(self.push(out, op, &[m, b]))
    }

    /// Records Aᵀ.
    pub fn transpose(&mut self, a: Var) -> Var {
        let (nodes, pool, _) = self.parts();
        let av = &nodes[a.0].value;
        let mut out = pool.take(av.ncols(), av.nrows());
        kernels::transpose_into(&mut out, av);
        self.push(out, Op::Transpose { a: a.0 }, &[a])
    }

    /// Records columns `start..start + len` of `a`.
    ///
    /// # Panics
    /// When `start + len` exceeds the number of columns of `a`.
    #[track_caller]
    pub fn col_slice(&mut self, a: Var, start: usize, len: usize) -> Var {
        let (nodes, pool, _) = self.parts();
        let av = &nodes[a.0].value;
        assert!(
            start + len <= av.ncols(),
            "col_slice: columns {start}..{} requested from a matrix with {} columns",
            start + len,
            av.ncols()
        );
        let out = pool.take_copy(av.as_ref().subcols(start, len));
        self.push(out, Op::ColSlice { a: a.0, start }, &[a])
    }

    /// Records the n × n identity matrix as a constant.
    pub fn identity(&mut self, n: usize) -> Var {
        let mut out = self.pool.take_zeroed(n, n);
        for i in 0..n {
            out[(i, i)] = 1.0;
        }
        self.constant(out)
    }

    /// Records the 1 × 1 bilinear form uᵀ·W·v for constant vectors `u` and `v`.
    ///
    /// # Panics
    /// When `u.len()` differs from the rows or `v.len()` from the columns of `w`.
    #[track_caller]
    pub fn bilinear(&mut self, u: &[f64], w: Var, v: &[f64]) -> Var {
        let wv = &self.nodes[w.0].value;
        assert!(
            u.len() == wv.nrows() && v.len() == wv.ncols(),
            "bilinear: W is {}×{} but u has {} and v has {} entries",
            wv.nrows(),
            wv.ncols(),
            u.len(),
            v.len()
        );
        let mut total = 0.0;
        for (j, &vj) in v.iter().enumerate() {
            let col: f64 = wv.col_as_slice(j).iter().zip(u).map(|(x, y)| x * y).sum();
            total += col * vj;
        }
        let mut out = self.pool.take(1, 1);
        out[(0, 0)] = total;
        let uv: Box<[f64]> = u.iter().chain(v).copied().collect();
        self.push(out, Op::Bilinear { w: w.0, uv }, &[w])
    }
}

/// Returns S + Sᵀ for a square `s` in a pooled buffer.
fn sum_with_transpose(pool: &mut MatPool, s: &Mat<f64>) -> Mat<f64> {
    let mut out = pool.take(s.nrows(), s.ncols());
    kernels::transpose_into(&mut out, s);
    kernels::map_in_place(&mut out, s, |t, x| t + x);
    out
}

/// Computes the pivot value at which a Cholesky factorization of `a` stopped.
///
/// `partial` contains a finished factor of the leading `index × index` block. The
/// pivot is `a[index][index] − ‖l‖²` with `l` solving `L₁₁·l = a[index][..index]`.
fn failed_pivot(a: &Mat<f64>, partial: &Mat<f64>, index: usize) -> f64 {
    let l11 = partial.as_ref().submatrix(0, 0, index, index);
    let mut row = Mat::<f64>::zeros(index, 1);
    for k in 0..index {
        row[(k, 0)] = a[(index, k)];
    }
    solve_lower_triangular_in_place(l11, row.as_mut(), Par::Seq);
    let norm_sq: f64 = row.col_as_slice(0).iter().map(|x| x * x).sum();
    a[(index, index)] - norm_sq
}

/// Factors the square `m` as P·M = L·U with partial pivoting.
fn lu_factor(m: &Mat<f64>, pool: &mut MatPool, scratch: &mut Scratch) -> LuFactors {
    let n = m.nrows();
    let mut lu = pool.take_copy(m.as_ref());
    let mut perm = vec![0usize; n];
    let mut perm_inv = vec![0usize; n];
    let req = lu_in_place_scratch::<usize, f64>(n, n, Par::Seq, Default::default());
    lu_in_place(
        lu.as_mut(),
        &mut perm,
        &mut perm_inv,
        Par::Seq,
        scratch.stack(req),
        Default::default(),
    );
    LuFactors { lu, perm, perm_inv }
}

/// C = op(A)·op(B): op(A)‾ = C̄·op(B)ᵀ and op(B)‾ = op(A)ᵀ·C̄.
pub(crate) fn matmul_backward(
    sw: &mut Sweep<'_>,
    g: &Mat<f64>,
    a: usize,
    ta: Trans,
    b: usize,
    tb: Trans,
) {
    let av = apply_trans(sw.value(a), ta);
    let bv = apply_trans(sw.value(b), tb);
    if let Some(ga) = sw.adjoint(a) {
        match ta {
            Trans::No => matmul(ga.as_mut(), Accum::Add, g, bv.transpose(), 1.0, Par::Seq),
            Trans::Yes => matmul(ga.as_mut(), Accum::Add, bv, g.transpose(), 1.0, Par::Seq),
        }
    }
    if let Some(gb) = sw.adjoint(b) {
        match tb {
            Trans::No => matmul(gb.as_mut(), Accum::Add, av.transpose(), g, 1.0, Par::Seq),
            Trans::Yes => matmul(gb.as_mut(), Accum::Add, g.transpose(), av, 1.0, Par::Seq),
        }
    }
}

/// G = AᵀA: Ā = A(Ḡ + Ḡᵀ). G = AAᵀ: Ā = (Ḡ + Ḡᵀ)A.
pub(crate) fn gram_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize, kind: Gram) {
    if !sw.needs(a) {
        return;
    }
    let av = sw.value(a);
    let s = sum_with_transpose(sw.pool, g);
    if let Some(ga) = sw.adjoint(a) {
        match kind {
            Gram::AtA => matmul(ga.as_mut(), Accum::Add, av, &s, 1.0, Par::Seq),
            Gram::AAt => matmul(ga.as_mut(), Accum::Add, &s, av, 1.0, Par::Seq),
        }
    }
    sw.pool.put(s);
}

/// C = (A + Aᵀ)/2: Ā = (C̄ + C̄ᵀ)/2.
pub(crate) fn symmetrize_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize) {
    if !sw.needs(a) {
        return;
    }
    let s = sum_with_transpose(sw.pool, g);
    sw.add_to_adjoint(a, 0.5, s.as_ref());
    sw.pool.put(s);
}

/// Propagates P̄ to Ā for A = PPᵀ (Murray 2016, arXiv 1602.07527): W̃ = Φ(PᵀP̄)
/// with Φ the lower triangle with halved diagonal, then Ā = sym(P⁻ᵀ·W̃·P⁻¹) by two
/// triangular solves.
///
/// Only the lower triangle of P̄ enters, because P is lower triangular.
pub(crate) fn cholesky_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, out: usize, a: usize) {
    if !sw.needs(a) {
        return;
    }
    let p = sw.value(out);
    let n = p.nrows();
    let mut w = sw.pool.take(n, n);
    triangular::matmul(
        w.as_mut(),
        BlockStructure::TriangularLower,
        Accum::Replace,
        p.transpose(),
        BlockStructure::TriangularUpper,
        g,
        BlockStructure::TriangularLower,
        1.0,
        Par::Seq,
    );
    kernels::zero_strict_upper(&mut w);
    for i in 0..n {
        w[(i, i)] *= 0.5;
    }
    // Y = P⁻ᵀ·W̃, then Z = Y·P⁻¹ computed as Zᵀ = P⁻ᵀ·Yᵀ.
    solve_upper_triangular_in_place(p.transpose(), w.as_mut(), Par::Seq);
    solve_upper_triangular_in_place(p.transpose(), w.as_mut().transpose_mut(), Par::Seq);
    let z = sum_with_transpose(sw.pool, &w);
    sw.add_to_adjoint(a, 0.5, z.as_ref());
    sw.pool.put(z);
    sw.pool.put(w);
}

/// Triangular solve with X the output. Left, X = op(T)⁻¹B: B̄ = op(T)⁻ᵀX̄ and
/// T̄ = −proj(B̄Xᵀ) (op = id) or −proj(XB̄ᵀ) (op = ᵀ). Right, X = B·op(T)⁻¹:
/// B̄ = X̄·op(T)⁻ᵀ and T̄ = −proj(XᵀB̄) (id) or −proj(B̄ᵀX) (ᵀ). `proj` keeps the
/// `uplo` triangle.
pub(crate) fn solve_tri_backward(
    sw: &mut Sweep<'_>,
    g: &Mat<f64>,
    out: usize,
    t: usize,
    b: usize,
    (side, uplo, trans): (Side, Uplo, Trans),
) {
    if !sw.needs(t) && !sw.needs(b) {
        return;
    }
    let x = sw.value(out);
    let tv = sw.value(t);
    let mut bbar = sw.pool.take_copy(g.as_ref());
    solve_tri_in_place(tv.as_ref(), side, uplo, trans.flip(), bbar.as_mut());
    if let Some(gt) = sw.adjoint(t) {
        let (lhs, rhs) = match (side, trans) {
            (Side::Left, Trans::No) => (bbar.as_ref(), x.transpose()),
            (Side::Left, Trans::Yes) => (x.as_ref(), bbar.transpose()),
            (Side::Right, Trans::No) => (x.transpose(), bbar.as_ref()),
            (Side::Right, Trans::Yes) => (bbar.transpose(), x.as_ref()),
        };
        triangular::matmul(
            gt.as_mut(),
            block_structure(uplo),
            Accum::Add,
            lhs,
            BlockStructure::Rectangular,
            rhs,
            BlockStructure::Rectangular,
            -1.0,
            Par::Seq,
        );
    }
    sw.accumulate(b, bbar);
}

/// X = M⁻¹B: B̄ = M⁻ᵀX̄ and M̄ = −B̄Xᵀ.
pub(crate) fn solve_backward(
    sw: &mut Sweep<'_>,
    g: &Mat<f64>,
    out: usize,
    m: usize,
    b: usize,
    factors: &LuFactors,
) {
    let x = sw.value(out);
    let n = factors.lu.nrows();
    let mut bbar = sw.pool.take_copy(g.as_ref());
    let req = solve_transpose_in_place_scratch::<usize, f64>(n, bbar.ncols(), Par::Seq);
    let perm = PermRef::new_checked(&factors.perm, &factors.perm_inv, n);
    let lu = factors.lu.as_ref();
    solve_transpose_in_place(lu, lu, perm, bbar.as_mut(), Par::Seq, sw.scratch.stack(req));
    if let Some(gm) = sw.adjoint(m) {
        matmul(
            gm.as_mut(),
            Accum::Add,
            &bbar,
            x.transpose(),
            -1.0,
            Par::Seq,
        );
    }
    sw.accumulate(b, bbar);
}

/// C = Aᵀ: Ā = C̄ᵀ.
pub(crate) fn transpose_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize) {
    sw.add_to_adjoint(a, 1.0, g.transpose());
}

/// C = A[:, start..start + len]: the adjoint is added to those columns of Ā.
pub(crate) fn col_slice_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, a: usize, start: usize) {
    if let Some(ga) = sw.adjoint(a) {
        for j in 0..g.ncols() {
            let dst = ga.col_as_slice_mut(start + j);
            for (d, s) in dst.iter_mut().zip(g.col_as_slice(j)) {
                *d += s;
            }
        }
    }
}

/// s = uᵀWv: W̄ = s̄·u·vᵀ.
pub(crate) fn bilinear_backward(sw: &mut Sweep<'_>, g: &Mat<f64>, w: usize, uv: &[f64]) {
    let sbar = g[(0, 0)];
    if let Some(gw) = sw.adjoint(w) {
        let (u, v) = uv.split_at(gw.nrows());
        for (j, &vj) in v.iter().enumerate() {
            let scale = sbar * vj;
            for (d, &ui) in gw.col_as_slice_mut(j).iter_mut().zip(u) {
                *d += scale * ui;
            }
        }
    }
}
