//! Sandwich layers (LBDN; Wang & Manchester, ICML 2023, Theorem 3.1).
//!
//! Free Z ∈ ℝ^{m×(m+n)}, a scalar a, ψ ∈ ℝᵐ and b ∈ ℝᵐ. With Z̃ = aZ/‖Z‖_F,
//! U = (first m columns of Z̃)ᵀ and V = (last n columns of Z̃)ᵀ:
//!
//! ```text
//! S   = U − Uᵀ + VᵀV
//! Q_A = ((I + S)⁻¹ (I − S))ᵀ,   Q_B = (−2 V (I + S)⁻¹)ᵀ     ([Q_A Q_B] has orthonormal rows)
//! layer  y = √2 Q_Aᵀ Ψ σ(√2 Ψ⁻¹ Q_B x + b),   Ψ = diag(e^ψ)     ℝⁿ → ℝᵐ
//! head   y = Q_B x + b
//! ```
//!
//! (I + S) is invertible because its symmetric part I + VᵀV is positive
//! definite; the tape's LU `solve` applies (I + S)⁻¹ without forming it.
//! Initialization: Z Xavier-normal, a = ‖Z‖_F, ψ = 0, b U(±1/√n).
//!
//! ```
//! use lipnet::baselines::sandwich_q;
//!
//! let mut t = tape::Tape::new();
//! let mut rng = tape::rng::stream(0, "z");
//! let z = t.constant(tape::rng::normal_mat(&mut rng, 3, 5, 1.0));
//! let a = t.scalar(2.0);
//! let (q_a, q_b) = sandwich_q(&mut t, z, a).unwrap();
//! let (q_a, q_b) = (t.value(q_a).to_owned(), t.value(q_b).to_owned());
//! let qqt = &q_a * q_a.transpose() + &q_b * q_b.transpose();
//! assert!((qqt - faer::Mat::<f64>::identity(3, 3)).norm_max() < 1e-12);
//! ```

use super::{BaselineLayer, LayerKind, xavier_normal};
use crate::error::Result;
use crate::init::ParamSource;
use crate::network::LayerVars;
use faer::Mat;
use tape::{Gram, ParamId, ParamStore, Tape, Var};

/// Records (Q_A, Q_B) for Z (m × (m+n)) and the 1 × 1 scale `a`; Q_A is m × m
/// and Q_B is m × n.
///
/// # Errors
///
/// [`crate::Error::Tape`] when the LU solve meets a zero pivot (only for
/// non-finite Z).
pub fn sandwich_q(t: &mut Tape, z: Var, a: Var) -> Result<(Var, Var)> {
    let q_a_t = sandwich_q_a_transposed(t, z, a)?;
    let q_a = t.transpose(q_a_t.0);
    Ok((q_a, q_a_t.1))
}

/// Returns (Q_Aᵀ, Q_B), the forms the layer uses.
fn sandwich_q_a_transposed(t: &mut Tape, z: Var, a: Var) -> Result<(Var, Var)> {
    let (m, cols) = t.shape(z);
    let n = cols - m;

    let norm = t.frobenius_norm(z);
    let inv_norm = t.recip(norm);
    let factor = t.mul(a, inv_norm);
    let zs = t.scale(z, factor);
    let u_t = t.col_slice(zs, 0, m);
    let u = t.transpose(u_t);
    let v_t = t.col_slice(zs, m, n);

    let skew = t.sub(u, u_t);
    let vtv = t.gram(v_t, Gram::AAt);
    let s = t.add(skew, vtv);
    let i_plus_s = t.add_diag_const(s, 1.0);
    let minus_s = t.scale_const(s, -1.0);
    let i_minus_s = t.add_diag_const(minus_s, 1.0);

    let q_a_t = t.solve(i_plus_s, i_minus_s)?;
    let i_plus_s_t = t.transpose(i_plus_s);
    let solved = t.solve(i_plus_s_t, v_t)?;
    let q_b = t.scale_const(solved, -2.0);
    Ok((q_a_t, q_b))
}

/// A Sandwich layer ℝⁿ → ℝᵐ ([`LayerKind::Dense`]) or the Sandwich head
/// y = Q_B x + b ([`LayerKind::Linear`], which has no ψ).
#[derive(Clone, Debug)]
pub struct Sandwich {
    z: ParamId,
    a: ParamId,
    psi: Option<ParamId>,
    b: ParamId,
}

impl Sandwich {
    /// Creates (or finds) `{prefix}Z` (m × (m+n)), `{prefix}a` (1 × 1),
    /// `{prefix}psi` (1 × m, dense layers only) and `{prefix}b` (1 × m).
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
        let z = source.custom(store, &format!("{prefix}Z"), m, m + n, |rng| {
            xavier_normal(rng, m, m + n)
        })?;
        let norm = store.get(z).norm_l2();
        let a = source.custom(store, &format!("{prefix}a"), 1, 1, |_| {
            Mat::from_fn(1, 1, |_, _| norm)
        })?;
        let psi = match kind {
            LayerKind::Dense => {
                Some(source.custom(store, &format!("{prefix}psi"), 1, m, |_| Mat::zeros(1, m))?)
            }
            LayerKind::Linear => None,
        };
        let b = source.bias(store, &format!("{prefix}b"), m, n)?;
        Ok(Self { z, a, psi, b })
    }
}

impl BaselineLayer for Sandwich {
    fn record(&self, t: &mut Tape, s: &ParamStore) -> Result<LayerVars> {
        let z = t.param(s, self.z);
        let a = t.param(s, self.a);
        let b = t.param(s, self.b);
        let (q_a_t, q_b) = sandwich_q_a_transposed(t, z, a)?;

        let Some(psi_id) = self.psi else {
            return Ok(LayerVars::Linear { w: q_b, b: Some(b) });
        };
        let psi = t.param(s, psi_id);
        let e_psi = t.exp(psi);
        let neg_psi = t.scale_const(psi, -1.0);
        let e_neg_psi = t.exp(neg_psi);

        let w_in = t.diag_mul_left(e_neg_psi, q_b);
        let w_in = t.scale_const(w_in, std::f64::consts::SQRT_2);
        let w_out = t.diag_mul_right(q_a_t, e_psi);
        let w_out = t.scale_const(w_out, std::f64::consts::SQRT_2);
        Ok(LayerVars::Block {
            skip: false,
            w_in,
            b_in: Some(b),
            w_out,
            b_out: None,
        })
    }

    fn params(&self) -> Vec<ParamId> {
        let mut ids = vec![self.z, self.a];
        ids.extend(self.psi);
        ids.push(self.b);
        ids
    }
}
