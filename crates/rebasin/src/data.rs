//! The 8×8 digits data set with a train/test split.
//!
//! 1797 images, pixels 0..16 scaled by 1/16, 10 classes, embedded through the
//! workspace `datasets` crate (smartcore 0.7.0, the row order of scikit-learn's
//! `load_digits`). The reference split is numpy `default_rng(0).permutation(1797)`
//! with the first 1437 rows for training; it is read from a `digits_split.json`
//! file because numpy's generator is not reproduced here. Without that file,
//! [`Split::seeded`] draws its own split (derived by us, not the reference one).
//!
//! ```
//! let data = rebasin::data::Digits::load(&rebasin::data::Split::seeded(0)).unwrap();
//! assert_eq!((data.train_x.nrows(), data.test_x.nrows()), (1437, 360));
//! ```

use std::path::Path;

use faer::Mat;
use serde_json::Value;

use crate::error::{Error, Result};

/// Number of digits images.
pub const N_SAMPLES: usize = 1797;
/// Training rows in the reference split.
pub const N_TRAIN: usize = 1437;

/// Row permutation whose first `n_train` entries are the training rows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Split {
    /// Permutation of 0..1797.
    pub perm: Vec<usize>,
    /// Number of training rows.
    pub n_train: usize,
}

impl Split {
    /// Reads `perm` and `n_train` from a `digits_split.json` file.
    ///
    /// # Errors
    /// [`Error::Io`] or [`Error::Json`] when the file is unreadable or malformed.
    pub fn from_file(path: &Path) -> Result<Self> {
        let v: Value = crate::io::read_json(path)?;
        let bad = |reason: &str| Error::Json {
            path: path.to_path_buf(),
            reason: reason.to_string(),
        };
        let perm: Vec<usize> = v["perm"]
            .as_array()
            .ok_or_else(|| bad("missing \"perm\" list"))?
            .iter()
            .map(|x| x.as_u64().map(|u| u as usize))
            .collect::<Option<_>>()
            .ok_or_else(|| bad("\"perm\" must hold integers"))?;
        let n_train = v["n_train"]
            .as_u64()
            .ok_or_else(|| bad("missing \"n_train\""))? as usize;
        let mut sorted = perm.clone();
        sorted.sort_unstable();
        if sorted != (0..N_SAMPLES).collect::<Vec<_>>() || n_train >= N_SAMPLES {
            return Err(bad(
                "\"perm\" must be a permutation of 0..1797 and n_train < 1797",
            ));
        }
        Ok(Self { perm, n_train })
    }

    /// A split derived by us: Fisher–Yates shuffle of 0..1797 from
    /// `tape::rng::stream(seed, "digits-split")`, first 1437 rows for training.
    /// Not the reference split.
    pub fn seeded(seed: u64) -> Self {
        let mut perm: Vec<usize> = (0..N_SAMPLES).collect();
        let mut rng = tape::rng::stream(seed, "digits-split");
        tape::rng::shuffle(&mut rng, &mut perm);
        Self {
            perm,
            n_train: N_TRAIN,
        }
    }
}

/// Digits inputs (scaled to [0, 1]) and labels, split into train and test.
#[derive(Clone, Debug)]
pub struct Digits {
    /// Training inputs, rows are samples.
    pub train_x: Mat<f64>,
    /// Training labels 0..9.
    pub train_y: Vec<usize>,
    /// Test inputs.
    pub test_x: Mat<f64>,
    /// Test labels.
    pub test_y: Vec<usize>,
}

impl Digits {
    /// Loads the embedded data set and applies `split`.
    ///
    /// # Errors
    /// [`Error::Data`] when the embedded data does not have 1797 rows.
    pub fn load(split: &Split) -> Result<Self> {
        let table = datasets::embedded::digits();
        if table.x.nrows() != N_SAMPLES {
            return Err(Error::Data(format!(
                "the embedded digits data has {} rows, expected {N_SAMPLES}",
                table.x.nrows()
            )));
        }
        let pick = |rows: &[usize]| {
            let x = Mat::from_fn(rows.len(), table.x.ncols(), |i, j| {
                table.x[(rows[i], j)] / 16.0
            });
            let y = rows.iter().map(|&r| table.y[r]).collect();
            (x, y)
        };
        let (train_x, train_y) = pick(&split.perm[..split.n_train]);
        let (test_x, test_y) = pick(&split.perm[split.n_train..]);
        Ok(Self {
            train_x,
            train_y,
            test_x,
            test_y,
        })
    }
}
