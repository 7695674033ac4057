//! Extraction of the bound constant from an answer sentence.

use crate::latex::{has_approx_marker, strip_label};
use crate::locate::TRIGGER_PHRASES;
use crate::rules::Rules;

/// The outcome of bound extraction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoundExtraction {
    /// The answer text (a right-hand side, or labelled constants for a tuple).
    Expr(String),
    /// The sentence marks its value as an approximation.
    Approximate,
    /// Nothing to extract.
    Missing,
}

/// Commands and characters deleted before cutting.
const REMOVED: [&str; 15] = [
    "$",
    "\\[",
    "\\]",
    "\\displaystyle",
    "\\left",
    "\\right",
    "\\,",
    "\\;",
    "\\:",
    "\\!",
    "\\qquad",
    "\\quad",
    "~",
    "\\(",
    "\\)",
];

/// Top-level texts at which the answer ends.
const TERMINATORS: [&str; 9] = [
    "\\text{", ", ", ". ", "\n", " and ", " for ", " when ", " where ", " if ",
];

/// Extracts the bound constant from an answer sentence.
///
/// The candidate is the content of the last `\boxed{…}`, else the whole
/// sentence. The answer is the text after the last `C =` (with an optional
/// subscript), so `C=2 when a = b` gives `2`. Fallbacks, in order: after the
/// last `X =` for another capital letter X; the boxed candidate as it is; the
/// first `$…$` span; the text after the trigger phrase. Two or more distinct
/// labels `C_k =` give a tuple.
pub fn extract_bound(sentence: &str) -> BoundExtraction {
    extract_bound_with(sentence, Rules::Parity)
}

/// Extracts the bound constant under `rules`. The default rules also end the
/// answer at the math delimiter that closes it (`$`, `\]`, `\)`), so text
/// after the formula, such as `$C=4$!` or `$C=4$ because …`, is never read
/// as part of the answer; [`Rules::Parity`] is [`extract_bound`].
pub fn extract_bound_with(sentence: &str, rules: Rules) -> BoundExtraction {
    if has_approx_marker(sentence) {
        return BoundExtraction::Approximate;
    }
    let boxed = last_boxed(sentence);
    let candidate = boxed.unwrap_or(sentence);

    if let Some(start) = tuple_start(candidate) {
        let text = clean(&candidate[start..], false);
        if !text.is_empty() {
            return BoundExtraction::Expr(text);
        }
    }

    // NOTE: the `X =` fallback accepts capital letters only, so that an
    // equality case such as `a = b` after the answer is never taken for it.
    let attempts = [
        label_rhs(candidate, |c| c == 'C'),
        label_rhs(candidate, |c| c.is_ascii_uppercase() && c != 'C'),
        boxed,
        first_dollar_span(sentence),
        Some(after_trigger(sentence)),
    ];
    attempts
        .into_iter()
        .flatten()
        .map(|text| match rules {
            Rules::Strict => cut_at_math_close(text),
            Rules::Parity => text,
        })
        .map(|text| strip_label(&clean(text, true)).to_string())
        .find(|text| !text.is_empty())
        .map_or(BoundExtraction::Missing, BoundExtraction::Expr)
}

/// Returns the content of the last balanced `\boxed{…}`.
fn last_boxed(s: &str) -> Option<&str> {
    let start = s.rfind("\\boxed{")? + "\\boxed{".len();
    let mut depth = 1usize;
    for (i, c) in s[start..].char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return Some(&s[start..start + i]);
                }
            }
            _ => {}
        }
    }
    None
}

/// A label `X`, `X_k` or `X_{…}` followed by `=`: returns (label start, label
/// text, byte offset after the `=`) for every such label whose letter passes `accept`.
fn labels(s: &str, accept: impl Fn(char) -> bool) -> Vec<(usize, String, usize)> {
    let chars: Vec<(usize, char)> = s.char_indices().collect();
    let mut found = Vec::new();
    for (k, &(at, c)) in chars.iter().enumerate() {
        if !accept(c) {
            continue;
        }
        let standalone = k == 0 || {
            let prev = chars[k - 1].1;
            !prev.is_ascii_alphanumeric() && prev != '\\' && prev != '_' && prev != '^'
        };
        if !standalone {
            continue;
        }
        if let Some((label, after)) = label_tail(&chars, k) {
            found.push((at, label, after));
        }
    }
    found
}

