//! How to read an image: platform choice, limits, captures, cache, registry access.

use std::path::PathBuf;

use crate::capture::CaptureRequest;

/// Everything [`crate::read_image`] can be told. `ReadOptions::default()`
/// reads `windows/amd64`, uses the user's cache, captures nothing, skips
/// foreign layers and finds registry credentials on its own.
#[derive(Debug, Clone, Default)]
pub struct ReadOptions {
    pub platform: PlatformChoice,
    pub limits: Limits,
    pub capture: CaptureRequest,
    /// Fetch foreign (non-distributable) layers from their `urls`.
    pub allow_foreign: bool,
    /// Read a layer whose bytes do not match its digest (trimmed or
    /// hand-edited archives) instead of failing: the result then carries a
    /// gap for it, and it is never cached.
    pub allow_unverified_layers: bool,
    pub cache: CacheChoice,
    pub registry: RegistryOptions,
    /// Draw progress bars on stderr (only when stderr is a terminal).
    pub progress: bool,
}

/// Which image of a multi-platform index to read.
#[derive(Debug, Clone)]
pub struct PlatformChoice {
    pub os: String,
    pub architecture: String,
    /// Only images whose `os.version` starts with this (at a `.` boundary),
    /// e.g. `10.0.17763` for ltsc2019, `10.0.20348` for ltsc2022.
    pub os_version_prefix: Option<String>,
}

impl Default for PlatformChoice {
    fn default() -> Self {
        PlatformChoice {
            os: "windows".into(),
            architecture: "amd64".into(),
            os_version_prefix: None,
        }
    }
}

impl PlatformChoice {
    /// Reads `OS/ARCH` (e.g. `windows/amd64`).
    pub fn parse(text: &str) -> Option<PlatformChoice> {
        let (os, architecture) = text.split_once('/')?;
        if os.is_empty() || architecture.is_empty() || architecture.contains('/') {
            return None;
        }
        Some(PlatformChoice {
            os: os.to_owned(),
            architecture: architecture.to_owned(),
            os_version_prefix: None,
        })
    }

    pub(crate) fn describe(&self) -> String {
        match &self.os_version_prefix {
            Some(prefix) => format!(
                "{}/{} with os.version {prefix}*",
                self.os, self.architecture
            ),
            None => format!("{}/{}", self.os, self.architecture),
        }
    }

    pub(crate) fn matches(&self, platform: &crate::format::Platform) -> bool {
        if !platform.os.eq_ignore_ascii_case(&self.os)
            || !platform
                .architecture
                .eq_ignore_ascii_case(&self.architecture)
        {
            return false;
        }
        match &self.os_version_prefix {
            None => true,
            Some(prefix) => platform.os_version.as_deref().is_some_and(|v| {
                v == prefix
                    || v.strip_prefix(prefix.as_str())
                        .is_some_and(|rest| rest.starts_with('.'))
            }),
        }
    }
}

/// Bounds that keep a hostile or broken image from exhausting the machine.
/// The defaults pass real servercore images (about 5 GB uncompressed per
/// layer, compression ratios below 10:1).
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Largest layer blob, compressed.
    pub max_layer_bytes: u64,
    /// Largest manifest, index or config.
    pub max_metadata_bytes: u64,
    /// Most bytes one layer may decompress to.
    pub max_uncompressed_bytes: u64,
    /// Largest uncompressed:compressed ratio, judged once a layer has
    /// produced [`Limits::ratio_floor`] bytes.
    pub max_ratio: u64,
    pub ratio_floor: u64,
    /// Most tar entries in one layer.
    pub max_entries: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_layer_bytes: 32 << 30,
            max_metadata_bytes: 4 << 20,
            max_uncompressed_bytes: 64 << 30,
            max_ratio: 100,
            ratio_floor: 64 << 20,
            max_entries: 5_000_000,
        }
    }
}

/// Where the layer cache lives.
#[derive(Debug, Clone, Default)]
pub enum CacheChoice {
    /// `$WINSPECT_CACHE_DIR`, else the user's cache directory.
    #[default]
    UserDefault,
    Dir(PathBuf),
    /// Read every layer, store nothing.
    Disabled,
}

/// How to reach a registry.
#[derive(Debug, Clone, Default)]
pub struct RegistryOptions {
    pub credentials: Credentials,
    /// Allow plain HTTP to a registry that is not on a loopback address.
    pub insecure: bool,
    /// The Docker config to take `auths` from, instead of `~/.docker/config.json`.
    pub docker_config: Option<PathBuf>,
}

/// Registry credentials.
#[derive(Clone, Default)]
pub enum Credentials {
    /// `WINSPECT_REGISTRY_USERNAME`/`WINSPECT_REGISTRY_PASSWORD` (or
    /// `WINSPECT_REGISTRY_TOKEN` for a bearer token) when set, else the
    /// Docker config's `auths` entry for the registry, else anonymous.
    #[default]
    Auto,
    Anonymous,
    Basic {
        username: String,
        password: String,
    },
    Bearer(String),
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Credentials::Auto => f.write_str("Auto"),
            Credentials::Anonymous => f.write_str("Anonymous"),
            Credentials::Basic { username, .. } => write!(f, "Basic({username}, <redacted>)"),
            Credentials::Bearer(_) => f.write_str("Bearer(<redacted>)"),
        }
    }
}

pub const USERNAME_ENV: &str = "WINSPECT_REGISTRY_USERNAME";
pub const PASSWORD_ENV: &str = "WINSPECT_REGISTRY_PASSWORD";
pub const TOKEN_ENV: &str = "WINSPECT_REGISTRY_TOKEN";

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::Platform;

    #[test]
    fn os_version_prefixes_match_at_dot_boundaries() {
        let choice = PlatformChoice {
            os_version_prefix: Some("10.0.17763".into()),
            ..PlatformChoice::default()
        };
        let p = |v: &str| Platform {
            os: "windows".into(),
            architecture: "amd64".into(),
            os_version: Some(v.into()),
            variant: None,
        };
        assert!(choice.matches(&p("10.0.17763.2452")));
        assert!(!choice.matches(&p("10.0.177630.1")));
        assert!(!choice.matches(&p("10.0.20348.1")));
        assert!(PlatformChoice::parse("linux/arm64").is_some());
        assert!(PlatformChoice::parse("linux").is_none());
    }
}
