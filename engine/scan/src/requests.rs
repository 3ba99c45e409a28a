//! The inventory's `registry` section: the values rules ask for, as
//! `winspect_lang::Program::registry_requests` lists them — `(key path,
//! value name)`, or `(key path, None)` for a whole key.
//!
//! Paths name `HKLM\SOFTWARE`, `HKLM\SYSTEM`, `HKLM\SAM`, `HKLM\SECURITY`
//! (or `HKEY_LOCAL_MACHINE\...`) or `HKU\.DEFAULT`; `CurrentControlSet`
//! under `SYSTEM` is the control set `Select\Current` names. Each record
//! keeps the path as the rule wrote it, so the rule finds it, and carries
//! the layer that wrote the value.
//!
//! A whole-key request records every value of the key. A key without values
//! is recorded as its unset default value (empty `name`, `kind` and `data`),
//! so that `registry_key_exists` sees it.

use std::collections::HashSet;

use winspect_hive::{HiveError, MergedKey, MergedValue, ValueData, path_components};
use winspect_inventory::RegistryValue;
use winspect_windows::Report;

use crate::registry::{HiveName, ImageRegistry};

/// Most values recorded for one whole-key request.
pub const MAX_VALUES_PER_KEY: usize = 4096;

const SECTION: &str = "registry";

/// The records for `requests`, sorted by path and name. Keys and values the
/// image does not have are not recorded (rules see them as absent); a
/// request for a hive an image cannot have is a warning; a value that
/// cannot be read is a gap.
pub fn registry_values(
    registry: &ImageRegistry,
    requests: &[(String, Option<String>)],
    report: &mut Report,
) -> Vec<RegistryValue> {
    let mut records = Vec::new();
    let mut seen = HashSet::new();
    for (path, name) in requests {
        if let Err(e) = answer(registry, path, name.as_deref(), report, &mut |record| {
            if seen.insert((record.path.to_lowercase(), record.name.to_lowercase())) {
                records.push(record);
            }
        }) {
            report.gap(SECTION, format!("registry key `{path}`: {e}"));
        }
    }
    records.sort_by(|a: &RegistryValue, b: &RegistryValue| {
        (a.path.to_lowercase(), a.name.to_lowercase())
            .cmp(&(b.path.to_lowercase(), b.name.to_lowercase()))
    });
    records
}

fn answer(
    registry: &ImageRegistry,
    path: &str,
    name: Option<&str>,
    report: &mut Report,
    record: &mut dyn FnMut(RegistryValue),
) -> Result<(), HiveError> {
    let (hive_name, below) = match resolve(path) {
        Ok(found) => found,
        Err(why) => {
            report.warn(SECTION, format!("registry key `{path}` is not read: {why}"));
            return Ok(());
        }
    };
    let Some(hive) = registry.hive(hive_name) else {
        // The missing hive is a gap of its own.
        return Ok(());
    };
    let mut parts: Vec<String> = below.into_iter().map(str::to_owned).collect();
    if hive_name == HiveName::System
        && parts
            .first()
            .is_some_and(|p| p.eq_ignore_ascii_case("CurrentControlSet"))
        && let Some(first) = parts.first_mut()
    {
        *first = hive.current_control_set()?.path().to_owned();
    }
    let Some(key) = hive.open(&parts.join("\\"))? else {
        return Ok(());
    };
    match name {
        Some(name) => {
            if let Some(value) = key.value(name)? {
                record(to_record(path, &value)?);
            }
        }
        None => {
            let values = key.values()?;
            if values.len() > MAX_VALUES_PER_KEY {
                report.warn(
                    SECTION,
                    format!(
                        "registry key `{path}` has {} values; the first {MAX_VALUES_PER_KEY} are recorded",
                        values.len()
                    ),
                );
            }
            if values.is_empty() {
                record(unset_default(path, &key));
            }
            for value in values.iter().take(MAX_VALUES_PER_KEY) {
                record(to_record(path, value)?);
            }
        }
    }
    Ok(())
}

