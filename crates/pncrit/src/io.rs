//! Reading numeric tables with skipped header lines and selected columns,
//! median binarisation, and whole-file writes.
//!
//! The delimiter is found on the first data line: TAB, else comma, else
//! semicolon, else runs of spaces. Blank lines are skipped and fields trimmed.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("x.csv");
//! std::fs::write(&path, "name,a,b\nM,1,2\nF,3,4.5\n").unwrap();
//! let cols = pncrit::io::ColumnSpec::parse("2-3").unwrap();
//! let table = pncrit::io::read_table(&path, 1, Some(&cols)).unwrap();
//! assert_eq!(table.x[(1, 1)], 4.5);
//! assert_eq!(table.columns, vec![2, 3]);
//! ```

use std::io::Write;
use std::path::Path;

use faer::{Mat, MatRef};

use crate::error::{Error, Result};

/// A selection of 1-based columns, such as `2-9` or `1,3,5-7`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ColumnSpec {
    text: String,
    columns: Vec<usize>,
}

impl ColumnSpec {
    /// Parses a comma-separated list of 1-based columns and inclusive ranges.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for empty parts, zero, reversed ranges or text.
    pub fn parse(text: &str) -> Result<ColumnSpec> {
        let bad = || Error::invalid("cols", text, "use 1-based columns such as 2-9 or 1,3,5-7");
        let mut cols = Vec::new();
        for part in text.split(',') {
            let part = part.trim();
            let (lo, hi) = match part.split_once('-') {
                Some((a, b)) => (a.trim().parse::<usize>(), b.trim().parse::<usize>()),
                None => (part.parse::<usize>(), part.parse::<usize>()),
            };
            let (lo, hi) = (lo.map_err(|_| bad())?, hi.map_err(|_| bad())?);
            if lo == 0 || hi < lo {
                return Err(bad());
            }
            if let Some(c) = (lo..=hi).find(|c| cols.contains(c)) {
                return Err(Error::invalid(
                    "cols",
                    text,
                    format!("column {c} is selected twice; name each column once"),
                ));
            }
            cols.extend(lo..=hi);
        }
        Ok(ColumnSpec {
            text: text.to_string(),
            columns: cols,
        })
    }

    /// Returns the 1-based columns in order.
    pub fn columns(&self) -> &[usize] {
        &self.columns
    }

    /// Returns the selection as typed, such as `2-9`.
    pub fn text(&self) -> &str {
        &self.text
    }
}

/// A numeric table read from a file.
#[derive(Clone, Debug)]
pub struct Table {
    /// Values, one row per observation, one column per selected file column.
    pub x: Mat<f64>,
    /// The 1-based file columns of `x`.
    pub columns: Vec<usize>,
}

fn split_line(line: &str, delimiter: Option<char>) -> Vec<&str> {
    match delimiter {
        Some(c) => line.split(c).map(str::trim).collect(),
        None => line.split_whitespace().collect(),
    }
}

fn detect_delimiter(line: &str) -> Option<char> {
    ['\t', ',', ';'].into_iter().find(|c| line.contains(*c))
}

/// Reads `path`, skipping `skip` lines, keeping the selected columns (all when `None`).
///
/// # Errors
///
/// [`Error::Io`]; [`Error::Ragged`] for a row with another field count;
/// [`Error::NotANumber`] and [`Error::NotFinite`] for bad cells;
/// [`Error::InvalidParameter`] when a selected column does not exist or the
/// file has no data rows.
pub fn read_table(path: &Path, skip: usize, cols: Option<&ColumnSpec>) -> Result<Table> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::Io {
        path: path.display().to_string(),
        source,
    })?;
    let numbered: Vec<(usize, &str)> = text
        .lines()
        .enumerate()
        .skip(skip)
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| (i + 1, l))
        .collect();
    let lines: Vec<&str> = numbered.iter().map(|&(_, l)| l).collect();
    let Some(first) = lines.first() else {
        return Err(Error::invalid(
            "data",
            path.display(),
            format!("the file has no data rows after skipping {skip} lines"),
        ));
    };
    let delimiter = detect_delimiter(first);
    let n_fields = split_line(first, delimiter).len();
    let columns: Vec<usize> = match cols {
        Some(spec) => spec.columns().to_vec(),
        None => (1..=n_fields).collect(),
    };
    if let (Some(spec), Some(&c)) = (cols, columns.iter().find(|&&c| c > n_fields)) {
        return Err(Error::invalid(
            "cols",
            spec.text(),
            format!(
                "column {c} does not exist because the file has {n_fields} columns; select columns from 1 to {n_fields}"
            ),
        ));
    }

    let mut values = Vec::with_capacity(lines.len() * columns.len());
    for (r, line) in lines.iter().enumerate() {
        let fields = split_line(line, delimiter);
        if fields.len() != n_fields {
            return Err(Error::Ragged {
                row: r + 1,
                found: fields.len(),
                expected: n_fields,
            });
        }
        for &c in &columns {
            let cell = parse_cell(fields[c - 1], r + 1, c, &columns);
            values.push(cell.map_err(|e| locate(e, &numbered, delimiter, &columns))?);
        }
    }
    let k = columns.len();
    let x = Mat::from_fn(lines.len(), k, |i, j| values[i * k + j]);
    Ok(Table { x, columns })
}

