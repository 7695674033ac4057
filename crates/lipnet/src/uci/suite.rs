//! Benchmark suites: which methods, data sets, configurations, phases, folds
//! and seeds a sweep covers.
//!
//! The grid (derived by us, because the LDLᵀ paper's grid is not known) is
//! depth ∈ {2, 4, 8} × lr ∈ {10⁻³, 10⁻²}, width 64, xent, L = 1, batch 64,
//! 100 epochs capped at 2 000 steps. Selection uses one seed (the base seed);
//! reporting uses three (base, base + 1, base + 2).
//!
//! - `smoke`: 8 small sets, report phase, fold 0, one seed, depth 4, lr 10⁻³,
//!   50 epochs, `ldlt-res` and `sll-res`: 16 units.
//! - `core`: `ldlt-res`, `ldlt-seq`, `sll-res`, `sll-seq` on every set.
//! - `full`: every non-reference method on every set.
//! - `sweep`: the budget sweep of the issue tracker's benchmark (ours, sized
//!   for 2 cores in about an hour): `ldlt-res`, `ldlt-seq`, `sll-res` and
//!   `mlp` on every set, report phase over every fold, one seed, the smoke
//!   configuration at 100 epochs (depth 4, lr 10⁻³, ≤ 2 000 steps). Run it
//!   again with `--seed 1` and `--seed 2` to add seeds to the same file.
//!
//! ```
//! use lipnet::uci::{SuiteName, SuiteParams};
//!
//! let suite = SuiteParams::new(SuiteName::Smoke).check().unwrap();
//! assert_eq!(suite.methods, ["ldlt-res", "sll-res"]);
//! assert_eq!(suite.grid.len(), 1);
//! assert_eq!(suite.sets.as_ref().unwrap().len(), 8);
//! ```

use super::error::{UciError, UciResult};
use super::unit::Config;
use crate::model::ModelId;

/// Every model id of the lipnet specification, whether or not this build has it.
pub const SPEC_METHODS: [&str; 11] = [
    "ldlt-res",
    "ldlt-seq",
    "ldlt-res-ref",
    "ldlt-seq-ref",
    "sll-res",
    "sll-seq",
    "aol",
    "sandwich",
    "cpl",
    "specnorm",
    "mlp",
];

/// Methods of the `core` suite.
pub const CORE_METHODS: [&str; 4] = ["ldlt-res", "ldlt-seq", "sll-res", "sll-seq"];

/// Methods of the `full` suite: every id except the reference-parity ones.
pub const FULL_METHODS: [&str; 9] = [
    "ldlt-res", "ldlt-seq", "sll-res", "sll-seq", "aol", "sandwich", "cpl", "specnorm", "mlp",
];

/// Methods of the `sweep` suite.
pub const SWEEP_METHODS: [&str; 4] = ["ldlt-res", "ldlt-seq", "sll-res", "mlp"];

/// Methods of the `smoke` suite.
pub const SMOKE_METHODS: [&str; 2] = ["ldlt-res", "sll-res"];

/// Data sets of the `smoke` suite.
pub const SMOKE_SETS: [&str; 8] = [
    "iris",
    "wine",
    "seeds",
    "glass",
    "ecoli",
    "breast-cancer-wisc",
    "pima",
    "vertebral-column-3clases",
];

/// The 11 two-file sets with one file not z-scored in the collection: test
/// files in raw units (first 7) or training files off scale (last 4). Their
/// per-file standardization uses test-file statistics, so summaries also
/// report means without them.
pub const IRREGULAR_SETS: [&str; 11] = [
    "annealing",
    "hayes-roth",
    "hill-valley",
    "horse-colic",
    "image-segmentation",
    "soybean",
    "spect",
    "monks-1",
    "monks-2",
    "monks-3",
    "spectf",
];

/// Epochs of the `core` and `full` grids.
pub const GRID_EPOCHS: usize = 100;

/// Epochs of the `smoke` suite.
pub const SMOKE_EPOCHS: usize = 50;

/// A named suite.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SuiteName {
    /// 16 quick report units.
    Smoke,
    /// LDLᵀ and SLL, residual and sequential, on every set.
    Core,
    /// Every non-reference method on every set.
    Full,
    /// LDLᵀ (both forms), SLL residual and the MLP on every set, one
    /// configuration, one seed: the budget sweep.
    Sweep,
}

impl SuiteName {
    /// Parses `smoke`, `core`, `full` or `sweep`.
    ///
    /// # Errors
    ///
    /// [`UciError::Invalid`] for any other text.
    pub fn parse(text: &str) -> UciResult<Self> {
        match text {
            "smoke" => Ok(SuiteName::Smoke),
            "core" => Ok(SuiteName::Core),
            "full" => Ok(SuiteName::Full),
            "sweep" => Ok(SuiteName::Sweep),
            _ => Err(UciError::invalid(
                "suite",
                text,
                "use smoke, core, full or sweep",
            )),
        }
    }
}

