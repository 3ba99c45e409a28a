//! What a plugin returns: findings from a check, a typed value from a
//! function, or an error it reports. Everything is validated here, so a
//! plugin bug becomes a typed error and never a wrong value.

use std::fmt;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::manifest::FunctionSig;
use crate::value::TypedValue;

const MAX_ID: usize = 64;

/// How serious a finding is, lowest first.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Info,
    Low,
    Medium,
    High,
    Critical,
}

impl fmt::Display for Severity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Severity::Info => "info",
            Severity::Low => "low",
            Severity::Medium => "medium",
            Severity::High => "high",
            Severity::Critical => "critical",
        })
    }
}

/// One finding a plugin check reported.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PluginFinding {
    /// The plugin's own id for this kind of finding, e.g. `WEBCONFIG-DEBUG`.
    pub id: String,
    pub severity: Severity,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub remediation: Option<String>,
    /// What the finding is about: a file path relative to `C:\`, a site name, ...
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub subject: Option<String>,
    /// The digest of the layer that introduced the subject.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub layer: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CheckOutput {
    findings: Option<Vec<PluginFinding>>,
    error: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct FunctionOutput {
    value: Option<serde_json::Value>,
    error: Option<String>,
}

/// A plugin's output, read: what it returned or the error it reported.
#[derive(Debug)]
pub(crate) enum Outcome<T> {
    Ok(T),
    Reported(String),
}

fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, String> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        if path == "." {
            e.into_inner().to_string()
        } else {
            format!("{path}: {}", e.into_inner())
        }
    })?;
    de.end().map_err(|e| e.to_string())?;
    Ok(value)
}

pub(crate) fn check_output(bytes: &[u8]) -> Result<Outcome<Vec<PluginFinding>>, String> {
    let out: CheckOutput = decode(bytes)?;
    match (out.findings, out.error) {
        (Some(findings), None) => {
            for (i, f) in findings.iter().enumerate() {
                validate_finding(f).map_err(|e| format!("findings[{i}]: {e}"))?;
            }
            Ok(Outcome::Ok(findings))
        }
        (None, Some(message)) => Ok(Outcome::Reported(message)),
        (Some(_), Some(_)) => Err("has both `findings` and `error`".to_owned()),
        (None, None) => Err("has neither `findings` nor `error`".to_owned()),
    }
}

pub(crate) fn function_output(
    bytes: &[u8],
    sig: &FunctionSig,
) -> Result<Outcome<TypedValue>, String> {
    let out: FunctionOutput = decode(bytes)?;
    match (out.value, out.error) {
        (Some(value), None) => Ok(Outcome::Ok(TypedValue::from_json(
            &value,
            &sig.result,
            "value",
        )?)),
        (None, Some(message)) => Ok(Outcome::Reported(message)),
        (Some(_), Some(_)) => Err("has both `value` and `error`".to_owned()),
        (None, None) => Err("has neither `value` nor `error`".to_owned()),
    }
}

fn validate_finding(f: &PluginFinding) -> Result<(), String> {
    let id_ok = f.id.len() <= MAX_ID
        && f.id
            .chars()
            .next()
            .is_some_and(|c| c.is_ascii_alphanumeric())
        && f.id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if !id_ok {
        return Err(format!(
            "id `{}` must be 1 to {MAX_ID} ASCII letters, digits, `.`, `_` or `-`, starting with a letter or digit",
            f.id
        ));
    }
    if f.message.trim().is_empty() {
        return Err(format!("finding `{}` has an empty message", f.id));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::value::ValueType;

    #[test]
    fn findings_are_read_and_validated() {
        let out = check_output(
            br#"{"findings":[{"id":"WEBCONFIG-DEBUG","severity":"high","message":"debug on","subject":"a/web.config"}]}"#,
        )
        .unwrap();
        let Outcome::Ok(findings) = out else {
            panic!("{out:?}")
        };
        assert_eq!(findings[0].severity, Severity::High);
        assert_eq!(findings[0].subject.as_deref(), Some("a/web.config"));
        assert_eq!(findings[0].remediation, None);

        let bad = |text: &str| check_output(text.as_bytes()).unwrap_err();
        assert!(
            bad(r#"{"findings":[{"id":"X","severity":"severe","message":"m"}]}"#)
                .starts_with("findings[0].severity: unknown variant `severe`")
        );
        assert!(
            bad(r#"{"findings":[{"id":"bad id","severity":"low","message":"m"}]}"#)
                .starts_with("findings[0]: id `bad id` must be")
        );
        assert!(
            bad(r#"{"findings":[{"id":"X","severity":"low","message":" "}]}"#)
                .contains("empty message")
        );
        assert!(
            bad(r#"{"findings":[{"id":"X","severity":"low","message":"m","cvss":9}]}"#)
                .contains("unknown field `cvss`")
        );
        assert!(bad(r#"{"findings":[],"error":"x"}"#).contains("both"));
        assert!(bad(r#"{}"#).contains("neither"));
        assert!(bad(r#"{"findings":[]} trailing"#).contains("trailing"));
        assert!(matches!(
            check_output(br#"{"error":"section `files` is not an array"}"#).unwrap(),
            Outcome::Reported(m) if m == "section `files` is not an array"
        ));
    }

    #[test]
    fn function_results_must_have_the_declared_type() {
        let sig = FunctionSig {
            name: "is_banned".into(),
            params: vec![],
            result: ValueType::Bool,
        };
        assert!(matches!(
            function_output(br#"{"value":true}"#, &sig).unwrap(),
            Outcome::Ok(TypedValue::Bool(true))
        ));
        assert_eq!(
            function_output(br#"{"value":"yes"}"#, &sig).unwrap_err(),
            "value should be bool but is the string `yes`"
        );
    }
}
