//! Upper bound on the matrices and work buffers that user-given shapes size.

use crate::error::Error;

/// Largest element count of any matrix or work buffer, 2³⁰ (8 GiB as f64).
/// It turns an impossible request into an error before the allocation,
/// instead of an abort from the allocator.
pub const MAX_ELEMENTS: usize = 1 << 30;

/// Checks that a `rows × cols` buffer, sized by an input of shape
/// `n_rows × n_cols`, has at most [`MAX_ELEMENTS`] elements.
///
/// # Errors
///
/// [`Error::TooLarge`] naming `what` and the input shape.
pub fn check_elements(
    what: &'static str,
    (n_rows, n_cols): (usize, usize),
    (rows, cols): (usize, usize),
) -> Result<(), Error> {
    match rows.checked_mul(cols) {
        Some(count) if count <= MAX_ELEMENTS => Ok(()),
        _ => Err(Error::TooLarge {
            what,
            n_rows,
            n_cols,
            limit: MAX_ELEMENTS,
        }),
    }
}
