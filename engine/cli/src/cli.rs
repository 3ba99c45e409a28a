//! The command line.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

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
        #[command(flatten)]
        judge: JudgeArgs,
    },
    /// Read an image, build its inventory and evaluate rule packs over it.
    Scan {
        /// The image: a registry reference (`REGISTRY/REPO:TAG` or
        /// `...@sha256:...`), an OCI layout directory or tar, or a `docker
        /// save` archive.
        image: String,
        #[command(flatten)]
        judge: JudgeArgs,
        /// Also write the inventory (JSON) to this file.
        #[arg(long, value_name = "FILE")]
        inventory_out: Option<PathBuf>,
        #[command(flatten)]
        image_args: ImageArgs,
    },
    /// Read an image and write its inventory (JSON).
    Inventory {
        /// The image: a registry reference (`REGISTRY/REPO:TAG` or
        /// `...@sha256:...`), an OCI layout directory or tar, or a `docker
        /// save` archive.
        image: String,
        /// Write the inventory to this file instead of stdout.
        #[arg(short, long, value_name = "FILE")]
        output: Option<PathBuf>,
        #[command(flatten)]
        image_args: ImageArgs,
    },
    /// Manage the layer cache.
    Cache {
        #[command(subcommand)]
        command: CacheCommand,
    },
    /// Dump a registry hive, or a base hive merged with layer delta hives.
    Registry {
        /// A hive file (a base hive, or a layer's `*_Delta` hive).
        hive: PathBuf,
        /// A layer's delta hive to merge on top, in layer order (repeatable).
        #[arg(long = "delta", value_name = "FILE")]
        deltas: Vec<PathBuf>,
        /// Dump only this key and what lies below it (a path below the
        /// hive's root, e.g. `Microsoft\Windows NT\CurrentVersion`).
        #[arg(long, value_name = "PATH")]
        key: Option<String>,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
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

/// What `eval` and `scan` share: the rules, the policy, the report.
#[derive(Debug, Args)]
pub struct JudgeArgs {
    /// Rule pack folders and `.rules` files.
    #[arg(long, required = true, num_args = 1..)]
    pub rules: Vec<PathBuf>,
    /// A `.policy` file; its policy decides the exit code.
    #[arg(long)]
    pub policy: Option<PathBuf>,
    /// Which policy to apply when the loaded files hold several.
    #[arg(long)]
    pub policy_name: Option<String>,
    #[arg(long, value_enum, default_value_t = Format::Table)]
    pub format: Format,
    /// Show why rules fired: the conditions and the values compared.
    /// `--explain=all` explains the rules that did not fire too.
    #[arg(long, value_enum, num_args = 0..=1, default_missing_value = "fired")]
    pub explain: Option<ExplainArg>,
    /// Evaluate as of this date (YYYY-MM-DD) instead of today.
    #[arg(long)]
    pub now: Option<String>,
}

/// How to read an image.
#[derive(Debug, Args)]
pub struct ImageArgs {
    /// Which image of a multi-platform index to read, as OS/ARCH.
    #[arg(long, value_name = "OS/ARCH", default_value = "windows/amd64")]
    pub platform: String,
    /// Only an image whose `os.version` starts with this, e.g. `10.0.17763`
    /// (ltsc2019) or `10.0.20348` (ltsc2022).
    #[arg(long, value_name = "PREFIX")]
    pub os_version: Option<String>,
    /// Fetch foreign (non-distributable) layers, such as old Windows base
    /// layers, that the source does not hold: from the registry, else from
    /// their URLs (HTTPS; plain HTTP only for loopback hosts or with
    /// `--insecure`). Without it they are skipped and the inventory is
    /// partial.
    #[arg(long)]
    pub allow_foreign: bool,
    /// Read layers whose bytes do not match their digest (trimmed or edited
    /// archives) instead of failing; the inventory is then marked partial.
    #[arg(long)]
    pub allow_unverified_layers: bool,
    /// Allow plain HTTP to a registry, or a foreign layer's URL, that is not
    /// on a loopback address.
    #[arg(long)]
    pub insecure: bool,
    /// Registry user name; the password is read from standard input.
    #[arg(long, requires = "password_stdin")]
    pub username: Option<String>,
    /// Read the registry password from standard input (with `--username`).
    #[arg(long, requires = "username")]
    pub password_stdin: bool,
    /// The layer cache directory (default: `$WINSPECT_CACHE_DIR`, else the
    /// user's cache directory).
    #[arg(long, value_name = "DIR", conflicts_with = "no_cache")]
    pub cache_dir: Option<PathBuf>,
    /// Read every layer; neither use nor fill the cache.
    #[arg(long)]
    pub no_cache: bool,
    /// Refuse a layer blob larger than this, e.g. `2GiB` (default 32 GiB).
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_layer_size: Option<u64>,
    /// Stop a layer that decompresses to more than this, e.g. `16GiB`
    /// (default 64 GiB): a decompression bomb stops here.
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_unpacked_size: Option<u64>,
}

/// A size as people write it: `4096`, `512KiB`, `2MiB`, `32GiB`, `1G`.
fn parse_size(text: &str) -> Result<u64, String> {
    let text = text.trim();
    let split = text
        .find(|c: char| !c.is_ascii_digit())
        .unwrap_or(text.len());
    let (digits, unit) = text.split_at(split);
    let scale: u64 = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1,
        "k" | "kb" | "kib" => 1 << 10,
        "m" | "mb" | "mib" => 1 << 20,
        "g" | "gb" | "gib" => 1 << 30,
        "t" | "tb" | "tib" => 1 << 40,
        _ => {
            return Err(format!(
                "`{text}` is not a size: write e.g. `512MiB` or `2GiB`"
            ));
        }
    };
    digits
        .parse::<u64>()
        .ok()
        .and_then(|n| n.checked_mul(scale))
        .filter(|n| *n > 0)
        .ok_or_else(|| format!("`{text}` is not a size: write e.g. `512MiB` or `2GiB`"))
}

#[derive(Debug, Subcommand)]
pub enum CacheCommand {
    /// List the cached layers and merged views, least recently used first.
    Ls {
        /// The cache directory (default: `$WINSPECT_CACHE_DIR`, else the
        /// user's cache directory).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
    /// Remove cached layers and views: all of them, or those unused for
    /// longer than an age.
    Prune {
        /// Remove only entries last used longer ago than this, e.g. `30d`,
        /// `12h`, `2w`.
        #[arg(long, value_name = "AGE", value_parser = parse_age)]
        older_than: Option<std::time::Duration>,
        /// The cache directory (default: `$WINSPECT_CACHE_DIR`, else the
        /// user's cache directory).
        #[arg(long, value_name = "DIR")]
        cache_dir: Option<PathBuf>,
    },
}

fn parse_age(text: &str) -> Result<std::time::Duration, String> {
    winspect_image::parse_age(text)
        .map_err(|_| "not an age: write a number and a unit (s, m, h, d, w), e.g. `30d`".to_owned())
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

#[cfg(test)]
mod tests {
    use super::parse_size;

    #[test]
    fn sizes_read_as_people_write_them() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("512KiB"), Ok(512 << 10));
        assert_eq!(parse_size("2MiB"), Ok(2 << 20));
        assert_eq!(parse_size("32GiB"), Ok(32 << 30));
        assert_eq!(parse_size("1g"), Ok(1 << 30));
        for bad in ["", "0", "lots", "1PiB", "99999999999999999999T"] {
            assert!(parse_size(bad).is_err(), "{bad}");
        }
    }
}
