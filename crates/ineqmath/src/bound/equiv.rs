//! Bound-answer equivalence: equal iff the values are equal exactly over
//! R ∪ {±∞}. A decimal literal is an exact rational, so it can equal a
//! rational but never an irrational.

use astro_float::BigFloat;
use num_traits::{Signed, ToPrimitive};
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::latex::{Answer, Expr, Part, parse_answer};
use crate::method::Method;
use crate::value::{Class, Env, EvalError, classify, evaluate, evaluate_tracked, numbers_equal};

/// An equivalence verdict.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Verdict {
    /// Whether the two answers are equivalent.
    pub equal: bool,
    /// The rule that decided.
    pub method: Method,
    /// |gold − prediction| when both have a finite value; `0.0` also when a
    /// nonzero difference is below the smallest `f64` (see `abs_diff_below_pow2`).
    pub abs_diff: Option<f64>,
    /// An exponent e with |gold − prediction| < 2^e, when the difference is
    /// nonzero but too small for `abs_diff`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub abs_diff_below_pow2: Option<i32>,
}

impl Verdict {
    fn new(equal: bool, method: Method) -> Self {
        Verdict {
            equal,
            method,
            abs_diff: None,
            abs_diff_below_pow2: None,
        }
    }
}

/// Sample points of the symbolic comparison.
const POINTS: usize = 8;
/// Range of the integer value of each variable at a sample point.
const POINT_RANGE: std::ops::RangeInclusive<i64> = 3..=20;

/// Parses both strings and compares them (see [`equivalent`]).
pub fn equivalent_str(gold: &str, pred: &str) -> Verdict {
    equivalent(&parse_answer(gold), &parse_answer(pred))
}

/// Compares a gold answer with a predicted one. The first decisive step wins:
/// approximation marker; tuples by label; identical strings; parse failure;
/// infinity; free variable or sample points; exact rationals; rational against
/// proven irrational; numeric comparison at adaptive precision.
pub fn equivalent(gold: &Answer, pred: &Answer) -> Verdict {
    match (gold, pred) {
        (Answer::Approximate(_), _) | (_, Answer::Approximate(_)) => {
            Verdict::new(false, Method::ApproxMarker)
        }
        (Answer::Tuple(g), Answer::Tuple(p)) => Verdict::new(tuples_equal(g, p), Method::Tuple),
        (Answer::Tuple(_), _) | (_, Answer::Tuple(_)) => Verdict::new(false, Method::Tuple),
        (Answer::Single(g), Answer::Single(p)) => single(g, p),
    }
}

fn tuples_equal(gold: &[Part], pred: &[Part]) -> bool {
    gold.len() == pred.len()
        && gold.iter().all(|g| {
            pred.iter()
                .find(|p| p.label == g.label)
                .is_some_and(|p| single(g, p).equal)
        })
}

fn string_key(s: &str) -> String {
    s.chars().filter(|&c| c != '$' && c != ' ').collect()
}

fn single(gold: &Part, pred: &Part) -> Verdict {
    if string_key(&gold.rhs) == string_key(&pred.rhs) {
        return Verdict::new(true, Method::StringMatch);
    }
    let (Ok(g), Ok(p)) = (&gold.expr, &pred.expr) else {
        return Verdict::new(false, Method::Unparsed);
    };
    if g.contains_infinity() || p.contains_infinity() {
        return infinity(g, p);
    }

    let digits = gold
        .rhs
        .chars()
        .chain(pred.rhs.chars())
        .filter(char::is_ascii_digit)
        .count();
    let gold_vars = g.variables();
    let pred_vars = p.variables();
    if gold_vars.is_empty() && !pred_vars.is_empty() {
        return Verdict::new(false, Method::FreeVariable);
    }
    if !gold_vars.is_empty() || !pred_vars.is_empty() {
        let mut names = gold_vars;
        names.extend(pred_vars);
        names.sort();
        names.dedup();
        return point_identity(g, p, &names, digits);
    }
    match constants(g, p, &Env::new(), digits) {
        Ok(verdict) => verdict,
        Err(_) => Verdict::new(false, Method::Unparsed),
    }
}

fn infinity(g: &Expr, p: &Expr) -> Verdict {
    match (g.infinity_sign(), p.infinity_sign()) {
        (Some(a), Some(b)) => Verdict::new(a == b, Method::Infinity),
        (Some(_), None) if !p.contains_infinity() => Verdict::new(false, Method::Infinity),
        (None, Some(_)) if !g.contains_infinity() => Verdict::new(false, Method::Infinity),
        _ => Verdict::new(false, Method::Unparsed),
    }
}

