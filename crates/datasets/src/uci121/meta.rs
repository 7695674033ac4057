//! The metadata file `<name>.txt` of a UCI-121 data set: one `key= value`
//! pair per line, with Galician key names.

use std::path::Path;

use crate::error::{Error, Result};

/// The contents of `<name>.txt`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UciMeta {
    /// Features per row (`n_entradas`).
    pub n_features: usize,
    /// Classes (`n_clases`). Labels are `0..n_classes`.
    pub n_classes: usize,
    /// Data files (`n_arquivos`): 1, or 2 for a training file and a test file.
    pub n_files: usize,
    /// File name and row count of each data file (`fichN`, `n_patronsN`).
    pub files: Vec<(String, usize)>,
    /// Length of the training line of `conxuntos.dat` (`n_patrons_entrena`).
    pub n_train_selection: usize,
    /// Length of the validation line of `conxuntos.dat` (`n_patrons_valida`).
    pub n_valid_selection: usize,
    /// Number of selection splits (`n_conxuntos`), always 1.
    pub n_selection_splits: usize,
    /// Every `(key, value)` pair as read, trimmed, in file order.
    pub entries: Vec<(String, String)>,
}

/// Reads and checks a metadata file.
///
/// Each non-blank line is split at its first `=`, and key and value are
/// trimmed. Keys other than the ones [`UciMeta`] decodes are kept in
/// `entries` and otherwise ignored.
///
/// # Errors
///
/// - [`Error::MissingFile`] or [`Error::Io`] when the file cannot be read.
/// - [`Error::Parse`] for a line without `=`.
/// - [`Error::Meta`] for a repeated or missing key, a count that is not a whole
///   number, `n_arquivos` other than 1 or 2, `n_conxuntos` other than 1, or a
///   file name that contains a path separator.
pub fn read_meta(path: &Path) -> Result<UciMeta> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
    let entries = parse_entries(path, &text)?;
    let reader = Entries {
        path,
        entries: &entries,
    };
    let n_files = reader.count("n_arquivos")?;
    if !(1..=2).contains(&n_files) {
        return Err(reader.invalid("n_arquivos", format!("is {n_files}, expected 1 or 2")));
    }
    let n_selection_splits = reader.count("n_conxuntos")?;
    if n_selection_splits != 1 {
        let msg = format!(
            "is {n_selection_splits}, but only 1 (two lines in conxuntos.dat) is supported"
        );
        return Err(reader.invalid("n_conxuntos", msg));
    }
    let mut files = Vec::with_capacity(n_files);
    for number in 1..=n_files {
        files.push((
            reader.file_name(&format!("fich{number}"))?,
            reader.count(&format!("n_patrons{number}"))?,
        ));
    }
    Ok(UciMeta {
        n_features: reader.count("n_entradas")?,
        n_classes: reader.count("n_clases")?,
        n_files,
        files,
        n_train_selection: reader.count("n_patrons_entrena")?,
        n_valid_selection: reader.count("n_patrons_valida")?,
        n_selection_splits,
        entries: entries.clone(),
    })
}

fn parse_entries(path: &Path, text: &str) -> Result<Vec<(String, String)>> {
    let mut entries: Vec<(String, String)> = Vec::new();
    for (index, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        let Some((key, value)) = line.split_once('=') else {
            return Err(Error::parse(
                path,
                index + 1,
                1,
                format!("expected `key= value`, found `{line}`"),
            ));
        };
        let key = key.trim();
        if entries.iter().any(|(seen, _)| seen == key) {
            return Err(Error::Meta {
                path: path.to_path_buf(),
                key: key.to_string(),
                msg: format!("appears twice (again on line {})", index + 1),
            });
        }
        entries.push((key.to_string(), value.trim().to_string()));
    }
    Ok(entries)
}

/// Typed lookups into the pairs of one metadata file.
struct Entries<'a> {
    path: &'a Path,
    entries: &'a [(String, String)],
}

impl Entries<'_> {
    fn value(&self, key: &str) -> Result<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, value)| value.as_str())
            .ok_or_else(|| self.invalid(key, "is missing".to_string()))
    }

    fn count(&self, key: &str) -> Result<usize> {
        let value = self.value(key)?;
        value
            .parse()
            .map_err(|_| self.invalid(key, format!("`{value}` is not a whole number ≥ 0")))
    }

    fn file_name(&self, key: &str) -> Result<String> {
        let value = self.value(key)?;
        let plain = !value.is_empty() && value != ".." && !value.contains(['/', '\\']);
        if plain {
            Ok(value.to_string())
        } else {
            Err(self.invalid(
                key,
                format!("`{value}` is not a file name in the set's folder"),
            ))
        }
    }

    fn invalid(&self, key: &str, msg: String) -> Error {
        Error::Meta {
            path: self.path.to_path_buf(),
            key: key.to_string(),
            msg,
        }
    }
}
