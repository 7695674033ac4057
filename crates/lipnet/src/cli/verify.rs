//! `lipnet verify`: re-check a saved model's certificate from its f64 description.

use anyhow::Context;
use clap::Args;
use lipnet::data::{self, DataSource};
use lipnet::model;
use lipnet::network::{Network, SlopeNet};
use lipnet::report::SAMPLED_SLACK;
use lipnet::verify::{self, PGD_SLACK, PgdParams};
use serde_json::{Value, json};
use std::path::PathBuf;
use std::process::ExitCode;

/// The checks `--method` accepts, in the order they run.
const METHODS: [&str; 5] = ["lmi", "patterns", "greedy", "sampled", "pgd"];

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
    /// Comma-separated checks: lmi (LDLᵀ models only), patterns (exhaustive),
    /// greedy, sampled, pgd.
    #[arg(long, default_value = "lmi,patterns,sampled,pgd")]
    pub method: String,
    /// Random start patterns of the greedy ascent (the data rows are used as well).
    #[arg(long, default_value_t = 16)]
    pub greedy_starts: usize,
    /// Starting points of the PGD search.
    #[arg(long, default_value_t = 32)]
    pub pgd_starts: usize,
    /// Gradient steps per PGD start.
    #[arg(long, default_value_t = 50)]
    pub pgd_steps: usize,
    /// Seed of the random points, patterns and PGD starts.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Print one JSON object on stdout instead of text.
    #[arg(long)]
    pub json: bool,
}

/// The outcome of the selected checks; `None` marks a check that did not run.
#[derive(Default)]
struct Checks {
    lmi: Option<(f64, bool)>,
    patterns: Option<(f64, Vec<bool>)>,
    greedy: Option<verify::PatternSearch>,
    sampled: Option<verify::SampledJacobian>,
    pgd: Option<verify::PgdResult>,
    skipped: Vec<String>,
}

/// Largest number of random points for the sampled Jacobian check.
const MAX_POINTS: usize = 1_000_000;

