//! `lipnet demo`: the main job.
//!
//! Trains the default certified residual network (L = 1, widths 64×4, ReLU,
//! xent loss, Adam 10⁻³, batch 64) on a data set that ships with lipnet, then
//! prints clean accuracy, certified robust accuracy and the certificate checks.

use super::output::print_outcome;
use super::train::{FitArgs, ModelArgs, exit_code, train_and_report};
use clap::Args;
use lipnet::data::DataSource;
use std::process::ExitCode;

/// Arguments of `lipnet demo`.
#[derive(Debug, Args)]
pub struct DemoArgs {
    /// Embedded data set: breast-cancer, digits or iris.
    #[arg(long, default_value = "breast-cancer")]
    pub dataset: String,
    /// Model id: ldlt-res or ldlt-seq, a baseline such as sll-res (see `lipnet train
    /// --help`), or a -ref variant (cross-checks only).
    #[arg(long, default_value = "ldlt-res")]
    pub model: String,
    /// Lipschitz bound L.
    #[arg(long = "lip", default_value_t = 1.0, allow_negative_numbers = true)]
    pub lip: f64,
    /// Passes over the training set.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Seed for initialization, the 80/20 split and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: DemoArgs) -> anyhow::Result<ExitCode> {
    if !datasets::embedded::NAMES.contains(&a.dataset.as_str()) {
        anyhow::bail!(
            "unknown data set {:?}: use one of {}",
            a.dataset,
            datasets::embedded::NAMES.join(", ")
        );
    }

    let source = DataSource::Embedded(a.dataset.clone());
    let model = ModelArgs {
        model: a.model,
        widths: vec![64; 4],
        lip: a.lip,
        activation: "relu".into(),
        init: "reference".into(),
        freeze_alpha: false,
    };
    let fit = FitArgs {
        epochs: a.epochs,
        batch_size: 64,
        lr: 1e-3,
        loss: "xent".into(),
        offset: None,
        temperature: None,
        margin: None,
        schedule: "constant".into(),
        max_steps: None,
        seed: a.seed,
        json: a.json,
    };

    let outcome = train_and_report(&source, &model, &fit, None)?;
    print_outcome(&outcome, a.json)?;
    Ok(exit_code(&outcome.eval))
}
