//! The UCI-121 collection of Fernández-Delgado et al. (JMLR 15, 2014): one
//! folder per data set, holding `<name>.txt` (metadata), one or two `*_R.dat`
//! data files, `conxuntos.dat` (a selection split of the first file) and
//! `conxuntos_kfold.dat` (four training/test splits of the first file).
//!
//! [`load`] checks every file and z-scores each data file on its own, because
//! some files of the collection are stored in raw units. [`load_raw`] returns
//! the values as parsed.
//!
//! ```no_run
//! use std::path::Path;
//! use datasets::uci121;
//!
//! let root = Path::new("../shared/data/uci121");
//! let set = uci121::load(root, "iris")?;
//! for fold in 0..uci121::n_report_folds(&set) {
//!     let (train, test) = uci121::report_split(&set, fold)?;
//!     println!("fold {fold}: {} training rows, {} test rows", train.n_rows(), test.n_rows());
//! }
//! # Ok::<(), datasets::Error>(())
//! ```

mod data_file;
mod meta;
mod split_file;

use std::path::{Path, PathBuf};

pub use data_file::read_data_file;
pub use meta::{UciMeta, read_meta};
pub use split_file::{pair_lines, read_split_file};

use crate::error::{Error, Result};
use crate::standardize::standardize;
use crate::table::{Split, Table};

/// Name of the selection split file in each set's folder.
pub const SELECTION_FILE: &str = "conxuntos.dat";
/// Name of the four-fold split file in each set's folder.
pub const FOLDS_FILE: &str = "conxuntos_kfold.dat";

/// One loaded data set.
#[derive(Debug, Clone, PartialEq)]
pub struct UciSet {
    /// Folder name, e.g. `iris`.
    pub name: String,
    /// Contents of `<name>.txt`.
    pub meta: UciMeta,
    /// The first data file: the only one, or the training file of a two-file set.
    pub file1: Table,
    /// The test file of a two-file set.
    pub file2: Option<Table>,
    /// Training and validation rows of `file1` from `conxuntos.dat`.
    pub selection: Split,
    /// The four (training, test) row splits of `file1` from `conxuntos_kfold.dat`.
    /// Their test sets overlap: they are independent random 75/25 splits.
    pub folds: [Split; 4],
}

/// One data set folder of the collection.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UciEntry {
    /// Folder name.
    pub name: String,
    /// Whether every data and split file is present.
    pub complete: bool,
    /// Names of absent files, in the order data files, `conxuntos.dat`,
    /// `conxuntos_kfold.dat`.
    pub missing: Vec<String>,
}

/// Lists the data sets under `root`, sorted by name. A data set is a folder
/// `<name>/` that contains `<name>.txt`. Other entries are ignored.
///
/// # Errors
///
/// - [`Error::MissingFile`] when `root` is not a folder.
/// - [`Error::NotACollection`] when it contains no data set.
/// - The errors of [`read_meta`].
pub fn list(root: &Path) -> Result<Vec<UciEntry>> {
    let names = set_names(root)?;
    if names.is_empty() {
        return Err(Error::NotACollection {
            root: root.to_path_buf(),
        });
    }
    names
        .into_iter()
        .map(|name| {
            let dir = root.join(&name);
            let meta = read_meta(&meta_path(&dir, &name))?;
            let missing = missing_files(&dir, &meta);
            Ok(UciEntry {
                name,
                complete: missing.is_empty(),
                missing,
            })
        })
        .collect()
}

/// Loads and checks the data set `name`, then z-scores `file1` and `file2`
/// each over all of its own rows (mean, sample std with divisor n − 1, constant
/// columns become 0).
///
/// # Errors
///
/// As [`load_raw`].
pub fn load(root: &Path, name: &str) -> Result<UciSet> {
    let mut set = load_raw(root, name)?;
    standardize_all_rows(&mut set.file1);
    if let Some(file2) = &mut set.file2 {
        standardize_all_rows(file2);
    }
    Ok(set)
}

/// Loads and checks the data set `name`, with feature values as parsed.
///
/// # Errors
///
/// - [`Error::MissingFile`] when `root` is not a folder.
/// - [`Error::UnknownDataset`] when it has no data set `name`.
/// - [`Error::Incomplete`] listing absent files.
/// - The errors of [`read_meta`], [`read_data_file`] and [`read_split_file`].
/// - [`Error::Shape`] when a `conxuntos.dat` line length differs from
///   `n_patrons_entrena` or `n_patrons_valida`.
/// - [`Error::OverlappingSplit`] when a training line and its test line share a row.
pub fn load_raw(root: &Path, name: &str) -> Result<UciSet> {
    let dir = set_dir(root, name)?;
    let meta = read_meta(&meta_path(&dir, name))?;
    let missing = missing_files(&dir, &meta);
    if !missing.is_empty() {
        return Err(Error::Incomplete {
            name: name.to_string(),
            missing,
        });
    }
    let read = |(file, n_rows): &(String, usize)| {
        read_data_file(&dir.join(file), meta.n_features, meta.n_classes, *n_rows)
    };
    let file1 = read(&meta.files[0])?;
    let file2 = meta.files.get(1).map(read).transpose()?;
    let selection = read_selection(&dir, &meta, file1.n_rows())?;
    let folds = read_folds(&dir, file1.n_rows())?;
    Ok(UciSet {
        name: name.to_string(),
        meta,
        file1,
        file2,
        selection,
        folds,
    })
}

