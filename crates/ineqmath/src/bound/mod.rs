//! Bound answers: extraction from an answer sentence and equivalence with the gold.

mod equiv;
mod extract;

pub use equiv::{Verdict, equivalent, equivalent_str};
pub(crate) use equiv::{float_to_f64, rational_to_f64};
pub use extract::{BoundExtraction, extract_bound, extract_bound_with};
