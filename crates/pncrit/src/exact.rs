//! Exact risks and closed-form coefficients for well-specified models, used to
//! check the expansion.
//!
//! - MVN N_d, t = (x, vech xxᵀ), from Wishart moments:
//!   Rₙ = ½[(n+1)d/(n−d−2) − d + Σ_{i=1..d} ψ₀((n−i)/2) + d ln(2/n)], n > d + 2;
//!   a₁ = p/2, a₂ = d(10d² + 51d + 61)/24.
//! - Exponential rate: Rₙ = ψ₀(n) − ln n + 1/(n−1), a₁ = ½, a₂ = 11/12.
//!
//! These closed forms are derived in the normlab pncrit specification.
//!
//! ```
//! let r = pncrit::exact::mvn_exact_risk(1, 20).unwrap();
//! assert!((r - 0.0652234505279814).abs() < 1e-12);
//! ```

/// Returns the digamma function ψ₀(x) for x > 0 (recurrence up to x ≥ 10,
/// then the asymptotic series; absolute error below 1e-14).
pub fn digamma(x: f64) -> f64 {
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= 1.0 / x;
        x += 1.0;
    }
    let inv2 = 1.0 / (x * x);
    let series = inv2
        * (1.0 / 12.0
            - inv2
                * (1.0 / 120.0
                    - inv2 * (1.0 / 252.0 - inv2 * (1.0 / 240.0 - inv2 * (1.0 / 132.0)))));
    shift + x.ln() - 0.5 / x - series
}

/// Returns ln Γ(x) for x > 0 (recurrence up to x ≥ 10, then Stirling's series).
pub fn ln_gamma(x: f64) -> f64 {
    let mut x = x;
    let mut shift = 0.0;
    while x < 10.0 {
        shift -= x.ln();
        x += 1.0;
    }
    let inv = 1.0 / x;
    let inv2 = inv * inv;
    let series = inv * (1.0 / 12.0 - inv2 * (1.0 / 360.0 - inv2 * (1.0 / 1260.0 - inv2 / 1680.0)));
    shift + (x - 0.5) * x.ln() - x + 0.5 * (2.0 * std::f64::consts::PI).ln() + series
}

/// Returns the exact risk of the well-specified MVN model, or `None` when n ≤ d + 2.
pub fn mvn_exact_risk(d: usize, n: usize) -> Option<f64> {
    if n <= d + 2 {
        return None;
    }
    let (df, nf) = (d as f64, n as f64);
    let digammas: f64 = (1..=d).map(|i| digamma((nf - i as f64) / 2.0)).sum();
    Some(0.5 * ((nf + 1.0) * df / (nf - df - 2.0) - df + digammas + df * (2.0 / nf).ln()))
}

/// Returns the closed-form a₂ of the well-specified MVN model, d(10d² + 51d + 61)/24.
pub fn mvn_a2(d: usize) -> f64 {
    let d = d as f64;
    d * (10.0 * d * d + 51.0 * d + 61.0) / 24.0
}

/// Returns the exact risk of the well-specified exponential-rate model, n ≥ 2.
pub fn exponential_exact_risk(n: usize) -> Option<f64> {
    if n < 2 {
        return None;
    }
    let nf = n as f64;
    Some(digamma(nf) - nf.ln() + 1.0 / (nf - 1.0))
}
