//! Argument parsing, shared helpers and dispatch of the `rebasin` subcommands.

mod analyze;
mod barrier;
mod bench;
mod matching;
mod merge;
mod train;

use std::io::IsTerminal;
use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::{Args, Parser, Subcommand, ValueEnum};
use rebasin::cnn::{Cnn, Image, repair_batchnorm};
use rebasin::data::{Digits, Split};
use rebasin::model::{Dtype, Model};
use rebasin::nn::Mlp;
use rebasin::spec::{Layout, PermSpec};

/// Permutation alignment of neural networks (Git Re-Basin weight matching),
/// merging of N models and loss barriers along linear paths.
#[derive(Debug, Parser)]
#[command(name = "rebasin", version)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train an MLP on the embedded 8×8 digits data.
    Train(train::TrainArgs),
    /// Align model B to model A and write π(B).
    Match(matching::MatchArgs),
    /// Merge N ≥ 2 models into one.
    Merge(merge::MergeArgs),
    /// Loss and accuracy along the linear path between two models.
    Barrier(barrier::BarrierArgs),
    /// Singular values and singular-vector alignment before and after matching.
    Analyze(analyze::AnalyzeArgs),
    /// Time weight matching on the portable MLP pair with replayed orders.
    Bench(bench::BenchArgs),
}

/// Options that choose the permutation spec.
#[derive(Debug, Args)]
struct SpecArgs {
    /// Spec preset (`mlp`, `vgg`, `resnet20`) or the path of a rebasin-spec/1 JSON file.
    #[arg(long, default_value = "mlp")]
    spec: String,
    /// Tensor layout of the mlp preset.
    #[arg(long, value_enum, default_value_t = LayoutArg::Torch)]
    layout: LayoutArg,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
enum LayoutArg {
    /// PyTorch: `layers.{i}.weight` is (out, in).
    Torch,
    /// Flax: `Dense_{i}/kernel` is (in, out).
    Flax,
}

impl SpecArgs {
    /// Rejects a model that is not the built-in MLP under `--spec mlp` (the
    /// default) when its tensor names match a convolutional preset, naming
    /// that preset. Other models pass and meet the usual checks later.
    fn check_mlp_names(&self, model: &Model, path: &Path) -> Result<()> {
        if self.spec != "mlp" || Mlp::from_model(model).is_ok() {
            return Ok(());
        }
        if let Some(preset) = preset_by_names(model) {
            bail!(
                "{} has no layers.0.weight, so it is not the MLP that --spec mlp (the default) \
                 describes; its tensor names match the {preset} preset: pass --spec {preset}",
                path.display()
            );
        }
        Ok(())
    }
}

/// Returns the convolutional preset whose tensor names `model` uses:
/// `resnet20` for `conv1.weight` with `layer1.*` blocks, `vgg` for
/// `features.*` or `classifier.*` tensors.
fn preset_by_names(model: &Model) -> Option<&'static str> {
    let names = model.natural_names();
    if model.get("conv1.weight").is_some() && names.iter().any(|n| n.starts_with("layer1.")) {
        return Some("resnet20");
    }
    if names
        .iter()
        .any(|n| n.starts_with("features.") || n.starts_with("classifier."))
    {
        return Some("vgg");
    }
    None
}

/// Data options of commands that evaluate MLPs.
#[derive(Debug, Args)]
struct DataArgs {
    /// Data set; only the embedded `digits` is available.
    #[arg(long, default_value = "digits")]
    data: String,
    /// `digits_split.json` with the reference train/test split; without it a
    /// seeded split of our own is drawn (not the reference one).
    #[arg(long)]
    split: Option<PathBuf>,
    /// Seed of our own split when `--split` is absent.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = whole::<u64>)]
    split_seed: u64,
}

impl DataArgs {
    fn load(&self) -> Result<Digits> {
        if self.data != "digits" {
            bail!("unknown data set {:?}: use --data digits", self.data);
        }
        let split = match &self.split {
            Some(path) => Split::from_file(path)?,
            None => Split::seeded(self.split_seed),
        };
        Ok(Digits::load(&split)?)
    }
}

/// Options of the straight-through estimator.
#[derive(Debug, Args)]
struct SteArgs {
    /// STE: passes over the training rows.
    #[arg(long, default_value_t = 20, allow_negative_numbers = true, value_parser = whole::<usize>)]
    ste_epochs: usize,
    /// STE: SGD learning rate.
    #[arg(long, default_value_t = 0.01, allow_negative_numbers = true)]
    ste_lr: f64,
    /// STE: minibatch size (the last partial batch is dropped).
    #[arg(long, default_value_t = 64, allow_negative_numbers = true, value_parser = whole::<usize>)]
    ste_batch: usize,
    /// STE: keep the permutations with the lowest minibatch loss above the
    /// endpoints' mean (`best`) or the last.
    #[arg(long, default_value = "best")]
    keep: String,
}

