//! The plain, unconstrained multilayer perceptron.
//!
//! ```text
//! z_k = σ(W_k z_{k−1} + b_k),   y = W_{D+1} z_D + b_{D+1},   Lip(f) ≤ ∏_k ‖W_k‖₂
//! ```
//!
//! The bound multiplies exact spectral norms (σ has slopes in [0, 1]); it is
//! sound but usually far from tight, so certified accuracy is low. This is the
//! accuracy reference without any Lipschitz constraint. Initialization: W and b
//! U(±1/√n) (Kaiming-uniform with a = √5).
//!
//! ```
//! use lipnet::model::{ArchParams, LipModel, ModelId};
//!
//! let arch = ArchParams::new(ModelId::Mlp, 3, 2, vec![8], 1.0).check().unwrap();
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let net = lipnet::model::build(&arch, &mut store, &mut rng).unwrap();
//! let bound = net.lip_bound(&store).unwrap();
//! let (exact, _) = lipnet::verify::exhaustive(&net.network(&store).unwrap(), 16).unwrap();
//! assert!(exact <= bound * (1.0 + 1e-12));
//! ```

use super::{BaselineLayer, LayerKind};
use crate::error::Result;
use crate::init::ParamSource;
use crate::network::LayerVars;
use tape::{ParamId, ParamStore, Tape};

/// An unconstrained layer ℝⁿ → ℝᵐ, dense or linear.
#[derive(Clone, Debug)]
pub struct Plain {
    w: ParamId,
    b: ParamId,
    kind: LayerKind,
}

impl Plain {
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
        let w = source.weight(store, &format!("{prefix}W"), m, n)?;
        let b = source.bias(store, &format!("{prefix}b"), m, n)?;
        Ok(Self { w, b, kind })
    }
}

impl BaselineLayer for Plain {
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars> {
        let w = t.param(s, self.w);
        let b = t.param(s, self.b);
        Ok(self.kind.vars(w, b))
    }

    fn params(&self) -> Vec<ParamId> {
        vec![self.w, self.b]
    }
}
