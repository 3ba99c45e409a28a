//! Runtime values, and the inventory turned into them once per evaluation.
//!
//! Records are field arrays in schema order, so a compiled field access is an
//! index, never a name look-up. Versions and dates are parsed here, once.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::fmt;
use std::sync::Arc;

use serde::Serialize;
use serde_json::Value as Json;
use winspect_inventory::{Date, Inventory, Version};

use crate::schema::Schema;
use crate::types::{RecordId, Ty};

/// How serious a finding is. Ordered: `info < low < medium < high < critical`.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, serde::Deserialize,
)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl Severity {
    pub const ALL: [Severity; 5] = [
        Severity::Info,
        Severity::Low,
        Severity::Medium,
        Severity::High,
        Severity::Critical,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        }
    }

    pub fn parse(name: &str) -> Option<Severity> {
        Severity::ALL.into_iter().find(|s| s.name() == name)
    }

    /// The CVSS v3 qualitative rating of a base score.
    pub fn from_cvss(score: f64) -> Severity {
        if score >= 9.0 {
            Severity::Critical
        } else if score >= 7.0 {
            Severity::High
        } else if score >= 4.0 {
            Severity::Medium
        } else if score > 0.0 {
            Severity::Low
        } else {
            Severity::Info
        }
    }
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where a record sits in the inventory, for messages: `iis.sites[2]`.
#[derive(Debug, Clone, PartialEq)]
pub struct Origin {
    pub list: Arc<str>,
    pub index: Option<u32>,
}

impl fmt::Display for Origin {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.index {
            Some(i) => write!(f, "{}[{i}]", self.list),
            None => f.write_str(&self.list),
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    pub ty: RecordId,
    pub origin: Origin,
    pub fields: Box<[Value]>,
}

#[derive(Debug, Clone, Default)]
pub enum Value {
    #[default]
    Null,
    Bool(bool),
    Int(i64),
    Float(f64),
    Str(Arc<str>),
    Version(Arc<Version>),
    Date(Date),
    /// Seconds.
    Duration(i64),
    Severity(Severity),
    List(Arc<[Value]>),
    Record(Arc<Record>),
}

impl PartialEq for Value {
    fn eq(&self, other: &Value) -> bool {
        values_equal(self, other)
    }
}

impl Value {
    pub fn str(s: &str) -> Value {
        Value::Str(Arc::from(s))
    }

    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    pub fn truthy(&self) -> bool {
        matches!(self, Value::Bool(true))
    }

    pub fn as_str(&self) -> Option<&str> {
        match self {
            Value::Str(s) => Some(s),
            _ => None,
        }
    }

    pub fn as_record(&self) -> Option<&Record> {
        match self {
            Value::Record(r) => Some(r),
            _ => None,
        }
    }

    pub fn as_list(&self) -> Option<&[Value]> {
        match self {
            Value::List(l) => Some(l),
            _ => None,
        }
    }

    /// A field of a record; absent for anything else (null propagates).
    pub fn field(&self, index: usize) -> &Value {
        match self {
            Value::Record(r) => r.fields.get(index).unwrap_or(&Value::Null),
            _ => &Value::Null,
        }
    }
}

/// Equality as rules see it: numbers across int/float, versions by their
/// kind's rules, absent equal only to absent.
pub fn values_equal(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Null, Value::Null) => true,
        (Value::Bool(x), Value::Bool(y)) => x == y,
        (Value::Str(x), Value::Str(y)) => x == y,
        (Value::List(x), Value::List(y)) => {
            x.len() == y.len() && x.iter().zip(y.iter()).all(|(p, q)| values_equal(p, q))
        }
        (Value::Record(x), Value::Record(y)) => Arc::ptr_eq(x, y) || x == y,
        _ => compare(a, b) == Some(Ordering::Equal),
    }
}

