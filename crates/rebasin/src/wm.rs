//! Weight matching by block coordinate ascent (Ainsworth, Hayase, Srinivasa,
//! "Git Re-Basin", ICLR 2023, §3.2 and Algorithm 1).
//!
//! The objective `J(π) = Σ_k c_k ⟨A_k, π(B)_k⟩_F` is maximised one group at a
//! time. With the other groups fixed, `J = ⟨P_g, S_g⟩ + const` with
//! `S_g = Σ_{(k,a) ∈ E_g} c_k · mat_a(A_k) · mat_a(B̃_k)^T`, where `B̃_k` is B_k
//! with every other group applied and `mat_a` moves axis a to the front. Each step
//! solves the assignment `c = argmax Σ_i S_g[i, c[i]]` and always stores c. A
//! sweep makes progress when `new > old + tol_abs + tol_rel·|old|`, and the loop
//! stops after the first sweep without progress. These are the semantics of the
//! reference `samuela/git-re-basin` `src/weight_matching.py`, as derived in the
//! normlab rebasin specification, §2.3–2.4.
//!
//! ```
//! use rebasin::model::{Model, Tensor};
//! use rebasin::lap::LsapSolver;
//! use rebasin::spec::{Layout, PermSpec};
//! use rebasin::wm::{WmParams, weight_matching};
//!
//! let mut a = Model::default();
//! a.insert("layers.0.weight", Tensor::from_f64(vec![3, 1], vec![1.0, 2.0, 3.0]));
//! a.insert("layers.1.weight", Tensor::from_f64(vec![1, 3], vec![4.0, 5.0, 6.0]));
//! let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
//! let t = vec![2, 0, 1];
//! let b = rebasin::perm::Perms { groups: spec.groups.clone(), perms: vec![t] }.apply(&spec, &a);
//! let options = WmParams::default().check().unwrap();
//! let report = weight_matching(&spec, &a, &b, &options, &LsapSolver).unwrap();
//! assert_eq!(report.perms.perms[0], vec![1, 2, 0]); // the inverse of t
//! assert_eq!(report.l2_after, 0.0);
//! ```

mod score;

use std::time::Instant;

use rand::SeedableRng;
use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::lap::{LapSolver, assignment_value};
use crate::model::Model;
use crate::perm::{Perms, take_axis_into};
use crate::spec::PermSpec;
use score::{Bucket, Operands, ScoreCache};

/// Group visiting order of each sweep.
#[derive(Clone, Debug, PartialEq)]
pub enum Order {
    /// A fresh shuffle of 0..G per sweep from one `ChaCha8Rng::seed_from_u64(seed)`.
    Random {
        /// Seed of the order stream.
        seed: u64,
    },
    /// 0..G in every sweep.
    Fixed,
    /// One recorded order per sweep; running past the end is an error.
    Replay(Vec<Vec<usize>>),
}

/// Arithmetic of the score-matrix products.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Precision {
    /// f64 GEMMs (default, bit-exact parity with the x64 reference).
    F64,
    /// f32 GEMMs accumulated into an f64 score matrix.
    F32,
}

/// Unchecked weight-matching hyper-parameters; [`WmParams::check`] validates them.
#[derive(Clone, Debug, PartialEq)]
pub struct WmParams {
    /// Maximum number of sweeps (default 100).
    pub max_iter: usize,
    /// Group order (default random with seed 0).
    pub order: Order,
    /// Absolute progress tolerance (default 1e-12, the reference value).
    pub tol_abs: f64,
    /// Relative progress tolerance, times |old| (default 0; 1e-9 suits f32).
    pub tol_rel: f64,
    /// GEMM precision (default f64).
    pub precision: Precision,
    /// Warm start; identity when `None`.
    pub init: Option<Perms>,
    /// Runs with seeds seed..seed+R−1 (random order only), keeping the largest J.
    pub restarts: usize,
}

impl Default for WmParams {
    fn default() -> Self {
        Self {
            max_iter: 100,
            order: Order::Random { seed: 0 },
            tol_abs: 1e-12,
            tol_rel: 0.0,
            precision: Precision::F64,
            init: None,
            restarts: 1,
        }
    }
}

/// Validated weight-matching options.
#[derive(Clone, Debug, PartialEq)]
pub struct WmOptions(WmParams);

impl WmOptions {
    /// Returns the validated parameters.
    pub fn params(&self) -> &WmParams {
        &self.0
    }
}

