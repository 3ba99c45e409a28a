//! Installed programs: the subkeys of the Uninstall keys, 64-bit and 32-bit
//! (`WOW6432Node`), that have a `DisplayName` (nameless subkeys are not
//! programs: installers leave them for patches and components).

use winspect_inventory::{Date, Program};

use crate::Report;
use crate::registry::{RegistryError, RegistryView, subkeys};

const SECTION: &str = "programs";
const UNINSTALL_KEYS: &[(&str, &str)] = &[
    (
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall",
        "x64",
    ),
    (
        r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall",
        "x86",
    ),
];

/// Every named Uninstall entry. An `InstallDate` that is not a date is left
/// out with a warning in `report`.
pub fn extract(
    registry: &dyn RegistryView,
    report: &mut Report,
) -> Result<Vec<Program>, RegistryError> {
    let mut programs = Vec::new();
    for (path, arch) in UNINSTALL_KEYS {
        let Some(uninstall) = registry.key(path)? else {
            continue;
        };
        for (entry, key) in subkeys(registry, &uninstall)?
            .into_iter()
            .zip(&uninstall.subkeys)
        {
            let Some(name) = entry.text("DisplayName")?.filter(|n| !n.trim().is_empty()) else {
                continue;
            };
            let install_date = match entry.text("InstallDate")?.filter(|d| !d.trim().is_empty()) {
                None => None,
                Some(text) => match Date::parse(&text) {
                    Ok(date) => Some(date),
                    Err(e) => {
                        report.warn(SECTION, format!("`{}` `InstallDate`: {e}", entry.path));
                        None
                    }
                },
            };
            programs.push(Program {
                name,
                version: entry.text("DisplayVersion")?.unwrap_or_default(),
                publisher: entry.text("Publisher")?.unwrap_or_default(),
                install_date,
                install_location: entry.text("InstallLocation")?.unwrap_or_default(),
                key: key.clone(),
                arch: (*arch).to_owned(),
                layer: entry.layer_of("DisplayVersion"),
            });
        }
    }
    Ok(programs)
}

#[cfg(test)]
mod tests {
    use serde_json::Value;

    use super::*;
    use crate::registry::{MemoryRegistry, RegData};
    use crate::test_support::{realdata, scancode_software};

    #[test]
    fn the_scancode_container_dump_has_scancodes_seven_python_programs() {
        let (Some(registry), Some(expected)) = (
            scancode_software("sha256:py"),
            realdata("scancode/SOFTWARE-installed-programs.expected"),
        ) else {
            return;
        };
        let mut report = Report::default();
        let programs = extract(&registry, &mut report).unwrap();
        assert_eq!(report, Report::default());
        let expected: Value = serde_json::from_str(&expected).unwrap();
        let mut wanted: Vec<(String, String)> = expected
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| {
                Some((
                    p["name"].as_str()?.to_owned(),
                    p["version"].as_str()?.to_owned(),
                ))
            })
            .collect();
        let mut found: Vec<(String, String)> = programs
            .iter()
            .map(|p| (p.name.clone(), p.version.clone()))
            .collect();
        wanted.sort();
        found.sort();
        assert_eq!(wanted.len(), 7);
        assert_eq!(found, wanted);
        let core = programs
            .iter()
            .find(|p| p.name == "Python 3.9.5 Core Interpreter (64-bit)")
            .unwrap();
        assert_eq!(core.publisher, "Python Software Foundation");
        assert_eq!(core.install_date.unwrap().to_string(), "2021-06-09");
        assert_eq!(core.arch, "x64");
        assert!(core.key.starts_with('{'));
        assert_eq!(core.layer.as_deref(), Some("sha256:py"));
    }

    #[test]
    fn both_views_are_read_and_nameless_entries_skipped() {
        let mut registry = MemoryRegistry::new();
        let x86 = r"SOFTWARE\WOW6432Node\Microsoft\Windows\CurrentVersion\Uninstall\7-Zip";
        registry.set(
            x86,
            "DisplayName",
            RegData::String("7-Zip 19.00".into()),
            None,
        );
        registry.set(x86, "DisplayVersion", RegData::Dword(19), None);
        registry.set(x86, "InstallDate", RegData::String("6/9/2021".into()), None);
        let x64 = r"SOFTWARE\Microsoft\Windows\CurrentVersion\Uninstall";
        registry.set(
            &format!(r"{x64}\KB123"),
            "ParentKeyName",
            RegData::String("x".into()),
            None,
        );
        registry.set(
            &format!(r"{x64}\Git_is1"),
            "DisplayName",
            RegData::String("Git".into()),
            None,
        );
        registry.set(
            &format!(r"{x64}\Git_is1"),
            "DisplayVersion",
            RegData::String("2.45.1".into()),
            None,
        );
        let mut report = Report::default();
        let programs = extract(&registry, &mut report).unwrap();
        let seen: Vec<_> = programs
            .iter()
            .map(|p| {
                (
                    p.name.as_str(),
                    p.version.as_str(),
                    p.arch.as_str(),
                    p.key.as_str(),
                )
            })
            .collect();
        assert_eq!(
            seen,
            [
                ("Git", "2.45.1", "x64", "Git_is1"),
                ("7-Zip 19.00", "19", "x86", "7-Zip")
            ]
        );
        assert_eq!(report.warnings.len(), 1);
        assert!(
            report.warnings[0]
                .message
                .contains("`6/9/2021` is not a date")
        );
    }
}
