//! `folio`: the one binary. Parses the command line and environment, then hands over to the
//! library crates. Nothing else lives here.

mod cli;
mod commands;
mod config;
mod logging;

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;

/// mimalloc instead of the system allocator: a page of 500 notes makes thousands of small
/// allocations, and glibc's malloc was about a sixth of the CPU profile of `GET /`.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() -> ExitCode {
    let started = Instant::now();
    let cli = cli::Cli::parse();
    let config = match config::Config::from_cli(&cli) {
        Ok(config) => config,
        Err(err) => {
            // Configuration errors are one line that names the variable.
            eprintln!("error: {err}");
            return ExitCode::from(2);
        }
    };
    if let Err(err) = logging::init(&config.log) {
        eprintln!("error: {err}");
        return ExitCode::from(2);
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(runtime) => runtime,
        Err(err) => {
            eprintln!("error: could not start the async runtime: {err}");
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(commands::run(cli.command.unwrap_or_default(), config, started)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}
