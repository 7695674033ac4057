//! Exact recovery of random hidden-unit permutations and invariants of matching.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rebasin::lap::{LapSolver, LsapSolver, assignment_value};
use rebasin::model::{Model, Tensor};
use rebasin::perm::{Perms, compose, inverse};
use rebasin::prng::portable_mlp;
use rebasin::spec::{Layout, PermSpec};
use rebasin::wm::{Order, WmParams, weight_matching};

mod common;
use common::{resnet20, vgg};

fn random_perms(spec: &PermSpec, sizes: &[usize], seed: u64) -> Perms {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let perms = sizes
        .iter()
        .map(|&n| {
            let mut c: Vec<usize> = (0..n).collect();
            c.shuffle(&mut rng);
            c
        })
        .collect();
    Perms {
        groups: spec.groups.clone(),
        perms,
    }
}

fn check_recovery(a: &Model, spec: &PermSpec, seed: u64) {
    assert!(
        recovers(a, spec, seed),
        "seed {seed}: the permuted copy was not recovered"
    );
}

/// Returns whether WM finds t⁻¹ for B = t(A), and if so checks π(B) == A.
fn recovers(a: &Model, spec: &PermSpec, seed: u64) -> bool {
    let sizes = spec.validate(a).unwrap();
    let t = random_perms(spec, &sizes, seed);
    let b = t.apply(spec, a);
    let options = WmParams {
        order: Order::Random { seed },
        ..WmParams::default()
    }
    .check()
    .unwrap();
    let r = weight_matching(spec, a, &b, &options, &LsapSolver).unwrap();
    if r.perms != t.inverse() {
        return false;
    }
    assert_eq!(r.l2_after, 0.0, "seed {seed}");
    assert_eq!(
        r.perms.apply(spec, &b),
        *a,
        "seed {seed}: π(B) == A bit for bit"
    );
    true
}

#[test]
fn mlp_permutations_recovered() {
    let shapes: [&[usize]; 4] = [
        &[5, 8, 3],
        &[20, 16, 16, 16, 5],
        &[10, 32, 7, 2],
        &[784, 64, 64, 10],
    ];
    for (i, sizes) in shapes.iter().enumerate() {
        let a = portable_mlp(sizes, 10 + i as u64);
        let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
        for seed in 0..10 {
            check_recovery(&a, &spec, seed);
        }
    }
}

/// Spec with BatchNorm-style tensors: running statistics at cost weight 0.
fn bn_spec_json() -> serde_json::Value {
    serde_json::json!({
        "format": "rebasin-spec/1",
        "groups": ["P_0", "P_1"],
        "tensors": {
            "fc0.weight": ["P_0", null],
            "bn0.weight": ["P_0"],
            "bn0.bias": ["P_0"],
            "bn0.running_mean": {"axes": ["P_0"], "cost_weight": 0},
            "bn0.running_var": {"axes": ["P_0"], "cost_weight": 0},
            "bn0.num_batches_tracked": [null],
            "fc1.weight": ["P_1", "P_0"],
            "fc1.bias": ["P_1"],
            "fc2.weight": [null, "P_1"],
            "fc2.bias": [null]
        }
    })
}

fn bn_model(seed: u64) -> Model {
    let mut g = rebasin::prng::SplitMix64::new(seed);
    let mut m = Model::default();
    let mut add = |name: &str, shape: Vec<usize>| {
        let n: usize = shape.iter().product();
        let v = (0..n).map(|_| g.next_symmetric()).collect();
        m.insert(name, Tensor::from_f64(shape, v));
    };
    add("fc0.weight", vec![12, 6]);
    add("bn0.weight", vec![12]);
    add("bn0.bias", vec![12]);
    add("bn0.running_mean", vec![12]);
    add("bn0.running_var", vec![12]);
    add("fc1.weight", vec![9, 12]);
    add("fc1.bias", vec![9]);
    add("fc2.weight", vec![3, 9]);
    add("fc2.bias", vec![3]);
    m.insert(
        "bn0.num_batches_tracked",
        Tensor {
            shape: vec![1],
            dtype: rebasin::model::Dtype::I64,
            values: Vec::new(),
            raw: 7i64.to_le_bytes().to_vec(),
        },
    );
    m
}

