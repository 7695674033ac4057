//! Losses, logit gradients, optimizer trajectories and the triangular schedule
//! against `lipnet/losses_metrics_optim.json` (float64 NumPy reference values)
//! in the directory named by `NORMLAB_GOLDEN`.

use faer::Mat;
use serde_json::Value;
use tape::{Adam, AdamConfig, Optimizer, ParamStore, Schedule, Sgd, SgdConfig, Tape};

const TOL: f64 = 1e-12;

/// Loads the fixture, or returns `None` after printing a notice when
/// `NORMLAB_GOLDEN` is unset.
fn fixture() -> Option<Value> {
    let Some(root) = std::env::var_os("NORMLAB_GOLDEN") else {
        println!("skipped: NORMLAB_GOLDEN not set");
        return None;
    };
    let path = std::path::Path::new(&root).join("lipnet/losses_metrics_optim.json");
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("cannot read {}: {e}", path.display()));
    Some(serde_json::from_str(&text).expect("fixture is not valid JSON"))
}

fn f64_of(v: &Value) -> f64 {
    v.as_f64()
        .unwrap_or_else(|| panic!("expected a number, found {v}"))
}

fn matrix(v: &Value) -> Mat<f64> {
    let rows = v.as_array().expect("expected an array of rows");
    let cols = rows[0].as_array().expect("expected a row array").len();
    Mat::from_fn(rows.len(), cols, |i, j| f64_of(&rows[i][j]))
}

fn labels(v: &Value) -> Vec<usize> {
    v.as_array()
        .expect("expected a label array")
        .iter()
        .map(|x| x.as_u64().expect("expected an integer label") as usize)
        .collect()
}

fn assert_matrix(actual: faer::MatRef<'_, f64>, expected: &Mat<f64>, label: &str) {
    assert_eq!(actual.nrows(), expected.nrows(), "{label}: row count");
    assert_eq!(actual.ncols(), expected.ncols(), "{label}: column count");
    for i in 0..expected.nrows() {
        for j in 0..expected.ncols() {
            let (a, e) = (actual[(i, j)], expected[(i, j)]);
            assert!(
                (a - e).abs() <= TOL,
                "{label} ({i},{j}): {a:e} vs golden {e:e}"
            );
        }
    }
}

/// Evaluates a loss on the fixture's logits and returns (loss, ∂loss/∂z).
fn loss_and_grad(
    golden: &Value,
    build: impl Fn(&mut Tape, tape::Var, &[usize]) -> tape::Var,
) -> (f64, Mat<f64>) {
    let mut store = ParamStore::new();
    let iz = store.add("z", matrix(&golden["logits"])).unwrap();
    let y = labels(&golden["labels"]);
    let mut t = Tape::new();
    let z = t.param(&store, iz);
    let loss = build(&mut t, z, &y);
    let value = t.scalar_value(loss);
    let grads = t.backward(loss);
    (value, grads.get(iz).unwrap().clone())
}

#[test]
fn xent_with_offset_and_temperature() {
    let Some(golden) = fixture() else { return };
    let case = &golden["losses"]["xent_offset_temperature"];
    let (offset, temp) = (f64_of(&case["offset"]), f64_of(&case["temperature"]));
    let (loss, grad) = loss_and_grad(&golden, |t, z, y| t.xent(z, y, offset, temp));
    assert!((loss - f64_of(&case["loss"])).abs() <= TOL, "loss {loss}");
    assert_matrix(
        grad.as_ref(),
        &matrix(&case["grad_logits"]),
        "xent gradient",
    );
}

#[test]
fn xent_plain_and_cross_entropy() {
    let Some(golden) = fixture() else { return };
    let case = &golden["losses"]["xent_plain"];
    assert_eq!(f64_of(&case["offset"]), 0.0);
    assert_eq!(f64_of(&case["temperature"]), 1.0);
    let expected_grad = matrix(&case["grad_logits"]);
    let (loss, grad) = loss_and_grad(&golden, |t, z, y| t.xent(z, y, 0.0, 1.0));
    assert!(
        (loss - f64_of(&case["loss"])).abs() <= TOL,
        "xent loss {loss}"
    );
    assert_matrix(grad.as_ref(), &expected_grad, "xent gradient");
    let (loss, grad) = loss_and_grad(&golden, |t, z, y| t.cross_entropy(z, y));
    assert!(
        (loss - f64_of(&case["loss"])).abs() <= TOL,
        "cross-entropy loss {loss}"
    );
    assert_matrix(grad.as_ref(), &expected_grad, "cross-entropy gradient");
}

