//! The sequential LDLᵀ network.
//!
//! Per layer k = 1..K+1 the free parameters are W_k, b_k and α_k. With
//! constants c₀ = 1, c_k = √2 (1 ≤ k ≤ K), c_{K+1} = 1 and factors F₀ = I/L,
//! F_k = P_k = chol_lower(W_k W_kᵀ + α_k I):
//!
//! ```text
//! C_k = c_{k−1} c_k √α_{k−1} · Ŵ_k F_{k−1}⁻¹      (α₀ = 1)
//! ```
//!
//! so C₁ = √2·L·Ŵ₁ and C_k = 2√α_{k−1} Ŵ_k P_{k−1}⁻¹. Every block pivot is then
//! D_k = c_k² α_k (P_k P_kᵀ)⁻¹ ≻ 0 and the output condition is Ŵ_{K+1}Ŵ_{K+1}ᵀ ≺ I
//! (derived in the normlab lipnet specification §2.3; the published code uses
//! F₀ = L·I, which is right only at L = 1).

use super::Variant;
use crate::contraction::{alpha, contract};
use crate::error::Result;
use crate::init::ParamSource;
use crate::model::{Arch, EffectiveVars};
use tape::{ParamId, ParamStore, Side, Tape, Trans, Uplo, Var};

/// The parameter ids of one layer.
#[derive(Clone, Copy, Debug)]
struct Layer {
    w: ParamId,
    b: ParamId,
    theta: Option<ParamId>,
}

/// A sequential LDLᵀ network with K hidden layers and K + 1 weight matrices.
#[derive(Clone, Debug)]
pub struct LdltSequential {
    arch: Arch,
    variant: Variant,
    layers: Vec<Layer>,
    ids: Vec<ParamId>,
}

impl LdltSequential {
    /// Creates (or, for [`ParamSource::Existing`], finds) the parameters
    /// `W_k`, `b_k`, `theta_k` for k = 1..K+1.
    pub fn new(
        arch: &Arch,
        variant: Variant,
        store: &mut ParamStore,
        mut source: ParamSource<'_>,
    ) -> Result<Self> {
        let dims = arch.dims();
        let mut layers = Vec::with_capacity(dims.len() - 1);
        let mut ids = Vec::new();

        for k in 1..dims.len() {
            let (rows, cols) = (dims[k], dims[k - 1]);
            let w = source.weight(store, &format!("W_{k}"), rows, cols)?;
            let b = source.bias(store, &format!("b_{k}"), rows, cols)?;
            let theta = if arch.freeze_alpha() {
                None
            } else {
                Some(source.theta(store, &format!("theta_{k}"))?)
            };
            ids.extend([w, b]);
            ids.extend(theta);
            layers.push(Layer { w, b, theta });
        }

        Ok(Self {
            arch: arch.clone(),
            variant,
            layers,
            ids,
        })
    }

    /// Returns the architecture.
    pub fn arch(&self) -> &Arch {
        &self.arch
    }

    /// Returns the ids of all trainable parameters.
    pub fn params(&self) -> &[ParamId] {
        &self.ids
    }

    /// Records the raw-to-effective map on the tape.
    pub fn parameterize(&self, t: &mut Tape, store: &ParamStore) -> Result<EffectiveVars> {
        let n_layers = self.layers.len();
        let hidden = n_layers - 1;
        let mut c = Vec::with_capacity(n_layers);
        let mut biases = Vec::with_capacity(n_layers);
        let mut prev: Option<(Var, Var)> = None; // (P_{k−1}, α_{k−1})

        for (idx, layer) in self.layers.iter().enumerate() {
            let k = idx + 1;
            let w = t.param(store, layer.w);
            let a_k = self.alpha_var(t, store, layer.theta);
            let is_hidden = k <= hidden;
            let con = contract(t, w, a_k, is_hidden, &format!("layer {k}"))?;

            let c_k = match prev {
                None => {
                    let factor = self.first_factor(hidden);
                    t.scale_const(con.w_hat, factor)
                }
                Some((p_prev, a_prev)) => {
                    let solved =
                        t.solve_tri(p_prev, con.w_hat, Side::Right, Uplo::Lower, Trans::No);
                    let c_prev_k = if is_hidden { 2.0 } else { 2f64.sqrt() };
                    let root = t.sqrt(a_prev);
                    let scaled = t.scale(solved, root);
                    t.scale_const(scaled, c_prev_k)
                }
            };

            c.push(c_k);
            biases.push(t.param(store, layer.b));
            prev = con.p_out.map(|p| (p, a_k));
        }

        let b = c.pop().expect("a sequential net has at least one layer");
        let out_bias = biases
            .pop()
            .expect("a sequential net has at least one layer");
        Ok(EffectiveVars {
            a: None,
            c,
            hidden_bias: biases,
            b,
            out_bias,
        })
    }

    /// Returns c₀c₁√α₀·F₀⁻¹ as a scalar: c₁·L (certified) or c₁/L (reference).
    fn first_factor(&self, hidden: usize) -> f64 {
        let c1 = if hidden >= 1 { 2f64.sqrt() } else { 1.0 };
        let lip = self.arch.lip();
        match self.variant {
            Variant::Certified => c1 * lip,
            Variant::ReferenceParity => c1 / lip,
        }
    }

    fn alpha_var(&self, t: &mut Tape, store: &ParamStore, theta: Option<ParamId>) -> Var {
        match theta {
            Some(id) => {
                let th = t.param(store, id);
                alpha(t, th)
            }
            None => t.scalar(1.0),
        }
    }
}
