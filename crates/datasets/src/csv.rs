//! Reading a classification table from a delimited text file.
//!
//! The delimiter is a comma, unless the first line has no comma and contains a
//! TAB or a semicolon. Blank lines are skipped, fields are trimmed and one pair
//! of surrounding double quotes is removed. The first line is a header when one
//! of its feature fields is not a number. Every column except the label column
//! contains finite decimal features.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("points.csv");
//! std::fs::write(&path, "a,b,kind\n1.5,2,cat\n-1,0.25,dog\n3,4,cat\n").unwrap();
//! let table = datasets::csv::read_table(&path, None).unwrap();
//! assert_eq!((table.n_rows(), table.n_features()), (3, 2));
//! assert_eq!(table.y, vec![0, 1, 0]); // "cat" < "dog"
//! assert_eq!(table.x[(1, 1)], 0.25);
//! ```

use std::collections::HashMap;
use std::path::Path;

use faer::Mat;

use crate::error::{Error, Result};
use crate::table::Table;

/// Reads `path` into a [`Table`], taking labels from the 0-based column
/// `label_col` (`None`: the last column) and features from all other columns
/// in file order.
///
/// Labels are mapped to `0..C` in sorted order of their text, compared as
/// numbers when every label is a number (so `2` < `10`), else as strings.
/// `n_classes` is the number of distinct labels.
///
/// NOTE: quoted fields may not contain the delimiter, because fields are split
/// before quotes are removed.
///
/// # Errors
///
/// - [`Error::MissingFile`] or [`Error::Io`] when the file cannot be read.
/// - [`Error::Shape`] when a line has a different number of fields than the first.
/// - [`Error::Parse`] with line and 1-based column for a feature that is not a
///   finite number or a label column that does not exist, and when the file
///   has no data rows.
pub fn read_table(path: &Path, label_col: Option<usize>) -> Result<Table> {
    Ok(read_table_with_classes(path, label_col, None)?.0)
}

/// Reads `path` like [`read_table`] and also returns the class names: the
/// label text of class 0, 1, ….
///
/// With `classes` given (the names a model was trained with), labels are
/// mapped to those classes instead of being numbered afresh, so a file that
/// lacks some class keeps the model's numbering. Numeric labels match by
/// value, so `1` and `1.0` are one class.
///
/// # Errors
///
/// As [`read_table`], and [`Error::InvalidArgument`] for a label that is not
/// among `classes`.
pub fn read_table_with_classes(
    path: &Path,
    label_col: Option<usize>,
    classes: Option<&[String]>,
) -> Result<(Table, Vec<String>)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
    let lines: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty())
        .collect();
    let Some(&(first_no, first)) = lines.first() else {
        return Err(Error::parse(path, 1, 1, "the file has no data rows"));
    };
    let delimiter = detect_delimiter(first);
    let n_fields = split_fields(first, delimiter).len();
    let label_col = label_col.unwrap_or(n_fields - 1);
    if label_col >= n_fields {
        let msg = format!(
            "label column {label_col} (0-based) does not exist, because the line has {n_fields} fields"
        );
        return Err(Error::parse(path, first_no, n_fields, msg));
    }
    let skip = usize::from(is_header(first, delimiter, label_col));
    let mut parser = RowParser::new(path, delimiter, n_fields, label_col);
    for &(line_no, line) in &lines[skip..] {
        parser.push(line_no, line)?;
    }
    parser.finish(first_no, classes)
}

/// Picks the field delimiter from the first line.
fn detect_delimiter(first: &str) -> char {
    if first.contains(',') {
        ','
    } else if first.contains('\t') {
        '\t'
    } else if first.contains(';') {
        ';'
    } else {
        ','
    }
}

fn split_fields(line: &str, delimiter: char) -> Vec<&str> {
    line.split(delimiter).map(unquote).collect()
}

fn unquote(field: &str) -> &str {
    let field = field.trim();
    field
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(field)
}

/// Tests whether `line` is a header, that is, one of its feature fields is not a number.
fn is_header(line: &str, delimiter: char, label_col: usize) -> bool {
    split_fields(line, delimiter)
        .iter()
        .enumerate()
        .any(|(col, field)| col != label_col && field.parse::<f64>().is_err())
}

/// Accumulates the data rows of one file.
struct RowParser<'a> {
    path: &'a Path,
    delimiter: char,
    n_fields: usize,
    label_col: usize,
    /// Features, row-major.
    values: Vec<f64>,
    labels: Vec<String>,
}

