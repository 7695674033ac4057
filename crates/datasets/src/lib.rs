//! Data set loaders for normlab.
//!
//! - [`uci121`]: the UCI-121 classification collection, checked file by file.
//! - [`embedded`]: breast cancer, digits and iris compiled into the binary
//!   (feature `embedded`, on by default).
//! - [`csv`], [`npy`]: tables and matrices from text and NumPy files.
//! - [`jsonl`]: append-only result logs that survive an interrupted write.
//! - [`split`], [`standardize()`]: stratified splits and z-scoring.
//!
//! Every loader returns a [`Table`] (one sample per row) or an [`Error`] that
//! names the file, the line and what to fix.
//!
//! ```
//! use datasets::{Table, split, standardize};
//! use rand::SeedableRng;
//!
//! let mut table = Table {
//!     x: faer::Mat::from_fn(10, 2, |i, j| (i * (j + 1)) as f64),
//!     y: vec![0, 0, 0, 0, 0, 1, 1, 1, 1, 1],
//!     n_classes: 2,
//! };
//! let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(0);
//! let parts = split::stratified(&table.y, table.n_classes, 0.2, &mut rng).unwrap();
//! assert_eq!(parts.test.len(), 2);
//! let (mean, std) = standardize(&mut table.x, &parts.train);
//! assert_eq!((mean.len(), std.len()), (2, 2));
//! ```

mod atomic;
pub use atomic::{check_not_input, check_replaceable};
pub mod csv;
#[cfg(feature = "embedded")]
pub mod embedded;
mod error;
pub mod jsonl;
pub mod npy;
pub mod pipe;
pub mod split;
mod standardize;
mod table;
pub mod uci121;

pub use error::{Error, Result};
pub use standardize::{apply_standardize, is_zscored, standardize};
pub use table::{Split, Table};
pub use uci121::{UciEntry, UciMeta, UciSet};
