//! `lipnet train`: train on a data source, evaluate, verify and save.

use super::output::{Outcome, print_outcome};
use anyhow::{Context, bail};
use clap::Args;
use lipnet::activation::Activation;
use lipnet::data::{self, DataSource};
use lipnet::init::Init;
use lipnet::io::{self, ModelConfig};
use lipnet::model::{self, ArchParams, ModelId};
use lipnet::report::{self, EvalReport};
use lipnet::train::{Loss, ScheduleKind, TrainParams};
use lipnet::verify::DEFAULT_MAX_BITS;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

/// Architecture flags shared by `train` and `demo`.
#[derive(Debug, Args)]
pub struct ModelArgs {
    /// Model id: ldlt-res, ldlt-seq; baselines sll-res, sll-seq, aol, sandwich,
    /// cpl, specnorm, mlp; reference-parity ldlt-res-ref, ldlt-seq-ref (cross-checks only).
    #[arg(long, default_value = "ldlt-res")]
    pub model: String,
    /// Hidden widths, comma-separated (depth = number of entries).
    #[arg(long, default_value = "64,64,64,64", value_delimiter = ',')]
    pub widths: Vec<usize>,
    /// Lipschitz bound L (ℓ₂ to ℓ₂) the network is built to satisfy.
    #[arg(long = "lip", default_value_t = 1.0, allow_negative_numbers = true)]
    pub lip: f64,
    /// Hidden activation: relu, elu or tanh.
    #[arg(long, default_value = "relu")]
    pub activation: String,
    /// Weight initialization: reference (U(±1/√fan_in)) or scaled10.
    #[arg(long, default_value = "reference")]
    pub init: String,
    /// Keep every α at 1 instead of training it.
    #[arg(long)]
    pub freeze_alpha: bool,
}

