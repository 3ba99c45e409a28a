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

/// Python run with Debian's python3-hivex: prints `[path, [[name, type, hex], ...]]` per key
/// (`!` for data hivex cannot read, which happens for tombstone values only).
const HIVEX_DUMP: &str = r#"
import hivex, json, sys
h = hivex.Hivex(sys.argv[1])
out = []
stack = [(h.root(), "")]
while stack:
    node, path = stack.pop()
    values = []
    for v in h.node_values(node):
        try:
            kind, data = h.value_value(v)
            values.append([h.value_key(v), kind, data.hex()])
        except RuntimeError:
            # hivex cannot follow a tombstone value's empty data reference (0xffffffff).
            values.append([h.value_key(v), h.value_type(v)[0], "!"])
    out.append([path, sorted(values)])
    for child in h.node_children(node):
        name = h.node_name(child)
        stack.append((child, path + "\\" + name if path else name))
print(json.dumps(sorted(out)))
"#;

/// One key as an independent reader sees it: path and sorted (name, type, hex data) values.
pub type KeyDump = (String, Vec<(String, u32, String)>);

/// Reads a hive with python3-hivex (an independent reader), or prints why not and returns `None`.
pub fn hivex_dump(bytes: &[u8]) -> Option<Vec<KeyDump>> {
    let python = "/usr/bin/python3";
    let available = std::process::Command::new(python)
        .args(["-c", "import hivex"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        println!(
            "python3-hivex is not installed (apt-get install python3-hivex): skipping the independent read"
        );
        return None;
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), bytes).unwrap();
    let output = std::process::Command::new(python)
        .args(["-c", HIVEX_DUMP])
        .arg(file.path())
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "hivex could not read the hive: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    Some(serde_json::from_slice(&output.stdout).unwrap())
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
