//! Barrier formulas, MergeMany and training on digits.

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rebasin::barrier::{Barriers, interpolation_curve, lambdas, n_model_barrier};
use rebasin::lap::LsapSolver;
use rebasin::merge::{MergeMethod, MergeParams, merge_models};
use rebasin::model::Model;
use rebasin::perm::Perms;
use rebasin::prng::portable_mlp;
use rebasin::spec::{Layout, PermSpec};
use rebasin::wm::{WmParams, weight_matching};

#[test]
fn barrier_conventions() {
    let l = [0.0, 0.5, 1.0];
    let b = Barriers::from_curve(&l, &[1.0, 3.0, 2.0], &[0.9, 0.5, 0.7]);
    assert_eq!(b.loss_linear, 1.5);
    assert_eq!(b.loss_mean, 1.5);
    assert!((b.acc_linear - 0.3).abs() < 1e-15);
    assert!((b.acc_mean - 0.3).abs() < 1e-15);
    assert_eq!((b.mid_loss, b.mid_acc), (3.0, 0.5));

    let b = Barriers::from_curve(&l, &[1.0, 2.0, 3.0], &[0.9, 0.8, 0.7]);
    assert_eq!(b.loss_linear, 0.0);
    assert_eq!(b.loss_mean, 1.0);
    assert!(b.acc_linear.abs() < 1e-15);
    assert!((b.acc_mean - 0.1).abs() < 1e-15);
}

#[test]
fn n_model_barrier_unequal_weights() {
    let (bl, ba) = n_model_barrier(
        (1.0, 0.6),
        &[(0.2, 0.9), (0.4, 0.8), (0.6, 1.0)],
        &[0.5, 0.25, 0.25],
    );
    assert!((bl - (1.0 - 0.35)).abs() < 1e-15);
    assert!((ba - (0.9 - 0.6)).abs() < 1e-15);
}

#[test]
fn lambdas_need_two_values() {
    assert!(lambdas(1).is_err());
    assert_eq!(lambdas(5).unwrap(), vec![0.0, 0.25, 0.5, 0.75, 1.0]);
}

#[test]
fn even_lambda_counts_gain_the_midpoint() {
    assert_eq!(lambdas(2).unwrap(), vec![0.0, 0.5, 1.0]);
    let grid = lambdas(4).unwrap();
    assert_eq!(grid.len(), 5);
    assert_eq!(grid[2], 0.5);
    assert!(grid.windows(2).all(|w| w[0] < w[1]));

    // Loss 2λ + 1 and accuracy 1 − λ: the midpoint values are those at λ = ½.
    let loss: Vec<f64> = grid.iter().map(|l| 2.0 * l + 1.0).collect();
    let acc: Vec<f64> = grid.iter().map(|l| 1.0 - l).collect();
    let b = Barriers::from_curve(&grid, &loss, &acc);
    assert_eq!(b.mid_loss, 2.0);
    assert_eq!(b.mid_acc, 0.5);
}

#[test]
fn curve_endpoints_are_the_models() {
    let a = portable_mlp(&[3, 4, 2], 0);
    let b = portable_mlp(&[3, 4, 2], 1);
    let grid = lambdas(3).unwrap();
    let mut seen = Vec::new();
    let mut eval = |m: &Model| {
        seen.push(m.clone());
        Ok((m.l2_distance(&a), 0.0))
    };
    let c = interpolation_curve(&a, &b, &grid, &mut eval).unwrap();
    assert_eq!(seen[0], a);
    assert_eq!(seen[2], b);
    assert_eq!(c.loss[0], 0.0);
    assert!((c.loss[1] - 0.5 * a.l2_distance(&b)).abs() < 1e-12);
}

fn shuffled_copy(a: &Model, spec: &PermSpec, seed: u64) -> Model {
    let sizes = spec.validate(a).unwrap();
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
    .apply(spec, a)
}

#[test]
fn merge_two_equals_wm_and_average() {
    let a = portable_mlp(&[6, 10, 10, 3], 0);
    let b = portable_mlp(&[6, 10, 10, 3], 1);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let options = MergeParams {
        method: MergeMethod::ToFirst,
        ..MergeParams::default()
    }
    .check(2)
    .unwrap();
    let r = merge_models(&spec, &[a.clone(), b.clone()], &options).unwrap();
    let wm = weight_matching(
        &spec,
        &a,
        &b,
        &WmParams::default().check().unwrap(),
        &LsapSolver,
    )
    .unwrap();
    let expected = a.lerp(&wm.perms.apply(&spec, &b), 0.5);
    assert_eq!(r.merged, expected);
}

