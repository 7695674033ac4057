//! The split files `conxuntos.dat` (2 lines) and `conxuntos_kfold.dat`
//! (8 lines): space-separated 0-based row indices into the first data file,
//! read as (training, test) pairs of lines.

use std::path::Path;

use crate::error::{Error, Result};
use crate::table::Split;

/// Reads a split file of exactly `n_lines` lines of indices below `n_rows`,
/// with no index twice on one line.
///
/// # Errors
///
/// - [`Error::MissingFile`] or [`Error::Io`] when the file cannot be read.
/// - [`Error::Shape`] for another number of lines.
/// - [`Error::Parse`] with line and 1-based token position for a token that is
///   not a whole number.
/// - [`Error::IndexOutOfRange`] and [`Error::DuplicateIndex`] naming the line.
pub fn read_split_file(path: &Path, n_lines: usize, n_rows: usize) -> Result<Vec<Vec<usize>>> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
    let lines: Vec<&str> = text.lines().collect();
    if lines.len() != n_lines {
        return Err(Error::Shape {
            path: path.to_path_buf(),
            line: lines.len(),
            unit: "lines of row indices",
            expected: n_lines,
            found: lines.len(),
        });
    }
    let mut seen = vec![false; n_rows];
    let mut parsed = Vec::with_capacity(n_lines);
    for (index, line) in lines.iter().enumerate() {
        seen.fill(false);
        parsed.push(parse_line(path, index + 1, line, &mut seen)?);
    }
    Ok(parsed)
}

/// Pairs lines (1, 2), (3, 4), … into splits and checks that each pair is disjoint.
///
/// # Errors
///
/// [`Error::OverlappingSplit`] naming both lines and the first shared index.
///
/// # Panics
///
/// Panics when `lines` has an odd length or an index is not below `n_rows`,
/// which [`read_split_file`] rules out.
pub fn pair_lines(path: &Path, lines: Vec<Vec<usize>>, n_rows: usize) -> Result<Vec<Split>> {
    assert!(
        lines.len() % 2 == 0,
        "split lines come in (training, test) pairs"
    );
    let mut in_train = vec![false; n_rows];
    let mut splits = Vec::with_capacity(lines.len() / 2);
    let mut lines = lines.into_iter();
    while let (Some(train), Some(test)) = (lines.next(), lines.next()) {
        let train_line = 2 * splits.len() + 1;
        in_train.fill(false);
        for &row in &train {
            in_train[row] = true;
        }
        if let Some(&index) = test.iter().find(|&&row| in_train[row]) {
            return Err(Error::OverlappingSplit {
                path: path.to_path_buf(),
                train_line,
                test_line: train_line + 1,
                index,
            });
        }
        splits.push(Split { train, test });
    }
    Ok(splits)
}

fn parse_line(path: &Path, line_no: usize, line: &str, seen: &mut [bool]) -> Result<Vec<usize>> {
    let mut indices = Vec::new();
    for (position, token) in line.split_whitespace().enumerate() {
        let index: usize = token.parse().map_err(|_| {
            let msg = format!("`{token}` is not a row index (a whole number ≥ 0)");
            Error::parse(path, line_no, position + 1, msg)
        })?;
        let Some(slot) = seen.get_mut(index) else {
            return Err(Error::IndexOutOfRange {
                path: path.to_path_buf(),
                line: line_no,
                index,
                n_rows: seen.len(),
            });
        };
        if *slot {
            return Err(Error::DuplicateIndex {
                path: path.to_path_buf(),
                line: line_no,
                index,
            });
        }
        *slot = true;
        indices.push(index);
    }
    Ok(indices)
}
