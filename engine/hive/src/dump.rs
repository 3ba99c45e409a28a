//! Dumps of a hive or a merged registry, as text and as JSON, for `winspect registry`.
//!
//! Both [`dump_hive`] (one hive as stored: tombstones shown) and [`dump_merged`] (the merged view:
//! tombstoned keys and values gone) produce a [`Dump`]; [`Dump::to_text`] renders it for people,
//! and the struct serialises to JSON with serde.
//!
//! Text format, one key per block, keys depth first sorted by name:
//!
//! ```text
//! # layer 0 `base`: REGF 1.5
//! # layer 1 `sha256:…`: REGF 1.6, layered keys
//! [Microsoft\Windows NT\CurrentVersion]  layer 1, merge, from layers 1,0
//!   class "…"                                     (only when the key has a class)
//!   "CurrentBuild" = REG_SZ "20348"  (layer 1)
//!   "UBR" = REG_DWORD 2655 (0xa5f)  (layer 0)
//!   (default) = REG_MULTI_SZ ["a", "b"]  (layer 0)
//!   "Old" = tombstone  (layer 1)                  (raw dumps only)
//! ! subkey list at 0x1234: …                      (a problem met while dumping)
//! ```
//!
//! JSON: `{"layers": [{"index", "label", "minor_version", "layered_keys", "dirty"}],
//! "keys": [{"path", "layer", "layers", "semantics", "inherit_class", "class", "last_written",
//! "values": [{"name", "type", "data", "layer", "tombstone"}]}], "errors": ["…"]}` where `data` is a
//! string (REG_SZ, REG_EXPAND_SZ, REG_LINK), an array of strings (REG_MULTI_SZ), a number (REG_DWORD,
//! REG_DWORD_BIG_ENDIAN, REG_QWORD) or a lowercase hex string (everything else), and `semantics`
//! is `merge`, `tombstone`, `supersede-local` or `supersede-tree`.

use std::fmt::Write as _;

use serde::Serialize;

use crate::error::HiveError;
use crate::merge::{MergedKey, MergedRegistry};
use crate::regf::{Hive, KeyNode, LayerSemantics, Value, ValueData};

/// A dump of keys and values with their layer semantics and provenance.
#[derive(Debug, Clone, Serialize)]
pub struct Dump {
    /// The hives dumped, in layer order.
    pub layers: Vec<DumpLayer>,
    /// Keys, depth first, sorted by name (raw dumps: in stored order).
    pub keys: Vec<DumpKey>,
    /// Problems met while dumping (the affected keys or values are left out).
    pub errors: Vec<String>,
}

/// One input hive.
#[derive(Debug, Clone, Serialize)]
pub struct DumpLayer {
    /// Index in the caller's list.
    pub index: usize,
    /// The caller's label.
    pub label: String,
    /// REGF minor version (6 for differencing hives).
    pub minor_version: u32,
    /// Base-block flag 0x2: the hive carries layered-key semantics.
    pub layered_keys: bool,
    /// The hive needed recovery and was read as it is.
    pub dirty: bool,
}

/// One key.
#[derive(Debug, Clone, Serialize)]
pub struct DumpKey {
    /// Path below the root (empty for the root).
    pub path: String,
    /// Layer of the topmost node.
    pub layer: usize,
    /// Every layer with a node in the key, topmost first.
    pub layers: Vec<usize>,
    /// The topmost node's layer semantics.
    pub semantics: LayerSemantics,
    /// The topmost node's inherit-class bit.
    pub inherit_class: bool,
    /// The effective class name.
    pub class: Option<String>,
    /// Last written time (FILETIME).
    pub last_written: u64,
    /// Values, sorted by name (raw dumps: in stored order).
    pub values: Vec<DumpValue>,
}