#[test]
fn merge_many_permuted_copies_share_one_frame() {
    let a = portable_mlp(&[20, 64, 64, 5], 7);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    for n in [3, 4] {
        for seed in 0..10 {
            let models: Vec<Model> = (0..n)
                .map(|i| shuffled_copy(&a, &spec, 100 * seed + i as u64))
                .collect();
            let options = MergeParams {
                seed,
                ..MergeParams::default()
            }
            .check(n)
            .unwrap();
            let r = merge_models(&spec, &models, &options).unwrap();
            assert!(r.converged);
            for m in &r.aligned[1..] {
                assert_eq!(
                    *m, r.aligned[0],
                    "N = {n}, seed {seed}: aligned copies are identical"
                );
            }
            for (orig, (p, aligned)) in models.iter().zip(r.perms.iter().zip(&r.aligned)) {
                assert_eq!(
                    p.apply(&spec, orig),
                    *aligned,
                    "perms reproduce the aligned copy"
                );
            }
        }
    }
}

#[test]
fn merge_weights_checked() {
    assert!(MergeParams::default().check(1).is_err());
    let bad = MergeParams {
        weights: Some(vec![0.5, 0.6]),
        ..MergeParams::default()
    };
    assert!(bad.check(2).unwrap_err().to_string().contains("sum to 1"));
    let wrong_len = MergeParams {
        weights: Some(vec![1.0]),
        ..MergeParams::default()
    };
    assert!(wrong_len.check(2).is_err());
}

#[test]
fn training_on_digits_learns() {
    use rebasin::data::{Digits, Split};
    use rebasin::nn::Mlp;
    use rebasin::train::{TrainParams, train_mlp};

    let data = Digits::load(&Split::seeded(0)).unwrap();
    let params = TrainParams {
        sizes: vec![64, 32, 10],
        epochs: 3,
        ..TrainParams::default()
    };
    let model = train_mlp(
        &params.check().unwrap(),
        data.train_x.as_ref(),
        &data.train_y,
    )
    .unwrap();
    let (loss, acc) = Mlp::from_model(&model)
        .unwrap()
        .loss_acc(data.test_x.as_ref(), &data.test_y);
    assert!(acc > 0.85, "test accuracy {acc}");
    assert!(loss < 0.6, "test loss {loss}");
}

#[test]
fn digits_split_checksums() {
    let Some(dir) = golden_dir() else {
        return;
    };
    let split = rebasin::data::Split::from_file(&dir.join("digits_split.json")).unwrap();
    let data = rebasin::data::Digits::load(&split).unwrap();
    assert_eq!(data.train_y.iter().sum::<usize>(), 6507);
    assert_eq!(data.test_y.iter().sum::<usize>(), 1563);
    let table = datasets::embedded::digits();
    let sum_x: f64 = (0..table.x.nrows())
        .flat_map(|i| (0..64).map(move |j| (i, j)))
        .map(|(i, j)| table.x[(i, j)])
        .sum();
    assert_eq!(sum_x, 561718.0);
    let weighted: usize = table.y.iter().enumerate().map(|(i, y)| i * y).sum();
    assert_eq!(weighted, 7264791);
}

fn golden_dir() -> Option<std::path::PathBuf> {
    let workspace = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..");
    let dir = match (
        std::env::var("NORMLAB_REBASIN_GOLDEN"),
        std::env::var("NORMLAB_GOLDEN"),
    ) {
        (Ok(d), _) => std::path::PathBuf::from(d),
        (_, Ok(d)) => std::path::PathBuf::from(d).join("rebasin"),
        _ => {
            println!("skipped: NORMLAB_GOLDEN not set");
            return None;
        }
    };
    Some(if dir.is_relative() {
        workspace.join(dir)
    } else {
        dir
    })
}