#[test]
fn json_spec_with_batchnorm_recovered() {
    let spec = PermSpec::from_json(&bn_spec_json()).unwrap();
    let a = bn_model(3);
    spec.check_covers(&a).unwrap();
    for seed in 0..10 {
        check_recovery(&a, &spec, seed);
    }
}

#[test]
fn block_axis_recovered() {
    // A conv-like head: the first Linear reads 4 channels × 3 positions.
    let spec = PermSpec::from_json(&serde_json::json!({
        "groups": ["C", "H"],
        "tensors": {
            "conv.weight": ["C", null, null, null],
            "conv.bias": ["C"],
            "fc.weight": ["H", {"group": "C", "block": 3}],
            "fc.bias": ["H"],
            "out.weight": [null, "H"]
        }
    }))
    .unwrap();
    let mut g = rebasin::prng::SplitMix64::new(5);
    let mut a = Model::default();
    for (name, shape) in [
        ("conv.weight", vec![4, 2, 3, 3]),
        ("conv.bias", vec![4]),
        ("fc.weight", vec![6, 12]),
        ("fc.bias", vec![6]),
        ("out.weight", vec![2, 6]),
    ] {
        let n: usize = shape.iter().product();
        a.insert(
            name,
            Tensor::from_f64(shape, (0..n).map(|_| g.next_symmetric()).collect()),
        );
    }
    for seed in 0..10 {
        check_recovery(&a, &spec, seed);
    }
}

#[test]
fn inverse_after_apply_is_identity() {
    let a = portable_mlp(&[6, 9, 9, 4], 2);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let sizes = spec.validate(&a).unwrap();
    let t = random_perms(&spec, &sizes, 1);
    assert_eq!(t.inverse().apply(&spec, &t.apply(&spec, &a)), a);
    for c in &t.perms {
        let id: Vec<usize> = (0..c.len()).collect();
        assert_eq!(compose(c, &inverse(c)), id);
        assert_eq!(compose(&inverse(c), c), id);
    }
}

#[test]
fn objective_never_decreases() {
    let a = portable_mlp(&[20, 32, 32, 32, 5], 0);
    let b = portable_mlp(&[20, 32, 32, 32, 5], 1);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    for order in [Order::Fixed, Order::Random { seed: 3 }] {
        let options = WmParams {
            order,
            ..WmParams::default()
        }
        .check()
        .unwrap();
        let r = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap();
        assert!(r.converged);
        let mut prev = r.objective_before;
        for &j in &r.objective_trace {
            assert!(
                j >= prev - 1e-9 * prev.abs().max(1.0),
                "J fell from {prev} to {j}"
            );
            prev = j;
        }
        assert!(r.l2_after < r.l2_before);
        // ‖A − π(B)‖² = ‖A‖² + ‖B‖² − 2J.
        let expected = a.inner_product(&a) + b.inner_product(&b) - 2.0 * r.objective_final();
        assert!((r.l2_after.powi(2) - expected).abs() < 1e-9 * expected);
    }
}

#[test]
fn same_seed_same_result() {
    let a = portable_mlp(&[8, 16, 16, 3], 4);
    let b = portable_mlp(&[8, 16, 16, 3], 5);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let options = WmParams::default().check().unwrap();
    let r1 = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap();
    let r2 = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap();
    assert_eq!(r1.perms, r2.perms);
    assert_eq!(r1.objective_trace, r2.objective_trace);
}

#[test]
fn lap_random_sizes_brute_force() {
    let mut rng = ChaCha8Rng::seed_from_u64(9);
    for n in 1..=7 {
        let s: Vec<f64> = (0..n * n)
            .map(|_| tape::rng::uniform(&mut rng, -1.0, 1.0))
            .collect();
        let c = LsapSolver.solve_max(n, &s).unwrap();
        let best = all_perms(n)
            .iter()
            .map(|p| assignment_value(n, &s, p))
            .fold(f64::NEG_INFINITY, f64::max);
        assert!(
            (assignment_value(n, &s, &c) - best).abs() < 1e-12,
            "n = {n}"
        );
    }
    for n in [1, 17, 120, 300] {
        let s: Vec<f64> = (0..n * n)
            .map(|_| tape::rng::uniform(&mut rng, -1.0, 1.0))
            .collect();
        let mut c = LsapSolver.solve_max(n, &s).unwrap();
        c.sort_unstable();
        assert_eq!(
            c,
            (0..n).collect::<Vec<_>>(),
            "n = {n} returns a permutation"
        );
    }
}

