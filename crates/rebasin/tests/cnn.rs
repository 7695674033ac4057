//! Forward passes of the VGG-style and ResNet20 presets and BatchNorm repair.

use faer::Mat;
use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;
use rebasin::am::{AmStatistic, activation_matching_cnn, activation_scores};
use rebasin::cnn::{Cnn, Image, repair_batchnorm};
use rebasin::lap::{LapSolver, LsapSolver};
use rebasin::model::Model;
use rebasin::perm::Perms;
use rebasin::prng::SplitMix64;
use rebasin::spec::PermSpec;

mod common;
use common::{resnet20, vgg};

const IMAGE: Image = Image { c: 3, h: 8, w: 8 };

/// Makes every `running_var` positive: |v| + 0.5.
fn positive_variances(mut m: Model) -> Model {
    for (name, t) in &mut m.tensors {
        if name.ends_with("running_var") {
            t.values.iter_mut().for_each(|v| *v = v.abs() + 0.5);
        }
    }
    m
}

/// Drops the running statistics, so that every norm is a channel LayerNorm.
fn without_running_stats(mut m: Model) -> Model {
    m.tensors.retain(|name, _| !name.contains(".running_"));
    m
}

fn images(n: usize, seed: u64) -> Mat<f64> {
    let mut g = SplitMix64::new(seed);
    let len = IMAGE.c * IMAGE.h * IMAGE.w;
    Mat::from_fn(n, len, |_, _| g.next_symmetric())
}

