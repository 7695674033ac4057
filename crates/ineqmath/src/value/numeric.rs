//! The numeric tier: evaluation in astro-float at a given binary precision.

use std::cell::RefCell;

use astro_float::{BigFloat, Consts, Radix, RoundingMode};
use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive, Zero};

use super::exact::{Class, classify};
use super::{Env, EvalError};
use crate::latex::{BinOp, Expr, Func, Rational};

/// Rounding for the basic operations.
const RM: RoundingMode = RoundingMode::ToEven;
/// Rounding for `pow`, `ln`, `exp` and trigonometric functions, which can fail
/// to return under `ToEven` when the exact result is representable.
const RM_SAFE: RoundingMode = RoundingMode::None;
/// Largest binary exponent of a numeric result.
const MAX_BINARY_EXPONENT: i32 = 1 << 30;

thread_local! {
    static CONSTS: RefCell<Option<Consts>> = const { RefCell::new(None) };
}

/// Evaluates `expr` at `p` bits of precision.
pub fn evaluate(expr: &Expr, env: &Env, p: usize) -> Result<BigFloat, EvalError> {
    evaluate_tracked(expr, env, p).map(|(value, _)| value)
}

/// Evaluates `expr` at `p` bits of precision and also returns the smallest
/// binary exponent of any nonzero intermediate value (`i32::MAX` when there
/// is none). A term near 2^e can change the result only if `p` reaches past
/// e relative to the result's own exponent.
pub fn evaluate_tracked(expr: &Expr, env: &Env, p: usize) -> Result<(BigFloat, i32), EvalError> {
    CONSTS.with(|cell| {
        let mut slot = cell.borrow_mut();
        if slot.is_none() {
            *slot = Some(Consts::new().map_err(|_| EvalError::NotFinite)?);
        }
        let cc = slot.as_mut().ok_or(EvalError::NotFinite)?;
        let mut tier = NumericTier {
            env,
            p,
            cc,
            min_exponent: i32::MAX,
        };
        let value = check_finite(tier.eval(expr)?)?;
        Ok((value, tier.min_exponent))
    })
}

/// Compares two values at precision `p`: equal iff
/// |a − b| ≤ 2^−(p−32)·max(1, |a|, |b|). Returns the verdict and |a − b|.
pub fn numbers_equal(a: &BigFloat, b: &BigFloat, p: usize) -> (bool, BigFloat) {
    let diff = a.sub(b, p, RM).abs();
    if diff.is_zero() {
        return (true, diff);
    }
    let one = BigFloat::from_word(1, 64);
    let mut scale = one.clone();
    for side in [a.abs(), b.abs()] {
        if side.cmp(&scale).is_some_and(|c| c > 0) {
            scale = side;
        }
    }
    // 1 is 0.1₂·2¹, so exponent 33 − p gives 2^−(p−32).
    let mut unit = one;
    let exponent = 33 - i32::try_from(p).unwrap_or(i32::MAX - 33);
    unit.set_exponent(exponent);
    let tolerance = scale.mul(&unit, p, RM);
    let equal = diff.cmp(&tolerance).is_some_and(|c| c <= 0);
    (equal, diff)
}

fn check_finite(value: BigFloat) -> Result<BigFloat, EvalError> {
    if value.is_nan() || value.is_inf() {
        return Err(EvalError::NotFinite);
    }
    match value.exponent() {
        Some(e) if e.abs() > MAX_BINARY_EXPONENT => {
            Err(EvalError::TooLarge("a binary exponent beyond 2^30"))
        }
        _ => Ok(value),
    }
}

struct NumericTier<'a> {
    env: &'a Env,
    p: usize,
    cc: &'a mut Consts,
    min_exponent: i32,
}

