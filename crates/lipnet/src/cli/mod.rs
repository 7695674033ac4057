//! Command-line interface: argument types and dispatch.

mod bench;
mod demo;
mod eval;
mod output;
mod stress;
mod train;
mod uci;
mod verify;

use clap::{Parser, Subcommand};
use std::io::IsTerminal;
use std::process::ExitCode;

pub use output::one_sentence;

/// Train, evaluate and verify neural networks that are L-Lipschitz by construction.
#[derive(Debug, Parser)]
#[command(name = "lipnet", version, about)]
pub struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train a certified network on a data set shipped with lipnet and verify it.
    Demo(demo::DemoArgs),
    /// Train a network on a data source, evaluate it and optionally save it.
    Train(Box<train::TrainArgs>),
    /// Evaluate a saved model: clean and certified robust accuracy.
    Eval(eval::EvalArgs),
    /// Re-check a saved model's Lipschitz certificate.
    Verify(verify::VerifyArgs),
    /// Time training steps and forward passes (one thread).
    Bench(bench::BenchArgs),
    /// Run the UCI-121 benchmark and summarize its results.
    Uci(uci::UciArgs),
    /// Check the certificate on many random small networks (LMI and exhaustive patterns).
    Stress(stress::StressArgs),
}

impl Cli {
    /// Returns true when the command prints JSON on stdout.
    pub fn json_mode(&self) -> bool {
        match &self.command {
            Command::Demo(a) => a.json,
            Command::Train(a) => a.common.json,
            Command::Eval(a) => a.json,
            Command::Verify(a) => a.json,
            Command::Bench(a) => a.json,
            Command::Uci(a) => a.json(),
            Command::Stress(a) => a.json,
        }
    }
}

/// Sends `tracing` logs to stderr; `RUST_LOG` overrides the default level
/// (info, or warn when stdout carries JSON).
pub fn init_logging(json: bool) {
    let default = if json { "warn" } else { "info" };
    let filter = tracing_subscriber::EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new(default));
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal())
        .with_target(false)
        .init();
}

/// Runs the parsed command and returns its exit code: 0 on success, 1 when a
/// certificate check fails.
pub fn run(cli: Cli) -> anyhow::Result<ExitCode> {
    match cli.command {
        Command::Demo(a) => demo::run(a),
        Command::Train(a) => train::run(*a),
        Command::Eval(a) => eval::run(a),
        Command::Verify(a) => verify::run(a),
        Command::Bench(a) => bench::run(a),
        Command::Uci(a) => uci::run(a),
        Command::Stress(a) => stress::run(a),
    }
}

/// Returns a progress bar on stderr when it is a terminal and JSON is off.
pub fn progress_bar(json: bool, len: u64, what: &str) -> indicatif::ProgressBar {
    if json || !std::io::stderr().is_terminal() {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(len);
    let style = indicatif::ProgressStyle::with_template(
        "{prefix} [{bar:30}] {pos}/{len} epochs {msg} ({elapsed})",
    )
    .expect("valid progress template")
    .progress_chars("=> ");
    bar.set_style(style);
    bar.set_prefix(what.to_string());
    bar
}
