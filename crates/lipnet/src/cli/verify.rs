//! `lipnet verify`: re-check a saved model's certificate from its effective weights.

use anyhow::Context;
use clap::Args;
use lipnet::data::{self, DataSource};
use lipnet::model;
use lipnet::report::SAMPLED_SLACK;
use lipnet::verify;
use serde_json::json;
use std::path::PathBuf;
use std::process::ExitCode;

/// Arguments of `lipnet verify`.
#[derive(Debug, Args)]
pub struct VerifyArgs {
    /// Model file written by `lipnet train --out`.
    #[arg(long)]
    pub model: PathBuf,
    /// Evaluate Jacobians on the test rows of this data source instead of random points.
    #[arg(long)]
    pub data: Option<String>,
    /// Number of random N(0, 1) points for the sampled Jacobian check without --data.
    #[arg(long, default_value_t = 256)]
    pub points: usize,
    /// Run the exhaustive pattern bound when the hidden layers hold at most this many units.
    #[arg(long, default_value_t = verify::DEFAULT_MAX_BITS)]
    pub max_bits: usize,
    /// Seed of the random points.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

pub fn run(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    if a.max_bits > verify::HARD_MAX_BITS {
        anyhow::bail!(
            "invalid --max-bits {}: the exhaustive bound allows at most {} hidden units",
            a.max_bits,
            verify::HARD_MAX_BITS
        );
    }
    let (arch, config, mut store) = lipnet::io::load(&a.model)?;
    let net = model::attach(&arch, &mut store)?;
    let eff = net.effective(&store)?;
    let lip = net.lip_bound(&store)?;

    let points = match &a.data {
        Some(text) => {
            let source = DataSource::parse(text)?;
            let prepared = data::prepare_with(&source, config.seed, Some(&config.preprocessing))
                .with_context(|| format!("cannot load the data set {}", source.name()))?;
            lipnet::report::check_table(net.as_ref(), &prepared.test)?;
            prepared.test.x
        }
        None => {
            let mut rng = tape::rng::stream(a.seed, "verify-points");
            tape::rng::normal_mat(&mut rng, a.points, arch.n_in(), 1.0)
        }
    };

    let lmi = verify::lmi_max_eig(&eff, lip)?;
    let lmi_pass = verify::lmi_passes(lmi, lip);
    let sampled = verify::sampled_jacobian_max(&eff, points.as_ref())?;
    let bits: usize = arch.widths().iter().sum();
    let patterns = if bits <= a.max_bits {
        Some(verify::exhaustive(&eff, a.max_bits)?)
    } else {
        None
    };
    let naive = verify::naive_bound(&eff)?;

    let limit = lip * (1.0 + SAMPLED_SLACK);
    let exhaustive_pass = patterns.as_ref().is_none_or(|(v, _)| *v <= limit);
    let sampled_pass = sampled.max_norm <= limit;
    let verified = lmi_pass && exhaustive_pass && sampled_pass;

    let report = json!({
        "model": arch.model().name(),
        "variant": arch.model().variant().name(),
        "lip": lip,
        "lmi_max_eig": lmi,
        "lmi_pass": lmi_pass,
        "exhaustive": patterns.as_ref().map(|p| p.0),
        "worst_pattern": patterns.as_ref().map(|p| p.1.iter().map(|&b| u8::from(b)).collect::<Vec<_>>()),
        "sampled_jac_max": sampled.max_norm,
        "sampled_points": sampled.n_points,
        "naive_bound": naive,
        "verified": verified,
    });

    if a.json {
        println!("{report}");
    } else {
        println!(
            "model             {} ({}), L = {lip}",
            arch.model().name(),
            arch.model().variant().name()
        );
        println!(
            "LMI λ_max         {lmi:.3e}  {}",
            if lmi_pass { "PASS" } else { "FAIL" }
        );
        match &patterns {
            Some((v, _)) => println!(
                "exhaustive bound  {v:.6}  {}",
                if exhaustive_pass { "PASS" } else { "FAIL" }
            ),
            None => println!(
                "exhaustive bound  skipped ({bits} hidden units > --max-bits {})",
                a.max_bits
            ),
        }
        println!(
            "sampled ‖J‖ max   {:.6} over {} points  {}",
            sampled.max_norm,
            sampled.n_points,
            if sampled_pass { "PASS" } else { "FAIL" }
        );
        println!("naive bound       {naive:.6}");
        println!(
            "certificate       {}",
            if verified { "VERIFIED" } else { "FAILED" }
        );
    }

    Ok(if verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}
