//! Choice of the report configuration from finished selection units.
//!
//! For one (data set, method), the chosen configuration maximizes the
//! validation metric (clean accuracy by default, or CRA at ε = 36/255) over the
//! selection units with status ok; ties go to the smaller depth, then the
//! smaller learning rate, then the earlier grid entry.
//!
//! ```
//! use lipnet::uci::{Config, Phase, Record, ResultsIndex, SelectMetric, Selection, Status,
//!                   UnitKey, select_config};
//!
//! let grid = vec![Config::grid_point(2, 1e-3, 5), Config::grid_point(4, 1e-3, 5)];
//! let mut index = ResultsIndex::default();
//! for (config, acc) in grid.iter().zip([0.9, 0.9]) {
//!     let key = UnitKey::new(Phase::Selection, "iris", "ldlt-res", config.id(), 0, 0);
//!     let mut rec = Record::unfinished(&key, Some(config), Status::Ok, String::new());
//!     rec.clean_acc = Some(acc);
//!     index.insert(rec);
//! }
//! let choice = select_config(&index, "iris", "ldlt-res", &grid, 0, SelectMetric::Clean);
//! assert_eq!(choice, Selection::Chosen(grid[0].clone())); // a tie: smaller depth wins
//! ```

use super::error::{UciError, UciResult};
use super::record::{Metric, Status};
use super::results::ResultsIndex;
use super::unit::{Config, Phase, UnitKey};

/// The validation metric that selection maximizes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum SelectMetric {
    /// Clean validation accuracy.
    #[default]
    Clean,
    /// Certified validation accuracy at ε = 36/255.
    Cra36,
}

impl SelectMetric {
    /// Parses `clean` or `cra36`.
    ///
    /// # Errors
    ///
    /// [`UciError::Invalid`] for any other text.
    pub fn parse(text: &str) -> UciResult<Self> {
        match text {
            "clean" => Ok(SelectMetric::Clean),
            "cra36" => Ok(SelectMetric::Cra36),
            _ => Err(UciError::invalid(
                "select-metric",
                text,
                "use clean or cra36",
            )),
        }
    }

    fn metric(self) -> Metric {
        match self {
            SelectMetric::Clean => Metric::Clean,
            SelectMetric::Cra36 => Metric::Cra(0),
        }
    }
}

/// Outcome of selection for one (data set, method).
#[derive(Clone, Debug, PartialEq)]
pub enum Selection {
    /// The configuration to report.
    Chosen(Config),
    /// Some selection units have no line yet.
    Pending,
    /// Every selection unit skipped the set because files are missing.
    Incomplete,
    /// Every selection unit finished without success; the first reason.
    Failed(String),
}

/// Chooses the report configuration of (`dataset`, `method`) from the
/// selection lines in `index` with seed `seed`; see the module documentation.
pub fn select_config(
    index: &ResultsIndex,
    dataset: &str,
    method: &str,
    grid: &[Config],
    seed: u64,
    metric: SelectMetric,
) -> Selection {
    let mut best: Option<(f64, &Config)> = None;
    let mut first_error: Option<String> = None;
    let mut all_incomplete = true;

    for config in grid {
        let key = UnitKey::new(Phase::Selection, dataset, method, config.id(), 0, seed);
        let Some(rec) = index.get(&key) else {
            return Selection::Pending;
        };
        all_incomplete &= rec.status == Status::SkippedIncomplete;
        let score = match rec.status {
            Status::Ok => rec.metric(metric.metric()),
            _ => None,
        };
        match score {
            Some(s) if best.is_none_or(|(b, c)| better(s, config, b, c)) => {
                best = Some((s, config));
            }
            Some(_) => {}
            None => {
                if first_error.is_none() {
                    first_error = Some(failure_reason(rec.error.as_deref(), config));
                }
            }
        }
    }

    match best {
        Some((_, config)) => Selection::Chosen(config.clone()),
        None if all_incomplete && !grid.is_empty() => Selection::Incomplete,
        None => Selection::Failed(first_error.unwrap_or_else(|| "the grid is empty".into())),
    }
}

/// Returns true when `score` with `config` beats the incumbent `best` with `incumbent`.
fn better(score: f64, config: &Config, best: f64, incumbent: &Config) -> bool {
    if score != best {
        return score > best;
    }
    if config.depth != incumbent.depth {
        return config.depth < incumbent.depth;
    }
    config.lr < incumbent.lr
}

fn failure_reason(error: Option<&str>, config: &Config) -> String {
    format!(
        "no selection unit succeeded; {} failed with: {}",
        config.id(),
        error.unwrap_or("no measured validation accuracy")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::uci::record::Record;

    fn index_with(grid: &[Config], results: &[(Status, f64)]) -> ResultsIndex {
        let mut index = ResultsIndex::default();
        for (config, &(status, acc)) in grid.iter().zip(results) {
            let key = UnitKey::new(Phase::Selection, "s", "m", config.id(), 0, 0);
            let mut rec = Record::unfinished(&key, Some(config), status, "boom".into());
            rec.clean_acc = Some(acc);
            index.insert(rec);
        }
        index
    }

    fn grid() -> Vec<Config> {
        vec![
            Config::grid_point(2, 1e-3, 1),
            Config::grid_point(2, 1e-2, 1),
            Config::grid_point(4, 1e-3, 1),
        ]
    }

    #[test]
    fn best_accuracy_wins() {
        let g = grid();
        let index = index_with(
            &g,
            &[(Status::Ok, 0.5), (Status::Ok, 0.6), (Status::Ok, 0.7)],
        );
        let s = select_config(&index, "s", "m", &g, 0, SelectMetric::Clean);
        assert_eq!(s, Selection::Chosen(g[2].clone()));
    }

    #[test]
    fn tie_prefers_smaller_lr() {
        let g = grid();
        let index = index_with(
            &g,
            &[(Status::Ok, 0.5), (Status::Ok, 0.7), (Status::Ok, 0.7)],
        );
        let s = select_config(&index, "s", "m", &g, 0, SelectMetric::Clean);
        assert_eq!(s, Selection::Chosen(g[1].clone()));
    }

    #[test]
    fn failed_units_are_ignored() {
        let g = grid();
        let index = index_with(
            &g,
            &[
                (Status::Failed, 0.9),
                (Status::Ok, 0.2),
                (Status::Failed, 0.9),
            ],
        );
        let s = select_config(&index, "s", "m", &g, 0, SelectMetric::Clean);
        assert_eq!(s, Selection::Chosen(g[1].clone()));
    }

    #[test]
    fn missing_line_is_pending() {
        let g = grid();
        let index = index_with(&g[..2], &[(Status::Ok, 0.5), (Status::Ok, 0.6)]);
        let s = select_config(&index, "s", "m", &g, 0, SelectMetric::Clean);
        assert_eq!(s, Selection::Pending);
    }

    #[test]
    fn all_failed_gives_reason() {
        let g = grid();
        let index = index_with(&g, &[(Status::Failed, 0.0); 3]);
        match select_config(&index, "s", "m", &g, 0, SelectMetric::Clean) {
            Selection::Failed(reason) => assert!(reason.contains("boom"), "{reason}"),
            other => panic!("expected a failure, got {other:?}"),
        }
    }

    #[test]
    fn all_incomplete_is_incomplete() {
        let g = grid();
        let index = index_with(&g, &[(Status::SkippedIncomplete, 0.0); 3]);
        let s = select_config(&index, "s", "m", &g, 0, SelectMetric::Clean);
        assert_eq!(s, Selection::Incomplete);
    }
}
