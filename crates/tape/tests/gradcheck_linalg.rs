//! Finite-difference checks of the linear-algebra backward rules.

mod common;

use common::{assert_gradcheck, positive, triangular, uniform, weighted_sum};
use faer::Mat;
use tape::{Gram, ParamStore, Side, Trans, Uplo};

#[test]
fn matmul_all_transpose_flags() {
    for ta in [Trans::No, Trans::Yes] {
        for tb in [Trans::No, Trans::Yes] {
            // op(A) is 3×4 and op(B) is 4×2.
            let a_shape = if ta == Trans::No { (3, 4) } else { (4, 3) };
            let b_shape = if tb == Trans::No { (4, 2) } else { (2, 4) };
            let mut store = ParamStore::new();
            let ia = store
                .add("a", uniform(a_shape.0, a_shape.1, "mm/a"))
                .unwrap();
            let ib = store
                .add("b", uniform(b_shape.0, b_shape.1, "mm/b"))
                .unwrap();
            assert_gradcheck(&store, |t, s| {
                let a = t.param(s, ia);
                let b = t.param(s, ib);
                let c = t.matmul(a, ta, b, tb);
                assert_eq!(t.shape(c), (3, 2));
                Ok(weighted_sum(t, c, "mm"))
            });
        }
    }
}

#[test]
fn matmul_same_operand_twice() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(4, 3, "mm2/a")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let c = t.matmul(a, Trans::Yes, a, Trans::No);
        Ok(weighted_sum(t, c, "mm2"))
    });
}

#[test]
fn gram_both_orientations() {
    for kind in [Gram::AtA, Gram::AAt] {
        let mut store = ParamStore::new();
        let ia = store.add("a", uniform(5, 3, "gram/a")).unwrap();
        assert_gradcheck(&store, |t, s| {
            let a = t.param(s, ia);
            let g = t.gram(a, kind);
            Ok(weighted_sum(t, g, "gram"))
        });
    }
}

#[test]
fn symmetrize_gradient() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(4, 4, "sym/a")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let c = t.symmetrize(a);
        Ok(weighted_sum(t, c, "sym"))
    });
}

/// Cholesky of WᵀW + αI (λ_min ≥ α = 0.3) with gradients for W and α.
#[test]
fn cholesky_of_gram_plus_shift() {
    let mut store = ParamStore::new();
    let iw = store.add("w", uniform(6, 4, "chol/w")).unwrap();
    let ialpha = store.add("alpha", Mat::from_fn(1, 1, |_, _| 0.3)).unwrap();
    assert_gradcheck(&store, |t, s| {
        let w = t.param(s, iw);
        let alpha = t.param(s, ialpha);
        let g = t.gram(w, Gram::AtA);
        let a = t.add_diag(g, alpha);
        let p = t.cholesky(a)?;
        Ok(weighted_sum(t, p, "chol"))
    });
}

/// Cholesky of a symmetrized, diagonally dominant parameter (λ_min ≥ 1.5).
#[test]
fn cholesky_of_symmetrized_matrix() {
    let mut store = ParamStore::new();
    let mut s0 = uniform(5, 5, "chol2/s");
    for i in 0..5 {
        s0[(i, i)] += 6.0;
    }
    let is = store.add("s", s0).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, is);
        let a = t.symmetrize(a);
        let p = t.cholesky(a)?;
        Ok(weighted_sum(t, p, "chol2"))
    });
}

#[test]
fn solve_tri_all_eight_variants() {
    for side in [Side::Left, Side::Right] {
        for uplo in [Uplo::Lower, Uplo::Upper] {
            for trans in [Trans::No, Trans::Yes] {
                let b_shape = if side == Side::Left { (4, 3) } else { (3, 4) };
                let mut store = ParamStore::new();
                let it = store.add("t", triangular(4, uplo, "tri/t")).unwrap();
                let ib = store
                    .add("b", uniform(b_shape.0, b_shape.1, "tri/b"))
                    .unwrap();
                assert_gradcheck(&store, |t, s| {
                    let tv = t.param(s, it);
                    let b = t.param(s, ib);
                    let x = t.solve_tri(tv, b, side, uplo, trans);
                    Ok(weighted_sum(t, x, "tri"))
                });
            }
        }
    }
}

