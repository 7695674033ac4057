//! Finite-difference checks of the entrywise, broadcast and reduction rules.

mod common;

use common::{assert_gradcheck, away_from_zero, positive, uniform, weighted_sum};
use faer::Mat;
use tape::{ParamStore, Tape, Var};

/// Checks a unary op on a 3 × 4 parameter with the given initial value.
fn check_unary(init: Mat<f64>, op: impl Fn(&mut Tape, Var) -> Var) {
    let mut store = ParamStore::new();
    let ia = store.add("a", init).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let c = op(t, a);
        Ok(weighted_sum(t, c, "unary"))
    });
}

/// Checks a binary op on two 3 × 4 parameters.
fn check_binary(op: impl Fn(&mut Tape, Var, Var) -> Var) {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(3, 4, "bin/a")).unwrap();
    let ib = store.add("b", uniform(3, 4, "bin/b")).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let b = t.param(s, ib);
        let c = op(t, a, b);
        Ok(weighted_sum(t, c, "binary"))
    });
}

#[test]
fn add_gradient() {
    check_binary(|t, a, b| t.add(a, b));
}

#[test]
fn sub_gradient() {
    check_binary(|t, a, b| t.sub(a, b));
}

#[test]
fn hadamard_gradient() {
    check_binary(|t, a, b| t.mul(a, b));
}

#[test]
fn scale_by_scalar_node() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(3, 4, "scale/a")).unwrap();
    let is = store.add("s", Mat::from_fn(1, 1, |_, _| -0.7)).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let sc = t.param(s, is);
        let c = t.scale(a, sc);
        Ok(weighted_sum(t, c, "scale"))
    });
}

#[test]
fn scale_const_gradient() {
    check_unary(uniform(3, 4, "sc/a"), |t, a| t.scale_const(a, -2.5));
}

#[test]
fn add_const_gradient() {
    check_unary(uniform(3, 4, "ac/a"), |t, a| {
        let shifted = t.add_const(a, 0.75);
        // Multiply by itself so that the constant shows up in the gradient.
        t.mul(shifted, shifted)
    });
}

#[test]
fn add_diag_scalar_node() {
    let mut store = ParamStore::new();
    let ia = store.add("a", uniform(4, 4, "ad/a")).unwrap();
    let is = store.add("s", Mat::from_fn(1, 1, |_, _| 0.4)).unwrap();
    assert_gradcheck(&store, |t, s| {
        let a = t.param(s, ia);
        let sc = t.param(s, is);
        let c = t.add_diag(a, sc);
        let c = t.square(c);
        Ok(weighted_sum(t, c, "ad"))
    });
}

#[test]
fn add_diag_const_gradient() {
    check_unary(uniform(4, 4, "adc/a"), |t, a| {
        let c = t.add_diag_const(a, 1.5);
        t.square(c)
    });
}

#[test]
fn add_bias_row_and_column_vector() {
    for bias_shape in [(1, 4), (4, 1)] {
        let mut store = ParamStore::new();
        let ix = store.add("x", uniform(3, 4, "bias/x")).unwrap();
        let ib = store
            .add("b", uniform(bias_shape.0, bias_shape.1, "bias/b"))
            .unwrap();
        assert_gradcheck(&store, |t, s| {
            let x = t.param(s, ix);
            let b = t.param(s, ib);
            let c = t.add_bias(x, b);
            let c = t.square(c);
            Ok(weighted_sum(t, c, "bias"))
        });
    }
}

#[test]
fn diag_mul_left_gradient() {
    for v_shape in [(3, 1), (1, 3)] {
        let mut store = ParamStore::new();
        let iv = store
            .add("v", uniform(v_shape.0, v_shape.1, "dml/v"))
            .unwrap();
        let ix = store.add("x", uniform(3, 4, "dml/x")).unwrap();
        assert_gradcheck(&store, |t, s| {
            let v = t.param(s, iv);
            let x = t.param(s, ix);
            let c = t.diag_mul_left(v, x);
            Ok(weighted_sum(t, c, "dml"))
        });
    }
}

#[test]
fn diag_mul_right_gradient() {
    for v_shape in [(4, 1), (1, 4)] {
        let mut store = ParamStore::new();
        let ix = store.add("x", uniform(3, 4, "dmr/x")).unwrap();
        let iv = store
            .add("v", uniform(v_shape.0, v_shape.1, "dmr/v"))
            .unwrap();
        assert_gradcheck(&store, |t, s| {
            let x = t.param(s, ix);
            let v = t.param(s, iv);
            let c = t.diag_mul_right(x, v);
            Ok(weighted_sum(t, c, "dmr"))
        });
    }
}

#[test]
fn relu_gradient() {
    check_unary(away_from_zero(3, 4, "relu"), |t, a| t.relu(a));
}

#[test]
fn elu_gradient() {
    check_unary(away_from_zero(3, 4, "elu"), |t, a| t.elu(a, 0.8));
}

#[test]
fn tanh_gradient() {
    check_unary(uniform(3, 4, "tanh"), |t, a| t.tanh(a));
}

#[test]
fn abs_gradient() {
    check_unary(away_from_zero(3, 4, "abs"), |t, a| t.abs(a));
}

#[test]
fn exp_gradient() {
    check_unary(uniform(3, 4, "exp"), |t, a| t.exp(a));
}

#[test]
fn log_gradient() {
    check_unary(positive(3, 4, "log"), |t, a| t.log(a));
}

#[test]
fn sqrt_gradient() {
    check_unary(positive(3, 4, "sqrt"), |t, a| t.sqrt(a));
}

#[test]
fn rsqrt_gradient() {
    check_unary(positive(3, 4, "rsqrt"), |t, a| t.rsqrt(a));
}

#[test]
fn recip_gradient() {
    check_unary(away_from_zero(3, 4, "recip"), |t, a| t.recip(a));
}

#[test]
fn square_gradient() {
    check_unary(uniform(3, 4, "square"), |t, a| t.square(a));
}

#[test]
fn sum_gradient() {
    check_unary(uniform(3, 4, "sum"), |t, a| {
        let s = t.sum(a);
        t.square(s)
    });
}

#[test]
fn row_sums_gradient() {
    check_unary(uniform(3, 4, "rows"), |t, a| {
        let r = t.row_sums(a);
        assert_eq!(t.shape(r), (3, 1));
        r
    });
}

#[test]
fn col_sums_gradient() {
    check_unary(uniform(3, 4, "cols"), |t, a| {
        let c = t.col_sums(a);
        assert_eq!(t.shape(c), (1, 4));
        c
    });
}

#[test]
fn frobenius_norm_gradient() {
    check_unary(uniform(3, 4, "frob"), |t, a| t.frobenius_norm(a));
}
