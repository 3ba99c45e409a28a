//! Integration tests of the plugin host: one binary, one module per concern.

// Test helpers outside `#[test]` functions: failing loudly is their job.
#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    clippy::print_stdout,
    clippy::print_stderr,
    reason = "test code"
)]

mod cache;
mod examples;
mod sandbox;

use std::path::{Path, PathBuf};
use std::time::Duration;

use winspect_plugins::{HostConfig, PluginHost};

/// Compiles `tests/fixtures/<name>.wat` to `<dir>/<name>.wasm`. A fixture
/// that is not a whole `(module ...)` is wrapped with the shared prelude.
pub fn fixture(dir: &Path, name: &str) -> PathBuf {
    let fixtures = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let text = std::fs::read_to_string(fixtures.join(format!("{name}.wat"))).unwrap();
    let module = if text.lines().any(|l| l.starts_with("(module")) {
        text
    } else {
        let prelude = std::fs::read_to_string(fixtures.join("prelude.wat")).unwrap();
        format!("(module\n{text}\n{prelude}\n)")
    };
    let wasm = wat::parse_str(&module).unwrap_or_else(|e| panic!("fixture {name}: {e}"));
    let path = dir.join(format!("{name}.wasm"));
    std::fs::write(&path, wasm).unwrap();
    path
}

pub fn host(config: HostConfig) -> PluginHost {
    PluginHost::new(config).unwrap()
}

pub fn short_deadline() -> HostConfig {
    HostConfig {
        deadline: Duration::from_millis(200),
        ..HostConfig::default()
    }
}

pub fn sha256_of(path: &Path) -> String {
    use sha2::{Digest, Sha256};
    hex::encode(Sha256::digest(std::fs::read(path).unwrap()))
}
