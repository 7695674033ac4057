//! Forward values, gradient accumulation, errors and buffer reuse of the tape.

mod common;

use common::{assert_close, triangular, uniform};
use faer::linalg::matmul::matmul;
use faer::{Accum, Mat, Par};
use tape::{Error, Gram, ParamStore, Side, Tape, Trans, Uplo};

#[test]
fn node_used_twice_accumulates_both_paths() {
    // loss = Σ (a ⊙ a) + Σ a = Σ a² + Σ a, so ∂loss/∂a = 2a + 1.
    let mut store = ParamStore::new();
    let a0 = uniform(3, 2, "twice/a");
    let ia = store.add("a", a0.clone()).unwrap();
    let mut t = Tape::new();
    let a = t.param(&store, ia);
    let sq = t.mul(a, a);
    let s1 = t.sum(sq);
    let s2 = t.sum(a);
    let loss = t.add(s1, s2);
    let g = t.backward(loss);
    let expected = Mat::from_fn(3, 2, |i, j| 2.0 * a0[(i, j)] + 1.0);
    assert_close(g.get(ia).unwrap().as_ref(), expected.as_ref(), 1e-15);
}

#[test]
fn param_recorded_twice_sums_gradients() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(2, 2, "rec2/a")).unwrap();
    let mut t = Tape::new();
    let a1 = t.param(&store, ia);
    let a2 = t.param(&store, ia);
    let s1 = t.sum(a1);
    let s2 = t.scale_const(a2, 3.0);
    let s2 = t.sum(s2);
    let loss = t.add(s1, s2);
    let g = t.backward(loss);
    let expected = Mat::from_fn(2, 2, |_, _| 4.0);
    assert_close(g.get(ia).unwrap().as_ref(), expected.as_ref(), 0.0);
    assert_eq!(g.len(), 1);
}

#[test]
fn unused_param_has_no_gradient() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(2, 2, "unused/a")).unwrap();
    let ib = store.add("b", uniform(2, 2, "unused/b")).unwrap();
    let mut t = Tape::new();
    let a = t.param(&store, ia);
    let _b = t.param(&store, ib);
    let loss = t.sum(a);
    let g = t.backward(loss);
    assert!(g.get(ia).is_some());
    assert!(g.get(ib).is_none());
}

#[test]
fn gram_is_exactly_symmetric() {
    for kind in [Gram::AtA, Gram::AAt] {
        let mut t = Tape::new();
        let a = t.constant(uniform(37, 23, "gram-sym/a"));
        let g = t.gram(a, kind);
        let gv = t.value(g);
        let n = gv.nrows();
        assert_eq!(n, if kind == Gram::AtA { 23 } else { 37 });
        for i in 0..n {
            for j in 0..n {
                assert_eq!(
                    gv[(i, j)].to_bits(),
                    gv[(j, i)].to_bits(),
                    "({i},{j}) of {kind:?}"
                );
            }
        }
    }
}

#[test]
fn gram_matches_plain_product() {
    let a0 = uniform(9, 5, "gram-val/a");
    let mut expected = Mat::<f64>::zeros(5, 5);
    matmul(
        expected.as_mut(),
        Accum::Replace,
        a0.transpose(),
        a0.as_ref(),
        1.0,
        Par::Seq,
    );
    let mut t = Tape::new();
    let a = t.constant(a0);
    let g = t.gram(a, Gram::AtA);
    assert_close(t.value(g), expected.as_ref(), 1e-14);
}

#[test]
fn transpose_matches_faer_on_ragged_tiles() {
    let a0 = uniform(37, 21, "transpose/a");
    let mut t = Tape::new();
    let a = t.constant(a0.clone());
    let at = t.transpose(a);
    assert_close(t.value(at), a0.transpose(), 0.0);
}

#[test]
fn symmetrize_is_exactly_symmetric() {
    let mut t = Tape::new();
    let a = t.constant(uniform(6, 6, "symz/a"));
    let s = t.symmetrize(a);
    let sv = t.value(s);
    for i in 0..6 {
        for j in 0..6 {
            assert_eq!(sv[(i, j)].to_bits(), sv[(j, i)].to_bits());
        }
    }
}

