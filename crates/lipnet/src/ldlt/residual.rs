//! The residual LDLᵀ network y = A x + b_A + B z_K.
//!
//! Certified construction (derived in the normlab lipnet specification §2.4,
//! not in the original paper):
//!
//! 1. A = L·Ŵ_A with R_AᵀR_A = W_AᵀW_A + α_A I, so the first pivot is
//!    D₀ = L²α_A (R_A R_Aᵀ)⁻¹ and D₀⁻¹ = R_A R_Aᵀ / (L²α_A).
//! 2. C₁ = L√(2α_A)·Ŵ₁R_A⁻¹, C_k = 2√α_{k−1}·Ŵ_k P_{k−1}⁻¹ (k ≥ 2), with
//!    D_k⁻¹ = P_k P_kᵀ / (2α_k).
//! 3. Φ₀ = I, Φ_k = C_k D_{k−1}⁻¹ Φ_{k−1}, Ψ = Σ_{j<K} Φ_jᵀ D_j⁻¹ Φ_j.
//! 4. Q = I + AΨAᵀ, G = AΦ_Kᵀ, R_Q = chol_upper(Q), M = R_Q⁻ᵀ G P_K,
//!    F̃ = chol_lower(2α_K I + MᵀM).
//! 5. B = R_Q⁻¹ (Ŵ_B F̃ᵀ P_K⁻¹ − R_Q⁻ᵀ G).
//!
//! Then the Schur complement of the last pivot is F(I − Ŵ_BᵀŴ_B)Fᵀ ≻ 0 with
//! F = P_K⁻ᵀF̃, so the network is L-Lipschitz for every activation with slopes
//! in [0, 1]. Every Cholesky input is at least min(α, 1)·I.
//!
//! The reference-parity variant reproduces `DeepLipschitzLinearResNet` of the
//! published code: C₁ uses R_A⁻ᵀ, the Σ recursion uses D⁻² and B omits the
//! −Q⁻¹G shift. It violates its bound on explicit point pairs.

use super::Variant;
use crate::contraction::{alpha, cholesky, contract};
use crate::error::{Error, Result};
use crate::init::ParamSource;
use crate::model::{Arch, EffectiveVars};
use tape::{Gram, ParamId, ParamStore, Side, Tape, Trans, Uplo, Var};

#[derive(Clone, Copy, Debug)]
struct Layer {
    w: ParamId,
    b: ParamId,
    theta: Option<ParamId>,
}

/// A residual LDLᵀ network with K ≥ 1 hidden layers.
#[derive(Clone, Debug)]
pub struct LdltResidual {
    arch: Arch,
    variant: Variant,
    skip: Layer,
    hidden: Vec<Layer>,
    w_b: ParamId,
    theta_b: Option<ParamId>,
    ids: Vec<ParamId>,
}

/// The tape nodes of one hidden layer after its contraction.
struct HiddenNodes {
    c: Var,
    bias: Var,
    p: Var,
    alpha: Var,
}

impl LdltResidual {
    /// Creates (or, for [`ParamSource::Existing`], finds) the parameters
    /// `W_A`, `b_A`, `theta_A`, `W_k`, `b_k`, `theta_k` (k = 1..K), `W_B`, `theta_B`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] when the architecture has no hidden layer.
    pub fn new(
        arch: &Arch,
        variant: Variant,
        store: &mut ParamStore,
        mut source: ParamSource<'_>,
    ) -> Result<Self> {
        let (n_in, n_out, widths) = (arch.n_in(), arch.n_out(), arch.widths());
        if widths.is_empty() {
            return Err(Error::invalid(
                "widths",
                "(none)",
                "a residual LDLT network needs at least one hidden layer, for example --widths 64,64",
            ));
        }

        let mut ids = Vec::new();
        let skip = Self::layer(arch, store, &mut source, "A", n_out, n_in, &mut ids)?;
        let mut hidden = Vec::with_capacity(widths.len());
        let mut prev = n_in;
        for (i, &w) in widths.iter().enumerate() {
            let name = (i + 1).to_string();
            hidden.push(Self::layer(
                arch,
                store,
                &mut source,
                &name,
                w,
                prev,
                &mut ids,
            )?);
            prev = w;
        }

        let w_b = source.weight(store, "W_B", n_out, prev)?;
        ids.push(w_b);
        let theta_b = Self::theta(arch, store, &mut source, "theta_B")?;
        ids.extend(theta_b);

        Ok(Self {
            arch: arch.clone(),
            variant,
            skip,
            hidden,
            w_b,
            theta_b,
            ids,
        })
    }

