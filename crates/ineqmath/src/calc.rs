//! Checks of explicit numeric equalities, evaluated by this crate's own
//! expression evaluator. Model-written code is never executed: a model only
//! quotes an equality and splits it into two sides.

use serde::{Deserialize, Serialize};

use crate::bound::{float_to_f64, rational_to_f64};
use crate::latex::{Expr, parse_expr};
use crate::pytext::collapse_whitespace;
use crate::value::{Class, Env, classify, evaluate};

/// Working precision of the numeric evaluation, in bits.
const PRECISION: usize = 256;

/// The outcome of one check.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CheckStatus {
    /// |lhs − rhs| ≤ tolerance.
    Pass,
    /// |lhs − rhs| > tolerance.
    Fail,
    /// The quote is not in the response.
    DroppedQuote,
    /// A side does not parse or has no finite value.
    DroppedUnparsed,
    /// A side contains a free variable.
    DroppedVariable,
}

impl CheckStatus {
    /// True for the dropped states.
    pub fn dropped(self) -> bool {
        !matches!(self, CheckStatus::Pass | CheckStatus::Fail)
    }
}

/// One numeric equality and its evaluation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CalcCheck {
    /// The equality as quoted from the response.
    pub quote: String,
    /// Left side (LaTeX or ASCII).
    pub lhs: String,
    /// Right side.
    pub rhs: String,
    /// Value of the left side, when it has one.
    pub lhs_value: Option<f64>,
    /// Value of the right side.
    pub rhs_value: Option<f64>,
    /// |lhs − rhs| (computed exactly when both sides are rational).
    pub abs_diff: Option<f64>,
    /// The outcome.
    pub status: CheckStatus,
}

/// The value of one side: its f64 rendering and whether it is exactly rational.
struct Side {
    expr: Expr,
    exact: Option<crate::latex::Rational>,
}

/// Removes `$` and collapses whitespace, the form in which quotes are matched.
pub fn normalize_quote(text: &str) -> String {
    collapse_whitespace(&text.replace('$', ""))
        .trim()
        .to_string()
}

/// Evaluates one check against `response_normalized` (from [`normalize_quote`]).
/// The check fails iff |lhs − rhs| > `abs_tol`.
pub fn evaluate_check(
    quote: &str,
    lhs: &str,
    rhs: &str,
    response_normalized: &str,
    abs_tol: f64,
) -> CalcCheck {
    let mut check = CalcCheck {
        quote: quote.to_string(),
        lhs: lhs.to_string(),
        rhs: rhs.to_string(),
        lhs_value: None,
        rhs_value: None,
        abs_diff: None,
        status: CheckStatus::DroppedQuote,
    };

    let quote = normalize_quote(quote);
    if quote.is_empty() || !response_normalized.contains(&quote) {
        return check;
    }

    let (left, right) = match (side(lhs), side(rhs)) {
        (Ok(l), Ok(r)) => (l, r),
        (Err(status), _) | (_, Err(status)) => {
            check.status = status;
            return check;
        }
    };

    let values = (value(&left), value(&right));
    let (Some(l), Some(r)) = values else {
        check.status = CheckStatus::DroppedUnparsed;
        return check;
    };
    check.lhs_value = Some(l);
    check.rhs_value = Some(r);

    let diff = match (&left.exact, &right.exact) {
        (Some(a), Some(b)) => rational_to_f64(&(a - b)).map_or(f64::INFINITY, f64::abs),
        _ => (l - r).abs(),
    };
    check.abs_diff = Some(diff);
    check.status = if diff <= abs_tol {
        CheckStatus::Pass
    } else {
        CheckStatus::Fail
    };
    check
}

fn side(text: &str) -> Result<Side, CheckStatus> {
    let expr =
        parse_expr(text.replace('$', "").trim()).map_err(|_| CheckStatus::DroppedUnparsed)?;
    if !expr.variables().is_empty() {
        return Err(CheckStatus::DroppedVariable);
    }
    if expr.contains_infinity() {
        return Err(CheckStatus::DroppedUnparsed);
    }
    let exact = match classify(&expr, &Env::new()) {
        Ok((Class::Rational(q), _)) => Some(q),
        Ok(_) => None,
        Err(_) => return Err(CheckStatus::DroppedUnparsed),
    };
    Ok(Side { expr, exact })
}

fn value(side: &Side) -> Option<f64> {
    match &side.exact {
        Some(q) => rational_to_f64(q),
        None => evaluate(&side.expr, &Env::new(), PRECISION)
            .ok()
            .and_then(|x| float_to_f64(&x)),
    }
}

/// Finds fully numeric chains `a = b (= c …)` inside `$…$` spans and returns
/// one (quote, lhs, rhs) per adjacent pair.
pub fn deterministic_checks(response: &str) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    for span in response.split('$').skip(1).step_by(2) {
        let parts: Vec<&str> = span.split('=').map(str::trim).collect();
        if parts.len() < 2 || parts.iter().any(|p| !numeric(p)) {
            continue;
        }
        for pair in parts.windows(2) {
            out.push((
                span.trim().to_string(),
                pair[0].to_string(),
                pair[1].to_string(),
            ));
        }
    }
    out
}

fn numeric(text: &str) -> bool {
    const RELATIONS: [&str; 7] = ["<", ">", "\\le", "\\ge", "\\approx", "\\neq", "\\ne "];
    !text.is_empty() && !RELATIONS.iter().any(|r| text.contains(r)) && side(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(quote: &str, lhs: &str, rhs: &str, response: &str) -> CalcCheck {
        evaluate_check(quote, lhs, rhs, &normalize_quote(response), 1e-2)
    }

    #[test]
    fn false_power_fails() {
        let c = run(
            "$186^3 = 3448611$",
            "186^3",
            "3448611",
            "so $186^3 = 3448611$ holds",
        );
        assert_eq!(c.status, CheckStatus::Fail);
        assert_eq!(c.abs_diff, Some((6_434_856.0f64 - 3_448_611.0).abs()));
    }

    #[test]
    fn rounded_root_passes_at_the_tolerance() {
        let c = run(
            "\\sqrt2 = 1.414",
            "\\sqrt2",
            "1.414",
            "we get $\\sqrt2 = 1.414$.",
        );
        assert_eq!(c.status, CheckStatus::Pass);
        assert!(c.abs_diff.unwrap() < 1e-3);
    }

    #[test]
    fn absent_quote_and_free_variable_are_dropped() {
        assert_eq!(
            run("2+2=5", "2+2", "5", "nothing").status,
            CheckStatus::DroppedQuote
        );
        let c = run("x + 1 = 3", "x+1", "3", "then x + 1 = 3");
        assert_eq!(c.status, CheckStatus::DroppedVariable);
        let c = run("a = b", "\\frac{1}{0}", "3", "a = b");
        assert_eq!(c.status, CheckStatus::DroppedUnparsed);
    }

    #[test]
    fn exact_rationals_compare_exactly() {
        let c = run("1/3 = 0.334", "1/3", "0.334", "1/3 = 0.334");
        assert_eq!(c.status, CheckStatus::Pass);
        let c = run("1/3 = 0.3", "\\frac13", "0.3", "1/3 = 0.3");
        assert_eq!(c.status, CheckStatus::Fail);
    }

    #[test]
    fn deterministic_chains_come_from_math_spans() {
        let checks = deterministic_checks("so $2^3 = 8 = 4+4$ and $x = 2$ and $3 \\le 4$");
        assert_eq!(checks.len(), 2);
        assert_eq!(checks[0].1, "2^3");
        assert_eq!(checks[1].2, "4+4");
    }
}
