//! Greedy and iterative k-sparse solvers: OMP, forward stepwise, IHT, CoSaMP.
//!
//! All take a target sparsity k with 1 ≤ k ≤ d and centre X and y when they
//! fit an intercept; see each module for its selection rule.
//!
//! ```
//! use faer::mat;
//! let x = mat![[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0]];
//! let fit = sparsereg::greedy::stepwise::forward_stepwise(x.as_ref(), &[0.0, 3.0, 1.0], 1, false).unwrap();
//! assert_eq!(fit.order, Some(vec![1]));
//! ```

pub mod cosamp;
pub mod iht;
pub mod stepwise;
