//! LDLᵀ networks against the golden forward values, gradients and counterexample.

mod common;

use common::{golden, golden_model, mat, max_abs_diff, store_from_params};
use faer::Mat;
use lipnet::model::{ArchParams, ModelId, forward_effective};
use lipnet::verify::{exhaustive, lmi_max_eig, lmi_passes};
use serde_json::Value;
use tape::Tape;

#[test]
fn forward_outputs_and_effective_weights() {
    let Some(g) = golden("ldlt_forward.json") else {
        return;
    };
    let x = mat(&g["inputs"]);

    for case in g["cases"].as_array().unwrap() {
        let name = case["name"].as_str().unwrap();
        let exp = &case["expected"];
        let mut store = store_from_params(&case["params"]);
        let model = golden_model(case, &mut store);
        let eff = model.effective(&store).unwrap();

        let y = eff.forward(x.as_ref());
        let out_err = max_abs_diff(&y, &mat(&exp["outputs"]));
        assert!(out_err <= 1e-12, "{name}: outputs differ by {out_err:e}");

        let tape_y = {
            let mut t = Tape::new();
            let xv = t.constant(x.clone());
            let z = model.forward(&mut t, &store, xv).unwrap();
            t.value(z).to_owned()
        };
        let tape_err = max_abs_diff(&tape_y, &y);
        assert!(
            tape_err <= 1e-12,
            "{name}: tape and effective forward differ by {tape_err:e}"
        );

        check_effective(name, &eff, &exp["effective"]);

        let lip = case["L"].as_f64().unwrap();
        let lmi = lmi_max_eig(&eff, lip).unwrap();
        let want = exp["lmi_max_eig"].as_f64().unwrap();
        assert!((lmi - want).abs() <= 1e-10, "{name}: λ_max {lmi} vs {want}");
        assert_eq!(
            lmi_passes(lmi, lip),
            exp["lmi_certified"].as_bool().unwrap(),
            "{name}: certified flag"
        );

        let (bound, _) = exhaustive(&eff, 16).unwrap();
        let want = exp["exhaustive_lipschitz"].as_f64().unwrap();
        assert!(
            (bound - want).abs() <= 1e-10,
            "{name}: exhaustive {bound} vs {want}"
        );
    }
}

fn check_effective(name: &str, eff: &lipnet::effective::Effective, exp: &Value) {
    let obj = exp.as_object().unwrap();
    let c_exp = obj["C"].as_array().unwrap();

    if let Some(a) = obj.get("A") {
        let err = max_abs_diff(eff.a.as_ref().expect("residual has A"), &mat(a));
        assert!(err <= 1e-12, "{name}: A differs by {err:e}");
    }
    match obj.get("B") {
        Some(b) => {
            let err = max_abs_diff(&eff.b, &mat(b));
            assert!(err <= 1e-12, "{name}: B differs by {err:e}");
            assert_eq!(eff.c.len(), c_exp.len(), "{name}: number of C_k");
        }
        None => {
            // Sequential files list C_1..C_{K+1}; the last one is our B.
            assert_eq!(eff.c.len() + 1, c_exp.len(), "{name}: number of C_k");
            let err = max_abs_diff(&eff.b, &mat(c_exp.last().unwrap()));
            assert!(err <= 1e-12, "{name}: C_(K+1) differs by {err:e}");
        }
    }
    for (k, c) in eff.c.iter().enumerate() {
        let err = max_abs_diff(c, &mat(&c_exp[k]));
        assert!(err <= 1e-12, "{name}: C_{} differs by {err:e}", k + 1);
    }
}

#[test]
fn gradients_of_cross_entropy() {
    let (Some(fwd), Some(grads)) = (golden("ldlt_forward.json"), golden("ldlt_gradients.json"))
    else {
        return;
    };
    let x = mat(&fwd["inputs"]);
    let labels: Vec<usize> = grads["labels"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v.as_u64().unwrap() as usize)
        .collect();

    for (name, expected) in grads["cases"].as_object().unwrap() {
        let case = fwd["cases"]
            .as_array()
            .unwrap()
            .iter()
            .find(|c| c["name"] == name.as_str())
            .expect("gradient case has a forward case");
        let mut store = store_from_params(&case["params"]);
        let model = golden_model(case, &mut store);

        let mut t = Tape::new();
        let xv = t.constant(x.clone());
        let z = model.forward(&mut t, &store, xv).unwrap();
        let loss = t.cross_entropy(z, &labels);
        let value = t.scalar_value(loss);
        let want = expected["loss"].as_f64().unwrap();
        assert!(
            (value - want).abs() <= 1e-12,
            "{name}: loss {value} vs {want}"
        );

        let g = t.backward(loss);
        for (pname, want) in expected["grad"].as_object().unwrap() {
            let (id, scale) = match pname.strip_prefix("alpha_") {
                // dℓ/dα = (dℓ/dθ) / exp(θ) because α = exp(θ) + 10⁻⁴.
                Some(s) => {
                    let id = store.id(&format!("theta_{s}")).unwrap();
                    (id, 1.0 / store.get(id)[(0, 0)].exp())
                }
                None => (store.id(pname).unwrap(), 1.0),
            };
            let got = g.get(id).expect("gradient present");
            let want = mat(want);
            for i in 0..want.nrows() {
                for j in 0..want.ncols() {
                    let (a, b) = (got[(i, j)] * scale, want[(i, j)]);
                    assert!(
                        (a - b).abs() <= 1e-10 + 1e-8 * b.abs(),
                        "{name}: d/d{pname}[{i},{j}] = {a} vs {b}"
                    );
                }
            }
        }
    }
}

