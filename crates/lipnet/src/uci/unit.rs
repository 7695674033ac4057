//! Units of the UCI-121 benchmark: one training run keyed by
//! (phase, dataset, method, config_id, fold, seed), and its hyper-parameters.
//!
//! Randomness of a unit comes only from its key: the initialization stream is
//! `tape::rng::stream(seed, "<phase>/<dataset>/<method>/<config_id>/<fold>/init")`,
//! and the seeds of mini-batch shuffling and of the PGD search are the first
//! draws of the streams keyed `…/shuffle` and `…/pgd`. So results never depend
//! on which worker ran a unit or when.
//!
//! ```
//! use lipnet::uci::{Config, Phase, UnitKey};
//!
//! let config = Config::grid_point(4, 1e-3, 50);
//! assert_eq!(config.id(), "d4-w64-lr1e-3-e50-s2000");
//! let key = UnitKey::new(Phase::Report, "iris", "ldlt-res", config.id(), 0, 0);
//! assert_eq!(key.to_string(), "report/iris/ldlt-res/d4-w64-lr1e-3-e50-s2000/0/0");
//! ```

use crate::train::{Loss, TrainParams};
use rand::Rng;
use rand_chacha::ChaCha8Rng;
use serde::{Deserialize, Serialize};
use std::fmt;

/// Rows per mini-batch in every unit; sets with fewer training rows use one batch.
pub const BATCH_SIZE: usize = 64;

/// Width of every hidden layer in the benchmark grid.
pub const GRID_WIDTH: usize = 64;

/// Cap on optimizer steps per unit, whatever the epoch count.
pub const MAX_STEPS: usize = 2000;

/// Protocol phase of a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Phase {
    /// Hyper-parameter selection: train on `conxuntos.dat` line 1, score line 2.
    Selection,
    /// Reporting: the folds of `conxuntos_kfold.dat`, or file 1 → file 2.
    Report,
}

impl Phase {
    /// Returns the name used in keys and results files.
    pub fn name(self) -> &'static str {
        match self {
            Phase::Selection => "selection",
            Phase::Report => "report",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Hyper-parameters of one unit, as written into each results line.
///
/// Only depth, lr and epochs vary between benchmark configurations. Width,
/// the step cap, the loss (SLL's xent with offset 3√2/2 and temperature 0.25)
/// and L = 1 are the same everywhere.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Config {
    /// Number of hidden layers.
    pub depth: usize,
    /// Width of every hidden layer.
    pub width: usize,
    /// Adam learning rate (constant schedule).
    pub lr: f64,
    /// Passes over the training rows.
    pub epochs: usize,
    /// Cap on optimizer steps.
    pub max_steps: usize,
    /// Loss name; always `xent`.
    pub loss: String,
    /// xent offset o.
    pub offset: f64,
    /// xent temperature T.
    pub temperature: f64,
    /// Lipschitz bound L.
    pub lip: f64,
}

impl Config {
    /// Returns the benchmark configuration with the given depth, learning rate
    /// and epochs: width 64, at most 2 000 steps, xent, L = 1.
    pub fn grid_point(depth: usize, lr: f64, epochs: usize) -> Self {
        let Loss::Xent {
            offset,
            temperature,
        } = Loss::sll_xent()
        else {
            unreachable!("sll_xent returns the xent loss");
        };
        Self {
            depth,
            width: GRID_WIDTH,
            lr,
            epochs,
            max_steps: MAX_STEPS,
            loss: "xent".to_string(),
            offset,
            temperature,
            lip: 1.0,
        }
    }

    /// Returns the configuration id, such as `d4-w64-lr1e-3-e100-s2000`.
    pub fn id(&self) -> String {
        format!(
            "d{}-w{}-lr{:e}-e{}-s{}",
            self.depth, self.width, self.lr, self.epochs, self.max_steps
        )
    }

    /// Returns the hidden widths [width; depth].
    pub fn widths(&self) -> Vec<usize> {
        vec![self.width; self.depth]
    }

    /// Returns the training settings of this configuration with shuffling seed `seed`.
    pub fn train_params(&self, seed: u64) -> TrainParams {
        TrainParams {
            epochs: self.epochs,
            batch_size: BATCH_SIZE,
            lr: self.lr,
            loss: Loss::Xent {
                offset: self.offset,
                temperature: self.temperature,
            },
            max_steps: Some(self.max_steps),
            seed,
            ..TrainParams::default()
        }
    }

