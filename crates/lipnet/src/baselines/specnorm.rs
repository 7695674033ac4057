//! Spectral normalization: W/‖W‖₂ with the exact spectral norm.
//!
//! ```text
//! dense  y = σ(W x / ‖W‖₂ + b)        linear  y = W x / ‖W‖₂ + b
//! ```
//!
//! ‖W‖₂ = uᵀWv for the top singular pair (u, v), computed by an SVD of the
//! current W in every forward pass. Its gradient u vᵀ is exact when the largest
//! singular value is simple. Training with a one-step power-iteration estimate
//! (Miyato et al., ICLR 2018) would underestimate ‖W‖₂ and void the bound, so
//! training, evaluation and certification all use the exact norm.
//! Initialization: W and b U(±1/√n) (Kaiming-uniform with a = √5).
//!
//! ```
//! use faer::mat;
//! use lipnet::baselines::spectral_norm_var;
//!
//! let mut t = tape::Tape::new();
//! let w = t.constant(mat![[3.0, 0.0], [0.0, 1.0]]);
//! let sigma = spectral_norm_var(&mut t, w).unwrap();
//! assert!((t.scalar_value(sigma) - 3.0).abs() < 1e-14);
//! ```

use super::{BaselineLayer, LayerKind};
use crate::error::{Error, Result};
use crate::init::ParamSource;
use crate::network::LayerVars;
use faer::MatRef;
use tape::{ParamId, ParamStore, Tape, Var};

/// Returns the top singular pair (u, v) of `w`.
///
/// # Errors
///
/// [`Error::Decomposition`] when the SVD does not converge, and
/// [`Error::NonFinite`] when `w` has a non-finite entry.
pub fn top_singular_pair(w: MatRef<'_, f64>) -> Result<(Vec<f64>, Vec<f64>)> {
    if !w.is_all_finite() {
        return Err(Error::NonFinite {
            what: "a weight matrix before its spectral norm".into(),
            fix: "lower the learning rate (--lr) or restart from a saved model".into(),
        });
    }
    let svd = w.thin_svd().map_err(|_| Error::Decomposition {
        what: "singular value decomposition for a spectral norm",
    })?;
    let s = svd.S().column_vector();
    let top = (0..s.nrows())
        .max_by(|&i, &j| s[i].total_cmp(&s[j]))
        .expect("a matrix with at least one singular value");
    let u = svd.U().col(top).iter().copied().collect();
    let v = svd.V().col(top).iter().copied().collect();
    Ok((u, v))
}

/// Records ‖W‖₂ as the 1 × 1 node uᵀWv, with (u, v) the top singular pair of
/// the current value of `w` held constant.
///
/// # Errors
///
/// As [`top_singular_pair`].
pub fn spectral_norm_var(t: &mut Tape, w: Var) -> Result<Var> {
    let (u, v) = top_singular_pair(t.value(w))?;
    Ok(t.bilinear(&u, w, &v))
}

/// A spectrally normalized layer ℝⁿ → ℝᵐ, dense or linear.
#[derive(Clone, Debug)]
pub struct SpecNorm {
    w: ParamId,
    b: ParamId,
    kind: LayerKind,
}

impl SpecNorm {
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

impl BaselineLayer for SpecNorm {
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars> {
        let w = t.param(s, self.w);
        let b = t.param(s, self.b);
        let sigma = spectral_norm_var(t, w)?;
        let inv = t.recip(sigma);
        let w_eff = t.scale(w, inv);
        Ok(self.kind.vars(w_eff, b))
    }

    fn params(&self) -> Vec<ParamId> {
        vec![self.w, self.b]
    }
}
