//! LaTeX and ASCII math: the expression tree, its parser, and answer strings
//! with labels, tuples and chains.

mod answer;
mod normalize;
mod parser;

pub use answer::{Answer, Part, has_approx_marker, parse_answer, strip_label};
pub use parser::{Limits, ParseError, parse_expr};

use num_bigint::BigInt;
use num_rational::Ratio;

/// An exact rational number.
pub type Rational = Ratio<BigInt>;

/// Binary operators.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BinOp {
    /// `a + b`
    Add,
    /// `a - b`
    Sub,
    /// `a · b`, also implicit multiplication
    Mul,
    /// `a / b`, `\frac{a}{b}`
    Div,
    /// `a^b`; roots are powers with exponent `1/n`
    Pow,
}

/// Functions of one argument; `\log` is the natural logarithm.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Func {
    /// Natural logarithm (`\ln`, `\log`).
    Ln,
    /// `\exp`
    Exp,
    /// `\sin`
    Sin,
    /// `\cos`
    Cos,
    /// `\tan`
    Tan,
}

/// A parsed expression.
#[derive(Clone, Debug, PartialEq)]
pub enum Expr {
    /// An integer or decimal literal, exact.
    Num(Rational),
    /// π
    Pi,
    /// Euler's number e
    Euler,
    /// ∞ (a sign comes from [`Expr::Neg`])
    Infinity,
    /// A free variable, such as `n` or `x_i`.
    Var(String),
    /// `-a`
    Neg(Box<Expr>),
    /// A binary operation.
    Bin(BinOp, Box<Expr>, Box<Expr>),
    /// A function application.
    Func(Func, Box<Expr>),
    /// `|a|`
    Abs(Box<Expr>),
    /// `n!`
    Factorial(Box<Expr>),
    /// `\binom{n}{k}`
    Binom(Box<Expr>, Box<Expr>),
    /// `\min(…)` (false) or `\max(…)` (true)
    MinMax(bool, Vec<Expr>),
}

impl Expr {
    /// Collects the names of the free variables, sorted and without repeats.
    pub fn variables(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.collect_variables(&mut names);
        names.sort();
        names.dedup();
        names
    }

    fn collect_variables(&self, names: &mut Vec<String>) {
        match self {
            Expr::Var(name) => names.push(name.clone()),
            Expr::Num(_) | Expr::Pi | Expr::Euler | Expr::Infinity => {}
            Expr::Neg(a) | Expr::Func(_, a) | Expr::Abs(a) | Expr::Factorial(a) => {
                a.collect_variables(names)
            }
            Expr::Bin(_, a, b) | Expr::Binom(a, b) => {
                a.collect_variables(names);
                b.collect_variables(names);
            }
            Expr::MinMax(_, args) => args.iter().for_each(|a| a.collect_variables(names)),
        }
    }

    /// Returns `Some(true)` for +∞, `Some(false)` for −∞, `None` for a finite expression.
    pub fn infinity_sign(&self) -> Option<bool> {
        match self {
            Expr::Infinity => Some(true),
            Expr::Neg(a) => a.infinity_sign().map(|positive| !positive),
            _ => None,
        }
    }

    /// Returns true if ∞ occurs anywhere in the tree.
    pub fn contains_infinity(&self) -> bool {
        match self {
            Expr::Infinity => true,
            Expr::Num(_) | Expr::Pi | Expr::Euler | Expr::Var(_) => false,
            Expr::Neg(a) | Expr::Func(_, a) | Expr::Abs(a) | Expr::Factorial(a) => {
                a.contains_infinity()
            }
            Expr::Bin(_, a, b) | Expr::Binom(a, b) => {
                a.contains_infinity() || b.contains_infinity()
            }
            Expr::MinMax(_, args) => args.iter().any(Expr::contains_infinity),
        }
    }
}
