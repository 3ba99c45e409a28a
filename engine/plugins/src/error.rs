//! What can go wrong creating a host, loading a plugin and calling it.

use std::path::PathBuf;
use std::time::Duration;

/// Why a [`PluginHost`](crate::PluginHost) could not be created.
#[derive(Debug, thiserror::Error)]
pub enum HostError {
    #[error("invalid plugin host configuration: {0}")]
    InvalidConfig(String),
    #[error("cannot set up the WebAssembly engine: {0}")]
    Engine(String),
    #[error("cannot start the plugin deadline ticker thread: {0}")]
    Ticker(#[source] std::io::Error),
    #[error("cannot create the plugin cache directory `{}`: {source}", path.display())]
    CacheDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

/// Why a plugin was refused at load. Every variant names the file.
#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read plugin `{}`: {source}", path.display())]
    Read {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("plugin `{}` is {size} bytes, more than the {limit} bytes a plugin may have", path.display())]
    TooLarge {
        path: PathBuf,
        size: u64,
        limit: u64,
    },
    #[error("the pinned sha256 `{pin}` for plugin `{}` is not 64 hexadecimal digits", path.display())]
    InvalidPin { path: PathBuf, pin: String },
    #[error("plugin `{}` has sha256 {actual} but the rule pack pins {expected}: refusing to load it", path.display())]
    HashMismatch {
        path: PathBuf,
        expected: String,
        actual: String,
    },
    #[error("plugin `{}` is not a valid WebAssembly module: {message}", path.display())]
    Compile { path: PathBuf, message: String },
    #[error("plugin `{}` imports `{module}::{name}` ({kind}), but plugins are granted no imports: no WASI, no host functions", path.display())]
    ForbiddenImport {
        path: PathBuf,
        module: String,
        name: String,
        kind: String,
    },
    #[error("plugin `{}` does not export `{export}` ({expected}), which interface version 1 requires", path.display())]
    MissingExport {
        path: PathBuf,
        export: String,
        expected: String,
    },
    #[error("plugin `{}` exports `{export}` as {found}, but the interface requires {expected}", path.display())]
    ExportType {
        path: PathBuf,
        export: String,
        expected: String,
        found: String,
    },
    #[error("plugin `{}` speaks plugin interface version {found}, but this winspect supports version {supported}", path.display())]
    Interface {
        path: PathBuf,
        found: u64,
        supported: u32,
    },
    #[error("plugin `{}` has an invalid manifest: {message}", path.display())]
    Manifest { path: PathBuf, message: String },
    #[error("plugin `{}` asks for inventory section `{section}`, which does not exist{}", path.display(), did_you_mean(suggestion.as_deref()))]
    UnknownSection {
        path: PathBuf,
        section: String,
        suggestion: Option<String>,
    },
    #[error("plugin `{}` failed while giving its manifest: {source}", path.display())]
    ManifestCall {
        path: PathBuf,
        #[source]
        source: CallError,
    },
    #[error("cannot prepare plugin `{}` for instantiation: {message}", path.display())]
    Prepare { path: PathBuf, message: String },
}

pub(crate) fn did_you_mean(suggestion: Option<&str>) -> String {
    suggestion
        .map(|s| format!(" (did you mean `{s}`?)"))
        .unwrap_or_default()
}

/// Why one call into a plugin failed. The evaluation turns it into an error
/// finding for that plugin and goes on; the plugin stays usable.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum CallError {
    #[error("plugin `{plugin}` ran past its deadline of {deadline:?} and was stopped")]
    Timeout { plugin: String, deadline: Duration },
    #[error("plugin `{plugin}` used up its fuel budget of {fuel} units and was stopped")]
    FuelExhausted { plugin: String, fuel: u64 },
    #[error("plugin `{plugin}` tried to use more than its memory limit of {limit} bytes")]
    OutOfMemory { plugin: String, limit: usize },
    #[error("plugin `{plugin}` trapped: {message}")]
    Trap { plugin: String, message: String },
    #[error("plugin `{plugin}` returned {size} bytes of output, more than the limit of {limit}")]
    OutputTooLarge {
        plugin: String,
        size: u64,
        limit: usize,
    },
    #[error("plugin `{plugin}` returned malformed output: {reason}")]
    MalformedOutput { plugin: String, reason: String },
    #[error("plugin `{plugin}` reported an error: {message}")]
    Reported { plugin: String, message: String },
    #[error(
        "plugin `{plugin}` needs inventory section `{section}`, which the caller did not provide"
    )]
    MissingSection { plugin: String, section: String },
    #[error("plugin `{plugin}` declares no check")]
    NoCheck { plugin: String },
    #[error("plugin `{plugin}` has no function `{function}`")]
    NoFunction { plugin: String, function: String },
    #[error("bad arguments for `{plugin}::{function}`: {reason}")]
    BadArguments {
        plugin: String,
        function: String,
        reason: String,
    },
    #[error("plugin `{plugin}` could not be run: {message}")]
    Host { plugin: String, message: String },
}
