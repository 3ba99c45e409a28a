//! The registry as the extractors see it: a read-only view of the merged
//! hives, one key at a time.
//!
//! A path names the hive root first, then the subkeys, separated by `\`:
//! `SOFTWARE\Microsoft\Windows NT\CurrentVersion`, `SYSTEM\Select`. Names
//! compare case-insensitively, as Windows compares them. The view is whatever
//! the layers merged into; every key and value says which layer last wrote it.

pub mod memory;
pub mod regipy;

use winspect_inventory::Layer;

use crate::names_equal;

pub use memory::MemoryRegistry;

/// A read-only view of the merged registry.
pub trait RegistryView {
    /// The key at `path` (hive root first, `\`-separated, case-insensitive),
    /// or `None` when it does not exist.
    fn key(&self, path: &str) -> Result<Option<RegKey>, RegistryError>;
}

/// One key: its subkey names and its values.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RegKey {
    /// The path it was opened with, for messages.
    pub path: String,
    /// The layer that last wrote the key itself.
    pub layer: Layer,
    /// Names of the subkeys, as stored.
    pub subkeys: Vec<String>,
    pub values: Vec<RegValue>,
}

/// A value with typed data.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegValue {
    /// Empty for the key's default value.
    pub name: String,
    pub data: RegData,
    /// The layer that last wrote the value.
    pub layer: Layer,
}

/// Value data by registry type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum RegData {
    /// `REG_SZ`.
    String(String),
    /// `REG_EXPAND_SZ`, unexpanded.
    ExpandString(String),
    /// `REG_MULTI_SZ`.
    MultiString(Vec<String>),
    /// `REG_DWORD` (and `REG_DWORD_BIG_ENDIAN`, already swapped).
    Dword(u32),
    /// `REG_QWORD`.
    Qword(u64),
    /// `REG_BINARY`.
    Binary(Vec<u8>),
    /// Any other type (`REG_NONE`, `REG_LINK`, resource lists) by its number.
    Other { kind: u32, bytes: Vec<u8> },
}

impl RegData {
    /// The type's name as regedit shows it, e.g. `REG_DWORD`.
    pub fn kind_name(&self) -> &'static str {
        match self {
            RegData::String(_) => "REG_SZ",
            RegData::ExpandString(_) => "REG_EXPAND_SZ",
            RegData::MultiString(_) => "REG_MULTI_SZ",
            RegData::Dword(_) => "REG_DWORD",
            RegData::Qword(_) => "REG_QWORD",
            RegData::Binary(_) => "REG_BINARY",
            RegData::Other { kind: 0, .. } => "REG_NONE",
            RegData::Other { kind: 6, .. } => "REG_LINK",
            RegData::Other { .. } => "REG_UNKNOWN",
        }
    }

    /// The text of a string value.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            RegData::String(s) | RegData::ExpandString(s) => Some(s),
            _ => None,
        }
    }

    /// A number: `REG_DWORD` or `REG_QWORD`.
    pub fn as_u64(&self) -> Option<u64> {
        match self {
            RegData::Dword(n) => Some(u64::from(*n)),
            RegData::Qword(n) => Some(*n),
            _ => None,
        }
    }

    /// The data as text, as the inventory's registry section writes it:
    /// strings as they are, numbers in decimal, multi-strings joined by
    /// newlines, bytes in hex.
    pub fn to_text(&self) -> String {
        match self {
            RegData::String(s) | RegData::ExpandString(s) => s.clone(),
            RegData::MultiString(items) => items.join("\n"),
            RegData::Dword(n) => n.to_string(),
            RegData::Qword(n) => n.to_string(),
            RegData::Binary(bytes) | RegData::Other { bytes, .. } => hex::encode(bytes),
        }
    }
}

/// Why a key or value could not be read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("registry key `{path}`: {reason}")]
pub struct RegistryError {
    pub path: String,
    pub reason: String,
}

