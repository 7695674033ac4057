//! Thin wrapper over the Clarabel 0.11.1 interior-point solver for the linear
//! programs and power-cone programs of this crate.
//!
//! Clarabel solves min ½vᵀPv + qᵀv subject to A v + s = b, s ∈ K. Every program
//! here is linear (P = 0). `AlmostSolved` is accepted with a warning; any other
//! status except `Solved` is returned as an error so that no caller divides by
//! an unchecked objective.
//!
//! ```
//! use lpsample::conic::{solve_linear_conic, ConicSettings, Triplets};
//! use clarabel::solver::SupportedConeT::NonnegativeConeT;
//!
//! // min x subject to x ≥ 2, written as −x + s = −2, s ≥ 0.
//! let mut a = Triplets::new(1, 1);
//! a.push(0, 0, -1.0);
//! let solution = solve_linear_conic(&[1.0], &a, &[-2.0], &[NonnegativeConeT(1)],
//!     &ConicSettings::default()).unwrap();
//! assert!((solution.x[0] - 2.0).abs() < 1e-7);
//! ```

use clarabel::algebra::CscMatrix;
use clarabel::solver::{DefaultSettings, DefaultSolver, IPSolver, SolverStatus, SupportedConeT};

/// Solver tolerances and iteration limit.
#[derive(Debug, Clone, PartialEq)]
pub struct ConicSettings {
    /// Absolute and relative duality-gap tolerance and feasibility tolerance (default 1e-9).
    pub tol: f64,
    /// Maximum number of interior-point iterations (default 200).
    pub max_iter: u32,
}

impl Default for ConicSettings {
    fn default() -> Self {
        Self {
            tol: 1e-9,
            max_iter: 200,
        }
    }
}

/// Sparse constraint matrix under construction, in (row, col, value) form.
#[derive(Debug, Clone)]
pub struct Triplets {
    rows: usize,
    cols: usize,
    row_index: Vec<usize>,
    col_index: Vec<usize>,
    values: Vec<f64>,
}

impl Triplets {
    /// Returns an empty `rows × cols` matrix.
    pub fn new(rows: usize, cols: usize) -> Self {
        Self {
            rows,
            cols,
            row_index: Vec::new(),
            col_index: Vec::new(),
            values: Vec::new(),
        }
    }

    /// Adds entry (row, col) and skips zero values. Duplicate positions are passed to
    /// Clarabel unmerged, so callers set each position at most once.
    pub fn push(&mut self, row: usize, col: usize, value: f64) {
        if value != 0.0 {
            self.row_index.push(row);
            self.col_index.push(col);
            self.values.push(value);
        }
    }

    fn to_csc(&self) -> CscMatrix<f64> {
        CscMatrix::new_from_triplets(
            self.rows,
            self.cols,
            self.row_index.clone(),
            self.col_index.clone(),
            self.values.clone(),
        )
    }
}

/// Primal solution of a conic program.
#[derive(Debug, Clone)]
pub struct ConicSolution {
    /// Primal variables v.
    pub x: Vec<f64>,
    /// Objective qᵀv.
    pub objective: f64,
    /// Interior-point iterations.
    pub iterations: u32,
    /// Final status: `Solved` or `AlmostSolved`.
    pub status: String,
}

/// Solves min qᵀv subject to A v + s = b, s ∈ K.
///
/// # Errors
/// The solver status as text when Clarabel rejects the data or ends with a
/// status other than `Solved` or `AlmostSolved`.
pub fn solve_linear_conic(
    q: &[f64],
    a: &Triplets,
    b: &[f64],
    cones: &[SupportedConeT<f64>],
    settings: &ConicSettings,
) -> Result<ConicSolution, String> {
    let n = q.len();
    let p = CscMatrix::zeros((n, n));
    let clarabel_settings = DefaultSettings {
        verbose: false,
        max_iter: settings.max_iter,
        tol_gap_abs: settings.tol,
        tol_gap_rel: settings.tol,
        tol_feas: settings.tol,
        ..DefaultSettings::default()
    };

    let mut solver = DefaultSolver::new(&p, q, &a.to_csc(), b, cones, clarabel_settings)
        .map_err(|err| format!("setup error ({err})"))?;
    solver.solve();

    let solution = &solver.solution;
    let status = solution.status;
    match status {
        SolverStatus::Solved => {}
        SolverStatus::AlmostSolved => {
            tracing::warn!("Clarabel returned AlmostSolved (reduced accuracy)");
        }
        other => return Err(format!("{other:?}")),
    }
    Ok(ConicSolution {
        x: solution.x.clone(),
        objective: solution.obj_val,
        iterations: solution.iterations,
        status: format!("{status:?}"),
    })
}
