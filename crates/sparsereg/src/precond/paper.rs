//! Slot for the Phase-1 algorithm of Chandrasekaran, Meka and Stavropoulos,
//! "Sparse Linear Regression is Easy on Random Supports" (arXiv 2511.06211, §4).
//!
//! OPEN ITEM: the paper's text beyond its abstract, introduction and section
//! titles was not available when this crate was written, so the algorithm is
//! not implemented. Known: Phase 1 finds a "good preconditioner" (§4) and
//! Phase 2 solves sparse regression in the preconditioned system (§5); the run
//! time is polynomial in d, N and the bit length, for condition numbers up to
//! 2^{poly(d)}. To read before coding: the definition of a good
//! preconditioner, the steps and iteration count of Phase 1 (and whether it
//! uses y or randomness), the Phase-2 estimator and its λ, and the coefficient
//! model. Acceptance: the lower s_min quantiles of
//! [`crate::diagnostic::restricted_conditioning`] and the PE-versus-N curve
//! must improve over `identity` on the hard designs.
//!
//! ```
//! use faer::mat;
//! use sparsereg::precond::{Preconditioner, paper::PaperPhase1};
//! let err = PaperPhase1.fit(mat![[1.0]].as_ref()).unwrap_err();
//! assert!(matches!(err, sparsereg::Error::NotImplemented(_)));
//! ```

use faer::{Mat, MatRef};

use super::{Preconditioner, RefitSpace};
use crate::error::{Error, Result};

/// The paper's Phase 1 (not implemented; every method returns `NotImplemented` or is inert).
#[derive(Debug, Clone, Copy, Default)]
pub struct PaperPhase1;

fn not_implemented() -> Error {
    Error::NotImplemented(
        "the Phase-1 preconditioner of arXiv 2511.06211 (§4) is an open item because the \
         paper's algorithm text was not available; use identity, normalize, whiten:γ or factor:r"
            .into(),
    )
}

impl Preconditioner for PaperPhase1 {
    fn fit(&mut self, _x: MatRef<'_, f64>) -> Result<()> {
        // TODO: implement Phase 1 from §4 of arXiv 2511.06211 once its text is available.
        Err(not_implemented())
    }

    fn apply(&self, _x: MatRef<'_, f64>, _y: &[f64]) -> Result<(Mat<f64>, Vec<f64>)> {
        Err(not_implemented())
    }

    fn to_original(&self, v: &[f64]) -> Vec<f64> {
        v.to_vec()
    }

    fn name(&self) -> String {
        "paper".into()
    }

    fn refit_space(&self) -> RefitSpace {
        RefitSpace::Original
    }
}
