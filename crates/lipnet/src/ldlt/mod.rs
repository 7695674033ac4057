//! LDLᵀ networks: L-Lipschitz by construction.
//!
//! With Λ_k = I, a network z_k = σ(C_k z_{k−1} + b_k), y = A x + B z_K + b_A is
//! L-Lipschitz when the block-tridiagonal matrix H of its Lipschitz matrix
//! inequality is positive definite, which holds iff every block pivot of the
//! block LDLᵀ factorization of H is. The networks here build the effective
//! weights from free parameters so that every pivot is positive definite by
//! construction (Juston et al., arXiv 2512.05915, with the corrections derived
//! in the normlab lipnet specification §2.3 and §2.4):
//!
//! - [`LdltSequential`]: y = C_{K+1} z_K + b_{K+1}.
//! - [`LdltResidual`]: y = A x + b_A + B z_K, with a skip map A.
//!
//! [`Variant::ReferenceParity`] reproduces the published PyTorch code, which
//! is not a valid certificate for residual networks or for L < 1, and exists
//! only for cross-checks.
//!
//! ```
//! use lipnet::ldlt::{LdltResidual, Variant};
//! use lipnet::model::{Arch, ArchParams, LipModel, ModelId};
//! use lipnet::verify::lmi_max_eig;
//!
//! let arch = ArchParams::new(ModelId::LdltRes, 3, 2, vec![4, 4], 1.0).check().unwrap();
//! let mut store = tape::ParamStore::new();
//! let mut rng = tape::rng::stream(0, "init");
//! let model = lipnet::model::build(&arch, &mut store, &mut rng).unwrap();
//! let eff = model.effective(&store).unwrap();
//! assert!(lmi_max_eig(&eff, 1.0).unwrap() <= 1e-9);
//! ```

mod residual;
mod sequential;

pub use residual::LdltResidual;
pub use sequential::LdltSequential;

use serde::{Deserialize, Serialize};

/// Which raw-to-effective map a network uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Variant {
    /// The certified construction: every parameter value gives an L-Lipschitz net.
    Certified,
    /// The published reference code's map, kept for cross-checks only. It is
    /// unsafe for L < 1 (sequential) and for residual networks.
    ReferenceParity,
}

impl Variant {
    /// Returns the name used in model files and JSON output.
    pub fn name(self) -> &'static str {
        match self {
            Variant::Certified => "certified",
            Variant::ReferenceParity => "reference_parity",
        }
    }
}