pub fn run(a: VerifyArgs) -> anyhow::Result<ExitCode> {
    let methods = parse_methods(&a.method)?;
    if a.max_bits > verify::HARD_MAX_BITS {
        anyhow::bail!(
            "invalid --max-bits {}: the exhaustive bound allows at most {} hidden units",
            a.max_bits,
            verify::HARD_MAX_BITS
        );
    }
    if !(1..=MAX_POINTS).contains(&a.points) {
        anyhow::bail!(
            "invalid --points {}: use between 1 and {MAX_POINTS} random points",
            a.points
        );
    }
    let pgd_config = PgdParams {
        starts: a.pgd_starts,
        steps: a.pgd_steps,
        seed: a.seed,
        ..PgdParams::default()
    }
    .check()?;

    let (arch, config, mut store) = lipnet::io::load(&a.model)?;
    let net = model::attach(&arch, &mut store)?;
    let network = net.network(&store)?;
    let lip = net.lip_bound(&store)?;

    let (points, data_rows) = match &a.data {
        Some(text) => {
            let source = DataSource::parse(text)?;
            let prepared = data::prepare_with(&source, config.seed, Some(config.saved()))
                .with_context(|| format!("cannot load the data set {}", source.name()))?;
            lipnet::report::check_table(net.as_ref(), &prepared.test)?;
            (prepared.test.x, true)
        }
        None => {
            let mut rng = tape::rng::stream(a.seed, "verify-points");
            let x = tape::rng::normal_mat(&mut rng, a.points, arch.n_in(), 1.0);
            (x, false)
        }
    };

    let mut checks = Checks::default();
    let bits: usize = network.slope_widths().iter().sum();
    for method in &methods {
        match *method {
            "lmi" => match network.effective() {
                Some(eff) => {
                    let value = verify::lmi_max_eig(eff, lip)?;
                    checks.lmi = Some((value, verify::lmi_passes(value, lip)));
                }
                None => checks
                    .skipped
                    .push("lmi (the model has no LDLᵀ form)".into()),
            },
            "patterns" if bits <= a.max_bits => {
                checks.patterns = Some(verify::exhaustive(&network, a.max_bits)?);
            }
            "patterns" => checks.skipped.push(format!(
                "patterns ({bits} hidden units > --max-bits {})",
                a.max_bits
            )),
            "greedy" => {
                let data = data_rows.then_some(points.as_ref());
                let starts = verify::pattern_starts(&network, data, a.greedy_starts, a.seed);
                checks.greedy = Some(verify::greedy_patterns(&network, &starts)?);
            }
            "sampled" => {
                checks.sampled = Some(verify::sampled_jacobian_max(&network, points.as_ref())?);
            }
            _ => {
                let data = data_rows.then_some(points.as_ref());
                checks.pgd = Some(verify::pgd_search(&network, data, &pgd_config));
            }
        }
    }

    let verified = passes(&checks, lip);
    let report = to_json(&arch, &network, lip, &checks, verified);
    if a.json {
        println!("{report}");
    } else {
        print_text(&arch, lip, &checks, verified);
    }
    Ok(if verified {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn parse_methods(text: &str) -> anyhow::Result<Vec<&'static str>> {
    let mut out = Vec::new();
    for name in text.split(',').map(str::trim) {
        let Some(m) = METHODS.iter().find(|m| **m == name) else {
            anyhow::bail!(
                "invalid --method {name:?}: use a comma-separated list of {}",
                METHODS.join(", ")
            );
        };
        if !out.contains(m) {
            out.push(*m);
        }
    }
    Ok(out)
}

/// Returns true when no check that ran refutes the bound `lip`.
fn passes(c: &Checks, lip: f64) -> bool {
    let limit = lip * (1.0 + SAMPLED_SLACK);
    c.lmi.is_none_or(|(_, pass)| pass)
        && c.patterns.as_ref().is_none_or(|(v, _)| *v <= limit)
        && c.greedy.as_ref().is_none_or(|g| g.bound <= limit)
        && c.sampled.as_ref().is_none_or(|s| s.max_norm <= limit)
        && c.pgd
            .as_ref()
            .is_none_or(|p| p.ratio <= lip * (1.0 + PGD_SLACK))
}

fn bits_json(pattern: &[bool]) -> Vec<u8> {
    pattern.iter().map(|&b| u8::from(b)).collect()
}

fn to_json(arch: &model::Arch, network: &Network, lip: f64, c: &Checks, verified: bool) -> Value {
    json!({
        "model": arch.model().name(),
        "variant": arch.model().variant().name(),
        "lip": lip,
        "lmi_max_eig": c.lmi.map(|l| l.0),
        "lmi_pass": c.lmi.map(|l| l.1),
        "exhaustive": c.patterns.as_ref().map(|p| p.0),
        "worst_pattern": c.patterns.as_ref().map(|p| bits_json(&p.1)),
        "greedy": c.greedy.as_ref().map(|g| g.bound),
        "greedy_pattern": c.greedy.as_ref().map(|g| bits_json(&g.pattern)),
        "sampled_jac_max": c.sampled.as_ref().map(|s| s.max_norm),
        "sampled_points": c.sampled.as_ref().map(|s| s.n_points),
        "pgd_ratio": c.pgd.as_ref().map(|p| p.ratio),
        "pgd_pair": c.pgd.as_ref().map(|p| json!({"x": p.x, "x_prime": p.x_prime})),
        "naive_bound": network.naive_bound().ok(),
        "skipped": c.skipped,
        "verified": verified,
    })
}

fn print_text(arch: &model::Arch, lip: f64, c: &Checks, verified: bool) {
    let limit = lip * (1.0 + SAMPLED_SLACK);
    let pf = |ok: bool| if ok { "PASS" } else { "FAIL" };
    println!(
        "model             {} ({}), L = {lip}",
        arch.model().name(),
        arch.model().variant().name()
    );
    if let Some((v, pass)) = c.lmi {
        println!("LMI λ_max         {v:.3e}  {}", pf(pass));
    }
    if let Some((v, _)) = &c.patterns {
        println!("exhaustive bound  {v:.6}  {}", pf(*v <= limit));
    }
    if let Some(g) = &c.greedy {
        println!(
            "greedy patterns   {:.6} from {} starts  {}",
            g.bound,
            g.starts,
            pf(g.bound <= limit)
        );
    }
    if let Some(s) = &c.sampled {
        println!(
            "sampled ‖J‖ max   {:.6} over {} points  {}",
            s.max_norm,
            s.n_points,
            pf(s.max_norm <= limit)
        );
    }
    if let Some(p) = &c.pgd {
        println!(
            "PGD ratio         {:.6} over {} pairs  {}",
            p.ratio,
            p.evaluations,
            pf(p.ratio <= lip * (1.0 + PGD_SLACK))
        );
    }
    for s in &c.skipped {
        println!("skipped           {s}");
    }
    println!(
        "certificate       {}",
        if verified { "VERIFIED" } else { "FAILED" }
    );
}