/// Compares two constants (after substituting `env`).
fn constants(g: &Expr, p: &Expr, env: &Env, digits: usize) -> Result<Verdict, EvalError> {
    let (gold_class, gold_bits) = classify(g, env)?;
    let (pred_class, pred_bits) = classify(p, env)?;
    match (&gold_class, &pred_class) {
        (Class::Rational(a), Class::Rational(b)) => {
            let diff = (a - b).abs();
            let mut verdict = Verdict::new(a == b, Method::ExactRational);
            verdict.abs_diff = rational_to_f64(&diff);
            return Ok(verdict);
        }
        (Class::Rational(_), Class::Irrational) | (Class::Irrational, Class::Rational(_)) => {
            return Ok(Verdict::new(false, Method::RationalVsIrrational));
        }
        _ => {}
    }

    let bits = usize::try_from(gold_bits.max(pred_bits)).unwrap_or(usize::MAX / 4);
    let base = 256.max(8 * digits + 64).max(2 * bits + 64);
    let Some((precision, values)) = needed_precision(g, p, env, base)? else {
        return Ok(Verdict::new(false, Method::NumericUndecided));
    };
    // The values at `base` serve as the first pass when no more bits are needed.
    let mut first = Some(values).filter(|_| precision == base);
    let mut verdict = Verdict::new(true, Method::Numeric);
    for p_bits in [precision, 2 * precision] {
        let (a, b) = match first.take() {
            Some(values) => values,
            None => (evaluate(g, env, p_bits)?, evaluate(p, env, p_bits)?),
        };
        let (same, diff) = numbers_equal(&a, &b, p_bits);
        verdict.equal &= same;
        if verdict.abs_diff.is_none() {
            verdict.abs_diff = float_to_f64(&diff);
            if verdict.abs_diff == Some(0.0) && !diff.is_zero() {
                verdict.abs_diff_below_pow2 = diff.exponent();
            }
        }
    }
    Ok(verdict)
}

/// The gold and predicted values at one precision.
type ValuePair = (BigFloat, BigFloat);

/// Precision cap of the numeric tier in bits (about 79,000 decimal digits).
const MAX_PRECISION_BITS: usize = 1 << 18;

/// Raises `base` until it reaches past the smallest intermediate value of
/// either side relative to the larger result, so that a tiny term such as
/// `10^{-20000}` is not rounded away. `None` when that needs more than
/// [`MAX_PRECISION_BITS`]; otherwise the precision and both values at `base`.
fn needed_precision(
    g: &Expr,
    p: &Expr,
    env: &Env,
    base: usize,
) -> Result<Option<(usize, ValuePair)>, EvalError> {
    let (a, a_min) = evaluate_tracked(g, env, base)?;
    let (b, b_min) = evaluate_tracked(p, env, base)?;
    let top = [a.exponent(), b.exponent(), Some(1)]
        .into_iter()
        .flatten()
        .max()
        .unwrap_or(1);
    let smallest = a_min.min(b_min);
    let span = if smallest == i32::MAX {
        0
    } else {
        usize::try_from(i64::from(top) - i64::from(smallest)).unwrap_or(0)
    };
    let needed = base.max(span + 96);
    Ok((needed <= MAX_PRECISION_BITS).then_some((needed, (a, b))))
}

/// Compares symbolic answers at sample points: each variable takes a distinct
/// integer in [3, 20] from ChaCha8 seeded with 0. Points where both sides have
/// no value are skipped; equal iff equal at every other point.
fn point_identity(g: &Expr, p: &Expr, names: &[String], digits: usize) -> Verdict {
    let mut rng = ChaCha8Rng::seed_from_u64(0);
    let mut compared = 0;
    for _ in 0..POINTS {
        let env = sample_point(&mut rng, names);
        match (constants(g, p, &env, digits), both_undefined(g, p, &env)) {
            (Ok(verdict), _) if !verdict.equal => {
                return Verdict::new(false, Method::PointIdentity);
            }
            (Ok(_), _) => compared += 1,
            (Err(_), true) => {}
            (Err(_), false) => return Verdict::new(false, Method::PointIdentity),
        }
    }
    Verdict::new(compared > 0, Method::PointIdentity)
}

