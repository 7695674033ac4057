//! Reading GGUF metadata and tensors, with errors that name the file.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};

use candle_core::quantized::gguf_file::{Content, Value};
use candle_core::quantized::{QMatMul, QTensor};
use candle_core::{Device, Tensor};

use super::{candle_message, gguf_dequant};
use crate::Error;

/// The four magic bytes at the start of every GGUF file.
pub const MAGIC: &[u8; 4] = b"GGUF";

/// Checks whether the file at `path` starts with the GGUF magic.
pub fn is_gguf(path: &Path) -> bool {
    let mut magic = [0u8; 4];
    File::open(path)
        .and_then(|mut file| file.read_exact(&mut magic))
        .is_ok_and(|()| &magic == MAGIC)
}

/// An open GGUF file: its parsed header and a reader for tensor data.
pub struct GgufFile {
    pub path: PathBuf,
    pub content: Content,
    reader: BufReader<File>,
    /// f32 tensors that [`GgufFile::dense`] returns in place of the file's
    /// (the untrained weights of [`super::init`]).
    replacements: HashMap<String, Tensor>,
}

impl GgufFile {
    /// Opens `path` and parses the header.
    ///
    /// # Errors
    ///
    /// [`Error::Read`] when the file cannot be opened, [`Error::Model`] when
    /// it is not a valid GGUF file.
    pub fn open(path: &Path) -> Result<Self, Error> {
        let file = File::open(path).map_err(|error| Error::Read {
            path: path.to_path_buf(),
            error,
        })?;
        if !is_gguf(path) {
            return Err(model_error(
                path,
                "is not a GGUF file (no GGUF magic bytes)",
                "pass a .gguf file or a model folder with config.json",
            ));
        }
        let mut reader = BufReader::new(file);
        let content = Content::read(&mut reader).map_err(|e| {
            model_error(
                path,
                &format!("invalid GGUF header: {}", candle_message(&e)),
                "re-download the file",
            )
        })?;
        Ok(Self {
            path: path.to_path_buf(),
            content,
            reader,
            replacements: HashMap::new(),
        })
    }

    fn value(&self, key: &str) -> Result<&Value, Error> {
        self.content.metadata.get(key).ok_or_else(|| {
            model_error(
                &self.path,
                &format!("metadata key {key} is missing"),
                "use a GGUF file written by llama.cpp's converter",
            )
        })
    }

    fn wrong_type(&self, key: &str, expected: &str) -> Error {
        model_error(
            &self.path,
            &format!("metadata key {key} is not {expected}"),
            "use a GGUF file written by llama.cpp's converter",
        )
    }

    /// Returns a string metadata value.
    pub fn string(&self, key: &str) -> Result<&str, Error> {
        let value = self.value(key)?;
        value
            .to_string()
            .map(String::as_str)
            .map_err(|_| self.wrong_type(key, "a string"))
    }

    /// Returns an unsigned integer metadata value (any integer width).
    pub fn usize(&self, key: &str) -> Result<usize, Error> {
        let value = self.value(key)?;
        let number = match value {
            Value::U8(v) => Some(u64::from(*v)),
            Value::U16(v) => Some(u64::from(*v)),
            Value::U32(v) => Some(u64::from(*v)),
            Value::U64(v) => Some(*v),
            Value::I32(v) => u64::try_from(*v).ok(),
            Value::I64(v) => u64::try_from(*v).ok(),
            _ => None,
        };
        number
            .and_then(|n| usize::try_from(n).ok())
            .ok_or_else(|| self.wrong_type(key, "a non-negative integer"))
    }

    /// Returns a float metadata value, widened to f64.
    pub fn f64(&self, key: &str) -> Result<f64, Error> {
        let value = self.value(key)?;
        match value {
            Value::F32(v) => Ok(f64::from(*v)),
            Value::F64(v) => Ok(*v),
            _ => Err(self.wrong_type(key, "a float")),
        }
    }

    /// Returns a boolean metadata value, or `default` when the key is absent.
    pub fn bool_or(&self, key: &str, default: bool) -> Result<bool, Error> {
        match self.content.metadata.get(key) {
            None => Ok(default),
            Some(value) => value.to_bool().map_err(|_| self.wrong_type(key, "a bool")),
        }
    }

    /// Returns an array-of-strings metadata value.
    pub fn strings(&self, key: &str) -> Result<Vec<String>, Error> {
        let values = self
            .value(key)?
            .to_vec()
            .map_err(|_| self.wrong_type(key, "an array"))?;
        values
            .iter()
            .map(|v| {
                v.to_string()
                    .cloned()
                    .map_err(|_| self.wrong_type(key, "an array of strings"))
            })
            .collect()
    }

    /// Returns the dims of tensor `name` in candle order (rows first).
    pub fn dims(&self, name: &str) -> Result<Vec<usize>, Error> {
        let info = self.content.tensor_infos.get(name).ok_or_else(|| {
            model_error(
                &self.path,
                &format!("tensor {name} is missing"),
                "use a complete Llama-family GGUF file",
            )
        })?;
        Ok(info.shape.dims().to_vec())
    }

    /// Reads tensor `name` as stored, checking its shape.
    pub fn qtensor(&mut self, name: &str, dims: &[usize]) -> Result<QTensor, Error> {
        let found = self.dims(name)?;
        if found != dims {
            return Err(model_error(
                &self.path,
                &format!("tensor {name} has shape {found:?}, expected {dims:?}"),
                "check that the file matches its metadata",
            ));
        }
        self.content
            .tensor(&mut self.reader, name, &Device::Cpu)
            .map_err(|e| {
                model_error(
                    &self.path,
                    &format!("cannot read tensor {name}: {}", candle_message(&e)),
                    "re-download the file",
                )
            })
    }

    /// Makes [`GgufFile::dense`] return `tensors` in place of the file's
    /// tensors of the same names.
    pub fn replace_tensors(&mut self, tensors: HashMap<String, Tensor>) {
        self.replacements = tensors;
    }

    /// Reads tensor `name` dequantised to f32 (or its replacement), checking
    /// its shape.
    pub fn dense(&mut self, name: &str, dims: &[usize]) -> Result<Tensor, Error> {
        if let Some(tensor) = self.replacements.get(name)
            && tensor.dims() == dims
        {
            return Ok(tensor.clone());
        }
        let qtensor = self.qtensor(name, dims)?;
        let values = match qtensor.data() {
            Ok(bytes) => gguf_dequant::dequantize(qtensor.dtype(), &bytes),
            Err(_) => None,
        };
        let tensor = match values {
            Some(values) => Tensor::from_vec(values, dims, &Device::Cpu),
            None => qtensor.dequantize(&Device::Cpu),
        };
        tensor.map_err(|e| {
            model_error(
                &self.path,
                &format!("cannot dequantise tensor {name}: {}", candle_message(&e)),
                "re-download the file",
            )
        })
    }

    /// Reads tensor `name` for candle's quantised matmul.
    pub fn qmatmul(&mut self, name: &str, dims: &[usize]) -> Result<QMatMul, Error> {
        let qtensor = self.qtensor(name, dims)?;
        QMatMul::from_qtensor(qtensor).map_err(|e| {
            model_error(
                &self.path,
                &format!("cannot use tensor {name}: {}", candle_message(&e)),
                "use --weights f32",
            )
        })
    }
}

/// Builds an [`Error::Model`] for `path`.
pub fn model_error(path: &Path, reason: &str, fix: &str) -> Error {
    Error::Model {
        path: path.to_path_buf(),
        reason: reason.to_string(),
        fix: fix.to_string(),
    }
}