/// Returns ‖f(x₀+hv) − f(x₀−hv)‖ / ‖2hv‖ for the counterexample probe.
fn probe_ratio(eff: &lipnet::effective::Effective, probe: &Value) -> f64 {
    let x0 = mat(&probe["x0"]);
    let v = mat(&probe["v"]);
    let h = probe["h"].as_f64().unwrap();
    let plus = Mat::from_fn(1, x0.ncols(), |_, j| x0[(0, j)] + h * v[(0, j)]);
    let minus = Mat::from_fn(1, x0.ncols(), |_, j| x0[(0, j)] - h * v[(0, j)]);
    let diff = eff.forward(plus.as_ref()) - eff.forward(minus.as_ref());
    diff.norm_l2() / (2.0 * h * v.norm_l2())
}

#[test]
fn counterexample_breaks_reference_not_certified() {
    let Some(g) = golden("counterexample_residual.json") else {
        return;
    };
    let lip = g["L"].as_f64().unwrap();

    for (id, key) in [
        (ModelId::LdltResRef, "reference_parity"),
        (ModelId::LdltRes, "certified"),
    ] {
        let exp = &g["expected"][key];
        let mut store = store_from_params(&g["params"]);
        let arch = ArchParams::new(id, 4, 3, vec![4], lip).check().unwrap();
        let model = lipnet::model::attach(&arch, &mut store).unwrap();
        let eff = model.effective(&store).unwrap();

        let ratio = probe_ratio(&eff, &g["probe"]);
        let want = exp["ratio"].as_f64().unwrap();
        assert!(
            ((ratio - want) / want).abs() <= 1e-9,
            "{key}: ratio {ratio} vs {want}"
        );

        let (bound, _) = exhaustive(&eff, 16).unwrap();
        let want = exp["exhaustive_lipschitz"].as_f64().unwrap();
        assert!(
            (bound - want).abs() <= 1e-10,
            "{key}: exhaustive {bound} vs {want}"
        );

        let lmi = lmi_max_eig(&eff, lip).unwrap();
        let want = exp["lmi_max_eig"].as_f64().unwrap();
        assert!((lmi - want).abs() <= 1e-10, "{key}: λ_max {lmi} vs {want}");
        assert_eq!(
            lmi_passes(lmi, lip),
            exp["lmi_certified"].as_bool().unwrap(),
            "{key}: LMI flag"
        );
    }
}

#[test]
fn counterexample_ratios_over_l() {
    let Some(g) = golden("counterexample_residual.json") else {
        return;
    };
    let lip = g["L"].as_f64().unwrap();
    let cases = [
        (ModelId::LdltResRef, 1.0531474888974457, true),
        (ModelId::LdltRes, 0.99747941198, false),
    ];

    for (id, exhaustive_over_l, violates) in cases {
        let mut store = store_from_params(&g["params"]);
        let arch = ArchParams::new(id, 4, 3, vec![4], lip).check().unwrap();
        let model = lipnet::model::attach(&arch, &mut store).unwrap();
        let eff = model.effective(&store).unwrap();

        let (bound, _) = exhaustive(&eff, 16).unwrap();
        assert!(
            (bound / lip - exhaustive_over_l).abs() <= 1e-10,
            "{id}: exhaustive/L {}",
            bound / lip
        );
        assert_eq!(
            probe_ratio(&eff, &g["probe"]) > lip,
            violates,
            "{id}: probe violation"
        );

        // The tape forward agrees with the effective-weight forward.
        let x0 = mat(&g["probe"]["x0"]);
        let mut t = Tape::new();
        let ev = model.parameterize(&mut t, &store).unwrap();
        let xv = t.constant(x0.clone());
        let y = forward_effective(&mut t, arch.activation(), &ev, xv);
        let err = max_abs_diff(&t.value(y).to_owned(), &eff.forward(x0.as_ref()));
        assert!(err <= 1e-12, "{id}: tape forward differs by {err:e}");
    }
}
