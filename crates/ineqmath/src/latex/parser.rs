//! A Pratt parser for the LaTeX and ASCII math of bound answers.
//!
//! Grammar: integers and decimals; `\frac{a}{b}` (also `\frac12`);
//! `\sqrt{x}`, `\sqrt[n]{x}`, `\sqrt2`; `^` and `_` with a group or one token;
//! `+ - * / \cdot \times \div`; implicit multiplication (`2\sqrt2`, `3\pi`,
//! `2(n-1)`, `ab`) at the precedence of `·`; unary signs below `^` (`-2^2` = −4);
//! `( ) [ ] { }`; `\pi`, `e`, `\infty`; `\ln \log \exp \sin \cos \tan`, which take
//! the next primary with its exponent; `\min \max \binom`; `|x|`; `n!`; and the
//! ASCII names `pi sqrt ln log exp sin cos tan min max infty`. A run of three or
//! more ASCII letters that is no known name is a word and does not parse.

use num_bigint::BigInt;
use num_traits::One;

use super::normalize::normalize;
use super::{BinOp, Expr, Func, Rational};

/// Size limits that keep parsing and evaluation bounded.
#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Maximum input length in characters.
    pub max_chars: usize,
    /// Maximum nesting depth of groups and operators.
    pub max_depth: usize,
    /// Maximum number of tree nodes.
    pub max_nodes: usize,
    /// Maximum digits in one numeric literal.
    pub max_digits: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_chars: 10_000,
            max_depth: 200,
            max_nodes: 5_000,
            max_digits: 2_000,
        }
    }
}

/// Parse failure of an expression.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// The input is empty.
    #[error("empty expression")]
    Empty,
    /// A character or command that the grammar does not accept.
    #[error("unexpected '{found}' at character {at}")]
    Unexpected {
        /// The text found.
        found: String,
        /// 0-based character position in the normalized input.
        at: usize,
    },
    /// The input ended inside a construct.
    #[error("unexpected end of input, expected {expected}")]
    UnexpectedEnd {
        /// The construct expected.
        expected: &'static str,
    },
    /// A run of letters that is no known name, such as `given`.
    #[error("'{0}' is a word, not math")]
    Word(String),
    /// An input beyond one of the [`Limits`].
    #[error("too large: {0}")]
    TooLarge(&'static str),
}

/// Parses one expression (no `=`, no top-level comma).
pub fn parse_expr(input: &str) -> Result<Expr, ParseError> {
    parse_with_limits(input, Limits::default())
}

/// Parses one expression under explicit limits.
pub fn parse_with_limits(input: &str, limits: Limits) -> Result<Expr, ParseError> {
    if input.chars().count() > limits.max_chars {
        return Err(ParseError::TooLarge(
            "input longer than the character limit",
        ));
    }
    let chars: Vec<char> = normalize(input).chars().collect();
    let mut parser = Parser {
        chars,
        pos: 0,
        depth: 0,
        nodes: 0,
        limits,
    };
    parser.skip_space();
    if parser.at_end() {
        return Err(ParseError::Empty);
    }
    let expr = parser.expression(0)?;
    parser.skip_space();
    match parser.peek() {
        None => Ok(expr),
        Some(c) => Err(parser.unexpected(c.to_string())),
    }
}

/// Known ASCII names and LaTeX command names that denote a value or function.
enum Name {
    Pi,
    Infinity,
    Sqrt,
    Frac,
    Binom,
    Func(Func),
    MinMax(bool),
}

fn known_name(name: &str) -> Option<Name> {
    Some(match name {
        "pi" => Name::Pi,
        "infty" | "inf" => Name::Infinity,
        "sqrt" => Name::Sqrt,
        "frac" => Name::Frac,
        "binom" => Name::Binom,
        "ln" | "log" => Name::Func(Func::Ln),
        "exp" => Name::Func(Func::Exp),
        "sin" => Name::Func(Func::Sin),
        "cos" => Name::Func(Func::Cos),
        "tan" => Name::Func(Func::Tan),
        "min" => Name::MinMax(false),
        "max" => Name::MinMax(true),
        _ => return None,
    })
}

