//! The header of a NumPy `.npy` file: magic string, version, and a Python
//! dict literal with `descr`, `fortran_order` and `shape`.

use std::path::Path;

use crate::error::{Error, Result};

pub(super) const MAGIC: &[u8] = b"\x93NUMPY";

/// Element types this reader decodes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Dtype {
    F64,
    F32,
    I64,
    I32,
}

impl Dtype {
    pub(super) fn size(self) -> usize {
        match self {
            Dtype::F64 | Dtype::I64 => 8,
            Dtype::F32 | Dtype::I32 => 4,
        }
    }
}

/// The decoded header of one array.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Header {
    pub dtype: Dtype,
    pub big_endian: bool,
    pub fortran_order: bool,
    pub shape: Vec<usize>,
    /// Byte offset of the first element.
    pub data_offset: usize,
}

/// Parses the magic string, version and dict of a version 1, 2 or 3 file.
pub(super) fn parse(path: &Path, bytes: &[u8]) -> Result<Header> {
    let fail = |msg: String| Error::Npy {
        path: path.to_path_buf(),
        msg,
    };
    if bytes.len() < 10 || &bytes[..6] != MAGIC {
        return Err(fail(
            "not a .npy file: the magic string \\x93NUMPY is missing".into(),
        ));
    }
    let (len_size, header_len) = match bytes[6] {
        1 => (2, usize::from(u16::from_le_bytes([bytes[8], bytes[9]]))),
        2 | 3 if bytes.len() >= 12 => (
            4,
            u32::from_le_bytes([bytes[8], bytes[9], bytes[10], bytes[11]]) as usize,
        ),
        major => return Err(fail(format!("unsupported .npy format version {major}"))),
    };
    let data_offset = 8 + len_size + header_len;
    let dict = bytes
        .get(8 + len_size..data_offset)
        .and_then(|raw| std::str::from_utf8(raw).ok())
        .ok_or_else(|| fail("the header is truncated or not text".into()))?;
    let (dtype, big_endian) =
        parse_descr(&dict_value(dict, "descr").map_err(&fail)?).map_err(&fail)?;
    let fortran_order =
        parse_bool(&dict_value(dict, "fortran_order").map_err(&fail)?).map_err(&fail)?;
    let shape = parse_shape(&dict_value(dict, "shape").map_err(&fail)?).map_err(&fail)?;
    Ok(Header {
        dtype,
        big_endian,
        fortran_order,
        shape,
        data_offset,
    })
}

/// Formats a version 1 header for a little-endian f64 array in C order, padded
/// with spaces so that the data starts at a multiple of 64 bytes.
pub(super) fn format_f64(shape: &[usize]) -> Vec<u8> {
    let dims: Vec<String> = shape.iter().map(usize::to_string).collect();
    let shape_text = match dims.len() {
        1 => format!("({},)", dims[0]),
        _ => format!("({})", dims.join(", ")),
    };
    let mut dict = format!("{{'descr': '<f8', 'fortran_order': False, 'shape': {shape_text}, }}");
    let unpadded = MAGIC.len() + 4 + dict.len() + 1;
    dict.push_str(&" ".repeat(unpadded.next_multiple_of(64) - unpadded));
    dict.push('\n');
    let mut out = MAGIC.to_vec();
    out.extend_from_slice(&[1, 0]);
    out.extend_from_slice(&(dict.len() as u16).to_le_bytes());
    out.extend_from_slice(dict.as_bytes());
    out
}

/// Extracts the value of `key` from a Python dict literal as text: a quoted
/// string without its quotes, a word, or a parenthesized tuple with its parentheses.
fn dict_value(dict: &str, key: &str) -> std::result::Result<String, String> {
    let start = [format!("'{key}'"), format!("\"{key}\"")]
        .iter()
        .find_map(|quoted| dict.find(quoted.as_str()).map(|at| at + quoted.len()))
        .ok_or_else(|| format!("the header has no `{key}` entry"))?;
    let rest = dict[start..].trim_start();
    let rest = rest
        .strip_prefix(':')
        .ok_or_else(|| format!("the header's `{key}` entry has no `:`"))?
        .trim_start();
    let end = match rest.chars().next() {
        Some(quote @ ('\'' | '"')) => return quoted_text(rest, quote, key),
        Some('(') => rest.find(')').map(|at| at + 1),
        _ => rest.find([',', '}']),
    };
    end.map(|end| rest[..end].trim().to_string())
        .ok_or_else(|| format!("the header's `{key}` entry is not terminated"))
}

fn quoted_text(rest: &str, quote: char, key: &str) -> std::result::Result<String, String> {
    rest[1..]
        .find(quote)
        .map(|end| rest[1..1 + end].to_string())
        .ok_or_else(|| format!("the header's `{key}` string is not terminated"))
}

/// Decodes a type string such as `<f8` into a dtype and its byte order.
fn parse_descr(descr: &str) -> std::result::Result<(Dtype, bool), String> {
    let (order, kind) = descr.split_at(descr.len().min(1));
    let big_endian = match order {
        "<" => false,
        ">" => true,
        "=" => cfg!(target_endian = "big"),
        _ => return Err(unsupported_dtype(descr)),
    };
    let dtype = match kind {
        "f8" => Dtype::F64,
        "f4" => Dtype::F32,
        "i8" => Dtype::I64,
        "i4" => Dtype::I32,
        _ => return Err(unsupported_dtype(descr)),
    };
    Ok((dtype, big_endian))
}

fn unsupported_dtype(descr: &str) -> String {
    format!(
        "unsupported element type `{descr}`. Supported: float64, float32, int64, int32 \
         (convert with numpy's astype before saving)"
    )
}

fn parse_bool(word: &str) -> std::result::Result<bool, String> {
    match word {
        "True" => Ok(true),
        "False" => Ok(false),
        _ => Err(format!(
            "`fortran_order` is `{word}`, expected True or False"
        )),
    }
}

/// Parses `(3, 4)`, `(5,)` or `()`.
fn parse_shape(tuple: &str) -> std::result::Result<Vec<usize>, String> {
    let inner = tuple
        .strip_prefix('(')
        .and_then(|rest| rest.strip_suffix(')'))
        .ok_or_else(|| format!("`shape` is `{tuple}`, expected a tuple such as (3, 4)"))?;
    inner
        .split(',')
        .map(str::trim)
        .filter(|dim| !dim.is_empty())
        .map(|dim| {
            dim.parse::<usize>()
                .map_err(|_| format!("`shape` has the invalid dimension `{dim}`"))
        })
        .collect()
}