    fn layer(
        arch: &Arch,
        store: &mut ParamStore,
        source: &mut ParamSource<'_>,
        name: &str,
        rows: usize,
        cols: usize,
        ids: &mut Vec<ParamId>,
    ) -> Result<Layer> {
        let w = source.weight(store, &format!("W_{name}"), rows, cols)?;
        let b = source.bias(store, &format!("b_{name}"), rows, cols)?;
        let theta = Self::theta(arch, store, source, &format!("theta_{name}"))?;
        ids.extend([w, b]);
        ids.extend(theta);
        Ok(Layer { w, b, theta })
    }

    fn theta(
        arch: &Arch,
        store: &mut ParamStore,
        source: &mut ParamSource<'_>,
        name: &str,
    ) -> Result<Option<ParamId>> {
        if arch.freeze_alpha() {
            Ok(None)
        } else {
            Ok(Some(source.theta(store, name)?))
        }
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
        let lip = self.arch.lip();

        // Skip map A = L·Ŵ_A; p_a is the lower factor with R_A = p_aᵀ.
        let w_a = t.param(store, self.skip.w);
        let alpha_a = alpha_of(t, store, self.skip.theta);
        let con_a = contract(t, w_a, alpha_a, false, "skip layer A")?;
        let a = t.scale_const(con_a.w_hat, lip);
        let p_a = con_a.p_in;

        let hidden = self.hidden_layers(t, store, p_a, alpha_a)?;
        let b = match self.variant {
            Variant::Certified => self.output_certified(t, store, a, p_a, alpha_a, &hidden)?,
            Variant::ReferenceParity => {
                self.output_reference(t, store, a, p_a, alpha_a, &hidden)?
            }
        };

        let out_bias = t.param(store, self.skip.b);
        Ok(EffectiveVars {
            a: Some(a),
            c: hidden.iter().map(|h| h.c).collect(),
            hidden_bias: hidden.iter().map(|h| h.bias).collect(),
            b,
            out_bias,
        })
    }

    /// Builds C_1..C_K and the lower factors P_k.
    fn hidden_layers(
        &self,
        t: &mut Tape,
        store: &ParamStore,
        p_a: Var,
        alpha_a: Var,
    ) -> Result<Vec<HiddenNodes>> {
        let lip = self.arch.lip();
        let mut out: Vec<HiddenNodes> = Vec::with_capacity(self.hidden.len());

        for (idx, layer) in self.hidden.iter().enumerate() {
            let w = t.param(store, layer.w);
            let alpha_k = alpha_of(t, store, layer.theta);
            let con = contract(t, w, alpha_k, true, &format!("hidden layer {}", idx + 1))?;

            let c = match out.last() {
                None => {
                    // Certified: Ŵ₁R_A⁻¹ = Ŵ₁(p_aᵀ)⁻¹; reference: Ŵ₁R_A⁻ᵀ = Ŵ₁p_a⁻¹.
                    let trans = match self.variant {
                        Variant::Certified => Trans::Yes,
                        Variant::ReferenceParity => Trans::No,
                    };
                    let solved = t.solve_tri(p_a, con.w_hat, Side::Right, Uplo::Lower, trans);
                    let two_alpha = t.scale_const(alpha_a, 2.0);
                    let root = t.sqrt(two_alpha);
                    let scaled = t.scale(solved, root);
                    t.scale_const(scaled, lip)
                }
                Some(prev) => {
                    let solved =
                        t.solve_tri(prev.p, con.w_hat, Side::Right, Uplo::Lower, Trans::No);
                    let root = t.sqrt(prev.alpha);
                    let scaled = t.scale(solved, root);
                    t.scale_const(scaled, 2.0)
                }
            };

            out.push(HiddenNodes {
                c,
                bias: t.param(store, layer.b),
                p: con.p_out.expect("hidden layers factor Ω_out"),
                alpha: alpha_k,
            });
        }
        Ok(out)
    }

