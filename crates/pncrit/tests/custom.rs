//! The user-supplied statistic reproduces the built-in discrete families and
//! rejects inconsistent input.

use faer::Mat;
use pncrit::family::{
    Analysis, Bernoulli, Categorical, Custom, ExpFamily, LogLinear, Mode, analyze, subsets,
};
use pncrit::fit::FitOptions;

fn options() -> pncrit::fit::CheckedFitOptions {
    FitOptions::default().check().unwrap()
}

fn assert_close(a: &Analysis, b: &Analysis, tol: f64) {
    let (x, y) = (&a.expansion, &b.expansion);
    for (name, u, v) in [
        ("a1", x.a1, y.a1),
        ("a2", x.a2, y.a2),
        ("T", x.parts.t, y.parts.t),
        ("F", x.parts.f, y.parts.f),
        ("P", x.parts.p, y.parts.p),
        ("Q", x.parts.q, y.parts.q),
    ] {
        assert!(
            (u - v).abs() <= tol * v.abs().max(1.0),
            "{name}: {u} vs {v}"
        );
    }
}

fn labels(n: usize, k: usize) -> Mat<f64> {
    Mat::from_fn(n, 1, |i, _| ((i * 7 + i / 3 + i * i / 5) % k) as f64)
}

#[test]
fn custom_reproduces_bernoulli() {
    let x = labels(37, 2);
    let states = Mat::from_fn(2, 1, |s, _| s as f64);
    let custom = Custom::new(Some(states), None, options()).unwrap();
    for mode in [Mode::Misspecified, Mode::Model, Mode::Empirical] {
        let a = analyze(&custom, x.as_ref(), mode).unwrap();
        let b = analyze(&Bernoulli, x.as_ref(), mode).unwrap();
        assert_close(&a, &b, 1e-9);
    }
}

#[test]
fn custom_reproduces_categorical() {
    let x = labels(53, 4);
    let t = Categorical.stats(x.as_ref()).unwrap();
    let states = Mat::from_fn(4, 3, |cell, j| f64::from(u8::from(cell == j)));
    let custom = Custom::new(Some(states), None, options()).unwrap();
    for mode in [Mode::Misspecified, Mode::Model] {
        let a = analyze(&custom, t.as_ref(), mode).unwrap();
        let b = analyze(&Categorical, x.as_ref(), mode).unwrap();
        assert_close(&a, &b, 1e-9);
        let theta = &b.fit.as_ref().unwrap().theta;
        for (u, v) in a.fit.as_ref().unwrap().theta.iter().zip(theta) {
            assert!((u - v).abs() < 1e-8, "theta {u} vs {v}");
        }
    }
}

#[test]
fn custom_reproduces_loglinear() {
    let x = Mat::from_fn(60, 3, |i, j| {
        f64::from(u8::from((i * (j + 2) + i / 7) % 3 == 0))
    });
    let ising = LogLinear::exact(2, options()).unwrap();
    let t = ising.stats(x.as_ref()).unwrap();
    let terms = subsets(3, 2);
    let raw = LogLinear::states(3);
    let states = Mat::from_fn(8, terms.len(), |s, a| {
        terms[a].iter().map(|&j| raw[(s, j)]).product()
    });
    let custom = Custom::new(Some(states), None, options()).unwrap();
    let a = analyze(&custom, t.as_ref(), Mode::Misspecified).unwrap();
    let b = analyze(&ising, x.as_ref(), Mode::Misspecified).unwrap();
    assert_close(&a, &b, 1e-9);
    let (fa, fb) = (a.fit.unwrap(), b.fit.unwrap());
    assert!((fa.loglik - fb.loglik).abs() < 1e-10);
}

#[test]
fn custom_weights_used_as_given() {
    let x = labels(40, 3);
    let t = Categorical.stats(x.as_ref()).unwrap();
    let states = Mat::from_fn(3, 2, |cell, j| f64::from(u8::from(cell == j)));
    let fitted = analyze(&Categorical, x.as_ref(), Mode::Misspecified).unwrap();
    let n = 40.0;
    let probs: Vec<f64> = (0..3)
        .map(|c| (0..40).filter(|&i| x[(i, 0)] == c as f64).count() as f64 / n)
        .collect();
    let custom = Custom::new(Some(states.clone()), Some(probs), options()).unwrap();
    let a = analyze(&custom, t.as_ref(), Mode::Misspecified).unwrap();
    assert_close(&a, &fitted, 1e-9);
    assert!(a.fit.unwrap().off_mle.is_none());

    let off = Custom::new(Some(states), Some(vec![0.2, 0.3, 0.5]), options()).unwrap();
    let a = analyze(&off, t.as_ref(), Mode::Misspecified).unwrap();
    assert!(a.fit.unwrap().off_mle.unwrap() > 1e-3);
}

#[test]
fn custom_empirical_needs_no_states() {
    let x = labels(45, 3);
    let t = Categorical.stats(x.as_ref()).unwrap();
    let custom = Custom::new(None, None, options()).unwrap();
    let a = analyze(&custom, t.as_ref(), Mode::Empirical).unwrap();
    assert!((a.expansion.a1 - 1.0).abs() < 1e-15);
    let err = analyze(&custom, t.as_ref(), Mode::Misspecified).unwrap_err();
    assert!(err.to_string().contains("--model-cloud"), "{err}");
}

#[test]
fn custom_rejects_bad_states() {
    let dup = Mat::from_fn(3, 1, |s, _| (s / 2) as f64);
    let err = Custom::new(Some(dup), None, options()).unwrap_err();
    assert!(err.to_string().contains("states 1 and 2"), "{err}");

    let states = Mat::from_fn(2, 1, |s, _| s as f64);
    let err = Custom::new(Some(states.clone()), Some(vec![0.5]), options()).unwrap_err();
    assert!(err.to_string().contains("weights"), "{err}");
    let err = Custom::new(None, Some(vec![0.5, 0.5]), options()).unwrap_err();
    assert!(err.to_string().contains("--model-cloud"), "{err}");

    let custom = Custom::new(Some(states), None, options()).unwrap();
    let outside = Mat::from_fn(4, 1, |i, _| i as f64);
    let err = analyze(&custom, outside.as_ref(), Mode::Misspecified).unwrap_err();
    assert!(err.to_string().contains("row 3"), "{err}");
    let wide = Mat::from_fn(4, 2, |i, j| ((i + j) % 2) as f64);
    let err = analyze(&custom, wide.as_ref(), Mode::Misspecified).unwrap_err();
    assert!(err.to_string().contains("2 columns"), "{err}");
}
