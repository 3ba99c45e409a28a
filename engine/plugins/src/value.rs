//! The types a plugin function may declare, and values of those types.

use std::fmt;

use serde_json::Value;
use winspect_inventory::{Date, Version, VersionKind};

/// How deep `list<...>` may nest in a declared type.
const MAX_LIST_DEPTH: usize = 4;

/// A type a plugin function declares for a parameter or its result.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum ValueType {
    Bool,
    Int,
    Float,
    String,
    Date,
    /// One of the inventory's version kinds, ordered as the inventory orders it.
    Version(VersionKind),
    List(Box<ValueType>),
}

impl ValueType {
    /// Parses a type name as the manifest writes it: `bool`, `int`, `float`,
    /// `string`, `date`, `windows-version`, `dotnet-version`, `semver` or
    /// `list<T>`.
    pub fn parse(text: &str) -> Result<ValueType, String> {
        Self::parse_at_depth(text.trim(), 0)
    }

    fn parse_at_depth(text: &str, depth: usize) -> Result<ValueType, String> {
        if let Some(inner) = text
            .strip_prefix("list<")
            .and_then(|rest| rest.strip_suffix('>'))
        {
            if depth >= MAX_LIST_DEPTH {
                return Err(format!(
                    "type `{text}` nests lists more than {MAX_LIST_DEPTH} deep"
                ));
            }
            return Ok(ValueType::List(Box::new(Self::parse_at_depth(
                inner.trim(),
                depth + 1,
            )?)));
        }
        Ok(match text {
            "bool" => ValueType::Bool,
            "int" => ValueType::Int,
            "float" => ValueType::Float,
            "string" => ValueType::String,
            "date" => ValueType::Date,
            other => match VersionKind::from_schema_format(other) {
                Some(kind) => ValueType::Version(kind),
                None => {
                    return Err(format!(
                        "unknown type `{other}` (expected bool, int, float, string, date, \
                         windows-version, dotnet-version, semver or list<T>)"
                    ));
                }
            },
        })
    }
}

impl fmt::Display for ValueType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ValueType::Bool => f.write_str("bool"),
            ValueType::Int => f.write_str("int"),
            ValueType::Float => f.write_str("float"),
            ValueType::String => f.write_str("string"),
            ValueType::Date => f.write_str("date"),
            ValueType::Version(kind) => f.write_str(kind.schema_format()),
            ValueType::List(inner) => write!(f, "list<{inner}>"),
        }
    }
}

/// A value passed to or returned by a plugin function.
#[derive(Debug, Clone, PartialEq)]
pub enum TypedValue {
    Bool(bool),
    Int(i64),
    Float(f64),
    String(String),
    Date(Date),
    Version(Version),
    List(Vec<TypedValue>),
}

impl TypedValue {
    /// Whether this value is of type `ty` (an empty list is of every list type).
    pub fn has_type(&self, ty: &ValueType) -> bool {
        match (self, ty) {
            (TypedValue::Bool(_), ValueType::Bool)
            | (TypedValue::Int(_), ValueType::Int)
            | (TypedValue::Float(_), ValueType::Float)
            | (TypedValue::String(_), ValueType::String)
            | (TypedValue::Date(_), ValueType::Date) => true,
            (TypedValue::Version(v), ValueType::Version(kind)) => v.kind() == *kind,
            (TypedValue::List(items), ValueType::List(inner)) => {
                items.iter().all(|item| item.has_type(inner))
            }
            _ => false,
        }
    }