/// Reads an optional subscript and the `=` after the letter at `chars[k]`.
fn label_tail(chars: &[(usize, char)], k: usize) -> Option<(String, usize)> {
    let mut j = k + 1;
    let mut label = chars[k].1.to_string();
    if chars.get(j).is_some_and(|&(_, c)| c == '_') {
        j += 1;
        match chars.get(j)?.1 {
            '{' => {
                let close = (j..chars.len()).find(|&i| chars[i].1 == '}')?;
                let inner: String = chars[j + 1..close].iter().map(|&(_, c)| c).collect();
                label.push('_');
                label.push_str(&inner.replace(['\\', ' '], "").replace("text", ""));
                j = close + 1;
            }
            c if c.is_ascii_alphanumeric() => {
                label.push('_');
                label.push(c);
                j += 1;
            }
            _ => return None,
        }
    } else if chars
        .get(j)
        .is_some_and(|&(_, c)| c.is_ascii_alphanumeric())
    {
        return None;
    }
    while chars.get(j).is_some_and(|&(_, c)| c == ' ') {
        j += 1;
    }
    let (_, eq) = *chars.get(j)?;
    if eq != '=' || chars.get(j + 1).is_some_and(|&(_, c)| c == '=') {
        return None;
    }
    let after = chars
        .get(j + 1)
        .map_or_else(|| chars[j].0 + 1, |&(at, _)| at);
    Some((label, after))
}

fn label_rhs(s: &str, accept: impl Fn(char) -> bool) -> Option<&str> {
    labels(s, accept).last().map(|&(_, _, after)| &s[after..])
}

/// Returns the start of the first label when two or more distinct `C_k =` labels occur.
fn tuple_start(s: &str) -> Option<usize> {
    let found = labels(s, |c| c == 'C');
    let mut names: Vec<&str> = found
        .iter()
        .filter(|(_, label, _)| label.contains('_'))
        .map(|(_, label, _)| label.as_str())
        .collect();
    names.sort();
    names.dedup();
    (names.len() >= 2).then(|| found[0].0)
}

/// Ends `text` at the first closing math delimiter, after skipping one
/// opening delimiter at its start.
fn cut_at_math_close(text: &str) -> &str {
    let body = text.trim_start();
    let opening = ["$$", "$", "\\[", "\\("]
        .iter()
        .find(|d| body.starts_with(**d))
        .map_or(0, |d| d.len());
    let start = text.len() - body.len() + opening;
    let close = ["$", "\\]", "\\)"]
        .iter()
        .filter_map(|d| text[start..].find(d))
        .min();
    close.map_or(text, |at| &text[..start + at])
}

fn first_dollar_span(s: &str) -> Option<&str> {
    let open = s.find('$')?;
    let close = s[open + 1..].find('$')? + open + 1;
    Some(&s[open + 1..close])
}

fn after_trigger(sentence: &str) -> &str {
    let lowered = sentence.to_ascii_lowercase();
    let rest = TRIGGER_PHRASES
        .iter()
        .find(|phrase| lowered.starts_with(*phrase))
        .map_or(sentence, |phrase| &sentence[phrase.len()..]);
    rest.trim_start_matches([':', ' '])
}

/// Deletes formatting, cuts at the first top-level terminator (all but `, `
/// when `cut_commas` is false), drops unmatched `}` and a final period.
fn clean(text: &str, cut_commas: bool) -> String {
    let mut s = text.to_string();
    for token in REMOVED {
        if s.contains(token) {
            s = s.replace(token, " ");
        }
    }
    let s = cut_at_terminator(&s, cut_commas);
    let s = drop_unmatched_braces(s);
    let s = s.trim();
    let s = s.strip_suffix('.').unwrap_or(s);
    s.trim().to_string()
}

