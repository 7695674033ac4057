//! `rebasin train`: an MLP on the embedded digits data.

use std::path::PathBuf;

use anyhow::{Result, bail};
use clap::Args;
use rebasin::nn::Mlp;
use rebasin::train::{MAX_LAYERS, TrainParams, train_mlp};
use serde_json::json;

use super::{DataArgs, parse_dtype, set_float_dtype};

#[derive(Debug, Args)]
pub struct TrainArgs {
    #[command(flatten)]
    data: DataArgs,
    /// Architecture IN-WIDTHxDEPTH-OUT, for example 64-256x3-10.
    #[arg(long, default_value = "64-256x3-10")]
    arch: String,
    /// Passes over the training rows.
    #[arg(long, default_value_t = 60, allow_negative_numbers = true, value_parser = super::whole::<usize>)]
    epochs: usize,
    /// Learning rate of SGD.
    #[arg(long, default_value_t = 0.05, allow_negative_numbers = true)]
    lr: f64,
    /// Momentum μ of SGD (v = μv + g).
    #[arg(long, default_value_t = 0.9, allow_negative_numbers = true)]
    momentum: f64,
    /// Minibatch size; the last partial batch is kept.
    #[arg(long, default_value_t = 32, allow_negative_numbers = true, value_parser = super::whole::<usize>)]
    batch: usize,
    /// Seed of the initialisation; the shuffle uses seed + 1000.
    #[arg(long, default_value_t = 0, allow_negative_numbers = true, value_parser = super::whole::<u64>)]
    seed: u64,
    /// Output safetensors file.
    #[arg(short = 'o', long)]
    output: PathBuf,
    /// Dtype of the written tensors: f16, bf16, f32 or f64.
    #[arg(long, default_value = "f64")]
    dtype: String,
    /// Print the report as JSON on stdout.
    #[arg(long)]
    json: bool,
}

/// Parses `IN-WIDTHxDEPTH-OUT` or a plain dash-separated size list.
pub fn parse_arch(arch: &str) -> Result<Vec<usize>> {
    let parts: Vec<&str> = arch.split('-').collect();
    let invalid =
        || anyhow::anyhow!("invalid --arch {arch:?}: use IN-WIDTHxDEPTH-OUT such as 64-256x3-10");
    if parts.len() < 2 {
        return Err(invalid());
    }
    let mut sizes = Vec::new();
    for p in parts {
        if let Some((w, d)) = p.split_once('x') {
            let w: usize = w.parse().map_err(|_| invalid())?;
            let d: usize = d.parse().map_err(|_| invalid())?;
            if d > MAX_LAYERS {
                bail!(
                    "invalid --arch {arch:?}: depth {d} is above the limit of {MAX_LAYERS} layers"
                );
            }
            sizes.extend(std::iter::repeat_n(w, d));
        } else {
            sizes.push(p.parse().map_err(|_| invalid())?);
        }
    }
    if sizes.len() < 2 {
        bail!("invalid --arch {arch:?}: give at least input and output sizes");
    }
    Ok(sizes)
}

pub fn run(a: &TrainArgs) -> Result<()> {
    let inputs: Vec<&std::path::Path> = a.data.split.iter().map(PathBuf::as_path).collect();
    super::check_outputs(&[Some(a.output.as_path())], &inputs)?;
    let data = a.data.load()?;
    let dtype = parse_dtype(&a.dtype)?;
    let params = TrainParams {
        sizes: parse_arch(&a.arch)?,
        epochs: a.epochs,
        batch: a.batch,
        lr: a.lr,
        momentum: a.momentum,
        seed: a.seed,
    };
    let options = params.clone().check()?;
    let bar = super::progress(1, "training");
    let mut model = train_mlp(&options, data.train_x.as_ref(), &data.train_y)?;
    bar.finish_and_clear();
    let mlp = Mlp::from_model(&model)?;
    let (train_loss, train_acc) = mlp.loss_acc(data.train_x.as_ref(), &data.train_y);
    let (test_loss, test_acc) = mlp.loss_acc(data.test_x.as_ref(), &data.test_y);
    let report = json!({
        "arch": params.sizes, "epochs": a.epochs, "lr": a.lr, "momentum": a.momentum,
        "batch": a.batch, "seed": a.seed, "data": a.data.data,
        "split": a.data.split.as_ref().map(|p| p.display().to_string()),
        "train_loss": train_loss, "train_acc": train_acc,
        "test_loss": test_loss, "test_acc": test_acc,
    });
    model
        .metadata
        .insert("rebasin.train".into(), report.to_string());
    model
        .metadata
        .insert("rebasin.version".into(), env!("CARGO_PKG_VERSION").into());
    set_float_dtype(&mut model, dtype);
    rebasin::io::write_model(&a.output, &model)?;
    if a.json {
        super::say(serde_json::to_string_pretty(&report)?)?;
    } else {
        super::say(format_args!(
            "wrote {}: train loss {train_loss:.4} acc {:.2}%, test loss {test_loss:.4} acc {:.2}%",
            a.output.display(),
            100.0 * train_acc,
            100.0 * test_acc
        ))?;
    }
    Ok(())
}