#[test]
fn ste_lowers_midpoint_loss() {
    use rebasin::data::{Digits, Split};
    use rebasin::nn::Mlp;
    use rebasin::ste::{SteParams, straight_through};
    use rebasin::train::{TrainParams, train_mlp};

    let data = Digits::load(&Split::seeded(0)).unwrap();
    let train = |seed| {
        let params = TrainParams {
            sizes: vec![64, 24, 10],
            epochs: 3,
            seed,
            ..TrainParams::default()
        };
        train_mlp(
            &params.check().unwrap(),
            data.train_x.as_ref(),
            &data.train_y,
        )
        .unwrap()
    };
    let (a, b) = (train(0), train(1));
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let options = SteParams {
        epochs: 2,
        ..SteParams::default()
    }
    .check()
    .unwrap();
    let r = straight_through(
        &spec,
        &a,
        &b,
        data.train_x.as_ref(),
        &data.train_y,
        &options,
    )
    .unwrap();
    assert_eq!(r.steps, 2 * (data.train_y.len() / 64));
    let train_loss = |m: &Model| {
        Mlp::from_model(m)
            .unwrap()
            .loss_acc(data.train_x.as_ref(), &data.train_y)
            .0
    };
    let baseline = 0.5 * (train_loss(&a) + train_loss(&b));
    assert!(
        (r.loss - r.loss_above_endpoints - baseline).abs() < 1e-9,
        "loss {} minus loss above endpoints {} should be the mean endpoint loss {baseline}",
        r.loss,
        r.loss_above_endpoints
    );
    assert!((1..=r.steps).contains(&r.best_step));
    assert!((1..=2).contains(&r.best_epoch));
    let b_aligned = r.perms.apply(&spec, &b);
    assert!(rebasin::nn::functional_check(&b, &b_aligned).unwrap());
    let mid_loss = |m: &Model| {
        Mlp::from_model(&a.lerp(m, 0.5))
            .unwrap()
            .loss_acc(data.train_x.as_ref(), &data.train_y)
            .0
    };
    assert!(
        mid_loss(&b_aligned) < mid_loss(&b),
        "STE midpoint {} vs naive {}",
        mid_loss(&b_aligned),
        mid_loss(&b)
    );
}

#[test]
fn ste_many_lowers_merged_loss() {
    use rebasin::data::{Digits, Split};
    use rebasin::nn::Mlp;
    use rebasin::ste::SteParams;
    use rebasin::ste_many::straight_through_many;
    use rebasin::train::{TrainParams, train_mlp};

    let data = Digits::load(&Split::seeded(0)).unwrap();
    let (x, y) = (data.train_x.as_ref(), &data.train_y);
    let models: Vec<Model> = (0..3)
        .map(|seed| {
            let params = TrainParams {
                sizes: vec![64, 24, 10],
                epochs: 3,
                seed,
                ..TrainParams::default()
            };
            train_mlp(&params.check().unwrap(), x, y).unwrap()
        })
        .collect();
    let spec = PermSpec::mlp(&models[0], Layout::Torch).unwrap();
    let options = SteParams {
        epochs: 2,
        ..SteParams::default()
    }
    .check()
    .unwrap();
    let r = straight_through_many(&spec, &models, x, y, &options).unwrap();
    assert_eq!(r.steps, 2 * (y.len() / 64));
    assert_eq!(r.perms.len(), 3);
    assert_eq!(r.perms[0], Perms::identity(&spec, &[24]));
    assert!(r.loss > 0.0, "cross-entropy {}", r.loss);
    assert!(
        r.loss_above_endpoints < r.loss,
        "the endpoints' positive losses are subtracted: {} vs {}",
        r.loss_above_endpoints,
        r.loss
    );
    assert!((1..=r.steps).contains(&r.best_step));
    assert_eq!(r.best_epoch, (r.best_step - 1) / (y.len() / 64) + 1);

    let aligned: Vec<Model> = models
        .iter()
        .zip(&r.perms)
        .map(|(m, p)| p.apply(&spec, m))
        .collect();
    for (m, a) in models.iter().zip(&aligned) {
        assert!(rebasin::nn::functional_check(m, a).unwrap());
    }
    let mean_loss = |ms: &[Model]| {
        let refs: Vec<&Model> = ms.iter().collect();
        let mean = Model::weighted_sum(&refs, &[1.0 / 3.0; 3]);
        Mlp::from_model(&mean).unwrap().loss_acc(x, y).0
    };
    let (merged, naive) = (mean_loss(&aligned), mean_loss(&models));
    assert!(merged < naive, "STE merge {merged} vs naive {naive}");
}

#[test]
fn ste_many_needs_two_models() {
    use rebasin::ste::SteParams;
    use rebasin::ste_many::straight_through_many;

    let a = portable_mlp(&[4, 6, 3], 0);
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let x = faer::Mat::<f64>::zeros(64, 4);
    let options = SteParams::default().check().unwrap();
    let err = straight_through_many(&spec, &[a], x.as_ref(), &[0; 64], &options).unwrap_err();
    assert!(err.to_string().contains("at least 2 models"), "{err}");
}

#[test]
fn ste_rejects_label_count_mismatch() {
    use faer::Mat;
    use rebasin::ste::{SteParams, straight_through};
    use rebasin::train::init_mlp;

    let (a, b) = (init_mlp(&[4, 6, 3], 0), init_mlp(&[4, 6, 3], 1));
    let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
    let x = Mat::<f64>::zeros(128, 4);
    let labels = vec![0usize; 127];
    let options = SteParams::default().check().unwrap();

    let error = straight_through(&spec, &a, &b, x.as_ref(), &labels, &options).unwrap_err();

    let message = error.to_string();
    assert!(message.contains("127 labels"), "{message}");
    assert!(message.contains("128 rows"), "{message}");
}
