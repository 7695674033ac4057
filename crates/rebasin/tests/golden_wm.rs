//! Weight matching and assignment against the reference goldens.

mod common;

use common::{assert_close, golden, model_from_json, orders, usize_list};
use rebasin::lap::{LapSolver, LsapSolver, assignment_value};
use rebasin::perm::Perms;
use rebasin::prng::{SplitMix64, portable_mlp};
use rebasin::spec::{Layout, PermSpec};
use rebasin::wm::{Order, WmParams, weight_matching};
use serde_json::Value;

fn matrix(v: &Value) -> (usize, Vec<f64>) {
    let (shape, values) = common::nested(v);
    assert_eq!(shape[0], shape[1]);
    (shape[0], values)
}

#[test]
fn lsap_matches_scipy_ties() {
    let Some(g) = golden("lsap_ties.json") else {
        return;
    };
    for (name, case) in g["matrices"].as_object().unwrap() {
        let (n, s) = matrix(&case["matrix"]);
        let max = LsapSolver.solve_max(n, &s).unwrap();
        assert_eq!(
            max,
            usize_list(&case["col_for_row_maximize"]),
            "{name} maximize"
        );
        assert_eq!(
            assignment_value(n, &s, &max),
            case["objective_max"].as_f64().unwrap()
        );
        let min = LsapSolver.solve_min(n, &s).unwrap();
        assert_eq!(
            min,
            usize_list(&case["col_for_row_minimize"]),
            "{name} minimize"
        );
        assert_eq!(
            assignment_value(n, &s, &min),
            case["objective_min"].as_f64().unwrap()
        );
    }
}

#[test]
fn lsap_matches_scipy_small() {
    let Some(g) = golden("golden_small.json") else {
        return;
    };
    for name in ["ties12", "rand7"] {
        let case = &g["lsa"][name];
        let (n, s) = matrix(&case["matrix"]);
        let c = LsapSolver.solve_max(n, &s).unwrap();
        assert_eq!(c, usize_list(&case["col_for_row"]), "{name}");
        assert_close(
            assignment_value(n, &s, &c),
            case["objective"].as_f64().unwrap(),
            1e-6,
            name,
        );
    }
}

fn golden_perms(v: &Value, spec: &PermSpec) -> Vec<Vec<usize>> {
    spec.groups.iter().map(|g| usize_list(&v[g])).collect()
}

#[test]
fn wm_small_goldens_replayed() {
    let Some(g) = golden("golden_small.json") else {
        return;
    };
    let sweeps = [
        ("mlp_2_10_3", 2, 2),
        ("mlp_20_16x3_5", 4, 4),
        ("mlp_8_6x2_4", 2, 3),
    ];
    for (name, sweeps_independent, sweeps_permuted) in sweeps {
        let case = &g["cases"][name];
        let a = model_from_json(&case["A"]);
        let spec = PermSpec::mlp(&a, Layout::Flax).unwrap();
        let order = Order::Replay(orders(&case["orders_first10"]));
        let options = WmParams {
            order,
            max_iter: 10,
            ..WmParams::default()
        }
        .check()
        .unwrap();

        let b = model_from_json(&case["B_independent"]);
        let r = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap();
        let expected = &case["independent"];
        assert_eq!(
            r.perms.perms,
            golden_perms(&expected["perm"], &spec),
            "{name} independent"
        );
        assert_eq!(r.sweeps, sweeps_independent, "{name} independent sweeps");
        assert_close(
            r.l2_before,
            expected["l2_before"].as_f64().unwrap(),
            1e-9,
            name,
        );
        assert_close(
            r.l2_after,
            expected["l2_after"].as_f64().unwrap(),
            1e-9,
            name,
        );
        let j = expected["inner_product_objective_after"].as_f64().unwrap();
        assert_close(r.objective_final(), j, 1e-9, name);

        let t = Perms {
            groups: spec.groups.clone(),
            perms: golden_perms(&case["true_perm_used_to_build_B_permuted"], &spec),
        };
        let b = t.apply(&spec, &a);
        let r = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap();
        let expected = &case["permuted"];
        assert_eq!(
            r.perms.perms,
            golden_perms(&expected["perm"], &spec),
            "{name} permuted"
        );
        assert_eq!(r.perms, t.inverse(), "{name}: t[c[i]] = i");
        assert_eq!(r.sweeps, sweeps_permuted, "{name} permuted sweeps");
        assert_close(
            r.l2_before,
            expected["l2_before"].as_f64().unwrap(),
            1e-9,
            name,
        );
        assert_eq!(r.l2_after, 0.0, "{name}: π(B) == A bit for bit");
        assert_eq!(r.perms.apply(&spec, &b), a);
    }
}