/// The hive a rule's key path names and the components below its root.
fn resolve(path: &str) -> Result<(HiveName, Vec<&str>), String> {
    let mut parts = path_components(path);
    let top = parts.next().unwrap_or_default().to_ascii_uppercase();
    let root = parts.next().unwrap_or_default();
    let hive = match top.as_str() {
        "HKLM" | "HKEY_LOCAL_MACHINE" => HiveName::from_root(root)
            .filter(|h| *h != HiveName::Default)
            .ok_or_else(|| {
                format!(
                    "`HKLM\\{root}` is not a hive of an image (SOFTWARE, SYSTEM, SAM, SECURITY)"
                )
            })?,
        "HKU" | "HKEY_USERS" if root.eq_ignore_ascii_case(".DEFAULT") => HiveName::Default,
        _ => {
            return Err(
                "only `HKLM\\SOFTWARE`, `HKLM\\SYSTEM`, `HKLM\\SAM`, `HKLM\\SECURITY` and `HKU\\.DEFAULT` are in an image"
                    .to_owned(),
            );
        }
    };
    Ok((hive, parts.collect()))
}

fn to_record(path: &str, value: &MergedValue<'_>) -> Result<RegistryValue, HiveError> {
    let (data, number) = match value.data()? {
        ValueData::String(s) | ValueData::ExpandString(s) | ValueData::Link(s) => (s, None),
        ValueData::MultiString(list) => (list.join("\n"), None),
        ValueData::Dword(n) | ValueData::DwordBigEndian(n) => (n.to_string(), Some(u64::from(n))),
        ValueData::Qword(n) => (n.to_string(), Some(n)),
        ValueData::Bytes(bytes) => (hex(&bytes), None),
    };
    Ok(RegistryValue {
        path: path.to_owned(),
        name: value.name().into_owned(),
        kind: value.kind().name().into_owned(),
        data,
        number,
        layer: layer(value.layer().label),
    })
}

fn unset_default(path: &str, key: &MergedKey<'_>) -> RegistryValue {
    RegistryValue {
        path: path.to_owned(),
        layer: layer(key.layer().label),
        ..RegistryValue::default()
    }
}

fn layer(label: &str) -> Option<String> {
    (!label.is_empty()).then(|| label.to_owned())
}

fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};
    use winspect_hive::{Hive, Layer, MergedRegistry};

    fn merged(layers: Vec<(&str, HiveKind, KeySpec)>) -> MergedRegistry {
        MergedRegistry::new(
            layers
                .into_iter()
                .map(|(label, kind, root)| {
                    let bytes = HiveBuilder::new(kind, root).to_bytes().unwrap();
                    Layer::new(label, Hive::from_bytes(bytes).unwrap())
                })
                .collect(),
        )
        .unwrap()
    }

    fn registry() -> ImageRegistry {
        let mut software = KeySpec::new("ROOT");
        software
            .key_mut(r"Microsoft\Windows NT\CurrentVersion")
            .value(ValueSpec::string("CurrentBuildNumber", "17763"))
            .value(ValueSpec::dword("UBR", 1))
            .value(ValueSpec::multi_string("List", &["a", "b"]))
            .value(ValueSpec::binary("Blob", vec![0xca, 0xfe]))
            .value(ValueSpec::qword("Big", 1 << 33));
        software.key_mut(r"Policies\Empty");
        let mut update = KeySpec::new("ROOT");
        update
            .key_mut(r"Microsoft\Windows NT\CurrentVersion")
            .value(ValueSpec::dword("UBR", 5830));
        let mut system = KeySpec::new("ROOT");
        system
            .key_mut("Select")
            .value(ValueSpec::dword("Current", 2));
        system
            .key_mut(r"ControlSet002\Control\Lsa")
            .value(ValueSpec::dword("RunAsPPL", 1));
        system
            .key_mut(r"ControlSet001\Control\Lsa")
            .value(ValueSpec::dword("RunAsPPL", 0));
        let mut default = KeySpec::new("ROOT");
        default
            .key_mut(r"Control Panel\International")
            .value(ValueSpec::string("LocaleName", "en-US"));
        ImageRegistry::new(vec![
            (
                HiveName::Software,
                merged(vec![
                    ("sha256:base", HiveKind::Base, software),
                    ("sha256:update", HiveKind::Delta, update),
                ]),
            ),
            (
                HiveName::System,
                merged(vec![("sha256:base", HiveKind::Base, system)]),
            ),
            (
                HiveName::Default,
                merged(vec![("sha256:base", HiveKind::Base, default)]),
            ),
        ])
    }

    fn ask(requests: &[(&str, Option<&str>)]) -> (Vec<RegistryValue>, Report) {
        let requests: Vec<(String, Option<String>)> = requests
            .iter()
            .map(|(p, n)| ((*p).to_owned(), n.map(str::to_owned)))
            .collect();
        let mut report = Report::default();
        let values = registry_values(&registry(), &requests, &mut report);
        (values, report)
    }

    #[test]
    fn values_carry_their_layer_and_render_by_type() {
        const CV: &str = r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion";
        let (values, report) = ask(&[
            (CV, Some("ubr")),
            (CV, Some("CurrentBuildNumber")),
            (CV, Some("List")),
            (CV, Some("Blob")),
            (CV, Some("Big")),
            (CV, Some("Missing")),
            (r"HKLM\SOFTWARE\Nope", Some("X")),
        ]);
        assert_eq!(report, Report::default());
        let found: Vec<String> = values
            .iter()
            .map(|v| {
                format!(
                    "{} {} {:?} {:?} {}",
                    v.name,
                    v.kind,
                    v.data,
                    v.number,
                    v.layer.as_deref().unwrap_or("-")
                )
            })
            .collect();
        assert_eq!(
            found,
            vec![
                r#"Big REG_QWORD "8589934592" Some(8589934592) sha256:base"#,
                r#"Blob REG_BINARY "cafe" None sha256:base"#,
                r#"CurrentBuildNumber REG_SZ "17763" None sha256:base"#,
                r#"List REG_MULTI_SZ "a\nb" None sha256:base"#,
                r#"UBR REG_DWORD "5830" Some(5830) sha256:update"#,
            ]
        );
        assert!(values.iter().all(|v| v.path == CV));
    }

    #[test]
    fn current_control_set_follows_select_and_keeps_the_rules_path() {
        let path = r"HKEY_LOCAL_MACHINE\SYSTEM\CurrentControlSet\Control\Lsa";
        let (values, report) = ask(&[(path, Some("RunAsPPL"))]);
        assert_eq!(report, Report::default());
        assert_eq!(values.len(), 1);
        assert_eq!(values[0].path, path);
        assert_eq!(values[0].number, Some(1), "ControlSet002 is current");
    }

    #[test]
    fn whole_keys_give_every_value_or_their_unset_default() {
        let (values, _) = ask(&[
            (r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", None),
            (r"HKLM\SOFTWARE\Policies\Empty", None),
            (r"HKU\.DEFAULT\Control Panel\International", None),
        ]);
        let names: Vec<(&str, &str)> = values
            .iter()
            .map(|v| (v.path.as_str(), v.name.as_str()))
            .collect();
        assert_eq!(
            names,
            vec![
                (r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "Big"),
                (r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "Blob"),
                (
                    r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                    "CurrentBuildNumber"
                ),
                (r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "List"),
                (r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion", "UBR"),
                (r"HKLM\SOFTWARE\Policies\Empty", ""),
                (r"HKU\.DEFAULT\Control Panel\International", "LocaleName"),
            ]
        );
        let empty = &values[5];
        assert_eq!((empty.kind.as_str(), empty.data.as_str()), ("", ""));
        assert_eq!(empty.layer.as_deref(), Some("sha256:base"));
    }

    #[test]
    fn keys_outside_an_image_are_warnings_and_duplicates_are_dropped() {
        let (values, report) = ask(&[
            (r"HKCU\Software\X", Some("Y")),
            (r"HKLM\HARDWARE\DESCRIPTION", None),
            (r"HKLM\SAM\SAM", None),
            (
                r"HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion",
                Some("UBR"),
            ),
            (
                r"hklm\software\microsoft\windows nt\currentversion",
                Some("ubr"),
            ),
        ]);
        assert_eq!(values.len(), 1);
        assert!(
            report.gaps.is_empty(),
            "the SAM hive is absent: its own gap says so"
        );
        let messages: Vec<&str> = report.warnings.iter().map(|w| w.message.as_str()).collect();
        assert_eq!(messages.len(), 2, "{messages:?}");
        assert!(
            messages[0].contains(r"`HKCU\Software\X` is not read"),
            "{}",
            messages[0]
        );
        assert!(
            messages[1].contains(r"`HKLM\HARDWARE` is not a hive of an image"),
            "{}",
            messages[1]
        );
    }
}