#[test]
fn cholesky_reconstructs_input() {
    let w = uniform(8, 6, "chol-val/w");
    let mut t = Tape::new();
    let wv = t.constant(w);
    let g = t.gram(wv, Gram::AtA);
    let a = t.add_diag_const(g, 0.1);
    let p = t.cholesky(a).unwrap();
    let pv = t.value(p).to_owned();
    for i in 0..6 {
        for j in i + 1..6 {
            assert_eq!(pv[(i, j)], 0.0, "upper entry ({i},{j}) is not zero");
        }
        assert!(pv[(i, i)] > 0.0, "diagonal entry {i} is not positive");
    }
    let mut rebuilt = Mat::<f64>::zeros(6, 6);
    matmul(
        rebuilt.as_mut(),
        Accum::Replace,
        pv.as_ref(),
        pv.transpose(),
        1.0,
        Par::Seq,
    );
    assert_close(rebuilt.as_ref(), t.value(a), 1e-13);
}

#[test]
fn cholesky_reads_only_lower_triangle() {
    let mut a0 = uniform(4, 4, "chol-lower/a");
    for i in 0..4 {
        a0[(i, i)] += 5.0;
    }
    let sym = Mat::from_fn(4, 4, |i, j| if i >= j { a0[(i, j)] } else { a0[(j, i)] });
    let mut t = Tape::new();
    let a = t.constant(a0);
    let b = t.constant(sym);
    let pa = t.cholesky(a).unwrap();
    let pb = t.cholesky(b).unwrap();
    assert_close(t.value(pa), t.value(pb), 0.0);
}

#[test]
fn cholesky_indefinite_reports_pivot() {
    // The leading 2×2 block is positive definite and the third pivot is negative.
    let a0 = faer::mat![[4.0, 2.0, 1.0], [2.0, 2.0, 3.0], [1.0, 3.0, 1.0]];
    // Pivots: d0 = 4; l10 = 1, d1 = 2 − 1 = 1; l20 = 0.5, l21 = (3 − 0.5)/1 = 2.5,
    // d2 = 1 − 0.25 − 6.25 = −5.5.
    let mut t = Tape::new();
    let a = t.constant(a0);
    let err = t.cholesky(a).unwrap_err();
    match err {
        Error::Cholesky {
            node,
            pivot_index,
            min_pivot,
        } => {
            assert_eq!(node, a.index());
            assert_eq!(pivot_index, 2);
            assert!((min_pivot + 5.5).abs() < 1e-12, "pivot value {min_pivot}");
        }
        other => panic!("expected a Cholesky error, got {other:?}"),
    }
    let message = t.cholesky(a).unwrap_err().to_string();
    assert!(message.contains("pivot 2"), "message: {message}");
    assert!(
        message.contains("not positive definite"),
        "message: {message}"
    );
}

#[test]
fn cholesky_first_pivot_negative() {
    let mut t = Tape::new();
    let a = t.constant(faer::mat![[-1.0, 0.0], [0.0, 1.0]]);
    match t.cholesky(a) {
        Err(Error::Cholesky {
            pivot_index,
            min_pivot,
            ..
        }) => {
            assert_eq!(pivot_index, 0);
            assert_eq!(min_pivot, -1.0);
        }
        other => panic!("expected a Cholesky error, got {other:?}"),
    }
}

#[test]
fn cholesky_rejects_nan() {
    let mut t = Tape::new();
    let a = t.constant(faer::mat![[1.0, 0.0], [f64::NAN, 1.0]]);
    assert!(matches!(
        t.cholesky(a),
        Err(Error::Cholesky { pivot_index: 1, .. })
    ));
}

#[test]
fn cholesky_rejects_non_square() {
    let mut t = Tape::new();
    let a = t.constant(Mat::zeros(2, 3));
    assert!(matches!(
        t.cholesky(a),
        Err(Error::Shape { op: "cholesky", .. })
    ));
}