#[test]
fn multi_margin_loss() {
    let Some(golden) = fixture() else { return };
    let case = &golden["losses"]["multi_margin"];
    assert_eq!(case["p"].as_u64(), Some(1));
    let margin = f64_of(&case["margin"]);
    let (loss, grad) = loss_and_grad(&golden, |t, z, y| t.multi_margin(z, y, margin));
    assert!((loss - f64_of(&case["loss"])).abs() <= TOL, "loss {loss}");
    assert_matrix(
        grad.as_ref(),
        &matrix(&case["grad_logits"]),
        "multi-margin gradient",
    );
}

/// Runs `opt` over the fixture's gradient sequence and compares every iterate.
fn check_trajectory(golden: &Value, case: &str, mut opt: impl Optimizer) {
    let data = &golden["optimizers"];
    let p0 = matrix(&Value::Array(vec![data["p0"].clone()]));
    let grads = matrix(&data["grads"]);
    let expected = matrix(&data[case]["trajectory"]);
    let mut store = ParamStore::new();
    let ip = store.add("p", p0).unwrap();
    let mut t = Tape::new();
    for step in 0..grads.nrows() {
        // loss = ⟨p, g⟩ has gradient exactly g.
        t.reset();
        let p = t.param(&store, ip);
        let g = t.constant(grads.as_ref().subrows(step, 1).to_owned());
        let prod = t.mul(p, g);
        let loss = t.sum(prod);
        let grad = t.backward(loss);
        opt.step(&mut store, &grad);
        let want = expected.as_ref().subrows(step, 1).to_owned();
        assert_matrix(
            store.get(ip).as_ref(),
            &want,
            &format!("{case} step {}", step + 1),
        );
    }
}

#[test]
fn adam_default_trajectory() {
    let Some(golden) = fixture() else { return };
    let c = &golden["optimizers"]["adam_default"];
    let cfg = AdamConfig {
        lr: f64_of(&c["lr"]),
        beta1: f64_of(&c["beta1"]),
        beta2: f64_of(&c["beta2"]),
        eps: f64_of(&c["eps"]),
        weight_decay: 0.0,
    };
    assert_eq!(cfg.beta1, AdamConfig::default().beta1);
    check_trajectory(&golden, "adam_default", Adam::new(cfg));
}

#[test]
fn adam_sll_trajectory() {
    let Some(golden) = fixture() else { return };
    let c = &golden["optimizers"]["adam_sll"];
    let cfg = AdamConfig {
        lr: f64_of(&c["lr"]),
        beta1: f64_of(&c["beta1"]),
        beta2: f64_of(&c["beta2"]),
        eps: f64_of(&c["eps"]),
        weight_decay: 0.0,
    };
    check_trajectory(&golden, "adam_sll", Adam::new(cfg));
}

#[test]
fn sgd_momentum_trajectory() {
    let Some(golden) = fixture() else { return };
    let c = &golden["optimizers"]["sgd_momentum"];
    let cfg = SgdConfig {
        lr: f64_of(&c["lr"]),
        momentum: f64_of(&c["momentum"]),
    };
    check_trajectory(&golden, "sgd_momentum", Sgd::new(cfg));
}

#[test]
fn triangular_schedule_values() {
    let Some(golden) = fixture() else { return };
    let c = &golden["triangular_schedule"];
    let schedule = Schedule::Triangular {
        peak_lr: f64_of(&c["peak_lr"]),
        total_steps: c["total_steps"].as_u64().unwrap() as usize,
    };
    let values = c["values"].as_object().expect("values is an object");
    assert!(values.len() >= 5, "too few schedule values in the fixture");
    for (step, value) in values {
        let step: usize = step.parse().expect("step keys are integers");
        let lr = schedule.lr_at(step);
        assert!(
            (lr - f64_of(value)).abs() <= TOL,
            "step {step}: {lr} vs {value}"
        );
    }
    for knot in c["knots"].as_array().unwrap() {
        let step = knot[0].as_u64().unwrap() as usize;
        assert!(
            (schedule.lr_at(step) - f64_of(&knot[1])).abs() <= TOL,
            "knot {step}"
        );
    }
}
