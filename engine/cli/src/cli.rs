//! The command line.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

#[derive(Debug, Parser)]
#[command(
    name = "winspect",
    version,
    about = "Policy-as-code for Windows container images"
)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Check rule packs and policies: names, types, duplicates; all diagnostics at once.
    Check {
        /// Rule pack folders, `.rules` files and `.policy` files.
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        #[arg(long, value_enum, default_value_t = ErrorFormat::Human)]
        error_format: ErrorFormat,
        /// Fail on warnings too.
        #[arg(long)]
        deny_warnings: bool,
    },
    /// Format rule files in place (or only check that they are formatted).
    Fmt {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// List the files that are not formatted and fail, changing nothing.
        #[arg(long)]
        check: bool,
    },
    /// Evaluate rule packs over an inventory and apply a policy.
    Eval {
        /// Inventory JSON, as `winspect inventory` writes it.
        #[arg(long)]
        inventory: PathBuf,
        /// Rule pack folders and `.rules` files.
        #[arg(long, required = true, num_args = 1..)]
        rules: Vec<PathBuf>,
        /// A `.policy` file; its policy decides the exit code.
        #[arg(long)]
        policy: Option<PathBuf>,
        /// Which policy to apply when the loaded files hold several.
        #[arg(long)]
        policy_name: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Table)]
        format: Format,
        /// Show why rules fired: the conditions and the values compared.
        /// `--explain=all` explains the rules that did not fire too.
        #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "fired")]
        explain: Option<ExplainArg>,
        /// Evaluate as of this date (YYYY-MM-DD) instead of today.
        #[arg(long)]
        now: Option<String>,
    },
    /// Run the tests of rule packs.
    Test {
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// Run the tests as of this date (YYYY-MM-DD) when they set none.
        #[arg(long)]
        now: Option<String>,
    },
    /// Print the JSON Schema of the inventory.
    Schema,
    /// Synthetic Windows images for tests and samples.
    Fixture {
        #[command(subcommand)]
        command: crate::cmd::fixture::FixtureCommand,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ErrorFormat {
    Human,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Format {
    Table,
    Json,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum ExplainArg {
    Fired,
    All,
}
