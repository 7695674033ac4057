//! Reverse-mode automatic differentiation over dense `f64` faer matrices, with
//! optimizers, learning-rate schedules, keyed random streams and a gradient
//! checker.
//!
//! Parameters live in a [`ParamStore`] (named `faer::Mat<f64>` values). Each
//! training step records a define-by-run [`Tape`]: every operation computes its
//! value at once and returns a [`Var`] handle, and [`Tape::backward`] sweeps the
//! recorded nodes in reverse and returns the parameter gradients as [`Grads`].
//! Scalars are 1 × 1 matrices. Batches are rows, so a dense layer is
//! `y = x·Wᵀ + b` with `W` stored out × in and `b` as a 1 × out row.
//!
//! Besides products and entrywise functions, the tape differentiates Gram
//! matrices, Cholesky factorizations, triangular solves and LU solves, which is
//! what Cholesky-parameterized Lipschitz layers need. Every kernel runs on one
//! thread (`faer::Par::Seq`), so the same inputs give the same bits on the same
//! build and machine.
//!
//! # Example
//!
//! A contraction Ŵ = W·R⁻¹ with RᵀR = WᵀW + αI, a loss on it, and one Adam step:
//!
//! ```
//! use faer::Mat;
//! use tape::{Adam, AdamConfig, Gram, Optimizer, ParamStore, Side, Tape, Trans, Uplo};
//!
//! # fn main() -> tape::Result<()> {
//! let mut store = ParamStore::new();
//! let id_w = store.add("w", Mat::from_fn(3, 2, |i, j| (i + 2 * j) as f64 * 0.3 - 0.5))?;
//! let mut adam = Adam::new(AdamConfig::default());
//!
//! let mut t = Tape::new();
//! let w = t.param(&store, id_w);
//! let alpha = t.scalar(1.0);
//! let g0 = t.gram(w, Gram::AtA); // WᵀW, exactly symmetric
//! let om = t.add_diag(g0, alpha); // + αI
//! let p = t.cholesky(om)?; // lower P, R = Pᵀ
//! let wh = t.solve_tri(p, w, Side::Right, Uplo::Lower, Trans::Yes); // W·P⁻ᵀ = W·R⁻¹
//! let sq = t.square(wh);
//! let loss = t.sum(sq);
//! assert!(t.scalar_value(loss) < 2.0); // ‖Ŵ‖_F² < rank(W) because ‖Ŵ‖₂ < 1
//!
//! let g = t.backward(loss);
//! assert_eq!(g.get(id_w).unwrap().shape(), (3, 2));
//! adam.step(&mut store, &g);
//! # Ok(())
//! # }
//! ```
//!
//! [`gradcheck()`] compares tape gradients with central differences, and
//! [`rng::stream`] gives reproducible random streams keyed by a seed and a name.

#![warn(missing_docs)]

mod error;
pub mod gradcheck;
mod grads;
mod ops;
pub mod optim;
mod pool;
pub mod rng;
pub mod schedule;
mod store;
mod tape;

pub use error::{Error, Result};
pub use gradcheck::{GradcheckOptions, GradcheckReport, gradcheck};
pub use grads::Grads;
pub use ops::{Gram, Side, Trans, Unary, Uplo};
pub use optim::{Adam, AdamConfig, Optimizer, Sgd, SgdConfig};
pub use schedule::Schedule;
pub use store::{ParamId, ParamStore};
pub use tape::{Tape, Var};
