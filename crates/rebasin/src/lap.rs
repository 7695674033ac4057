//! Linear assignment: `c = argmax_c Σ_i S[i, c[i]]` over permutations c.
//!
//! [`LsapSolver`] wraps the `lsap` 1.0.2 crate, a port of SciPy's
//! shortest-augmenting-path solver (Crouse, "On implementing 2D rectangular
//! assignment algorithms", IEEE TAES 2016), so ties break as in SciPy's
//! `linear_sum_assignment`. Row i is model A's unit i, column c[i] is model B's
//! unit, so c is directly the take vector.
//!
//! ```
//! use rebasin::lap::{LapSolver, LsapSolver};
//!
//! let s = vec![1.0, 5.0, 4.0, 2.0]; // 2 × 2, row-major
//! assert_eq!(LsapSolver.solve_max(2, &s).unwrap(), vec![1, 0]);
//! ```

use std::cell::RefCell;

use crate::error::{Error, Result};

/// A solver of the square linear assignment problem.
pub trait LapSolver {
    /// Returns the column of each row maximising `Σ_i s[i·n + c[i]]` for the
    /// row-major n × n matrix `s`. The result must depend on `s` alone:
    /// weight matching skips a solve whose matrix has not changed.
    ///
    /// # Errors
    /// [`Error::Assignment`] when `s` has NaN or infinite entries or the wrong length.
    fn solve_max(&self, n: usize, s: &[f64]) -> Result<Vec<usize>>;

    /// Returns the column of each row minimising the assignment cost.
    ///
    /// # Errors
    /// As [`LapSolver::solve_max`].
    fn solve_min(&self, n: usize, s: &[f64]) -> Result<Vec<usize>>;
}

thread_local! {
    /// Cost matrix handed to lsap, kept between solves so that a run of
    /// n × n solves allocates it once per thread.
    static COST: RefCell<Vec<f64>> = const { RefCell::new(Vec::new()) };
}

/// SciPy-compatible solver from the `lsap` crate.
#[derive(Clone, Copy, Debug, Default)]
pub struct LsapSolver;

impl LsapSolver {
    fn solve(n: usize, s: &[f64], maximize: bool) -> Result<Vec<usize>> {
        if s.len() != n * n {
            return Err(Error::Assignment {
                group: String::new(),
                reason: format!("matrix has {} entries, expected {n}×{n}", s.len()),
            });
        }
        COST.with_borrow_mut(|cost| {
            // Negation is exact, so passing −S as a minimisation gives the same
            // columns as lsap's own maximisation and saves it a second copy.
            cost.clear();
            let sign = if maximize { -1.0 } else { 1.0 };
            cost.extend(s.iter().map(|&x| sign * x));
            lsap::solve(n, n, cost, false)
        })
        .map(|(rows, cols)| {
            debug_assert!(rows.iter().enumerate().all(|(i, &r)| i == r));
            cols
        })
        .map_err(|e| Error::Assignment {
            group: String::new(),
            reason: format!("{e:?}: the score matrix must be finite"),
        })
    }
}

impl LapSolver for LsapSolver {
    fn solve_max(&self, n: usize, s: &[f64]) -> Result<Vec<usize>> {
        Self::solve(n, s, true)
    }

    fn solve_min(&self, n: usize, s: &[f64]) -> Result<Vec<usize>> {
        Self::solve(n, s, false)
    }
}

/// Returns `Σ_i s[i·n + c[i]]`, summed with i ascending.
pub fn assignment_value(n: usize, s: &[f64], c: &[usize]) -> f64 {
    c.iter().enumerate().map(|(i, &j)| s[i * n + j]).sum()
}
