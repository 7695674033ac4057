//! Small classification data sets compiled into the binary, taken from
//! `smartcore` 0.7.0 (`smartcore::dataset`) and converted to f64 features and
//! `usize` labels. Values are in their original units, not scaled.
//!
//! | name | rows × features | classes |
//! |---|---|---|
//! | `breast-cancer` | 569 × 30 | 2 (212 malignant = 0, 357 benign = 1) |
//! | `digits` | 1797 × 64, pixel values 0..16 | 10 (digits 0..9) |
//! | `iris` | 150 × 4, cm | 3 (50 each) |
//!
//! ```
//! let iris = datasets::embedded::by_name("iris").unwrap();
//! assert_eq!((iris.n_rows(), iris.n_features()), (150, 4));
//! assert_eq!(iris.class_counts(), vec![50, 50, 50]);
//! ```

use faer::Mat;
use smartcore::dataset::Dataset;

use crate::error::{Error, Result};
use crate::table::Table;

/// Names accepted by [`by_name`].
pub const NAMES: &[&str] = &["breast-cancer", "digits", "iris"];

/// Wisconsin diagnostic breast cancer: 569 × 30, classes 0/1 = 212/357,
/// raw units (the largest value is above 4 000).
pub fn breast_cancer() -> Table {
    let data = smartcore::dataset::breast_cancer::load_dataset();
    to_table(&data, 2, |&label| label as usize)
}

/// Handwritten digits at 8×8 pixels: 1797 × 64, values 0..16, classes 0..9.
/// Some pixel columns are constant.
pub fn digits() -> Table {
    let data = smartcore::dataset::digits::load_dataset();
    // smartcore stores the digit labels as f32 holding whole numbers 0..9.
    to_table(&data, 10, |&label| label as usize)
}

/// Fisher's iris: 150 × 4 (sepal and petal length and width, cm), 3 classes of 50.
pub fn iris() -> Table {
    let data = smartcore::dataset::iris::load_dataset();
    to_table(&data, 3, |&label| label as usize)
}

/// Loads one of [`NAMES`].
///
/// # Errors
///
/// [`Error::UnknownDataset`] for any other name.
pub fn by_name(name: &str) -> Result<Table> {
    match name {
        "breast-cancer" => Ok(breast_cancer()),
        "digits" => Ok(digits()),
        "iris" => Ok(iris()),
        _ => Err(Error::UnknownDataset {
            name: name.to_string(),
            known: NAMES.iter().map(|name| name.to_string()).collect(),
        }),
    }
}

/// Converts a row-major smartcore data set.
fn to_table<Y>(data: &Dataset<f32, Y>, n_classes: usize, label: impl Fn(&Y) -> usize) -> Table {
    let n_features = data.num_features;
    let x = Mat::from_fn(data.num_samples, n_features, |i, j| {
        f64::from(data.data[i * n_features + j])
    });
    let y: Vec<usize> = data.target.iter().map(label).collect();
    debug_assert!(y.iter().all(|&label| label < n_classes));
    Table { x, y, n_classes }
}
