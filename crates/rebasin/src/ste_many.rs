//! Straight-through estimator for N ≥ 2 models: one free copy per extra model
//! and the loss at a random convex combination of all models.
//!
//! Model 0 stays fixed. Every other model i gets a free copy θ̃_i, initialised
//! to θ_0. Per minibatch:
//! 1. `π_i = WM(target θ̃_i, source θ_i)`, warm-started from the previous π_i.
//! 2. Convex weights `w = u / Σu` with `u_j ~ U(0, 1)`.
//! 3. The loss at `m = w_0 θ_0 + Σ_i w_i π_i(θ_i)`. Straight through each
//!    projection, `∇_θ̃_i = w_i ∇L(m)`, and SGD steps every θ̃_i.
//!
//! The loss above the endpoints, `L(m) − Σ_j w_j L_train(θ_j)`, selects the kept permutations
//! (`best`) unless the last ones are requested. With N = 2 this differs from
//! [`crate::ste::straight_through`] only in the random weights, which that
//! function fixes at ½.
//!
//! ```no_run
//! # use rebasin::ste::SteParams;
//! # use rebasin::ste_many::straight_through_many;
//! # fn demo(spec: &rebasin::spec::PermSpec, models: &[rebasin::model::Model],
//! #         x: faer::MatRef<'_, f64>, y: &[usize]) {
//! let options = SteParams::default().check().unwrap();
//! let report = straight_through_many(spec, models, x, y, &options).unwrap();
//! println!("{} permutations, loss {}", report.perms.len(), report.loss);
//! # }
//! ```

use faer::{Mat, MatRef};
use rand_chacha::ChaCha8Rng;
use tape::{Optimizer, ParamStore, Sgd, SgdConfig, Tape};

use crate::error::{Error, Result};
use crate::lap::LsapSolver;
use crate::model::Model;
use crate::nn::Mlp;
use crate::perm::Perms;
use crate::spec::PermSpec;
use crate::ste::{SteOptions, SteParams};
use crate::train::{LayerIds, from_store, mlp_loss, to_store};
use crate::wm::{Order, WmParams, weight_matching};

/// Result of an N-model STE run.
#[derive(Clone, Debug, PartialEq)]
pub struct SteManyReport {
    /// Kept permutation of every model; the first is the identity.
    pub perms: Vec<Perms>,
    /// Minibatch loss at the weighted model of the kept permutations minus
    /// the same-weighted training loss of the endpoints, `L(m) − Σ_j w_j
    /// L_train(θ_j)`. It selects the kept permutations and is negative when
    /// the weighted model beats the endpoints on that minibatch.
    pub loss_above_endpoints: f64,
    /// Minibatch loss `L(m)` of the kept permutations (cross-entropy, nats).
    pub loss: f64,
    /// Minibatch steps run.
    pub steps: usize,
    /// Step (1-based) whose permutations were kept.
    pub best_step: usize,
    /// Epoch (1-based) that contains `best_step`.
    pub best_epoch: usize,
}

/// The free copy θ̃_i of one model, with its optimiser and current π_i.
struct FreeCopy {
    store: ParamStore,
    ids: LayerIds,
    sgd: Sgd,
    perms: Perms,
}

/// Searches the permutations of `models[1..]` with the N-model
/// straight-through estimator on the rows of `x` (training split) with labels
/// `y`.
///
/// # Errors
/// [`Error::Param`] for fewer than 2 models, [`Error::NotMlp`] when a model is
/// not a built-in MLP, [`Error::Data`] when the data is smaller than one batch,
/// and any error of weight matching.
pub fn straight_through_many(
    spec: &PermSpec,
    models: &[Model],
    x: MatRef<'_, f64>,
    y: &[usize],
    options: &SteOptions,
) -> Result<SteManyReport> {
    let p = options.params();
    check_inputs(models, x, y, p)?;
    let baselines = models
        .iter()
        .map(|m| Ok(Mlp::from_model(m)?.loss_acc(x, y).0))
        .collect::<Result<Vec<f64>>>()?;
    let identity = Perms::identity(spec, &spec.validate(&models[0])?);
    let mut free = (1..models.len())
        .map(|_| free_copy(&models[0], &identity, p))
        .collect::<Result<Vec<_>>>()?;

    let mut shuffle_rng = tape::rng::stream(p.seed, "ste-shuffle");
    let mut weight_rng = tape::rng::stream(p.seed, "ste-weights");
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    let mut best = vec![identity.clone(); models.len()];
    let (mut best_loss, mut best_plain, mut best_step, mut best_epoch) = (f64::INFINITY, 0.0, 0, 0);
    let mut steps = 0;
    let mut t = Tape::new();
    for epoch in 1..=p.epochs {
        tape::rng::shuffle(&mut shuffle_rng, &mut order);
        for rows in order.chunks_exact(p.batch) {
            let weights = convex_weights(&mut weight_rng, models.len());
            project(spec, models, &mut free, p.seed)?;
            let plain = step(spec, models, &mut free, &mut t, (x, y, rows), &weights)?;
            let logged = plain - dot(&weights, &baselines);
            steps += 1;
            if !p.keep_best || logged < best_loss {
                (best_loss, best_plain) = (logged, plain);
                (best_step, best_epoch) = (steps, epoch);
                best = std::iter::once(identity.clone())
                    .chain(free.iter().map(|c| c.perms.clone()))
                    .collect();
            }
        }
    }
    Ok(SteManyReport {
        perms: best,
        loss_above_endpoints: best_loss,
        loss: best_plain,
        steps,
        best_step,
        best_epoch,
    })
}

