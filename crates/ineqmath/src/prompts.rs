//! Prompt templates of the solver, the LLM answer judge and the step judges.
//!
//! The templates are written for this crate from the published rubric of each
//! judge; the step numbers they produce are IneqMath-style (unofficial). Each
//! output that used a template records the sha256 of the template's bytes.

use std::path::Path;

use sha2::{Digest, Sha256};

use crate::error::{Error, Result};

/// The template names with their built-in text and required placeholders.
const BUILT_IN: [(&str, &str, &[&str]); 9] = [
    (
        "solve_bound",
        include_str!("../prompts/solve_bound.txt"),
        &["{problem}"],
    ),
    (
        "solve_relation",
        include_str!("../prompts/solve_relation.txt"),
        &["{problem}"],
    ),
    (
        "answer_relation_letter",
        include_str!("../prompts/answer_relation_letter.txt"),
        &["{sentence}"],
    ),
    (
        "answer_bound_extract",
        include_str!("../prompts/answer_bound_extract.txt"),
        &["{sentence}"],
    ),
    (
        "answer_bound_equiv",
        include_str!("../prompts/answer_bound_equiv.txt"),
        &["{gold}", "{pred}"],
    ),
    (
        "step_toy_case",
        include_str!("../prompts/step_toy_case.txt"),
        &["{problem}", "{response}"],
    ),
    (
        "step_logical_gap",
        include_str!("../prompts/step_logical_gap.txt"),
        &["{problem}", "{response}"],
    ),
    (
        "step_approximation",
        include_str!("../prompts/step_approximation.txt"),
        &["{problem}", "{response}"],
    ),
    (
        "step_computation",
        include_str!("../prompts/step_computation.txt"),
        &["{problem}", "{response}"],
    ),
];

/// One prompt template.
#[derive(Clone, Debug, PartialEq)]
pub struct Template {
    /// The name, such as `step_toy_case`.
    pub name: &'static str,
    /// The text with `{problem}`-style placeholders.
    pub text: String,
    /// Lower-case hex sha256 of the text's UTF-8 bytes.
    pub sha256: String,
}

impl Template {
    /// Replaces each `{key}` by its value; keys absent from the text are ignored.
    pub fn render(&self, values: &[(&str, &str)]) -> String {
        let mut out = self.text.clone();
        for (key, value) in values {
            out = out.replace(&format!("{{{key}}}"), value);
        }
        out
    }
}

/// Returns the names of all templates.
pub fn names() -> Vec<&'static str> {
    BUILT_IN.iter().map(|(name, _, _)| *name).collect()
}

/// Loads template `name` from `dir/<name>.txt` when `dir` is given and contains
/// that file, else returns the built-in text.
///
/// # Errors
/// [`Error::Template`] for an unknown name or an override without a required
/// placeholder. [`Error::Io`] for an unreadable override.
pub fn load(name: &str, dir: Option<&Path>) -> Result<Template> {
    let Some(&(name, built_in, required)) = BUILT_IN.iter().find(|(n, _, _)| *n == name) else {
        return Err(Error::Template {
            name: name.to_string(),
            problem: format!("no such template; the names are {}", names().join(", ")),
        });
    };
    let text = match dir.map(|d| d.join(format!("{name}.txt"))) {
        Some(path) if path.is_file() => {
            std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e))?
        }
        _ => built_in.to_string(),
    };
    if let Some(missing) = required.iter().find(|p| !text.contains(*p)) {
        return Err(Error::Template {
            name: name.to_string(),
            problem: format!("the placeholder {missing} is missing; add it to the template"),
        });
    }
    Ok(Template {
        name,
        sha256: sha256_hex(text.as_bytes()),
        text,
    })
}

/// Lower-case hex sha256 of `bytes`.
pub fn sha256_hex(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_templates_render() {
        for name in names() {
            let t = load(name, None).unwrap();
            assert_eq!(t.sha256.len(), 64);
            let text = t.render(&[
                ("problem", "P"),
                ("response", "R"),
                ("sentence", "S"),
                ("gold", "G"),
                ("pred", "Q"),
                ("examples", ""),
            ]);
            assert!(!text.contains("{problem}"), "{name}");
            assert!(!text.contains("{examples}"), "{name}");
        }
    }

    #[test]
    fn override_without_placeholder_is_rejected() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join("step_toy_case.txt"), "no slots").unwrap();
        let err = load("step_toy_case", Some(dir.path())).unwrap_err();
        assert!(err.to_string().contains("{problem}"), "{err}");
        assert!(load("step_logical_gap", Some(dir.path())).is_ok());
    }

    #[test]
    fn sha256_of_empty_input() {
        assert_eq!(
            sha256_hex(b""),
            "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
        );
    }
}