/// Phases a sweep runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phases {
    /// Selection units only, even when the grid has one configuration.
    Selection,
    /// Report units only; their configuration comes from finished selection lines.
    Report,
    /// Selection (skipped when the grid has one configuration), then report.
    All,
}

impl Phases {
    /// Parses `selection`, `report` or `all`.
    ///
    /// # Errors
    ///
    /// [`UciError::Invalid`] for any other text.
    pub fn parse(text: &str) -> UciResult<Self> {
        match text {
            "selection" => Ok(Phases::Selection),
            "report" => Ok(Phases::Report),
            "all" => Ok(Phases::All),
            _ => Err(UciError::invalid(
                "phase",
                text,
                "use selection, report or all",
            )),
        }
    }
}

/// Unchecked suite settings: a named suite plus command-line overrides.
#[derive(Clone, Debug, PartialEq)]
pub struct SuiteParams {
    /// The named suite.
    pub name: SuiteName,
    /// Replace the suite's methods.
    pub methods: Option<Vec<String>>,
    /// Restrict the suite to these data sets.
    pub sets: Option<Vec<String>>,
    /// Replace the epoch count of every configuration.
    pub epochs: Option<usize>,
    /// Replace the suite's phases.
    pub phases: Option<Phases>,
    /// Base seed: selection uses it, reporting uses it and the next two (smoke: it alone).
    pub seed: u64,
    /// Accept the reference-parity ids `*-ref`, which are not valid certificates.
    pub allow_reference: bool,
}

impl SuiteParams {
    /// Returns the named suite without overrides, base seed 0.
    pub fn new(name: SuiteName) -> Self {
        Self {
            name,
            methods: None,
            sets: None,
            epochs: None,
            phases: None,
            seed: 0,
            allow_reference: false,
        }
    }

    /// Validates the overrides and resolves the suite.
    ///
    /// # Errors
    ///
    /// - [`UciError::Invalid`] for 0 epochs, an empty method or set list, or a
    ///   seed too large to add 2 to.
    /// - [`UciError::UnknownMethod`] for an id that is neither in this build nor
    ///   in the specification.
    /// - [`UciError::ReferenceRejected`] for a `*-ref` id without `allow_reference`.
    pub fn check(self) -> UciResult<Suite> {
        let epochs = self.epochs.unwrap_or(match self.name {
            SuiteName::Smoke => SMOKE_EPOCHS,
            SuiteName::Core | SuiteName::Full | SuiteName::Sweep => GRID_EPOCHS,
        });
        if epochs == 0 {
            return Err(UciError::invalid(
                "epochs",
                0,
                "train for at least one epoch, for example --epochs 100",
            ));
        }
        let methods = match self.methods {
            Some(list) => dedup(list),
            None => default_methods(self.name),
        };
        check_methods(&methods, self.allow_reference)?;
        let sets = match (self.sets, self.name) {
            (Some(list), _) => Some(check_sets(list)?),
            (None, SuiteName::Smoke) => Some(SMOKE_SETS.map(String::from).to_vec()),
            (None, _) => None,
        };
        if self.seed > u64::MAX - 2 {
            return Err(UciError::invalid(
                "seed",
                self.seed,
                "use a base seed below 2^64 − 2",
            ));
        }

        let smoke = self.name == SuiteName::Smoke;
        let one_config = smoke || self.name == SuiteName::Sweep;
        Ok(Suite {
            methods,
            sets,
            grid: grid(one_config, epochs),
            phases: self.phases.unwrap_or(if one_config {
                Phases::Report
            } else {
                Phases::All
            }),
            report_folds: if smoke { Some(vec![0]) } else { None },
            report_seeds: if one_config {
                vec![self.seed]
            } else {
                vec![self.seed, self.seed + 1, self.seed + 2]
            },
            selection_seed: self.seed,
        })
    }
}

/// A resolved suite; see [`SuiteParams::check`].
#[derive(Clone, Debug, PartialEq)]
pub struct Suite {
    /// Model ids, in table order.
    pub methods: Vec<String>,
    /// Data sets; `None` means every set in the collection.
    pub sets: Option<Vec<String>>,
    /// Candidate configurations, in tie-break order (smaller depth, then smaller lr, first).
    pub grid: Vec<Config>,
    /// Phases to run.
    pub phases: Phases,
    /// Report folds to run; `None` means every fold of each set.
    pub report_folds: Option<Vec<usize>>,
    /// Seeds of report units.
    pub report_seeds: Vec<u64>,
    /// Seed of selection units.
    pub selection_seed: u64,
}

impl Suite {
    /// Returns true when this sweep runs selection units.
    pub fn runs_selection(&self) -> bool {
        match self.phases {
            Phases::Selection => true,
            Phases::Report => false,
            Phases::All => self.grid.len() > 1,
        }
    }

    /// Returns true when this sweep runs report units.
    pub fn runs_report(&self) -> bool {
        self.phases != Phases::Selection
    }
}

