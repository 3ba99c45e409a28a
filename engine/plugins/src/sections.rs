//! Inventory sections, serialized once per evaluation and shared by every
//! plugin call that reads them.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::{Arc, LazyLock};

use serde_json::Value;
use winspect_inventory::Inventory;

use crate::error::did_you_mean;

/// Every section name a plugin may ask for: each field of the inventory and
/// each field nested in an object below it, as a dotted path
/// (`iis`, `iis.web_configs`, `dotnet.packages`). Fields inside list items
/// are not sections: a plugin gets the list.
static KNOWN: LazyLock<BTreeSet<String>> = LazyLock::new(|| {
    let mut out = BTreeSet::new();
    if let Ok(Value::Object(map)) = serde_json::to_value(Inventory::default()) {
        collect_paths(&map, "", &mut out);
    }
    out
});

fn collect_paths(map: &serde_json::Map<String, Value>, prefix: &str, out: &mut BTreeSet<String>) {
    for (key, value) in map {
        let path = if prefix.is_empty() {
            key.clone()
        } else {
            format!("{prefix}.{key}")
        };
        if let Value::Object(inner) = value {
            collect_paths(inner, &path, out);
        }
        out.insert(path);
    }
}

pub(crate) fn is_known(section: &str) -> bool {
    KNOWN.contains(section)
}

/// The known section closest to a misspelt one, if any is close.
pub(crate) fn suggest(section: &str) -> Option<String> {
    KNOWN
        .iter()
        .map(|known| (strsim::jaro_winkler(section, known), known))
        .filter(|(score, _)| *score > 0.85)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, known)| known.clone())
}

/// Why a section could not be taken from an inventory.
#[derive(Debug, thiserror::Error)]
pub enum SectionError {
    #[error("inventory section `{name}` does not exist{}", did_you_mean(suggestion.as_deref()))]
    Unknown {
        name: String,
        suggestion: Option<String>,
    },
    #[error("cannot serialize inventory section `{name}`: {message}")]
    Serialize { name: String, message: String },
}

/// Inventory sections as JSON bytes, keyed by section name.
///
/// The evaluation builds one per inventory, with the union of the sections
/// its plugins declared, and passes it to every check: each section is
/// serialized once and its bytes copied as they are into each plugin call.
/// Cloning is cheap (the bytes are shared).
#[derive(Debug, Clone, Default)]
pub struct Sections {
    entries: BTreeMap<String, Arc<[u8]>>,
}

impl Sections {
    pub fn new() -> Sections {
        Sections::default()
    }

    /// Serializes the named sections of `inventory`.
    pub fn from_inventory<'a>(
        inventory: &Inventory,
        names: impl IntoIterator<Item = &'a str>,
    ) -> Result<Sections, SectionError> {
        let mut sections = Sections::new();
        for name in names {
            if sections.entries.contains_key(name) {
                continue;
            }
            let value = section_value(inventory, name)?;
            let bytes = serde_json::to_vec(&value).map_err(|e| SectionError::Serialize {
                name: name.to_owned(),
                message: e.to_string(),
            })?;
            sections.entries.insert(name.to_owned(), bytes.into());
        }
        Ok(sections)
    }

    /// Adds a section the caller serialized itself. The bytes must be the
    /// JSON of that section as the inventory format defines it; they are
    /// passed to plugins unchecked.
    pub fn insert(&mut self, name: impl Into<String>, json: impl Into<Arc<[u8]>>) {
        self.entries.insert(name.into(), json.into());
    }

    pub fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries.get(name).map(|b| &**b)
    }
}

/// The JSON of one section. Only the top-level field the path starts with
/// is serialized, so asking for `iis` does not serialize every file.
fn section_value(inventory: &Inventory, name: &str) -> Result<Value, SectionError> {
    let unknown = || SectionError::Unknown {
        name: name.to_owned(),
        suggestion: suggest(name),
    };
    if !is_known(name) {
        return Err(unknown());
    }
    let (head, rest) = match name.split_once('.') {
        Some((head, rest)) => (head, Some(rest)),
        None => (name, None),
    };
    let top = top_level(inventory, head)
        .ok_or_else(unknown)?
        .map_err(|e| SectionError::Serialize {
            name: name.to_owned(),
            message: e.to_string(),
        })?;
    let mut value = top;
    for key in rest.into_iter().flat_map(|r| r.split('.')) {
        value = match value {
            Value::Object(mut map) => map.remove(key).ok_or_else(unknown)?,
            _ => return Err(unknown()),
        };
    }
    Ok(value)
}

fn top_level(inv: &Inventory, field: &str) -> Option<serde_json::Result<Value>> {
    use serde_json::to_value;
    Some(match field {
        "schema_version" => to_value(inv.schema_version),
        "completeness" => to_value(&inv.completeness),
        "image" => to_value(&inv.image),
        "windows" => to_value(&inv.windows),
        "updates" => to_value(&inv.updates),
        "dotnet" => to_value(&inv.dotnet),
        "iis" => to_value(&inv.iis),
        "powershell" => to_value(&inv.powershell),
        "programs" => to_value(&inv.programs),
        "services" => to_value(&inv.services),
        "schannel" => to_value(&inv.schannel),
        "lsa" => to_value(&inv.lsa),
        "defender" => to_value(&inv.defender),
        "registry" => to_value(&inv.registry),
        "files" => to_value(&inv.files),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use winspect_inventory::{File, WebConfig};

    #[test]
    fn every_inventory_field_can_be_a_section() {
        // Guards `top_level` against a field added to the inventory later.
        let inv = Inventory::default();
        let whole = serde_json::to_value(&inv).unwrap();
        for name in KNOWN.iter() {
            let mut expected = &whole;
            for key in name.split('.') {
                expected = &expected[key];
            }
            assert_eq!(
                &section_value(&inv, name).unwrap(),
                expected,
                "section {name}"
            );
        }
        assert!(is_known("dotnet.packages"));
        assert!(is_known("iis.web_configs"));
        assert!(
            !is_known("files.path"),
            "fields inside list items are not sections"
        );
    }

    #[test]
    fn sections_hold_the_json_of_their_field() {
        let mut inv = Inventory::default();
        inv.files.push(File {
            path: "Windows/System32/drivers/RTCore64.sys".into(),
            sha256: "01aa278b07b58dc46c84bd0b1b5c8e9ee4e62ea0bf7a695862444af32e87f1fd".into(),
            ..File::default()
        });
        inv.iis.web_configs.push(WebConfig {
            path: "inetpub/wwwroot/web.config".into(),
            debug: true,
            ..WebConfig::default()
        });
        let s = Sections::from_inventory(&inv, ["files", "iis.web_configs", "files"]).unwrap();
        let files: Vec<File> = serde_json::from_slice(s.get("files").unwrap()).unwrap();
        assert_eq!(files, inv.files);
        let configs: Vec<WebConfig> =
            serde_json::from_slice(s.get("iis.web_configs").unwrap()).unwrap();
        assert_eq!(configs, inv.iis.web_configs);
        assert!(s.get("iis").is_none());
        let err = Sections::from_inventory(&inv, ["iis.web_config"]).unwrap_err();
        assert_eq!(
            err.to_string(),
            "inventory section `iis.web_config` does not exist (did you mean `iis.web_configs`?)"
        );
    }
}
