//! One results line: what a finished unit produced, in schema 1.
//!
//! Measured fields are `null` when the unit did not get that far (a failed or
//! skipped unit) or when the check does not apply (`lmi_max_eig` for models
//! other than LDLᵀ). Non-finite numbers are also written as `null`.
//!
//! ```
//! use lipnet::uci::{Phase, Record, Status, UnitKey};
//!
//! let key = UnitKey::new(Phase::Report, "iris", "sll-res", "none".into(), 0, 0);
//! let rec = Record::unfinished(&key, None, Status::Failed, "unknown model id".into());
//! let line = serde_json::to_string(&rec).unwrap();
//! let back: Record = serde_json::from_str(&line).unwrap();
//! assert_eq!(back.key(), key);
//! assert_eq!(back.status, Status::Failed);
//! ```

use super::stamp::{Stamp, utc_timestamp};
use super::unit::{Config, Phase, UnitKey};
use serde::{Deserialize, Serialize};

/// Schema version written into every line.
pub const SCHEMA: u32 = 1;

/// Outcome of a unit.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    /// Trained and evaluated.
    Ok,
    /// Stopped by an error (unknown model id, divergence, failed factorization,
    /// failed selection, a panic); `error` gives the reason.
    Failed,
    /// The data set lacks files; `error` lists them.
    SkippedIncomplete,
}

impl Status {
    /// Returns the name written into results files.
    pub fn name(self) -> &'static str {
        match self {
            Status::Ok => "ok",
            Status::Failed => "failed",
            Status::SkippedIncomplete => "skipped_incomplete",
        }
    }
}

/// Certified robust accuracy at the four report radii, in input units
/// (standardized features).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Cra {
    /// ε = 36/255.
    #[serde(rename = "36/255")]
    pub eps36: f64,
    /// ε = 72/255.
    #[serde(rename = "72/255")]
    pub eps72: f64,
    /// ε = 108/255.
    #[serde(rename = "108/255")]
    pub eps108: f64,
    /// ε = 255/255.
    #[serde(rename = "255/255")]
    pub eps255: f64,
}

impl Cra {
    /// Returns the four values in radius order.
    pub fn values(&self) -> [f64; 4] {
        [self.eps36, self.eps72, self.eps108, self.eps255]
    }
}

/// One results line.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Always [`SCHEMA`] for lines this build writes.
    pub schema: u32,
    /// Protocol phase.
    pub phase: Phase,
    /// Data set folder name.
    pub dataset: String,
    /// Model id.
    pub method: String,
    /// Configuration id, see [`Config::id`].
    pub config_id: String,
    /// Hyper-parameters; `null` when selection gave none.
    pub config: Option<Config>,
    /// Report fold (0 for selection).
    pub fold: usize,
    /// Seed of the unit's random streams.
    pub seed: u64,
    /// Training rows.
    pub n_train: Option<usize>,
    /// Test rows (validation rows for selection units).
    pub n_test: Option<usize>,
    /// Clean test accuracy.
    pub clean_acc: Option<f64>,
    /// Certified robust accuracy per radius.
    pub cra: Option<Cra>,
    /// Lipschitz bound of the trained network.
    pub lip_bound: Option<f64>,
    /// λ_max of the Λ = I LMI matrix (LDLᵀ models only).
    pub lmi_max_eig: Option<f64>,
    /// Largest ‖J(x)‖₂ over the test rows.
    pub sampled_jac_max: Option<f64>,
    /// Largest ‖f(x+δ) − f(x)‖/‖δ‖ found by PGD.
    pub pgd_ratio: Option<f64>,
    /// Optimizer steps taken.
    pub steps: Option<usize>,
    /// Wall-clock seconds of training (excluding loading and evaluation).
    pub train_seconds: Option<f64>,
    /// Mean loss of the last epoch.
    pub final_loss: Option<f64>,
    /// Outcome.
    pub status: Status,
    /// Reason of a failure or skip.
    pub error: Option<String>,
    /// Source revision of the binary (`git describe`), or `unknown`.
    pub rev: String,
    /// Host name of the machine.
    pub host: String,
    /// Finish time, UTC, RFC 3339.
    pub timestamp: String,
}

impl Record {
    /// Returns a line for a unit that produced no measurements.
    pub fn unfinished(
        key: &UnitKey,
        config: Option<&Config>,
        status: Status,
        error: String,
    ) -> Self {
        Self {
            schema: SCHEMA,
            phase: key.phase,
            dataset: key.dataset.clone(),
            method: key.method.clone(),
            config_id: key.config_id.clone(),
            config: config.cloned(),
            fold: key.fold,
            seed: key.seed,
            n_train: None,
            n_test: None,
            clean_acc: None,
            cra: None,
            lip_bound: None,
            lmi_max_eig: None,
            sampled_jac_max: None,
            pgd_ratio: None,
            steps: None,
            train_seconds: None,
            final_loss: None,
            status,
            error: Some(error),
            rev: String::new(),
            host: String::new(),
            timestamp: String::new(),
        }
    }

    /// Sets `rev`, `host` and the current time.
    pub fn stamp(&mut self, stamp: &Stamp) {
        self.rev = stamp.rev.clone();
        self.host = stamp.host.clone();
        self.timestamp = utc_timestamp(std::time::SystemTime::now());
    }

    /// Returns the unit key of this line.
    pub fn key(&self) -> UnitKey {
        UnitKey {
            phase: self.phase,
            dataset: self.dataset.clone(),
            method: self.method.clone(),
            config_id: self.config_id.clone(),
            fold: self.fold,
            seed: self.seed,
        }
    }

    /// Returns the value of a summary metric, when measured.
    pub fn metric(&self, metric: Metric) -> Option<f64> {
        let value = match metric {
            Metric::Clean => self.clean_acc?,
            Metric::Cra(i) => self.cra?.values()[i],
        };
        value.is_finite().then_some(value)
    }
}

/// A per-unit accuracy that summaries average.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Metric {
    /// Clean accuracy.
    Clean,
    /// Certified accuracy at radius index 0..4 (36, 72, 108, 255 over 255).
    Cra(usize),
}

impl Metric {
    /// Clean accuracy, then CRA at the four radii.
    pub const ALL: [Metric; 5] = [
        Metric::Clean,
        Metric::Cra(0),
        Metric::Cra(1),
        Metric::Cra(2),
        Metric::Cra(3),
    ];

    /// Returns a column label such as `clean` or `cra 36/255`.
    pub fn label(self) -> &'static str {
        match self {
            Metric::Clean => "clean",
            Metric::Cra(0) => "CRA 36/255",
            Metric::Cra(1) => "CRA 72/255",
            Metric::Cra(2) => "CRA 108/255",
            Metric::Cra(_) => "CRA 255/255",
        }
    }

    /// Returns a machine-friendly name such as `clean` or `cra36`.
    pub fn slug(self) -> &'static str {
        match self {
            Metric::Clean => "clean",
            Metric::Cra(0) => "cra36",
            Metric::Cra(1) => "cra72",
            Metric::Cra(2) => "cra108",
            Metric::Cra(_) => "cra255",
        }
    }

    /// Returns the radius ε (0 for clean accuracy).
    pub fn eps(self) -> f64 {
        match self {
            Metric::Clean => 0.0,
            Metric::Cra(i) => crate::metrics::REPORT_EPS[i.min(3)].1,
        }
    }
}

/// Converts a non-finite value to `None`, so that it is written as `null`.
pub fn finite(value: f64) -> Option<f64> {
    value.is_finite().then_some(value)
}
