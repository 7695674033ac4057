//! TODO: not written yet.

use std::path::Path;

use super::HiddenStates;
use crate::Error;

/// Loads the model at `path`.
pub fn load(path: &Path) -> Result<Box<dyn HiddenStates>, Error> {
    Err(Error::Model {
        path: path.to_path_buf(),
        reason: "this architecture is not supported yet".into(),
        fix: "use another model".into(),
    })
}
