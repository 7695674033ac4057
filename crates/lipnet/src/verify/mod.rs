//! Independent checks of a network's Lipschitz certificate.
//!
//! All checks work on the [`Effective`](crate::effective::Effective) weights
//! alone, so they verify the construction rather than trust it:
//!
//! - [`lmi_max_eig`]: the largest eigenvalue of M = −H, the Lipschitz matrix
//!   inequality with Λ_k = I. Certified iff λ_max(M) ≤ 10⁻⁹·max(1, L²).
//! - [`exhaustive`]: the maximum of ‖A + B D_K C_K ⋯ D_1 C_1‖₂ over all 0/1
//!   diagonal slope patterns, the exact Lipschitz constant over all
//!   activations with slopes in [0, 1] (an upper bound for ReLU).
//! - [`sampled_jacobian_max`]: the largest ‖J(x)‖₂ over sample points, a lower
//!   bound on the Lipschitz constant.
//! - [`naive_bound`]: ‖A‖₂ + ‖B‖₂ ∏‖C_k‖₂, sound but loose.
//!
//! For any network: sampled ≤ exhaustive ≤ naive, and a certified network has
//! exhaustive ≤ L.

mod jacobian;
mod lmi;
mod norms;
mod patterns;

pub use jacobian::{SampledJacobian, sampled_jacobian_max};
pub use lmi::{lmi_matrix, lmi_max_eig, lmi_passes, lmi_tolerance};
pub use norms::{naive_bound, spectral_norm};
pub use patterns::{DEFAULT_MAX_BITS, HARD_MAX_BITS, exhaustive};
