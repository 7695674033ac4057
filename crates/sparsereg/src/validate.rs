//! Input checks shared by the solvers and the command line: shapes, finite
//! values, sparsity levels and constant columns.
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0, f64::NAN]];
//! let err = sparsereg::validate::check_finite("X", x.as_ref()).unwrap_err();
//! assert!(err.to_string().contains("row 0, column 1"));
//! ```

use faer::MatRef;

use crate::error::{Error, Result};

/// Checks that `y` has one entry per row of `x`.
///
/// # Errors
/// [`Error::ShapeMismatch`] naming both sizes.
pub fn check_shapes(x: MatRef<'_, f64>, y: &[f64]) -> Result<()> {
    if x.nrows() != y.len() {
        return Err(Error::ShapeMismatch(format!(
            "X has {} rows but y has {} entries; give y one entry per row of X",
            x.nrows(),
            y.len()
        )));
    }
    if x.nrows() == 0 || x.ncols() == 0 {
        return Err(Error::ShapeMismatch(format!(
            "X has shape {} × {}; it needs at least one row and one column",
            x.nrows(),
            x.ncols()
        )));
    }
    Ok(())
}

/// Checks every entry of `x` for NaN and ±∞.
///
/// # Errors
/// [`Error::NonFinite`] naming the first offending cell (row-major order).
pub fn check_finite(what: &str, x: MatRef<'_, f64>) -> Result<()> {
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            let value = x[(i, j)];
            if !value.is_finite() {
                return Err(Error::NonFinite {
                    what: what.to_string(),
                    row: i,
                    col: j,
                    value,
                });
            }
        }
    }
    Ok(())
}

/// Checks a response vector for NaN and ±∞.
///
/// # Errors
/// [`Error::NonFinite`] with the entry as row and column 0.
pub fn check_finite_vec(what: &str, y: &[f64]) -> Result<()> {
    match y.iter().position(|v| !v.is_finite()) {
        Some(i) => Err(Error::NonFinite {
            what: what.to_string(),
            row: i,
            col: 0,
            value: y[i],
        }),
        None => Ok(()),
    }
}

/// Checks that the column sums of squares of `x` and the sum of squares of
/// `y` stay below f64::MAX / (4·(d + 1)). Below that bound, centered norms
/// (never above the raw ones), Gram entries and the ‖X‖²_F bound stay finite,
/// with a factor 4 of headroom for residuals. Entries of magnitude about 1e150
/// or more fail. NaN is left to [`check_finite`].
///
/// # Errors
/// [`Error::Overflow`] naming the first such column (or y) and the fix.
pub fn check_magnitude(x: MatRef<'_, f64>, y: &[f64]) -> Result<()> {
    let limit = f64::MAX / (4.0 * (x.ncols() as f64 + 1.0));
    let too_large = |sum_sq: f64| sum_sq > limit;
    for j in 0..x.ncols() {
        let sum_sq: f64 = (0..x.nrows()).map(|i| x[(i, j)] * x[(i, j)]).sum();
        if too_large(sum_sq) {
            return Err(Error::Overflow {
                what: format!("column {j} of X"),
                sum_sq,
                limit,
            });
        }
    }
    let sum_sq: f64 = y.iter().map(|v| v * v).sum();
    if too_large(sum_sq) {
        return Err(Error::Overflow {
            what: "y".to_string(),
            sum_sq,
            limit,
        });
    }
    Ok(())
}

/// Checks 1 ≤ k ≤ `limit`, where `limit` is d or the method's own bound.
///
/// # Errors
/// [`Error::InvalidParameter`] naming k and the bound.
pub fn check_k(k: usize, limit: usize, what: &str) -> Result<()> {
    if k == 0 || k > limit {
        return Err(Error::invalid(
            "k",
            k,
            format!("k must be between 1 and {what} = {limit}; choose a smaller k"),
        ));
    }
    Ok(())
}

/// Rejects a column whose values are all equal.
///
/// # Errors
/// [`Error::ConstantColumn`] naming the first such column.
pub fn check_no_constant_column(x: MatRef<'_, f64>) -> Result<()> {
    if x.nrows() < 2 {
        return Ok(());
    }
    for j in 0..x.ncols() {
        let first = x[(0, j)];
        if (1..x.nrows()).all(|i| x[(i, j)] == first) {
            return Err(Error::ConstantColumn {
                col: j,
                value: first,
            });
        }
    }
    Ok(())
}

/// Checks that dense f64 matrices of `rows` × `cols` entries in all fit in
/// memory (`value` of parameter `name` is what the user set): the byte
/// count must not overflow and, where the operating system reports it
/// (`MemAvailable` in `/proc/meminfo` on Linux), must not exceed the
/// available memory. Without that report only the overflow is checked.
///
/// # Errors
/// [`Error::InvalidParameter`] naming `name`, the size and the fix.
pub fn check_dense_size(name: &'static str, value: usize, rows: usize, cols: usize) -> Result<()> {
    let bytes = rows
        .checked_mul(cols)
        .and_then(|e| e.checked_mul(8))
        .filter(|&b| b <= isize::MAX as usize);
    let Some(bytes) = bytes else {
        return Err(Error::invalid(
            name,
            value,
            format!(
                "{rows} × {cols} f64 values exceed the address space; choose fewer rows or columns"
            ),
        ));
    };
    match available_memory() {
        Some(available) if bytes as u64 > available => Err(Error::invalid(
            name,
            value,
            format!(
                "{rows} × {cols} f64 values need {:.1} GiB but only {:.1} GiB of memory are available; \
                 choose fewer rows or columns",
                bytes as f64 / GIB,
                available as f64 / GIB
            ),
        )),
        _ => Ok(()),
    }
}

const GIB: f64 = (1u64 << 30) as f64;

/// Available memory in bytes from `/proc/meminfo`, when that file exists.
fn available_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    let line = text.lines().find(|l| l.starts_with("MemAvailable:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    kib.checked_mul(1024)
}