/// The spec's chain Ŵ = W·P⁻ᵀ with P = chol(WᵀW + I): W enters twice.
#[test]
fn contraction_chain_small() {
    let mut store = ParamStore::new();
    let iw = store.add("w", uniform(5, 3, "chain/w")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let w = t.param(s, iw);
        let g = t.gram(w, Gram::AtA);
        let a = t.add_diag_const(g, 1.0);
        let p = t.cholesky(a)?;
        let wh = t.solve_tri(p, w, Side::Right, Uplo::Lower, Trans::Yes);
        Ok(weighted_sum(t, wh, "chain"))
    });
}

/// A 20 × 16 weight has 320 entries, so the check runs along random directions.
#[test]
fn contraction_chain_directional() {
    let mut store = ParamStore::new();
    let iw = store.add("w", uniform(20, 16, "chain-large/w")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let w = t.param(s, iw);
        let g = t.gram(w, Gram::AAt);
        let a = t.add_diag_const(g, 0.5);
        let p = t.cholesky(a)?;
        let wh = t.solve_tri(p, w, Side::Left, Uplo::Lower, Trans::No);
        Ok(weighted_sum(t, wh, "chain-large"))
    });
}

#[test]
fn lu_solve_gradient() {
    let mut store = ParamStore::new();
    let mut m0 = uniform(4, 4, "lu/m");
    for i in 0..4 {
        m0[(i, i)] += 3.0;
    }
    let im = store.add("m", m0).unwrap();
    let ib = store.add("b", uniform(4, 2, "lu/b")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let m = t.param(s, im);
        let b = t.param(s, ib);
        let x = t.solve(m, b)?;
        Ok(weighted_sum(t, x, "lu"))
    });
}

#[test]
fn transpose_gradient() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(3, 5, "tr/a")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let c = t.transpose(a);
        assert_eq!(t.shape(c), (5, 3));
        Ok(weighted_sum(t, c, "tr"))
    });
}

#[test]
fn col_slice_gradient() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(3, 6, "slice/a")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let c = t.col_slice(a, 2, 3);
        assert_eq!(t.shape(c), (3, 3));
        Ok(weighted_sum(t, c, "slice"))
    });
}

#[test]
fn identity_in_product() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(3, 3, "eye/a")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let eye = t.identity(3);
        let shifted = t.add(a, eye);
        let c = t.matmul(shifted, Trans::No, a, Trans::No);
        Ok(weighted_sum(t, c, "eye"))
    });
}

#[test]
fn bilinear_gradient() {
    let mut store = ParamStore::new();
    let iw = store.add("w", uniform(3, 4, "bil/w")).unwrap();
    let u = [0.3, -1.2, 0.7];
    let v = [1.1, 0.4, -0.6, 0.9];
    assert_gradcheck(&store, |t, s| {
        let w = t.param(s, iw);
        let b = t.bilinear(&u, w, &v);
        // Square the form so the loss is not linear in W.
        Ok(t.square(b))
    });
}

#[test]
fn solve_with_positive_inputs() {
    // A second LU case with a right-hand side of one column and positive entries.
    let mut store = ParamStore::new();
    let mut m0 = positive(3, 3, "lu2/m");
    for i in 0..3 {
        m0[(i, i)] += 2.0;
    }
    let im = store.add("m", m0).unwrap();
    let ib = store.add("b", positive(3, 1, "lu2/b")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let m = t.param(s, im);
        let b = t.param(s, ib);
        let x = t.solve(m, b)?;
        Ok(weighted_sum(t, x, "lu2"))
    });
}