    /// Returns the number of optimizer steps on `n_train` rows:
    /// min(⌈n_train / 64⌉ · epochs, max_steps).
    pub fn steps_for(&self, n_train: usize) -> usize {
        (n_train.div_ceil(BATCH_SIZE).max(1) * self.epochs).min(self.max_steps)
    }
}

/// Identity of a unit. A results file has one line per key, unless a rerun
/// with `--retry-failed` appended a newer line, which then wins.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct UnitKey {
    /// Protocol phase.
    pub phase: Phase,
    /// Data set folder name.
    pub dataset: String,
    /// Model id, as given on the command line.
    pub method: String,
    /// [`Config::id`], or [`NO_CONFIG`] when selection gave no configuration.
    pub config_id: String,
    /// Report fold (0 for selection units).
    pub fold: usize,
    /// Seed of the unit's random streams.
    pub seed: u64,
}

/// Config id of report units whose data set has no selected configuration.
pub const NO_CONFIG: &str = "none";

impl UnitKey {
    /// Creates a key.
    pub fn new(
        phase: Phase,
        dataset: &str,
        method: &str,
        config_id: String,
        fold: usize,
        seed: u64,
    ) -> Self {
        Self {
            phase,
            dataset: dataset.to_string(),
            method: method.to_string(),
            config_id,
            fold,
            seed,
        }
    }

    /// Returns the generator for the initial parameters.
    pub fn init_rng(&self) -> ChaCha8Rng {
        tape::rng::stream(self.seed, &format!("{}/init", self.stream_prefix()))
    }

    /// Returns the seed handed to training for mini-batch shuffling.
    pub fn shuffle_seed(&self) -> u64 {
        self.derived_seed("shuffle")
    }

    /// Returns the seed of the PGD search on the trained model.
    pub fn pgd_seed(&self) -> u64 {
        self.derived_seed("pgd")
    }

    /// Returns the first draw of the stream keyed `<unit prefix>/<purpose>`.
    fn derived_seed(&self, purpose: &str) -> u64 {
        let key = format!("{}/{purpose}", self.stream_prefix());
        tape::rng::stream(self.seed, &key).next_u64()
    }

    fn stream_prefix(&self) -> String {
        format!(
            "{}/{}/{}/{}/{}",
            self.phase, self.dataset, self.method, self.config_id, self.fold
        )
    }
}

impl fmt::Display for UnitKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.stream_prefix(), self.seed)
    }
}

/// A unit ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    /// The unit's identity.
    pub key: UnitKey,
    /// Hyper-parameters; `None` when selection gave no configuration.
    pub config: Option<Config>,
    /// Reason the unit cannot train (its selection units all failed), if any.
    pub blocked: Option<String>,
    /// Estimated optimizer steps, from the metadata, for time projections.
    pub est_steps: usize,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn config_id_names_varying_fields() {
        assert_eq!(
            Config::grid_point(8, 1e-2, 100).id(),
            "d8-w64-lr1e-2-e100-s2000"
        );
        assert_eq!(
            Config::grid_point(2, 1e-3, 3).id(),
            "d2-w64-lr1e-3-e3-s2000"
        );
    }

    #[test]
    fn steps_are_capped() {
        let c = Config::grid_point(4, 1e-3, 100);
        assert_eq!(c.steps_for(10), 100);
        assert_eq!(c.steps_for(64), 100);
        assert_eq!(c.steps_for(65), 200);
        assert_eq!(c.steps_for(100_000), MAX_STEPS);
    }

    #[test]
    fn streams_depend_on_every_key_field() {
        let base = UnitKey::new(Phase::Report, "iris", "ldlt-res", "c".into(), 0, 0);
        let mut others = vec![
            UnitKey::new(Phase::Selection, "iris", "ldlt-res", "c".into(), 0, 0),
            UnitKey::new(Phase::Report, "wine", "ldlt-res", "c".into(), 0, 0),
            UnitKey::new(Phase::Report, "iris", "ldlt-seq", "c".into(), 0, 0),
            UnitKey::new(Phase::Report, "iris", "ldlt-res", "d".into(), 0, 0),
            UnitKey::new(Phase::Report, "iris", "ldlt-res", "c".into(), 1, 0),
            UnitKey::new(Phase::Report, "iris", "ldlt-res", "c".into(), 0, 1),
        ];
        for other in others.drain(..) {
            assert_ne!(base.shuffle_seed(), other.shuffle_seed(), "{other}");
        }
        assert_eq!(base.shuffle_seed(), base.clone().shuffle_seed());
    }
}