impl SteArgs {
    /// Validates the options into STE hyper-parameters with `seed`.
    fn options(&self, seed: u64) -> Result<rebasin::ste::SteOptions> {
        let keep_best = match self.keep.as_str() {
            "best" => true,
            "last" => false,
            other => bail!("invalid --keep {other:?}: use best or last"),
        };
        let params = rebasin::ste::SteParams {
            epochs: self.ste_epochs,
            batch: self.ste_batch,
            lr: self.ste_lr,
            seed,
            keep_best,
            ..rebasin::ste::SteParams::default()
        };
        Ok(params.check()?)
    }
}

/// BatchNorm options of commands that evaluate models.
#[derive(Debug, Args)]
struct BnArgs {
    /// Recompute the BatchNorm running statistics on the training split before
    /// every evaluation (vgg and resnet20 models; merge also writes the repaired model).
    #[arg(long)]
    bn_repair: bool,
    /// Rows per minibatch of the BatchNorm repair pass.
    #[arg(long, default_value_t = 256, allow_negative_numbers = true, value_parser = whole::<usize>)]
    bn_batch: usize,
}

/// The built-in forward pass chosen by `--spec`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Forward {
    Mlp,
    Vgg,
    ResNet,
}

/// Digits images are one 8×8 channel.
const DIGITS_IMAGE: Image = Image { c: 1, h: 8, w: 8 };

/// Loss and accuracy of models on the digits data through a built-in forward.
struct Evaluator<'d> {
    forward: Forward,
    data: &'d Digits,
    bn_batch: Option<usize>,
}

impl<'d> Evaluator<'d> {
    fn new(spec: &SpecArgs, bn: &BnArgs, data: &'d Digits) -> Result<Self> {
        let forward = match spec.spec.as_str() {
            "vgg" => Forward::Vgg,
            "resnet20" => Forward::ResNet,
            _ => Forward::Mlp,
        };
        if bn.bn_repair && forward == Forward::Mlp {
            bail!(
                "--bn-repair needs a BatchNorm network: pass --spec vgg or --spec resnet20 (the built-in MLP has no BatchNorm)"
            );
        }
        if bn.bn_repair && bn.bn_batch == 0 {
            bail!("invalid --bn-batch 0: use a batch size ≥ 1 such as 256");
        }
        Ok(Self {
            forward,
            data,
            bn_batch: bn.bn_repair.then_some(bn.bn_batch),
        })
    }

    fn cnn<'m>(&self, m: &'m Model) -> rebasin::Result<Cnn<'m>> {
        match self.forward {
            Forward::Vgg => Cnn::vgg(m),
            _ => Cnn::resnet(m),
        }
    }

    /// Returns `m` with repaired BatchNorm statistics when `--bn-repair` is set.
    fn prepare(&self, m: &Model) -> rebasin::Result<Model> {
        match (self.forward, self.bn_batch) {
            (Forward::Mlp, _) | (_, None) => Ok(m.clone()),
            (_, Some(batch)) => {
                let x = self.data.train_x.as_ref();
                repair_batchnorm(&self.cnn(m)?, x, DIGITS_IMAGE, batch)
            }
        }
    }

    /// Returns (mean cross-entropy, accuracy) on the training or test split.
    fn loss_acc(&self, m: &Model, train: bool) -> rebasin::Result<(f64, f64)> {
        let (x, y) = if train {
            (self.data.train_x.as_ref(), &self.data.train_y)
        } else {
            (self.data.test_x.as_ref(), &self.data.test_y)
        };
        let m = self.prepare(m)?;
        match self.forward {
            Forward::Mlp => Ok(Mlp::from_model(&m)?.loss_acc(x, y)),
            _ => self.cnn(&m)?.loss_acc(x, DIGITS_IMAGE, y),
        }
    }
}

impl SpecArgs {
    /// The spec file, when `--spec` names a file rather than a preset.
    fn file(&self) -> Option<&Path> {
        match self.spec.as_str() {
            "mlp" | "vgg" | "resnet20" => None,
            path => Some(Path::new(path)),
        }
    }

