//! Relation answers: the option letter stated in an answer sentence.

use serde::{Deserialize, Serialize};

use crate::pytext::collapse_whitespace;
use crate::rules::Rules;

/// One of the six relation options.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum RelOption {
    /// `(A) $\leq$`
    A,
    /// `(B) $\geq$`
    B,
    /// `(C) $=$`
    C,
    /// `(D) $<$`
    D,
    /// `(E) $>$`
    E,
    /// `(F) None of the above`
    F,
}

impl RelOption {
    /// All options in order.
    pub const ALL: [RelOption; 6] = [
        RelOption::A,
        RelOption::B,
        RelOption::C,
        RelOption::D,
        RelOption::E,
        RelOption::F,
    ];

    /// Returns the canonical option string, which is also the gold answer's form.
    pub fn canonical(self) -> &'static str {
        match self {
            RelOption::A => "(A) $\\leq$",
            RelOption::B => "(B) $\\geq$",
            RelOption::C => "(C) $=$",
            RelOption::D => "(D) $<$",
            RelOption::E => "(E) $>$",
            RelOption::F => "(F) None of the above",
        }
    }

    /// Returns the option letter.
    pub fn letter(self) -> char {
        match self {
            RelOption::A => 'A',
            RelOption::B => 'B',
            RelOption::C => 'C',
            RelOption::D => 'D',
            RelOption::E => 'E',
            RelOption::F => 'F',
        }
    }

    /// Parses an option letter.
    pub fn from_letter(c: char) -> Option<RelOption> {
        RelOption::ALL.into_iter().find(|o| o.letter() == c)
    }

    /// Returns the option whose canonical string equals `gold`.
    pub fn from_canonical(gold: &str) -> Option<RelOption> {
        RelOption::ALL.into_iter().find(|o| o.canonical() == gold)
    }
}

/// Extracts the option from an answer sentence, or `None` when no rule fires.
///
/// [`Rules::Parity`] first looks for a canonical option string (A to F), then
/// runs the reference's case-sensitive keyword cascade. [`Rules::Strict`] takes
/// the first `(X)` or `\boxed{X}` with X in A..F, else the first relation
/// symbol; a sentence offering several options ("(F) or (A)") gives `None`.
pub fn extract_relation(sentence: &str, rules: Rules) -> Option<RelOption> {
    let sentence = collapse_whitespace(sentence);
    match rules {
        Rules::Parity => parity_option(&sentence),
        Rules::Strict if option_mentions(&sentence).is_empty() => first_symbol(&sentence),
        Rules::Strict => first_letter(&sentence),
    }
}

/// Keyword cascade of the reference judge, tested in this order.
const CASCADE: [(RelOption, &[&str]); 6] = [
    (RelOption::A, &["(A)", "leq", "≤"]),
    (RelOption::B, &["(B)", "geq", "≥"]),
    (RelOption::C, &["(C)", "="]),
    (RelOption::D, &["(D)", "<"]),
    (RelOption::E, &["(E)", ">"]),
    (RelOption::F, &["(F)", "none", "None"]),
];

fn parity_option(sentence: &str) -> Option<RelOption> {
    if let Some(option) = RelOption::ALL
        .into_iter()
        .find(|o| sentence.contains(o.canonical()))
    {
        return Some(option);
    }
    CASCADE
        .iter()
        .find(|(_, keys)| keys.iter().any(|k| sentence.contains(k)))
        .map(|(option, _)| *option)
}

/// The first option named by `(X)` or `\boxed{X}`, X in A..F. A sentence
/// that offers a second, different option as an alternative ("(F) or (A)")
/// names no single answer and gives `None`.
fn first_letter(sentence: &str) -> Option<RelOption> {
    let mentions = option_mentions(sentence);
    let &(_, first_end, first) = mentions.first()?;
    let hedged = mentions
        .iter()
        .find(|&&(_, _, option)| option != first)
        .is_some_and(|&(start, _, _)| offers_alternative(&sentence[first_end..start]));
    (!hedged).then_some(first)
}

/// Returns every `(X)` and `\boxed{X}` with X in A..F as (start, end, option), in order.
fn option_mentions(sentence: &str) -> Vec<(usize, usize, RelOption)> {
    let bytes = sentence.as_bytes();
    let mut found = Vec::new();
    for i in 0..bytes.len() {
        if bytes[i] == b'(' && bytes.get(i + 2) == Some(&b')') {
            if let Some(option) = RelOption::from_letter(bytes[i + 1] as char) {
                found.push((i, i + 3, option));
            }
        } else if bytes[i] == b'\\' && sentence[i..].starts_with("\\boxed{") {
            let inner = &sentence[i + "\\boxed{".len()..];
            let Some(close) = inner.find('}') else {
                continue;
            };
            let letter = inner[..close].trim().trim_matches(['(', ')']);
            let mut chars = letter.chars();
            if let (Some(c), None) = (chars.next(), chars.next()) {
                if let Some(option) = RelOption::from_letter(c) {
                    found.push((i, i + "\\boxed{".len() + close + 1, option));
                }
            }
        }
    }
    found
}

