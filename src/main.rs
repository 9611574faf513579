//! The `yafgate` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

#[tokio::main]
async fn main() -> ExitCode {
    yafgate::cli::run(yafgate::cli::Cli::parse()).await
}
