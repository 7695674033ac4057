//! Rewrites of the input before parsing: Unicode symbols to LaTeX commands,
//! spacing and sizing commands removed, synonyms merged.

/// Commands removed with nothing in their place (longest first where one is a prefix of another).
const DROPPED: [&str; 18] = [
    "\\displaystyle",
    "\\textstyle",
    "\\qquad",
    "\\quad",
    "\\bigl",
    "\\bigr",
    "\\Bigl",
    "\\Bigr",
    "\\biggl",
    "\\biggr",
    "\\left",
    "\\right",
    "\\big",
    "\\Big",
    "\\,",
    "\\;",
    "\\:",
    "\\!",
];

/// Textual replacements applied in order.
const REPLACED: [(&str, &str); 20] = [
    ("\\dfrac", "\\frac"),
    ("\\tfrac", "\\frac"),
    ("\\dbinom", "\\binom"),
    ("\\tbinom", "\\binom"),
    ("\\{", "("),
    ("\\}", ")"),
    ("\\lvert", "|"),
    ("\\rvert", "|"),
    ("\\vert", "|"),
    ("**", "^"),
    ("−", "-"),
    ("·", "\\cdot "),
    ("×", "\\times "),
    ("÷", "\\div "),
    ("π", "\\pi "),
    ("∞", "\\infty "),
    ("√", "\\sqrt "),
    ("∛", "\\sqrt[3] "),
    ("∜", "\\sqrt[4] "),
    ("~", " "),
];

/// Returns `input` with the rewrites applied.
pub fn normalize(input: &str) -> String {
    let mut s = input.to_string();
    for (from, to) in REPLACED {
        if s.contains(from) {
            s = s.replace(from, to);
        }
    }
    for command in DROPPED {
        s = drop_command(&s, command);
    }
    s
}

/// Removes `command` where it is not the prefix of a longer command name
/// (`\left` goes, `\leftarrow` stays); `\left.` loses its dot too.
fn drop_command(s: &str, command: &str) -> String {
    if !s.contains(command) {
        return s.to_string();
    }
    let letters = command[1..].chars().all(|c| c.is_ascii_alphabetic());
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(at) = rest.find(command) {
        let after = &rest[at + command.len()..];
        let longer = letters && after.starts_with(|c: char| c.is_ascii_alphabetic());
        out.push_str(&rest[..at]);
        if longer {
            out.push_str(command);
            rest = after;
            continue;
        }
        out.push(' ');
        rest = match (command, after.strip_prefix('.')) {
            ("\\left" | "\\right", Some(tail)) => tail,
            _ => after,
        };
    }
    out.push_str(rest);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn left_right_dropped() {
        assert_eq!(normalize("\\left(x\\right)").replace(' ', ""), "(x)");
        assert_eq!(normalize("\\left.x\\right|").replace(' ', ""), "x|");
    }

    #[test]
    fn longer_command_kept() {
        assert_eq!(normalize("\\leftarrow"), "\\leftarrow");
    }

    #[test]
    fn unicode_becomes_latex() {
        assert_eq!(normalize("3·√2").replace(' ', ""), "3\\cdot\\sqrt2");
    }
}
