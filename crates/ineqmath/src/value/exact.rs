//! The exact tier: rational values, and irrationality proofs for the simple
//! cases (π, e, r^{p/q} with r not a perfect q-th power, and rational
//! combinations of one such value).

use num_bigint::{BigInt, Sign};
use num_integer::Integer;
use num_traits::{One, Signed, ToPrimitive, Zero};

use super::{Env, EvalError};
use crate::latex::{BinOp, Expr, Rational};

/// Exactness class of a value: rational, proven irrational, or unknown.
#[derive(Clone, Debug, PartialEq)]
pub enum Class {
    /// An exact rational.
    Rational(Rational),
    /// Proven irrational.
    Irrational,
    /// Neither: the numeric tier decides.
    Unknown,
}

/// Limits of the exact tier.
#[derive(Clone, Copy, Debug)]
pub struct ExactLimits {
    /// Largest |n| of an integer exponent.
    pub max_exponent: u64,
    /// Largest bit length of an exact result; beyond it the numeric tier takes over.
    pub max_bits: u64,
    /// Largest n of `n!`.
    pub max_factorial: u64,
}

impl Default for ExactLimits {
    fn default() -> Self {
        ExactLimits {
            max_exponent: 100_000,
            max_bits: 1 << 16,
            max_factorial: 1_000,
        }
    }
}

/// Classifies `expr`, returning its class and the largest numerator or
/// denominator bit length of any exact sub-term.
pub fn classify(expr: &Expr, env: &Env) -> Result<(Class, u64), EvalError> {
    let mut tier = ExactTier {
        env,
        limits: ExactLimits::default(),
        max_bits: 0,
    };
    let class = tier.eval(expr)?;
    Ok((class, tier.max_bits))
}

struct ExactTier<'a> {
    env: &'a Env,
    limits: ExactLimits,
    max_bits: u64,
}

fn bits(q: &Rational) -> u64 {
    q.numer().bits().max(q.denom().bits())
}

fn integer(n: u64) -> Rational {
    Rational::from_integer(BigInt::from(n))
}

