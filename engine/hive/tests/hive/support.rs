//! Locating and loading the shared real data (never copied into the repository).

use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Mutex;

/// The real-data directory: `$WINSPECT_REALDATA` or `/work/shared/realdata`.
pub fn realdata_dir() -> PathBuf {
    std::env::var_os("WINSPECT_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/realdata"))
}

/// Reads `rel` (decompressing `.xz`), or prints what is missing and returns `None`.
pub fn load(rel: &str) -> Option<Vec<u8>> {
    let path = realdata_dir().join(rel);
    let Ok(bytes) = std::fs::read(&path) else {
        println!(
            "real data `{}` is missing: skipping this test",
            path.display()
        );
        return None;
    };
    if rel.ends_with(".xz") {
        let mut out = Vec::new();
        lzma_rs::xz_decompress(&mut bytes.as_slice(), &mut out).expect("xz data decompresses");
        Some(out)
    } else {
        Some(bytes)
    }
}

/// Loads a regipy hive by its name without `.xz`, decompressing each file once per test run.
pub fn regipy(name: &str) -> Option<Vec<u8>> {
    static CACHE: Mutex<BTreeMap<String, Vec<u8>>> = Mutex::new(BTreeMap::new());
    if let Some(bytes) = CACHE.lock().unwrap().get(name) {
        return Some(bytes.clone());
    }
    let bytes = load(&format!("regipy/{name}.xz"))?;
    CACHE.lock().unwrap().insert(name.to_owned(), bytes.clone());
    Some(bytes)
}

pub use winspect_hive::testing::KeyDump;

/// Reads a hive with python3-hivex (an independent reader), or prints why
/// not and returns `None`.
pub fn hivex_dump(bytes: &[u8]) -> Option<Vec<KeyDump>> {
    use winspect_hive::testing::HivexError;
    match winspect_hive::testing::hivex_dump(bytes) {
        Ok(dump) => Some(dump),
        Err(e @ (HivexError::Missing | HivexError::Skipped)) => {
            println!("{e}: skipping the independent read");
            None
        }
        Err(e @ HivexError::Failed(_)) => panic!("{e}"),
    }
}

/// The same view from our reader, for comparison with [`hivex_dump`].
pub fn our_dump(hive: &winspect_hive::Hive) -> Vec<KeyDump> {
    let mut out = Vec::new();
    let errors = hive.walk(|path, key| {
        let mut values: Vec<(String, u32, String)> = key
            .values()
            .unwrap()
            .iter()
            .map(|v| {
                let hex = if v.is_tombstone() {
                    "!".to_owned()
                } else {
                    v.raw_data()
                        .unwrap()
                        .iter()
                        .map(|b| format!("{b:02x}"))
                        .collect()
                };
                (v.name().into_owned(), v.kind().to_u32(), hex)
            })
            .collect();
        values.sort();
        out.push((path.to_owned(), values));
    });
    assert!(errors.is_empty(), "{errors:?}");
    out.sort();
    out
}
