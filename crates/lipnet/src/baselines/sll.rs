//! SDP-based Lipschitz layers (SLL): the residual layer and the sequential dense layer.
//!
//! With W ∈ ℝ^{m×n}, b ∈ ℝ^m and q ∈ ℝ^m, let
//!
//! ```text
//! r_i = Σ_j |(W Wᵀ)_ij| e^{q_j − q_i}
//! residual  (Araujo et al., ICLR 2023, Theorem 3):  y = x − 2 Wᵀ diag(t) σ(W x + b),  t_i = 1 / r_i
//! dense     (Juston et al., arXiv 2503.00240):      y = σ(diag(s) W x + b),          s_i = r_i^{−1/2}
//! ```
//!
//! Both are 1-Lipschitz for activations with slopes in [0, 1]. Initialization:
//! W Xavier-normal, b U(±1/√n), q ~ N(0, 1).
//!
//! NOTE: a zero row of W gives r_i = 0 and a non-finite t_i or s_i, where the
//! published formula sets them to 0. Training then stops with a non-finite
//! loss error. A zero row has probability 0 under the initialization.
//!
//! ```
//! use lipnet::baselines::{BaselineLayer, SllResidual};
//! use lipnet::init::{Init, ParamSource};
//! use lipnet::network::{LayerNet, SlopeNet};
//! use lipnet::activation::Activation;
//!
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let mut source = ParamSource::Fresh(&mut rng, Init::Reference);
//! let layer = SllResidual::new(&mut store, &mut source, "", 3, 5).unwrap();
//! let mut t = tape::Tape::new();
//! let vars = layer.record(&mut t, &store).unwrap();
//! let net = LayerNet::new(vec![vars.to_layer(&t)], Activation::Relu);
//! let bound = lipnet::verify::exhaustive(&net, 16).unwrap().0;
//! assert!(bound <= 1.0 + 1e-9);
//! ```

use super::{BaselineLayer, xavier_normal};
use crate::error::Result;
use crate::init::ParamSource;
use crate::network::LayerVars;
use tape::{Gram, ParamId, ParamStore, Tape, Trans, Var};

/// Records r_i = Σ_j |(W Wᵀ)_ij| e^{q_j − q_i} as an m × 1 column, for W (m × n)
/// and q (1 × m).
pub fn sll_row_sums(t: &mut Tape, w: Var, q: Var) -> Var {
    let gram = t.gram(w, Gram::AAt);
    let k = t.abs(gram);
    let eq = t.exp(q);
    let weighted = t.matmul(k, Trans::No, eq, Trans::Yes);
    let neg_q = t.scale_const(q, -1.0);
    let e_neg_q = t.exp(neg_q);
    let e_neg_q = t.transpose(e_neg_q);
    t.mul(weighted, e_neg_q)
}

/// The parameters W, b, q shared by both SLL layers.
#[derive(Clone, Copy, Debug)]
struct SllParams {
    w: ParamId,
    b: ParamId,
    q: ParamId,
}

impl SllParams {
    fn new(
        store: &mut ParamStore,
        source: &mut ParamSource<'_>,
        prefix: &str,
        n: usize,
        m: usize,
    ) -> Result<Self> {
        let w = source.custom(store, &format!("{prefix}W"), m, n, |rng| {
            xavier_normal(rng, m, n)
        })?;
        let b = source.bias(store, &format!("{prefix}b"), m, n)?;
        let q = source.custom(store, &format!("{prefix}q"), 1, m, |rng| {
            tape::rng::normal_mat(rng, 1, m, 1.0)
        })?;
        Ok(Self { w, b, q })
    }
}

/// The SLL residual layer x ↦ x − 2Wᵀdiag(t)σ(Wx + b) on ℝⁿ with inner width m.
#[derive(Clone, Debug)]
pub struct SllResidual {
    p: SllParams,
}

impl SllResidual {
    /// Creates (or finds) the parameters `{prefix}W` (m × n), `{prefix}b`, `{prefix}q`.
    ///
    /// # Errors
    ///
    /// A missing or misshapen parameter in a loaded store, or a duplicate name.
    pub fn new(
        store: &mut ParamStore,
        source: &mut ParamSource<'_>,
        prefix: &str,
        n: usize,
        m: usize,
    ) -> Result<Self> {
        Ok(Self {
            p: SllParams::new(store, source, prefix, n, m)?,
        })
    }
}

impl BaselineLayer for SllResidual {
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars> {
        let w = t.param(s, self.p.w);
        let b = t.param(s, self.p.b);
        let q = t.param(s, self.p.q);

        let r = sll_row_sums(t, w, q);
        let rescale = t.recip(r);
        let wt = t.transpose(w);
        let scaled = t.diag_mul_right(wt, rescale);
        let w_out = t.scale_const(scaled, -2.0);
        Ok(LayerVars::Block {
            skip: true,
            w_in: w,
            b_in: Some(b),
            w_out,
            b_out: None,
        })
    }

    fn params(&self) -> Vec<ParamId> {
        vec![self.p.w, self.p.b, self.p.q]
    }
}

/// The SLL sequential dense layer x ↦ σ(diag(s)Wx + b), ℝⁿ → ℝᵐ.
#[derive(Clone, Debug)]
pub struct SllDense {
    p: SllParams,
}

impl SllDense {
    /// Creates (or finds) the parameters `{prefix}W` (m × n), `{prefix}b`, `{prefix}q`.
    ///
    /// # Errors
    ///
    /// A missing or misshapen parameter in a loaded store, or a duplicate name.
    pub fn new(
        store: &mut ParamStore,
        source: &mut ParamSource<'_>,
        prefix: &str,
        n: usize,
        m: usize,
    ) -> Result<Self> {
        Ok(Self {
            p: SllParams::new(store, source, prefix, n, m)?,
        })
    }
}

impl BaselineLayer for SllDense {
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars> {
        let w = t.param(s, self.p.w);
        let b = t.param(s, self.p.b);
        let q = t.param(s, self.p.q);

        let r = sll_row_sums(t, w, q);
        let scale = t.rsqrt(r);
        let w_eff = t.diag_mul_left(scale, w);
        Ok(LayerVars::Dense { w: w_eff, b })
    }

    fn params(&self) -> Vec<ParamId> {
        vec![self.p.w, self.p.b, self.p.q]
    }
}