impl<'a> RowParser<'a> {
    fn new(path: &'a Path, delimiter: char, n_fields: usize, label_col: usize) -> Self {
        RowParser {
            path,
            delimiter,
            n_fields,
            label_col,
            values: Vec::new(),
            labels: Vec::new(),
        }
    }

    fn push(&mut self, line_no: usize, line: &str) -> Result<()> {
        let fields = split_fields(line, self.delimiter);
        if fields.len() != self.n_fields {
            return Err(Error::Shape {
                path: self.path.to_path_buf(),
                line: line_no,
                unit: "fields",
                expected: self.n_fields,
                found: fields.len(),
            });
        }
        for (col, field) in fields.iter().enumerate() {
            if col == self.label_col {
                self.labels.push(field.to_string());
            } else {
                let value = parse_finite(field)
                    .map_err(|msg| Error::parse(self.path, line_no, col + 1, msg))?;
                self.values.push(value);
            }
        }
        Ok(())
    }

    fn finish(self, first_line: usize, classes: Option<&[String]>) -> Result<(Table, Vec<String>)> {
        let n_rows = self.labels.len();
        if n_rows == 0 {
            return Err(Error::parse(
                self.path,
                first_line,
                1,
                "the file has no data rows",
            ));
        }
        let n_features = self.n_fields - 1;
        let x = Mat::from_fn(n_rows, n_features, |i, j| self.values[i * n_features + j]);
        let (y, names) = match classes {
            Some(names) => (map_labels(self.path, &self.labels, names)?, names.to_vec()),
            None => encode_labels(&self.labels),
        };
        let n_classes = names.len();
        Ok((Table { x, y, n_classes }, names))
    }
}

/// Parses a finite decimal number.
pub(crate) fn parse_finite(field: &str) -> std::result::Result<f64, String> {
    match field.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        Ok(_) => Err(format!(
            "`{field}` is not finite, but features must be finite numbers"
        )),
        Err(_) => Err(format!("`{field}` is not a number")),
    }
}

/// Returns the key two labels must share to be one class: the numeric
/// value when the label is a number (so `1` and `1.0` agree), else the text.
fn label_key(label: &str) -> LabelKey<'_> {
    match label.parse::<f64>() {
        Ok(v) => LabelKey::Number((if v == 0.0 { 0.0 } else { v }).to_bits()),
        Err(_) => LabelKey::Text(label),
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Hash)]
enum LabelKey<'a> {
    Number(u64),
    Text(&'a str),
}

/// Maps label strings to `0..C` in sorted order and returns the labels and
/// the class names (the first text seen for each class).
fn encode_labels(labels: &[String]) -> (Vec<usize>, Vec<String>) {
    let mut distinct: Vec<&str> = Vec::new();
    let mut seen = std::collections::HashSet::new();
    for label in labels {
        if seen.insert(label_key(label)) {
            distinct.push(label);
        }
    }
    let numeric: Option<Vec<f64>> = distinct.iter().map(|label| label.parse().ok()).collect();
    match numeric {
        Some(numbers) => {
            let mut order: Vec<usize> = (0..distinct.len()).collect();
            order.sort_by(|&a, &b| numbers[a].total_cmp(&numbers[b]));
            distinct = order.iter().map(|&i| distinct[i]).collect();
        }
        None => distinct.sort_unstable(),
    }

    let names: Vec<String> = distinct.iter().map(|s| s.to_string()).collect();
    let y = map_known(labels, &names).expect("every label is among its own classes");
    (y, names)
}

/// Maps labels to the indices of `names`, or returns the first unknown label.
fn map_known(labels: &[String], names: &[String]) -> std::result::Result<Vec<usize>, String> {
    let class_of: HashMap<LabelKey<'_>, usize> = names
        .iter()
        .enumerate()
        .map(|(class, name)| (label_key(name), class))
        .collect();
    labels
        .iter()
        .map(|label| {
            class_of
                .get(&label_key(label))
                .copied()
                .ok_or_else(|| label.clone())
        })
        .collect()
}

fn map_labels(path: &Path, labels: &[String], names: &[String]) -> Result<Vec<usize>> {
    map_known(labels, names).map_err(|unknown| Error::InvalidArgument {
        name: "label",
        msg: format!(
            "`{unknown}` in {} is not one of the model's classes ({}); use data with the same labels",
            path.display(),
            names.join(", ")
        ),
    })
}
