//! Enumeration of units, in canonical order, and their split into shards.
//!
//! Canonical order: data set (sorted by name), method (suite order),
//! configuration (grid order), fold, seed. Selection units cover every grid
//! configuration of every (set, method) at fold 0 with the selection seed.
//! Report units cover every report fold (4 for one-file sets, 1 for two-file
//! sets) and every report seed with the configuration chosen by selection.
//!
//! Shards partition (data set, method) pairs, so a shard runs both phases of
//! its pairs without waiting for other shards. Pairs are assigned greedily,
//! the largest estimated step count first, each to the shard with the least
//! load so far (ties: the lower shard index). Every shard computes the same
//! assignment when given the same collection and suite flags.
//!
//! ```
//! use lipnet::uci::Shard;
//!
//! let shard = Shard::parse("1/3").unwrap();
//! assert_eq!((shard.index, shard.count), (1, 3));
//! assert!(Shard::parse("3/3").is_err());
//! ```

use super::error::{UciError, UciResult};
use super::results::ResultsIndex;
use super::select::{SelectMetric, Selection, select_config};
use super::suite::Suite;
use super::unit::{Config, NO_CONFIG, Phase, Unit, UnitKey};
use crate::model::ModelId;
use datasets::uci121;
use std::collections::HashMap;
use std::path::Path;

/// Facts about one data set that the planner reads from its metadata.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SetInfo {
    /// Folder name.
    pub name: String,
    /// Every data and split file is present.
    pub complete: bool,
    /// 1 or 2 data files.
    pub n_files: usize,
    /// Rows of the first data file.
    pub n_rows1: usize,
    /// Training rows of the selection split.
    pub n_train_selection: usize,
}

impl SetInfo {
    /// Returns the report folds: 0..4 for one-file sets, 0 for two-file sets.
    pub fn report_folds(&self) -> Vec<usize> {
        if self.n_files == 2 {
            vec![0]
        } else {
            (0..4).collect()
        }
    }

    /// Returns the estimated training rows of a report fold: all of file 1 for
    /// two-file sets, else ⌈3n/4⌉ (the folds are 75/25 splits).
    pub fn report_train_rows(&self) -> usize {
        if self.n_files == 2 {
            self.n_rows1
        } else {
            (3 * self.n_rows1).div_ceil(4)
        }
    }
}

/// Reads the metadata of the suite's data sets, sorted by name.
///
/// # Errors
///
/// - [`UciError::Data`] when `root` is not a collection or a metadata file is invalid.
/// - [`UciError::UnknownSet`] for a requested set that `root` does not contain.
pub fn collection_info(root: &Path, sets: Option<&[String]>) -> UciResult<Vec<SetInfo>> {
    let entries = uci121::list(root)?;
    let absent = sets
        .unwrap_or_default()
        .iter()
        .find(|w| !entries.iter().any(|e| &e.name == *w));
    if let Some(name) = absent {
        return Err(UciError::UnknownSet {
            name: name.clone(),
            root: root.to_path_buf(),
        });
    }

    let mut infos = Vec::new();
    for entry in entries {
        if sets.is_some_and(|w| !w.contains(&entry.name)) {
            continue;
        }
        let meta_path = root.join(&entry.name).join(format!("{}.txt", entry.name));
        let meta = uci121::read_meta(&meta_path)?;
        infos.push(SetInfo {
            name: entry.name,
            complete: entry.complete,
            n_files: meta.n_files,
            n_rows1: meta.files[0].1,
            n_train_selection: meta.n_train_selection,
        });
    }
    Ok(infos)
}

/// One part of a sweep split into `count` parts; `index` is 0-based, as
/// `SLURM_ARRAY_TASK_ID` is for `--array=0-(count−1)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Shard {
    /// This part, 0..count.
    pub index: usize,
    /// Number of parts, ≥ 1.
    pub count: usize,
}

impl Shard {
    /// The whole sweep.
    pub const ALL: Shard = Shard { index: 0, count: 1 };

    /// Parses `i/n` with 0 ≤ i < n.
    ///
    /// # Errors
    ///
    /// [`UciError::Invalid`] for other text.
    pub fn parse(text: &str) -> UciResult<Self> {
        let bad = || {
            UciError::invalid(
                "shard",
                text,
                "write i/n with 0 ≤ i < n, for example --shard 0/4 for the first of 4 parts",
            )
        };
        let (i, n) = text.split_once('/').ok_or_else(bad)?;
        let index: usize = i.trim().parse().map_err(|_| bad())?;
        let count: usize = n.trim().parse().map_err(|_| bad())?;
        if count == 0 || index >= count {
            return Err(bad());
        }
        Ok(Shard { index, count })
    }
}

