//! The `lipnet` command-line tool.

mod cli;

use clap::Parser;
use std::process::ExitCode;

fn main() -> ExitCode {
    datasets::pipe::restore_default_sigpipe();
    let args = cli::Cli::parse();
    cli::init_logging(args.json_mode());

    match cli::run(args) {
        Ok(code) => code,
        Err(err) => {
            eprintln!("error: {}", cli::one_sentence(&err));
            ExitCode::from(2)
        }
    }
}