fn all_perms(n: usize) -> Vec<Vec<usize>> {
    if n == 0 {
        return vec![Vec::new()];
    }
    let mut out = Vec::new();
    for p in all_perms(n - 1) {
        for pos in 0..=p.len() {
            let mut q = p.clone();
            q.insert(pos, n - 1);
            out.push(q);
        }
    }
    out
}

#[test]
fn singular_values_unchanged_by_permutation() {
    let a = portable_mlp(&[7, 11, 5], 1);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let sizes = spec.validate(&a).unwrap();
    let b = random_perms(&spec, &sizes, 4).apply(&spec, &a);
    for name in ["layers.0.weight", "layers.1.weight"] {
        let sv = |m: &Model| {
            let t = m.get(name).unwrap();
            let mat = faer::MatRef::from_row_major_slice(&t.values, t.shape[0], t.shape[1]);
            mat.singular_values().unwrap()
        };
        for (x, y) in sv(&a).iter().zip(sv(&b)) {
            assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0));
        }
    }
}

/// Runs WM for B = t(A) and returns whether it found t⁻¹. When it did not,
/// checks that it stopped at a strict local optimum of the coordinate ascent,
/// not at a tie. No single group can improve J, J is below J(t⁻¹) and
/// π(B) ≠ A. Three restarts (seeds seed..seed+2, largest J kept) find t⁻¹.
fn recovers_or_local_optimum(a: &Model, spec: &PermSpec, seed: u64) -> bool {
    if recovers(a, spec, seed) {
        return true;
    }
    let sizes = spec.validate(a).unwrap();
    let truth = random_perms(spec, &sizes, seed).inverse();
    let b = random_perms(spec, &sizes, seed).apply(spec, a);
    let run = |params: WmParams| {
        weight_matching(spec, a, &b, &params.check().unwrap(), &LsapSolver).unwrap()
    };
    let found = run(WmParams {
        order: Order::Random { seed },
        ..WmParams::default()
    });
    assert!(found.converged, "seed {seed}");
    assert!(found.l2_after > 0.0, "seed {seed}");
    let at_found = run(WmParams {
        order: Order::Fixed,
        init: Some(found.perms.clone()),
        ..WmParams::default()
    });
    assert_eq!(
        at_found.sweeps, 1,
        "seed {seed}: a group step still improves J"
    );
    assert_eq!(at_found.perms, found.perms, "seed {seed}");
    let at_truth = run(WmParams {
        order: Order::Fixed,
        init: Some(truth.clone()),
        max_iter: 1,
        ..WmParams::default()
    })
    .objective_before;
    let gap = at_truth - found.objective_final();
    println!(
        "seed {seed}: local optimum with J {} below J(t⁻¹) = {at_truth}",
        gap
    );
    assert!(gap > 1e-6 * at_truth, "seed {seed}: J {gap} below J(t⁻¹)");
    let restarted = run(WmParams {
        order: Order::Random { seed },
        restarts: 3,
        ..WmParams::default()
    });
    assert_eq!(restarted.perms, truth, "seed {seed}: restarts recover t⁻¹");
    false
}

#[test]
fn resnet20_permutations_recovered() {
    for (width, min_recovered) in [(1, 10), (4, 9)] {
        let a = resnet20(width, width as u64);
        let spec = PermSpec::resnet20(&a).unwrap();
        assert_eq!(spec.groups.len(), 12);
        let recovered = (0..10)
            .filter(|&seed| recovers_or_local_optimum(&a, &spec, seed))
            .count();
        println!("resnet20 width {width}: {recovered}/10 recovered");
        // NOTE: at width 4, the random group order of seed 8 lets the first sweep
        // settle every group on a wrong assignment, with J about 4.5% of J(t⁻¹).
        // That is a strict local optimum of coordinate ascent on these untrained
        // uniform weights. The fixed order and restarts recover t⁻¹.
        assert!(
            recovered >= min_recovered,
            "width {width}: only {recovered}/10 recovered"
        );
    }
}