/// Order of two values of one ordered type; `None` when either is absent or
/// they do not compare (the checker prevents the latter).
pub fn compare(a: &Value, b: &Value) -> Option<Ordering> {
    match (a, b) {
        (Value::Int(x), Value::Int(y)) => Some(x.cmp(y)),
        (Value::Int(x), Value::Float(y)) => (*x as f64).partial_cmp(y),
        (Value::Float(x), Value::Int(y)) => x.partial_cmp(&(*y as f64)),
        (Value::Float(x), Value::Float(y)) => x.partial_cmp(y),
        (Value::Str(x), Value::Str(y)) => Some(x.cmp(y)),
        (Value::Version(x), Value::Version(y)) => x.compare(y),
        (Value::Date(x), Value::Date(y)) => Some(x.cmp(y)),
        (Value::Duration(x), Value::Duration(y)) => Some(x.cmp(y)),
        (Value::Severity(x), Value::Severity(y)) => Some(x.cmp(y)),
        (Value::Bool(x), Value::Bool(y)) => Some(x.cmp(y)),
        _ => None,
    }
}

/// A duration the way rules write it, in the largest exact unit of days,
/// hours, minutes and seconds (weeks read oddly in reports).
pub fn format_duration(secs: i64) -> String {
    for (unit, size) in [("d", 86_400), ("h", 3_600), ("m", 60)] {
        if secs != 0 && secs % size == 0 {
            return format!("{}{unit}", secs / size);
        }
    }
    format!("{secs}s")
}

impl fmt::Display for Value {
    /// How values appear in messages.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => f.write_str("(unset)"),
            Value::Bool(b) => write!(f, "{b}"),
            Value::Int(n) => write!(f, "{n}"),
            Value::Float(x) => write!(f, "{x}"),
            Value::Str(s) => f.write_str(s),
            Value::Version(v) => f.write_str(v.as_str()),
            Value::Date(d) => write!(f, "{d}"),
            Value::Duration(s) => f.write_str(&format_duration(*s)),
            Value::Severity(s) => f.write_str(s.name()),
            Value::List(items) => {
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                Ok(())
            }
            Value::Record(r) => write!(f, "{}", r.origin),
        }
    }
}

/// A value as `--explain` shows it: strings quoted, so `""` is visible.
#[derive(Debug)]
pub struct Quoted<'a>(pub &'a Value);

impl fmt::Display for Quoted<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Value::Str(s) => write!(f, "{s:?}"),
            Value::List(items) if items.len() > 8 => write!(f, "[{} items]", items.len()),
            Value::List(items) => {
                f.write_str("[")?;
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{}", Quoted(item))?;
                }
                f.write_str("]")
            }
            other => write!(f, "{other}"),
        }
    }
}

/// An inventory ready for evaluation: values in schema layout, plus the
/// indexes built-ins use (registry by key and name, files by path).
#[derive(Debug)]
pub struct PreparedInventory {
    pub root: Value,
    registry: HashMap<(String, String), Value>,
    registry_keys: std::collections::HashSet<String>,
    files: HashMap<String, Value>,
    /// The inventory as JSON, kept when plugins will need sections of it.
    json: Option<Json>,
    /// Sections serialized for plugins, once per inventory.
    sections: std::sync::Mutex<HashMap<String, Arc<[u8]>>>,
}

impl PreparedInventory {
    pub fn new(inventory: &Inventory, schema: &Schema, keep_json: bool) -> PreparedInventory {
        let json = serde_json::to_value(inventory).unwrap_or(Json::Null);
        let root = convert(
            &json,
            &Ty::Record(schema.inventory),
            schema,
            &Origin {
                list: Arc::from(""),
                index: None,
            },
        );
        let mut prepared = PreparedInventory {
            root,
            registry: HashMap::new(),
            registry_keys: Default::default(),
            files: HashMap::new(),
            json: keep_json.then_some(json),
            sections: std::sync::Mutex::new(HashMap::new()),
        };
        let inv_record = schema.record(schema.inventory);
        let field_of = |name: &str| inv_record.and_then(|r| r.field(name)).map(|(i, _)| i);
        let rv = schema.record(schema.registry_value);
        let rv_path = rv.and_then(|r| r.field("path")).map(|(i, _)| i);
        let rv_name = rv.and_then(|r| r.field("name")).map(|(i, _)| i);
        if let (Some(reg), Some(p), Some(n)) = (field_of("registry"), rv_path, rv_name) {
            for value in prepared.root.field(reg).as_list().unwrap_or(&[]) {
                let path = normalize_registry_path(value.field(p).as_str().unwrap_or(""));
                let name = value.field(n).as_str().unwrap_or("").to_ascii_lowercase();
                prepared.registry_keys.insert(path.clone());
                prepared.registry.insert((path, name), value.clone());
            }
        }
        let file_path = schema
            .record(schema.file)
            .and_then(|r| r.field("path"))
            .map(|(i, _)| i);
        if let (Some(files), Some(p)) = (field_of("files"), file_path) {
            for value in prepared.root.field(files).as_list().unwrap_or(&[]) {
                let path = normalize_file_path(value.field(p).as_str().unwrap_or(""));
                prepared.files.insert(path, value.clone());
            }
        }
        prepared
    }

