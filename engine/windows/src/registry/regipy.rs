//! Loads a registry dump in regipy's JSON format into a [`MemoryRegistry`].
//!
//! regipy (a Python hive reader) dumps keys as a list of
//! `{"path": "\\Microsoft\\...", "values": [{"name", "value", "value_type"}]}`
//! with paths relative to the hive root. Two of its habits are undone here:
//! empty data is written as the number `0`, and the default value is named
//! `(default)`.

use serde_json::Value;
use winspect_inventory::Layer;

use super::{MemoryRegistry, RegData};

/// Why a regipy dump could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("`{source_name}`: {reason}")]
pub struct RegipyError {
    pub source_name: String,
    pub reason: String,
}

/// Adds every key of the dump `text` (named `source_name` in errors) under
/// hive root `hive` (e.g. `SOFTWARE`), written by `layer`.
pub fn load(
    registry: &mut MemoryRegistry,
    hive: &str,
    source_name: &str,
    text: &str,
    layer: &Layer,
) -> Result<(), RegipyError> {
    let fail = |reason: String| RegipyError {
        source_name: source_name.to_owned(),
        reason,
    };
    let document: Value = serde_json::from_str(text).map_err(|e| {
        fail(format!(
            "not JSON at line {} column {}: {e}",
            e.line(),
            e.column()
        ))
    })?;
    let entries = document
        .as_array()
        .ok_or_else(|| fail("expected a list of keys".to_owned()))?;
    for (index, entry) in entries.iter().enumerate() {
        let path = entry
            .get("path")
            .and_then(Value::as_str)
            .ok_or_else(|| fail(format!("key {index} has no `path`")))?;
        let full = format!("{hive}\\{}", path.trim_start_matches('\\'));
        registry.add_key(&full, layer.clone());
        let values = match entry.get("values") {
            None | Some(Value::Null) => continue,
            Some(Value::Array(values)) => values,
            Some(_) => return Err(fail(format!("key `{path}`: `values` is not a list"))),
        };
        for value in values {
            let name = value
                .get("name")
                .and_then(Value::as_str)
                .ok_or_else(|| fail(format!("key `{path}`: a value has no `name`")))?;
            let kind = value
                .get("value_type")
                .and_then(Value::as_str)
                .ok_or_else(|| fail(format!("key `{path}`: value `{name}` has no `value_type`")))?;
            let data = convert(kind, value.get("value").unwrap_or(&Value::Null))
                .map_err(|reason| fail(format!("key `{path}`: value `{name}`: {reason}")))?;
            let name = if name == "(default)" { "" } else { name };
            registry.set(&full, name, data, layer.clone());
        }
    }
    Ok(())
}

fn convert(kind: &str, value: &Value) -> Result<RegData, String> {
    let empty = matches!(value, Value::Null) || value.as_u64() == Some(0);
    let text = || match value {
        Value::String(s) => Ok(s.clone()),
        _ if empty => Ok(String::new()),
        _ => Err(format!("{kind} data is not a string")),
    };
    let number = || {
        value
            .as_u64()
            .ok_or_else(|| format!("{kind} data is not a non-negative number"))
    };
    let bytes = || match value {
        Value::String(s) => hex::decode(s).map_err(|_| format!("{kind} data is not hex")),
        _ if empty => Ok(Vec::new()),
        _ => Err(format!("{kind} data is not a hex string")),
    };
    Ok(match kind {
        "REG_SZ" => RegData::String(text()?),
        "REG_EXPAND_SZ" => RegData::ExpandString(text()?),
        "REG_MULTI_SZ" => match value {
            Value::Array(items) => RegData::MultiString(
                items
                    .iter()
                    .map(|i| i.as_str().map(str::to_owned))
                    .collect::<Option<Vec<_>>>()
                    .ok_or("REG_MULTI_SZ data holds a non-string")?,
            ),
            Value::String(s) => RegData::MultiString(vec![s.clone()]),
            _ if empty => RegData::MultiString(Vec::new()),
            _ => return Err("REG_MULTI_SZ data is not a list".to_owned()),
        },
        "REG_DWORD" | "REG_DWORD_BIG_ENDIAN" => RegData::Dword(
            u32::try_from(number()?).map_err(|_| format!("{kind} data does not fit 32 bits"))?,
        ),
        "REG_QWORD" => RegData::Qword(number()?),
        "REG_BINARY" => RegData::Binary(bytes()?),
        "REG_NONE" => RegData::Other {
            kind: 0,
            bytes: bytes().unwrap_or_default(),
        },
        other => return Err(format!("unknown value type `{other}`")),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::RegistryView;
    use crate::test_support::realdata;

    #[test]
    fn loads_the_scancode_software_dump() {
        let Some(text) = realdata("scancode/SOFTWARE-registry-entries.json") else {
            return;
        };
        let mut reg = MemoryRegistry::new();
        load(&mut reg, "SOFTWARE", "dump", &text, &Some("l".into())).unwrap();
        let full = reg
            .key(r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full")
            .unwrap()
            .unwrap();
        assert_eq!(full.dword("Release").unwrap(), Some(528372));
        assert_eq!(full.string("Version").unwrap(), Some("4.8.04084"));
        let uninstall = reg
            .key(r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall")
            .unwrap()
            .unwrap();
        assert_eq!(uninstall.subkeys.len(), 7);
        // regipy writes empty strings as 0.
        let python = reg
            .key(r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall\{351016A7-AED4-4824-8D2E-2F9ED497CF77}")
            .unwrap()
            .unwrap();
        assert_eq!(python.string("Comments").unwrap(), Some(""));
        let ndp40 = reg
            .key(r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4.0")
            .unwrap()
            .unwrap();
        assert!(ndp40.value("").is_some());
    }

    #[test]
    fn bad_dumps_are_errors_naming_the_dump_and_the_value() {
        let mut reg = MemoryRegistry::new();
        let err = load(&mut reg, "SOFTWARE", "d.json", "{", &None).unwrap_err();
        assert!(
            err.to_string().starts_with("`d.json`: not JSON at line 1"),
            "{err}"
        );
        let text = r#"[{"path": "\\K", "values": [{"name": "V", "value": "x", "value_type": "REG_DWORD"}]}]"#;
        let err = load(&mut reg, "SOFTWARE", "d.json", text, &None).unwrap_err();
        assert_eq!(
            err.to_string(),
            r"`d.json`: key `\K`: value `V`: REG_DWORD data is not a non-negative number"
        );
    }
}
