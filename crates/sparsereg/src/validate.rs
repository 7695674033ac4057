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
