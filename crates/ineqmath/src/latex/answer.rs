//! Answer strings: `C = <expr>`, chains `C = a = b`, and tuples of labelled
//! constants `C_1 = …, C_2 = …` (also one `$$…$$` block per line).

use super::{Expr, ParseError, parse_expr};

/// One labelled or unlabelled constant of an answer.
#[derive(Clone, Debug, PartialEq)]
pub struct Part {
    /// The normalized label (`C`, `C_1`, `C_min`), if the text had one.
    pub label: Option<String>,
    /// The right-hand side as written (the last part of a chain).
    pub rhs: String,
    /// The parsed right-hand side.
    pub expr: Result<Expr, ParseError>,
}

/// A parsed bound answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    /// One constant; a label, if any, is ignored when comparing.
    Single(Part),
    /// Two or more constants with distinct labels, compared by label.
    Tuple(Vec<Part>),
    /// The text marks its value as an approximation (`\approx`, `≈`, `\simeq`,
    /// "approximately"), which never equals an exact answer.
    Approximate(String),
}

/// Parses an answer string; parse failures are kept inside each [`Part`].
pub fn parse_answer(text: &str) -> Answer {
    let text = text.replace('$', "");
    let text = text.trim();
    if has_approx_marker(text) {
        return Answer::Approximate(text.to_string());
    }

    let segments = split_top_level(text, &[',', ';', '\n']);
    if segments.len() >= 2 {
        let parts: Vec<Part> = segments.iter().map(|s| part(s)).collect();
        let mut labels: Vec<&str> = parts.iter().filter_map(|p| p.label.as_deref()).collect();
        labels.sort();
        labels.dedup();
        if labels.len() == parts.len() {
            return Answer::Tuple(parts);
        }
    }
    Answer::Single(part(text))
}

/// Returns true if `text` marks an approximation.
pub fn has_approx_marker(text: &str) -> bool {
    text.contains("\\approx")
        || text.contains('≈')
        || text.contains("\\simeq")
        || text.to_lowercase().contains("approximately")
}

/// Returns the right-hand side of `text`: the part after the last top-level `=`.
pub fn strip_label(text: &str) -> &str {
    split_top_level(text, &['='])
        .last()
        .copied()
        .unwrap_or(text)
        .trim()
}

fn part(segment: &str) -> Part {
    let sides = split_top_level(segment, &['=']);
    let label = if sides.len() >= 2 {
        normalize_label(sides[0])
    } else {
        None
    };
    let rhs = strip_label(segment).to_string();
    let expr = parse_expr(&rhs);
    Part { label, rhs, expr }
}

/// Normalizes a label such as `\quad C_{\text{min}}` to `C_min`; `None` if the
/// text is no label (one letter with an optional subscript).
fn normalize_label(text: &str) -> Option<String> {
    let mut s = text.to_string();
    for noise in [
        "\\qquad", "\\quad", "\\text", "\\mathrm", "\\", "{", "}", " ", "and",
    ] {
        s = s.replace(noise, "");
    }
    let mut chars = s.chars();
    let first = chars.next()?;
    let rest: String = chars.collect();
    let valid = first.is_ascii_alphabetic()
        && (rest.is_empty()
            || (rest.starts_with('_')
                && rest.len() > 1
                && rest[1..].chars().all(|c| c.is_ascii_alphanumeric())));
    valid.then_some(s)
}

/// Splits at the separators outside brackets (`(`, `[`, `{` and their closers).
fn split_top_level<'a>(text: &'a str, separators: &[char]) -> Vec<&'a str> {
    let mut parts = Vec::new();
    let mut depth = 0i64;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' | '[' | '{' => depth += 1,
            ')' | ']' | '}' => depth -= 1,
            _ if depth == 0 && separators.contains(&c) => {
                parts.push(&text[start..i]);
                start = i + c.len_utf8();
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_keeps_last_part() {
        let Answer::Single(p) = parse_answer("$$C = 3 + \\frac{1}{3} = \\frac{10}{3}$$") else {
            panic!("expected a single answer");
        };
        assert_eq!(p.rhs, "\\frac{10}{3}");
        assert_eq!(p.label.as_deref(), Some("C"));
    }

    #[test]
    fn tuple_on_separate_lines() {
        let gold = "$$C_{\\text{min}} = \\frac{1}{2(n-1)}$$\n$$C_{\\text{max}} = \\frac{1}{2}$$";
        let Answer::Tuple(parts) = parse_answer(gold) else {
            panic!("expected a tuple");
        };
        let labels: Vec<_> = parts.iter().map(|p| p.label.clone().unwrap()).collect();
        assert_eq!(labels, ["C_min", "C_max"]);
    }

    #[test]
    fn tuple_with_quad() {
        let Answer::Tuple(parts) = parse_answer("$$C_1 = \\frac{3}{2}, \\quad C_2 = 2$$") else {
            panic!("expected a tuple");
        };
        assert_eq!(parts[1].label.as_deref(), Some("C_2"));
        assert_eq!(parts[1].rhs, "2");
    }

    #[test]
    fn max_with_comma_is_single() {
        assert!(matches!(
            parse_answer("C = \\max\\{1, 2\\}"),
            Answer::Single(_)
        ));
    }

    #[test]
    fn missing_closing_dollar() {
        let Answer::Single(p) = parse_answer("$C = 3") else {
            panic!("expected a single answer");
        };
        assert_eq!(p.rhs, "3");
    }
}
