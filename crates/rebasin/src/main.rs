//! `rebasin`: permutation alignment, merging and loss barriers from the command
//! line. Run `rebasin --help` for the subcommands.

mod cli;

fn main() {
    let code = cli::run();
    std::process::exit(code);
}