fn parse_cell(cell: &str, row: usize, col: usize, columns: &[usize]) -> Result<f64> {
    let unquoted = cell.trim_matches('"');
    match unquoted.parse::<f64>() {
        Ok(v) if v.is_finite() => Ok(v),
        Ok(_) => Err(Error::NotFinite {
            row,
            col,
            cell: cell.to_string(),
        }),
        Err(_) => Err(Error::NotANumber {
            line: row,
            row,
            col,
            cell: cell.to_string(),
            hint: column_hint(col, columns),
        }),
    }
}

/// Sets the file line of a [`Error::NotANumber`] and, when the rows before the
/// first all-numeric row are text and every later row is numeric, suggests
/// skipping them as header lines.
fn locate(
    err: Error,
    numbered: &[(usize, &str)],
    delimiter: Option<char>,
    columns: &[usize],
) -> Error {
    let Error::NotANumber {
        row,
        col,
        cell,
        hint,
        ..
    } = err
    else {
        return err;
    };
    let numeric = |line: &str| {
        let fields = split_line(line, delimiter);
        columns.iter().all(|&c| {
            fields
                .get(c - 1)
                .is_some_and(|f| f.trim_matches('"').parse::<f64>().is_ok())
        })
    };
    let header_rows = numbered.iter().take_while(|(_, l)| !numeric(l)).count();
    let rest_numeric = numbered[header_rows..].iter().all(|(_, l)| numeric(l));
    let hint = if row <= header_rows && header_rows < numbered.len() && rest_numeric {
        let lines = numbered[header_rows - 1].0;
        format!("the first {lines} lines look like a header, so use --skip {lines}")
    } else {
        hint
    };
    Error::NotANumber {
        line: numbered[row - 1].0,
        row,
        col,
        cell,
        hint,
    }
}

/// Suggests a selection without the bad column when it sits at an end.
fn column_hint(col: usize, columns: &[usize]) -> String {
    let (first, last) = (columns[0], columns[columns.len() - 1]);
    let contiguous = columns.windows(2).all(|w| w[1] == w[0] + 1);
    if contiguous && col == first && last > first {
        format!("use --cols {}-{last}", first + 1)
    } else if contiguous && col == last && last > first {
        format!("use --cols {first}-{}", last - 1)
    } else {
        format!("leave column {col} out with --cols")
    }
}

/// Checks that no column is constant (tables of fewer than 2 rows pass).
///
/// # Errors
///
/// [`Error::ConstantColumn`] naming the 1-based file column.
pub fn check_not_constant(x: MatRef<'_, f64>, columns: &[usize]) -> Result<()> {
    if x.nrows() < 2 {
        // One row is reported as too few rows by the family.
        return Ok(());
    }
    for j in 0..x.ncols() {
        let first = x[(0, j)];
        if (0..x.nrows()).all(|i| x[(i, j)] == first) {
            return Err(Error::ConstantColumn {
                col: columns[j],
                value: first,
            });
        }
    }
    Ok(())
}

/// Returns the median of `values` (mean of the two middle order statistics when the count is even).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n % 2 == 1 {
        v[n / 2]
    } else {
        0.5 * (v[n / 2 - 1] + v[n / 2])
    }
}

/// Binarises each column as x > median (strictly); returns the 0/1 table and the medians.
pub fn binarize_median(x: MatRef<'_, f64>) -> (Mat<f64>, Vec<f64>) {
    let medians: Vec<f64> = (0..x.ncols())
        .map(|j| median(&(0..x.nrows()).map(|i| x[(i, j)]).collect::<Vec<_>>()))
        .collect();
    let b = Mat::from_fn(x.nrows(), x.ncols(), |i, j| {
        f64::from(u8::from(x[(i, j)] > medians[j]))
    });
    (b, medians)
}

/// Writes `bytes` to a temporary file in the same folder, then renames it over `path`.
///
/// # Errors
///
/// [`Error::Io`]; the temporary file is removed on failure.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));
    let io_err = |p: &Path, source| Error::Io {
        path: p.display().to_string(),
        source,
    };
    datasets::check_replaceable(path).map_err(|e| io_err(path, e))?;
    let result = std::fs::File::create(&tmp)
        .and_then(|mut f| f.write_all(bytes).and_then(|()| f.sync_all()))
        .map_err(|e| io_err(path, e))
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|e| io_err(path, e)));
    if result.is_err() {
        // The write already failed; a leftover temporary file is all that remains to clean.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}
