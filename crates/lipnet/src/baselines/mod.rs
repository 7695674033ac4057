//! Baseline 1-Lipschitz layer families and the tabular networks built from them.
//!
//! Each family module gives the layer's formula and source: [`sll`] (SLL
//! residual and sequential dense), [`aol`], [`sandwich`] (LBDN), [`cpl`],
//! [`specnorm`] and the unconstrained [`mlp`]. A layer records its
//! parameterization on the tape as a [`LayerVars`], the layer form the
//! verifiers of [`crate::verify`] read, so every baseline gets the exhaustive,
//! greedy, sampled-Jacobian and PGD checks (the LMI is LDLᵀ-only).
//!
//! [`BaselineNet`] assembles the tabular networks for widths n_1..n_D (spec:
//! normlab lipnet specification, baselines):
//!
//! - `sll-res`, `cpl`: lift ℝ^{n_in} → ℝ^w with w = n_1 (zero padding when
//!   w ≥ n_in, otherwise an AOL linear map), D residual layers on ℝ^w with
//!   inner widths n_1..n_D, and an AOL linear head.
//! - `sll-seq`, `aol`, `specnorm`, `mlp`: D dense layers ℝ^{n_{k−1}} → ℝ^{n_k}
//!   and a linear head of the same family (AOL for `sll-seq`).
//! - `sandwich`: D Sandwich layers and the Sandwich head.
//!
//! For L ≠ 1 the head output is multiplied by L, so the network is L-Lipschitz.
//! The `mlp` bound is L·∏‖W_k‖₂ with exact norms.
//!
//! NOTES:
//!
//! - Layer parameters are named `lift.*`, `layer{k}.*` and `head.*` in the
//!   parameter store and in model files.
//! - AOL's orthogonal initialization puts the off-diagonal entries of WᵀW at 0,
//!   the kink of |·|; the tape uses the subgradient 0 there, so finite
//!   differences disagree with the gradient at the initial point only.
//! - CPL and spectral normalization compute an SVD per layer per step; no
//!   power-iteration shortcut is offered because it would void the bound.
//!
//! ```
//! use lipnet::model::{ArchParams, LipModel, ModelId};
//!
//! let arch = ArchParams::new(ModelId::SllRes, 3, 2, vec![4, 4], 2.0).check().unwrap();
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let net = lipnet::model::build(&arch, &mut store, &mut rng).unwrap();
//! let (bound, _) = lipnet::verify::exhaustive(&net.network(&store).unwrap(), 16).unwrap();
//! assert!(bound <= 2.0 * (1.0 + 1e-9));
//! ```

pub mod aol;
pub mod cpl;
pub mod mlp;
mod net;
pub mod sandwich;
pub mod sll;
pub mod specnorm;

pub use aol::{Aol, aol_rescale};
pub use cpl::Cpl;
pub use mlp::Plain;
pub use net::{BaselineNet, ZeroPad};
pub use sandwich::{Sandwich, sandwich_q};
pub use sll::{SllDense, SllResidual, sll_row_sums};
pub use specnorm::{SpecNorm, spectral_norm_var, top_singular_pair};

use crate::error::Result;
use crate::network::LayerVars;
use faer::Mat;
use rand_chacha::ChaCha8Rng;
use std::fmt::Debug;
use tape::{ParamId, ParamStore, Tape, Var};

/// One parameterized layer of a baseline network.
pub trait BaselineLayer: Send + Sync + Debug {
    /// Records the raw-to-effective map of the layer on the tape.
    ///
    /// # Errors
    ///
    /// Decomposition failures on non-finite parameters.
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars>;

    /// Returns the ids of the layer's trainable parameters.
    fn params(&self) -> Vec<ParamId>;
}

/// Whether a layer applies the activation (hidden layer) or not (head, lift).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerKind {
    /// y = σ(W̃x + b).
    Dense,
    /// y = W̃x + b.
    Linear,
}

impl LayerKind {
    /// Wraps an effective weight and bias in the matching [`LayerVars`].
    pub fn vars(self, w: Var, b: Var) -> LayerVars {
        match self {
            LayerKind::Dense => LayerVars::Dense { w, b },
            LayerKind::Linear => LayerVars::Linear { w, b: Some(b) },
        }
    }
}

/// Draws an m × n Xavier-normal matrix: N(0, 2/(m + n)) entries.
pub fn xavier_normal(rng: &mut ChaCha8Rng, m: usize, n: usize) -> Mat<f64> {
    let std = (2.0 / (m + n) as f64).sqrt();
    tape::rng::normal_mat(rng, m, n, std)
}

/// Draws an m × n matrix with orthonormal rows (m ≤ n) or columns (m > n),
/// the Q factor of a standard normal matrix.
pub fn orthogonal(rng: &mut ChaCha8Rng, m: usize, n: usize) -> Mat<f64> {
    let (tall_rows, tall_cols) = (m.max(n), m.min(n));
    let g = tape::rng::normal_mat(rng, tall_rows, tall_cols, 1.0);
    let q = g.qr().compute_thin_Q();
    if m >= n { q } else { q.transpose().to_owned() }
}
