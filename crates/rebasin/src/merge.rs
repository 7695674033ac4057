//! Merging N ≥ 2 models: MergeMany (Ainsworth et al., "Git Re-Basin", ICLR 2023,
//! Algorithm 3) and alignment to the first model.
//!
//! MergeMany repeats, up to 100 rounds: for each model i in a random order,
//! `μ = mean of the other N−1 current models`, `θ_i ← π(θ_i)` with
//! `π = WM(target μ, source θ_i)` started from the identity. Each inner
//! matching draws a fresh random group order. A round makes progress
//! when `‖μ − θ_i‖` drops by more than 1e-12. The merged model is `Σ w_i θ_i`,
//! as in the reference implementation `src/mnist_mlp_wm_many.py`.
//!
//! ```
//! use rebasin::merge::{MergeMethod, MergeParams, merge_models};
//! use rebasin::prng::portable_mlp;
//! use rebasin::spec::{Layout, PermSpec};
//!
//! let models = vec![portable_mlp(&[3, 5, 2], 0), portable_mlp(&[3, 5, 2], 1)];
//! let spec = PermSpec::mlp(&models[0], Layout::Torch).unwrap();
//! let options = MergeParams { method: MergeMethod::ToFirst, ..MergeParams::default() };
//! let report = merge_models(&spec, &models, &options.check(2).unwrap()).unwrap();
//! assert_eq!(report.perms.len(), 2);
//! ```

use rand::seq::SliceRandom;
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::lap::LsapSolver;
use crate::model::Model;
use crate::perm::{Perms, compose};
use crate::spec::PermSpec;
use crate::wm::{Order, WmParams, weight_matching};

/// Method that brings the models into one frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MergeMethod {
    /// Iterative MergeMany.
    MergeMany,
    /// Align every model to the first one once.
    ToFirst,
}

// NOTE: there is no separate warm start (`--warm`, each model keeping its last
// π as Ito et al. do). Every inner matching starts from the identity on the
// model as it was last permuted, as `src/mnist_mlp_wm_many.py` does. That
// identity already is the last π in the original model's frame. BatchNorm repair of the merged
// model lives in the CLI (`merge --bn-repair`).
/// Unchecked merge hyper-parameters.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeParams {
    /// Method (default MergeMany).
    pub method: MergeMethod,
    /// Weights w_i summing to 1; `None` means 1/N each.
    pub weights: Option<Vec<f64>>,
    /// Seed of the model order and of each inner weight matching.
    pub seed: u64,
    /// Maximum MergeMany rounds (default 100).
    pub max_rounds: usize,
}

impl Default for MergeParams {
    fn default() -> Self {
        Self {
            method: MergeMethod::MergeMany,
            weights: None,
            seed: 0,
            max_rounds: 100,
        }
    }
}

/// Validated merge options with resolved weights.
#[derive(Clone, Debug, PartialEq)]
pub struct MergeOptions {
    params: MergeParams,
    weights: Vec<f64>,
}

impl MergeParams {
    /// Validates the parameters for `n` models.
    ///
    /// # Errors
    /// [`Error::Param`] for fewer than 2 models, a weight count other than n,
    /// a negative or non-finite weight, weights not summing to 1 (±1e-9), or
    /// `max_rounds` = 0.
    pub fn check(self, n: usize) -> Result<MergeOptions> {
        if n < 2 {
            return Err(Error::Param {
                name: "models",
                value: n.to_string(),
                rule: "merging needs at least 2 models",
            });
        }
        if self.max_rounds == 0 {
            return Err(Error::Param {
                name: "max_rounds",
                value: "0".into(),
                rule: "max_rounds must be ≥ 1",
            });
        }
        let weights = self
            .weights
            .clone()
            .unwrap_or_else(|| vec![1.0 / n as f64; n]);
        if weights.len() != n || weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) {
            return Err(Error::Param {
                name: "weights",
                value: format!("{weights:?}"),
                rule: "give one finite weight ≥ 0 per model",
            });
        }
        if (weights.iter().sum::<f64>() - 1.0).abs() > 1e-9 {
            return Err(Error::Param {
                name: "weights",
                value: format!("{weights:?}"),
                rule: "the weights must sum to 1",
            });
        }
        Ok(MergeOptions {
            params: self,
            weights,
        })
    }
}