#[test]
fn cholesky_large_indefinite_matches_reference_pivot() {
    // A 40×40 matrix that is positive definite except for one late pivot, so that
    // the blocked factorization fails inside a later block.
    let n = 40;
    let w = uniform(n, n, "chol-big/w");
    let mut a0 = Mat::<f64>::zeros(n, n);
    matmul(
        a0.as_mut(),
        Accum::Replace,
        w.transpose(),
        w.as_ref(),
        1.0,
        Par::Seq,
    );
    for i in 0..n {
        a0[(i, i)] += 1.0;
    }
    a0[(33, 33)] = -50.0;

    let reference = unblocked_failed_pivot(&a0);

    let mut t = Tape::new();
    let a = t.constant(a0);
    match t.cholesky(a) {
        Err(Error::Cholesky {
            pivot_index,
            min_pivot,
            ..
        }) => {
            assert_eq!(pivot_index, reference.0);
            assert!(
                (min_pivot - reference.1).abs() < 1e-9,
                "{min_pivot} vs {}",
                reference.1
            );
        }
        other => panic!("expected a Cholesky error, got {other:?}"),
    }
}

/// Textbook Cholesky–Crout that returns the first non-positive pivot.
fn unblocked_failed_pivot(a: &Mat<f64>) -> (usize, f64) {
    let n = a.nrows();
    let mut l = Mat::<f64>::zeros(n, n);
    for j in 0..n {
        let d = a[(j, j)] - (0..j).map(|k| l[(j, k)] * l[(j, k)]).sum::<f64>();
        if d <= 0.0 {
            return (j, d);
        }
        l[(j, j)] = d.sqrt();
        for i in j + 1..n {
            let s = a[(i, j)] - (0..j).map(|k| l[(i, k)] * l[(j, k)]).sum::<f64>();
            l[(i, j)] = s / l[(j, j)];
        }
    }
    panic!("the reference factorization succeeded");
}

#[test]
fn solve_tri_ignores_other_triangle() {
    for uplo in [Uplo::Lower, Uplo::Upper] {
        let t_full = triangular(5, uplo, "tri-junk/t");
        let t_clean = Mat::from_fn(5, 5, |i, j| {
            let inside = match uplo {
                Uplo::Lower => i >= j,
                Uplo::Upper => i <= j,
            };
            if inside { t_full[(i, j)] } else { 0.0 }
        });
        let b0 = uniform(5, 3, "tri-junk/b");
        let mut t = Tape::new();
        let tf = t.constant(t_full);
        let tc = t.constant(t_clean.clone());
        let b = t.constant(b0.clone());
        for trans in [Trans::No, Trans::Yes] {
            let x1 = t.solve_tri(tf, b, Side::Left, uplo, trans);
            let x2 = t.solve_tri(tc, b, Side::Left, uplo, trans);
            assert_close(t.value(x1), t.value(x2), 0.0);
            // op(T)·X reproduces B.
            let op_t = if trans == Trans::No {
                t_clean.as_ref()
            } else {
                t_clean.transpose()
            };
            let mut back = Mat::<f64>::zeros(5, 3);
            matmul(
                back.as_mut(),
                Accum::Replace,
                op_t,
                t.value(x2),
                1.0,
                Par::Seq,
            );
            assert_close(back.as_ref(), b0.as_ref(), 1e-12);
        }
    }
}

#[test]
fn solve_tri_right_side_reproduces_b() {
    let t0 = triangular(4, Uplo::Upper, "tri-right/t");
    let clean = Mat::from_fn(4, 4, |i, j| if i <= j { t0[(i, j)] } else { 0.0 });
    let b0 = uniform(3, 4, "tri-right/b");
    let mut t = Tape::new();
    let tv = t.constant(t0);
    let b = t.constant(b0.clone());
    let x = t.solve_tri(tv, b, Side::Right, Uplo::Upper, Trans::Yes);
    let mut back = Mat::<f64>::zeros(3, 4);
    matmul(
        back.as_mut(),
        Accum::Replace,
        t.value(x),
        clean.transpose(),
        1.0,
        Par::Seq,
    );
    assert_close(back.as_ref(), b0.as_ref(), 1e-12);
}