#[test]
fn portable_generator_check() {
    let Some(g) = golden("wm_golden_portable.json") else {
        return;
    };
    let check = &g["generator_check"];
    let mut s = SplitMix64::new(0);
    for v in check["splitmix64_seed0_first3_u64"].as_array().unwrap() {
        assert_eq!(s.next_u64(), v.as_str().unwrap().parse::<u64>().unwrap());
    }
    // serde_json's default float parser is not correctly rounded, so the
    // bit-exact checks parse the numbers from the file text.
    let text = std::fs::read_to_string(
        common::golden_dir()
            .unwrap()
            .join("wm_golden_portable.json"),
    )
    .unwrap();
    let mut s = SplitMix64::new(0);
    for v in raw_numbers(&text, "uniform_seed0_first3") {
        assert_eq!(s.next_unit(), v);
    }
    let a = portable_mlp(&[784, 512, 512, 512, 10], 0);
    let w = &a.get("layers.0.weight").unwrap().values;
    for (i, v) in raw_numbers(&text, "mlp512_a_layers.0.weight_first4")
        .into_iter()
        .enumerate()
    {
        assert_eq!(w[i], v, "weight {i}");
    }
    let b0 = &a.get("layers.0.bias").unwrap().values;
    for (i, v) in raw_numbers(&text, "mlp512_a_layers.0.bias_first2")
        .into_iter()
        .enumerate()
    {
        assert_eq!(b0[i], v, "bias {i}");
    }
    let b3 = &a.get("layers.3.bias").unwrap().values;
    assert_eq!(
        *b3.last().unwrap(),
        raw_numbers(&text, "mlp512_a_layers.3.bias_last")[0]
    );
    assert!(check.is_object());
}

/// Parses the number or number list after `"key":` with `str::parse`, which
/// rounds correctly.
fn raw_numbers(text: &str, key: &str) -> Vec<f64> {
    let start = text.find(&format!("\"{key}\"")).expect("key present") + key.len() + 2;
    let rest = text[start..]
        .trim_start()
        .trim_start_matches(':')
        .trim_start();
    let end = if rest.starts_with('[') {
        rest.find(']').unwrap() + 1
    } else {
        rest.find([',', '}']).unwrap()
    };
    rest[..end]
        .trim_matches(|c| c == '[' || c == ']')
        .split(',')
        .map(|x| x.trim().parse::<f64>().expect("number"))
        .collect()
}

fn portable_case(name: &str) {
    let Some(g) = golden("wm_golden_portable.json") else {
        return;
    };
    let case = &g["cases"][name];
    let sizes = usize_list(&case["sizes"]);
    let a = portable_mlp(&sizes, 0);
    let b = portable_mlp(&sizes, 1);
    let sum = |m: &rebasin::model::Model| -> f64 {
        m.tensors.values().flat_map(|t| t.values.iter()).sum()
    };
    assert_close(
        sum(&a),
        case["sum_of_all_values_a"].as_f64().unwrap(),
        1e-9,
        "sum a",
    );
    assert_close(
        sum(&b),
        case["sum_of_all_values_b"].as_f64().unwrap(),
        1e-9,
        "sum b",
    );

    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let options = WmParams {
        order: Order::Replay(orders(&g["orders_seed0_3groups"])),
        ..WmParams::default()
    }
    .check()
    .unwrap();
    let r = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap();
    assert_eq!(r.perms.perms, golden_perms(&case["perm"], &spec));
    assert_eq!(r.sweeps as u64, case["sweeps"].as_u64().unwrap());
    assert_close(
        r.objective_before,
        case["objective_before"].as_f64().unwrap(),
        1e-9,
        "J before",
    );
    let trace = case["objective_after_each_sweep"].as_array().unwrap();
    assert_eq!(r.objective_trace.len(), trace.len());
    for (got, want) in r.objective_trace.iter().zip(trace) {
        assert_close(*got, want.as_f64().unwrap(), 1e-9, "J after sweep");
    }
    assert_close(
        r.l2_before,
        case["l2_before"].as_f64().unwrap(),
        1e-9,
        "l2 before",
    );
    assert_close(
        r.l2_after,
        case["l2_after"].as_f64().unwrap(),
        1e-9,
        "l2 after",
    );
}

#[test]
fn wm_portable_512_replayed() {
    portable_case("mlp512");
}

#[test]
#[ignore = "slow: about 35 CPU-seconds, 110 s wall on 2 loaded cores"]
fn wm_portable_2048_replayed() {
    portable_case("mlp2048");
}

