//! Running one unit: load the split, build and train the model, evaluate it.
//!
//! Every failure inside a unit becomes a results line with status `failed`
//! (or `skipped_incomplete` for a set with missing files) and the error's
//! message. A panic inside a unit is caught and recorded the same way, so the
//! sweep never stops on one bad unit.
//!
//! ```
//! use lipnet::uci::{Config, Phase, Stamp, Status, Unit, UnitKey, run_unit};
//!
//! let config = Config::grid_point(2, 1e-3, 1);
//! let unit = Unit {
//!     key: UnitKey::new(Phase::Report, "iris", "ldlt-res", config.id(), 0, 0),
//!     config: Some(config),
//!     blocked: None,
//!     est_steps: 2,
//! };
//! let stamp = Stamp { rev: "doc".into(), host: "doc".into() };
//! let record = run_unit(std::path::Path::new("/no/such/folder"), &unit, &stamp);
//! assert_eq!(record.status, Status::Failed);
//! assert!(record.error.unwrap().contains("/no/such/folder"));
//! ```

use super::record::{Cra, Record, SCHEMA, Status, finite};
use super::stamp::Stamp;
use super::unit::{Config, Phase, Unit};
use crate::model::{self, ArchParams, ModelId};
use crate::report;
use crate::verify::{DEFAULT_MAX_BITS, PgdParams, pgd_search};
use datasets::{Table, uci121};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;
use tape::ParamStore;

/// Runs `unit` on the collection at `root` and returns its stamped results line.
pub fn run_unit(root: &Path, unit: &Unit, stamp: &Stamp) -> Record {
    let outcome = catch_unwind(AssertUnwindSafe(|| try_unit(root, unit)));
    let mut record = match outcome {
        Ok(Ok(record)) => record,
        Ok(Err((status, error))) => {
            Record::unfinished(&unit.key, unit.config.as_ref(), status, error)
        }
        Err(payload) => Record::unfinished(
            &unit.key,
            unit.config.as_ref(),
            Status::Failed,
            format!("panic: {}", panic_message(payload.as_ref())),
        ),
    };
    if record.status != Status::Ok {
        tracing::warn!(
            unit = %unit.key,
            status = record.status.name(),
            error = record.error.as_deref().unwrap_or(""),
            "unit did not finish"
        );
    }
    record.stamp(stamp);
    record
}

type UnitFailure = (Status, String);

fn failed(error: impl ToString) -> UnitFailure {
    (Status::Failed, error.to_string())
}

fn try_unit(root: &Path, unit: &Unit) -> Result<Record, UnitFailure> {
    let key = &unit.key;
    let set = match uci121::load(root, &key.dataset) {
        Ok(set) => set,
        Err(datasets::Error::Incomplete { missing, .. }) => {
            let msg = format!("missing files: {}", missing.join(", "));
            return Err((Status::SkippedIncomplete, msg));
        }
        Err(e) => return Err(failed(e)),
    };
    if let Some(reason) = &unit.blocked {
        return Err(failed(reason));
    }
    let Some(config) = &unit.config else {
        return Err(failed("no configuration was selected for this unit"));
    };
    let model_id = ModelId::parse(&key.method).map_err(|e| {
        failed(format!(
            "model id {:?} is not available in this build ({e})",
            key.method
        ))
    })?;

    let (train, test) = match key.phase {
        Phase::Selection => uci121::selection_split(&set),
        Phase::Report => uci121::report_split(&set, key.fold),
    }
    .map_err(failed)?;
    train_and_evaluate(unit, config, model_id, set.meta.n_classes, &train, &test)
}

fn train_and_evaluate(
    unit: &Unit,
    config: &Config,
    model_id: ModelId,
    n_classes: usize,
    train: &Table,
    test: &Table,
) -> Result<Record, UnitFailure> {
    let key = &unit.key;
    let arch = ArchParams::new(
        model_id,
        train.x.ncols(),
        n_classes,
        config.widths(),
        config.lip,
    )
    .check()
    .map_err(failed)?;
    let train_config = config
        .train_params(key.shuffle_seed())
        .check()
        .map_err(failed)?;

    let mut store = ParamStore::new();
    let mut rng = key.init_rng();
    let model = model::build(&arch, &mut store, &mut rng).map_err(failed)?;
    let hidden = indicatif::ProgressBar::hidden();
    let training = crate::train::train(model.as_ref(), &mut store, train, &train_config, &hidden)
        .map_err(failed)?;
    let eval = report::evaluate(model.as_ref(), &store, test, DEFAULT_MAX_BITS).map_err(failed)?;
    let pgd_ratio = pgd_ratio(model.as_ref(), &store, test, key.pgd_seed()).map_err(failed)?;

    Ok(Record {
        schema: SCHEMA,
        phase: key.phase,
        dataset: key.dataset.clone(),
        method: key.method.clone(),
        config_id: key.config_id.clone(),
        config: Some(config.clone()),
        fold: key.fold,
        seed: key.seed,
        n_train: Some(train.x.nrows()),
        n_test: Some(test.x.nrows()),
        clean_acc: finite(eval.clean_acc),
        cra: cra_of(&eval.cra),
        lip_bound: finite(eval.lip_bound),
        // NaN (written as null) for models without the LDLᵀ form.
        lmi_max_eig: finite(eval.lmi_max_eig),
        sampled_jac_max: finite(eval.sampled_jac_max),
        pgd_ratio: finite(pgd_ratio),
        steps: Some(training.steps),
        train_seconds: finite(training.seconds),
        final_loss: finite(training.final_loss),
        status: Status::Ok,
        error: None,
        rev: String::new(),
        host: String::new(),
        timestamp: String::new(),
    })
}

/// PGD starts per unit: the first test rows. A quarter of the verifier's
/// default of 32, because on arrhythmia (262 features) 32 starts took 2–7 s
/// per unit, up to twice the training time of an sll-res net (measured on a
/// loaded 2-core VM).
pub const PGD_STARTS: usize = 8;

/// PGD ascent steps per start (the verifier's default).
pub const PGD_STEPS: usize = 50;

/// Returns the largest ‖f(x′) − f(x)‖/‖x′ − x‖ that a PGD search from the
/// test rows finds, a lower bound on the Lipschitz constant.
fn pgd_ratio(
    model: &dyn crate::model::LipModel,
    store: &ParamStore,
    test: &Table,
    seed: u64,
) -> crate::Result<f64> {
    let net = model.network(store)?;
    let config = PgdParams {
        starts: PGD_STARTS,
        steps: PGD_STEPS,
        seed,
        ..PgdParams::default()
    }
    .check()?;
    Ok(pgd_search(&net, Some(test.x.as_ref()), &config).ratio)
}

/// Returns the four report radii's values, or `None` when one is missing or
/// not finite (a `null` in the results line).
fn cra_of(map: &std::collections::BTreeMap<String, f64>) -> Option<Cra> {
    let at = |label: &str| map.get(label).copied().and_then(finite);
    Some(Cra {
        eps36: at("36/255")?,
        eps72: at("72/255")?,
        eps108: at("108/255")?,
        eps255: at("255/255")?,
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        s.to_string()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "unknown panic payload".to_string()
    }
}