fn cut_at_terminator(s: &str, cut_commas: bool) -> &str {
    let mut depth = 0i64;
    for (i, c) in s.char_indices() {
        match c {
            '{' | '(' | '[' => depth += 1,
            '}' | ')' | ']' => depth -= 1,
            _ => {}
        }
        // A negative depth comes from a `}` that closes a group opened before
        // the candidate, such as `\text{The answer is } C = 2`; that is top level too.
        if depth > 0 {
            continue;
        }
        let rest = &s[i..];
        let hit = TERMINATORS
            .iter()
            .filter(|t| cut_commas || **t != ", ")
            .any(|t| rest.starts_with(t));
        if hit {
            return &s[..i];
        }
    }
    s
}

fn drop_unmatched_braces(s: &str) -> String {
    let mut depth = 0usize;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => continue,
            '}' => depth -= 1,
            _ => {}
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn expr(s: &str) -> BoundExtraction {
        BoundExtraction::Expr(s.to_string())
    }

    #[test]
    fn display_math_sentence() {
        assert_eq!(
            extract_bound("answer is } C = \\frac{4}{3}. \\]"),
            expr("\\frac{4}{3}")
        );
        assert_eq!(
            extract_bound("final answer is: \\[ \\text{The answer is } C=4. \\]"),
            expr("4")
        );
    }

    #[test]
    fn condition_after_answer_is_cut() {
        assert_eq!(extract_bound("answer is $C=2$ when $a = b$."), expr("2"));
        assert_eq!(extract_bound("answer is C=2 when a = b"), expr("2"));
    }

    #[test]
    fn inline_dollars_and_final_period() {
        assert_eq!(
            extract_bound("answer is $ C = \\frac{p+q}{2(p-q)} $."),
            expr("\\frac{p+q}{2(p-q)}")
        );
        assert_eq!(extract_bound("answer is $ C=40.5 $."), expr("40.5"));
    }

    #[test]
    fn fallbacks() {
        assert_eq!(extract_bound("answer is $M = 4$."), expr("4"));
        assert_eq!(
            extract_bound("answer is $\\boxed{\\frac{1}{2}}$."),
            expr("\\frac{1}{2}")
        );
        assert_eq!(extract_bound("answer is $3$."), expr("3"));
        assert_eq!(extract_bound("answer is 3."), expr("3"));
        assert_eq!(extract_bound(""), BoundExtraction::Missing);
    }

    #[test]
    fn default_rules_stop_at_the_closing_delimiter() {
        let strict = |s| extract_bound_with(s, Rules::Strict);
        assert_eq!(
            strict("The answer is $C=4$ because it is tight."),
            expr("4")
        );
        assert_eq!(strict("The answer is $C=4$!"), expr("4"));
        assert_eq!(strict("The answer is $C=4$ 🎉"), expr("4"));
        assert_eq!(
            strict("The answer is \\(C=\\frac{1}{2}\\) here."),
            expr("\\frac{1}{2}")
        );
        assert_eq!(strict("The answer is C = $4$ indeed."), expr("4"));
        assert_eq!(
            strict("answer is } C = \\frac{4}{3}. \\]"),
            expr("\\frac{4}{3}")
        );
        assert_eq!(
            extract_bound("The answer is $C=4$!"),
            extract_bound_with("The answer is $C=4$!", Rules::Parity)
        );
    }

    #[test]
    fn approximation_and_chain() {
        assert_eq!(
            extract_bound("answer is $C \\approx 2.71$"),
            BoundExtraction::Approximate
        );
        assert_eq!(
            extract_bound("answer is $C = 3 + \\frac13 = \\frac{10}{3}$."),
            expr("\\frac{10}{3}")
        );
    }

    #[test]
    fn tuple_is_kept_whole() {
        assert_eq!(
            extract_bound("answer is $C_1 = 5, C_2 = -3$."),
            expr("C_1 = 5, C_2 = -3")
        );
    }
}
