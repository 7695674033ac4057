//! The Cholesky contraction, the building block of every LDLᵀ layer.
//!
//! For a free W ∈ ℝ^{m×n} and α > 0, let Ω_in = WᵀW + αIₙ = RᵀR with R upper
//! triangular and Ω_out = WWᵀ + αI_m = PPᵀ with P lower triangular. Then
//! Ŵ = W R⁻¹ satisfies
//!
//! ```text
//! Ŵ Ŵᵀ = I − α (P Pᵀ)⁻¹        Ŵᵀ Ŵ = I − α (R Rᵀ)⁻¹
//! ```
//!
//! so ‖Ŵ‖₂ < 1, and every strict contraction is reached (derived in the
//! normlab lipnet specification, §2.2). The second identity uses RRᵀ, not
//! Ω_in = RᵀR, so it depends on the orientation of the Cholesky factor.
//!
//! α is itself a function of a free θ: α = exp(θ) + 10⁻⁴, as in the reference
//! `PositiveExp` module. The floor keeps every Cholesky input at least
//! min(α, 1)·I, so a factorization can only fail on overflow or NaN.

use crate::error::{Error, Result};
use tape::{Gram, Side, Tape, Trans, Uplo, Var};

/// Lower bound added to exp(θ) so that α never underflows to 0.
pub const ALPHA_FLOOR: f64 = 1e-4;

/// Returns the θ for which α(θ) = `alpha`, for `alpha` > [`ALPHA_FLOOR`].
pub fn theta_for_alpha(alpha: f64) -> f64 {
    (alpha - ALPHA_FLOOR).ln()
}

/// Records α = exp(θ) + 10⁻⁴ on the tape; `theta` is 1×1.
pub fn alpha(t: &mut Tape, theta: Var) -> Var {
    let e = t.exp(theta);
    t.add_const(e, ALPHA_FLOOR)
}

/// The tape nodes of one Cholesky contraction.
#[derive(Clone, Copy, Debug)]
pub struct Contraction {
    /// Ŵ = W R⁻¹ (m × n), a strict contraction.
    pub w_hat: Var,
    /// Lower factor of Ω_in = WᵀW + αI (n × n); R = `p_in`ᵀ.
    pub p_in: Var,
    /// Lower factor P of Ω_out = WWᵀ + αI (m × m), when requested.
    pub p_out: Option<Var>,
}

/// Records the contraction of `w` with weight `alpha` (1×1) on the tape.
///
/// `layer` names the layer in a Cholesky error. `need_out` also factors
/// Ω_out, which the next layer of a network needs.
///
/// # Errors
///
/// [`Error::Cholesky`] when a factorization fails (non-finite parameters).
pub fn contract(
    t: &mut Tape,
    w: Var,
    alpha: Var,
    need_out: bool,
    layer: &str,
) -> Result<Contraction> {
    let gram_in = t.gram(w, Gram::AtA);
    let omega_in = t.add_diag(gram_in, alpha);
    let p_in = cholesky(t, omega_in, layer)?;
    let w_hat = t.solve_tri(p_in, w, Side::Right, Uplo::Lower, Trans::Yes);

    let p_out = if need_out {
        let gram_out = t.gram(w, Gram::AAt);
        let omega_out = t.add_diag(gram_out, alpha);
        Some(cholesky(t, omega_out, layer)?)
    } else {
        None
    };

    Ok(Contraction { w_hat, p_in, p_out })
}

/// Factors `a` and labels a failure with `layer`.
pub fn cholesky(t: &mut Tape, a: Var, layer: &str) -> Result<Var> {
    t.cholesky(a).map_err(|e| label_cholesky(e.into(), layer))
}

fn label_cholesky(e: Error, layer: &str) -> Error {
    match e {
        Error::Cholesky {
            pivot_index,
            min_pivot,
            ..
        } => Error::Cholesky {
            layer: layer.to_string(),
            pivot_index,
            min_pivot,
        },
        other => other,
    }
}
