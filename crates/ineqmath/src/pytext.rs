//! Python `str` semantics that the reference judge relies on.
//!
//! Python's `str.isspace` (and the `\s` class of `re` on `str`) counts the
//! separators U+001C to U+001F as whitespace; Rust's `char::is_whitespace`
//! does not. `str.lower` may change the number of characters (`İ` becomes two),
//! so positions found in a lowered copy are character counts, not byte offsets.

/// Returns true for the characters that Python 3's `str.isspace` accepts.
pub fn is_py_space(c: char) -> bool {
    c.is_whitespace() || ('\u{1c}'..='\u{1f}').contains(&c) || c == '\u{85}'
}

/// Strips Python whitespace from both ends, like `str.strip()`.
pub fn py_strip(s: &str) -> &str {
    s.trim_matches(is_py_space)
}

/// Replaces every run of Python whitespace by one space and strips, like
/// `re.sub(r'\s+', ' ', s).strip()`.
pub fn collapse_whitespace(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut in_space = false;
    for c in s.chars() {
        if is_py_space(c) {
            in_space = true;
            continue;
        }
        if in_space && !out.is_empty() {
            out.push(' ');
        }
        in_space = false;
        out.push(c);
    }
    out
}

/// Lower-cases character by character, like Python's `str.lower()`.
pub fn py_lower(s: &str) -> Vec<char> {
    s.chars().flat_map(char::to_lowercase).collect()
}

/// Returns the character index of the last occurrence of `needle` in `hay`.
pub fn rfind_chars(hay: &[char], needle: &str) -> Option<usize> {
    let needle: Vec<char> = needle.chars().collect();
    if needle.len() > hay.len() {
        return None;
    }
    (0..=hay.len() - needle.len())
        .rev()
        .find(|&i| hay[i..i + needle.len()] == needle[..])
}

/// Returns the suffix of `s` that starts at character `index` (empty when
/// `index` is past the end).
pub fn suffix_from_char(s: &str, index: usize) -> &str {
    match s.char_indices().nth(index) {
        Some((byte, _)) => &s[byte..],
        None => "",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn python_whitespace_includes_separators() {
        assert!(is_py_space('\u{1f}'));
        assert!(is_py_space('\u{85}'));
        assert!(!is_py_space('x'));
    }

    #[test]
    fn collapse_matches_python() {
        assert_eq!(collapse_whitespace("  a \n\t b\u{1c}c  "), "a b c");
        assert_eq!(collapse_whitespace(""), "");
    }

    #[test]
    fn suffix_clamps_past_end() {
        assert_eq!(suffix_from_char("héllo", 1), "éllo");
        assert_eq!(suffix_from_char("ab", 5), "");
    }

    #[test]
    fn rfind_finds_last() {
        let hay: Vec<char> = "answer is x answer is".chars().collect();
        assert_eq!(rfind_chars(&hay, "answer is"), Some(12));
        assert_eq!(rfind_chars(&hay, "zzz"), None);
    }
}
