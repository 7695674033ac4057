//! Permutation alignment of neural networks: Git Re-Basin weight matching,
//! merging of N models and loss barriers along linear paths.
//!
//! Networks trained from different seeds compute similar functions with hidden
//! units in different orders. Weight matching (Ainsworth, Hayase, Srinivasa, "Git
//! Re-Basin", ICLR 2023) finds, per hidden layer, the permutation of model B's
//! units that maximises `Σ_k ⟨A_k, π(B)_k⟩_F`. After alignment the straight line
//! from A to π(B) often stays at low loss.
//!
//! Conventions (derived in the normlab rebasin specification, §2.1): tensors use
//! PyTorch layout (`Linear.weight` is out × in); a permutation c acts by take,
//! `T'[.., i, ..] = T[.., c[i], ..]`; A is the target and never changes, B is the
//! source and is always the one permuted.
//!
//! ```
//! use rebasin::{lap::LsapSolver, prng::portable_mlp, spec::{Layout, PermSpec}};
//! use rebasin::wm::{WmParams, weight_matching};
//!
//! let a = portable_mlp(&[4, 6, 3], 0);
//! let b = portable_mlp(&[4, 6, 3], 1);
//! let spec = PermSpec::mlp(&a, Layout::Torch).unwrap();
//! let report = weight_matching(&spec, &a, &b, &WmParams::default().check().unwrap(), &LsapSolver).unwrap();
//! assert!(report.l2_after <= report.l2_before);
//! ```
//!
//! # NOTES
//!
//! - The random group order draws from `ChaCha8Rng::seed_from_u64(seed)`, not
//!   JAX's stream, so bit-exact parity with the reference needs `--order replay:FILE`.
//! - The digits split of the reference is a numpy permutation. The CLI reads it
//!   from a `digits_split.json` file (`--split`) and otherwise draws its own
//!   seeded split, so figures then differ from the reference ones.
//! - Not implemented yet: N-model STE, MergeMany's `--warm` start, activation
//!   matching and STE for the convolutional presets (their forward passes serve
//!   barriers, merging, BatchNorm repair and the functional check), and the f32
//!   fast path's tuning.
//! - serde_json's default float parser is not correctly rounded (1 ulp off on
//!   some golden values), so bit-exact golden checks parse numbers from the text.
//! - Digits anchor with this crate (debug-test build, reference split, seeds
//!   0 and 1): L2 58.82 → 51.98, test loss barrier (linear) 1.121 → 0.078,
//!   aligned midpoint test accuracy 96.4%; STE 0.054 and 98.3%; MergeMany test
//!   accuracy 97.2% (N = 3) and 93.6% (N = 4).
//! - ResNet20 exact recovery on random untrained weights: 10/10 seeds at width 1,
//!   9/10 at width 4. The failing group order ends in a strict local optimum of
//!   the coordinate ascent, not in a tie or a spec error: J stays well below that
//!   of the true permutations and no single group can improve it. The fixed
//!   order and `--restarts 3` recover the permutations.
//! - Weight matching runs single-threaded (`faer::Par::Seq`), so the
//!   permutations do not depend on the thread count.

pub mod am;
pub mod analysis;
pub mod barrier;
pub mod cnn;
pub mod data;
pub mod error;
pub mod io;
pub mod lap;
pub mod merge;
pub mod model;
pub mod nn;
pub mod perm;
pub mod plot;
pub mod presets;
pub mod prng;
pub mod spec;
pub mod ste;
pub mod ste_many;
pub mod train;
pub mod wm;

pub use error::{Error, Result};
