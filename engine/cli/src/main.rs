//! `winspect`: policy-as-code for Windows container images.
//!
//! Exit codes: 0 success; 1 the check failed (diagnostics, a denying
//! policy, failing rule tests, unformatted files); 2 the command could not
//! run (bad input, unreadable files).

mod cli;
mod cmd;
mod load;
mod output;
mod plugins;
mod report;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    let cli = cli::Cli::parse();
    let mut out = output::Output::stdio();
    let code = match cmd::run(cli, &mut out) {
        Ok(code) => code,
        Err(e) => {
            out.error(&format!("error: {e}"));
            cmd::Exit::Error
        }
    };
    ExitCode::from(code as u8)
}