impl ExactTier<'_> {
    /// Records an exact result, or demotes it to [`Class::Unknown`] when it is too large.
    fn rational(&mut self, q: Rational) -> Class {
        let b = bits(&q);
        if b > self.limits.max_bits {
            return Class::Unknown;
        }
        self.max_bits = self.max_bits.max(b);
        Class::Rational(q)
    }

    fn eval(&mut self, expr: &Expr) -> Result<Class, EvalError> {
        match expr {
            Expr::Num(q) => Ok(self.rational(q.clone())),
            Expr::Pi | Expr::Euler => Ok(Class::Irrational),
            Expr::Infinity => Err(EvalError::Infinity),
            Expr::Var(name) => match self.env.get(name) {
                Some(q) => Ok(self.rational(q.clone())),
                None => Err(EvalError::FreeVariable(name.clone())),
            },
            Expr::Neg(a) => Ok(match self.eval(a)? {
                Class::Rational(q) => Class::Rational(-q),
                other => other,
            }),
            Expr::Bin(op, a, b) => {
                let a = self.eval(a)?;
                let b = self.eval(b)?;
                self.binary(*op, a, b)
            }
            Expr::Func(_, a) => {
                self.eval(a)?;
                Ok(Class::Unknown)
            }
            Expr::Abs(a) => Ok(match self.eval(a)? {
                Class::Rational(q) => Class::Rational(q.abs()),
                _ => Class::Unknown,
            }),
            Expr::Factorial(a) => match self.eval(a)? {
                Class::Rational(q) => self.factorial(&q),
                _ => Err(EvalError::NotInteger),
            },
            Expr::Binom(n, k) => {
                let n = self.eval(n)?;
                let k = self.eval(k)?;
                match (n, k) {
                    (Class::Rational(n), Class::Rational(k)) => self.binom(&n, &k),
                    _ => Err(EvalError::NotInteger),
                }
            }
            Expr::MinMax(is_max, args) => {
                let mut values = Vec::with_capacity(args.len());
                for arg in args {
                    match self.eval(arg)? {
                        Class::Rational(q) => values.push(q),
                        _ => return Ok(Class::Unknown),
                    }
                }
                let pick = if *is_max {
                    values.into_iter().max()
                } else {
                    values.into_iter().min()
                };
                Ok(pick.map_or(Class::Unknown, Class::Rational))
            }
        }
    }

    fn binary(&mut self, op: BinOp, a: Class, b: Class) -> Result<Class, EvalError> {
        use Class::{Irrational, Rational as Q};
        match (op, a, b) {
            (BinOp::Pow, base, Q(e)) => self.power(base, &e),
            (BinOp::Pow, _, _) => Ok(Class::Unknown),
            (BinOp::Div, _, Q(d)) if d.is_zero() => Err(EvalError::DivisionByZero),
            (op, Q(x), Q(y)) => Ok(self.rational(match op {
                BinOp::Add => x + y,
                BinOp::Sub => x - y,
                BinOp::Mul => x * y,
                _ => x / y,
            })),
            (BinOp::Add | BinOp::Sub, Irrational, Q(_))
            | (BinOp::Add | BinOp::Sub, Q(_), Irrational) => Ok(Irrational),
            (BinOp::Mul, Q(r), _) | (BinOp::Mul, _, Q(r)) if r.is_zero() => Ok(Q(Rational::zero())),
            (BinOp::Div, Q(r), _) if r.is_zero() => Ok(Q(Rational::zero())),
            (BinOp::Mul | BinOp::Div, Irrational, Q(_))
            | (BinOp::Mul | BinOp::Div, Q(_), Irrational) => Ok(Irrational),
            _ => Ok(Class::Unknown),
        }
    }

    /// `base^e` for a rational exponent e = p/q in lowest terms.
    fn power(&mut self, base: Class, e: &Rational) -> Result<Class, EvalError> {
        let Class::Rational(r) = base else {
            return Ok(Class::Unknown);
        };
        let p = e.numer();
        let q = e.denom();
        let too_large = || EvalError::TooLarge("an exponent beyond 100000");
        let p_abs = p.abs().to_u64().ok_or_else(too_large)?;
        let q_u32 = q.to_u32().ok_or_else(too_large)?;
        if p_abs > self.limits.max_exponent || u64::from(q_u32) > self.limits.max_exponent {
            return Err(too_large());
        }
        if r.is_zero() {
            return match p.sign() {
                Sign::Minus => Err(EvalError::DivisionByZero),
                Sign::NoSign => Ok(self.rational(Rational::one())),
                Sign::Plus => Ok(self.rational(Rational::zero())),
            };
        }
        if r.is_negative() && q_u32.is_even() {
            return Err(EvalError::NegativeRoot);
        }

        let root = if q_u32 == 1 {
            Some(r.clone())
        } else {
            exact_root(&r, q_u32)
        };
        let Some(root) = root else {
            return Ok(Class::Irrational);
        };
        if bits(&root).saturating_mul(p_abs) > self.limits.max_bits {
            return Ok(Class::Unknown);
        }
        let exponent = i32::try_from(p_abs).map_err(|_| too_large())?;
        let mut value = num_traits::pow(root, exponent as usize);
        if p.is_negative() {
            value = value.recip();
        }
        Ok(self.rational(value))
    }

    fn factorial(&mut self, n: &Rational) -> Result<Class, EvalError> {
        if !n.is_integer() || n.is_negative() {
            return Err(EvalError::NotInteger);
        }
        let n = n
            .to_integer()
            .to_u64()
            .ok_or(EvalError::TooLarge("a factorial beyond 1000!"))?;
        if n > self.limits.max_factorial {
            return Err(EvalError::TooLarge("a factorial beyond 1000!"));
        }
        let value = (1..=n).fold(BigInt::one(), |acc, k| acc * k);
        Ok(self.rational(Rational::from_integer(value)))
    }

    /// `\binom{n}{k}` = n(n−1)…(n−k+1)/k! for an integer k ≥ 0 (0 for k < 0).
    fn binom(&mut self, n: &Rational, k: &Rational) -> Result<Class, EvalError> {
        if !k.is_integer() {
            return Err(EvalError::NotInteger);
        }
        if k.is_negative() {
            return Ok(self.rational(Rational::zero()));
        }
        let k = k
            .to_integer()
            .to_u64()
            .ok_or(EvalError::TooLarge("a binomial with k beyond 1000"))?;
        if k > self.limits.max_factorial {
            return Err(EvalError::TooLarge("a binomial with k beyond 1000"));
        }
        let mut value = Rational::one();
        for i in 0..k {
            value = value * (n - integer(i)) / integer(i + 1);
        }
        Ok(self.rational(value))
    }
}