/// One value.
#[derive(Debug, Clone, Serialize)]
pub struct DumpValue {
    /// Name; empty for the default value.
    pub name: String,
    /// Registry type name (`REG_SZ`, ...).
    #[serde(rename = "type")]
    pub kind: String,
    /// The data, typed as described in the module docs.
    pub data: DumpData,
    /// Layer the value came from.
    pub layer: usize,
    /// A tombstone value (raw dumps of delta hives only).
    pub tombstone: bool,
}

/// A value's data in a dump.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(untagged)]
pub enum DumpData {
    /// A string type.
    String(String),
    /// REG_MULTI_SZ.
    Strings(Vec<String>),
    /// A number type.
    Number(u64),
    /// Anything else, as lowercase hex.
    Hex(String),
}

impl DumpData {
    fn from_value(value: &Value<'_>) -> Result<Self, HiveError> {
        Ok(match value.data()? {
            ValueData::String(s) | ValueData::ExpandString(s) | ValueData::Link(s) => {
                DumpData::String(s)
            }
            ValueData::MultiString(list) => DumpData::Strings(list),
            ValueData::Dword(n) | ValueData::DwordBigEndian(n) => DumpData::Number(u64::from(n)),
            ValueData::Qword(n) => DumpData::Number(n),
            ValueData::Bytes(bytes) => {
                DumpData::Hex(bytes.iter().fold(String::new(), |mut s, b| {
                    let _ = write!(s, "{b:02x}");
                    s
                }))
            }
        })
    }
}

fn layer_info(index: usize, label: &str, hive: &Hive) -> DumpLayer {
    DumpLayer {
        index,
        label: label.to_owned(),
        minor_version: hive.base_block().minor_version,
        layered_keys: hive.supports_layered_keys(),
        dirty: hive.is_dirty(),
    }
}

fn dump_value(
    value: &Value<'_>,
    layer: usize,
    errors: &mut Vec<String>,
    path: &str,
) -> Option<DumpValue> {
    let tombstone = value.is_tombstone();
    let data = if tombstone {
        DumpData::Hex(String::new())
    } else {
        match DumpData::from_value(value) {
            Ok(data) => data,
            Err(err) => {
                errors.push(format!("key `{path}`: {err}"));
                return None;
            }
        }
    };
    Some(DumpValue {
        name: value.name().into_owned(),
        kind: value.kind().name().into_owned(),
        data,
        layer,
        tombstone,
    })
}

/// Dumps one hive as stored, from `key` (a path below the root; `None` for the whole hive).
///
/// Tombstone keys and values are listed with their semantics, since nothing is merged.
pub fn dump_hive(hive: &Hive, label: &str, key: Option<&str>) -> Result<Dump, HiveError> {
    let start = match key {
        Some(path) => hive.open(path)?.ok_or_else(|| HiveError::KeyNotFound {
            path: path.to_owned(),
        })?,
        None => hive.root()?,
    };
    let prefix = key.map(|p| {
        crate::regf::path_components(p)
            .collect::<Vec<_>>()
            .join("\\")
    });
    let mut keys = Vec::new();
    let mut errors: Vec<String> = hive.bin_errors().iter().map(ToString::to_string).collect();
    let walk_errors = crate::regf::walk_from(start, |rel, node| {
        let path = match (&prefix, rel.is_empty()) {
            (Some(p), true) => p.clone(),
            (Some(p), false) => format!("{p}\\{rel}"),
            (None, _) => rel.to_owned(),
        };
        keys.push(raw_key(&path, node, &mut errors));
    });
    errors.extend(walk_errors.iter().map(ToString::to_string));
    Ok(Dump {
        layers: vec![layer_info(0, label, hive)],
        keys,
        errors,
    })
}

fn raw_key(path: &str, node: &KeyNode<'_>, errors: &mut Vec<String>) -> DumpKey {
    let class = node.class_name().unwrap_or_else(|err| {
        errors.push(format!("key `{path}`: {err}"));
        None
    });
    let values = match node.values() {
        Ok(values) => values
            .iter()
            .filter_map(|v| dump_value(v, 0, errors, path))
            .collect(),
        Err(err) => {
            errors.push(format!("key `{path}`: {err}"));
            Vec::new()
        }
    };
    DumpKey {
        path: path.to_owned(),
        layer: 0,
        layers: vec![0],
        semantics: node.layer_semantics(),
        inherit_class: node.inherit_class(),
        class,
        last_written: node.last_written(),
        values,
    }
}