    /// The JSON form the interface uses for this value.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            TypedValue::Bool(b) => Value::Bool(*b),
            TypedValue::Int(i) => Value::from(*i),
            TypedValue::Float(x) => Value::from(*x),
            TypedValue::String(s) => Value::String(s.clone()),
            TypedValue::Date(d) => Value::String(d.to_string()),
            TypedValue::Version(v) => Value::String(v.as_str().to_owned()),
            TypedValue::List(items) => Value::Array(items.iter().map(Self::to_json).collect()),
        }
    }

    /// Reads a value of type `ty` from its JSON form; the error says what is
    /// wrong, with `at` naming where (`value[2]`).
    pub(crate) fn from_json(value: &Value, ty: &ValueType, at: &str) -> Result<Self, String> {
        let wrong = || format!("{at} should be {ty} but is {}", describe(value));
        Ok(match ty {
            ValueType::Bool => TypedValue::Bool(value.as_bool().ok_or_else(wrong)?),
            ValueType::Int => TypedValue::Int(value.as_i64().ok_or_else(wrong)?),
            ValueType::Float => TypedValue::Float(value.as_f64().ok_or_else(wrong)?),
            ValueType::String => TypedValue::String(value.as_str().ok_or_else(wrong)?.to_owned()),
            ValueType::Date => {
                let text = value.as_str().ok_or_else(wrong)?;
                TypedValue::Date(Date::parse(text).map_err(|e| format!("{at}: {e}"))?)
            }
            ValueType::Version(kind) => {
                let text = value.as_str().ok_or_else(wrong)?;
                TypedValue::Version(Version::parse(*kind, text).map_err(|e| format!("{at}: {e}"))?)
            }
            ValueType::List(inner) => {
                let items = value.as_array().ok_or_else(wrong)?;
                let mut out = Vec::with_capacity(items.len());
                for (i, item) in items.iter().enumerate() {
                    out.push(Self::from_json(item, inner, &format!("{at}[{i}]"))?);
                }
                TypedValue::List(out)
            }
        })
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Null => "null".to_owned(),
        Value::Bool(b) => format!("the boolean {b}"),
        Value::Number(n) => format!("the number {n}"),
        Value::String(s) if s.len() <= 40 => format!("the string `{s}`"),
        Value::String(_) => "a string".to_owned(),
        Value::Array(_) => "an array".to_owned(),
        Value::Object(_) => "an object".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn type_names_round_trip() {
        for name in [
            "bool",
            "int",
            "float",
            "string",
            "date",
            "windows-version",
            "dotnet-version",
            "semver",
            "list<string>",
            "list<list<windows-version>>",
        ] {
            assert_eq!(ValueType::parse(name).unwrap().to_string(), name);
        }
        assert!(
            ValueType::parse("version")
                .unwrap_err()
                .contains("unknown type `version`")
        );
        assert!(ValueType::parse("list<list<list<list<list<int>>>>>").is_err());
        assert!(ValueType::parse("list<int").is_err());
    }

    #[test]
    fn values_are_checked_against_their_type() {
        let ty = ValueType::parse("list<windows-version>").unwrap();
        let v = TypedValue::from_json(&json!(["10.0.17763.2452", "4.8"]), &ty, "value").unwrap();
        assert!(v.has_type(&ty));
        assert_eq!(v.to_json(), json!(["10.0.17763.2452", "4.8"]));
        let err = TypedValue::from_json(&json!(["10.0", 3]), &ty, "value").unwrap_err();
        assert_eq!(
            err,
            "value[1] should be windows-version but is the number 3"
        );
        let err =
            TypedValue::from_json(&json!("ten"), &ValueType::parse("semver").unwrap(), "value")
                .unwrap_err();
        assert!(err.contains("not a semver version"), "{err}");
        assert!(TypedValue::from_json(&json!(1.5), &ValueType::Int, "value").is_err());
        assert_eq!(
            TypedValue::from_json(&json!(2), &ValueType::Float, "value").unwrap(),
            TypedValue::Float(2.0)
        );
        let date = TypedValue::from_json(&json!("2024-02-29"), &ValueType::Date, "value").unwrap();
        assert_eq!(date.to_json(), json!("2024-02-29"));
        assert!(!TypedValue::Int(1).has_type(&ValueType::Float));
    }
}
