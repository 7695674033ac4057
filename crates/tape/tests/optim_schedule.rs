//! Optimizer update rules and schedules on hand-computed cases.

use faer::Mat;
use tape::{Adam, AdamConfig, Optimizer, ParamStore, Schedule, Sgd, SgdConfig, Tape};

/// Returns the gradients of loss = ⟨p, g⟩ for the parameter `p` (exactly `g`).
fn grads_equal_to(store: &ParamStore, id: tape::ParamId, g: &Mat<f64>) -> tape::Grads {
    let mut t = Tape::new();
    let p = t.param(store, id);
    let gc = t.constant(g.clone());
    let prod = t.mul(p, gc);
    let loss = t.sum(prod);
    t.backward(loss)
}

#[test]
fn adam_first_step_moves_by_lr() {
    // At step 1 the bias-corrected update is lr·g/(|g| + ε) ≈ lr·sign(g).
    let mut store = ParamStore::new();
    let id = store.add("p", faer::mat![[1.0, -1.0]]).unwrap();
    let g = faer::mat![[0.3, -2.0]];
    let mut adam = Adam::new(AdamConfig {
        lr: 0.1,
        ..AdamConfig::default()
    });
    let grads = grads_equal_to(&store, id, &g);
    adam.step(&mut store, &grads);
    let p = store.get(id);
    assert!((p[(0, 0)] - (1.0 - 0.1 * 0.3 / (0.3 + 1e-8))).abs() < 1e-15);
    assert!((p[(0, 1)] - (-1.0 + 0.1 * 2.0 / (2.0 + 1e-8))).abs() < 1e-15);
}

#[test]
fn adam_weight_decay_adds_l2_gradient() {
    // With g = 0 and decay λ the effective gradient is λθ, so the first step is
    // lr·sign(θ) (up to ε).
    let mut store = ParamStore::new();
    let id = store.add("p", faer::mat![[2.0]]).unwrap();
    let mut adam = Adam::new(AdamConfig {
        lr: 0.01,
        weight_decay: 0.5,
        ..AdamConfig::default()
    });
    let grads = grads_equal_to(&store, id, &faer::mat![[0.0]]);
    adam.step(&mut store, &grads);
    let expected = 2.0 - 0.01 * 1.0 / (1.0 + 1e-8);
    assert!((store.get(id)[(0, 0)] - expected).abs() < 1e-15);
}

#[test]
fn adam_skips_params_without_gradient() {
    let mut store = ParamStore::new();
    let ia = store.add("a", faer::mat![[1.0]]).unwrap();
    let ib = store.add("b", faer::mat![[5.0]]).unwrap();
    let mut adam = Adam::new(AdamConfig::default());
    let grads = grads_equal_to(&store, ia, &faer::mat![[1.0]]);
    adam.step(&mut store, &grads);
    assert_eq!(store.get(ib)[(0, 0)], 5.0);
    assert!(store.get(ia)[(0, 0)] < 1.0);
}

#[test]
fn sgd_without_momentum_is_plain_descent() {
    let mut store = ParamStore::new();
    let id = store.add("p", faer::mat![[1.0, 2.0]]).unwrap();
    let mut sgd = Sgd::new(SgdConfig {
        lr: 0.5,
        momentum: 0.0,
    });
    let g = faer::mat![[0.2, -0.4]];
    let grads = grads_equal_to(&store, id, &g);
    sgd.step(&mut store, &grads);
    let grads = grads_equal_to(&store, id, &g);
    sgd.step(&mut store, &grads);
    assert_eq!(store.get(id)[(0, 0)], 1.0 - 0.1 - 0.1);
    assert_eq!(store.get(id)[(0, 1)], 2.0 + 0.2 + 0.2);
}

#[test]
fn set_lr_changes_next_step() {
    let mut sgd = Sgd::new(SgdConfig {
        lr: 0.5,
        momentum: 0.9,
    });
    sgd.set_lr(0.25);
    assert_eq!(sgd.lr(), 0.25);
    let mut adam = Adam::new(AdamConfig::default());
    assert_eq!(adam.lr(), 1e-3);
    adam.set_lr(0.02);
    assert_eq!(adam.lr(), 0.02);
}

#[test]
fn constant_schedule() {
    let s = Schedule::Constant { lr: 0.3 };
    assert_eq!(s.lr_at(0), 0.3);
    assert_eq!(s.lr_at(1_000_000), 0.3);
}

#[test]
fn triangular_schedule_knots_and_tail() {
    // S = 10: knots (0, 0), (4, 1), (8, 0.05), (10, 0).
    let s = Schedule::Triangular {
        peak_lr: 1.0,
        total_steps: 10,
    };
    assert_eq!(s.lr_at(0), 0.0);
    assert_eq!(s.lr_at(2), 0.5);
    assert_eq!(s.lr_at(4), 1.0);
    assert!((s.lr_at(6) - 0.525).abs() < 1e-15);
    assert!((s.lr_at(8) - 0.05).abs() < 1e-15);
    assert!((s.lr_at(9) - 0.025).abs() < 1e-15);
    assert_eq!(s.lr_at(10), 0.0);
    assert_eq!(s.lr_at(11), 0.0);
}

#[test]
fn triangular_schedule_with_few_steps() {
    // S = 2: knots (0, 0), (0, 1), (1, 0.05), (2, 0); the zero-length first
    // segment is skipped.
    let s = Schedule::Triangular {
        peak_lr: 1.0,
        total_steps: 2,
    };
    assert_eq!(s.lr_at(0), 1.0);
    assert_eq!(s.lr_at(1), 0.05);
    assert_eq!(s.lr_at(2), 0.0);
    let empty = Schedule::Triangular {
        peak_lr: 1.0,
        total_steps: 0,
    };
    assert_eq!(empty.lr_at(0), 0.0);
}

#[test]
fn cosine_schedule() {
    let s = Schedule::Cosine {
        lr: 0.2,
        total_steps: 100,
    };
    assert_eq!(s.lr_at(0), 0.2);
    assert!((s.lr_at(50) - 0.1).abs() < 1e-15);
    assert!(s.lr_at(100).abs() < 1e-17);
    assert!(s.lr_at(150).abs() < 1e-17);
    assert!(s.lr_at(25) > s.lr_at(26));
}
