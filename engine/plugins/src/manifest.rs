//! The manifest a plugin gives about itself: name, version, interface
//! version, the sections it reads and the functions it offers.

use std::collections::BTreeSet;

use serde::Deserialize;
use winspect_inventory::SemVersion;

use crate::sections;
use crate::value::ValueType;

/// The plugin interface versions this host speaks.
pub const INTERFACE_VERSION: u32 = 1;

const MAX_NAME: usize = 64;
const MAX_DESCRIPTION: usize = 500;
const MAX_SECTIONS: usize = 32;
const MAX_FUNCTIONS: usize = 64;
const MAX_PARAMS: usize = 16;

/// What a plugin declares about itself, validated.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The interface version the plugin speaks (always [`INTERFACE_VERSION`] once loaded).
    pub interface: u32,
    pub name: String,
    pub version: SemVersion,
    pub description: Option<String>,
    /// Inventory sections the check receives, as declared (`iis`, `dotnet.packages`).
    pub sections: Vec<String>,
    /// Whether the plugin has a check ([`Plugin::run_check`](crate::Plugin::run_check)).
    pub check: bool,
    pub functions: Vec<FunctionSig>,
}

/// The signature of a plugin function.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FunctionSig {
    pub name: String,
    pub params: Vec<Param>,
    pub result: ValueType,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Param {
    pub name: String,
    pub ty: ValueType,
}

impl Manifest {
    pub fn function(&self, name: &str) -> Option<&FunctionSig> {
        self.functions.iter().find(|f| f.name == name)
    }
}

/// Why a manifest was refused.
#[derive(Debug)]
pub(crate) enum ManifestError {
    Interface(u64),
    Invalid(String),
    UnknownSection {
        section: String,
        suggestion: Option<String>,
    },
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawManifest {
    // Read (and checked) before this struct; kept so the field is known.
    #[serde(rename = "interface")]
    _interface: u64,
    name: String,
    version: String,
    #[serde(default)]
    description: Option<String>,
    sections: Vec<String>,
    check: bool,
    #[serde(default)]
    functions: Vec<RawFunction>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFunction {
    name: String,
    params: Vec<RawParam>,
    result: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawParam {
    name: String,
    #[serde(rename = "type")]
    ty: String,
}

/// Parses and validates manifest bytes. The interface version is read
/// first, alone, so a plugin of another version gets that error and not a
/// complaint about fields it has every right to have.
pub(crate) fn parse(bytes: &[u8]) -> Result<Manifest, ManifestError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ManifestError::Invalid(format!("not valid JSON: {e}")))?;
    let interface = value
        .get("interface")
        .ok_or_else(|| ManifestError::Invalid("missing field `interface`".to_owned()))?
        .as_u64()
        .ok_or_else(|| {
            ManifestError::Invalid("field `interface` is not a positive integer".to_owned())
        })?;
    if interface != u64::from(INTERFACE_VERSION) {
        return Err(ManifestError::Interface(interface));
    }
    let raw: RawManifest = serde_path_to_error::deserialize(value).map_err(|e| {
        let path = e.path().to_string();
        ManifestError::Invalid(if path == "." {
            e.into_inner().to_string()
        } else {
            format!("{path}: {}", e.into_inner())
        })
    })?;
    validate(raw)
}

fn validate(raw: RawManifest) -> Result<Manifest, ManifestError> {
    let invalid = |m: String| Err(ManifestError::Invalid(m));
    if !is_plugin_name(&raw.name) {
        return invalid(format!(
            "name `{}` must be 1 to {MAX_NAME} lowercase letters, digits and `-`, starting with a letter",
            raw.name
        ));
    }
    let version = SemVersion::parse(&raw.version)
        .map_err(|e| ManifestError::Invalid(format!("version: {e}")))?;
    if raw
        .description
        .as_ref()
        .is_some_and(|d| d.chars().count() > MAX_DESCRIPTION)
    {
        return invalid(format!(
            "description is longer than {MAX_DESCRIPTION} characters"
        ));
    }
    if raw.sections.len() > MAX_SECTIONS {
        return invalid(format!(
            "{} sections declared, at most {MAX_SECTIONS} are allowed",
            raw.sections.len()
        ));
    }
    let mut seen = BTreeSet::new();
    for section in &raw.sections {
        if !seen.insert(section.as_str()) {
            return invalid(format!("section `{section}` is declared twice"));
        }
        if !sections::is_known(section) {
            return Err(ManifestError::UnknownSection {
                section: section.clone(),
                suggestion: sections::suggest(section),
            });
        }
    }
    if raw.functions.len() > MAX_FUNCTIONS {
        return invalid(format!(
            "{} functions declared, at most {MAX_FUNCTIONS} are allowed",
            raw.functions.len()
        ));
    }
    if !raw.check && raw.functions.is_empty() {
        return invalid("the plugin declares neither a check nor a function".to_owned());
    }
    let mut names = BTreeSet::new();
    let mut functions = Vec::with_capacity(raw.functions.len());
    for f in raw.functions {
        if !is_identifier(&f.name) {
            return invalid(format!(
                "function name `{}` must be 1 to {MAX_NAME} lowercase letters, digits and `_`, starting with a letter",
                f.name
            ));
        }
        if !names.insert(f.name.clone()) {
            return invalid(format!("function `{}` is declared twice", f.name));
        }
        if f.params.len() > MAX_PARAMS {
            return invalid(format!(
                "function `{}` has {} parameters, at most {MAX_PARAMS} are allowed",
                f.name,
                f.params.len()
            ));
        }
        let mut params = Vec::with_capacity(f.params.len());
        let mut param_names = BTreeSet::new();
        for p in f.params {
            if !is_identifier(&p.name) || !param_names.insert(p.name.clone()) {
                return invalid(format!(
                    "function `{}`: parameter name `{}` is not a valid identifier or is repeated",
                    f.name, p.name
                ));
            }
            let ty = ValueType::parse(&p.ty).map_err(|e| {
                ManifestError::Invalid(format!("function `{}` parameter `{}`: {e}", f.name, p.name))
            })?;
            params.push(Param { name: p.name, ty });
        }
        let result = ValueType::parse(&f.result)
            .map_err(|e| ManifestError::Invalid(format!("function `{}` result: {e}", f.name)))?;
        functions.push(FunctionSig {
            name: f.name,
            params,
            result,
        });
    }
    Ok(Manifest {
        interface: INTERFACE_VERSION,
        name: raw.name,
        version,
        description: raw.description,
        sections: raw.sections,
        check: raw.check,
        functions,
    })
}

/// Plugin names join words with `-`.
fn is_plugin_name(name: &str) -> bool {
    is_lowercase_name(name, '-')
}

/// Function and parameter names join words with `_`, to be valid in the
/// rule language and in an export name.
fn is_identifier(name: &str) -> bool {
    is_lowercase_name(name, '_')
}

fn is_lowercase_name(name: &str, joiner: char) -> bool {
    name.len() <= MAX_NAME
        && name.chars().next().is_some_and(|c| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == joiner)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn err(text: &str) -> String {
        match parse(text.as_bytes()).unwrap_err() {
            ManifestError::Invalid(m) => m,
            other => panic!("unexpected {other:?}"),
        }
    }

    #[test]
    fn a_full_manifest_parses() {
        let m = parse(
            br#"{"interface":1,"name":"banned-hashes","version":"1.2.0","sections":["files","dotnet.packages"],"check":true,
                "functions":[{"name":"is_banned","params":[{"name":"sha256","type":"string"}],"result":"bool"}]}"#,
        )
        .unwrap();
        assert_eq!(m.name, "banned-hashes");
        assert_eq!(m.version.as_str(), "1.2.0");
        assert_eq!(m.sections, ["files", "dotnet.packages"]);
        let f = m.function("is_banned").unwrap();
        assert_eq!(f.params[0].ty, ValueType::String);
        assert_eq!(f.result, ValueType::Bool);
    }

