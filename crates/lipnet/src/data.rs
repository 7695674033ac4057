//! Data sources for training and evaluation, and their preprocessing.
//!
//! A source is written as one string on the command line:
//!
//! - `embedded:<name>`: a data set shipped inside the `datasets` crate
//!   (`breast-cancer`, `digits`, `iris`), split 80/20 stratified by the seed.
//! - `uci121:<root>/<set>[#fold=k]`: report fold k (0..3) of a UCI-121 set; the
//!   loader standardizes each file on its own.
//! - `csv:<path>`: a CSV table whose last column is the label, split 80/20.
//! - `npy:<x.npy>,<y.npy>`: a feature matrix and a label vector, split 80/20.
//!
//! Embedded breast-cancer and iris, CSV and .npy features are z-scored with
//! the training split's mean and sample standard deviation. Constant columns
//! keep std 1, and digits are divided by 16.

use crate::error::{Error, Result};
use datasets::Table;
use faer::Mat;
use serde::{Deserialize, Serialize};
use std::path::PathBuf;

/// Fraction of rows held out for testing when a source has no split of its own.
pub const TEST_FRACTION: f64 = 0.2;

/// A parsed `--data` value.
#[derive(Clone, Debug, PartialEq)]
pub enum DataSource {
    /// A set embedded in the `datasets` crate.
    Embedded(String),
    /// One report fold of a UCI-121 set.
    Uci121 {
        /// Collection root (the folder that contains `iris/`).
        root: PathBuf,
        /// Set name, the folder name.
        set: String,
        /// Report fold, 0..3 (two-file sets only have fold 0).
        fold: usize,
    },
    /// A CSV table, label in the last column.
    Csv(PathBuf),
    /// Features and labels in two .npy files.
    Npy(PathBuf, PathBuf),
}

impl DataSource {
    /// Returns the files this source reads; none for embedded sets, and the
    /// collection folder is not listed for UCI-121 (a model file is never a folder).
    pub fn input_files(&self) -> Vec<PathBuf> {
        match self {
            DataSource::Csv(path) => vec![path.clone()],
            DataSource::Npy(x, y) => vec![x.clone(), y.clone()],
            DataSource::Embedded(_) | DataSource::Uci121 { .. } => Vec::new(),
        }
    }

    /// Parses a `--data` value; see the module documentation for the forms.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] naming the value and the accepted forms.
    pub fn parse(text: &str) -> Result<Self> {
        let bad = |fix: &str| Error::invalid("data", format!("{text:?}"), fix.to_string());
        let forms =
            "use embedded:<name>, uci121:<root>/<set>[#fold=k], csv:<path> or npy:<x.npy>,<y.npy>";
        let (kind, rest) = text.split_once(':').ok_or_else(|| bad(forms))?;

        match kind {
            "embedded" => Ok(DataSource::Embedded(rest.to_string())),
            "uci121" => parse_uci(rest).ok_or_else(|| {
                bad("write uci121:<root>/<set> or uci121:<root>/<set>#fold=k with k from 0 to 3")
            }),
            "csv" => Ok(DataSource::Csv(PathBuf::from(rest))),
            "npy" => {
                let (x, y) = rest
                    .split_once(',')
                    .ok_or_else(|| bad("write npy:<features.npy>,<labels.npy>"))?;
                Ok(DataSource::Npy(PathBuf::from(x), PathBuf::from(y)))
            }
            _ => Err(bad(forms)),
        }
    }

    /// Returns a short name for reports, such as `breast-cancer` or `iris#fold=0`.
    pub fn name(&self) -> String {
        match self {
            DataSource::Embedded(name) => name.clone(),
            DataSource::Uci121 { set, fold, .. } => format!("{set}#fold={fold}"),
            DataSource::Csv(p) => p.display().to_string(),
            DataSource::Npy(x, _) => x.display().to_string(),
        }
    }
}

fn parse_uci(rest: &str) -> Option<DataSource> {
    let (path, fold) = match rest.split_once('#') {
        Some((path, frag)) => (path, frag.strip_prefix("fold=")?.parse().ok()?),
        None => (rest, 0),
    };
    if fold > 3 {
        return None;
    }

    let path = PathBuf::from(path.trim_end_matches('/'));
    let set = path.file_name()?.to_str()?.to_string();
    let root = path.parent().map(PathBuf::from).unwrap_or_default();
    Some(DataSource::Uci121 { root, set, fold })
}