fn sample_point(rng: &mut ChaCha8Rng, names: &[String]) -> Env {
    let span = (POINT_RANGE.end() - POINT_RANGE.start() + 1) as usize;
    let mut used = Vec::new();
    let mut env = Env::new();
    for name in names {
        let value = loop {
            let v = rng.random_range(POINT_RANGE);
            if !used.contains(&v) || used.len() >= span {
                break v;
            }
        };
        used.push(value);
        env.insert(
            name.clone(),
            crate::latex::Rational::from_integer(value.into()),
        );
    }
    env
}

fn both_undefined(g: &Expr, p: &Expr, env: &Env) -> bool {
    classify(g, env).is_err() && classify(p, env).is_err()
}

pub(crate) fn rational_to_f64(q: &crate::latex::Rational) -> Option<f64> {
    let value = q.numer().to_f64()? / q.denom().to_f64()?;
    value.is_finite().then_some(value)
}

pub(crate) fn float_to_f64(x: &BigFloat) -> Option<f64> {
    if x.is_zero() {
        return Some(0.0);
    }
    format!("{x}").parse::<f64>().ok().filter(|v| v.is_finite())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(gold: &str, pred: &str, equal: bool, method: Method) {
        let verdict = equivalent_str(gold, pred);
        assert_eq!(verdict.equal, equal, "{gold} vs {pred}: {verdict:?}");
        assert_eq!(verdict.method, method, "{gold} vs {pred}");
    }

    #[test]
    fn exact_tier() {
        check("1+10^{-80}", "1", false, Method::ExactRational);
        check(
            "2^{100}",
            "1267650600228229401496703205376",
            true,
            Method::ExactRational,
        );
        check(
            "\\frac13",
            "0.3333333333333333",
            false,
            Method::ExactRational,
        );
        check("C=1.5", "C=\\frac{3}{2}", true, Method::ExactRational);
    }

    #[test]
    fn irrationality_rule() {
        check(
            "C=2\\pi",
            "C=6.28318530718",
            false,
            Method::RationalVsIrrational,
        );
        check(
            "e",
            "2.718281828459045",
            false,
            Method::RationalVsIrrational,
        );
    }

    #[test]
    fn numeric_tier() {
        check(
            "\\frac{1}{\\sqrt{2}}",
            "\\frac{\\sqrt{2}}{2}",
            true,
            Method::Numeric,
        );
        check("\\sqrt{2}\\cdot\\sqrt{2}", "2.0", true, Method::Numeric);
        check("\\sin\\frac{\\pi}{6}", "0.5", true, Method::Numeric);
        check("\\sqrt{2}+10^{-80}", "\\sqrt{2}", false, Method::Numeric);
        check("\\sqrt{2}+10^{-1000}", "\\sqrt{2}", false, Method::Numeric);
        check("\\pi+10^{-500}", "\\pi", false, Method::Numeric);
        check("\\sqrt{2}+10^{-20000}", "\\sqrt{2}", false, Method::Numeric);
        check(
            "\\sqrt{2}+10^{-90000}",
            "\\sqrt{2}",
            false,
            Method::NumericUndecided,
        );
        let tiny = equivalent_str("\\sqrt{2}+10^{-1000}", "\\sqrt{2}");
        assert_eq!(tiny.abs_diff, Some(0.0));
        assert!(
            tiny.abs_diff_below_pow2
                .is_some_and(|e| (-3325..=-3315).contains(&e))
        );
        check(
            "\\sqrt{\\frac{3}{2}}",
            "\\frac{3}{2\\sqrt{2}}",
            false,
            Method::Numeric,
        );
    }

    #[test]
    fn symbolic_and_special() {
        check(
            "\\frac{1}{2(n-1)}",
            "\\frac{1}{2n-2}",
            true,
            Method::PointIdentity,
        );
        check(
            "\\frac{1}{2(n-1)}",
            "\\frac{1}{2n-1}",
            false,
            Method::PointIdentity,
        );
        check(
            "\\frac{1}{2}",
            "\\frac{p+q}{2(p-q)}",
            false,
            Method::FreeVariable,
        );
        check("+\\infty", "10^{100}", false, Method::Infinity);
        check("+\\infty", "\\infty", true, Method::Infinity);
        check("C_1 = 5, C_2 = -3", "C_1=-3, C_2=5", false, Method::Tuple);
        check(
            "C=1",
            "C=given in the required format.",
            false,
            Method::Unparsed,
        );
    }
}
