//! `.npy` input and output for hidden-state matrices.
//!
//! Reading checks the header first, because hidden states must be float
//! arrays of two or three dimensions. 2-D float32 and float64 arrays go
//! through the shared `datasets` loader; float16 arrays and 3-D stacks go
//! through the decoder in `decode`.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::Error;

mod decode;

/// A row-major f64 matrix read from a file.
#[derive(Debug, Clone, PartialEq)]
pub struct RowMatrix {
    pub rows: Vec<f64>,
    pub n_rows: usize,
    pub n_cols: usize,
}

/// Reads the matrices of a float16, float32 or float64 `.npy` array (C or
/// Fortran order, any byte order): one matrix for a 2-D (N, d) array, one per
/// layer for a 3-D (L, N, d) stack. Leading dimensions of size 1 are dropped
/// first, so (1, N, d) is one matrix.
///
/// # Errors
///
/// [`Error::Npy`] naming the dtype or shape for anything else, and
/// [`Error::Data`] or [`Error::Npy`] for unreadable or corrupt files.
pub fn read_hidden_state_slices(path: &Path) -> Result<Vec<RowMatrix>, Error> {
    let (descr, shape) = read_header_fields(path)?;
    check_float_dtype(path, &descr, &shape)?;
    let squeezed = squeeze_leading(&shape);
    if !(2..=3).contains(&squeezed.len()) {
        return Err(npy_error(
            path,
            format!(
                "the array has shape {shape:?} ({}-D), but a 2-D (N tokens, d hidden) array or a 3-D \
                 (layers, N, d) stack is expected; save the hidden states as such an array",
                shape.len()
            ),
        ));
    }

    let is_f16 = descr.ends_with("f2");
    if shape.len() == 2 && !is_f16 {
        return Ok(vec![read_plain_matrix(path)?]);
    }
    decode::read_slices(path, &descr, squeezed)
}

/// Reads a `.npy` file that must hold one matrix (see
/// [`read_hidden_state_slices`]).
///
/// # Errors
///
/// As [`read_hidden_state_slices`], and [`Error::Npy`] for a stack of more
/// than one matrix.
pub fn read_hidden_states(path: &Path) -> Result<RowMatrix, Error> {
    let mut slices = read_hidden_state_slices(path)?;
    if slices.len() != 1 {
        return Err(npy_error(
            path,
            format!(
                "the array is a stack of {} matrices, but one matrix is expected here; save one matrix per file",
                slices.len()
            ),
        ));
    }
    Ok(slices.remove(0))
}

/// Drops leading dimensions of size 1 while more than two remain.
fn squeeze_leading(shape: &[usize]) -> &[usize] {
    let mut squeezed = shape;
    while squeezed.len() > 2 && squeezed[0] == 1 {
        squeezed = &squeezed[1..];
    }
    squeezed
}

/// Reads a 2-D float32 or float64 array through the shared loader.
fn read_plain_matrix(path: &Path) -> Result<RowMatrix, Error> {
    let matrix = datasets::npy::read_matrix(path)?;
    let (n_rows, n_cols) = (matrix.nrows(), matrix.ncols());
    let mut rows = Vec::with_capacity(n_rows * n_cols);
    for i in 0..n_rows {
        rows.extend((0..n_cols).map(|j| matrix[(i, j)]));
    }
    Ok(RowMatrix {
        rows,
        n_rows,
        n_cols,
    })
}