impl NumericTier<'_> {
    fn integer(&mut self, n: &BigInt) -> BigFloat {
        match n.to_i64() {
            Some(v) => BigFloat::from_i64(v, self.p.max(64)),
            None => BigFloat::parse(&n.to_string(), Radix::Dec, self.p, RM, self.cc),
        }
    }

    fn rational(&mut self, q: &Rational) -> BigFloat {
        let numer = self.integer(q.numer());
        if q.denom() == &BigInt::from(1) {
            return numer;
        }
        let denom = self.integer(q.denom());
        numer.div(&denom, self.p, RM)
    }

    fn eval(&mut self, expr: &Expr) -> Result<BigFloat, EvalError> {
        let p = self.p;
        let value = match expr {
            Expr::Num(q) => self.rational(q),
            Expr::Pi => self.cc.pi(p, RM),
            Expr::Euler => self.cc.e(p, RM),
            Expr::Infinity => return Err(EvalError::Infinity),
            Expr::Var(name) => match self.env.get(name) {
                Some(q) => self.rational(q),
                None => return Err(EvalError::FreeVariable(name.clone())),
            },
            Expr::Neg(a) => self.eval(a)?.neg(),
            Expr::Bin(BinOp::Pow, base, exponent) => self.power(expr, base, exponent)?,
            Expr::Bin(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                match op {
                    BinOp::Add => a.add(&b, p, RM),
                    BinOp::Sub => a.sub(&b, p, RM),
                    BinOp::Mul => a.mul(&b, p, RM),
                    _ if b.is_zero() => return Err(EvalError::DivisionByZero),
                    _ => a.div(&b, p, RM),
                }
            }
            Expr::Func(func, a) => {
                let x = self.eval(a)?;
                self.function(*func, &x)?
            }
            Expr::Abs(a) => self.eval(a)?.abs(),
            Expr::Factorial(_) | Expr::Binom(..) => match classify(expr, self.env)?.0 {
                Class::Rational(q) => self.rational(&q),
                _ => return Err(EvalError::NotInteger),
            },
            Expr::MinMax(is_max, args) => self.min_max(*is_max, args)?,
        };
        let value = check_finite(value)?;
        if let Some(e) = value.exponent().filter(|_| !value.is_zero()) {
            self.min_exponent = self.min_exponent.min(e);
        }
        Ok(value)
    }

    fn function(&mut self, func: Func, x: &BigFloat) -> Result<BigFloat, EvalError> {
        let p = self.p;
        Ok(match func {
            Func::Ln if !x.is_positive() || x.is_zero() => return Err(EvalError::LogDomain),
            Func::Ln => x.ln(p, RM_SAFE, self.cc),
            Func::Exp => x.exp(p, RM_SAFE, self.cc),
            Func::Sin => x.sin(p, RM_SAFE, self.cc),
            Func::Cos => x.cos(p, RM_SAFE, self.cc),
            Func::Tan => x.tan(p, RM_SAFE, self.cc),
        })
    }

    fn min_max(&mut self, is_max: bool, args: &[Expr]) -> Result<BigFloat, EvalError> {
        let mut best: Option<BigFloat> = None;
        for arg in args {
            let v = self.eval(arg)?;
            let better = match &best {
                None => true,
                Some(b) => {
                    let c = v.cmp(b).unwrap_or(0);
                    if is_max { c > 0 } else { c < 0 }
                }
            };
            if better {
                best = Some(v);
            }
        }
        best.ok_or(EvalError::NotFinite)
    }

    fn power(&mut self, node: &Expr, base: &Expr, exponent: &Expr) -> Result<BigFloat, EvalError> {
        if let (Class::Rational(q), _) = classify(node, self.env)? {
            return Ok(self.rational(&q));
        }
        match classify(exponent, self.env)?.0 {
            Class::Rational(e) => {
                let b = self.eval(base)?;
                self.rational_power(&b, &e)
            }
            _ => {
                let x = self.eval(exponent)?;
                if matches!(base, Expr::Euler) {
                    return Ok(x.exp(self.p, RM_SAFE, self.cc));
                }
                let b = self.eval(base)?;
                if b.is_zero() && x.is_positive() {
                    return Ok(b);
                }
                if !b.is_positive() || b.is_zero() {
                    return Err(EvalError::NegativeRoot);
                }
                Ok(b.pow(&x, self.p, RM_SAFE, self.cc))
            }
        }
    }

    /// b^(m/q) for an exact exponent; odd roots of negative numbers are real.
    fn rational_power(&mut self, b: &BigFloat, e: &Rational) -> Result<BigFloat, EvalError> {
        let p = self.p;
        let m = e.numer();
        let q = e.denom();
        if b.is_zero() {
            return if m.is_negative() {
                Err(EvalError::DivisionByZero)
            } else {
                Ok(b.clone())
            };
        }
        if b.is_negative() && !q.is_odd_integer() {
            return Err(EvalError::NegativeRoot);
        }

        let magnitude = b.abs();
        let m_abs = m
            .abs()
            .to_usize()
            .ok_or(EvalError::TooLarge("an exponent beyond 100000"))?;
        let root = if q == &BigInt::from(1) {
            magnitude
        } else if q == &BigInt::from(2) {
            magnitude.sqrt(p, RM)
        } else {
            let inverse = self.rational(&Rational::new(BigInt::from(1), q.clone()));
            magnitude.pow(&inverse, p, RM_SAFE, self.cc)
        };

        let mut value = root.powi(m_abs, p, RM_SAFE);
        if m.is_negative() {
            if value.is_zero() {
                return Err(EvalError::DivisionByZero);
            }
            value = value.reciprocal(p, RM);
        }
        if b.is_negative() && m.is_odd_integer() {
            value = value.neg();
        }
        Ok(value)
    }
}

trait OddInteger {
    fn is_odd_integer(&self) -> bool;
}

impl OddInteger for BigInt {
    fn is_odd_integer(&self) -> bool {
        !(self % 2u8).is_zero()
    }
}