impl MergeOptions {
    /// Returns the weights w_i, one per model.
    pub fn weights(&self) -> &[f64] {
        &self.weights
    }
}

/// Result of a merge.
#[derive(Clone, Debug)]
pub struct MergeReport {
    /// `Σ w_i π_i(θ_i)`.
    pub merged: Model,
    /// Aligned models π_i(θ_i).
    pub aligned: Vec<Model>,
    /// Permutation of each original model (take convention).
    pub perms: Vec<Perms>,
    /// MergeMany rounds run (1 for to-first).
    pub rounds: usize,
    /// Whether a round without progress ended the loop.
    pub converged: bool,
    /// Weights used.
    pub weights: Vec<f64>,
}

/// Merges `models` into one.
///
/// # Errors
/// Any error of [`weight_matching`] (layout, spec or non-finite weights).
pub fn merge_models(
    spec: &PermSpec,
    models: &[Model],
    options: &MergeOptions,
) -> Result<MergeReport> {
    let p = &options.params;
    for (i, m) in models.iter().enumerate().skip(1) {
        models[0].check_same_layout(m, ("model 1", &format!("model {}", i + 1)))?;
    }
    let sizes = spec.validate(&models[0])?;
    let mut aligned: Vec<Model> = models.to_vec();
    let mut perms: Vec<Perms> = models
        .iter()
        .map(|_| Perms::identity(spec, &sizes))
        .collect();
    let (rounds, converged) = match p.method {
        MergeMethod::ToFirst => {
            align_to_first(spec, &mut aligned, &mut perms, p.seed)?;
            (1, true)
        }
        MergeMethod::MergeMany => merge_many(spec, &mut aligned, &mut perms, p)?,
    };
    let refs: Vec<&Model> = aligned.iter().collect();
    let merged = Model::weighted_sum(&refs, &options.weights);
    Ok(MergeReport {
        merged,
        aligned,
        perms,
        rounds,
        converged,
        weights: options.weights.clone(),
    })
}

fn wm_options(seed: u64) -> crate::wm::WmOptions {
    WmParams {
        order: Order::Random { seed },
        ..WmParams::default()
    }
    .check()
    .expect("default weight-matching parameters are valid")
}

fn align_to_first(
    spec: &PermSpec,
    aligned: &mut [Model],
    perms: &mut [Perms],
    seed: u64,
) -> Result<()> {
    let (first, rest) = aligned.split_first_mut().expect("at least 2 models");
    for (m, p) in rest.iter_mut().zip(perms.iter_mut().skip(1)) {
        let r = weight_matching(spec, first, m, &wm_options(seed), &LsapSolver)?;
        *m = r.perms.apply(spec, m);
        *p = r.perms;
    }
    Ok(())
}

fn merge_many(
    spec: &PermSpec,
    aligned: &mut [Model],
    perms: &mut [Perms],
    p: &MergeParams,
) -> Result<(usize, bool)> {
    let n = aligned.len();
    let mut rng = ChaCha8Rng::seed_from_u64(p.seed);
    let others_weight = vec![1.0 / (n - 1) as f64; n - 1];
    for round in 0..p.max_rounds {
        let mut order: Vec<usize> = (0..n).collect();
        order.shuffle(&mut rng);
        let mut progress = false;
        for i in order {
            // Each inner matching draws its own group order, as
            // `src/mnist_mlp_wm_many.py` keys its stream by round and model.
            let inner_seed = rng.next_u64();
            let others: Vec<&Model> = (0..n).filter(|&j| j != i).map(|j| &aligned[j]).collect();
            let mean = Model::weighted_sum(&others, &others_weight);
            let before = mean.l2_distance(&aligned[i]);
            let r = weight_matching(
                spec,
                &mean,
                &aligned[i],
                &wm_options(inner_seed),
                &LsapSolver,
            )?;
            aligned[i] = r.perms.apply(spec, &aligned[i]);
            for (total, step) in perms[i].perms.iter_mut().zip(&r.perms.perms) {
                *total = compose(total, step);
            }
            progress |= mean.l2_distance(&aligned[i]) < before - 1e-12;
        }
        tracing::debug!(round, progress, "MergeMany round");
        if !progress {
            return Ok((round + 1, true));
        }
    }
    Ok((p.max_rounds, false))
}