fn to_torch(flax: &rebasin::model::Model) -> rebasin::model::Model {
    let mut m = rebasin::model::Model::default();
    for (name, t) in &flax.tensors {
        let i: String = name.chars().filter(char::is_ascii_digit).collect();
        if name.ends_with("/kernel") {
            let (rows, cols) = (t.shape[0], t.shape[1]);
            let values = (0..cols)
                .flat_map(|c| (0..rows).map(move |r| (r, c)))
                .map(|(r, c)| t.values[r * cols + c])
                .collect();
            m.insert(
                format!("layers.{i}.weight"),
                rebasin::model::Tensor::from_f64(vec![cols, rows], values),
            );
        } else {
            m.insert(format!("layers.{i}.bias"), t.clone());
        }
    }
    m
}

fn assert_alignment(got: &Value, want: &Value, what: &str) {
    for (layer, expected) in want.as_object().unwrap() {
        if let Some(x) = expected.as_f64() {
            assert_close(
                got[layer].as_f64().unwrap(),
                x,
                1e-9,
                &format!("{what} {layer}"),
            );
            continue;
        }
        for (key, value) in expected.as_object().unwrap() {
            if key == "min_rel_sigma_gap" {
                continue;
            }
            let g = &got[layer][key];
            match value {
                Value::Array(items) => {
                    for (i, v) in items.iter().enumerate() {
                        assert!(
                            (g[i].as_f64().unwrap() - v.as_f64().unwrap()).abs() <= 1e-9,
                            "{what} {layer} {key}[{i}]"
                        );
                    }
                }
                _ => assert!(
                    (g.as_f64().unwrap() - value.as_f64().unwrap()).abs() <= 1e-9,
                    "{what} {layer} {key}: got {g}, expected {value}"
                ),
            }
        }
    }
}

#[test]
fn svd_alignment_matches_golden() {
    let (Some(small), Some(g)) = (golden("golden_small.json"), golden("analysis_golden.json"))
    else {
        return;
    };
    let case = &small["cases"]["mlp_20_16x3_5"];
    let a = to_torch(&model_from_json(&case["A"]));
    let b = to_torch(&model_from_json(&case["B_independent"]));
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let perms = Perms {
        groups: spec.groups.clone(),
        perms: golden_perms(&case["independent"]["perm"], &spec),
    };
    let b_aligned = perms.apply(&spec, &b);
    let t = Perms {
        groups: spec.groups.clone(),
        perms: golden_perms(&case["true_perm_used_to_build_B_permuted"], &spec),
    };
    let copy_aligned = t.inverse().apply(&spec, &t.apply(&spec, &a));
    let mid = a.lerp(&b_aligned, 0.5);
    let s = &g["svd_alignment"];
    let k = s["top_k"].as_u64().unwrap() as usize;
    use rebasin::analysis::svd_alignment;
    assert_alignment(&svd_alignment(&a, &b, k).unwrap(), &s["before"], "before");
    assert_alignment(
        &svd_alignment(&a, &b_aligned, k).unwrap(),
        &s["after_wm"],
        "after",
    );
    assert_alignment(
        &svd_alignment(&a, &copy_aligned, k).unwrap(),
        &s["permuted_copy_after_wm"],
        "copy",
    );
    assert_alignment(
        &svd_alignment(&mid, &a, k).unwrap(),
        &s["midpoint_vs_a"],
        "mid vs a",
    );
    assert_alignment(
        &svd_alignment(&mid, &b_aligned, k).unwrap(),
        &s["midpoint_vs_b_aligned"],
        "mid vs b",
    );
}

#[test]
fn activation_matching_matches_golden() {
    let (Some(small), Some(g)) = (golden("golden_small.json"), golden("analysis_golden.json"))
    else {
        return;
    };
    use rebasin::am::{AmStatistic, activation_matching};
    let case = &small["cases"]["mlp_20_16x3_5"];
    let a = to_torch(&model_from_json(&case["A"]));
    let b = to_torch(&model_from_json(&case["B_independent"]));
    let mut s = SplitMix64::new(7);
    let values: Vec<f64> = (0..256 * 20).map(|_| s.next_symmetric()).collect();
    let x = faer::MatRef::from_row_major_slice(&values, 256, 20);
    let layers = &g["activation_matching"]["layers"];
    for (stat, key) in [
        (AmStatistic::Cross, "perm_cross_moment"),
        (AmStatistic::Pearson, "perm_pearson"),
    ] {
        let perms = activation_matching(&a, &b, x, stat, &LsapSolver).unwrap();
        for (name, c) in perms.groups.iter().zip(&perms.perms) {
            assert_eq!(c, &usize_list(&layers[name][key]), "{key} {name}");
        }
    }
    // A permuted copy is recovered exactly.
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let t = Perms {
        groups: spec.groups.clone(),
        perms: golden_perms(&case["true_perm_used_to_build_B_permuted"], &spec),
    };
    let perms =
        activation_matching(&a, &t.apply(&spec, &a), x, AmStatistic::Cross, &LsapSolver).unwrap();
    assert_eq!(perms, t.inverse());
}