/// The shard of every (data set, method) pair of a sweep.
#[derive(Clone, Debug)]
pub struct ShardMap {
    owner: HashMap<(String, String), usize>,
    shard: Shard,
}

impl ShardMap {
    /// Assigns pairs to shards by estimated steps; see the module documentation.
    pub fn new(infos: &[SetInfo], suite: &Suite, shard: Shard) -> Self {
        let mut pairs: Vec<(usize, String, String)> = Vec::new();
        for info in infos {
            let cost = pair_cost(info, suite);
            for method in &suite.methods {
                pairs.push((cost, info.name.clone(), method.clone()));
            }
        }
        // Largest first; equal costs keep canonical order (the sort is stable).
        pairs.sort_by_key(|p| std::cmp::Reverse(p.0));

        let mut load = vec![0usize; shard.count];
        let mut owner = HashMap::new();
        for (cost, set, method) in pairs {
            let target = (0..shard.count).min_by_key(|&s| (load[s], s)).unwrap_or(0);
            load[target] += cost.max(1);
            owner.insert((set, method), target);
        }
        Self { owner, shard }
    }

    /// Returns true when this shard runs the units of (`dataset`, `method`).
    pub fn owns(&self, dataset: &str, method: &str) -> bool {
        self.owner
            .get(&(dataset.to_string(), method.to_string()))
            .is_some_and(|&s| s == self.shard.index)
    }
}

/// Estimated optimizer steps of every unit of one (data set, method) pair.
fn pair_cost(info: &SetInfo, suite: &Suite) -> usize {
    let Some(first) = suite.grid.first() else {
        return 0;
    };
    let mut steps = 0;
    if suite.runs_selection() {
        steps += suite
            .grid
            .iter()
            .map(|c| c.steps_for(info.n_train_selection))
            .sum::<usize>();
    }
    if suite.runs_report() {
        let units = report_folds(info, suite).len() * suite.report_seeds.len();
        steps += units * first.steps_for(info.report_train_rows());
    }
    steps
}

fn report_folds(info: &SetInfo, suite: &Suite) -> Vec<usize> {
    let folds = info.report_folds();
    match &suite.report_folds {
        Some(wanted) => folds.into_iter().filter(|f| wanted.contains(f)).collect(),
        None => folds,
    }
}

/// Returns true when units of (`info`, `method`) train at all: the set is
/// complete and this build has the model id. Other units finish at once.
fn trains(info: &SetInfo, method: &str) -> bool {
    info.complete && ModelId::parse(method).is_ok()
}

/// Returns the selection units of the suite, in canonical order.
pub fn selection_units(infos: &[SetInfo], suite: &Suite) -> Vec<Unit> {
    let mut units = Vec::new();
    for info in infos {
        for method in &suite.methods {
            for config in &suite.grid {
                let key = UnitKey::new(
                    Phase::Selection,
                    &info.name,
                    method,
                    config.id(),
                    0,
                    suite.selection_seed,
                );
                units.push(Unit {
                    key,
                    config: Some(config.clone()),
                    blocked: None,
                    est_steps: if trains(info, method) {
                        config.steps_for(info.n_train_selection)
                    } else {
                        0
                    },
                });
            }
        }
    }
    units
}

/// Report units of a suite and the number still waiting for selection lines.
#[derive(Clone, Debug, Default)]
pub struct ReportPlan {
    /// Units whose configuration is known (or whose selection ended without one).
    pub units: Vec<Unit>,
    /// Units not listed because selection units of their pair have no line
    /// yet, per (data set, method) pair.
    pub pending: Vec<(String, String, usize)>,
}

/// Returns the report units of the suite, in canonical order, with the
/// configuration [`select_config`] chooses from `index` (or the only grid
/// entry when the grid has one).
pub fn report_units(
    infos: &[SetInfo],
    suite: &Suite,
    index: &ResultsIndex,
    metric: SelectMetric,
) -> ReportPlan {
    let mut plan = ReportPlan::default();
    for info in infos {
        let folds = report_folds(info, suite);
        for method in &suite.methods {
            let selection = match suite.grid.as_slice() {
                [only] => Selection::Chosen(only.clone()),
                grid => select_config(
                    index,
                    &info.name,
                    method,
                    grid,
                    suite.selection_seed,
                    metric,
                ),
            };
            let n_units = folds.len() * suite.report_seeds.len();
            let (config, blocked) = match selection {
                Selection::Chosen(c) => (Some(c), None),
                Selection::Incomplete => (None, None),
                Selection::Failed(reason) => (None, Some(reason)),
                Selection::Pending => {
                    plan.pending
                        .push((info.name.clone(), method.clone(), n_units));
                    continue;
                }
            };
            push_report_units(
                &mut plan.units,
                info,
                method,
                &folds,
                suite,
                config,
                blocked,
            );
        }
    }
    plan
}

