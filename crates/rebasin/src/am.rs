//! Activation matching for the built-in MLP (Ainsworth et al., "Git Re-Basin",
//! ICLR 2023, §3.1).
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

use faer::{Mat, MatRef};

use crate::error::{Error, Result};
use crate::lap::LapSolver;
use crate::model::Model;
use crate::nn::Mlp;
use crate::perm::Perms;

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
    let n = a.nrows();
    let mean = |m: &Mat<f64>| -> Vec<f64> {
        (0..m.ncols())
            .map(|j| (0..n).map(|i| m[(i, j)]).sum::<f64>() / n as f64)
            .collect()
    };
    let (ma, mb) = (mean(a), mean(b));
    let ca = Mat::from_fn(n, a.ncols(), |i, j| a[(i, j)] - ma[j]);
    let cb = Mat::from_fn(n, b.ncols(), |i, j| b[(i, j)] - mb[j]);
    let c = ca.transpose() * &cb;
    let ss = |m: &Mat<f64>| -> Vec<f64> {
        (0..m.ncols())
            .map(|j| (0..n).map(|i| m[(i, j)].powi(2)).sum())
            .collect()
    };
    let (ssa, ssb) = (ss(&ca), ss(&cb));
    let mut out = vec![0.0; a.ncols() * b.ncols()];
    for i in 0..a.ncols() {
        for j in 0..b.ncols() {
            let v = match statistic {
                AmStatistic::Cross => c[(i, j)] / (n as f64 - 1.0) + ma[i] * mb[j],
                AmStatistic::Pearson => c[(i, j)] / (ssa[i].sqrt() * ssb[j].sqrt()),
            };
            out[i * b.ncols() + j] = if v.is_finite() { v } else { 0.0 };
        }
    }
    out
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