    /// A section of the inventory as JSON bytes (`iis`, `dotnet.packages`),
    /// serialized on first use and shared afterwards; `null` when absent.
    pub fn section(&self, name: &str) -> Arc<[u8]> {
        if let Some(hit) = self.sections.lock().ok().and_then(|s| s.get(name).cloned()) {
            return hit;
        }
        let mut node = self.json.as_ref();
        for part in name.split('.') {
            node = node.and_then(|n| n.get(part));
        }
        let bytes: Arc<[u8]> = match node {
            Some(value) => serde_json::to_vec(value)
                .unwrap_or_else(|_| b"null".to_vec())
                .into(),
            None => Arc::from(&b"null"[..]),
        };
        if let Ok(mut cache) = self.sections.lock() {
            cache.insert(name.to_owned(), bytes.clone());
        }
        bytes
    }

    pub fn registry_value(&self, path: &str, name: &str) -> Value {
        self.registry
            .get(&(normalize_registry_path(path), name.to_ascii_lowercase()))
            .cloned()
            .unwrap_or(Value::Null)
    }

    pub fn registry_key_exists(&self, path: &str) -> bool {
        self.registry_keys.contains(&normalize_registry_path(path))
    }

    pub fn file(&self, path: &str) -> Value {
        self.files
            .get(&normalize_file_path(path))
            .cloned()
            .unwrap_or(Value::Null)
    }
}

/// `HKEY_LOCAL_MACHINE\Software\X` and `hklm\SOFTWARE\X\` name one key.
pub fn normalize_registry_path(path: &str) -> String {
    let trimmed = path.trim().trim_end_matches('\\');
    let (hive, rest) = trimmed.split_once('\\').unwrap_or((trimmed, ""));
    let hive = match hive.to_ascii_uppercase().as_str() {
        "HKEY_LOCAL_MACHINE" => "HKLM".to_owned(),
        "HKEY_USERS" => "HKU".to_owned(),
        "HKEY_CURRENT_USER" => "HKCU".to_owned(),
        "HKEY_CLASSES_ROOT" => "HKCR".to_owned(),
        other => other.to_owned(),
    };
    if rest.is_empty() {
        hive.to_ascii_lowercase()
    } else {
        format!("{hive}\\{rest}").to_ascii_lowercase()
    }
}

/// `C:\Windows\System32\x.dll`, `/Windows/System32/X.DLL` and
/// `Windows/System32/x.dll` name one file.
pub fn normalize_file_path(path: &str) -> String {
    let p = path.trim().replace('\\', "/");
    let p = p
        .strip_prefix("C:")
        .or_else(|| p.strip_prefix("c:"))
        .unwrap_or(&p);
    p.trim_start_matches('/').to_ascii_lowercase()
}