impl RegistryError {
    pub fn new(path: impl Into<String>, reason: impl Into<String>) -> Self {
        RegistryError {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

impl RegKey {
    /// The value named `name` (case-insensitive; `""` is the default value).
    pub fn value(&self, name: &str) -> Option<&RegValue> {
        self.values.iter().find(|v| names_equal(&v.name, name))
    }

    /// A string value (`REG_SZ` or `REG_EXPAND_SZ`); another type is an error.
    pub fn string(&self, name: &str) -> Result<Option<&str>, RegistryError> {
        match self.value(name) {
            None => Ok(None),
            Some(value) => value
                .data
                .as_str()
                .map(Some)
                .ok_or_else(|| self.wrong_type(value, "a string")),
        }
    }

    /// A `REG_DWORD` value (a `REG_QWORD` that fits is accepted); another
    /// type is an error.
    pub fn dword(&self, name: &str) -> Result<Option<u32>, RegistryError> {
        match self.value(name) {
            None => Ok(None),
            Some(value) => value
                .data
                .as_u64()
                .and_then(|n| u32::try_from(n).ok())
                .map(Some)
                .ok_or_else(|| self.wrong_type(value, "a REG_DWORD")),
        }
    }

    /// Text as an installer may have written it: a string, or a number in
    /// decimal. Other types are an error.
    pub fn text(&self, name: &str) -> Result<Option<String>, RegistryError> {
        match self.value(name) {
            None => Ok(None),
            Some(value) => match &value.data {
                RegData::String(s) | RegData::ExpandString(s) => Ok(Some(s.clone())),
                RegData::Dword(_) | RegData::Qword(_) => Ok(Some(value.data.to_text())),
                _ => Err(self.wrong_type(value, "a string or a number")),
            },
        }
    }

    /// The layer of value `name` when it exists, else the key's own layer.
    pub fn layer_of(&self, name: &str) -> Layer {
        self.value(name)
            .map_or_else(|| self.layer.clone(), |v| v.layer.clone())
    }

    /// The path of subkey `name`.
    pub fn child_path(&self, name: &str) -> String {
        format!("{}\\{name}", self.path)
    }

    fn wrong_type(&self, value: &RegValue, expected: &str) -> RegistryError {
        RegistryError::new(
            &self.path,
            format!(
                "value `{}` is {}, expected {expected}",
                value.name,
                value.data.kind_name()
            ),
        )
    }
}

/// Opens the key at `path`, treating a missing key as an error.
pub(crate) fn require_key(view: &dyn RegistryView, path: &str) -> Result<RegKey, RegistryError> {
    view.key(path)?
        .ok_or_else(|| RegistryError::new(path, "the key does not exist"))
}

/// The subkeys of `key`, each opened; subkeys that vanish between listing
/// and opening (a view should not do this) are errors.
pub(crate) fn subkeys(view: &dyn RegistryView, key: &RegKey) -> Result<Vec<RegKey>, RegistryError> {
    key.subkeys
        .iter()
        .map(|name| require_key(view, &key.child_path(name)))
        .collect()
}

/// The control set an offline SYSTEM hive boots with: `Select\Current`
/// names `ControlSet00N` (offline hives have no `CurrentControlSet` link).
pub fn current_control_set(view: &dyn RegistryView) -> Result<String, RegistryError> {
    let select = require_key(view, r"SYSTEM\Select")?;
    let current = select
        .dword("Current")?
        .ok_or_else(|| RegistryError::new(&select.path, "value `Current` does not exist"))?;
    Ok(format!(r"SYSTEM\ControlSet{current:03}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn typed_getters_check_types_and_name_the_value() {
        let mut reg = MemoryRegistry::new();
        reg.set(r"SOFTWARE\K", "Text", RegData::String("x".into()), None);
        reg.set(r"SOFTWARE\K", "Num", RegData::Dword(7), None);
        reg.set(r"SOFTWARE\K", "Big", RegData::Qword(1 << 40), None);
        let key = reg.key(r"software\k").unwrap().unwrap();
        assert_eq!(key.string("TEXT").unwrap(), Some("x"));
        assert_eq!(key.dword("num").unwrap(), Some(7));
        assert_eq!(key.text("Num").unwrap().as_deref(), Some("7"));
        assert_eq!(key.dword("missing").unwrap(), None);
        let err = key.dword("Text").unwrap_err().to_string();
        assert_eq!(
            err,
            r"registry key `SOFTWARE\K`: value `Text` is REG_SZ, expected a REG_DWORD"
        );
        assert!(key.dword("Big").is_err());
        assert!(key.string("Num").is_err());
    }

    #[test]
    fn the_current_control_set_follows_select() {
        let mut reg = MemoryRegistry::new();
        reg.set(r"SYSTEM\Select", "Current", RegData::Dword(2), None);
        assert_eq!(current_control_set(&reg).unwrap(), r"SYSTEM\ControlSet002");
        let empty = MemoryRegistry::new();
        assert!(
            current_control_set(&empty)
                .unwrap_err()
                .to_string()
                .contains("does not exist")
        );
    }

    #[test]
    fn data_renders_as_text() {
        assert_eq!(
            RegData::MultiString(vec!["a".into(), "b".into()]).to_text(),
            "a\nb"
        );
        assert_eq!(RegData::Binary(vec![0xde, 0xad]).to_text(), "dead");
        assert_eq!(
            RegData::Other {
                kind: 0,
                bytes: vec![]
            }
            .kind_name(),
            "REG_NONE"
        );
    }
}