fn random_perms(spec: &PermSpec, model: &Model, seed: u64) -> Perms {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let perms = spec
        .validate(model)
        .unwrap()
        .into_iter()
        .map(|n| {
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

fn max_abs_diff(a: &Mat<f64>, b: &Mat<f64>) -> (f64, f64) {
    assert_eq!((a.nrows(), a.ncols()), (b.nrows(), b.ncols()));
    let mut diff = 0.0f64;
    let mut scale = 0.0f64;
    for j in 0..a.ncols() {
        for i in 0..a.nrows() {
            diff = diff.max((a[(i, j)] - b[(i, j)]).abs());
            scale = scale.max(a[(i, j)].abs());
        }
    }
    (diff, scale)
}

/// Checks that a random permutation under `spec` leaves the logits unchanged.
fn assert_permutation_invariant(model: &Model, spec: &PermSpec, net: fn(&Model) -> Cnn<'_>) {
    let x = images(5, 11);
    let before = net(model).forward(x.as_ref(), IMAGE).unwrap();
    for seed in 0..3 {
        let permuted = random_perms(spec, model, seed).apply(spec, model);
        assert_ne!(&permuted, model);
        let after = net(&permuted).forward(x.as_ref(), IMAGE).unwrap();
        let (diff, scale) = max_abs_diff(&before, &after);
        assert!(scale > 1e-3, "the logits are not trivially zero");
        assert!(diff <= 1e-12 * (1.0 + scale), "seed {seed}: {diff:e}");
    }
}

fn vgg_net(m: &Model) -> Cnn<'_> {
    Cnn::vgg(m).unwrap()
}

fn resnet_net(m: &Model) -> Cnn<'_> {
    Cnn::resnet(m).unwrap()
}

#[test]
fn vgg_forward_is_permutation_invariant() {
    for hw in [1, 4, 16] {
        let model = positive_variances(vgg(hw as u64, hw));
        let spec = PermSpec::vgg(&model).unwrap();
        assert_permutation_invariant(&model, &spec, vgg_net);
        let logits = vgg_net(&model)
            .forward(images(2, 1).as_ref(), IMAGE)
            .unwrap();
        assert_eq!((logits.nrows(), logits.ncols()), (2, 10));
    }
}

#[test]
fn vgg_norm_after_last_convolution() {
    // torchvision's VGG-bn names: the BatchNorm after the last convolution
    // (`features.4`) sorts after the first linear layer (`classifier.0`).
    let mut model = vgg(5, 4);
    let mut g = SplitMix64::new(50);
    common::add_norm(&mut model, &mut g, "features.4", 12);
    let model = positive_variances(model);
    let spec = PermSpec::vgg(&model).unwrap();
    let norm_group = spec
        .tensors
        .iter()
        .find(|(name, _)| name == "features.4.weight")
        .map(|(_, ts)| ts.axes[0]);
    let conv_group = spec
        .tensors
        .iter()
        .find(|(name, _)| name == "features.3.weight")
        .map(|(_, ts)| ts.axes[0]);
    assert_eq!(norm_group, conv_group);
    assert_permutation_invariant(&model, &spec, vgg_net);
}

#[test]
fn resnet_forward_is_permutation_invariant() {
    let batch_norm = positive_variances(resnet20(1, 1));
    let layer_norm = without_running_stats(resnet20(1, 2));
    for model in [batch_norm, layer_norm] {
        let spec = PermSpec::resnet20(&model).unwrap();
        assert_permutation_invariant(&model, &spec, resnet_net);
    }
}

#[test]
fn forward_detects_wrong_spec() {
    // Permuting only the first stage's residual group, not its readers, is no
    // symmetry: the forward pass must notice.
    let model = positive_variances(resnet20(1, 3));
    let spec = PermSpec::resnet20(&model).unwrap();
    let mut perms = Perms::identity(&spec, &spec.validate(&model).unwrap());
    perms.perms[0].swap(0, 1);
    let mut broken = spec.clone();
    broken
        .tensors
        .retain(|(name, _)| !name.starts_with("layer1.0.conv1"));
    let x = images(4, 5);
    let before = resnet_net(&model).forward(x.as_ref(), IMAGE).unwrap();
    let permuted = perms.apply(&broken, &model);
    let after = resnet_net(&permuted).forward(x.as_ref(), IMAGE).unwrap();
    let (diff, scale) = max_abs_diff(&before, &after);
    assert!(diff > 1e-6 * (1.0 + scale));
}

#[test]
fn mismatched_inputs_are_rejected() {
    let model = positive_variances(resnet20(1, 1));
    let x = images(2, 1);
    let err = resnet_net(&model)
        .forward(x.as_ref(), Image { c: 1, h: 8, w: 8 })
        .unwrap_err()
        .to_string();
    assert!(err.contains("192 features"), "{err}");
    let err = Cnn::resnet(&rebasin::prng::portable_mlp(&[3, 4, 2], 0))
        .unwrap_err()
        .to_string();
    assert!(err.contains("conv1.weight"), "{err}");
}

/// Per-channel mean and unbiased variance of the stem convolution's output,
/// computed directly (3×3, padding 1, no bias).
fn stem_statistics(model: &Model, x: &Mat<f64>) -> (Vec<f64>, Vec<f64>) {
    let w = model.get("conv1.weight").unwrap();
    let (co, ci) = (w.shape[0], w.shape[1]);
    let (h, wd) = (IMAGE.h as isize, IMAGE.w as isize);
    let mut values = vec![Vec::new(); co];
    for n in 0..x.nrows() {
        for (o, channel) in values.iter_mut().enumerate() {
            for y in 0..h {
                for xx in 0..wd {
                    let mut v = 0.0;
                    for c in 0..ci {
                        for dy in 0..3isize {
                            for dx in 0..3isize {
                                let (sy, sx) = (y + dy - 1, xx + dx - 1);
                                if (0..h).contains(&sy) && (0..wd).contains(&sx) {
                                    let k = ((o * ci + c) * 3 + dy as usize) * 3 + dx as usize;
                                    let pixel = (c as isize * h + sy) * wd + sx;
                                    v += w.values[k] * x[(n, pixel as usize)];
                                }
                            }
                        }
                    }
                    channel.push(v);
                }
            }
        }
    }
    values
        .iter()
        .map(|v| {
            let mean = v.iter().sum::<f64>() / v.len() as f64;
            let var = v.iter().map(|a| (a - mean).powi(2)).sum::<f64>() / (v.len() - 1) as f64;
            (mean, var)
        })
        .unzip()
}

fn naive_midpoint() -> (Model, Mat<f64>) {
    let x = images(40, 9);
    let a = positive_variances(resnet20(1, 4));
    let a = repair_batchnorm(&resnet_net(&a), x.as_ref(), IMAGE, 16).unwrap();
    let spec = PermSpec::resnet20(&a).unwrap();
    let b = random_perms(&spec, &a, 6).apply(&spec, &a);
    (a.lerp(&b, 0.5), x)
}

#[test]
fn batchnorm_repair_on_interpolated_model() {
    let (mid, x) = naive_midpoint();
    let (mean, var) = stem_statistics(&mid, &x);
    // The stem is linear in its weights, so only its variance goes stale.
    let stale_var = &mid.get("norm1.running_var").unwrap().values;
    let stale_off = var
        .iter()
        .zip(stale_var)
        .any(|(v, s)| (v - s).abs() > 1e-2 * v);
    assert!(
        stale_off,
        "averaged variances differ from the measured ones"
    );
    // Uneven minibatches (16, 16, 8) give the same whole-split moments.
    let repaired = repair_batchnorm(&resnet_net(&mid), x.as_ref(), IMAGE, 16).unwrap();
    let got_mean = &repaired.get("norm1.running_mean").unwrap().values;
    let got_var = &repaired.get("norm1.running_var").unwrap().values;
    for ch in 0..mean.len() {
        assert!((got_mean[ch] - mean[ch]).abs() <= 1e-12 * (1.0 + mean[ch].abs()));
        assert!((got_var[ch] - var[ch]).abs() <= 1e-12 * (1.0 + var[ch]));
    }
    // Only running statistics change.
    for (name, t) in &repaired.tensors {
        if !name.contains(".running_") {
            assert_eq!(t, mid.get(name).unwrap(), "{name}");
        }
    }
}

#[test]
fn batchnorm_repair_in_one_batch_matches_every_layer() {
    // With one batch, the repair pass normalises with the biased variance.
    // Scaling running_var by (n − 1)/n makes the evaluation pass the same
    // computation, so every BatchNorm's measured input moments equal its stored
    // statistics.
    let (mid, x) = naive_midpoint();
    let mut repaired = repair_batchnorm(&resnet_net(&mid), x.as_ref(), IMAGE, 1000).unwrap();
    let mut unbiased = std::collections::BTreeMap::new();
    for (name, t) in &mut repaired.tensors {
        if let Some(prefix) = name.strip_suffix(".running_var") {
            // Stages 2 and 3 halve the 8×8 map twice.
            let positions = match &prefix[..prefix.len().min(6)] {
                "layer2" => 16,
                "layer3" => 4,
                _ => 64,
            };
            let count = (x.nrows() * positions) as f64;
            unbiased.insert(prefix.to_string(), t.values.clone());
            t.values
                .iter_mut()
                .for_each(|v| *v *= (count - 1.0) / count);
        }
    }

    let moments = resnet_net(&repaired)
        .batchnorm_input_moments(x.as_ref(), IMAGE)
        .unwrap();
    assert_eq!(
        moments.len(),
        21,
        "stem, 18 block norms and 2 shortcut norms"
    );
    for (prefix, (mean, var)) in &moments {
        let stored = &repaired
            .get(&format!("{prefix}.running_mean"))
            .unwrap()
            .values;
        for ch in 0..mean.len() {
            let scale = 1.0 + stored[ch].abs() + unbiased[prefix][ch];
            assert!((mean[ch] - stored[ch]).abs() <= 1e-9 * scale, "{prefix}");
            assert!(
                (var[ch] - unbiased[prefix][ch]).abs() <= 1e-9 * scale,
                "{prefix}"
            );
        }
    }

    // The naive midpoint's averaged statistics are far from its real ones.
    let stale = resnet_net(&mid)
        .batchnorm_input_moments(x.as_ref(), IMAGE)
        .unwrap();
    let (mean, _) = &stale["layer3.2.norm2"];
    let stored = &mid.get("layer3.2.norm2.running_mean").unwrap().values;
    assert!(mean.iter().zip(stored).any(|(m, s)| (m - s).abs() > 1e-2));
}

#[test]
fn batchnorm_repair_commutes_with_permutations() {
    let (mid, x) = naive_midpoint();
    let spec = PermSpec::resnet20(&mid).unwrap();
    let t = random_perms(&spec, &mid, 8);
    let repair = |m: &Model| repair_batchnorm(&resnet_net(m), x.as_ref(), IMAGE, 16).unwrap();
    let left = repair(&t.apply(&spec, &mid));
    let right = t.apply(&spec, &repair(&mid));
    for (name, a) in &left.tensors {
        let b = &right.get(name).unwrap().values;
        for (u, v) in a.values.iter().zip(b) {
            assert!((u - v).abs() <= 1e-12 * (1.0 + v.abs()), "{name}");
        }
    }
    let err = repair_batchnorm(&resnet_net(&mid), x.as_ref(), IMAGE, 0).unwrap_err();
    assert!(err.to_string().contains("bn_batch"), "{err}");
}

/// Builds a VGG and a ResNet20 model with their presets.
fn am_models() -> Vec<(Model, PermSpec)> {
    let v = positive_variances(vgg(5, 4));
    let r = positive_variances(resnet20(1, 6));
    let (sv, sr) = (PermSpec::vgg(&v).unwrap(), PermSpec::resnet20(&r).unwrap());
    vec![(v, sv), (r, sr)]
}

/// Returns the forward that reads `model`.
fn forward_of<'m>(model: &'m Model) -> fn(&'m Model) -> rebasin::error::Result<Cnn<'m>> {
    if model.get("linear.weight").is_some() {
        Cnn::resnet
    } else {
        Cnn::vgg
    }
}

#[test]
fn activation_matching_recovers_cnn_permutations() {
    let x = images(100, 21);
    for (model, spec) in am_models() {
        let forward = forward_of(&model);
        let t = random_perms(&spec, &model, 3);
        let b = t.apply(&spec, &model);
        for statistic in [AmStatistic::Cross, AmStatistic::Pearson] {
            let perms = activation_matching_cnn(
                &spec,
                (&model, &b),
                forward,
                x.as_ref(),
                IMAGE,
                statistic,
                &LsapSolver,
            )
            .unwrap();
            // Units that are dead on every image tie, so only the logits on
            // these images and most units are sure to match.
            let aligned = perms.apply(&spec, &b);
            let expected = forward(&model).unwrap().forward(x.as_ref(), IMAGE).unwrap();
            let got = forward_of(&aligned)(&aligned)
                .unwrap()
                .forward(x.as_ref(), IMAGE)
                .unwrap();
            let (diff, scale) = max_abs_diff(&expected, &got);
            assert!(diff <= 1e-9 * (1.0 + scale), "{statistic:?}: {diff:e}");
            let truth = t.inverse();
            let (mut same, mut total) = (0, 0);
            for (c, expected) in perms.perms.iter().zip(&truth.perms) {
                same += c.iter().zip(expected).filter(|(x, y)| x == y).count();
                total += c.len();
            }
            assert!(
                same * 10 >= total * 9,
                "{statistic:?}, groups {:?}: {same} of {total} units recovered",
                spec.groups
            );
        }
    }
}

/// The scores pooled over batches of 64 images give the assignment of the
/// scores of all 100 images at once, for every group read at one place.
#[test]
fn activation_matching_pools_batches() {
    let x = images(100, 22);
    let (a, spec) = am_models().swap_remove(0);
    let forward = forward_of(&a);
    let b = positive_variances(vgg(7, 4));
    let perms = activation_matching_cnn(
        &spec,
        (&a, &b),
        forward,
        x.as_ref(),
        IMAGE,
        AmStatistic::Pearson,
        &LsapSolver,
    )
    .unwrap();
    let taps_a = Cnn::vgg(&a)
        .unwrap()
        .group_activations(x.as_ref(), IMAGE)
        .unwrap();
    let taps_b = Cnn::vgg(&b)
        .unwrap()
        .group_activations(x.as_ref(), IMAGE)
        .unwrap();
    assert_eq!(taps_a.len(), spec.groups.len());
    for ((group, act_a), (_, act_b)) in taps_a.iter().zip(&taps_b) {
        let g = spec.groups.iter().position(|n| n == group).unwrap();
        let s = activation_scores(act_a, act_b, AmStatistic::Pearson);
        let expected = LsapSolver.solve_max(act_a.ncols(), &s).unwrap();
        assert_eq!(perms.perms[g], expected, "group {group}");
    }
}

#[test]
fn activation_matching_rejects_other_groups() {
    let (model, mut spec) = am_models().swap_remove(0);
    let forward = forward_of(&model);
    spec.groups[0] = "hidden".into();
    let err = activation_matching_cnn(
        &spec,
        (&model, &model),
        forward,
        images(4, 1).as_ref(),
        IMAGE,
        AmStatistic::Cross,
        &LsapSolver,
    )
    .unwrap_err();
    assert!(err.to_string().contains("group hidden"), "{err}");
}
