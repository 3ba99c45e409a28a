//! Access to the real third-party test data (see the data set's MANIFEST.md).

use std::path::PathBuf;

/// The directory of real test data: `WINSPECT_REALDATA`, else the shared copy.
pub(crate) fn realdata_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("WINSPECT_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/realdata"));
    dir.is_dir().then_some(dir)
}

/// The bytes of `relative` in the real data set, or `None` (saying so) when
/// the data set is absent.
pub(crate) fn realdata_bytes(relative: &str) -> Option<Vec<u8>> {
    let Some(dir) = realdata_dir() else {
        println!("skipped: real test data not found (set WINSPECT_REALDATA); wanted {relative}");
        return None;
    };
    // The data set is there, so a missing file is a real failure.
    let path = dir.join(relative);
    Some(std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display())))
}

/// The text of `relative` in the real data set.
pub(crate) fn realdata(relative: &str) -> Option<String> {
    realdata_bytes(relative).map(|b| String::from_utf8_lossy(&b).into_owned())
}

/// `bytes` with each `(position, byte)` edit applied, positions taken
/// modulo the length: how the no-panic property tests damage real inputs.
pub(crate) fn mutate(mut bytes: Vec<u8>, edits: &[(proptest::sample::Index, u8)]) -> Vec<u8> {
    if !bytes.is_empty() {
        for (at, byte) in edits {
            let i = at.index(bytes.len());
            bytes[i] = *byte;
        }
    }
    bytes
}

/// The registry dump of a real container's SOFTWARE hive (scancode's
/// regipy JSON), loaded as written by `layer`.
pub(crate) fn scancode_software(layer: &str) -> Option<crate::MemoryRegistry> {
    let text = realdata("scancode/SOFTWARE-registry-entries.json")?;
    let mut registry = crate::MemoryRegistry::new();
    crate::registry::regipy::load(
        &mut registry,
        "SOFTWARE",
        "dump",
        &text,
        &Some(layer.to_owned()),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    Some(registry)
}
