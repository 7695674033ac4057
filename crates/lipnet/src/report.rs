//! Evaluation of a trained model: accuracy, certified accuracy and every
//! certificate check that applies to its size.

use crate::error::{Error, Result};
use crate::metrics::{REPORT_EPS, certified_accuracy, clean_accuracy};
use crate::model::LipModel;
use crate::network::{Network, SlopeNet};
use crate::verify;
use datasets::Table;
use serde::Serialize;
use std::collections::BTreeMap;
use tape::ParamStore;

/// Relative slack allowed between a sampled Jacobian norm and the bound L;
/// it only absorbs rounding in the norm computation.
pub const SAMPLED_SLACK: f64 = 1e-9;

/// Clean and certified accuracy plus the certificate checks of one model.
#[derive(Clone, Debug, Serialize)]
pub struct EvalReport {
    /// Fraction of test rows classified correctly (ties are errors).
    pub clean_acc: f64,
    /// Certified robust accuracy keyed by radius label ("36/255", …).
    pub cra: BTreeMap<String, f64>,
    /// The Lipschitz bound by construction (the claimed one for reference variants).
    pub lip_bound: f64,
    /// λ_max of the Λ = I LMI matrix; NaN (JSON null) for models without the
    /// LDLᵀ form, which have no LMI.
    pub lmi_max_eig: f64,
    /// λ_max ≤ 10⁻⁹·max(1, L²); true when no LMI applies.
    pub lmi_pass: bool,
    /// Largest ‖J(x)‖₂ over the test rows.
    pub sampled_jac_max: f64,
    /// Exact bound over all slope patterns, when Σ n_k ≤ the cap.
    pub exhaustive: Option<f64>,
    /// ‖A‖₂ + ‖B‖₂∏‖C_k‖₂, or the product of per-layer bounds for layer lists.
    pub naive_bound: f64,
    /// Every applicable check passed.
    pub verified: bool,
}

/// Evaluates `model` on `test` and runs the certificate checks.
///
/// The exhaustive pattern bound runs only when the hidden layers hold at most
/// `max_pattern_bits` units in total.
///
/// # Errors
///
/// Parameterization failures and decomposition failures in the checks.
pub fn evaluate(
    model: &dyn LipModel,
    store: &ParamStore,
    test: &Table,
    max_pattern_bits: usize,
) -> Result<EvalReport> {
    check_table(model, test)?;
    let net = model.network(store)?;
    let lip = model.lip_bound(store)?;
    let z = net.forward(test.x.as_ref());

    let cra = REPORT_EPS
        .iter()
        .map(|&(label, eps)| {
            (
                label.to_string(),
                certified_accuracy(z.as_ref(), &test.y, lip, eps),
            )
        })
        .collect();

    let checks = certificate_checks(&net, lip, test, max_pattern_bits)?;
    Ok(EvalReport {
        clean_acc: clean_accuracy(z.as_ref(), &test.y),
        cra,
        lip_bound: lip,
        ..checks
    })
}

/// Checks that `data` has the model's input width and labels below n_out.
///
/// # Errors
///
/// [`Error::Shape`] naming the mismatch.
pub fn check_table(model: &dyn LipModel, data: &Table) -> Result<()> {
    let arch = model.arch();
    if data.x.ncols() != arch.n_in() {
        return Err(Error::Shape {
            what: "input features".into(),
            expected: format!("{} columns (the model's n_in)", arch.n_in()),
            found: format!(
                "{} columns; use the data the model was trained on",
                data.x.ncols()
            ),
        });
    }
    if let Some(&bad) = data.y.iter().find(|&&c| c >= arch.n_out()) {
        return Err(Error::Shape {
            what: "labels".into(),
            expected: format!("labels below {} (the model's n_out)", arch.n_out()),
            found: format!("label {bad}"),
        });
    }
    Ok(())
}

fn certificate_checks(
    net: &Network,
    lip: f64,
    test: &Table,
    max_pattern_bits: usize,
) -> Result<EvalReport> {
    let (lmi_max_eig, lmi_pass) = match net.effective() {
        Some(eff) => {
            let value = verify::lmi_max_eig(eff, lip)?;
            (value, verify::lmi_passes(value, lip))
        }
        None => (f64::NAN, true),
    };
    let sampled = verify::sampled_jacobian_max(net, test.x.as_ref())?;

    let bits: usize = net.slope_widths().iter().sum();
    let exhaustive = if bits <= max_pattern_bits {
        Some(verify::exhaustive(net, max_pattern_bits)?.0)
    } else {
        None
    };

    let limit = lip * (1.0 + SAMPLED_SLACK);
    let verified = lmi_pass && sampled.max_norm <= limit && exhaustive.is_none_or(|e| e <= limit);
    Ok(EvalReport {
        clean_acc: 0.0,
        cra: BTreeMap::new(),
        lip_bound: lip,
        lmi_max_eig,
        lmi_pass,
        sampled_jac_max: sampled.max_norm,
        exhaustive,
        naive_bound: net.naive_bound()?,
        verified,
    })
}
