//! A direct decoder of `.npy` payloads for what the shared loader does not
//! read: float16 entries and 3-D stacks (L × N × d, one matrix per layer).
//!
//! Version 1 headers store their length in 2 bytes, versions 2 and 3 in 4.
//! An entry at multi-index (l, i, j) lies at flat position (l·N + i)·d + j in
//! C order and at l + L·(i + N·j) in Fortran order.

use std::path::Path;

use super::{RowMatrix, npy_error};
use crate::error::Error;

/// Reads every L × N × d slice of a float16, float32 or float64 array of
/// shape (N, d) or (L, N, d), as row-major f64 matrices.
///
/// # Errors
///
/// [`Error::Read`] when the file cannot be read, [`Error::Npy`] for a
/// corrupt header or a payload shorter than the shape requires.
pub fn read_slices(path: &Path, descr: &str, shape: &[usize]) -> Result<Vec<RowMatrix>, Error> {
    let element = Element::parse(descr)
        .ok_or_else(|| npy_error(path, format!("unsupported dtype '{descr}'")))?;

    let (layers, n_rows, n_cols) = match *shape {
        [n_rows, n_cols] => (1, n_rows, n_cols),
        [layers, n_rows, n_cols] => (layers, n_rows, n_cols),
        _ => return Err(npy_error(path, format!("unsupported shape {shape:?}"))),
    };
    let count = layers
        .checked_mul(n_rows)
        .and_then(|count| count.checked_mul(n_cols))
        .filter(|&count| count <= crate::MAX_ELEMENTS)
        .ok_or_else(|| npy_error(path, format!("the shape {shape:?} is too large")))?;

    // Only the header (at most 64 KiB here) and the payload the shape needs
    // are read, so a file with trailing bytes costs no extra memory.
    let limit = (MAX_HEADER_BYTES + count * element.size) as u64;
    let mut bytes = Vec::new();
    std::fs::File::open(path)
        .and_then(|file| {
            std::io::Read::read_to_end(&mut std::io::Read::take(file, limit), &mut bytes)
        })
        .map_err(|error| Error::Read {
            path: path.to_path_buf(),
            error,
        })?;
    let (header, data) = split_header(path, &bytes)?;
    let fortran = header.contains("'fortran_order': True");
    if data.len() < count * element.size {
        return Err(npy_error(
            path,
            format!(
                "the file holds {} data bytes but shape {shape:?} needs {}; the file is truncated or corrupt",
                data.len(),
                count * element.size
            ),
        ));
    }

    let value = |flat: usize| element.decode(&data[flat * element.size..][..element.size]);
    let slices = (0..layers)
        .map(|l| {
            let mut rows = Vec::with_capacity(n_rows * n_cols);
            for i in 0..n_rows {
                for j in 0..n_cols {
                    let flat = if fortran {
                        l + layers * (i + n_rows * j)
                    } else {
                        (l * n_rows + i) * n_cols + j
                    };
                    rows.push(value(flat));
                }
            }
            RowMatrix {
                rows,
                n_rows,
                n_cols,
            }
        })
        .collect();
    Ok(slices)
}

/// Bytes before the payload that [`read_slices`] accepts: the 12-byte
/// prefix of a version 2 file and a header of up to 64 KiB.
const MAX_HEADER_BYTES: usize = 12 + 65_536;

/// Splits a `.npy` file into its header text and its payload.
fn split_header<'a>(path: &Path, bytes: &'a [u8]) -> Result<(String, &'a [u8]), Error> {
    let corrupt = || npy_error(path, "the header is truncated or corrupt".into());
    let major = *bytes.get(6).ok_or_else(corrupt)?;
    let (length, start) = if major == 1 {
        let length = u16::from_le_bytes(bytes.get(8..10).ok_or_else(corrupt)?.try_into().unwrap());
        (usize::from(length), 10)
    } else {
        let field = bytes.get(8..12).ok_or_else(corrupt)?.try_into().unwrap();
        (u32::from_le_bytes(field) as usize, 12)
    };
    let header = bytes.get(start..start + length).ok_or_else(corrupt)?;
    Ok((
        String::from_utf8_lossy(header).into_owned(),
        &bytes[start + length..],
    ))
}

/// The storage of one array entry.
#[derive(Debug, Clone, Copy)]
struct Element {
    size: usize,
    big_endian: bool,
}

impl Element {
    /// Parses a float `descr` such as `<f2`, `>f4` or `|f8`.
    fn parse(descr: &str) -> Option<Self> {
        let big_endian = descr.starts_with('>');
        let size = match descr.trim_start_matches(['<', '>', '=', '|']) {
            "f2" => 2,
            "f4" => 4,
            "f8" => 8,
            _ => return None,
        };
        Some(Self { size, big_endian })
    }

    fn decode(self, raw: &[u8]) -> f64 {
        let mut bytes = [0u8; 8];
        bytes[..self.size].copy_from_slice(raw);
        if self.big_endian {
            bytes[..self.size].reverse();
        }
        match self.size {
            2 => f16_to_f64(u16::from_le_bytes([bytes[0], bytes[1]])),
            4 => f64::from(f32::from_le_bytes(bytes[..4].try_into().unwrap())),
            _ => f64::from_le_bytes(bytes),
        }
    }
}

/// Widens an IEEE 754 binary16 value, exactly (every binary16 value is an
/// f64 value).
fn f16_to_f64(bits: u16) -> f64 {
    let sign = if bits & 0x8000 != 0 { -1.0 } else { 1.0 };
    let exponent = i32::from((bits >> 10) & 0x1f);
    let fraction = f64::from(bits & 0x3ff);
    let magnitude = match exponent {
        0 => fraction * 2f64.powi(-24),
        31 if fraction == 0.0 => f64::INFINITY,
        31 => f64::NAN,
        _ => (1.0 + fraction / 1024.0) * 2f64.powi(exponent - 15),
    };
    sign * magnitude
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn f16_values_widen_exactly() {
        let cases = [
            (0x3c00, 1.0),
            (0xc000, -2.0),
            (0x3555, 0.333251953125),
            (0x7bff, 65504.0),
            (0x0001, 2f64.powi(-24)),
            (0x0000, 0.0),
        ];
        for (bits, expected) in cases {
            assert_eq!(f16_to_f64(bits), expected, "bits {bits:#06x}");
        }
        assert_eq!(f16_to_f64(0x7c00), f64::INFINITY);
        assert!(f16_to_f64(0x7e00).is_nan());
    }
}