impl WmParams {
    /// Validates the parameters.
    ///
    /// # Errors
    /// [`Error::Param`] for `max_iter` = 0, a negative or non-finite tolerance or
    /// `restarts` = 0.
    pub fn check(self) -> Result<WmOptions> {
        if self.max_iter == 0 {
            return Err(param("max_iter", "0", "max_iter must be ≥ 1"));
        }
        if !(self.tol_abs >= 0.0 && self.tol_abs.is_finite()) {
            return Err(param(
                "tol_abs",
                self.tol_abs,
                "the tolerance must be finite and ≥ 0",
            ));
        }
        if !(self.tol_rel >= 0.0 && self.tol_rel.is_finite()) {
            return Err(param(
                "tol_rel",
                self.tol_rel,
                "the tolerance must be finite and ≥ 0",
            ));
        }
        if self.restarts == 0 {
            return Err(param("restarts", "0", "restarts must be ≥ 1"));
        }
        Ok(WmOptions(self))
    }
}

fn param(name: &'static str, value: impl ToString, rule: &'static str) -> Error {
    Error::Param {
        name,
        value: value.to_string(),
        rule,
    }
}

/// Result of one weight-matching run.
#[derive(Clone, Debug, PartialEq)]
pub struct WmReport {
    /// Permutations of the source model (take convention).
    pub perms: Perms,
    /// Sweeps run, counting the final one without progress.
    pub sweeps: usize,
    /// Whether a sweep without progress ended the loop (false at max_iter).
    pub converged: bool,
    /// J at the initial permutations.
    pub objective_before: f64,
    /// J after each sweep.
    pub objective_trace: Vec<f64>,
    /// ‖θ_A − θ_B‖₂ over all float tensors.
    pub l2_before: f64,
    /// ‖θ_A − π(θ_B)‖₂ over all float tensors.
    pub l2_after: f64,
    /// Seed of the kept run (random order), else `None`.
    pub seed: Option<u64>,
    /// Wall-clock time of the whole call, seconds.
    pub seconds: f64,
}

/// Aligns `source` (B) to `target` (A) by weight matching.
///
/// # Errors
/// [`Error::MissingTensor`] or [`Error::ShapeMismatch`] when the models differ,
/// [`Error::Spec`] when the spec does not fit, [`Error::NonFinite`] for NaN or
/// infinity in a matched tensor, [`Error::Perm`] for a bad warm start,
/// [`Error::Order`] for an invalid or exhausted replay list.
pub fn weight_matching(
    spec: &PermSpec,
    target: &Model,
    source: &Model,
    options: &WmOptions,
    lap: &dyn LapSolver,
) -> Result<WmReport> {
    let start = Instant::now();
    let o = options.params();
    target.check_same_layout(source, ("A", "B"))?;
    let sizes = spec.validate(target)?;
    let names: Vec<&str> = spec.tensors.iter().map(|(n, _)| n.as_str()).collect();
    target.check_finite(names.iter().copied())?;
    source.check_finite(names.iter().copied())?;
    if let Some(init) = &o.init {
        init.check(spec, &sizes)?;
    }
    let problem = Problem::new(spec, target, source, &sizes, o.precision);
    let seeds: Vec<Option<u64>> = match o.order {
        Order::Random { seed } => (0..o.restarts as u64).map(|r| Some(seed + r)).collect(),
        _ => vec![None],
    };
    let mut best: Option<WmReport> = None;
    for seed in seeds {
        let report = problem.run(o, seed, lap)?;
        let better = best
            .as_ref()
            .is_none_or(|b| report.objective_final() > b.objective_final());
        if better {
            best = Some(report);
        }
    }
    let mut report = best.expect("restarts ≥ 1 gives one run");
    report.l2_before = target.l2_distance(source);
    report.l2_after = target.l2_distance(&report.perms.apply(spec, source));
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

impl WmReport {
    /// J after the last sweep.
    pub fn objective_final(&self) -> f64 {
        self.objective_trace
            .last()
            .copied()
            .unwrap_or(self.objective_before)
    }
}

/// Borrowed models, spec and group structure of one matching problem.
struct Problem<'a> {
    sizes: &'a [usize],
    operands: Operands<'a>,
    buckets: Vec<Vec<Bucket>>,
    /// Inner product of the float tensors outside the spec (constant in π).
    unspecified: f64,
}

impl<'a> Problem<'a> {
    fn new(
        spec: &'a PermSpec,
        target: &'a Model,
        source: &'a Model,
        sizes: &'a [usize],
        precision: Precision,
    ) -> Self {
        let unspecified = spec
            .unpermuted(target)
            .into_iter()
            .filter(|n| target.tensors[*n].is_float())
            .map(|n| dot(&target.tensors[n].values, &source.tensors[n].values))
            .sum();
        Self {
            sizes,
            operands: Operands::new(spec, target, source, precision),
            buckets: score::buckets(spec, target),
            unspecified,
        }
    }