/// Returns the exact q-th root of r if numerator and denominator are perfect
/// q-th powers. Odd roots of negative numbers are negative.
fn exact_root(r: &Rational, q: u32) -> Option<Rational> {
    let root_of = |n: &BigInt| {
        let root = n.abs().nth_root(q);
        (num_traits::pow(root.clone(), q as usize) == n.abs()).then_some(root)
    };
    let numer = root_of(r.numer())?;
    let denom = root_of(r.denom())?;
    let value = Rational::new(numer, denom);
    Some(if r.is_negative() { -value } else { value })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::latex::parse_expr;

    fn class_of(s: &str) -> Class {
        classify(&parse_expr(s).unwrap(), &Env::new()).unwrap().0
    }

    fn q(n: i64, d: i64) -> Class {
        Class::Rational(Rational::new(BigInt::from(n), BigInt::from(d)))
    }

    #[test]
    fn perfect_powers_are_exact() {
        assert_eq!(class_of("\\sqrt{4}"), q(2, 1));
        assert_eq!(class_of("\\sqrt[3]{8}"), q(2, 1));
        assert_eq!(class_of("4^{3/2}"), q(8, 1));
        assert_eq!(class_of("\\sqrt[3]{-8}"), q(-2, 1));
        assert_eq!(class_of("2^{-1}"), q(1, 2));
        assert_eq!(class_of("\\sqrt{\\frac{9}{4}}"), q(3, 2));
    }

    #[test]
    fn irrationals_are_flagged() {
        for s in [
            "\\sqrt2",
            "2\\pi",
            "\\frac{3}{3\\sqrt[3]{2}+2}",
            "3^{9/10}",
            "-e",
            "\\sqrt2+10^{-80}",
        ] {
            assert_eq!(class_of(s), Class::Irrational, "{s}");
        }
        assert_eq!(class_of("\\sqrt2\\cdot\\sqrt2"), Class::Unknown);
    }

    #[test]
    fn factorial_and_binomial() {
        assert_eq!(class_of("5!"), q(120, 1));
        assert_eq!(class_of("\\binom{5}{2}"), q(10, 1));
        assert!(classify(&parse_expr("1001!").unwrap(), &Env::new()).is_err());
    }

    #[test]
    fn domain_errors() {
        let err = |s: &str| classify(&parse_expr(s).unwrap(), &Env::new()).unwrap_err();
        assert_eq!(err("\\frac{1}{0}"), EvalError::DivisionByZero);
        assert_eq!(err("\\sqrt{-4}"), EvalError::NegativeRoot);
        assert!(matches!(err("10^{10^{10}}"), EvalError::TooLarge(_)));
    }

    #[test]
    fn large_exact_results_go_numeric() {
        assert_eq!(class_of("2^{100000}"), Class::Unknown);
        assert_eq!(
            class_of("2^{100}").clone(),
            Class::Rational(Rational::from_integer(BigInt::one() << 100))
        );
    }
}