/// Transform applied to raw features before the network.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Preprocessing {
    /// Features are used as given.
    None,
    /// (x − mean) / std per column.
    ZScore {
        /// Column means of the training split.
        mean: Vec<f64>,
        /// Column sample standard deviations (1 for constant columns).
        std: Vec<f64>,
    },
    /// x / divisor.
    Scale {
        /// The divisor (16 for digits).
        divisor: f64,
    },
}

impl Preprocessing {
    /// Checks that the transform fits `n_features` columns and that every
    /// standard deviation or divisor is finite and > 0.
    ///
    /// # Errors
    ///
    /// [`Error::Shape`] for a length mismatch, [`Error::InvalidParameter`] otherwise.
    pub fn check_width(&self, n_features: usize) -> Result<()> {
        match self {
            Preprocessing::None => Ok(()),
            Preprocessing::Scale { divisor } => check_positive("preprocessing divisor", *divisor),
            Preprocessing::ZScore { mean, std } => {
                if mean.len() != n_features || std.len() != n_features {
                    return Err(Error::Shape {
                        what: "the data for this model".into(),
                        expected: format!("{} features (as the model's preprocessing)", mean.len()),
                        found: format!(
                            "{n_features} features; use data with the columns the model was trained on"
                        ),
                    });
                }
                if mean.iter().any(|m| !m.is_finite()) {
                    return Err(Error::invalid(
                        "preprocessing mean",
                        "a non-finite value",
                        "retrain and save the model again",
                    ));
                }
                std.iter()
                    .try_for_each(|&s| check_positive("preprocessing std", s))
            }
        }
    }

    /// Applies the transform to every row of `x`.
    pub fn apply(&self, x: &mut Mat<f64>) {
        match self {
            Preprocessing::None => {}
            Preprocessing::ZScore { mean, std } => datasets::apply_standardize(x, mean, std),
            Preprocessing::Scale { divisor } => {
                for j in 0..x.ncols() {
                    for i in 0..x.nrows() {
                        x[(i, j)] /= divisor;
                    }
                }
            }
        }
    }
}

fn check_positive(name: &'static str, value: f64) -> Result<()> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(Error::invalid(
            name,
            value,
            "it must be finite and > 0; retrain and save the model again",
        ))
    }
}

/// A training and a test table, already preprocessed.
#[derive(Clone, Debug)]
pub struct Prepared {
    /// Training rows.
    pub train: Table,
    /// Test rows.
    pub test: Table,
    /// The transform applied to both.
    pub preprocessing: Preprocessing,
    /// Number of classes of the full data set.
    pub n_classes: usize,
    /// Label text of class 0, 1, … for sources with text labels (CSV).
    pub classes: Option<Vec<String>>,
}

/// Settings a saved model fixes for the data it is applied to.
#[derive(Clone, Copy, Debug)]
pub struct Saved<'a> {
    /// The model's preprocessing, applied instead of fitting a new one.
    pub preprocessing: &'a Preprocessing,
    /// The model's class names; CSV labels are mapped to these classes.
    pub classes: Option<&'a [String]>,
}

/// Loads a source, splits it and preprocesses both parts.
///
/// # Errors
///
/// Loader errors (missing folder, malformed file, unknown set) and
/// [`Error::NonFinite`] when the features hold NaN or infinities.
pub fn prepare(source: &DataSource, seed: u64) -> Result<Prepared> {
    prepare_with(source, seed, None)
}

