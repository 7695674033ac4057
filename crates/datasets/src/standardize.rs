//! Per-column z-scoring: subtract the column mean, divide by the sample
//! standard deviation (divisor n − 1).
//!
//! ```
//! use datasets::{apply_standardize, standardize};
//! use faer::mat;
//!
//! let mut x = mat![[1.0, 5.0], [3.0, 5.0], [5.0, 5.0]];
//! let (mean, std) = standardize(&mut x, &[0, 1, 2]);
//! assert_eq!(mean, vec![3.0, 5.0]);
//! assert_eq!(std, vec![2.0, 1.0]); // the constant column keeps std 1
//! assert_eq!(x[(0, 0)], -1.0);
//! assert_eq!(x[(2, 1)], 0.0);
//!
//! let mut new_rows = mat![[7.0, 6.0]];
//! apply_standardize(&mut new_rows, &mean, &std);
//! assert_eq!(new_rows[(0, 0)], 2.0);
//! ```

use faer::Mat;

/// Z-scores every column of `x` with the mean and sample standard deviation
/// (divisor n − 1) of the rows `fit_rows`, and returns `(mean, std)`, one entry
/// per column.
///
/// All rows are transformed, so the statistics of training rows can be applied
/// to test rows in the same matrix. A column whose fitted values are all equal
/// gets mean = that value and std = 1, so its fitted rows become exactly 0. With
/// one fit row every column is constant in this sense, and with no fit rows the
/// transform is the identity (mean 0, std 1).
///
/// # Panics
///
/// Panics when an index in `fit_rows` is not below `x.nrows()`.
pub fn standardize(x: &mut Mat<f64>, fit_rows: &[usize]) -> (Vec<f64>, Vec<f64>) {
    let mut means = Vec::with_capacity(x.ncols());
    let mut stds = Vec::with_capacity(x.ncols());
    for col in 0..x.ncols() {
        let (mean, std) = column_moments(x.col_as_slice(col), fit_rows);
        means.push(mean);
        stds.push(std);
    }
    apply_standardize(x, &means, &stds);
    (means, stds)
}

/// Replaces each `x[(i, j)]` by `(x[(i, j)] - mean[j]) / std[j]`.
///
/// # Panics
///
/// Panics when `mean` or `std` does not have one entry per column of `x`.
pub fn apply_standardize(x: &mut Mat<f64>, mean: &[f64], std: &[f64]) {
    assert_eq!(mean.len(), x.ncols(), "one mean per column expected");
    assert_eq!(std.len(), x.ncols(), "one std per column expected");
    for col in 0..x.ncols() {
        for value in x.col_as_slice_mut(col) {
            *value = (*value - mean[col]) / std[col];
        }
    }
}

/// Tests whether every column of `x` has |mean| ≤ `tol` and, unless all its
/// values are equal, |sample std − 1| ≤ `tol`.
///
/// A table with fewer than two rows is never z-scored.
pub fn is_zscored(x: &Mat<f64>, tol: f64) -> bool {
    if x.nrows() < 2 {
        return false;
    }
    let all_rows: Vec<usize> = (0..x.nrows()).collect();
    (0..x.ncols()).all(|col| {
        let values = x.col_as_slice(col);
        let (mean, std) = column_moments(values, &all_rows);
        let constant = is_constant(values, &all_rows);
        mean.abs() <= tol && (constant || (std - 1.0).abs() <= tol)
    })
}

/// Mean and sample standard deviation of `values[rows]`, with the constant and
/// empty cases of [`standardize`].
fn column_moments(values: &[f64], rows: &[usize]) -> (f64, f64) {
    let Some(&first) = rows.first() else {
        return (0.0, 1.0);
    };
    // Exact equality: a constant column must map to exactly 0, and the rounding
    // in a computed mean would leave ±1-ulp residues that a tiny std blows up.
    if is_constant(values, rows) {
        return (values[first], 1.0);
    }
    let n = rows.len() as f64;
    let mean = rows.iter().map(|&i| values[i]).sum::<f64>() / n;
    let squares: f64 = rows.iter().map(|&i| (values[i] - mean).powi(2)).sum();
    (mean, (squares / (n - 1.0)).sqrt())
}

fn is_constant(values: &[f64], rows: &[usize]) -> bool {
    match rows.first() {
        Some(&first) => rows.iter().all(|&i| values[i] == values[first]),
        None => true,
    }
}
