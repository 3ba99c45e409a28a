//! Test support (feature `test-support`): reading a hive with Debian's
//! python3-hivex, an independent reader, to check hives that winspect
//! writes or reads. Used by this crate's tests and by the fixture builder's.

/// Set to `1` to skip the hivex read where python3-hivex is not installed.
pub const SKIP_ENV: &str = "WINSPECT_SKIP_HIVEX";

/// One key as hivex sees it: its path below the root (`a\b`, `""` for the
/// root) and its values as sorted (name, type, hex data); `!` stands for
/// the data of a tombstone value, which hivex cannot follow.
pub type KeyDump = (String, Vec<(String, u32, String)>);

/// Why hivex gave no dump.
#[derive(Debug, thiserror::Error)]
pub enum HivexError {
    #[error(
        "python3-hivex is not installed (apt-get install python3-hivex), or set {SKIP_ENV}=1 to skip the independent hive read"
    )]
    Missing,
    #[error("the independent hive read is skipped ({SKIP_ENV}=1)")]
    Skipped,
    #[error("hivex could not read the hive: {0}")]
    Failed(String),
}

/// Every key with its values, sorted by path.
const DUMP: &str = r#"
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
            # A tombstone value's data reference is 0xffffffff.
            values.append([h.value_key(v), h.value_type(v)[0], "!"])
    out.append([path, sorted(values)])
    for child in h.node_children(node):
        name = h.node_name(child)
        stack.append((child, path + "\\" + name if path else name))
print(json.dumps(sorted(out)))
"#;

/// Debian's own Python: pyenv and virtualenv shims do not see python3-hivex.
const PYTHON: &str = "/usr/bin/python3";

/// Reads `bytes` as a hive with python3-hivex.
pub fn hivex_dump(bytes: &[u8]) -> Result<Vec<KeyDump>, HivexError> {
    let available = std::process::Command::new(PYTHON)
        .args(["-c", "import hivex"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !available {
        return Err(if std::env::var_os(SKIP_ENV).is_some() {
            HivexError::Skipped
        } else {
            HivexError::Missing
        });
    }
    let failed = |e: std::io::Error| HivexError::Failed(e.to_string());
    let file = tempfile::NamedTempFile::new().map_err(failed)?;
    std::fs::write(file.path(), bytes).map_err(failed)?;
    let output = std::process::Command::new(PYTHON)
        .args(["-c", DUMP])
        .arg(file.path())
        .output()
        .map_err(failed)?;
    if !output.status.success() {
        return Err(HivexError::Failed(
            String::from_utf8_lossy(&output.stderr).trim().to_owned(),
        ));
    }
    serde_json::from_slice(&output.stdout).map_err(|e| HivexError::Failed(e.to_string()))
}