/// True when the text between two options joins them as alternatives: the
/// word "or", "either" or a slash.
fn offers_alternative(between: &str) -> bool {
    between.contains('/')
        || between
            .split(|c: char| !c.is_ascii_alphabetic())
            .any(|word| word.eq_ignore_ascii_case("or") || word.eq_ignore_ascii_case("either"))
}

/// LaTeX relation commands (matched as whole command names) and their options.
const COMMANDS: [(&str, RelOption); 10] = [
    ("leqslant", RelOption::A),
    ("leq", RelOption::A),
    ("le", RelOption::A),
    ("geqslant", RelOption::B),
    ("geq", RelOption::B),
    ("ge", RelOption::B),
    ("lt", RelOption::D),
    ("gt", RelOption::E),
    ("leqq", RelOption::A),
    ("geqq", RelOption::B),
];

fn first_symbol(sentence: &str) -> Option<RelOption> {
    let chars: Vec<char> = sentence.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\\' {
            let end = (i + 1..chars.len())
                .find(|&j| !chars[j].is_ascii_alphabetic())
                .unwrap_or(chars.len());
            let name: String = chars[i + 1..end].iter().collect();
            if let Some((_, option)) = COMMANDS.iter().find(|(n, _)| *n == name) {
                return Some(*option);
            }
            i = end.max(i + 1);
            continue;
        }
        if let Some(option) = symbol_option(c) {
            return Some(option);
        }
        if starts_with_none(&chars[i..]) {
            return Some(RelOption::F);
        }
        i += 1;
    }
    None
}

fn symbol_option(c: char) -> Option<RelOption> {
    match c {
        '≤' | '⩽' => Some(RelOption::A),
        '≥' | '⩾' => Some(RelOption::B),
        '=' => Some(RelOption::C),
        '<' => Some(RelOption::D),
        '>' => Some(RelOption::E),
        _ => None,
    }
}

fn starts_with_none(chars: &[char]) -> bool {
    chars.len() >= 4
        && chars[..4]
            .iter()
            .zip("none".chars())
            .all(|(a, b)| a.to_ascii_lowercase() == b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parity_scans_canonical_strings_first() {
        let s = "answer is (B) $\\geq$, not (A) $\\leq$";
        assert_eq!(extract_relation(s, Rules::Parity), Some(RelOption::A));
        assert_eq!(extract_relation(s, Rules::Strict), Some(RelOption::B));
    }

    #[test]
    fn strict_reads_boxed_letters_and_rejects_hedges() {
        let strict = |s| extract_relation(s, Rules::Strict);
        assert_eq!(strict("answer is $\\boxed{D}$"), Some(RelOption::D));
        assert_eq!(strict("answer is \\boxed{(B)}"), Some(RelOption::B));
        assert_eq!(strict("answer is (F) or (A) or (B) or (C)"), None);
        assert_eq!(strict("answer is either (A) $\\leq$ / (D) $<$"), None);
        assert_eq!(strict("answer is (D) or (D) $<$"), Some(RelOption::D));
        assert_eq!(strict("answer is (F) or (A) $\\leq$"), None);
        assert_eq!(
            extract_relation("answer is (F) or (A)", Rules::Parity),
            Some(RelOption::A)
        );
    }

    #[test]
    fn parity_tests_equals_before_d() {
        let s = "answer is (D) since x = 1";
        assert_eq!(extract_relation(s, Rules::Parity), Some(RelOption::C));
        assert_eq!(extract_relation(s, Rules::Strict), Some(RelOption::D));
    }

    #[test]
    fn strict_reads_latex_commands() {
        assert_eq!(extract_relation("answer is $\\le$", Rules::Parity), None);
        assert_eq!(
            extract_relation("answer is $\\le$", Rules::Strict),
            Some(RelOption::A)
        );
        assert_eq!(
            extract_relation("answer is $\\gt$", Rules::Strict),
            Some(RelOption::E)
        );
        assert_eq!(
            extract_relation("answer is \\left( x \\right) \\geq", Rules::Strict),
            Some(RelOption::B)
        );
    }

    #[test]
    fn not_equal_has_no_rule() {
        assert_eq!(extract_relation("answer is $\\ne$", Rules::Strict), None);
        assert_eq!(extract_relation("answer is $\\ne$", Rules::Parity), None);
    }

    #[test]
    fn none_maps_to_f() {
        for rules in [Rules::Parity, Rules::Strict] {
            assert_eq!(
                extract_relation("answer is none of the above", rules),
                Some(RelOption::F)
            );
        }
    }
}
