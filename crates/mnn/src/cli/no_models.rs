//! Stand-ins for the model commands in a build without the `models` feature.

use anyhow::{Result, bail};
use clap::Args;

/// Accepts any arguments, so that the user receives the error below.
#[derive(Args)]
pub struct ModelArgs {
    #[arg(trailing_var_arg = true, allow_hyphen_values = true, hide = true)]
    rest: Vec<String>,
}

pub fn run(command: &str, _args: &ModelArgs) -> Result<()> {
    bail!(
        "`mnn {command}` needs the model runner, which this binary was built without; \
         rebuild with `cargo build --release -p mnn --features models`"
    )
}
