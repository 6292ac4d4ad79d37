//! `kata-dst`: deterministic simulation testing for Kata Containers' runtime-rs.
//!
//! This file parses the command line and dispatches; each command is one module, and
//! each prints what the library hands back.
#![forbid(unsafe_code)]

#[macro_use]
mod output;
mod args;
mod bench;
mod corpus;
mod explore;
mod matrix;
mod progress;
mod replay;
mod run;

use std::process::ExitCode;

use args::{Cli, Command};
use clap::Parser;

fn main() -> ExitCode {
    // Simulated errors carry no backtraces: capturing one per error would slow every run
    // and print build-dependent text into replays. RUST_LIB_BACKTRACE wins over
    // RUST_BACKTRACE for anyhow, so a panic still prints its backtrace.
    if std::env::var_os("RUST_LIB_BACKTRACE").is_none() {
        std::env::set_var("RUST_LIB_BACKTRACE", "0");
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => return output::usage_error(e),
    };
    let result = match cli.command {
        Some(Command::Run(a)) => run::run(a),
        None => run::run(cli.run),
        Some(Command::Replay(a)) => replay::replay(a),
        Some(Command::Explore(a)) => explore::explore(a),
        Some(Command::Matrix(a)) => matrix::matrix(a),
        Some(Command::Corpus(a)) => corpus::corpus(a),
        Some(Command::Bench(a)) => bench::bench(a),
    };
    output::finish(result)
}