    /// Computes B by the certified construction (steps 3 to 5 of the module doc).
    fn output_certified(
        &self,
        t: &mut Tape,
        store: &ParamStore,
        a: Var,
        p_a: Var,
        alpha_a: Var,
        hidden: &[HiddenNodes],
    ) -> Result<Var> {
        let lip = self.arch.lip();
        let last = hidden.last().expect("at least one hidden layer");

        // The j = 0 term of AΨAᵀ is A R_A R_Aᵀ Aᵀ/(L²α_A), the Gram of R_AᵀAᵀ = p_a Aᵀ.
        // Every term is a Gram so that Q is exactly symmetric for the Cholesky backward rule.
        let inv_scale0 = recip_scaled(t, alpha_a, lip * lip);
        let pa_at = t.matmul(p_a, Trans::No, a, Trans::Yes);
        let term0 = t.gram(pa_at, Gram::AtA);
        let mut a_psi_at = t.scale(term0, inv_scale0);

        // D₀⁻¹ Φ₀ = p_aᵀ p_a / (L²α_A).
        let pa_gram = t.gram(p_a, Gram::AtA);
        let mut d_inv_phi = t.scale(pa_gram, inv_scale0);

        let mut phi = t.matmul(hidden[0].c, Trans::No, d_inv_phi, Trans::No);
        for k in 1..hidden.len() {
            // Contribution of Φ_j (j = k) to AΨAᵀ: gram(P_jᵀ Φ_j Aᵀ)/(2α_j).
            let prev = &hidden[k - 1];
            let inv_two_alpha = recip_scaled(t, prev.alpha, 2.0);
            let pt_phi = t.matmul(prev.p, Trans::Yes, phi, Trans::No);
            let pt_phi_at = t.matmul(pt_phi, Trans::No, a, Trans::Yes);
            let term = t.gram(pt_phi_at, Gram::AtA);
            let term = t.scale(term, inv_two_alpha);
            a_psi_at = t.add(a_psi_at, term);

            let p_pt_phi = t.matmul(prev.p, Trans::No, pt_phi, Trans::No);
            d_inv_phi = t.scale(p_pt_phi, inv_two_alpha);
            phi = t.matmul(hidden[k].c, Trans::No, d_inv_phi, Trans::No);
        }

        let q = t.add_diag_const(a_psi_at, 1.0);
        let g = t.matmul(a, Trans::No, phi, Trans::Yes);
        let p_q = cholesky(t, q, "output layer B (Q = I + AΨAᵀ)")?;

        // M = R_Q⁻ᵀ G P_K = p_q⁻¹ (G P_K); F̃ = chol(2α_K I + MᵀM).
        let g_pk = t.matmul(g, Trans::No, last.p, Trans::No);
        let m = t.solve_tri(p_q, g_pk, Side::Left, Uplo::Lower, Trans::No);
        let mtm = t.gram(m, Gram::AtA);
        let two_alpha_k = t.scale_const(last.alpha, 2.0);
        let e_mid = t.add_diag(mtm, two_alpha_k);
        let f_tilde = cholesky(t, e_mid, "output layer B (2α_K I + MᵀM)")?;

        // B = R_Q⁻¹ (Ŵ_B F̃ᵀ P_K⁻¹ − R_Q⁻ᵀ G).
        let w_hat_b = self.output_contraction(t, store)?;
        let wf = t.matmul(w_hat_b, Trans::No, f_tilde, Trans::Yes);
        let wfp = t.solve_tri(last.p, wf, Side::Right, Uplo::Lower, Trans::No);
        let rq_t_g = t.solve_tri(p_q, g, Side::Left, Uplo::Lower, Trans::No);
        let inner = t.sub(wfp, rq_t_g);
        Ok(t.solve_tri(p_q, inner, Side::Left, Uplo::Lower, Trans::Yes))
    }