#[test]
fn lu_solve_reproduces_b_and_rejects_singular() {
    let mut m0 = uniform(4, 4, "lu-val/m");
    m0[(0, 0)] += 2.0;
    let b0 = uniform(4, 2, "lu-val/b");
    let mut t = Tape::new();
    let m = t.constant(m0.clone());
    let b = t.constant(b0.clone());
    let x = t.solve(m, b).unwrap();
    let mut back = Mat::<f64>::zeros(4, 2);
    matmul(
        back.as_mut(),
        Accum::Replace,
        m0.as_ref(),
        t.value(x),
        1.0,
        Par::Seq,
    );
    assert_close(back.as_ref(), b0.as_ref(), 1e-12);

    let singular = t.constant(faer::mat![[1.0, 2.0], [2.0, 4.0]]);
    let rhs = t.constant(Mat::from_fn(2, 1, |_, _| 1.0));
    match t.solve(singular, rhs) {
        Err(Error::Singular { node }) => assert_eq!(node, singular.index()),
        other => panic!("expected a singular-matrix error, got {other:?}"),
    }
    assert!(matches!(
        t.solve(singular, b),
        Err(Error::Shape { op: "solve", .. })
    ));
}

/// The whole training step: the same graph on a reset tape gives the same bits.
#[test]
fn reset_reuses_buffers_with_identical_results() {
    let mut store = ParamStore::new();
    let iw = store.add("w", uniform(12, 9, "reset/w")).unwrap();
    let mut t = Tape::new();
    let mut runs = Vec::new();
    for _ in 0..3 {
        t.reset();
        assert!(t.is_empty());
        let w = t.param(&store, iw);
        let g = t.gram(w, Gram::AtA);
        let a = t.add_diag_const(g, 1.0);
        let p = t.cholesky(a).unwrap();
        let wh = t.solve_tri(p, w, Side::Right, Uplo::Lower, Trans::Yes);
        let sq = t.square(wh);
        let loss = t.sum(sq);
        let grads = t.backward(loss);
        let value = t.scalar_value(loss);
        let grad = grads.get(iw).unwrap().clone();
        t.recycle(grads);
        runs.push((value, grad));
    }
    for (value, grad) in &runs[1..] {
        assert_eq!(value.to_bits(), runs[0].0.to_bits());
        assert_close(grad.as_ref(), runs[0].1.as_ref(), 0.0);
    }
    // ‖Ŵ‖²_F = Σ σ²/(σ² + 1) < rank(W) = 9.
    assert!(runs[0].0 < 9.0, "loss {}", runs[0].0);
    assert!(runs[0].0 > 0.0, "loss {}", runs[0].0);
}

#[test]
fn inference_mode_keeps_values_and_drops_gradients() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(3, 3, "infer/a")).unwrap();
    let build = |t: &mut Tape| {
        let a = t.param(&store, ia);
        let e = t.exp(a);
        t.sum(e)
    };
    let mut t = Tape::new();
    let with_grad = build(&mut t);
    let v1 = t.scalar_value(with_grad);
    assert!(!t.backward(with_grad).is_empty());
    t.reset();
    t.set_requires_grad(false);
    let without = build(&mut t);
    assert_eq!(t.scalar_value(without).to_bits(), v1.to_bits());
    assert!(t.backward(without).is_empty());
}

#[test]
fn backward_twice_gives_same_gradient() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(3, 3, "bw2/a")).unwrap();
    let mut t = Tape::new();
    let a = t.param(&store, ia);
    let s = t.tanh(a);
    let loss = t.frobenius_norm(s);
    let g1 = t.backward(loss).get(ia).unwrap().clone();
    let g2 = t.backward(loss).get(ia).unwrap().clone();
    assert_close(g1.as_ref(), g2.as_ref(), 0.0);
}