#[test]
fn vgg_permutations_recovered() {
    for hw in [1, 4] {
        let a = vgg(hw as u64, hw);
        let spec = PermSpec::vgg(&a).unwrap();
        assert_eq!(spec.validate(&a).unwrap(), vec![8, 12, 20]);
        for seed in 0..10 {
            check_recovery(&a, &spec, seed);
        }
    }
}

/// Builds S_g from its definition: `S[i][j] = Σ_k c_k Σ A_k[.., unit i, ..] ·
/// B̃_k[.., unit j, ..]`, where B̃ is B with every group but g applied.
fn naive_score(
    spec: &PermSpec,
    a: &Model,
    b: &Model,
    perms: &Perms,
    g: usize,
    n: usize,
) -> Vec<f64> {
    let mut others = perms.clone();
    others.perms[g] = (0..n).collect();
    let b = others.apply(spec, b);
    let mut s = vec![0.0; n * n];
    for (name, ts) in &spec.tensors {
        let (ta, tb) = (&a.tensors[name], &b.tensors[name]);
        for (axis, map) in ts.axes.iter().enumerate() {
            let Some((h, block)) = map.group() else {
                continue;
            };
            if h != g {
                continue;
            }
            let outer: usize = ta.shape[..axis].iter().product();
            let inner: usize = ta.shape[axis + 1..].iter().product();
            let run = block * inner;
            for (i, j, o, r) in (0..n).flat_map(|i| {
                (0..n).flat_map(move |j| {
                    (0..outer).flat_map(move |o| (0..run).map(move |r| (i, j, o, r)))
                })
            }) {
                let base = o * n * run;
                s[i * n + j] +=
                    ts.cost_weight * ta.values[base + i * run + r] * tb.values[base + j * run + r];
            }
        }
    }
    s
}

/// Converged weight matching leaves every group at an optimal assignment of
/// its score matrix built from scratch, so no cached term was stale.
fn check_coordinate_optimum(spec: &PermSpec, a: &Model, b: &Model, seed: u64) {
    let sizes = spec.validate(a).unwrap();
    let options = WmParams {
        order: Order::Random { seed },
        ..WmParams::default()
    }
    .check()
    .unwrap();
    let r = weight_matching(spec, a, b, &options, &LsapSolver).unwrap();
    assert!(r.converged, "seed {seed}: converged");
    for (g, &n) in sizes.iter().enumerate() {
        let s = naive_score(spec, a, b, &r.perms, g, n);
        let best = LsapSolver.solve_max(n, &s).unwrap();
        let (got, max) = (
            assignment_value(n, &s, &r.perms.perms[g]),
            assignment_value(n, &s, &best),
        );
        assert!(
            got >= max - 1e-9 * max.abs().max(1.0),
            "seed {seed}, group {}: ⟨P, S⟩ = {got} below the optimum {max}",
            spec.groups[g]
        );
    }
}

#[test]
fn converged_groups_are_coordinate_optima() {
    let (a, b) = (resnet20(1, 11), resnet20(1, 12));
    let spec = PermSpec::resnet20(&a).unwrap();
    for seed in 0..3 {
        check_coordinate_optimum(&spec, &a, &b, seed);
    }
    let (a, b) = (vgg(1, 4), vgg(2, 4));
    let spec = PermSpec::vgg(&a).unwrap();
    for seed in 0..3 {
        check_coordinate_optimum(&spec, &a, &b, seed);
    }
    let (a, b) = (
        portable_mlp(&[12, 24, 24, 24, 4], 2),
        portable_mlp(&[12, 24, 24, 24, 4], 3),
    );
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    for seed in 0..3 {
        check_coordinate_optimum(&spec, &a, &b, seed);
    }
}