/// Optimization flags shared by `train` and `demo`.
#[derive(Debug, Args)]
pub struct FitArgs {
    /// Passes over the training set.
    #[arg(long, default_value_t = 100)]
    pub epochs: usize,
    /// Rows per mini-batch.
    #[arg(long, default_value_t = 64)]
    pub batch_size: usize,
    /// Adam learning rate.
    #[arg(long, default_value_t = 1e-3, allow_negative_numbers = true)]
    pub lr: f64,
    /// Loss: xent (SLL's offset cross-entropy), ce or margin.
    #[arg(long, default_value = "xent")]
    pub loss: String,
    /// xent offset o, subtracted from the true-class logit [default: 2.1213·L,
    /// SLL's 3√2/2 scaled to the logits of an L-Lipschitz network].
    #[arg(long, allow_negative_numbers = true)]
    pub offset: Option<f64>,
    /// xent temperature T [default: 0.25·L].
    #[arg(long, allow_negative_numbers = true)]
    pub temperature: Option<f64>,
    /// margin-loss margin μ [default: 0.7·L].
    #[arg(long, allow_negative_numbers = true)]
    pub margin: Option<f64>,
    /// Learning-rate schedule: constant or triangular.
    #[arg(long, default_value = "constant")]
    pub schedule: String,
    /// Stop after this many optimizer steps.
    #[arg(long)]
    pub max_steps: Option<usize>,
    /// Seed for initialization, data split and shuffling.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// Arguments of `lipnet train`.
#[derive(Debug, Args)]
pub struct TrainArgs {
    /// Data source: embedded:<name>, uci121:<root>/<set>[#fold=k], csv:<path> or npy:<x>,<y>.
    #[arg(long)]
    pub data: String,
    #[command(flatten)]
    pub model: ModelArgs,
    #[command(flatten)]
    pub common: FitArgs,
    /// Save the trained model to this .safetensors file.
    #[arg(long)]
    pub out: Option<PathBuf>,
}

pub fn run(args: TrainArgs) -> anyhow::Result<ExitCode> {
    let source = DataSource::parse(&args.data)?;
    let result = train_and_report(&source, &args.model, &args.common, args.out.as_deref())?;
    print_outcome(&result, args.common.json)?;
    Ok(exit_code(&result.eval))
}

/// Returns 0 when every certificate check passed and 1 otherwise.
pub fn exit_code(eval: &EvalReport) -> ExitCode {
    if eval.verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}

/// Validates every flag, trains, evaluates on the test part and saves the model.
pub fn train_and_report(
    source: &DataSource,
    margs: &ModelArgs,
    fargs: &FitArgs,
    out: Option<&Path>,
) -> anyhow::Result<Outcome> {
    let start = Instant::now();
    let model_id = ModelId::parse(&margs.model)?;
    lipnet::model::check_lip(margs.lip)?;
    let train_params = fit_params(fargs, margs.lip)?;
    let train_config = train_params.clone().check()?;
    if let Some(path) = out {
        io::check_output_path(path)?;
        datasets::check_not_input(path, &source.input_files())?;
    }

    let prepared = data::prepare(source, fargs.seed)
        .with_context(|| format!("cannot load the data set {}", source.name()))?;
    data::check_classes(&prepared.train)?;
    let arch = arch_params(
        margs,
        model_id,
        prepared.train.x.ncols(),
        prepared.n_classes,
    )?
    .check()?;

    let mut store = tape::ParamStore::new();
    let mut rng = tape::rng::stream(fargs.seed, "init");
    let model = model::build(&arch, &mut store, &mut rng)?;
    tracing::info!(
        model = model_id.name(),
        n_train = prepared.train.x.nrows(),
        n_test = prepared.test.x.nrows(),
        "training started"
    );

    let bar = super::progress_bar(fargs.json, fargs.epochs as u64, model_id.name());
    let training = lipnet::train::train(
        model.as_ref(),
        &mut store,
        &prepared.train,
        &train_config,
        &bar,
    )?;
    let eval = report::evaluate(model.as_ref(), &store, &prepared.test, DEFAULT_MAX_BITS)?;

    if let Some(path) = out {
        let config = ModelConfig {
            format: io::FORMAT.to_string(),
            arch: arch.params().clone(),
            preprocessing: prepared.preprocessing.clone(),
            dataset: source.name(),
            seed: fargs.seed,
            training: serde_json::to_value(&train_params)?,
            classes: prepared.classes.clone(),
        };
        io::save(path, &config, &store)?;
        tracing::info!(path = %path.display(), "model saved");
    }

    Ok(Outcome {
        dataset: source.name(),
        n_train: prepared.train.x.nrows(),
        n_test: prepared.test.x.nrows(),
        n_features: prepared.train.x.ncols(),
        n_classes: prepared.n_classes,
        arch,
        epochs: fargs.epochs,
        seed: fargs.seed,
        training,
        eval,
        seconds: start.elapsed().as_secs_f64(),
    })
}

/// Builds the training settings. Loss scales default to their L = 1 values
/// times `lip`, because the logits of an L-Lipschitz network scale with L.
fn fit_params(f: &FitArgs, lip: f64) -> anyhow::Result<TrainParams> {
    let loss = match f.loss.as_str() {
        "xent" => Loss::Xent {
            offset: f.offset.unwrap_or(1.5 * std::f64::consts::SQRT_2 * lip),
            temperature: f.temperature.unwrap_or(0.25 * lip),
        },
        "ce" => Loss::Ce,
        "margin" => Loss::Margin {
            margin: f.margin.unwrap_or(0.7 * lip),
        },
        other => bail!("invalid --loss {other:?}: use xent, ce or margin"),
    };
    let schedule = match f.schedule.as_str() {
        "constant" => ScheduleKind::Constant,
        "triangular" => ScheduleKind::Triangular,
        other => bail!("invalid --schedule {other:?}: use constant or triangular"),
    };

    Ok(TrainParams {
        epochs: f.epochs,
        batch_size: f.batch_size,
        lr: f.lr,
        loss,
        schedule,
        max_steps: f.max_steps,
        seed: f.seed,
        ..TrainParams::default()
    })
}

fn arch_params(
    m: &ModelArgs,
    model: ModelId,
    n_in: usize,
    n_out: usize,
) -> anyhow::Result<ArchParams> {
    let Some(activation) = Activation::parse(&m.activation) else {
        bail!(
            "invalid --activation {:?}: use relu, elu or tanh",
            m.activation
        );
    };
    let Some(init) = Init::parse(&m.init) else {
        bail!("invalid --init {:?}: use reference or scaled10", m.init);
    };

    let mut p = ArchParams::new(model, n_in, n_out, m.widths.clone(), m.lip);
    p.activation = activation;
    p.init = init;
    p.freeze_alpha = m.freeze_alpha;
    Ok(p)
}
