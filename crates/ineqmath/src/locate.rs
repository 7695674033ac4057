//! Answer-sentence location: the part of a response that states the final answer.

use crate::pytext::{collapse_whitespace, py_lower, py_strip, rfind_chars, suffix_from_char};
use crate::rules::Rules;

/// Trigger phrases, in the reference's order of priority.
pub const TRIGGER_PHRASES: [&str; 3] = ["final answer is", "answer is", "final answer"];

/// Locates the answer sentence of a response.
///
/// An empty or blank response gives `""`. Otherwise the text from a trigger
/// phrase to the end is returned, with `\(` and `\)` replaced by `$` and
/// whitespace runs collapsed to one space. Under [`Rules::Parity`] the first
/// phrase of [`TRIGGER_PHRASES`] that occurs at all is cut at its last
/// occurrence; under [`Rules::Strict`] the rightmost occurrence of any phrase
/// wins. Without a phrase, the last three newline-separated lines of the
/// stripped response are returned as they are.
pub fn locate_answer(response: &str, rules: Rules) -> String {
    let text = py_strip(response);
    if text.is_empty() {
        return String::new();
    }

    let lowered = py_lower(text);
    let start = match rules {
        Rules::Parity => TRIGGER_PHRASES
            .iter()
            .find_map(|phrase| rfind_chars(&lowered, phrase)),
        Rules::Strict => TRIGGER_PHRASES
            .iter()
            .filter_map(|phrase| rfind_chars(&lowered, phrase))
            .max(),
    };

    match start {
        Some(index) => {
            let tail = py_strip(suffix_from_char(text, index));
            collapse_whitespace(&tail.replace("\\(", "$").replace("\\)", "$"))
        }
        None => last_lines(text, 3),
    }
}

fn last_lines(text: &str, n: usize) -> String {
    let lines: Vec<&str> = text.split('\n').collect();
    lines[lines.len().saturating_sub(n)..].join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parity_prefers_final_answer_is() {
        let text = "The final answer is 3. We double-check: the answer is 3.";
        assert_eq!(
            locate_answer(text, Rules::Parity),
            "final answer is 3. We double-check: the answer is 3."
        );
        assert_eq!(locate_answer(text, Rules::Strict), "answer is 3.");
    }

    #[test]
    fn fallback_keeps_last_three_lines() {
        assert_eq!(locate_answer("a\nb\n\nc\n", Rules::Parity), "b\n\nc");
        assert_eq!(locate_answer("   \n ", Rules::Strict), "");
    }

    #[test]
    fn inline_math_delimiters_become_dollars() {
        assert_eq!(
            locate_answer("So the Answer Is \\(C = 2\\).", Rules::Parity),
            "Answer Is $C = 2$."
        );
    }

    #[test]
    fn length_changing_lowercase_clamps() {
        // 'İ' lowers to two characters, so Python cuts one character late.
        let text = "İ answer is 5";
        assert_eq!(locate_answer(text, Rules::Parity), "nswer is 5");
    }
}