/// JSON (as serde writes the inventory) to a value of type `ty`.
fn convert(json: &Json, ty: &Ty, schema: &Schema, origin: &Origin) -> Value {
    match (ty, json) {
        (_, Json::Null) => Value::Null,
        (Ty::Optional(inner), _) => convert(json, inner, schema, origin),
        (Ty::Bool, Json::Bool(b)) => Value::Bool(*b),
        (Ty::Int, Json::Number(n)) => n
            .as_i64()
            .map(Value::Int)
            .or_else(|| {
                n.as_u64()
                    .map(|u| Value::Int(i64::try_from(u).unwrap_or(i64::MAX)))
            })
            .unwrap_or(Value::Null),
        (Ty::Float, Json::Number(n)) => n.as_f64().map(Value::Float).unwrap_or(Value::Null),
        (Ty::Str, Json::String(s)) => Value::str(s),
        (Ty::Version(kind), Json::String(s)) => Version::parse(*kind, s)
            .map(|v| Value::Version(Arc::new(v)))
            .unwrap_or(Value::Null),
        (Ty::Date, Json::String(s)) => Date::parse(s).map(Value::Date).unwrap_or(Value::Null),
        (Ty::List(inner), Json::Array(items)) => {
            let list: Arc<str> = Arc::from(origin.to_string());
            let values: Vec<Value> = items
                .iter()
                .enumerate()
                .map(|(i, item)| {
                    let o = Origin {
                        list: list.clone(),
                        index: Some(u32::try_from(i).unwrap_or(u32::MAX)),
                    };
                    convert(item, inner, schema, &o)
                })
                .collect();
            Value::List(values.into())
        }
        (Ty::Record(id), Json::Object(map)) => {
            let Some(def) = schema.record(*id) else {
                return Value::Null;
            };
            let fields: Vec<Value> = def
                .fields
                .iter()
                .map(|f| match map.get(&f.name) {
                    Some(v) => {
                        let child = child_origin(origin, &f.name);
                        convert(v, &f.ty, schema, &child)
                    }
                    None => Value::Null,
                })
                .collect();
            Value::Record(Arc::new(Record {
                ty: *id,
                origin: origin.clone(),
                fields: fields.into(),
            }))
        }
        _ => Value::Null,
    }
}

fn child_origin(parent: &Origin, field: &str) -> Origin {
    let parent = parent.to_string();
    Origin {
        list: if parent.is_empty() {
            Arc::from(field)
        } else {
            Arc::from(format!("{parent}.{field}"))
        },
        index: None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn registry_and_file_paths_normalise() {
        assert_eq!(
            normalize_registry_path("HKEY_LOCAL_MACHINE\\Software\\Microsoft\\"),
            "hklm\\software\\microsoft"
        );
        assert_eq!(
            normalize_file_path("C:\\Windows\\System32\\X.dll"),
            "windows/system32/x.dll"
        );
        assert_eq!(
            normalize_file_path("/Windows/System32/x.dll"),
            "windows/system32/x.dll"
        );
    }

    #[test]
    fn prepared_inventory_has_typed_values_and_origins() {
        let schema = Schema::inventory().unwrap();
        let inv = Inventory::from_json(
            r#"{"windows": {"build": 17763, "ubr": 2452, "version": "10.0.17763.2452"},
                "iis": {"sites": [{"name": "a"}, {"name": "b"}]},
                "registry": [{"path": "HKLM\\SOFTWARE\\X", "name": "Y", "kind": "REG_DWORD", "number": 1}]}"#,
        )
        .unwrap();
        let p = PreparedInventory::new(&inv, &schema, false);
        let inv_def = schema.record(schema.inventory).unwrap();
        let (iis, _) = inv_def.field("iis").unwrap();
        let iis_val = p.root.field(iis);
        let Value::Record(iis_rec) = iis_val else {
            panic!()
        };
        let iis_def = schema.record(iis_rec.ty).unwrap();
        let (sites, _) = iis_def.field("sites").unwrap();
        let sites = iis_val.field(sites).as_list().unwrap();
        assert_eq!(
            sites[1].as_record().unwrap().origin.to_string(),
            "iis.sites[1]"
        );
        assert!(
            !p.registry_value("hkey_local_machine\\software\\x", "y")
                .is_null()
        );
        assert!(p.registry_key_exists("HKLM\\Software\\X"));
    }

    #[test]
    fn durations_print_in_the_largest_exact_unit() {
        assert_eq!(format_duration(30 * 86_400), "30d");
        assert_eq!(format_duration(14 * 86_400), "14d");
        assert_eq!(format_duration(7_200), "2h");
        assert_eq!(format_duration(90), "90s");
        assert_eq!(format_duration(120), "2m");
    }
}
