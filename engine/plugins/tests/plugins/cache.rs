//! The compiled-module cache: reused when valid, rebuilt when not.

use std::path::Path;

use winspect_plugins::{CacheOutcome, HostConfig, Sections};

use crate::{fixture, host};

fn cached(dir: &Path) -> HostConfig {
    HostConfig {
        cache_dir: Some(dir.to_owned()),
        ..HostConfig::default()
    }
}

fn entries(dir: &Path, extension: &str) -> Vec<std::path::PathBuf> {
    let mut out: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(extension))
        .collect();
    out.sort();
    out
}

#[test]
fn a_second_load_takes_the_compiled_module_from_the_cache() {
    let work = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let path = fixture(work.path(), "check");
    let first = host(cached(cache.path())).load(&path, None).unwrap();
    assert_eq!(first.cache_outcome(), &CacheOutcome::Stored);
    assert!(first.cache_outcome().compiled());
    // A new host, as a new process would have, with the same configuration.
    let second = host(cached(cache.path())).load(&path, None).unwrap();
    assert_eq!(second.cache_outcome(), &CacheOutcome::Hit);
    assert!(!second.cache_outcome().compiled());
    let mut files = Sections::new();
    files.insert("files", b"[{}]".to_vec());
    assert_eq!(
        second.run_check(&files).unwrap(),
        first.run_check(&files).unwrap()
    );
    // Without a cache directory every load compiles.
    let uncached = host(HostConfig::default()).load(&path, None).unwrap();
    assert_eq!(uncached.cache_outcome(), &CacheOutcome::Disabled);
}

#[test]
fn a_corrupted_entry_is_detected_and_replaced() {
    let work = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let path = fixture(work.path(), "check");
    host(cached(cache.path())).load(&path, None).unwrap();
    let [entry] = entries(cache.path(), ".cwasm").try_into().unwrap();
    let mut bytes = std::fs::read(&entry).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x40;
    std::fs::write(&entry, &bytes).unwrap();

    let reloaded = host(cached(cache.path())).load(&path, None).unwrap();
    match reloaded.cache_outcome() {
        CacheOutcome::Replaced { reason } => {
            assert!(reason.contains("the file is corrupt"), "{reason}")
        }
        other => panic!("unexpected {other:?}"),
    }
    let mut files = Sections::new();
    files.insert("files", b"[]".to_vec());
    assert!(reloaded.run_check(&files).unwrap().is_empty());
    // The entry was rewritten whole.
    let again = host(cached(cache.path())).load(&path, None).unwrap();
    assert_eq!(again.cache_outcome(), &CacheOutcome::Hit);

    // A truncated entry whose recorded hash was rewritten to match passes
    // the hash check, and is refused by wasmtime's own header check.
    let truncated = &bytes[..16];
    std::fs::write(&entry, truncated).unwrap();
    use sha2::Digest;
    std::fs::write(
        entries(cache.path(), ".sha256").first().unwrap(),
        hex::encode(sha2::Sha256::digest(truncated)),
    )
    .unwrap();
    let reloaded = host(cached(cache.path())).load(&path, None).unwrap();
    match reloaded.cache_outcome() {
        CacheOutcome::Replaced { reason } => {
            assert!(reason.contains("cannot be used by this engine"), "{reason}")
        }
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn another_engine_configuration_does_not_reuse_the_entry() {
    let work = tempfile::tempdir().unwrap();
    let cache = tempfile::tempdir().unwrap();
    let path = fixture(work.path(), "check");
    let plain = host(cached(cache.path())).load(&path, None).unwrap();
    assert_eq!(plain.cache_outcome(), &CacheOutcome::Stored);
    // Fuel metering changes the generated code: a separate entry.
    let fueled = HostConfig {
        fuel: Some(10_000_000),
        ..cached(cache.path())
    };
    let metered = host(fueled.clone()).load(&path, None).unwrap();
    assert_eq!(metered.cache_outcome(), &CacheOutcome::Stored);
    assert_eq!(entries(cache.path(), ".cwasm").len(), 2);
    assert_eq!(
        host(fueled).load(&path, None).unwrap().cache_outcome(),
        &CacheOutcome::Hit
    );
    // Limits that do not change the code share the entry.
    let tighter = HostConfig {
        memory_limit: 8 * 1024 * 1024,
        deadline: std::time::Duration::from_millis(300),
        ..cached(cache.path())
    };
    assert_eq!(
        host(tighter).load(&path, None).unwrap().cache_outcome(),
        &CacheOutcome::Hit
    );
}