    /// Returns J(π) = Σ_k c_k ⟨A_k, π(B)_k⟩ plus the tensors outside the spec.
    /// The permuted tensors go through the cache's scratch buffers.
    fn objective(&self, perms: &Perms, cache: &mut ScoreCache) -> f64 {
        let Operands {
            spec,
            target,
            source,
            ..
        } = self.operands;
        let (taken, spare) = cache.scratch();
        let specified: f64 = spec
            .tensors
            .iter()
            .map(|(name, ts)| {
                let b = &source.tensors[name];
                let mut permuted = false;
                for (axis, map) in ts.axes.iter().enumerate() {
                    if let Some((g, block)) = map.group() {
                        let from = if permuted { &*taken } else { &b.values };
                        take_axis_into(from, &b.shape, axis, block, &perms.perms[g], spare);
                        std::mem::swap(taken, spare);
                        permuted = true;
                    }
                }
                let b = if permuted { &*taken } else { &b.values };
                ts.cost_weight * dot(&target.tensors[name].values, b)
            })
            .sum();
        specified + self.unspecified
    }

    fn run(&self, o: &WmParams, seed: Option<u64>, lap: &dyn LapSolver) -> Result<WmReport> {
        let spec = self.operands.spec;
        let groups = spec.groups.len();
        let mut perms = o
            .init
            .clone()
            .unwrap_or_else(|| Perms::identity(spec, self.sizes));
        let mut rng = ChaCha8Rng::seed_from_u64(seed.unwrap_or(0));
        let mut cache = ScoreCache::new(&self.buckets);
        let objective_before = self.objective(&perms, &mut cache);
        let mut trace = Vec::new();
        let mut converged = false;
        for t in 0..o.max_iter {
            let order = sweep_order(&o.order, t, groups, &mut rng)?;
            let mut progress = false;
            for g in order {
                progress |= self.step(g, &mut perms, o, lap, &mut cache)?;
            }
            trace.push(self.objective(&perms, &mut cache));
            tracing::debug!(sweep = t, objective = trace[t], "weight-matching sweep");
            if !progress {
                converged = true;
                break;
            }
        }
        if !converged {
            tracing::warn!(
                max_iter = o.max_iter,
                "weight matching reached max_iter without converging"
            );
        }
        Ok(WmReport {
            perms,
            sweeps: trace.len(),
            converged,
            objective_before,
            objective_trace: trace,
            l2_before: f64::NAN,
            l2_after: f64::NAN,
            seed,
            seconds: 0.0,
        })
    }

    /// One coordinate step on group g; returns whether it made progress.
    ///
    /// A step whose score matrix equals that of g's last solve is skipped: the
    /// solver would return the same columns, so J cannot grow.
    fn step(
        &self,
        g: usize,
        perms: &mut Perms,
        o: &WmParams,
        lap: &dyn LapSolver,
        cache: &mut ScoreCache,
    ) -> Result<bool> {
        let n = self.sizes[g];
        let Some(s) = cache.score(&self.operands, &self.buckets[g], g, n, perms) else {
            return Ok(false);
        };
        let c = lap.solve_max(n, s).map_err(|e| match e {
            Error::Assignment { reason, .. } => Error::Assignment {
                group: self.operands.spec.groups[g].clone(),
                reason,
            },
            other => other,
        })?;
        let old = assignment_value(n, s, &perms.perms[g]);
        let new = assignment_value(n, s, &c);
        let changed = c != perms.perms[g];
        perms.perms[g] = c;
        cache.record(g, changed);
        Ok(new > old + o.tol_abs + o.tol_rel * old.abs())
    }
}

/// Returns Σ_i x_i y_i, summed in index order.
fn dot(x: &[f64], y: &[f64]) -> f64 {
    x.iter().zip(y).map(|(a, b)| a * b).sum()
}

/// Returns the group order of sweep t.
fn sweep_order(order: &Order, t: usize, groups: usize, rng: &mut ChaCha8Rng) -> Result<Vec<usize>> {
    match order {
        Order::Fixed => Ok((0..groups).collect()),
        Order::Random { .. } => {
            let mut v: Vec<usize> = (0..groups).collect();
            v.shuffle(rng);
            Ok(v)
        }
        Order::Replay(list) => {
            let v = list.get(t).ok_or_else(|| {
                Error::Order(format!(
                    "the replay list has {} sweeps but sweep {} was requested; record more sweeps or lower --max-iter",
                    list.len(),
                    t + 1
                ))
            })?;
            let mut sorted = v.clone();
            sorted.sort_unstable();
            if sorted != (0..groups).collect::<Vec<_>>() {
                return Err(Error::Order(format!(
                    "sweep {} of the replay list is {v:?}, not a permutation of the group indices 0 to {}",
                    t + 1,
                    groups.saturating_sub(1)
                )));
            }
            Ok(v.clone())
        }
    }
}
