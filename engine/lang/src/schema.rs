//! The types rules see, derived from the inventory's JSON Schema.
//!
//! The inventory crate is the single source of truth: its JSON Schema (what
//! `winspect schema` prints) is read here into record types, so a field added
//! there is usable in rules with no other change. Versions and dates are
//! recognised by their `format`; integer formats give bounds, which let the
//! checker reject comparisons that can never hold.

use std::collections::HashMap;

use serde_json::Value as Json;
use winspect_inventory::{Inventory, VersionKind};

use crate::types::{RecordId, Ty};

#[derive(Debug, Clone)]
pub struct FieldDef {
    pub name: String,
    pub ty: Ty,
    pub doc: String,
    /// Inclusive bounds of an integer field.
    pub bounds: Option<(i128, i128)>,
}

#[derive(Debug, Clone)]
pub struct RecordDef {
    pub name: String,
    pub fields: Vec<FieldDef>,
    /// The `layer` field, when records of this type carry provenance.
    pub layer_field: Option<usize>,
}

impl RecordDef {
    pub fn field(&self, name: &str) -> Option<(usize, &FieldDef)> {
        self.fields.iter().enumerate().find(|(_, f)| f.name == name)
    }
}

/// All record types, the inventory root, and the records built-ins return.
#[derive(Debug, Clone)]
pub struct Schema {
    records: Vec<RecordDef>,
    pub inventory: RecordId,
    /// The record policies see as `finding`.
    pub finding: RecordId,
    pub registry_value: RecordId,
    pub file: RecordId,
}

#[derive(Debug, thiserror::Error)]
#[error("the inventory schema cannot be read: {0}")]
pub struct SchemaError(String);

impl Schema {
    /// Builds the schema of the current inventory format.
    pub fn inventory() -> Result<Schema, SchemaError> {
        Schema::from_json_schema(&Inventory::json_schema())
    }

    pub fn from_json_schema(root: &Json) -> Result<Schema, SchemaError> {
        let mut reader = Reader {
            defs: root.get("$defs").and_then(Json::as_object),
            records: Vec::new(),
            by_name: HashMap::new(),
        };
        let inventory = reader.record("Inventory", root)?;
        let registry_value = reader.named("RegistryValue")?;
        let file = reader.named("File")?;
        let mut records = reader.records;
        let finding = RecordId(
            u16::try_from(records.len()).map_err(|_| SchemaError("too many records".into()))?,
        );
        records.push(finding_record());
        Ok(Schema {
            records,
            inventory,
            finding,
            registry_value,
            file,
        })
    }

    pub fn record(&self, id: RecordId) -> Option<&RecordDef> {
        self.records.get(usize::from(id.0))
    }

    pub fn records(&self) -> &[RecordDef] {
        &self.records
    }
}

/// What policies know about a finding. Field order is the value layout used
/// by `policy::finding_value`.
fn finding_record() -> RecordDef {
    let field = |name: &str, ty: Ty, doc: &str| FieldDef {
        name: name.to_owned(),
        ty,
        doc: doc.to_owned(),
        bounds: None,
    };
    RecordDef {
        name: "Finding".to_owned(),
        fields: vec![
            field("rule", Ty::Str, "the rule or advisory id"),
            field("kind", Ty::Str, "`rule`, `advisory` or `error`"),
            field("pack", Ty::Str, "the pack the rule belongs to"),
            field(
                "severity",
                Ty::Severity,
                "info, low, medium, high or critical",
            ),
            field("title", Ty::Str, "the rule's title"),
            field("message", Ty::Str, "the reported message"),
            field("tags", Ty::List(Box::new(Ty::Str)), "the rule's tags"),
            field(
                "controls",
                Ty::List(Box::new(Ty::Str)),
                "compliance controls",
            ),
            field(
                "cvss",
                Ty::Float.optional(),
                "CVSS base score of an advisory",
            ),
            field("exploited", Ty::Bool, "known to be exploited"),
            field(
                "published",
                Ty::Date.optional(),
                "when the advisory was published",
            ),
            field("age", Ty::Duration.optional(), "time since publication"),
        ],
        layer_field: None,
    }
}

struct Reader<'a> {
    defs: Option<&'a serde_json::Map<String, Json>>,
    records: Vec<RecordDef>,
    by_name: HashMap<String, RecordId>,
}