fn push_report_units(
    units: &mut Vec<Unit>,
    info: &SetInfo,
    method: &str,
    folds: &[usize],
    suite: &Suite,
    config: Option<Config>,
    blocked: Option<String>,
) {
    let config_id = config.as_ref().map_or(NO_CONFIG.to_string(), Config::id);
    let est_steps = match &config {
        Some(c) if trains(info, method) => c.steps_for(info.report_train_rows()),
        _ => 0,
    };
    for &fold in folds {
        for &seed in &suite.report_seeds {
            units.push(Unit {
                key: UnitKey::new(
                    Phase::Report,
                    &info.name,
                    method,
                    config_id.clone(),
                    fold,
                    seed,
                ),
                config: config.clone(),
                blocked: blocked.clone(),
                est_steps,
            });
        }
    }
}

/// Returns estimated steps of report units not yet run, assuming every
/// pending selection resolves. The first grid configuration replaces the
/// unknown choice. Used for the time projection.
pub fn planned_report_steps(
    infos: &[SetInfo],
    suite: &Suite,
    index: &ResultsIndex,
    shards: &ShardMap,
) -> (usize, usize) {
    let Some(first) = suite.grid.first() else {
        return (0, 0);
    };
    let (mut units, mut steps) = (0, 0);
    for info in infos {
        let methods = suite.methods.iter().filter(|m| shards.owns(&info.name, m));
        for method in methods.filter(|m| trains(info, m)) {
            for fold in report_folds(info, suite) {
                for &seed in &suite.report_seeds {
                    let key =
                        UnitKey::new(Phase::Report, &info.name, method, String::new(), fold, seed);
                    if !index.has_slot(&key) {
                        units += 1;
                        steps += first.steps_for(info.report_train_rows());
                    }
                }
            }
        }
    }
    (units, steps)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uci::suite::{SuiteName, SuiteParams};

    fn infos() -> Vec<SetInfo> {
        (0..7)
            .map(|i| SetInfo {
                name: format!("set{i}"),
                complete: true,
                n_files: 1 + i % 2,
                n_rows1: 100 * (i + 1),
                n_train_selection: 50 * (i + 1),
            })
            .collect()
    }

    #[test]
    fn shards_partition_the_pairs() {
        let suite = SuiteParams::new(SuiteName::Core).check().unwrap();
        let infos = infos();
        for count in 1..5 {
            let maps: Vec<ShardMap> = (0..count)
                .map(|index| ShardMap::new(&infos, &suite, Shard { index, count }))
                .collect();
            for info in &infos {
                for m in &suite.methods {
                    let owners = maps.iter().filter(|s| s.owns(&info.name, m)).count();
                    assert_eq!(owners, 1, "{} {m} with {count} shards", info.name);
                }
            }
        }
    }

    #[test]
    fn shard_parse_rejects_bad_text() {
        for bad in ["", "1", "0/0", "2/2", "a/2", "-1/2", "1/2/3"] {
            assert!(Shard::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Shard::parse("0/1").unwrap(), Shard::ALL);
    }

    #[test]
    fn report_units_wait_for_selection() {
        let suite = SuiteParams::new(SuiteName::Core).check().unwrap();
        let plan = report_units(
            &infos(),
            &suite,
            &ResultsIndex::default(),
            SelectMetric::Clean,
        );
        assert!(plan.units.is_empty());
        let pending: usize = plan.pending.iter().map(|p| p.2).sum();
        // 4 one-file sets × 4 folds + 3 two-file sets × 1 fold, × 3 seeds × 4 methods
        assert_eq!(pending, (4 * 4 + 3) * 3 * 4);
    }

    #[test]
    fn selection_units_cover_the_grid() {
        let suite = SuiteParams::new(SuiteName::Core).check().unwrap();
        let units = selection_units(&infos(), &suite);
        assert_eq!(units.len(), 7 * 4 * 6);
        assert_eq!(units[0].key.config_id, "d2-w64-lr1e-3-e100-s2000");
        assert_eq!(units[0].est_steps, 100);
    }
}
