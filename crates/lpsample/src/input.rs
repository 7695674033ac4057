//! Input checks shared by every routine: the exponent p, the matrix entries
//! and the `.npy` element type.
//!
//! ```
//! use lpsample::input::{check_matrix, check_p};
//!
//! assert!(check_p(0.5).is_err());
//! assert!(check_matrix(faer::mat![[1.0, f64::NAN]].as_ref()).is_err());
//! ```

use std::path::Path;

use faer::{Mat, MatRef};

use crate::error::{Error, Result};

/// Checks that `p` is finite and at least 1.
///
/// # Errors
/// [`Error::InvalidP`] otherwise.
pub fn check_p(p: f64) -> Result<f64> {
    if p.is_finite() && p >= 1.0 {
        Ok(p)
    } else {
        Err(Error::InvalidP { p })
    }
}

/// Checks that `a` has at least one row and one column, only finite
/// entries, and at least one nonzero entry.
///
/// # Errors
/// [`Error::EmptyInput`], [`Error::NonFinite`] (first offending entry in
/// row-major order) or [`Error::ZeroMatrix`].
pub fn check_matrix(a: MatRef<'_, f64>) -> Result<()> {
    let (rows, cols) = (a.nrows(), a.ncols());
    if rows == 0 || cols == 0 {
        return Err(Error::EmptyInput { rows, cols });
    }

    let mut any_nonzero = false;
    for row in 0..rows {
        for col in 0..cols {
            let value = a[(row, col)];
            if !value.is_finite() {
                return Err(Error::NonFinite { row, col, value });
            }
            any_nonzero |= value != 0.0;
        }
    }

    if any_nonzero {
        Ok(())
    } else {
        Err(Error::ZeroMatrix)
    }
}

/// Reads a 2-D float64 or float32 `.npy` array and checks it with
/// [`check_matrix`].
///
/// Integer arrays and arrays of another rank are rejected, although
/// `datasets::npy::read_matrix` would widen them, because a score of a
/// label vector or an integer table is almost always a wrong file.
///
/// # Errors
/// [`Error::MissingFile`], [`Error::UnsupportedDtype`] for a file that is not
/// a 2-D float `.npy` array, [`Error::Data`] for a truncated data section, and
/// the errors of [`check_matrix`].
pub fn read_npy_matrix(path: &Path) -> Result<Mat<f64>> {
    check_npy_header(path)?;
    let a = datasets::npy::read_matrix(path)?;
    check_matrix(a.as_ref())?;
    Ok(a)
}

/// Checks the header dict of a `.npy` file: a float `descr` and a 2-entry `shape`.
fn check_npy_header(path: &Path) -> Result<()> {
    let unsupported = |reason: String| Error::UnsupportedDtype {
        path: path.display().to_string(),
        reason,
    };
    let bytes = std::fs::read(path).map_err(|source| match source.kind() {
        std::io::ErrorKind::NotFound => Error::MissingFile {
            path: path.display().to_string(),
        },
        _ => unsupported(format!("cannot read the file ({source})")),
    })?;
    let dict = header_dict(&bytes).ok_or_else(|| unsupported("not a .npy file".into()))?;

    let descr = dict_value(&dict, "descr").unwrap_or_default();
    let is_float = ["f8", "f4"].iter().any(|code| descr.ends_with(code));
    if !is_float {
        return Err(unsupported(format!("element type {descr} is not a float")));
    }

    let shape = dict_value(&dict, "shape").unwrap_or_default();
    let dims = shape
        .trim_matches(|c| c == '(' || c == ')')
        .split(',')
        .filter(|s| !s.trim().is_empty())
        .count();
    if dims != 2 {
        return Err(unsupported(format!("shape {shape} is not 2-D")));
    }
    Ok(())
}

/// Returns the header dict text of a version 1, 2 or 3 `.npy` file.
fn header_dict(bytes: &[u8]) -> Option<String> {
    if bytes.len() < 10 || &bytes[..6] != b"\x93NUMPY" {
        return None;
    }
    let (start, len) = match bytes[6] {
        1 => (10, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        2 | 3 => {
            let len_bytes: [u8; 4] = bytes.get(8..12)?.try_into().ok()?;
            (12, u32::from_le_bytes(len_bytes) as usize)
        }
        _ => return None,
    };
    let text = bytes.get(start..start + len)?;
    Some(String::from_utf8_lossy(text).into_owned())
}

/// Returns the raw value text after `'key':` in a Python dict literal,
/// up to the next top-level comma (a tuple counts as one value).
fn dict_value(dict: &str, key: &str) -> Option<String> {
    let pattern = format!("'{key}':");
    let start = dict.find(&pattern)? + pattern.len();
    let rest = dict[start..].trim_start();

    let end = if rest.starts_with('(') {
        rest.find(')')? + 1
    } else {
        rest.find([',', '}']).unwrap_or(rest.len())
    };
    Some(rest[..end].trim().trim_matches('\'').to_string())
}