fn check_inputs(models: &[Model], x: MatRef<'_, f64>, y: &[usize], p: &SteParams) -> Result<()> {
    if models.len() < 2 {
        return Err(Error::Param {
            name: "models",
            value: models.len().to_string(),
            rule: "STE needs at least 2 models",
        });
    }
    for (i, m) in models.iter().enumerate().skip(1) {
        models[0].check_same_layout(m, ("model 1", &format!("model {}", i + 1)))?;
    }
    if y.len() != x.nrows() {
        return Err(Error::Data(format!(
            "STE needs one label per row of x, got {} labels for {} rows",
            y.len(),
            x.nrows()
        )));
    }
    if x.nrows() < p.batch {
        return Err(Error::Data(format!(
            "STE needs at least one batch of {} labelled rows, got {}",
            p.batch,
            x.nrows()
        )));
    }
    Ok(())
}

fn free_copy(first: &Model, identity: &Perms, p: &SteParams) -> Result<FreeCopy> {
    let (store, ids) = to_store(first)?;
    let sgd = Sgd::new(SgdConfig {
        lr: p.lr,
        momentum: p.momentum,
    });
    Ok(FreeCopy {
        store,
        ids,
        sgd,
        perms: identity.clone(),
    })
}

/// Returns N weights `u_j / Σu` with `u_j ~ U(0, 1)`.
fn convex_weights(rng: &mut ChaCha8Rng, n: usize) -> Vec<f64> {
    let u: Vec<f64> = (0..n).map(|_| tape::rng::uniform(rng, 0.0, 1.0)).collect();
    let total: f64 = u.iter().sum();
    u.iter().map(|v| v / total).collect()
}

/// Sets every π_i to `WM(target θ̃_i, source θ_i)`, warm-started from π_i.
fn project(spec: &PermSpec, models: &[Model], free: &mut [FreeCopy], seed: u64) -> Result<()> {
    for (copy, model) in free.iter_mut().zip(&models[1..]) {
        let tilde = from_store(&copy.store, &copy.ids);
        let options = WmParams {
            order: Order::Random { seed },
            init: Some(copy.perms.clone()),
            ..WmParams::default()
        }
        .check()?;
        copy.perms = weight_matching(spec, &tilde, model, &options, &LsapSolver)?.perms;
    }
    Ok(())
}

/// Takes the loss at the weighted model on one minibatch, steps every θ̃_i
/// with `w_i ∇L(m)` and returns L(m).
fn step(
    spec: &PermSpec,
    models: &[Model],
    free: &mut [FreeCopy],
    t: &mut Tape,
    (x, y, rows): (MatRef<'_, f64>, &[usize], &[usize]),
    weights: &[f64],
) -> Result<f64> {
    let aligned: Vec<Model> = free
        .iter()
        .zip(&models[1..])
        .map(|(copy, m)| copy.perms.apply(spec, m))
        .collect();
    let refs: Vec<&Model> = std::iter::once(&models[0]).chain(&aligned).collect();
    let mid = Model::weighted_sum(&refs, weights);
    let (mid_store, mid_ids) = to_store(&mid)?;
    let xb = Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)]);
    let yb: Vec<usize> = rows.iter().map(|&r| y[r]).collect();

    t.reset();
    let loss = mlp_loss(t, &mid_store, &mid_ids, xb, &yb);
    let value = t.scalar_value(loss);
    for (copy, &w) in free.iter_mut().zip(&weights[1..]) {
        // ∂L/∂θ̃_i = w_i ∂L/∂m, because m = … + w_i θ̃_i straight through π_i.
        let scaled = t.scale_const(loss, w);
        let grads = t.backward(scaled);
        copy.sgd.step(&mut copy.store, &grads);
        t.recycle(grads);
    }
    Ok(value)
}

fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}