const ADD_BP: u8 = 1;
const MUL_BP: u8 = 2;

struct Parser {
    chars: Vec<char>,
    pos: usize,
    depth: usize,
    nodes: usize,
    limits: Limits,
}

impl Parser {
    fn at_end(&self) -> bool {
        self.pos >= self.chars.len()
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.chars.get(self.pos + offset).copied()
    }

    fn skip_space(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn unexpected(&self, found: String) -> ParseError {
        ParseError::Unexpected {
            found,
            at: self.pos,
        }
    }

    fn node(&mut self, expr: Expr) -> Result<Expr, ParseError> {
        self.nodes += 1;
        if self.nodes > self.limits.max_nodes {
            return Err(ParseError::TooLarge("more nodes than the node limit"));
        }
        Ok(expr)
    }

    fn binary(&mut self, op: BinOp, a: Expr, b: Expr) -> Result<Expr, ParseError> {
        self.node(Expr::Bin(op, Box::new(a), Box::new(b)))
    }

    fn enter(&mut self) -> Result<(), ParseError> {
        self.depth += 1;
        if self.depth > self.limits.max_depth {
            return Err(ParseError::TooLarge("nesting deeper than the depth limit"));
        }
        Ok(())
    }

    fn expect(&mut self, c: char, expected: &'static str) -> Result<(), ParseError> {
        self.skip_space();
        match self.peek() {
            Some(found) if found == c => {
                self.pos += 1;
                Ok(())
            }
            Some(found) => Err(self.unexpected(found.to_string())),
            None => Err(ParseError::UnexpectedEnd { expected }),
        }
    }

    /// Reads a command name after a backslash: letters, or one other character.
    fn command_name(&mut self) -> Result<String, ParseError> {
        let start = self.pos;
        while self.peek().is_some_and(|c| c.is_ascii_alphabetic()) {
            self.pos += 1;
        }
        if self.pos == start {
            match self.peek() {
                Some(c) => {
                    self.pos += 1;
                    return Ok(c.to_string());
                }
                None => {
                    return Err(ParseError::UnexpectedEnd {
                        expected: "a command name",
                    });
                }
            }
        }
        Ok(self.chars[start..self.pos].iter().collect())
    }

    /// Returns the binary operator at the cursor and its length, without consuming it.
    fn peek_operator(&self) -> Option<(BinOp, usize)> {
        match self.peek()? {
            '+' => Some((BinOp::Add, 1)),
            '-' => Some((BinOp::Sub, 1)),
            '*' => Some((BinOp::Mul, 1)),
            '/' => Some((BinOp::Div, 1)),
            '\\' => {
                let rest: String = self.chars[self.pos + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                let op = match rest.as_str() {
                    "cdot" | "times" => BinOp::Mul,
                    "div" => BinOp::Div,
                    _ => return None,
                };
                Some((op, rest.len() + 1))
            }
            _ => None,
        }
    }

    fn starts_primary(&self) -> bool {
        match self.peek() {
            Some(c) if c.is_ascii_alphanumeric() || c == '.' => true,
            Some('(' | '[' | '{') => true,
            Some('\\') => {
                let rest: String = self.chars[self.pos + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_alphabetic())
                    .collect();
                known_name(&rest).is_some()
            }
            _ => false,
        }
    }

    fn expression(&mut self, min_bp: u8) -> Result<Expr, ParseError> {
        self.enter()?;
        let mut lhs = self.prefix()?;
        loop {
            self.skip_space();
            let (op, len) = match self.peek_operator() {
                Some(found) => found,
                None if self.starts_primary() => (BinOp::Mul, 0),
                None => break,
            };
            let bp = if matches!(op, BinOp::Add | BinOp::Sub) {
                ADD_BP
            } else {
                MUL_BP
            };
            if bp <= min_bp {
                break;
            }
            self.pos += len;
            let rhs = self.expression(bp)?;
            lhs = self.binary(op, lhs, rhs)?;
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn prefix(&mut self) -> Result<Expr, ParseError> {
        self.skip_space();
        match self.peek() {
            Some('-') => {
                self.pos += 1;
                let operand = self.expression(MUL_BP)?;
                self.node(Expr::Neg(Box::new(operand)))
            }
            Some('+') => {
                self.pos += 1;
                self.expression(MUL_BP)
            }
            _ => self.postfix_primary(),
        }
    }

    /// Parses a primary followed by any `^` and `!` postfixes.
    fn postfix_primary(&mut self) -> Result<Expr, ParseError> {
        let mut base = self.primary()?;
        loop {
            self.skip_space();
            match self.peek() {
                Some('^') => {
                    self.pos += 1;
                    let exponent = self.script()?;
                    base = self.binary(BinOp::Pow, base, exponent)?;
                }
                Some('!') => {
                    self.pos += 1;
                    base = self.node(Expr::Factorial(Box::new(base)))?;
                }
                _ => return Ok(base),
            }
        }
    }

    /// Parses the argument of `^`: a group, a parenthesized expression, a
    /// signed script, or one token (a whole number, a letter, a command).
    fn script(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        self.skip_space();
        let result = match self.peek() {
            Some('-') => {
                self.pos += 1;
                let inner = self.script()?;
                self.node(Expr::Neg(Box::new(inner)))
            }
            Some('+') => {
                self.pos += 1;
                self.script()
            }
            Some(_) => self.primary(),
            None => Err(ParseError::UnexpectedEnd {
                expected: "an exponent",
            }),
        };
        self.depth -= 1;
        result
    }

    /// Parses a single-character argument (`\frac12`, `\sqrt2`), a group or a command.
    fn argument(&mut self) -> Result<Expr, ParseError> {
        self.skip_space();
        match self.peek() {
            Some(c) if c.is_ascii_digit() => {
                self.pos += 1;
                self.node(Expr::Num(Rational::from_integer(BigInt::from(
                    c.to_digit(10).unwrap_or(0),
                ))))
            }
            Some(c) if c.is_ascii_alphabetic() => {
                self.pos += 1;
                self.letter(c)
            }
            Some(_) => self.primary(),
            None => Err(ParseError::UnexpectedEnd {
                expected: "an argument",
            }),
        }
    }

    fn primary(&mut self) -> Result<Expr, ParseError> {
        self.enter()?;
        self.skip_space();
        let result = match self.peek() {
            None => Err(ParseError::UnexpectedEnd {
                expected: "a value",
            }),
            Some(c) if c.is_ascii_digit() || c == '.' => self.number(),
            Some(c) if c.is_ascii_alphabetic() => self.letters(),
            Some('\\') => {
                self.pos += 1;
                let name = self.command_name()?;
                self.named(&name, true)
            }
            Some(open @ ('(' | '[' | '{')) => {
                self.pos += 1;
                let close = match open {
                    '(' => ')',
                    '[' => ']',
                    _ => '}',
                };
                let inner = self.expression(0)?;
                self.expect(close, "a closing bracket")?;
                Ok(inner)
            }
            Some('|') => {
                self.pos += 1;
                let inner = self.expression(0)?;
                self.expect('|', "a closing '|'")?;
                self.node(Expr::Abs(Box::new(inner)))
            }
            Some(c) => Err(self.unexpected(c.to_string())),
        };
        self.depth -= 1;
        result
    }

    fn number(&mut self) -> Result<Expr, ParseError> {
        let start = self.pos;
        let mut digits = String::new();
        let mut scale = 0usize;
        let mut seen_point = false;
        while let Some(c) = self.peek() {
            if c.is_ascii_digit() {
                digits.push(c);
                if seen_point {
                    scale += 1;
                }
            } else if c == '.' && !seen_point && self.peek_at(1).is_some_and(|d| d.is_ascii_digit())
            {
                seen_point = true;
            } else {
                break;
            }
            self.pos += 1;
        }
        if digits.is_empty() {
            self.pos = start;
            return Err(self.unexpected(".".into()));
        }
        if digits.len() > self.limits.max_digits {
            return Err(ParseError::TooLarge(
                "a literal with more digits than the limit",
            ));
        }
        let numerator: BigInt = digits
            .parse()
            .map_err(|_| self.unexpected(digits.clone()))?;
        let denominator = num_traits::pow(BigInt::from(10u8), scale);
        self.node(Expr::Num(Rational::new(numerator, denominator)))
    }

    /// Parses a run of ASCII letters: a known name, a word (rejected), or single-letter factors.
    fn letters(&mut self) -> Result<Expr, ParseError> {
        let run: String = self.chars[self.pos..]
            .iter()
            .take_while(|c| c.is_ascii_alphabetic())
            .collect();
        if let Some(_name) = known_name(&run) {
            self.pos += run.len();
            return self.named(&run, false);
        }
        if run.len() >= 3 {
            return Err(ParseError::Word(run));
        }
        let c = self.chars[self.pos];
        self.pos += 1;
        self.letter(c)
    }

    /// Parses one letter: `e`, or a variable with an optional subscript.
    fn letter(&mut self, c: char) -> Result<Expr, ParseError> {
        if self.peek() == Some('_') {
            self.pos += 1;
            let subscript = self.subscript()?;
            return self.node(Expr::Var(format!("{c}_{subscript}")));
        }
        if c == 'e' {
            return self.node(Expr::Euler);
        }
        self.node(Expr::Var(c.to_string()))
    }

    /// Reads the raw text of a subscript: a braced group or one character.
    fn subscript(&mut self) -> Result<String, ParseError> {
        self.skip_space();
        match self.peek() {
            Some('{') => {
                let start = self.pos + 1;
                let mut depth = 0usize;
                while let Some(c) = self.peek() {
                    self.pos += 1;
                    match c {
                        '{' => depth += 1,
                        '}' => {
                            depth -= 1;
                            if depth == 0 {
                                let text: String = self.chars[start..self.pos - 1].iter().collect();
                                return Ok(text.split_whitespace().collect());
                            }
                        }
                        _ => {}
                    }
                }
                Err(ParseError::UnexpectedEnd {
                    expected: "a closing '}'",
                })
            }
            Some(c) if c.is_ascii_alphanumeric() => {
                self.pos += 1;
                Ok(c.to_string())
            }
            Some(c) => Err(self.unexpected(c.to_string())),
            None => Err(ParseError::UnexpectedEnd {
                expected: "a subscript",
            }),
        }
    }

    /// Parses a known name or command. `command` is true after a backslash.
    fn named(&mut self, name: &str, command: bool) -> Result<Expr, ParseError> {
        let Some(kind) = known_name(name) else {
            let shown = if command {
                format!("\\{name}")
            } else {
                name.to_string()
            };
            return Err(match name {
                "text" | "mathrm" | "textbf" | "operatorname" | "mbox" => ParseError::Word(shown),
                _ => self.unexpected(shown),
            });
        };
        match kind {
            Name::Pi => self.node(Expr::Pi),
            Name::Infinity => self.node(Expr::Infinity),
            Name::Frac => {
                let numerator = self.argument()?;
                let denominator = self.argument()?;
                self.binary(BinOp::Div, numerator, denominator)
            }
            Name::Binom => {
                let n = self.argument()?;
                let k = self.argument()?;
                self.node(Expr::Binom(Box::new(n), Box::new(k)))
            }
            Name::Sqrt => self.root(),
            Name::Func(func) => self.function(func),
            Name::MinMax(is_max) => self.min_max(is_max),
        }
    }

    /// `\sqrt[n]{x}` or `\sqrt{x}` as `x^(1/n)`.
    fn root(&mut self) -> Result<Expr, ParseError> {
        self.skip_space();
        let index = if self.peek() == Some('[') {
            self.pos += 1;
            let index = self.expression(0)?;
            self.expect(']', "']' after the root index")?;
            index
        } else {
            self.node(Expr::Num(Rational::from_integer(BigInt::from(2))))?
        };
        let radicand = self.argument()?;
        let one = self.node(Expr::Num(Rational::one()))?;
        let exponent = self.binary(BinOp::Div, one, index)?;
        self.binary(BinOp::Pow, radicand, exponent)
    }

    /// A function: an optional `^power` or `_base`, then the next primary with its exponent.
    fn function(&mut self, func: Func) -> Result<Expr, ParseError> {
        let mut power = None;
        let mut base = None;
        loop {
            self.skip_space();
            match self.peek() {
                Some('^') if power.is_none() => {
                    self.pos += 1;
                    power = Some(self.script()?);
                }
                Some('_') if base.is_none() && func == Func::Ln => {
                    self.pos += 1;
                    base = Some(self.argument()?);
                }
                _ => break,
            }
        }
        let argument = self.postfix_primary()?;
        let mut value = self.node(Expr::Func(func, Box::new(argument)))?;
        if let Some(base) = base {
            let ln_base = self.node(Expr::Func(Func::Ln, Box::new(base)))?;
            value = self.binary(BinOp::Div, value, ln_base)?;
        }
        match power {
            Some(power) => self.binary(BinOp::Pow, value, power),
            None => Ok(value),
        }
    }

    /// `\min(a, b, …)` or `\max\{a, b, …\}`.
    fn min_max(&mut self, is_max: bool) -> Result<Expr, ParseError> {
        self.skip_space();
        let close = match self.peek() {
            Some('(') => ')',
            Some('[') => ']',
            Some('{') => '}',
            Some(c) => return Err(self.unexpected(c.to_string())),
            None => {
                return Err(ParseError::UnexpectedEnd {
                    expected: "'(' after min or max",
                });
            }
        };
        self.pos += 1;
        let mut args = vec![self.expression(0)?];
        loop {
            self.skip_space();
            match self.peek() {
                Some(',') => {
                    self.pos += 1;
                    args.push(self.expression(0)?);
                }
                Some(c) if c == close => {
                    self.pos += 1;
                    break;
                }
                Some(c) => return Err(self.unexpected(c.to_string())),
                None => {
                    return Err(ParseError::UnexpectedEnd {
                        expected: "a closing bracket",
                    });
                }
            }
        }
        self.node(Expr::MinMax(is_max, args))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn num(n: i64) -> Expr {
        Expr::Num(Rational::from_integer(BigInt::from(n)))
    }

    #[test]
    fn frac_with_single_digits() {
        assert_eq!(parse_expr("\\frac12"), parse_expr("\\frac{1}{2}"));
        assert_eq!(
            parse_expr("\\frac{1}{2}").unwrap(),
            Expr::Bin(BinOp::Div, Box::new(num(1)), Box::new(num(2)))
        );
    }

    #[test]
    fn unary_minus_below_power() {
        let expected = Expr::Neg(Box::new(Expr::Bin(
            BinOp::Pow,
            Box::new(num(2)),
            Box::new(num(2)),
        )));
        assert_eq!(parse_expr("-2^2").unwrap(), expected);
    }

    #[test]
    fn decimal_is_exact() {
        let expected = Expr::Num(Rational::new(BigInt::from(25), BigInt::from(2)));
        assert_eq!(parse_expr("12.5").unwrap(), expected);
    }

    #[test]
    fn implicit_products_parse() {
        for s in [
            "2\\sqrt{2}",
            "3\\pi",
            "2(n-1)",
            "ab",
            "\\frac{3}{2}\\sqrt3",
            "x_i y_{12}",
        ] {
            assert!(parse_expr(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn words_are_rejected() {
        assert_eq!(
            parse_expr("given in the required format."),
            Err(ParseError::Word("given".into()))
        );
        assert!(matches!(
            parse_expr("\\text{yes}"),
            Err(ParseError::Word(_))
        ));
    }

    #[test]
    fn ascii_forms_parse() {
        for s in [
            "sqrt(2)/2",
            "2^(1/3)",
            "pi",
            "2**3",
            "\\max\\{1, 2\\}",
            "|-3|",
            "5!",
            "\\binom{5}{2}",
        ] {
            assert!(parse_expr(s).is_ok(), "{s}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error() {
        let s = format!("{}1{}", "(".repeat(10_000), ")".repeat(10_000));
        assert!(matches!(parse_expr(&s), Err(ParseError::TooLarge(_))));
    }

    #[test]
    fn long_literal_is_an_error() {
        let s = "7".repeat(5_000);
        assert!(matches!(parse_expr(&s), Err(ParseError::TooLarge(_))));
    }
}
