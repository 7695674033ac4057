//! Activation matching for the built-in MLP and the VGG-style and ResNet20
//! forwards (Ainsworth et al., "Git Re-Basin", ICLR 2023, §3.1).
//!
//! Per hidden layer, post-ReLU activations a_n of A and b_n of B on N inputs give
//! means ā, b̄, the centred sums `C = Σ_n (a_n − ā)(b_n − b̄)ᵀ`, `ssa_i`, `ssb_j`.
//! The score is either the reference MLP's cross moment `E_ab = C/(N−1) + ā b̄ᵀ`
//! or the Pearson correlation `C_ij / (√ssa_i √ssb_j)`, with 0 where a dead unit
//! makes it undefined. Each layer's permutation is `argmax_c Σ_i S[i, c[i]]`;
//! layers are independent (derived in the normlab rebasin specification, §2.7).
//!
//! ```
//! use rebasin::am::{AmStatistic, activation_matching};
//! use rebasin::lap::LsapSolver;
//! use rebasin::prng::portable_mlp;
//! use faer::Mat;
//!
//! let a = portable_mlp(&[3, 5, 2], 0);
//! let x = Mat::from_fn(16, 3, |i, j| ((i * 7 + j * 3) % 5) as f64 - 2.0);
//! let perms = activation_matching(&a, &a, x.as_ref(), AmStatistic::Cross, &LsapSolver).unwrap();
//! assert_eq!(perms.perms[0], vec![0, 1, 2, 3, 4]);
//! ```

use std::collections::BTreeMap;

use faer::{Mat, MatRef};

use crate::cnn::{Cnn, Image};
use crate::error::{Error, Result};
use crate::lap::LapSolver;
use crate::model::Model;
use crate::nn::Mlp;
use crate::perm::Perms;
use crate::spec::PermSpec;

/// Images per forward pass of CNN activation matching.
const CNN_BATCH: usize = 64;

/// Score of a pair of units.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AmStatistic {
    /// `C/(N−1) + ā b̄ᵀ` (reference MLP).
    Cross,
    /// Pearson correlation (reference VGG); 0 for dead units.
    Pearson,
}

/// Returns the n_a × n_b score matrix (row-major) of two activation matrices
/// (samples × units).
pub fn activation_scores(a: &Mat<f64>, b: &Mat<f64>, statistic: AmStatistic) -> Vec<f64> {
    CoMoments::of_batch(a, b).scores(statistic)
}

/// Sample count, means, centred cross sum `C = Σ_n (a_n − ā)(b_n − b̄)ᵀ` and
/// centred sums of squares of two sets of units observed on the same samples.
#[derive(Clone, Debug)]
struct CoMoments {
    count: usize,
    mean_a: Vec<f64>,
    mean_b: Vec<f64>,
    cross: Mat<f64>,
    ss_a: Vec<f64>,
    ss_b: Vec<f64>,
}

impl CoMoments {
    /// Moments of one batch of activations (samples × units).
    fn of_batch(a: &Mat<f64>, b: &Mat<f64>) -> Self {
        let n = a.nrows();
        let mean = |m: &Mat<f64>| -> Vec<f64> {
            (0..m.ncols())
                .map(|j| (0..n).map(|i| m[(i, j)]).sum::<f64>() / n as f64)
                .collect()
        };
        let (mean_a, mean_b) = (mean(a), mean(b));
        let ca = Mat::from_fn(n, a.ncols(), |i, j| a[(i, j)] - mean_a[j]);
        let cb = Mat::from_fn(n, b.ncols(), |i, j| b[(i, j)] - mean_b[j]);
        let ss = |m: &Mat<f64>| -> Vec<f64> {
            (0..m.ncols())
                .map(|j| (0..n).map(|i| m[(i, j)].powi(2)).sum())
                .collect()
        };
        Self {
            count: n,
            cross: ca.transpose() * &cb,
            ss_a: ss(&ca),
            ss_b: ss(&cb),
            mean_a,
            mean_b,
        }
    }

    /// Pools the moments of another batch of the same units (Chan, Golub and
    /// LeVeque's pairwise update: the sums gain `n₁n₂/n · δ_a δ_bᵀ`, where δ is
    /// the difference of the batch means).
    fn merge(&mut self, other: &Self) {
        let (n1, n2) = (self.count as f64, other.count as f64);
        let n = n1 + n2;
        let delta =
            |x: &[f64], y: &[f64]| -> Vec<f64> { y.iter().zip(x).map(|(b, a)| b - a).collect() };
        let (da, db) = (
            delta(&self.mean_a, &other.mean_a),
            delta(&self.mean_b, &other.mean_b),
        );
        let w = n1 * n2 / n;
        for (j, dbj) in db.iter().enumerate() {
            for (i, dai) in da.iter().enumerate() {
                self.cross[(i, j)] += other.cross[(i, j)] + w * dai * dbj;
            }
        }
        for (i, d) in da.iter().enumerate() {
            self.ss_a[i] += other.ss_a[i] + w * d * d;
            self.mean_a[i] += d * n2 / n;
        }
        for (j, d) in db.iter().enumerate() {
            self.ss_b[j] += other.ss_b[j] + w * d * d;
            self.mean_b[j] += d * n2 / n;
        }
        self.count += other.count;
    }

