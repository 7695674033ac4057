//! Append-only JSON-lines files that survive an interrupted write.
//!
//! A process killed while appending leaves a last line without its newline.
//! [`read_lines`] drops such a torn line, and [`append_line`] removes it
//! before appending, so that no record is glued onto a fragment.
//!
//! ```
//! let dir = tempfile::tempdir().unwrap();
//! let path = dir.path().join("runs.jsonl");
//! datasets::jsonl::append_line(&path, &serde_json::json!({"unit": 1})).unwrap();
//!
//! // An interrupted writer left half a record.
//! let mut file = std::fs::OpenOptions::new().append(true).open(&path).unwrap();
//! std::io::Write::write_all(&mut file, b"{\"unit\": 2, \"acc").unwrap();
//!
//! let (records, dropped): (Vec<serde_json::Value>, usize) =
//!     datasets::jsonl::read_lines(&path).unwrap();
//! assert_eq!(records.len(), 1);
//! assert_eq!(records[0]["unit"], 1);
//! assert_eq!(dropped, 1);
//! ```

use std::fs::{File, OpenOptions};
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::Path;

use serde::Serialize;
use serde::de::DeserializeOwned;

use crate::error::{Error, Result};

/// Appends `value` as one compact JSON line to `path`, creating the file if
/// needed, and syncs it to disk before returning.
///
/// A last line without a trailing newline is first completed with `\n` when it
/// is valid JSON, or cut off when it is not (a torn write).
///
/// # Errors
///
/// [`Error::Io`] when the file cannot be opened, repaired or written, and
/// [`Error::InvalidArgument`] when `value` cannot be serialized to JSON.
pub fn append_line<T: Serialize>(path: &Path, value: &T) -> Result<()> {
    let mut line = serde_json::to_string(value).map_err(|err| Error::InvalidArgument {
        name: "JSON record",
        msg: err.to_string(),
    })?;
    line.push('\n');
    let io_error = |source| Error::io(path, source);
    let mut file = OpenOptions::new()
        .read(true)
        .append(true)
        .create(true)
        .open(path)
        .map_err(io_error)?;
    repair_tail(&mut file).map_err(io_error)?;
    file.write_all(line.as_bytes()).map_err(io_error)?;
    file.sync_data().map_err(io_error)
}

/// Reads every line of `path` as one `T` and returns them with the number of
/// dropped torn lines (0 or 1). Blank lines are skipped.
///
/// A torn line is a last line that has no trailing newline and does not parse.
///
/// # Errors
///
/// [`Error::MissingFile`] or [`Error::Io`] when the file cannot be read, and
/// [`Error::Parse`] with the line and character column of any other line that
/// does not parse as `T`.
pub fn read_lines<T: DeserializeOwned>(path: &Path) -> Result<(Vec<T>, usize)> {
    let text = std::fs::read_to_string(path).map_err(|source| Error::io(path, source))?;
    let ends_with_newline = text.ends_with('\n');
    let lines: Vec<&str> = text.lines().collect();
    let mut records = Vec::with_capacity(lines.len());
    for (index, line) in lines.iter().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        match serde_json::from_str(line) {
            Ok(record) => records.push(record),
            Err(_) if index + 1 == lines.len() && !ends_with_newline => return Ok((records, 1)),
            Err(err) => return Err(Error::parse(path, index + 1, err.column(), err.to_string())),
        }
    }
    Ok((records, 0))
}

/// Makes the file end with a newline (or be empty) without losing a valid record.
fn repair_tail(file: &mut File) -> std::io::Result<()> {
    let len = file.seek(SeekFrom::End(0))?;
    if len == 0 {
        return Ok(());
    }
    // Only the last byte is read in the common case, so appending stays cheap
    // on a long file.
    let mut last = [0u8];
    file.seek(SeekFrom::End(-1))?;
    file.read_exact(&mut last)?;
    if last[0] == b'\n' {
        return Ok(());
    }
    let mut text = Vec::with_capacity(len as usize);
    file.seek(SeekFrom::Start(0))?;
    file.read_to_end(&mut text)?;
    let tail_start = text
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |at| at + 1);
    if serde_json::from_slice::<serde_json::Value>(&text[tail_start..]).is_ok() {
        file.write_all(b"\n")
    } else {
        file.set_len(tail_start as u64)
    }
}
