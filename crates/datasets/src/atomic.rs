//! Whole-file writes that never leave a partial file behind.

use std::io::Write;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

/// Checks that `path` is absent or a regular file, so that renaming a new
/// file over it cannot replace a folder, a device or a symbolic link.
///
/// # Errors
///
/// An [`std::io::Error`] of kind `InvalidInput` whose message names the path
/// and the fix.
pub fn check_replaceable(path: &Path) -> std::io::Result<()> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if !meta.file_type().is_file() => Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "{} exists and is not a regular file (a folder, device or symbolic link); choose a new file name",
                path.display()
            ),
        )),
        _ => Ok(()),
    }
}

/// Checks that the output `path` is none of the `inputs`, so that a run can
/// never replace the file it reads. Paths are compared after resolving
/// links and `..`; an output that does not exist yet always passes.
///
/// # Errors
///
/// An [`std::io::Error`] of kind `InvalidInput` whose message names the path
/// and the fix.
pub fn check_not_input<P: AsRef<Path>>(path: &Path, inputs: &[P]) -> std::io::Result<()> {
    let Ok(output) = std::fs::canonicalize(path) else {
        return Ok(());
    };
    let clash = inputs
        .iter()
        .any(|input| std::fs::canonicalize(input.as_ref()).is_ok_and(|i| i == output));
    if clash {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidInput,
            format!(
                "output {} is also an input of this run, and writing it would destroy the input; choose another output file",
                path.display()
            ),
        ));
    }
    Ok(())
}

/// Writes `bytes` to a temporary file beside `path`, then renames it over `path`.
///
/// # Errors
///
/// [`Error::Io`] when the temporary file cannot be written or renamed. The
/// temporary file is removed on failure.
pub(crate) fn write_atomic(path: &Path, bytes: &[u8]) -> Result<()> {
    check_replaceable(path).map_err(|source| Error::io(path, source))?;
    let tmp = temporary_path(path);
    let result = write_and_sync(&tmp, bytes)
        .and_then(|()| std::fs::rename(&tmp, path).map_err(|source| Error::io(path, source)));
    if result.is_err() {
        // The write already failed. A leftover temporary file is the only thing
        // to clean up, and a failure to remove it changes nothing for the caller.
        let _ = std::fs::remove_file(&tmp);
    }
    result
}

fn write_and_sync(tmp: &Path, bytes: &[u8]) -> Result<()> {
    let mut file = std::fs::File::create(tmp).map_err(|source| Error::io(tmp, source))?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|source| Error::io(tmp, source))
}

/// `dir/.name.tmp<pid>`: hidden, in the same folder so that the rename stays on
/// one file system, and distinct per process.
fn temporary_path(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_default();
    path.with_file_name(format!(".{name}.tmp{}", std::process::id()))
}

#[cfg(test)]
mod input_guard_tests {
    use super::check_not_input;

    #[test]
    fn output_equal_to_input_rejected() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("data.csv");
        std::fs::write(&input, "1,2\n").unwrap();
        let alias = dir.path().join(".").join("data.csv");

        let err = check_not_input(&alias, &[&input]).unwrap_err();

        assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
        assert!(err.to_string().contains("also an input"));
    }

    #[test]
    fn other_or_new_output_accepted() {
        let dir = tempfile::tempdir().unwrap();
        let input = dir.path().join("data.csv");
        let other = dir.path().join("other.csv");
        std::fs::write(&input, "1,2\n").unwrap();
        std::fs::write(&other, "3,4\n").unwrap();

        assert!(check_not_input(&other, &[&input]).is_ok());
        assert!(check_not_input(&dir.path().join("new.csv"), &[&input]).is_ok());
    }
}
