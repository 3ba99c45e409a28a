//! `winspect inventory`: read an image and write its inventory. Reading an
//! image ([`read`]) is shared with `winspect scan`.

use std::io::Read as _;
use std::path::Path;

use winspect_image::{
    CacheChoice, Credentials, Limits, PlatformChoice, ReadOptions, RegistryOptions,
};
use winspect_inventory::Inventory;
use winspect_scan::{Scan, ScanError, ScanOptions};

use super::{Error, Exit, plural};
use crate::cli::ImageArgs;
use crate::output::Output;

/// The longest password `--password-stdin` reads.
const MAX_PASSWORD_BYTES: u64 = 64 * 1024;

#[derive(Debug, thiserror::Error)]
enum ImageArgError {
    #[error("`{0}` is not a platform: write OS/ARCH, e.g. `windows/amd64`")]
    Platform(String),
    #[error("--password-stdin: {0}")]
    Password(String),
    #[error("cannot write the inventory to `{path}`: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
}

pub fn run(
    image: &str,
    output: Option<&Path>,
    args: &ImageArgs,
    out: &mut Output,
) -> Result<Exit, Error> {
    let scan = read(image, args, Vec::new(), out)?;
    match output {
        Some(path) => {
            write(path, &scan.inventory)?;
            out.error(&format!("wrote the inventory to `{}`", path.display()));
        }
        None => out.print(&serde_json::to_string_pretty(&scan.inventory)?),
    }
    Ok(Exit::Ok)
}

/// Reads `image` as `args` say, recording the registry values `requests`
/// names; tells on stderr what was read and what is missing.
pub fn read(
    image: &str,
    args: &ImageArgs,
    requests: Vec<(String, Option<String>)>,
    out: &mut Output,
) -> Result<Scan, Error> {
    let options = ScanOptions {
        read: read_options(args)?,
        registry_requests: requests,
        ..ScanOptions::default()
    };
    let scan = winspect_scan::inventory_of(image, &options).map_err(with_help)?;
    let inventory = &scan.inventory;
    out.error(&format!(
        "read `{image}`: {} ({} from the cache), {}",
        plural(inventory.image.layers.len(), "layer"),
        scan.cached_layers,
        plural(inventory.files.len(), "file"),
    ));
    for warning in &scan.warnings {
        out.error(&format!(
            "warning: {}: {}",
            warning.section, warning.message
        ));
    }
    let gaps = &inventory.completeness.gaps;
    if inventory.completeness.partial {
        out.error(&format!(
            "the inventory is partial ({}):",
            plural(gaps.len(), "gap")
        ));
        for gap in gaps {
            out.error(&format!("  {}: {}", gap.section, gap.reason));
        }
    }
    Ok(scan)
}

/// An error with what the user can do about it.
#[derive(Debug, thiserror::Error)]
#[error("{error}\n  help: {help}")]
struct Helped {
    error: ScanError,
    help: &'static str,
}

fn with_help(error: ScanError) -> Error {
    let help = match &error {
        ScanError::Image(winspect_image::Error::DigestMismatch { blob, .. })
            if blob.starts_with("layer ") =>
        {
            Some(
                "`--allow-unverified-layers` reads such a layer anyway and marks the inventory partial",
            )
        }
        ScanError::Image(winspect_image::Error::ForeignLayer { .. }) => {
            Some("without `--allow-foreign` the layer is skipped and the inventory marked partial")
        }
        _ => None,
    };
    match help {
        Some(help) => Helped { error, help }.into(),
        None => error.into(),
    }
}

fn read_options(args: &ImageArgs) -> Result<ReadOptions, Error> {
    let mut platform = PlatformChoice::parse(&args.platform)
        .ok_or_else(|| ImageArgError::Platform(args.platform.clone()))?;
    platform.os_version_prefix.clone_from(&args.os_version);
    let credentials = match (&args.username, args.password_stdin) {
        (Some(username), true) => Credentials::Basic {
            username: username.clone(),
            password: password_from_stdin()?,
        },
        _ => Credentials::Auto,
    };
    let cache = match (&args.cache_dir, args.no_cache) {
        (_, true) => CacheChoice::Disabled,
        (Some(dir), false) => CacheChoice::Dir(dir.clone()),
        (None, false) => CacheChoice::UserDefault,
    };
    Ok(ReadOptions {
        platform,
        allow_foreign: args.allow_foreign,
        allow_unverified_layers: args.allow_unverified_layers,
        cache,
        registry: RegistryOptions {
            credentials,
            insecure: args.insecure,
            docker_config: None,
        },
        progress: true,
        limits: limits(args),
        ..ReadOptions::default()
    })
}

fn limits(args: &ImageArgs) -> Limits {
    let mut limits = Limits::default();
    if let Some(size) = args.max_layer_size {
        limits.max_layer_bytes = size;
    }
    if let Some(size) = args.max_unpacked_size {
        limits.max_uncompressed_bytes = size;
    }
    limits
}

fn password_from_stdin() -> Result<String, ImageArgError> {
    let mut text = String::new();
    std::io::stdin()
        .take(MAX_PASSWORD_BYTES)
        .read_to_string(&mut text)
        .map_err(|e| ImageArgError::Password(format!("cannot read standard input: {e}")))?;
    let password = text.trim_end_matches(['\r', '\n']);
    if password.is_empty() {
        return Err(ImageArgError::Password(
            "standard input holds no password".into(),
        ));
    }
    Ok(password.to_owned())
}

/// Writes `inventory` as pretty JSON to `path`.
pub fn write(path: &Path, inventory: &Inventory) -> Result<(), Error> {
    let json = serde_json::to_string_pretty(inventory)?;
    std::fs::write(path, json + "\n").map_err(|source| {
        ImageArgError::Write {
            path: path.display().to_string(),
            source,
        }
        .into()
    })
}
