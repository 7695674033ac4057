//! Phase 1 of the two-phase pipeline: preconditioners behind one trait.
//!
//! A preconditioner is fitted on the Phase-0 design X0 (centred, columns at
//! ‖X_j‖² = N) and maps it to D (N × d). A left preconditioner acts on rows
//! (D = TX0, y' = Ty0) and keeps column identities, so v is already in
//! original coordinates; a right preconditioner (D = X0P) maps back by w = Pv.
//!
//! | name | string | transform |
//! |---|---|---|
//! | [`identity::Identity`] | `identity` | D = X0 |
//! | [`identity::ColumnNormalize`] | `normalize` | D = X0 diag(c), c_j = √N/‖x_j‖ |
//! | [`whiten::Whiten`] | `whiten:γ` | P = (X0ᵀX0/N + γI)^{−1/2}, D = X0P |
//! | [`factor::FactorRemoval`] | `factor:r` | T = I − U_rU_rᵀ, U_r the top-r left singular vectors |
//! | [`paper::PaperPhase1`] | `paper` | open item: returns `NotImplemented` |
//!
//! ```
//! let p = sparsereg::precond::parse("whiten:1e-3").unwrap();
//! assert_eq!(p.name(), "whiten:0.001");
//! assert!(sparsereg::precond::parse("whiten:-1").is_err());
//! ```

pub mod factor;
pub mod identity;
pub mod paper;
pub mod whiten;

use faer::{Mat, MatRef};

use crate::error::{Error, Result};

/// Space in which the OLS refit of the selected columns runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RefitSpace {
    /// Column identities are kept: regress the original y on the original columns.
    Original,
    /// Columns are mixed: regress y' on the selected columns of D, then map back.
    Transformed,
}

/// A Phase-1 change of basis.
pub trait Preconditioner {
    /// Learns the transform from the Phase-0 design X0.
    ///
    /// # Errors
    /// [`Error::Singular`] or [`Error::InvalidParameter`] when the transform
    /// does not exist for X0; [`Error::NotImplemented`] for the Phase 1 of arXiv 2511.06211.
    fn fit(&mut self, x: MatRef<'_, f64>) -> Result<()>;

    /// Returns (D, y') for a design and response in Phase-0 coordinates.
    ///
    /// # Errors
    /// [`Error::ShapeMismatch`] when called before `fit` or with another shape.
    fn apply(&self, x: MatRef<'_, f64>, y: &[f64]) -> Result<(Mat<f64>, Vec<f64>)>;

    /// Maps coefficients v on D to coefficients on X0.
    fn to_original(&self, v: &[f64]) -> Vec<f64>;

    /// Returns the string that [`parse`] accepts for this preconditioner.
    fn name(&self) -> String;

    /// Returns the space of the OLS refit.
    fn refit_space(&self) -> RefitSpace;
}

/// Builds a preconditioner from its string (see the module table).
///
/// # Errors
/// [`Error::InvalidParameter`] for an unknown name or parameter.
pub fn parse(s: &str) -> Result<Box<dyn Preconditioner>> {
    let (name, arg) = s.split_once(':').unwrap_or((s, ""));
    let number = |what: &'static str| -> Result<f64> {
        arg.parse::<f64>()
            .map_err(|_| Error::invalid(what, arg, format!("{s}: the parameter must be a number")))
    };
    match name {
        "identity" => Ok(Box::new(identity::Identity)),
        "normalize" => Ok(Box::new(identity::ColumnNormalize::default())),
        "whiten" => {
            let gamma = if arg.is_empty() {
                0.0
            } else {
                number("gamma")?
            };
            if !(gamma >= 0.0 && gamma.is_finite()) {
                return Err(Error::invalid("gamma", gamma, "whiten:γ needs γ ≥ 0"));
            }
            Ok(Box::new(whiten::Whiten::new(gamma)))
        }
        "factor" => {
            let r = number("r")?;
            if !(r >= 1.0 && r.fract() == 0.0) {
                return Err(Error::invalid(
                    "r",
                    r,
                    "factor:r needs a whole number r ≥ 1",
                ));
            }
            Ok(Box::new(factor::FactorRemoval::new(r as usize)))
        }
        "paper" => Ok(Box::new(paper::PaperPhase1)),
        _ => Err(Error::invalid(
            "preconditioner",
            s,
            "use identity, normalize, whiten:γ, factor:r or paper",
        )),
    }
}

pub(crate) fn check_width(expected: usize, x: MatRef<'_, f64>, name: &str) -> Result<()> {
    if expected != x.ncols() {
        return Err(Error::ShapeMismatch(format!(
            "{name} was fitted on {expected} columns but applied to {}; fit it on this design first",
            x.ncols()
        )));
    }
    Ok(())
}