/// Like [`prepare`], but applies what a saved model fixes: its
/// preprocessing instead of a transform fitted on the training split, and
/// its class names for text labels.
///
/// # Errors
///
/// As [`prepare`], and a label error for a class the model does not know.
pub fn prepare_with(source: &DataSource, seed: u64, saved: Option<Saved<'_>>) -> Result<Prepared> {
    let rule = |default: PreprocessRule| match saved {
        Some(s) => Fixed(s.preprocessing.clone()),
        None => default,
    };

    match source {
        DataSource::Embedded(name) => {
            let table = datasets::embedded::by_name(name)?;
            let pre = if name == "digits" {
                Fixed(Preprocessing::Scale { divisor: 16.0 })
            } else {
                FitZScore
            };
            split_and_preprocess(table, seed, rule(pre))
        }
        DataSource::Uci121 { root, set, fold } => {
            let uci = datasets::uci121::load(root, set)?;
            let (train, test) = datasets::uci121::report_split(&uci, *fold)?;
            let n_classes = uci.meta.n_classes;
            check_finite(&train)?;
            check_finite(&test)?;
            check_not_empty(&train, "training")?;
            check_not_empty(&test, "test")?;
            Ok(Prepared {
                train,
                test,
                preprocessing: Preprocessing::None,
                n_classes,
                classes: None,
            })
        }
        DataSource::Csv(path) => {
            let known = saved.and_then(|s| s.classes);
            let (table, names) = datasets::csv::read_table_with_classes(path, None, known)?;
            let mut prepared = split_and_preprocess(table, seed, rule(FitZScore))?;
            prepared.classes = Some(names);
            Ok(prepared)
        }
        DataSource::Npy(x, y) => {
            let features = datasets::npy::read_matrix(x)?;
            let labels = datasets::npy::read_labels(y)?;
            let table = table_from_parts(features, labels, x)?;
            split_and_preprocess(table, seed, rule(FitZScore))
        }
    }
}

enum PreprocessRule {
    Fixed(Preprocessing),
    FitZScore,
}
use PreprocessRule::{FitZScore, Fixed};

fn split_and_preprocess(table: Table, seed: u64, rule: PreprocessRule) -> Result<Prepared> {
    check_finite(&table)?;
    if let Fixed(p) = &rule {
        p.check_width(table.x.ncols())?;
    }
    let mut rng = tape::rng::stream(seed, "split");
    let split = datasets::split::stratified(&table.y, table.n_classes, TEST_FRACTION, &mut rng)?;
    let mut train = table.rows(&split.train);
    let mut test = table.rows(&split.test);

    let preprocessing = match rule {
        Fixed(p) => p,
        FitZScore => {
            let all: Vec<usize> = (0..train.x.nrows()).collect();
            let (mean, std) = datasets::standardize(&mut train.x, &all);
            let p = Preprocessing::ZScore { mean, std };
            p.apply(&mut test.x);
            return Ok(Prepared {
                train,
                test,
                preprocessing: p,
                n_classes: table.n_classes,
                classes: None,
            });
        }
    };

    preprocessing.apply(&mut train.x);
    preprocessing.apply(&mut test.x);
    check_not_empty(&test, "test")?;
    Ok(Prepared {
        train,
        test,
        preprocessing,
        n_classes: table.n_classes,
        classes: None,
    })
}

fn check_finite(table: &Table) -> Result<()> {
    table.check_finite()?;
    Ok(())
}

/// Checks that a training table contains labels of at least two classes.
///
/// # Errors
///
/// [`Error::InvalidParameter`] naming the number of classes present.
pub fn check_classes(table: &Table) -> Result<()> {
    let present = table.class_counts().iter().filter(|&&c| c > 0).count();
    if present < 2 {
        return Err(Error::invalid(
            "data",
            format!("{present} class"),
            "a classifier needs labels of at least 2 classes",
        ));
    }
    Ok(())
}

fn check_not_empty(table: &Table, part: &str) -> Result<()> {
    if table.x.nrows() == 0 {
        return Err(Error::Shape {
            what: format!("the {part} split"),
            expected: "at least one row".into(),
            found: "0 rows; check the split files or use more data".into(),
        });
    }
    Ok(())
}

fn table_from_parts(x: Mat<f64>, labels: Vec<usize>, x_path: &std::path::Path) -> Result<Table> {
    if labels.len() != x.nrows() {
        return Err(Error::Shape {
            what: format!("labels for {}", x_path.display()),
            expected: format!("{} labels (one per row)", x.nrows()),
            found: format!("{} labels", labels.len()),
        });
    }
    let n_classes = labels.iter().max().map_or(0, |m| m + 1);
    if n_classes > x.nrows() {
        return Err(Error::invalid(
            "labels",
            format!("max label {}", n_classes - 1),
            format!(
                "labels must be class numbers 0..K−1 with K ≤ the number of rows ({}); renumber the classes",
                x.nrows()
            ),
        ));
    }
    Ok(Table {
        x,
        y: labels,
        n_classes,
    })
}