    #[test]
    fn the_interface_version_is_checked_before_anything_else() {
        let e = parse(br#"{"interface":2,"whatever":"a v2 field"}"#).unwrap_err();
        assert!(matches!(e, ManifestError::Interface(2)), "{e:?}");
        assert_eq!(err(r#"{"name":"x"}"#), "missing field `interface`");
    }

    #[test]
    fn bad_manifests_say_what_is_wrong() {
        let base = |extra: &str| {
            format!(r#"{{"interface":1,"version":"1.0.0","sections":[],"check":true,{extra}}}"#)
        };
        assert!(err(&base(r#""name":"Bad Name""#)).contains("name `Bad Name` must be"));
        assert!(err(&base(r#""name":"ok","colour":"red""#)).contains("unknown field `colour`"));
        assert!(
            err(&base(
                r#""name":"ok","functions":[{"name":"f","params":[],"result":"version"}]"#
            ))
            .contains("function `f` result: unknown type `version`")
        );
        assert!(
            err(&base(
                r#""name":"ok","functions":[{"name":"f","params":[{"name":"a","type":"int"},{"name":"a","type":"int"}],"result":"int"}]"#
            ))
            .contains("parameter name `a`")
        );
        assert!(
            err(r#"{"interface":1,"name":"ok","version":"1.0","sections":[],"check":true}"#)
                .starts_with("version: `1.0` is not a semver version")
        );
        assert!(
            err(r#"{"interface":1,"name":"ok","version":"1.0.0","sections":[],"check":false}"#)
                .contains("neither a check nor a function")
        );
        assert!(
            err(r#"{"interface":1,"name":"ok","version":"1.0.0","sections":["files","files"],"check":true}"#)
                .contains("declared twice")
        );
        assert!(err("{").starts_with("not valid JSON"));
    }

    #[test]
    fn unknown_sections_get_a_suggestion() {
        let e = parse(
            br#"{"interface":1,"name":"ok","version":"1.0.0","sections":["iis.web_config"],"check":true}"#,
        )
        .unwrap_err();
        match e {
            ManifestError::UnknownSection {
                section,
                suggestion,
            } => {
                assert_eq!(section, "iis.web_config");
                assert_eq!(suggestion.as_deref(), Some("iis.web_configs"));
            }
            other => panic!("unexpected {other:?}"),
        }
    }
}