/// Dumps the merged view from `key` (a path below the root; `None` for everything).
pub fn dump_merged(registry: &MergedRegistry, key: Option<&str>) -> Result<Dump, HiveError> {
    let start = match key {
        Some(path) => registry.open(path)?.ok_or_else(|| HiveError::KeyNotFound {
            path: path.to_owned(),
        })?,
        None => registry.root()?,
    };
    let mut keys = Vec::new();
    let mut errors = Vec::new();
    for layer in registry.layers() {
        errors.extend(
            layer
                .hive()
                .bin_errors()
                .iter()
                .map(|e| format!("layer `{}`: {e}", layer.label())),
        );
    }
    let walk_errors = start.walk(|key| keys.push(merged_key(key, &mut errors)));
    errors.extend(walk_errors.iter().map(ToString::to_string));
    let layers = registry
        .layers()
        .iter()
        .enumerate()
        .map(|(i, l)| layer_info(i, l.label(), l.hive()))
        .collect();
    Ok(Dump {
        layers,
        keys,
        errors,
    })
}

fn merged_key(key: &MergedKey<'_>, errors: &mut Vec<String>) -> DumpKey {
    let path = key.path().to_owned();
    let class = key.class_name().unwrap_or_else(|err| {
        errors.push(format!("key `{path}`: {err}"));
        None
    });
    let values = match key.values() {
        Ok(values) => values
            .iter()
            .filter_map(|v| dump_value(v, v.layer().index, errors, &path))
            .collect(),
        Err(err) => {
            errors.push(format!("key `{path}`: {err}"));
            Vec::new()
        }
    };
    DumpKey {
        layer: key.layer().index,
        layers: key.layers().iter().map(|l| l.index).collect(),
        semantics: key.semantics(),
        inherit_class: key.inherit_class(),
        class,
        last_written: key.last_written(),
        values,
        path,
    }
}

impl Dump {
    /// Renders the dump as text (format in the module docs).
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for layer in &self.layers {
            let _ = writeln!(
                out,
                "# layer {} `{}`: REGF 1.{}{}{}",
                layer.index,
                layer.label,
                layer.minor_version,
                if layer.layered_keys {
                    ", layered keys"
                } else {
                    ""
                },
                if layer.dirty {
                    ", dirty (read as is)"
                } else {
                    ""
                },
            );
        }
        for key in &self.keys {
            let layers: Vec<String> = key.layers.iter().map(ToString::to_string).collect();
            let _ = writeln!(
                out,
                "[{}]  layer {}, {}{}, from layers {}",
                key.path,
                key.layer,
                key.semantics,
                if key.inherit_class {
                    ", inherit-class"
                } else {
                    ""
                },
                layers.join(","),
            );
            if let Some(class) = &key.class {
                let _ = writeln!(out, "  class {class:?}");
            }
            for value in &key.values {
                let name = if value.name.is_empty() {
                    "(default)".to_owned()
                } else {
                    format!("{:?}", value.name)
                };
                let data = if value.tombstone {
                    "tombstone".to_owned()
                } else {
                    let data = match &value.data {
                        DumpData::String(s) => format!("{s:?}"),
                        DumpData::Strings(list) => format!("{list:?}"),
                        DumpData::Number(n) => format!("{n} ({n:#x})"),
                        DumpData::Hex(hex) => format!("hex:{hex}"),
                    };
                    format!("{} {data}", value.kind)
                };
                let _ = writeln!(out, "  {name} = {data}  (layer {})", value.layer);
            }
        }
        for error in &self.errors {
            let _ = writeln!(out, "! {error}");
        }
        out
    }

    /// Renders the dump as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}
