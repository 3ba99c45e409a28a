//! One module per subcommand.

mod cache;
mod check;
mod eval;
pub mod fixture;
mod fmt;
mod inventory;
mod registry;
mod scan;
mod schema;
mod test;

use crate::cli::{CacheCommand, Cli, Command};
use crate::output::Output;

/// How a command ended; the process exit code.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    Ok = 0,
    /// The check failed: diagnostics, a denying policy, failing tests.
    Failed = 1,
    /// The command could not run: bad input, unreadable files.
    Error = 2,
}

/// An error that stops a command; printed as `error: ...`, exit code 2.
pub type Error = Box<dyn std::error::Error>;

pub fn run(cli: Cli, out: &mut Output) -> Result<Exit, Error> {
    match cli.command {
        Command::Check {
            paths,
            error_format,
            deny_warnings,
        } => check::run(&paths, error_format, deny_warnings, out),
        Command::Fmt { paths, check } => fmt::run(&paths, check, out),
        Command::Eval { inventory, judge } => eval::run(&inventory, &judge, out),
        Command::Scan {
            image,
            judge,
            inventory_out,
            image_args,
        } => scan::run(
            &scan::Args {
                image: &image,
                judge: &judge,
                inventory_out: inventory_out.as_deref(),
                image_args: &image_args,
            },
            out,
        ),
        Command::Inventory {
            image,
            output,
            image_args,
        } => inventory::run(&image, output.as_deref(), &image_args, out),
        Command::Cache { command } => match command {
            CacheCommand::Ls { cache_dir } => cache::ls(cache_dir.as_ref(), out),
            CacheCommand::Prune {
                older_than,
                cache_dir,
            } => cache::prune(older_than, cache_dir.as_ref(), out),
        },
        Command::Registry {
            hive,
            deltas,
            key,
            json,
        } => registry::run(&hive, &deltas, key.as_deref(), json, out),
        Command::Test { paths, now } => test::run(&paths, now.as_deref(), out),
        Command::Schema => schema::run(out),
        Command::Fixture { command } => fixture::run(command, out),
    }
}

/// Prints diagnostics in the chosen format; returns (errors, warnings).
pub fn print_diagnostics(
    sources: &winspect_lang::SourceMap,
    diagnostics: &[winspect_lang::Diagnostic],
    format: crate::cli::ErrorFormat,
    out: &mut Output,
) -> (usize, usize) {
    let errors = diagnostics.iter().filter(|d| d.is_error()).count();
    let warnings = diagnostics.len() - errors;
    match format {
        crate::cli::ErrorFormat::Human => {
            for d in diagnostics {
                out.error_raw(&winspect_lang::render(sources, d));
                out.error("");
            }
        }
        crate::cli::ErrorFormat::Json => {
            let items: Vec<winspect_lang::JsonDiagnostic> = diagnostics
                .iter()
                .map(|d| winspect_lang::JsonDiagnostic::new(sources, d))
                .collect();
            out.print(&serde_json::to_string_pretty(&items).unwrap_or_else(|_| "[]".to_owned()));
        }
    }
    (errors, warnings)
}

/// Checks the sources; prints diagnostics; returns the program if there is
/// no error.
pub fn compile(
    sources: &winspect_lang::SourceMap,
    today: winspect_inventory::Date,
    out: &mut Output,
) -> Option<winspect_lang::Program> {
    let checked = check_sources(sources, today);
    print_diagnostics(
        sources,
        &checked.diagnostics,
        crate::cli::ErrorFormat::Human,
        out,
    );
    checked.program
}

/// Checks the sources with the file and plugin loaders of the command line.
pub fn check_sources(
    sources: &winspect_lang::SourceMap,
    today: winspect_inventory::Date,
) -> winspect_lang::Checked {
    let inventories = crate::load::test_inventory;
    let plugins = crate::plugins::Loader::default();
    let load_plugin = |file: &str, path: &str, sha: &str| plugins.load(file, path, sha);
    let options = winspect_lang::CheckOptions {
        today: Some(today),
        load_inventory: Some(&inventories),
        load_plugin: Some(&load_plugin),
    };
    winspect_lang::check(sources, &options)
}

fn plural(n: usize, word: &str) -> String {
    if n == 1 {
        format!("{n} {word}")
    } else {
        format!("{n} {word}s")
    }
}