/// Number of report folds: 4 for a one-file set (the folds of
/// `conxuntos_kfold.dat`), 1 for a two-file set (train on `file1`, test on `file2`).
pub fn n_report_folds(set: &UciSet) -> usize {
    if set.file2.is_some() {
        1
    } else {
        set.folds.len()
    }
}

/// Copies out the (training, test) tables of report fold `fold`, see [`n_report_folds`].
///
/// # Errors
///
/// [`Error::InvalidArgument`] when `fold` is not below [`n_report_folds`].
pub fn report_split(set: &UciSet, fold: usize) -> Result<(Table, Table)> {
    let n_folds = n_report_folds(set);
    if fold >= n_folds {
        return Err(Error::InvalidArgument {
            name: "fold",
            msg: format!(
                "data set `{}` has report folds 0..{n_folds}, not {fold}",
                set.name
            ),
        });
    }
    match &set.file2 {
        Some(file2) => Ok((set.file1.clone(), file2.clone())),
        None => {
            let split = &set.folds[fold];
            Ok((set.file1.rows(&split.train), set.file1.rows(&split.test)))
        }
    }
}

/// Copies out the (training, validation) tables of the selection split: rows
/// of `file1` listed by `conxuntos.dat`.
///
/// # Errors
///
/// None for a set built by [`load`]. The `Result` leaves room for checks on
/// hand-built sets.
pub fn selection_split(set: &UciSet) -> Result<(Table, Table)> {
    let split = &set.selection;
    Ok((set.file1.rows(&split.train), set.file1.rows(&split.test)))
}

fn standardize_all_rows(table: &mut Table) {
    let rows: Vec<usize> = (0..table.n_rows()).collect();
    standardize(&mut table.x, &rows);
}

fn meta_path(dir: &Path, name: &str) -> PathBuf {
    dir.join(format!("{name}.txt"))
}

/// Names of the folders under `root` that contain `<name>.txt`, sorted.
fn set_names(root: &Path) -> Result<Vec<String>> {
    if !root.is_dir() {
        return Err(Error::MissingFile {
            path: root.to_path_buf(),
        });
    }
    let entries = std::fs::read_dir(root).map_err(|source| Error::io(root, source))?;
    let mut names = Vec::new();
    for entry in entries {
        let entry = entry.map_err(|source| Error::io(root, source))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if meta_path(&entry.path(), &name).is_file() {
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Finds the folder of data set `name` (one that contains `<name>.txt`).
fn set_dir(root: &Path, name: &str) -> Result<PathBuf> {
    let plain = !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\']);
    let dir = root.join(name);
    if plain && meta_path(&dir, name).is_file() {
        return Ok(dir);
    }
    Err(Error::UnknownDataset {
        name: name.to_string(),
        known: set_names(root)?,
    })
}

fn missing_files(dir: &Path, meta: &UciMeta) -> Vec<String> {
    let data_files = meta.files.iter().map(|(file, _)| file.as_str());
    data_files
        .chain([SELECTION_FILE, FOLDS_FILE])
        .filter(|file| !dir.join(file).is_file())
        .map(str::to_string)
        .collect()
}

fn read_selection(dir: &Path, meta: &UciMeta, n_rows: usize) -> Result<Split> {
    let path = dir.join(SELECTION_FILE);
    let lines = read_split_file(&path, 2, n_rows)?;
    let expected = [meta.n_train_selection, meta.n_valid_selection];
    for (index, (line, expected)) in lines.iter().zip(expected).enumerate() {
        if line.len() != expected {
            return Err(Error::Shape {
                path: path.clone(),
                line: index + 1,
                unit: "row indices (n_patrons_entrena, n_patrons_valida in the metadata)",
                expected,
                found: line.len(),
            });
        }
    }
    let mut splits = pair_lines(&path, lines, n_rows)?;
    Ok(splits.remove(0))
}

fn read_folds(dir: &Path, n_rows: usize) -> Result<[Split; 4]> {
    let path = dir.join(FOLDS_FILE);
    let lines = read_split_file(&path, 8, n_rows)?;
    let splits = pair_lines(&path, lines, n_rows)?;
    Ok(splits.try_into().expect("8 lines make 4 pairs"))
}
