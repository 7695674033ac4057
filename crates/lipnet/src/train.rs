//! Mini-batch training.
//!
//! Each step records the parameterization and the forward pass of one batch
//! on a fresh tape, takes the gradient of the loss and applies one Adam step.
//! The parameterization is recomputed every step, so the certificate is valid
//! after every step, not only at the end.
//!
//! Losses (batch means):
//!
//! - `xent`: T·CE((z − o·e_y)/T, y), the SLL loss with offset o and temperature T.
//! - `ce`: plain softmax cross-entropy.
//! - `margin`: (1/C)Σ_{j≠y} max(0, μ − z_y + z_j), PyTorch's `MultiMarginLoss`.

use crate::error::{Error, Result};
use crate::model::LipModel;
use datasets::Table;
use faer::Mat;
use indicatif::ProgressBar;
use serde::{Deserialize, Serialize};
use std::time::Instant;
use tape::{Adam, AdamConfig, Optimizer, ParamStore, Schedule, Tape};

/// Training loss.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Loss {
    /// T·CE((z − o·e_y)/T, y).
    Xent {
        /// Offset o subtracted from the true-class logit.
        offset: f64,
        /// Temperature T > 0.
        temperature: f64,
    },
    /// Plain cross-entropy.
    Ce,
    /// Multi-class hinge loss with margin μ.
    Margin {
        /// Margin μ > 0.
        margin: f64,
    },
}

impl Loss {
    /// Returns the SLL defaults: offset 3√2/2 ≈ 2.1213, temperature 0.25.
    pub fn sll_xent() -> Self {
        Loss::Xent {
            offset: 1.5 * 2f64.sqrt(),
            temperature: 0.25,
        }
    }

    fn record(&self, t: &mut Tape, z: tape::Var, y: &[usize]) -> tape::Var {
        match *self {
            Loss::Xent {
                offset,
                temperature,
            } => t.xent(z, y, offset, temperature),
            Loss::Ce => t.cross_entropy(z, y),
            Loss::Margin { margin } => t.multi_margin(z, y, margin),
        }
    }
}

/// Learning-rate schedule kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "snake_case")]
pub enum ScheduleKind {
    /// The learning rate stays fixed.
    #[default]
    Constant,
    /// SLL's triangular schedule through (0, 0), (2S/5, lr), (4S/5, lr/20), (S, 0).
    Triangular,
}

/// Unchecked training settings; [`TrainParams::check`] validates them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TrainParams {
    /// Passes over the training set.
    pub epochs: usize,
    /// Rows per mini-batch (the last batch of an epoch may be smaller).
    pub batch_size: usize,
    /// Peak learning rate of Adam.
    pub lr: f64,
    /// Adam β₁.
    pub beta1: f64,
    /// Adam β₂.
    pub beta2: f64,
    /// The loss.
    pub loss: Loss,
    /// Learning-rate schedule.
    pub schedule: ScheduleKind,
    /// Stop after this many steps even if epochs remain.
    pub max_steps: Option<usize>,
    /// Seed of the shuffling stream.
    pub seed: u64,
}

impl Default for TrainParams {
    /// Returns the normlab defaults: 100 epochs, batch 64, Adam 10⁻³ with β = (0.9, 0.999),
    /// constant schedule, SLL's xent loss.
    fn default() -> Self {
        Self {
            epochs: 100,
            batch_size: 64,
            lr: 1e-3,
            beta1: 0.9,
            beta2: 0.999,
            loss: Loss::sll_xent(),
            schedule: ScheduleKind::Constant,
            max_steps: None,
            seed: 0,
        }
    }
}

/// Validated training settings.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainConfig(TrainParams);

impl TrainConfig {
    /// Returns the settings.
    pub fn params(&self) -> &TrainParams {
        &self.0
    }
}

impl TrainParams {
    /// Validates the settings.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidParameter`] for 0 epochs or batch size, a learning rate
    /// that is not finite and > 0, β outside [0, 1), or loss settings out of range.
    pub fn check(self) -> Result<TrainConfig> {
        if self.epochs == 0 {
            return Err(Error::invalid(
                "epochs",
                0,
                "train for at least one epoch, for example --epochs 100",
            ));
        }
        if self.batch_size == 0 {
            return Err(Error::invalid(
                "batch_size",
                0,
                "use a batch size ≥ 1, for example --batch-size 64",
            ));
        }
        if !(self.lr.is_finite() && self.lr > 0.0) {
            return Err(Error::invalid(
                "lr",
                self.lr,
                "the learning rate must be a finite number > 0, for example --lr 1e-3",
            ));
        }
        for (name, beta) in [("beta1", self.beta1), ("beta2", self.beta2)] {
            if !(0.0..1.0).contains(&beta) {
                return Err(Error::invalid(name, beta, "Adam's β must lie in [0, 1)"));
            }
        }
        check_loss(&self.loss)?;
        if self.max_steps == Some(0) {
            return Err(Error::invalid(
                "max_steps",
                0,
                "use at least one step or leave the cap unset",
            ));
        }
        Ok(TrainConfig(self))
    }
}

