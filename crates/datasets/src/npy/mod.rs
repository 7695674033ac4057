//! Reading and writing NumPy `.npy` arrays: float64, float32, int64 and int32
//! elements of either byte order, C or Fortran order, format versions 1 to 3.
//!
//! ```
//! use faer::mat;
//!
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("x.npy");
//! let x = mat![[1.0, 2.0, 3.0], [4.0, 5.0, 6.5]];
//! datasets::npy::write_matrix(&path, &x).unwrap();
//! assert_eq!(datasets::npy::read_matrix(&path).unwrap(), x);
//! ```

mod header;

use std::path::Path;

use faer::Mat;

use crate::error::{Error, Result};
use header::{Dtype, Header};

/// Reads a 2-D array as a matrix of the same shape, or a 1-D array of length
/// n as an n × 1 matrix. Integer elements are converted to f64 (exact up to
/// 2⁵³ in magnitude). Non-finite values are kept.
///
/// # Errors
///
/// [`Error::MissingFile`] or [`Error::Io`] when the file cannot be read, and
/// [`Error::Npy`] for a file that is not `.npy`, an unsupported element type,
/// a shape of another rank, or a data section of the wrong length.
pub fn read_matrix(path: &Path) -> Result<Mat<f64>> {
    let (header, elements) = read_elements(path)?;
    let (n_rows, n_cols) = match header.shape[..] {
        [n] => (n, 1),
        [n_rows, n_cols] => (n_rows, n_cols),
        _ => return Err(wrong_rank(path, &header.shape, "a 1-D or 2-D array")),
    };
    let values: Vec<f64> = match elements {
        Elements::Float(values) => values,
        Elements::Int(values) => values.into_iter().map(|v| v as f64).collect(),
    };
    Ok(Mat::from_fn(n_rows, n_cols, |i, j| {
        values[flat_index(&header, n_rows, n_cols, i, j)]
    }))
}

/// Reads class labels from a 1-D array, or a 2-D array with one row or one
/// column. Floating-point labels must be whole numbers.
///
/// # Errors
///
/// As [`read_matrix`], and [`Error::Npy`] naming the position of a negative or
/// fractional label.
pub fn read_labels(path: &Path) -> Result<Vec<usize>> {
    let (header, elements) = read_elements(path)?;
    if !matches!(header.shape[..], [_] | [1, _] | [_, 1]) {
        return Err(wrong_rank(
            path,
            &header.shape,
            "a 1-D array or a single row or column",
        ));
    }
    let invalid = |position: usize, value: String| Error::Npy {
        path: path.to_path_buf(),
        msg: format!(
            "label {value} at position {position} is not a class index (a whole number ≥ 0)"
        ),
    };
    match elements {
        Elements::Int(values) => values
            .iter()
            .enumerate()
            .map(|(i, &v)| usize::try_from(v).map_err(|_| invalid(i, v.to_string())))
            .collect(),
        Elements::Float(values) => values
            .iter()
            .enumerate()
            .map(|(i, &v)| whole_number(v).ok_or_else(|| invalid(i, v.to_string())))
            .collect(),
    }
}

/// Writes `x` as a little-endian float64 array in C order (format version 1),
/// through a temporary file that is renamed over `path`.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be written. No partial file is left.
pub fn write_matrix(path: &Path, x: &Mat<f64>) -> Result<()> {
    let mut bytes = header::format_f64(&[x.nrows(), x.ncols()]);
    bytes.reserve(8 * x.nrows() * x.ncols());
    for i in 0..x.nrows() {
        for j in 0..x.ncols() {
            bytes.extend_from_slice(&x[(i, j)].to_le_bytes());
        }
    }
    crate::atomic::write_atomic(path, &bytes)
}

/// Decoded array elements, widened to f64 or i64.
enum Elements {
    Float(Vec<f64>),
    Int(Vec<i64>),
}

fn read_elements(path: &Path) -> Result<(Header, Elements)> {
    let bytes = std::fs::read(path).map_err(|source| Error::io(path, source))?;
    let header = header::parse(path, &bytes)?;
    let count = header
        .shape
        .iter()
        .try_fold(1usize, |acc, &dim| acc.checked_mul(dim));
    let expected = count.and_then(|count| count.checked_mul(header.dtype.size()));
    let data = &bytes[header.data_offset.min(bytes.len())..];
    if expected != Some(data.len()) {
        return Err(Error::Npy {
            path: path.to_path_buf(),
            msg: format!(
                "the data section has {} bytes, but shape {:?} of {}-byte elements needs {}. \
                 The file is truncated or corrupt",
                data.len(),
                header.shape,
                header.dtype.size(),
                expected.map_or_else(|| "more than usize::MAX".to_string(), |n| n.to_string())
            ),
        });
    }
    let elements = decode(data, header.dtype, header.big_endian);
    Ok((header, elements))
}

fn decode(data: &[u8], dtype: Dtype, big_endian: bool) -> Elements {
    fn words<const N: usize>(data: &[u8], big_endian: bool) -> impl Iterator<Item = [u8; N]> {
        data.chunks_exact(N).map(move |chunk| {
            let mut word: [u8; N] = chunk.try_into().expect("chunks_exact yields N bytes");
            if big_endian {
                word.reverse();
            }
            word
        })
    }
    match dtype {
        Dtype::F64 => Elements::Float(words(data, big_endian).map(f64::from_le_bytes).collect()),
        Dtype::F32 => Elements::Float(
            words(data, big_endian)
                .map(|word| f64::from(f32::from_le_bytes(word)))
                .collect(),
        ),
        Dtype::I64 => Elements::Int(words(data, big_endian).map(i64::from_le_bytes).collect()),
        Dtype::I32 => Elements::Int(
            words(data, big_endian)
                .map(|word| i64::from(i32::from_le_bytes(word)))
                .collect(),
        ),
    }
}

/// Position of element (i, j) in the flat data section.
fn flat_index(header: &Header, n_rows: usize, n_cols: usize, i: usize, j: usize) -> usize {
    if header.fortran_order {
        j * n_rows + i
    } else {
        i * n_cols + j
    }
}

fn whole_number(value: f64) -> Option<usize> {
    let in_range = value >= 0.0 && value <= usize::MAX as f64;
    (in_range && value.fract() == 0.0).then_some(value as usize)
}

fn wrong_rank(path: &Path, shape: &[usize], expected: &str) -> Error {
    Error::Npy {
        path: path.to_path_buf(),
        msg: format!("the array has shape {shape:?}, but {expected} is expected"),
    }
}