impl Reader<'_> {
    fn named(&mut self, name: &str) -> Result<RecordId, SchemaError> {
        if let Some(id) = self.by_name.get(name) {
            return Ok(*id);
        }
        let def = self
            .defs
            .and_then(|d| d.get(name))
            .ok_or_else(|| SchemaError(format!("no definition `{name}`")))?;
        self.record(name, def)
    }

    fn record(&mut self, name: &str, schema: &Json) -> Result<RecordId, SchemaError> {
        let id = RecordId(
            u16::try_from(self.records.len())
                .map_err(|_| SchemaError("too many records".into()))?,
        );
        self.by_name.insert(name.to_owned(), id);
        // Reserve the slot first so recursive references resolve.
        self.records.push(RecordDef {
            name: name.to_owned(),
            fields: Vec::new(),
            layer_field: None,
        });
        let mut fields = Vec::new();
        if let Some(props) = schema.get("properties").and_then(Json::as_object) {
            for (field, prop) in props {
                let (ty, bounds) = self.ty(prop)?;
                let doc = prop
                    .get("description")
                    .and_then(Json::as_str)
                    .unwrap_or("")
                    .to_owned();
                fields.push(FieldDef {
                    name: field.clone(),
                    ty,
                    doc,
                    bounds,
                });
            }
        }
        let layer_field = fields.iter().position(|f| f.name == "layer");
        if let Some(slot) = self.records.get_mut(usize::from(id.0)) {
            slot.fields = fields;
            slot.layer_field = layer_field;
        }
        Ok(id)
    }

    fn ty(&mut self, prop: &Json) -> Result<(Ty, Option<(i128, i128)>), SchemaError> {
        if let Some(reference) = prop.get("$ref").and_then(Json::as_str) {
            let name = reference.rsplit('/').next().unwrap_or(reference);
            return Ok((Ty::Record(self.named(name)?), None));
        }
        if let Some(any_of) = prop.get("anyOf").and_then(Json::as_array) {
            let mut inner = None;
            let mut nullable = false;
            for alt in any_of {
                if alt.get("type").and_then(Json::as_str) == Some("null") {
                    nullable = true;
                } else {
                    inner = Some(self.ty(alt)?);
                }
            }
            let (ty, bounds) = inner.ok_or_else(|| SchemaError("empty anyOf".into()))?;
            return Ok((if nullable { ty.optional() } else { ty }, bounds));
        }
        let (kind, nullable) = match prop.get("type") {
            Some(Json::String(s)) => (s.as_str(), false),
            Some(Json::Array(kinds)) => {
                let mut kind = None;
                let mut nullable = false;
                for k in kinds.iter().filter_map(Json::as_str) {
                    if k == "null" {
                        nullable = true;
                    } else {
                        kind = Some(k);
                    }
                }
                (kind.unwrap_or("null"), nullable)
            }
            _ => return Err(SchemaError(format!("a property without a type: {prop}"))),
        };
        let format = prop.get("format").and_then(Json::as_str).unwrap_or("");
        let mut bounds = None;
        let ty = match kind {
            "boolean" => Ty::Bool,
            "number" => Ty::Float,
            "integer" => {
                bounds = integer_bounds(format);
                Ty::Int
            }
            "string" => match VersionKind::from_schema_format(format) {
                Some(k) => Ty::Version(k),
                None if format == "date" => Ty::Date,
                None => Ty::Str,
            },
            "array" => {
                let items = prop
                    .get("items")
                    .ok_or_else(|| SchemaError("an array without items".into()))?;
                Ty::List(Box::new(self.ty(items)?.0))
            }
            "object" => {
                let name = format!("Object{}", self.records.len());
                Ty::Record(self.record(&name, prop)?)
            }
            other => return Err(SchemaError(format!("unsupported type `{other}`"))),
        };
        Ok((if nullable { ty.optional() } else { ty }, bounds))
    }
}

fn integer_bounds(format: &str) -> Option<(i128, i128)> {
    Some(match format {
        "uint8" => (0, i128::from(u8::MAX)),
        "uint16" => (0, i128::from(u16::MAX)),
        "uint32" => (0, i128::from(u32::MAX)),
        "uint64" | "uint" => (0, i128::from(u64::MAX)),
        "int8" => (i128::from(i8::MIN), i128::from(i8::MAX)),
        "int16" => (i128::from(i16::MIN), i128::from(i16::MAX)),
        "int32" => (i128::from(i32::MIN), i128::from(i32::MAX)),
        "int64" | "int" => (i128::from(i64::MIN), i128::from(i64::MAX)),
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_inventory_schema() {
        let schema = Schema::inventory().unwrap();
        let inv = schema.record(schema.inventory).unwrap();
        let (_, iis) = inv.field("iis").unwrap();
        let Ty::Record(iis) = iis.ty else { panic!() };
        let iis = schema.record(iis).unwrap();
        let (_, sites) = iis.field("sites").unwrap();
        let Ty::List(site) = &sites.ty else { panic!() };
        let Ty::Record(site) = **site else { panic!() };
        let site = schema.record(site).unwrap();
        assert_eq!(site.name, "IisSite");
        assert!(site.layer_field.is_some());
        let (_, windows) = inv.field("windows").unwrap();
        let Ty::Record(windows) = windows.ty else {
            panic!()
        };
        let windows = schema.record(windows).unwrap();
        assert_eq!(
            windows.field("version").unwrap().1.ty,
            Ty::Version(VersionKind::Windows).optional()
        );
        assert_eq!(
            windows.field("build").unwrap().1.bounds,
            Some((0, i128::from(u32::MAX)))
        );
        let file = schema.record(schema.file).unwrap();
        assert_eq!(file.name, "File");
    }
}
