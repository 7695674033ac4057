//! Convex potential layers (CPL; Meunier et al., ICML 2022, arXiv 2110.12690, Proposition 3).
//!
//! ```text
//! y = x − (2 / ‖W‖₂²) Wᵀ σ(W x + b),    W ∈ ℝ^{m×n}
//! ```
//!
//! is 1-Lipschitz for activations with slopes in [0, 1] (for ReLU it is the
//! gradient step of a convex potential). ‖W‖₂ is the exact spectral norm in
//! training, evaluation and certification (see [`super::spectral_norm_var`]):
//! a power-iteration estimate is too small and over-scales the layer.
//! Initialization: W Xavier-normal, b U(±1/√n).
//!
//! ```
//! use lipnet::baselines::{BaselineLayer, Cpl};
//! use lipnet::init::{Init, ParamSource};
//! use lipnet::network::LayerNet;
//! use lipnet::activation::Activation;
//!
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let mut source = ParamSource::Fresh(&mut rng, Init::Reference);
//! let layer = Cpl::new(&mut store, &mut source, "", 3, 4).unwrap();
//! let mut t = tape::Tape::new();
//! let vars = layer.record(&mut t, &store).unwrap();
//! let net = LayerNet::new(vec![vars.to_layer(&t)], Activation::Relu);
//! assert!(lipnet::verify::exhaustive(&net, 16).unwrap().0 <= 1.0 + 1e-9);
//! ```

use super::{BaselineLayer, spectral_norm_var, xavier_normal};
use crate::error::Result;
use crate::init::ParamSource;
use crate::network::LayerVars;
use tape::{ParamId, ParamStore, Tape};

/// A CPL residual layer on ℝⁿ with inner width m.
#[derive(Clone, Debug)]
pub struct Cpl {
    w: ParamId,
    b: ParamId,
}

impl Cpl {
    /// Creates (or finds) the parameters `{prefix}W` (m × n) and `{prefix}b`.
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
        let w = source.custom(store, &format!("{prefix}W"), m, n, |rng| {
            xavier_normal(rng, m, n)
        })?;
        let b = source.bias(store, &format!("{prefix}b"), m, n)?;
        Ok(Self { w, b })
    }
}

impl BaselineLayer for Cpl {
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars> {
        let w = t.param(s, self.w);
        let b = t.param(s, self.b);
        let sigma = spectral_norm_var(t, w)?;
        let sq = t.square(sigma);
        let inv = t.recip(sq);
        let coef = t.scale_const(inv, -2.0);
        let wt = t.transpose(w);
        let w_out = t.scale(wt, coef);
        Ok(LayerVars::Block {
            skip: true,
            w_in: w,
            b_in: Some(b),
            w_out,
            b_out: None,
        })
    }

    fn params(&self) -> Vec<ParamId> {
        vec![self.w, self.b]
    }
}
