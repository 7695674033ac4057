//! Whole-file writes that never leave a half-written file behind.

use std::io::Write;
use std::path::Path;

use crate::Error;

/// Writes `bytes` to a temporary file next to `path`, syncs it and renames it
/// over `path`, so readers see either the old or the new content.
///
/// # Errors
///
/// [`Error::Io`] naming the file that could not be written or renamed.
pub fn write_atomic(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let io_error = |error| Error::Io {
        path: path.to_path_buf(),
        error,
    };
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp{}", std::process::id()));
    let temporary = path.with_file_name(name);

    let result = std::fs::File::create(&temporary)
        .and_then(|mut file| {
            file.write_all(bytes)?;
            file.sync_all()
        })
        .and_then(|()| std::fs::rename(&temporary, path));
    if let Err(error) = result {
        let _ = std::fs::remove_file(&temporary);
        return Err(io_error(error));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_content_and_leaves_no_temporary() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("summary.csv");
        write_atomic(&path, b"old").unwrap();
        write_atomic(&path, b"new").unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), b"new");
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 1);
    }

    #[test]
    fn missing_folder_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("missing").join("summary.csv");
        let error = write_atomic(&path, b"x").unwrap_err();
        assert!(error.to_string().contains("summary.csv"), "{error}");
    }
}
