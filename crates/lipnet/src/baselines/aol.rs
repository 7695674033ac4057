//! Almost-orthogonal layers (AOL; Prach & Lampert, ECCV 2022, Theorem 1).
//!
//! For W ∈ ℝ^{m×n}, the rescaling
//!
//! ```text
//! d_j = (Σ_i |(WᵀW)_ij| + 10⁻⁶)^{−1/2},   W̃ = W diag(d)
//! ```
//!
//! gives ‖W̃‖₂ ≤ 1; the 10⁻⁶ only lowers d, so the bound still holds. The dense
//! layer is y = σ(W̃x + b) and the linear layer y = W̃x + b. Initialization:
//! W orthogonal (rows or columns orthonormal), b U(±1/√n).
//!
//! ```
//! use lipnet::baselines::{Aol, BaselineLayer, LayerKind};
//! use lipnet::init::{Init, ParamSource};
//!
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let mut source = ParamSource::Fresh(&mut rng, Init::Reference);
//! let layer = Aol::new(&mut store, &mut source, "", 3, 4, LayerKind::Dense).unwrap();
//! let mut t = tape::Tape::new();
//! let vars = layer.record(&mut t, &store).unwrap();
//! let lipnet::network::LayerVars::Dense { w, .. } = vars else { unreachable!() };
//! assert!(lipnet::verify::spectral_norm(t.value(w)).unwrap() <= 1.0);
//! ```

use super::{BaselineLayer, LayerKind, orthogonal};
use crate::error::Result;
use crate::init::ParamSource;
use crate::network::LayerVars;
use tape::{Gram, ParamId, ParamStore, Tape, Var};

/// Offset added to every column sum before the inverse square root.
pub const AOL_EPS: f64 = 1e-6;

/// Records W̃ = W diag(d) with d_j = (Σ_i |(WᵀW)_ij| + 10⁻⁶)^{−1/2}.
pub fn aol_rescale(t: &mut Tape, w: Var) -> Var {
    let gram = t.gram(w, Gram::AtA);
    let k = t.abs(gram);
    let sums = t.col_sums(k);
    let shifted = t.add_const(sums, AOL_EPS);
    let d = t.rsqrt(shifted);
    t.diag_mul_right(w, d)
}

/// An AOL layer ℝⁿ → ℝᵐ, dense or linear.
#[derive(Clone, Debug)]
pub struct Aol {
    w: ParamId,
    b: ParamId,
    kind: LayerKind,
}

impl Aol {
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
        kind: LayerKind,
    ) -> Result<Self> {
        let w = source.custom(store, &format!("{prefix}W"), m, n, |rng| {
            orthogonal(rng, m, n)
        })?;
        let b = source.bias(store, &format!("{prefix}b"), m, n)?;
        Ok(Self { w, b, kind })
    }
}

impl BaselineLayer for Aol {
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars> {
        let w = t.param(s, self.w);
        let b = t.param(s, self.b);
        let w_eff = aol_rescale(t, w);
        Ok(self.kind.vars(w_eff, b))
    }

    fn params(&self) -> Vec<ParamId> {
        vec![self.w, self.b]
    }
}