    /// Computes B as the published reference code does (cross-checks only).
    fn output_reference(
        &self,
        t: &mut Tape,
        store: &ParamStore,
        a: Var,
        p_a: Var,
        alpha_a: Var,
        hidden: &[HiddenNodes],
    ) -> Result<Var> {
        let lip = self.arch.lip();
        let last = hidden.last().expect("at least one hidden layer");

        // Reference D₀⁻¹ = R_AᵀR_A/(L²α_A) = p_a p_aᵀ/(L²α_A).
        let inv_scale0 = recip_scaled(t, alpha_a, lip * lip);
        let pa_pat = t.gram(p_a, Gram::AAt);
        let mut gamma_d_inv = t.scale(pa_pat, inv_scale0); // T₁ = Γ₀D₀⁻¹ with Γ₀ = I.
        let at = t.matmul(a, Trans::No, gamma_d_inv, Trans::No);
        let mut a_sigma_at = t.gram(at, Gram::AAt);

        for k in 1..hidden.len() {
            let gamma = t.matmul(gamma_d_inv, Trans::No, hidden[k - 1].c, Trans::Yes);
            let prev = &hidden[k - 1];
            let inv_two_alpha = recip_scaled(t, prev.alpha, 2.0);
            let gp = t.matmul(gamma, Trans::No, prev.p, Trans::No);
            let gppt = t.matmul(gp, Trans::No, prev.p, Trans::Yes);
            gamma_d_inv = t.scale(gppt, inv_two_alpha);
            let at_k = t.matmul(a, Trans::No, gamma_d_inv, Trans::No);
            let term = t.gram(at_k, Gram::AAt);
            a_sigma_at = t.add(a_sigma_at, term);
        }

        let sigma = t.add_diag_const(a_sigma_at, 1.0);
        let p_sigma = cholesky(t, sigma, "output layer B (I + AΣAᵀ)")?;
        let w_hat_b = self.output_contraction(t, store)?;
        let wp = t.solve_tri(last.p, w_hat_b, Side::Right, Uplo::Lower, Trans::No);
        let solved = t.solve_tri(p_sigma, wp, Side::Left, Uplo::Lower, Trans::Yes);
        let root = t.sqrt(last.alpha);
        Ok(t.scale(solved, root))
    }

    /// Records Ŵ_B, the contraction of W_B.
    fn output_contraction(&self, t: &mut Tape, store: &ParamStore) -> Result<Var> {
        let w_b = t.param(store, self.w_b);
        let alpha_b = alpha_of(t, store, self.theta_b);
        Ok(contract(t, w_b, alpha_b, false, "output layer B")?.w_hat)
    }
}

fn alpha_of(t: &mut Tape, store: &ParamStore, theta: Option<ParamId>) -> Var {
    match theta {
        Some(id) => {
            let th = t.param(store, id);
            alpha(t, th)
        }
        None => t.scalar(1.0),
    }
}

/// Records 1/(c·α) for a 1×1 α, the scale of D_k⁻¹ = P_kP_kᵀ/(c·α_k).
fn recip_scaled(t: &mut Tape, alpha: Var, c: f64) -> Var {
    let scaled = t.scale_const(alpha, c);
    t.recip(scaled)
}
