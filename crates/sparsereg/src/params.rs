//! Validated hyper-parameters, in the style of linfa's `ParamGuard`.
//!
//! An options type implements [`Check`]; its `check` returns a [`Checked`]
//! wrapper, which only `check` can build, so algorithms that take a
//! `&Checked<T>` never re-validate.
//!
//! ```
//! use sparsereg::{Check, LassoOptions};
//! let checked = LassoOptions { alpha: 0.1, ..Default::default() }.check().unwrap();
//! assert_eq!(checked.alpha, 0.1);
//! assert!(LassoOptions { alpha: -1.0, ..Default::default() }.check().is_err());
//! ```

use std::ops::Deref;

use crate::error::Result;

/// Options that passed their [`Check`]. Dereferences to the options.
#[derive(Debug, Clone, PartialEq)]
pub struct Checked<T>(T);

impl<T> Deref for Checked<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T> Checked<T> {
    /// Returns the options.
    pub fn into_inner(self) -> T {
        self.0
    }
}

/// Validation of an options type.
pub trait Check: Sized {
    /// Validates every field once.
    ///
    /// # Errors
    /// [`crate::Error::InvalidParameter`] naming the first invalid field.
    fn validate(&self) -> Result<()>;

    /// Validates the options and wraps them in [`Checked`].
    ///
    /// # Errors
    /// As [`Check::validate`].
    fn check(self) -> Result<Checked<Self>> {
        self.validate()?;
        Ok(Checked(self))
    }
}