#[test]
fn elementwise_values() {
    let mut t = Tape::new();
    let a = t.constant(faer::mat![[-2.0, 0.0, 3.0]]);
    let relu = t.relu(a);
    let abs = t.abs(a);
    let elu = t.elu(a, 1.0);
    assert_eq!(t.value(relu)[(0, 0)], 0.0);
    assert_eq!(t.value(relu)[(0, 2)], 3.0);
    assert_eq!(t.value(abs)[(0, 0)], 2.0);
    assert!((t.value(elu)[(0, 0)] - ((-2.0f64).exp() - 1.0)).abs() < 1e-16);
    assert_eq!(t.value(elu)[(0, 2)], 3.0);
}

#[test]
fn relu_and_abs_have_zero_derivative_at_zero() {
    let mut store = ParamStore::new();
    let ia = store.add("a", Mat::zeros(1, 2)).unwrap();
    let mut t = Tape::new();
    let a = t.param(&store, ia);
    let r = t.relu(a);
    let b = t.abs(a);
    let r = t.sum(r);
    let b = t.sum(b);
    let loss = t.add(r, b);
    let g = t.backward(loss);
    assert_close(
        g.get(ia).unwrap().as_ref(),
        Mat::<f64>::zeros(1, 2).as_ref(),
        0.0,
    );
}

#[test]
fn bias_and_reductions_values() {
    let mut t = Tape::new();
    let x = t.constant(faer::mat![[1.0, 2.0], [3.0, 4.0]]);
    let b = t.constant(faer::mat![[10.0, 20.0]]);
    let y = t.add_bias(x, b);
    assert_close(
        t.value(y),
        faer::mat![[11.0, 22.0], [13.0, 24.0]].as_ref(),
        0.0,
    );
    let rows = t.row_sums(x);
    let cols = t.col_sums(x);
    let total = t.sum(x);
    let norm = t.frobenius_norm(x);
    assert_close(t.value(rows), faer::mat![[3.0], [7.0]].as_ref(), 0.0);
    assert_close(t.value(cols), faer::mat![[4.0, 6.0]].as_ref(), 0.0);
    assert_eq!(t.scalar_value(total), 10.0);
    assert!((t.scalar_value(norm) - 30f64.sqrt()).abs() < 1e-15);
}

#[test]
fn bilinear_value() {
    let mut t = Tape::new();
    let w = t.constant(faer::mat![[1.0, 2.0], [3.0, 4.0]]);
    let s = t.bilinear(&[1.0, -1.0], w, &[2.0, 0.5]);
    // uᵀWv = [1, −1]·[3, 8]ᵀ = −5.
    assert_eq!(t.scalar_value(s), -5.0);
}

#[test]
#[should_panic(expected = "matmul")]
fn matmul_shape_mismatch_panics() {
    let mut t = Tape::new();
    let a = t.constant(Mat::zeros(2, 3));
    let b = t.constant(Mat::zeros(2, 3));
    t.matmul(a, Trans::No, b, Trans::No);
}

#[test]
#[should_panic(expected = "out of range")]
fn loss_label_out_of_range_panics() {
    let mut t = Tape::new();
    let z = t.constant(Mat::zeros(2, 3));
    t.cross_entropy(z, &[0, 3]);
}

#[test]
#[should_panic(expected = "expected 1×1")]
fn backward_on_matrix_panics() {
    let mut t = Tape::new();
    let z = t.constant(Mat::zeros(2, 3));
    t.backward(z);
}

#[test]
fn param_store_lookup_and_bytes() {
    let mut store = ParamStore::new();
    let ia = store.add("a", faer::mat![[1.0, 2.0]]).unwrap();
    let ib = store.add("b", faer::mat![[3.0]]).unwrap();
    assert!(matches!(
        store.add("a", Mat::zeros(1, 1)),
        Err(Error::DuplicateParam { .. })
    ));
    assert!(matches!(store.lookup("c"), Err(Error::UnknownParam { .. })));
    assert_eq!(store.id("b"), Some(ib));
    assert_eq!(store.name(ia), "a");
    assert_eq!(store.len(), 2);
    assert_eq!(store.ids().collect::<Vec<_>>(), vec![ia, ib]);
    let bytes = store.to_bytes();
    assert_eq!(bytes.len(), 24);
    assert_eq!(&bytes[8..16], &2.0f64.to_le_bytes());
}