/// Returns the configurations of a suite, smaller depth first, then smaller lr.
fn grid(one_config: bool, epochs: usize) -> Vec<Config> {
    if one_config {
        return vec![Config::grid_point(4, 1e-3, epochs)];
    }
    let mut grid = Vec::new();
    for depth in [2, 4, 8] {
        for lr in [1e-3, 1e-2] {
            grid.push(Config::grid_point(depth, lr, epochs));
        }
    }
    grid
}

fn default_methods(name: SuiteName) -> Vec<String> {
    let list: &[&str] = match name {
        SuiteName::Smoke => &SMOKE_METHODS,
        SuiteName::Core => &CORE_METHODS,
        SuiteName::Full => &FULL_METHODS,
        SuiteName::Sweep => &SWEEP_METHODS,
    };
    list.iter().map(|s| s.to_string()).collect()
}

fn dedup(list: Vec<String>) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(list.len());
    for item in list {
        if !out.contains(&item) {
            out.push(item);
        }
    }
    out
}

/// Accepts ids this build parses and ids the specification lists (units of a
/// listed id missing from this build fail one by one with the reason).
fn check_methods(methods: &[String], allow_reference: bool) -> UciResult<()> {
    if methods.is_empty() {
        return Err(UciError::invalid(
            "methods",
            "(empty)",
            "name at least one model id, for example --methods ldlt-res,sll-res",
        ));
    }
    for id in methods {
        let known = ModelId::parse(id).is_ok() || SPEC_METHODS.contains(&id.as_str());
        if !known {
            return Err(UciError::UnknownMethod {
                id: id.clone(),
                known: SPEC_METHODS.join(", "),
            });
        }
        if id.ends_with("-ref") && !allow_reference {
            return Err(UciError::ReferenceRejected { id: id.clone() });
        }
    }
    Ok(())
}

fn check_sets(list: Vec<String>) -> UciResult<Vec<String>> {
    let list = dedup(list);
    if list.is_empty() {
        return Err(UciError::invalid(
            "sets",
            "(empty)",
            "name at least one data set, for example --sets iris,wine",
        ));
    }
    Ok(list)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn core_grid_has_six_configs_in_tie_order() {
        let suite = SuiteParams::new(SuiteName::Core).check().unwrap();
        let ids: Vec<String> = suite.grid.iter().map(Config::id).collect();
        assert_eq!(
            ids,
            [
                "d2-w64-lr1e-3-e100-s2000",
                "d2-w64-lr1e-2-e100-s2000",
                "d4-w64-lr1e-3-e100-s2000",
                "d4-w64-lr1e-2-e100-s2000",
                "d8-w64-lr1e-3-e100-s2000",
                "d8-w64-lr1e-2-e100-s2000",
            ]
        );
        assert_eq!(suite.report_seeds, [0, 1, 2]);
        assert!(suite.runs_selection());
        assert!(suite.runs_report());
    }

    #[test]
    fn smoke_skips_selection() {
        let suite = SuiteParams::new(SuiteName::Smoke).check().unwrap();
        assert!(!suite.runs_selection());
        assert_eq!(suite.report_folds, Some(vec![0]));
        assert_eq!(suite.grid[0].id(), "d4-w64-lr1e-3-e50-s2000");
    }

    #[test]
    fn sweep_is_one_config_one_seed_every_fold() {
        let mut p = SuiteParams::new(SuiteName::parse("sweep").unwrap());
        p.seed = 2;
        let suite = p.check().unwrap();
        assert_eq!(suite.methods, ["ldlt-res", "ldlt-seq", "sll-res", "mlp"]);
        assert_eq!(suite.grid.len(), 1);
        assert_eq!(suite.grid[0].id(), "d4-w64-lr1e-3-e100-s2000");
        assert_eq!(suite.report_seeds, [2]);
        assert_eq!(suite.report_folds, None);
        assert!(suite.sets.is_none());
        assert!(!suite.runs_selection());
        assert!(suite.runs_report());
    }

    #[test]
    fn reference_ids_need_the_flag() {
        let mut p = SuiteParams::new(SuiteName::Core);
        p.methods = Some(vec!["ldlt-res-ref".into()]);
        assert!(matches!(
            p.clone().check(),
            Err(UciError::ReferenceRejected { .. })
        ));
        p.allow_reference = true;
        assert!(p.check().is_ok());
    }

    #[test]
    fn unknown_ids_are_rejected() {
        let mut p = SuiteParams::new(SuiteName::Core);
        p.methods = Some(vec!["ldlt-rez".into()]);
        assert!(matches!(p.check(), Err(UciError::UnknownMethod { .. })));
    }

    #[test]
    fn spec_ids_missing_from_build_are_accepted() {
        let mut p = SuiteParams::new(SuiteName::Core);
        p.methods = Some(vec!["mlp".into(), "mlp".into()]);
        assert_eq!(p.check().unwrap().methods, ["mlp"]);
    }

    #[test]
    fn zero_epochs_rejected() {
        let mut p = SuiteParams::new(SuiteName::Full);
        p.epochs = Some(0);
        assert!(matches!(p.check(), Err(UciError::Invalid { .. })));
    }
}
