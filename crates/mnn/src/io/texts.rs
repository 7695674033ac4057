//! Texts to score, one JSON object per line.

use std::path::Path;

use crate::Error;

/// One input row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TextRow {
    /// Zero-based line index among the non-blank lines.
    pub index: usize,
    /// The row's `id` field (string or number) when it has one, otherwise
    /// the index.
    pub id: String,
    pub text: String,
}

/// Reads `field` from every non-blank line of a JSONL file. A UTF-8 byte
/// order mark at the start of the file is skipped.
///
/// # Errors
///
/// [`Error::Read`] when the file cannot be read, and [`Error::InvalidParam`]
/// naming the line number (1-based) and the keys found when a line is not a
/// JSON object or its `field` is missing or not a string.
pub fn read_texts(path: &Path, field: &str) -> Result<Vec<TextRow>, Error> {
    let bytes = std::fs::read(path).map_err(|error| Error::Read {
        path: path.to_path_buf(),
        error,
    })?;
    let content = String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let line = error.as_bytes()[..offset].iter().filter(|&&b| b == b'\n').count() + 1;
        Error::InvalidParam {
            name: "input",
            value: format!("{} line {line}", path.display()),
            fix: format!(
                "the file is not valid UTF-8 (first invalid byte at offset {offset}); convert it to UTF-8, for example with `iconv -f latin1 -t utf-8`"
            ),
        }
    })?;
    let content = content.strip_prefix('\u{feff}').unwrap_or(&content);
    let mut rows = Vec::new();
    for (line_index, line) in content.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let row = parse_row(line, field, rows.len())
            .map_err(|fix| invalid_line(path, line_index + 1, fix))?;
        rows.push(row);
    }
    Ok(rows)
}

fn parse_row(line: &str, field: &str, index: usize) -> Result<TextRow, String> {
    let value: serde_json::Value =
        serde_json::from_str(line).map_err(|e| format!("is not valid JSON ({e})"))?;
    let object = value
        .as_object()
        .ok_or_else(|| "is not a JSON object".to_string())?;
    let keys = || object.keys().cloned().collect::<Vec<_>>().join(", ");
    let text = match object.get(field) {
        Some(serde_json::Value::String(text)) => text.clone(),
        Some(_) => return Err(format!("has a non-string {field:?} (keys: {})", keys())),
        None => return Err(format!("has no {field:?} field (keys: {})", keys())),
    };
    let id = match object.get("id") {
        Some(serde_json::Value::String(id)) => id.clone(),
        Some(serde_json::Value::Number(id)) => id.to_string(),
        _ => index.to_string(),
    };
    Ok(TextRow { index, id, text })
}

fn invalid_line(path: &Path, line: usize, reason: String) -> Error {
    Error::InvalidParam {
        name: "input",
        value: format!("{} line {line}", path.display()),
        fix: format!("the line {reason}; pass a JSONL file of objects and the right --field"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write(content: &str) -> (tempfile::TempDir, std::path::PathBuf) {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("texts.jsonl");
        std::fs::write(&path, content).unwrap();
        (dir, path)
    }

    #[test]
    fn latin1_file_names_the_encoding() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("latin1.jsonl");
        std::fs::write(&path, b"{\"output\": \"ok\"}\n{\"output\": \"caf\xe9\"}\n").unwrap();

        let message = read_texts(&path, "output").unwrap_err().to_string();

        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("not valid UTF-8"), "{message}");
    }

    #[test]
    fn reads_field_and_ids() {
        let (_dir, path) = write("{\"output\": \"a\", \"id\": 7}\n\n{\"output\": \"\"}\n");
        let rows = read_texts(&path, "output").unwrap();
        assert_eq!(rows.len(), 2);
        assert_eq!(rows[0].id, "7");
        assert_eq!(rows[0].text, "a");
        assert_eq!(rows[1].index, 1);
        assert_eq!(rows[1].id, "1");
        assert_eq!(rows[1].text, "");
    }

    #[test]
    fn missing_field_names_line_and_keys() {
        let (_dir, path) = write("{\"output\": \"a\"}\n{\"other\": 1}\n");
        let message = read_texts(&path, "output").unwrap_err().to_string();
        assert!(message.contains("line 2"), "{message}");
        assert!(message.contains("other"), "{message}");
    }

    #[test]
    fn byte_order_mark_is_skipped() {
        let (_dir, path) = write("\u{feff}{\"output\": \"a\"}\n");
        let rows = read_texts(&path, "output").unwrap();
        assert_eq!(rows.len(), 1);
        assert_eq!(rows[0].text, "a");
    }

    #[test]
    fn non_object_is_rejected() {
        let (_dir, path) = write("[1, 2]\n");
        let message = read_texts(&path, "output").unwrap_err().to_string();
        assert!(message.contains("not a JSON object"), "{message}");
    }
}
