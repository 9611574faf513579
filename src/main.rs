//! The `yafgate` binary: parse the command line and hand over to the library.

use std::process::ExitCode;

use clap::Parser;

// The request path allocates many small, short-lived buffers (bodies, JSON,
// envelopes); mimalloc serves them faster than glibc's malloc (measured with
// scripts/bench, see the commit).
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

#[tokio::main]
async fn main() -> ExitCode {
    yafgate::app::cli::run(yafgate::app::cli::Cli::parse()).await
}
