//! Decisions from the expansion: accept/reject at tolerance r, the minimal
//! sample size n_min, the maximal dimension p_max over nested models, and the
//! reliability flags.
//!
//! Accept iff R̂(n) ≤ r with R̂ = â₁/n + â₂/n² (or â₁/n at first order).
//! n_min is the smallest integer n with R̂(n) ≤ r: with a real root, the larger
//! root (â₁ + √(â₁² + 4râ₂))/(2r); when â₂ < 0 and the discriminant is negative,
//! ⌈â₁/r⌉ with the flag `no_real_root`. The result is raised to at least
//! n_rel = ⌈2|â₂|/â₁⌉, where the n⁻² term is at most half the n⁻¹ term
//! (flag `reliability_bound` when that binds). The thresholds are ours.
//!
//! ```
//! use pncrit::criterion::{n_min, Order};
//! let (root, n, _) = n_min(38.5, 839.6666666666665, 0.02, Order::Second);
//! assert!((root - 1946.5678753690383).abs() < 1e-9);
//! assert_eq!(n, 1947);
//! ```

use serde::Serialize;

use crate::expansion::Expansion;

/// Threshold on one observation's share of 2â₁ above which `dominated` is raised.
pub const DOMINATED_SHARE: f64 = 0.10;

/// Which truncation of the expansion decides.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Order {
    /// R̂₁ = â₁/n.
    First,
    /// R̂₂ = â₁/n + â₂/n².
    Second,
}

/// A reliability or status flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Flag {
    /// |â₂|/n² > ½·â₁/n: the n⁻² term is not small at the observed n.
    ExpansionUnreliable,
    /// The MLE does not exist or Newton diverged.
    MleBoundary,
    /// One observation carries more than 10% of 2â₁.
    Dominated,
    /// R̂₂(n) < 0.
    NegativeRisk,
    /// â₂ < 0 and â₁/n + â₂/n² = r has no real root; n_min falls back to ⌈â₁/r⌉.
    NoRealRoot,
    /// n_min was raised to the reliability bound ⌈2|â₂|/â₁⌉.
    ReliabilityBound,
    /// A smaller nested model is rejected while a larger one is accepted.
    NonMonotone,
    /// The root of R̂(n) = r exceeds [`MAX_N`]; n_min is then reported as `u64::MAX`.
    NMinOverflow,
    /// The batch-means standard error of â₂ exceeds 10% of |â₂| (sampled clouds).
    CloudMcError,
    /// A user-supplied model cloud's mean is not t̄, so it is not at the MLE.
    CloudNotAtMle,
}

impl Flag {
    /// The snake_case name used in tables.
    pub fn name(&self) -> &'static str {
        match self {
            Flag::ExpansionUnreliable => "expansion_unreliable",
            Flag::MleBoundary => "mle_boundary",
            Flag::Dominated => "dominated",
            Flag::NegativeRisk => "negative_risk",
            Flag::NoRealRoot => "no_real_root",
            Flag::ReliabilityBound => "reliability_bound",
            Flag::NonMonotone => "non_monotone",
            Flag::NMinOverflow => "n_min_overflow",
            Flag::CloudMcError => "cloud_mc_error",
            Flag::CloudNotAtMle => "cloud_not_at_mle",
        }
    }
}

/// The decision at sample size n and tolerance r.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// R̂(n) ≤ r for the chosen order.
    pub accept: bool,
    /// R̂₁(n) = â₁/n (nats).
    pub r1: f64,
    /// R̂₂(n) = â₁/n + â₂/n² (nats).
    pub r2: f64,
    /// The real root of R̂(n) = r (before rounding and the reliability bound).
    pub n_min_root: f64,
    /// The smallest accepted integer n, after the reliability bound.
    pub n_min: u64,
    /// Flags raised, in a fixed order.
    pub flags: Vec<Flag>,
}

/// Largest n_min reported as a number (10¹⁵ observations); a larger root
/// raises [`Flag::NMinOverflow`].
pub const MAX_N: f64 = 1e15;

/// Returns (root, n_min, flags) for R̂(n) = r; see the module documentation.
///
/// Needs â₁ > 0 and r > 0 (callers validate r; â₁ = ½tr(AK₂) is positive
/// whenever K₂ ≠ 0). When the root or the reliability bound exceeds
/// [`MAX_N`] (or is not finite), n_min is `u64::MAX` with [`Flag::NMinOverflow`].
pub fn n_min(a1: f64, a2: f64, r: f64, order: Order) -> (f64, u64, Vec<Flag>) {
    let mut flags = Vec::new();
    let root = match order {
        Order::First => a1 / r,
        Order::Second => {
            let disc = a1 * a1 + 4.0 * r * a2;
            if disc >= 0.0 {
                (a1 + disc.sqrt()) / (2.0 * r)
            } else {
                flags.push(Flag::NoRealRoot);
                a1 / r
            }
        }
    };
    let reliable = match order {
        Order::First => 0.0,
        Order::Second => (2.0 * a2.abs() / a1).ceil(),
    };
    if !(root <= MAX_N && reliable <= MAX_N) {
        flags.push(Flag::NMinOverflow);
        return (root, u64::MAX, flags);
    }
    let mut n = smallest_accepted(a1, a2, r, order, root);
    if reliable as u64 > n {
        n = reliable as u64;
        flags.push(Flag::ReliabilityBound);
    }
    (root, n, flags)
}

/// Returns ⌈root⌉ (at least 1), lowered by one when R̂ at that integer is
/// already ≤ r: rounding in the root formula can push an exact integer root
/// just above the integer.
fn smallest_accepted(a1: f64, a2: f64, r: f64, order: Order, root: f64) -> u64 {
    let n = root.ceil().max(1.0) as u64;
    let risk = |m: u64| {
        let m = m as f64;
        match order {
            Order::First => a1 / m,
            Order::Second => a1 / m + a2 / (m * m),
        }
    };
    if n > 1 && (n - 1) as f64 >= root - 1e-9 * root.max(1.0) && risk(n - 1) <= r {
        n - 1
    } else {
        n
    }
}

/// Decides at sample size n and tolerance r.
pub fn decide(e: &Expansion, n: usize, r: f64, order: Order) -> Verdict {
    let nf = n as f64;
    let r1 = e.a1 / nf;
    let r2 = r1 + e.a2 / (nf * nf);
    let risk = if order == Order::First { r1 } else { r2 };
    let (n_min_root, n_min, root_flags) = n_min(e.a1, e.a2, r, order);

    let mut flags = Vec::new();
    if e.a2.abs() / (nf * nf) > 0.5 * e.a1 / nf {
        flags.push(Flag::ExpansionUnreliable);
    }
    if e.shares_max > DOMINATED_SHARE {
        flags.push(Flag::Dominated);
    }
    if r2 < 0.0 {
        flags.push(Flag::NegativeRisk);
    }
    flags.extend(root_flags);
    Verdict {
        accept: risk <= r,
        r1,
        r2,
        n_min_root,
        n_min,
        flags,
    }
}

/// Returns the largest accepted dimension over nested models given as
/// (p, accepted) in increasing p, and whether the acceptances are non-monotone
/// (a smaller model rejected while a larger one is accepted).
pub fn p_max(models: &[(usize, bool)]) -> (Option<usize>, bool) {
    let largest = models.iter().filter(|m| m.1).map(|m| m.0).max();
    let non_monotone = match largest {
        Some(p) => models.iter().any(|m| m.0 < p && !m.1),
        None => false,
    };
    (largest, non_monotone)
}