/// Writes a row-major f32 matrix as a little-endian C-order `.npy` file,
/// through a temporary file renamed over `path`.
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be written; no partial file is left.
pub fn write_f32(path: &Path, rows: &[f32], n_rows: usize, n_cols: usize) -> Result<(), Error> {
    let dict =
        format!("{{'descr': '<f4', 'fortran_order': False, 'shape': ({n_rows}, {n_cols}), }}");
    let unpadded = 10 + dict.len() + 1;
    let padding = (64 - unpadded % 64) % 64;
    let header_len = u16::try_from(dict.len() + padding + 1).expect("a 2-D header fits in u16");

    let mut bytes = Vec::with_capacity(unpadded + padding + 4 * rows.len());
    bytes.extend_from_slice(b"\x93NUMPY\x01\x00");
    bytes.extend_from_slice(&header_len.to_le_bytes());
    bytes.extend_from_slice(dict.as_bytes());
    bytes.extend(std::iter::repeat_n(b' ', padding));
    bytes.push(b'\n');
    for value in rows {
        bytes.extend_from_slice(&value.to_le_bytes());
    }
    write_atomic(path, &bytes)
}

/// Writes `bytes` to a hidden temporary file beside `path`, then renames it.
fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io_error = |error| Error::Io {
        path: path.to_path_buf(),
        error,
    };
    datasets::check_replaceable(path).map_err(io_error)?;
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp: PathBuf = path.with_file_name(format!(".{name}.tmp{}", std::process::id()));

    let result = std::fs::File::create(&tmp)
        .and_then(|mut file| file.write_all(bytes).and_then(|()| file.sync_all()))
        .and_then(|()| std::fs::rename(&tmp, path));
    if result.is_err() {
        // The write already failed; removing the temporary file is best effort.
        let _ = std::fs::remove_file(&tmp);
    }
    result.map_err(io_error)
}

/// Reads the `descr` string and the `shape` tuple of a `.npy` header.
fn read_header_fields(path: &Path) -> Result<(String, Vec<usize>), Error> {
    let mut prefix = vec![0u8; 4096];
    let read = std::fs::File::open(path)
        .and_then(|mut file| read_up_to(&mut file, &mut prefix))
        .map_err(|error| Error::Read {
            path: path.to_path_buf(),
            error,
        })?;
    prefix.truncate(read);

    if prefix.len() < 10 || &prefix[..6] != b"\x93NUMPY" {
        return Err(npy_error(
            path,
            "not a .npy file (the magic string \\x93NUMPY is missing)".into(),
        ));
    }
    let text = String::from_utf8_lossy(&prefix[8..]);
    let descr = dict_string(&text, "descr")
        .ok_or_else(|| npy_error(path, "the header has no readable 'descr' entry".into()))?;
    let shape = dict_shape(&text)
        .ok_or_else(|| npy_error(path, "the header has no readable 'shape' entry".into()))?;
    Ok((descr, shape))
}

fn read_up_to(file: &mut std::fs::File, buffer: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buffer.len() {
        match std::io::Read::read(file, &mut buffer[filled..])? {
            0 => break,
            read => filled += read,
        }
    }
    Ok(filled)
}

fn dict_string(text: &str, key: &str) -> Option<String> {
    let after = &text[text.find(&format!("'{key}'"))? + key.len() + 2..];
    let start = after.find('\'')? + 1;
    let end = start + after[start..].find('\'')?;
    Some(after[start..end].to_string())
}

fn dict_shape(text: &str) -> Option<Vec<usize>> {
    let after = &text[text.find("'shape'")?..];
    let start = after.find('(')? + 1;
    let end = start + after[start..].find(')')?;
    after[start..end]
        .split(',')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(|part| part.parse().ok())
        .collect()
}

fn check_float_dtype(path: &Path, descr: &str, shape: &[usize]) -> Result<(), Error> {
    let kind_and_size = descr.trim_start_matches(['<', '>', '=', '|']);
    if matches!(kind_and_size, "f2" | "f4" | "f8") {
        return Ok(());
    }
    let hint =
        "hidden states must be float16, float32 or float64; convert with .astype(numpy.float32)";
    Err(npy_error(
        path,
        format!("the array has dtype '{descr}' and shape {shape:?}; {hint}"),
    ))
}

fn npy_error(path: &Path, msg: String) -> Error {
    Error::Npy {
        path: path.to_path_buf(),
        msg,
    }
}
