//! From a Bayes-error requirement to a risk tolerance r (normlab
//! reconstruction, not the paper's rule).
//!
//! With equal priors BER = ½(1 − TV). Pinsker (TV ≤ √(KL/2)) and Jensen give
//! E BER ≥ ½ − √(Rₙ/8), so E BER ≥ β holds when Rₙ ≤ r = 8(½ − β)².
//! Bretagnolle–Huber (TV ≤ √(1 − e^−KL)) gives r = −ln(1 − (1 − 2β)²). Markov's
//! inequality gives P(BER < β) ≤ α for r = 8α(½ − β)².
//!
//! ```
//! use pncrit::calibrate::{tolerance_from_bayes_error, Calib};
//! let r = tolerance_from_bayes_error(0.45, Calib::Pinsker).unwrap();
//! assert!((r - 0.02).abs() < 1e-15);
//! ```

use serde::Serialize;

use crate::error::{Error, Result};

/// Default Bayes-error level β (r = 0.02 with Pinsker).
///
/// NOTE: normlab derivation; compare with arXiv 2105.08947. This default is
/// our choice, not the paper's.
pub const DEFAULT_BETA: f64 = 0.45;

/// The inequality that turns β into r.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Calib {
    /// Pinsker and Jensen: r = 8(½ − β)².
    Pinsker,
    /// Bretagnolle–Huber and Jensen: r = −ln(1 − (1 − 2β)²).
    BretagnolleHuber,
    /// The larger (both are valid sufficient conditions).
    Combined,
    /// Markov: P(BER < β) ≤ α with r = 8α(½ − β)².
    Markov {
        /// Allowed probability α ∈ (0, 1].
        alpha: f64,
    },
}

impl Calib {
    /// Parses `pinsker`, `bh`, `combined` or `markov:ALPHA`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for any other text or α ∉ (0, 1].
    pub fn parse(text: &str) -> Result<Calib> {
        match text {
            "pinsker" => Ok(Calib::Pinsker),
            "bh" => Ok(Calib::BretagnolleHuber),
            "combined" => Ok(Calib::Combined),
            _ => {
                let alpha = text
                    .strip_prefix("markov:")
                    .and_then(|a| a.parse::<f64>().ok())
                    .ok_or_else(|| {
                        Error::invalid("calib", text, "use pinsker, bh, combined or markov:ALPHA")
                    })?;
                if !(alpha > 0.0 && alpha <= 1.0) {
                    return Err(Error::invalid("alpha", alpha, "α must lie in (0, 1]"));
                }
                Ok(Calib::Markov { alpha })
            }
        }
    }

    /// Short name for tables.
    pub fn name(&self) -> String {
        match self {
            Calib::Pinsker => "pinsker".into(),
            Calib::BretagnolleHuber => "bh".into(),
            Calib::Combined => "combined".into(),
            Calib::Markov { alpha } => format!("markov:{alpha}"),
        }
    }
}

/// Converts a Bayes-error level β ∈ (0, ½) into the risk tolerance r (nats).
///
/// NOTE: normlab derivation; compare with arXiv 2105.08947. The paper ties the
/// Bayes error to the truth and the information projection, which may be a
/// different construction; this function is the one place to change.
///
/// # Errors
///
/// [`Error::InvalidParameter`] when β ∉ (0, ½).
pub fn tolerance_from_bayes_error(beta: f64, calib: Calib) -> Result<f64> {
    if !(beta > 0.0 && beta < 0.5) {
        return Err(Error::invalid(
            "beta",
            beta,
            "β must lie in (0, 0.5); 0.45 gives r = 0.02",
        ));
    }
    let gap = 0.5 - beta;
    let pinsker = 8.0 * gap * gap;
    let bh = -(1.0 - (2.0 * gap).powi(2)).ln();
    let r = match calib {
        Calib::Pinsker => pinsker,
        Calib::BretagnolleHuber => bh,
        Calib::Combined => pinsker.max(bh),
        Calib::Markov { alpha } => alpha * pinsker,
    };
    Ok(round_significant(r))
}

/// Significant decimal digits kept in r.
const R_DIGITS: usize = 14;

/// Rounds to [`R_DIGITS`] significant digits. β is typed in decimal, and
/// 0.5 − β carries its binary representation error (8(0.5 − 0.45)² evaluates
/// to 0.01999999999999999); rounding restores the decimal value, so that
/// `--beta 0.45` and `--r 0.02` decide alike.
fn round_significant(r: f64) -> f64 {
    format!("{r:.prec$e}", prec = R_DIGITS - 1)
        .parse()
        .unwrap_or(r)
}

/// Lower bounds on the Bayes error between two densities at KL divergence
/// `kl`: (Pinsker ½ − √(KL/8), Bretagnolle–Huber ½ − ½√(1 − e^−KL)).
pub fn ber_lower_bounds(kl: f64) -> (f64, f64) {
    (
        0.5 - (kl / 8.0).sqrt(),
        0.5 - 0.5 * (1.0 - (-kl).exp()).sqrt(),
    )
}
