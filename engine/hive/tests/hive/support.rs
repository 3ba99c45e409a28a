//! Locating and loading the shared real data (never copied into the repository).

use std::path::PathBuf;

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

/// Loads a regipy hive by its name without `.xz`.
pub fn regipy(name: &str) -> Option<Vec<u8>> {
    load(&format!("regipy/{name}.xz"))
}
