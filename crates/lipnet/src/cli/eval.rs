//! `lipnet eval`: accuracy and certified robust accuracy of a saved model.

use super::output::print_eval;
use anyhow::Context;
use clap::Args;
use lipnet::data::{self, DataSource};
use lipnet::metrics::{certified_accuracy, parse_eps};
use lipnet::model;
use lipnet::network::SlopeNet;
use lipnet::report;
use lipnet::verify::DEFAULT_MAX_BITS;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `lipnet eval`.
#[derive(Debug, Args)]
pub struct EvalArgs {
    /// Model file written by `lipnet train --out`.
    #[arg(long)]
    pub model: PathBuf,
    /// Data source, split with the model's saved seed; its test part is evaluated
    /// with the model's saved preprocessing. Use the source the model was trained on.
    #[arg(long)]
    pub data: String,
    /// Extra radii, comma-separated, as decimals or fractions such as 36/255.
    #[arg(long, value_delimiter = ',')]
    pub eps: Vec<String>,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: EvalArgs) -> anyhow::Result<ExitCode> {
    let extra: Vec<(String, f64)> = a
        .eps
        .iter()
        .map(|t| parse_eps(t).map(|v| (t.clone(), v)))
        .collect::<Result<_, _>>()?;
    let (arch, config, mut store) = lipnet::io::load(&a.model)?;
    let net = model::attach(&arch, &mut store)?;

    let source = DataSource::parse(&a.data)?;
    let prepared = data::prepare_with(&source, config.seed, Some(config.saved()))
        .with_context(|| format!("cannot load the data set {}", source.name()))?;
    let mut eval = report::evaluate(net.as_ref(), &store, &prepared.test, DEFAULT_MAX_BITS)?;

    let z = net.network(&store)?.forward(prepared.test.x.as_ref());
    for (label, eps) in &extra {
        let value = certified_accuracy(z.as_ref(), &prepared.test.y, eval.lip_bound, *eps);
        eval.cra.insert(label.clone(), value);
    }

    if a.json {
        let mut out = serde_json::to_value(&eval)?;
        out["model"] = json!(arch.model().name());
        out["dataset"] = json!(source.name());
        out["n_test"] = json!(prepared.test.x.nrows());
        println!("{out}");
    } else {
        println!(
            "data      {}: {} test rows",
            source.name(),
            prepared.test.x.nrows()
        );
        print_eval(&eval);
        for (label, _) in &extra {
            println!("certified accuracy ε={label:<8} {:.4}", eval.cra[label]);
        }
    }
    Ok(super::train::exit_code(&eval))
}
