//! The data files `*_R.dat` of a UCI-121 data set: TAB-separated, a header
//! line (empty cell, `f1` .. `fF`, `clase`), then one line per row holding the
//! 1-based row number, F feature values and the class label.

use std::path::Path;

use faer::Mat;

use crate::csv::parse_finite;
use crate::error::{Error, Result};
use crate::table::Table;

/// Reads a data file and checks it against its metadata: `n_features` (F),
/// `n_classes` (C) and `n_rows`. Values are returned as parsed, without
/// scaling.
///
/// # Errors
///
/// - [`Error::MissingFile`] or [`Error::Io`] when the file cannot be read.
/// - [`Error::Shape`] for a line without F + 2 fields, or a row count other
///   than `n_rows`.
/// - [`Error::Parse`] with line and 1-based column for a wrong header cell or
///   a row number that is not the row's position. The same error covers a
///   feature that is not a finite number and a class label outside `0..C`.
pub fn read_data_file(
    path: &Path,
    n_features: usize,
    n_classes: usize,
    n_rows: usize,
) -> Result<Table> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
    let mut lines = text.lines();
    let header = lines.next().unwrap_or("");
    check_header(path, header, n_features)?;

    // Every value takes at least two bytes of text, so the text length caps the
    // reservation when the metadata states an absurd row count.
    let mut values = Vec::with_capacity(n_rows.saturating_mul(n_features).min(text.len()));
    let mut y = Vec::with_capacity(n_rows.min(text.len()));
    let mut fields: Vec<&str> = Vec::with_capacity(n_features + 2);
    for (index, line) in lines.enumerate() {
        let line_no = index + 2;
        fields.clear();
        fields.extend(line.trim_end_matches('\r').split('\t'));
        check_field_count(path, line_no, fields.len(), n_features)?;
        check_row_number(path, line_no, fields[0])?;
        for (col, field) in fields[1..=n_features].iter().enumerate() {
            let value =
                parse_finite(field).map_err(|msg| Error::parse(path, line_no, col + 2, msg))?;
            values.push(value);
        }
        y.push(parse_class(
            path,
            line_no,
            n_features + 2,
            fields[n_features + 1],
            n_classes,
        )?);
    }

    if y.len() != n_rows {
        return Err(Error::Shape {
            path: path.to_path_buf(),
            line: y.len() + 1,
            unit: "data rows (n_patrons in the metadata)",
            expected: n_rows,
            found: y.len(),
        });
    }
    let x = Mat::from_fn(n_rows, n_features, |i, j| values[i * n_features + j]);
    Ok(Table { x, y, n_classes })
}

fn check_header(path: &Path, header: &str, n_features: usize) -> Result<()> {
    let cells: Vec<&str> = header.trim_end_matches('\r').split('\t').collect();
    check_field_count(path, 1, cells.len(), n_features)?;
    let expected = |col: usize| match col {
        0 => String::new(),
        col if col <= n_features => format!("f{col}"),
        _ => "clase".to_string(),
    };
    for (col, cell) in cells.iter().enumerate() {
        // The first cell is empty, or `""` in files written with quotes.
        let matches = if col == 0 {
            cell.is_empty() || *cell == "\"\""
        } else {
            *cell == expected(col)
        };
        if !matches {
            let msg = format!("header cell `{cell}` should be `{}`", expected(col));
            return Err(Error::parse(path, 1, col + 1, msg));
        }
    }
    Ok(())
}

fn check_field_count(path: &Path, line: usize, found: usize, n_features: usize) -> Result<()> {
    if found == n_features + 2 {
        return Ok(());
    }
    Err(Error::Shape {
        path: path.to_path_buf(),
        line,
        unit: "TAB-separated fields (row number, n_entradas features, class)",
        expected: n_features + 2,
        found,
    })
}

/// Checks that the data line on file line `line_no` is numbered `line_no - 1`.
fn check_row_number(path: &Path, line_no: usize, field: &str) -> Result<()> {
    if field.parse::<usize>().ok() == Some(line_no - 1) {
        return Ok(());
    }
    let msg = format!(
        "row number `{field}` should be {}, because rows are numbered 1..n in file order",
        line_no - 1
    );
    Err(Error::parse(path, line_no, 1, msg))
}

fn parse_class(
    path: &Path,
    line_no: usize,
    col: usize,
    field: &str,
    n_classes: usize,
) -> Result<usize> {
    match field.parse::<usize>() {
        Ok(class) if class < n_classes => Ok(class),
        Ok(class) => {
            let msg = format!(
                "class {class} is out of range, because n_clases = {n_classes} in the metadata \
                 allows labels 0 to {}",
                n_classes.saturating_sub(1)
            );
            Err(Error::parse(path, line_no, col, msg))
        }
        Err(_) => Err(Error::parse(
            path,
            line_no,
            col,
            format!("class `{field}` is not a whole number"),
        )),
    }
}