    /// Resolves the spec for `model`.
    fn resolve(&self, model: &Model) -> Result<PermSpec> {
        match self.spec.as_str() {
            "mlp" => {
                let layout = match self.layout {
                    LayoutArg::Torch => Layout::Torch,
                    LayoutArg::Flax => Layout::Flax,
                };
                Ok(PermSpec::mlp(model, layout)?)
            }
            "vgg" => Ok(PermSpec::vgg(model)?),
            "resnet20" => Ok(PermSpec::resnet20(model)?),
            path => {
                let value: serde_json::Value = rebasin::io::read_json(Path::new(path))?;
                let spec = PermSpec::from_json(&value)?;
                spec.check_covers(model)?;
                Ok(spec)
            }
        }
    }
}

/// Parses a whole-number flag value, so that a negative or fractional value gets
/// one clear message.
fn whole<T: std::str::FromStr>(s: &str) -> std::result::Result<T, String> {
    s.parse()
        .map_err(|_| format!("{s:?} is not a whole number ≥ 0; pass one such as 10"))
}

/// Reads a JSON file.
fn read_json_value(path: &Path) -> Result<serde_json::Value> {
    Ok(rebasin::io::read_json(path)?)
}

/// Reads a model, naming the file in the error.
fn read_model(path: &Path) -> Result<Model> {
    Ok(rebasin::io::read_model(path)?)
}

/// Checks every output path before any work: none may be an input or name
/// the same file as another output, each must be absent or a regular file,
/// and its folder must exist.
fn check_outputs(outputs: &[Option<&Path>], inputs: &[&Path]) -> Result<()> {
    let outputs: Vec<&Path> = outputs.iter().flatten().copied().collect();
    for (i, path) in outputs.iter().enumerate() {
        datasets::check_not_input(path, inputs)?;
        datasets::check_replaceable(path)?;
        if outputs[..i].contains(path) {
            bail!(
                "{} is given for two outputs; give each output its own file",
                path.display()
            );
        }
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if let Some(folder) = parent.filter(|p| !p.is_dir()) {
            bail!(
                "folder {} does not exist; create it or choose another output path",
                folder.display()
            );
        }
    }
    Ok(())
}

/// Writes JSON to `path` through a temporary file and a rename.
fn write_json(path: &Path, value: &serde_json::Value) -> Result<()> {
    let text = serde_json::to_string_pretty(value).context("JSON encoding failed")?;
    rebasin::io::write_atomic(path, text.as_bytes())?;
    Ok(())
}

/// Sets every float tensor's dtype to `dtype` (values are rounded when written).
fn set_float_dtype(model: &mut Model, dtype: Dtype) {
    for t in model.tensors.values_mut() {
        if t.is_float() {
            t.dtype = dtype;
        }
    }
}

/// Parses `f16|bf16|f32|f64`.
fn parse_dtype(s: &str) -> Result<Dtype> {
    match s {
        "f16" => Ok(Dtype::F16),
        "bf16" => Ok(Dtype::BF16),
        "f32" => Ok(Dtype::F32),
        "f64" => Ok(Dtype::F64),
        other => bail!("invalid --dtype {other:?}: use f16, bf16, f32 or f64"),
    }
}

/// Returns a progress bar on a terminal, a hidden one otherwise.
fn progress(len: u64, what: &str) -> indicatif::ProgressBar {
    if !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    bar.set_message(what.to_string());
    bar
}

/// Parses the arguments, runs the command and returns the exit code.
pub fn run() -> i32 {
    let cli = Cli::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .with_ansi(std::io::IsTerminal::is_terminal(&std::io::stderr()))
        .init();
    let result = match cli.command {
        Command::Train(a) => train::run(&a),
        Command::Match(a) => matching::run(&a),
        Command::Merge(a) => merge::run(&a),
        Command::Barrier(a) => barrier::run(&a),
        Command::Analyze(a) => analyze::run(&a),
        Command::Bench(a) => bench::run(&a),
    };
    match result {
        Ok(()) => 0,
        // The reader of stdout went away (`rebasin ... | head`): nothing to report.
        Err(e) if is_broken_pipe(&e) => 0,
        Err(e) => {
            eprintln!("error: {e}");
            1
        }
    }
}

/// `n` and the noun, plural unless `n` is 1: "1 round", "3 rounds".
fn count(n: usize, noun: &str) -> String {
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Writes `text` and a newline to stdout.
///
/// # Errors
/// The write error, for example a broken pipe when the reader has exited.
fn say(text: impl std::fmt::Display) -> Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}")
        .and_then(|()| out.flush())
        .context("writing to stdout failed")
}

fn is_broken_pipe(e: &anyhow::Error) -> bool {
    e.chain().any(|cause| {
        cause
            .downcast_ref::<std::io::Error>()
            .is_some_and(|io| io.kind() == std::io::ErrorKind::BrokenPipe)
    })
}