fn check_loss(loss: &Loss) -> Result<()> {
    match *loss {
        Loss::Xent {
            offset,
            temperature,
        } => {
            if !(temperature.is_finite() && temperature > 0.0) {
                return Err(Error::invalid(
                    "temperature",
                    temperature,
                    "the temperature must be finite and > 0, for example 0.25",
                ));
            }
            if !(offset.is_finite() && offset >= 0.0) {
                return Err(Error::invalid(
                    "offset",
                    offset,
                    "the offset must be finite and ≥ 0, for example 2.1213",
                ));
            }
        }
        Loss::Margin { margin } => {
            if !(margin.is_finite() && margin > 0.0) {
                return Err(Error::invalid(
                    "margin",
                    margin,
                    "the margin must be finite and > 0, for example 0.7",
                ));
            }
        }
        Loss::Ce => {}
    }
    Ok(())
}

/// Summary of a training run.
#[derive(Clone, Debug, Serialize)]
pub struct TrainReport {
    /// Optimizer steps taken.
    pub steps: usize,
    /// Epochs started.
    pub epochs: usize,
    /// Mean loss over the last epoch.
    pub final_loss: f64,
    /// Mean loss of every epoch.
    pub epoch_losses: Vec<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Trains `model` in place on `data`.
///
/// `progress` is advanced once per epoch; pass `ProgressBar::hidden()` for none.
///
/// # Errors
///
/// [`Error::Shape`] when the data do not match the model, [`Error::NonFinite`]
/// when the loss diverges, and [`Error::Cholesky`] when the parameters overflow.
pub fn train(
    model: &dyn LipModel,
    store: &mut ParamStore,
    data: &Table,
    config: &TrainConfig,
    progress: &ProgressBar,
) -> Result<TrainReport> {
    let p = config.params();
    check_data(model, data)?;

    let start = Instant::now();
    let n = data.x.nrows();
    let batches_per_epoch = n.div_ceil(p.batch_size);
    let total_steps = (batches_per_epoch * p.epochs).min(p.max_steps.unwrap_or(usize::MAX));
    let schedule = make_schedule(p, total_steps);
    let mut adam = Adam::new(AdamConfig {
        lr: p.lr,
        beta1: p.beta1,
        beta2: p.beta2,
        ..AdamConfig::default()
    });

    let mut rng = tape::rng::stream(p.seed, "shuffle");
    let mut order: Vec<usize> = (0..n).collect();
    let mut tape = Tape::new();
    let mut report = TrainReport {
        steps: 0,
        epochs: 0,
        final_loss: f64::NAN,
        epoch_losses: Vec::new(),
        seconds: 0.0,
    };
    progress.set_length(p.epochs as u64);

    'epochs: for epoch in 0..p.epochs {
        tape::rng::shuffle(&mut rng, &mut order);
        report.epochs = epoch + 1;
        let mut loss_sum = 0.0;
        let mut batches = 0;

        for chunk in order.chunks(p.batch_size) {
            if report.steps >= total_steps {
                break 'epochs;
            }
            adam.set_lr(schedule.lr_at(report.steps));
            let loss = step(model, store, &mut tape, &mut adam, data, chunk, &p.loss)?;
            if !loss.is_finite() {
                return Err(diverged(epoch, report.steps, loss));
            }
            loss_sum += loss;
            batches += 1;
            report.steps += 1;
        }

        report.final_loss = loss_sum / batches.max(1) as f64;
        report.epoch_losses.push(report.final_loss);
        progress.set_message(format!("loss {:.4}", report.final_loss));
        progress.inc(1);
        tracing::debug!(epoch, loss = report.final_loss, "epoch finished");
    }

    report.seconds = start.elapsed().as_secs_f64();
    progress.finish_and_clear();
    Ok(report)
}

/// Runs one optimizer step on the rows `rows` and returns the batch loss.
fn step(
    model: &dyn LipModel,
    store: &mut ParamStore,
    tape: &mut Tape,
    adam: &mut Adam,
    data: &Table,
    rows: &[usize],
    loss: &Loss,
) -> Result<f64> {
    let x = gather_rows(&data.x, rows);
    let y: Vec<usize> = rows.iter().map(|&i| data.y[i]).collect();

    tape.reset();
    let xv = tape.constant(x);
    let z = model.forward(tape, store, xv)?;
    let l = loss.record(tape, z, &y);
    let value = tape.scalar_value(l);
    if !value.is_finite() {
        return Ok(value);
    }

    let grads = tape.backward(l);
    adam.step(store, &grads);
    Ok(value)
}

/// Copies the rows `rows` of `x` into a new matrix.
pub fn gather_rows(x: &Mat<f64>, rows: &[usize]) -> Mat<f64> {
    Mat::from_fn(rows.len(), x.ncols(), |i, j| x[(rows[i], j)])
}

fn make_schedule(p: &TrainParams, total_steps: usize) -> Schedule {
    match p.schedule {
        ScheduleKind::Constant => Schedule::Constant { lr: p.lr },
        ScheduleKind::Triangular => Schedule::Triangular {
            peak_lr: p.lr,
            total_steps,
        },
    }
}

fn check_data(model: &dyn LipModel, data: &Table) -> Result<()> {
    if data.x.nrows() == 0 {
        return Err(Error::Shape {
            what: "training set".into(),
            expected: "at least one row".into(),
            found: "0 rows".into(),
        });
    }
    crate::report::check_table(model, data)
}

fn diverged(epoch: usize, step: usize, loss: f64) -> Error {
    Error::NonFinite {
        what: format!("the training loss at epoch {epoch}, step {step} (loss = {loss})"),
        fix: "lower the learning rate (--lr) or check the input data for extreme values".into(),
    }
}
