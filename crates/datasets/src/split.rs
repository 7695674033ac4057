//! Seeded stratified (training, test) splits.
//!
//! ```
//! use datasets::split::stratified;
//! use rand::SeedableRng;
//! use rand_chacha::ChaCha8Rng;
//!
//! let y = [0, 0, 0, 0, 0, 1, 1, 1, 1, 1];
//! let mut rng = ChaCha8Rng::seed_from_u64(7);
//! let split = stratified(&y, 2, 0.2, &mut rng).unwrap();
//! assert_eq!(split.test.len(), 2); // one row of each class
//! assert_eq!(split.train.len(), 8);
//! ```

use rand::seq::SliceRandom;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};
use crate::table::Split;

/// Splits the rows `0..y.len()` so that each class sends
/// `round(test_fraction × its count)` rows to the test set and the rest to
/// the training set.
///
/// Rows are drawn by shuffling each class with `rng`, classes in increasing
/// order, so one seed gives one split. Both index lists are returned sorted in
/// increasing order.
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `test_fraction` is not strictly between 0
/// and 1, a label is not below `n_classes`, or the training or test set would
/// be empty.
pub fn stratified(
    y: &[usize],
    n_classes: usize,
    test_fraction: f64,
    rng: &mut ChaCha8Rng,
) -> Result<Split> {
    if !(test_fraction > 0.0 && test_fraction < 1.0) {
        return Err(Error::InvalidArgument {
            name: "test fraction",
            msg: format!("{test_fraction} is not strictly between 0 and 1"),
        });
    }
    let mut split = Split::default();
    for mut rows in rows_by_class(y, n_classes)? {
        rows.shuffle(rng);
        let n_test = (rows.len() as f64 * test_fraction).round() as usize;
        split.test.extend_from_slice(&rows[..n_test]);
        split.train.extend_from_slice(&rows[n_test..]);
    }
    if split.train.is_empty() || split.test.is_empty() {
        return Err(Error::InvalidArgument {
            name: "test fraction",
            msg: format!(
                "{test_fraction} of {} rows leaves {} training and {} test rows, \
                 but both sets need at least one row",
                y.len(),
                split.train.len(),
                split.test.len()
            ),
        });
    }
    split.train.sort_unstable();
    split.test.sort_unstable();
    Ok(split)
}

/// Groups row indices by label, in increasing row order within each class.
fn rows_by_class(y: &[usize], n_classes: usize) -> Result<Vec<Vec<usize>>> {
    let mut groups = vec![Vec::new(); n_classes];
    for (row, &label) in y.iter().enumerate() {
        let Some(group) = groups.get_mut(label) else {
            return Err(Error::InvalidArgument {
                name: "label",
                msg: format!("row {row} has label {label}, but there are only {n_classes} classes"),
            });
        };
        group.push(row);
    }
    Ok(groups)
}
