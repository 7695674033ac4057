//! Straight-through estimator for permutation search (Ainsworth, Hayase,
//! Srinivasa, "Git Re-Basin", ICLR 2023, §3.3, reference "STEv2").
//!
//! A free copy θ̃, initialised to θ_A, replaces B's endpoint. Per minibatch:
//! `π = WM(target θ̃, source θ_B)` warm-started from the previous π and
//! `proj = π(θ_B)`; the loss is taken at `m = ½(θ_A + proj)` and, straight
//! through the projection, `∇_θ̃ = ½∇L(m)`; SGD with momentum steps θ̃. The loss
//! above the endpoints, `L(m) − ½(L_train(A) + L_train(B))`, selects the kept π
//! (`best`) unless the last one is requested (derived in the normlab rebasin specification, §2.8).
//!
//! STE runs on the built-in MLP only; [`crate::ste_many`] has the N-model variant.
//!
//! ```no_run
//! # use rebasin::ste::{SteParams, straight_through};
//! # fn demo(spec: &rebasin::spec::PermSpec, a: &rebasin::model::Model, b: &rebasin::model::Model,
//! #         x: faer::MatRef<'_, f64>, y: &[usize]) {
//! let report = straight_through(spec, a, b, x, y, &SteParams::default().check().unwrap()).unwrap();
//! println!("{:?}", report.perms);
//! # }
//! ```

use faer::{Mat, MatRef};
use tape::{Optimizer, Sgd, SgdConfig, Tape};

use crate::error::{Error, Result};
use crate::lap::LsapSolver;
use crate::model::Model;
use crate::nn::Mlp;
use crate::perm::Perms;
use crate::spec::PermSpec;
use crate::train::{from_store, mlp_loss, to_store};
use crate::wm::{Order, WmParams, weight_matching};

/// Unchecked STE hyper-parameters (digits defaults).
#[derive(Clone, Debug, PartialEq)]
pub struct SteParams {
    /// Passes over the training rows (default 20).
    pub epochs: usize,
    /// Minibatch size; the last partial batch is dropped (default 64).
    pub batch: usize,
    /// SGD learning rate (default 0.01).
    pub lr: f64,
    /// SGD momentum (default 0.9).
    pub momentum: f64,
    /// Seed of the minibatch order and of the inner weight matching.
    pub seed: u64,
    /// Keep the π with the lowest loss above the endpoints (true) or the last one.
    pub keep_best: bool,
}

impl Default for SteParams {
    fn default() -> Self {
        Self {
            epochs: 20,
            batch: 64,
            lr: 0.01,
            momentum: 0.9,
            seed: 0,
            keep_best: true,
        }
    }
}

/// Validated STE hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct SteOptions(SteParams);

impl SteOptions {
    /// Returns the validated parameters.
    pub fn params(&self) -> &SteParams {
        &self.0
    }
}

impl SteParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::Param`] for zero epochs or batch, a non-positive learning rate or
    /// a momentum outside [0, 1).
    pub fn check(self) -> Result<SteOptions> {
        let bad = |name, value: String, rule| Err(Error::Param { name, value, rule });
        if self.epochs == 0 {
            return bad("ste_epochs", "0".into(), "epochs must be ≥ 1");
        }
        if self.batch == 0 {
            return bad("ste_batch", "0".into(), "batch must be ≥ 1");
        }
        if !(self.lr > 0.0 && self.lr.is_finite()) {
            return bad(
                "ste_lr",
                self.lr.to_string(),
                "the learning rate must be finite and > 0",
            );
        }
        if !(0.0..1.0).contains(&self.momentum) {
            return bad(
                "momentum",
                self.momentum.to_string(),
                "momentum must be in [0, 1)",
            );
        }
        Ok(SteOptions(self))
    }
}

/// Result of an STE run.
#[derive(Clone, Debug, PartialEq)]
pub struct SteReport {
    /// Kept permutations of B.
    pub perms: Perms,
    /// Minibatch loss at the midpoint ½(θ_A + π(θ_B)) of the kept π, minus
    /// the mean training loss of the two endpoints. It selects the kept π and
    /// is negative when the midpoint beats the endpoints on that minibatch.
    pub loss_above_endpoints: f64,
    /// Minibatch loss at the midpoint of the kept π (cross-entropy, nats).
    pub loss: f64,
    /// Minibatch steps run.
    pub steps: usize,
    /// Step (1-based) whose π was kept.
    pub best_step: usize,
    /// Epoch (1-based) that contains `best_step`.
    pub best_epoch: usize,
}

/// Searches the permutations of B with the straight-through estimator on the
/// rows of `x` (training split) with labels `y`.
///
/// # Errors
/// [`Error::NotMlp`] when the models are not built-in MLPs, [`Error::Data`] when
/// the label count differs from the row count or the data is smaller than one
/// batch, and any error of weight matching.
pub fn straight_through(
    spec: &PermSpec,
    a: &Model,
    b: &Model,
    x: MatRef<'_, f64>,
    y: &[usize],
    options: &SteOptions,
) -> Result<SteReport> {
    let p = &options.0;
    let (mlp_a, mlp_b) = (Mlp::from_model(a)?, Mlp::from_model(b)?);
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
    let baseline = 0.5 * (mlp_a.loss_acc(x, y).0 + mlp_b.loss_acc(x, y).0);
    let (mut store, ids) = to_store(a)?;
    let mut sgd = Sgd::new(SgdConfig {
        lr: p.lr,
        momentum: p.momentum,
    });
    let mut rng = tape::rng::stream(p.seed, "ste-shuffle");
    let mut order: Vec<usize> = (0..x.nrows()).collect();
    let mut perms = Perms::identity(spec, &spec.validate(a)?);
    let mut best = perms.clone();
    let (mut best_loss, mut best_plain, mut best_step, mut best_epoch) = (f64::INFINITY, 0.0, 0, 0);
    let mut steps = 0;
    let mut t = Tape::new();
    for epoch in 1..=p.epochs {
        tape::rng::shuffle(&mut rng, &mut order);
        for rows in order.chunks_exact(p.batch) {
            let tilde = from_store(&store, &ids);
            let wm = WmParams {
                order: Order::Random { seed: p.seed },
                init: Some(perms.clone()),
                ..WmParams::default()
            }
            .check()?;
            perms = weight_matching(spec, &tilde, b, &wm, &LsapSolver)?.perms;
            let mid = a.lerp(&perms.apply(spec, b), 0.5);
            let (mid_store, mid_ids) = to_store(&mid)?;
            let xb = Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)]);
            let yb: Vec<usize> = rows.iter().map(|&r| y[r]).collect();
            t.reset();
            let loss = mlp_loss(&mut t, &mid_store, &mid_ids, xb, &yb);
            let plain = t.scalar_value(loss);
            let logged = plain - baseline;
            // ∂L/∂θ̃ = ½ ∂L/∂m, because m = ½(θ_A + θ̃) straight through the projection.
            let half = t.scale_const(loss, 0.5);
            let grads = t.backward(half);
            sgd.step(&mut store, &grads);
            t.recycle(grads);
            steps += 1;
            if !p.keep_best || logged < best_loss {
                (best_loss, best_plain) = (logged, plain);
                (best_step, best_epoch) = (steps, epoch);
                best = perms.clone();
            }
        }
    }
    Ok(SteReport {
        perms: best,
        loss_above_endpoints: best_loss,
        loss: best_plain,
        steps,
        best_step,
        best_epoch,
    })
}
