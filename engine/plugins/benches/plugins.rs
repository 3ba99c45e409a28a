//! Per-call cost of a plugin against the same check in native Rust, and
//! the cost of a first load (compile) against a load from the cache.
//!
//! `cargo bench -p winspect-plugins`; figures in BENCHMARKS.md.

#![allow(
    clippy::print_stdout,
    reason = "the bench reports the size of its input"
)]

use std::hint::black_box;
use std::path::{Path, PathBuf};
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use serde::Deserialize;
use winspect_inventory::{File, Inventory};
use winspect_plugins::{HostConfig, PluginFinding, PluginHost, Sections, Severity};

/// About 100 KB of `files` section: records as the inventory writes them.
fn inventory() -> Inventory {
    let mut inventory = Inventory::default();
    let mut i = 0u32;
    loop {
        inventory.files.push(File {
            path: format!("Program Files/Vendor/App/bin/module{i:04}.dll"),
            size: 40_000 + u64::from(i),
            sha256: format!("{:064x}", u64::from(i) * 0x9e37_79b9_7f4a_7c15),
            product_version: "4.8.4084.0".into(),
            company_name: "Vendor".into(),
            layer: Some(
                "sha256:3b38fc040a54eb695556b24a51eaaa3bd0a2f69cf67d2e4abd9d968bd75fc213".into(),
            ),
            ..File::default()
        });
        i += 1;
        let size = serde_json::to_vec(&inventory.files)
            .map(|v| v.len())
            .unwrap_or(0);
        if size >= 100 * 1024 {
            return inventory;
        }
    }
}

fn fixture_wasm() -> Vec<u8> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures");
    let read = |name: &str| std::fs::read_to_string(dir.join(name)).unwrap_or_default();
    let text = format!("(module\n{}\n{}\n)", read("check.wat"), read("prelude.wat"));
    wat::parse_str(text).unwrap_or_default()
}

fn dist(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("../../wasm-plugins/dist/{name}.wasm"))
}

/// The `files` records the banned-hashes plugin reads, read natively.
#[derive(Deserialize)]
struct NativeFile {
    path: String,
    sha256: String,
    layer: Option<String>,
}

const BANNED: [&str; 2] = [
    "01aa278b07b58dc46c84bd0b1b5c8e9ee4e62ea0bf7a695862444af32e87f1fd",
    "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f",
];

fn native_banned(bytes: &[u8]) -> Vec<PluginFinding> {
    let files: Vec<NativeFile> = serde_json::from_slice(bytes).unwrap_or_default();
    files
        .into_iter()
        .filter(|f| BANNED.iter().any(|b| b.eq_ignore_ascii_case(&f.sha256)))
        .map(|f| PluginFinding {
            id: "BANNED-FILE".into(),
            severity: Severity::Critical,
            message: format!("`{}` is banned", f.path),
            remediation: None,
            subject: Some(f.path),
            layer: f.layer,
        })
        .collect()
}

fn native_trivial(bytes: &[u8]) -> Vec<PluginFinding> {
    if bytes.len() > 2 {
        vec![PluginFinding {
            id: "FIXTURE-NONEMPTY".into(),
            severity: Severity::Low,
            message: "the files section is not empty".into(),
            remediation: None,
            subject: Some("files".into()),
            layer: None,
        }]
    } else {
        Vec::new()
    }
}

fn calls(c: &mut Criterion) {
    let inventory = inventory();
    let sections = Sections::from_inventory(&inventory, ["files"]).unwrap_or_default();
    let bytes = sections.get("files").unwrap_or_default().to_vec();
    println!(
        "files section: {} bytes, {} records",
        bytes.len(),
        inventory.files.len()
    );
    let Ok(host) = PluginHost::new(HostConfig::default()) else {
        return;
    };
    let dir = tempfile::tempdir().ok();
    let trivial_path = dir.as_ref().map(|d| d.path().join("trivial.wasm"));
    let trivial = trivial_path.as_ref().and_then(|p| {
        std::fs::write(p, fixture_wasm()).ok()?;
        host.load(p, None).ok()
    });
    let banned = host.load(dist("banned-hashes"), None).ok();

    let mut group = c.benchmark_group("call_100kb_section");
    if let Some(plugin) = &trivial {
        group.bench_function("trivial_wasm", |b| {
            b.iter(|| plugin.run_check(black_box(&sections)))
        });
    }
    group.bench_function("trivial_native", |b| {
        b.iter(|| native_trivial(black_box(&bytes)))
    });
    if let Some(plugin) = &banned {
        group.bench_function("banned_hashes_wasm", |b| {
            b.iter(|| plugin.run_check(black_box(&sections)))
        });
    }
    group.bench_function("banned_hashes_native", |b| {
        b.iter(|| native_banned(black_box(&bytes)))
    });
    group.finish();
}

fn loads(c: &mut Criterion) {
    let path = dist("banned-hashes");
    let Ok(uncached) = PluginHost::new(HostConfig::default()) else {
        return;
    };
    let Ok(cache) = tempfile::tempdir() else {
        return;
    };
    let Ok(cached) = PluginHost::new(HostConfig {
        cache_dir: Some(cache.path().to_owned()),
        ..HostConfig::default()
    }) else {
        return;
    };
    // Fill the cache once.
    let _ = cached.load(&path, None);

    let mut group = c.benchmark_group("load_banned_hashes");
    group.sample_size(10);
    group.bench_function("compile", |b| {
        b.iter(|| uncached.load(black_box(&path), None))
    });
    group.sample_size(50);
    group.bench_function("from_cache", |b| {
        b.iter(|| cached.load(black_box(&path), None))
    });
    group.finish();
}

criterion_group! {
    name = benches;
    config = Criterion::default().measurement_time(Duration::from_secs(5));
    targets = calls, loads
}
criterion_main!(benches);