    /// Returns the n_a × n_b score matrix (row-major), with non-finite scores set
    /// to 0.
    fn scores(&self, statistic: AmStatistic) -> Vec<f64> {
        let (na, nb) = (self.mean_a.len(), self.mean_b.len());
        let n = self.count as f64;
        let mut out = vec![0.0; na * nb];
        for i in 0..na {
            for j in 0..nb {
                let c = self.cross[(i, j)];
                let v = match statistic {
                    AmStatistic::Cross => c / (n - 1.0) + self.mean_a[i] * self.mean_b[j],
                    AmStatistic::Pearson => c / (self.ss_a[i].sqrt() * self.ss_b[j].sqrt()),
                };
                out[i * nb + j] = if v.is_finite() { v } else { 0.0 };
            }
        }
        out
    }
}

/// Matches B's hidden units to A's by their activations on the rows of `x`.
/// Groups are named `P_0..` as in the MLP preset.
///
/// # Errors
/// [`Error::NotMlp`] when a model is not a built-in MLP, [`Error::Data`] when
/// `x` has fewer than 2 rows or the wrong width.
pub fn activation_matching(
    a: &Model,
    b: &Model,
    x: MatRef<'_, f64>,
    statistic: AmStatistic,
    lap: &dyn LapSolver,
) -> Result<Perms> {
    a.check_same_layout(b, ("A", "B"))?;
    let (ma, mb) = (Mlp::from_model(a)?, Mlp::from_model(b)?);
    if x.nrows() < 2 || x.ncols() != ma.n_inputs() {
        return Err(Error::Data(format!(
            "activation matching needs at least 2 input rows of width {}, got {}×{}",
            ma.n_inputs(),
            x.nrows(),
            x.ncols()
        )));
    }
    let (ha, hb) = (ma.hidden_activations(x), mb.hidden_activations(x));
    let mut perms = Vec::new();
    for (l, (act_a, act_b)) in ha.iter().zip(&hb).enumerate() {
        let s = activation_scores(act_a, act_b, statistic);
        let c = lap.solve_max(act_a.ncols(), &s).map_err(|e| match e {
            Error::Assignment { reason, .. } => Error::Assignment {
                group: format!("P_{l}"),
                reason,
            },
            other => other,
        })?;
        perms.push(c);
    }
    Ok(Perms {
        groups: (0..perms.len()).map(|l| format!("P_{l}")).collect(),
        perms,
    })
}

/// Matches B's channels to A's for the VGG-style and ResNet20 forwards by their
/// post-ReLU activations on the images in the rows of `x`, where every spatial
/// position is a sample. A group read at several places (a ResNet's residual
/// stream after the stem and after each block) pools the samples of all of
/// them. `forward` reads a model, for example [`Cnn::vgg`] or [`Cnn::resnet`].
///
/// # Errors
/// [`Error::MissingTensor`] or [`Error::ShapeMismatch`] when the models differ,
/// [`Error::NotCnn`] from the forwards, [`Error::Data`] for fewer than 2 rows,
/// [`Error::Spec`] when a group of `spec` has no activations.
pub fn activation_matching_cnn<'m>(
    spec: &PermSpec,
    models: (&'m Model, &'m Model),
    forward: fn(&'m Model) -> Result<Cnn<'m>>,
    x: MatRef<'_, f64>,
    image: Image,
    statistic: AmStatistic,
    lap: &dyn LapSolver,
) -> Result<Perms> {
    if x.nrows() < 2 {
        return Err(Error::Data(format!(
            "activation matching needs at least 2 images, got {}",
            x.nrows()
        )));
    }
    models.0.check_same_layout(models.1, ("A", "B"))?;
    let nets = (forward(models.0)?, forward(models.1)?);
    let mut pooled: BTreeMap<String, CoMoments> = BTreeMap::new();
    for start in (0..x.nrows()).step_by(CNN_BATCH) {
        let rows = CNN_BATCH.min(x.nrows() - start);
        let batch = x.subrows(start, rows);
        let taps_a = nets.0.group_activations(batch, image)?;
        let taps_b = nets.1.group_activations(batch, image)?;
        for ((group, act_a), (_, act_b)) in taps_a.iter().zip(&taps_b) {
            let moments = CoMoments::of_batch(act_a, act_b);
            match pooled.get_mut(group) {
                Some(total) => total.merge(&moments),
                None => {
                    pooled.insert(group.clone(), moments);
                }
            }
        }
    }
    let mut perms = Vec::new();
    for group in &spec.groups {
        let moments = pooled.get(group).ok_or_else(|| {
            Error::Spec(format!(
                "the forward has no activations for group {group}; activation matching of CNNs needs the vgg or resnet20 preset"
            ))
        })?;
        let s = moments.scores(statistic);
        let n = moments.mean_a.len();
        let c = lap.solve_max(n, &s).map_err(|e| match e {
            Error::Assignment { reason, .. } => Error::Assignment {
                group: group.clone(),
                reason,
            },
            other => other,
        })?;
        perms.push(c);
    }
    Ok(Perms {
        groups: spec.groups.clone(),
        perms,
    })
}
