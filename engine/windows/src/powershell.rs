//! PowerShell: Windows PowerShell's engine version from the registry,
//! PowerShell 7+ installs from `Program Files/PowerShell/<N>/pwsh.exe`, and
//! modules from their manifests (`.../Modules/<Name>/[<version>/]<Name>.psd1`).

pub mod psd1;

use winspect_inventory::{
    PowerShell, PowerShellInstall, PowerShellModule, SemVersion, WindowsVersion,
};

use crate::files::{FileRef, FileSource, captured, file_name};
use crate::pe::{self, VersionInfo};
use crate::registry::{RegistryError, RegistryView};
use crate::{Report, names_equal};

const SECTION: &str = "powershell";
/// `3` holds Windows PowerShell 3.0 to 5.1; `1` holds 1.0 and 2.0.
const ENGINE_KEYS: &[&str] = &[
    r"SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine",
    r"SOFTWARE\Microsoft\PowerShell\1\PowerShellEngine",
];
const INSTALL_ROOTS: &[&str] = &[
    "Program Files/PowerShell/",
    "Program Files (x86)/PowerShell/",
];

/// Reads all three. Registry errors stop the extractor; a file that cannot
/// be read is a gap in `report`.
pub fn extract(
    registry: &dyn RegistryView,
    files: &dyn FileSource,
    report: &mut Report,
) -> Result<PowerShell, RegistryError> {
    let mut powershell = PowerShell::default();
    for path in ENGINE_KEYS {
        let Some(key) = registry.key(path)? else {
            continue;
        };
        if let Some(text) = key.string("PowerShellVersion")? {
            match WindowsVersion::parse(text) {
                Ok(version) => powershell.windows_powershell = Some(version),
                Err(e) => report.warn(SECTION, format!("`{path}` `PowerShellVersion`: {e}")),
            }
            powershell.layer = key.layer_of("PowerShellVersion");
            break;
        }
    }
    for file in files.files() {
        if let Some(install) = install_of(&file, report) {
            powershell.installs.push(install);
        } else if let Some(module) = module_of(&file, report) {
            powershell.modules.push(module);
        }
    }
    Ok(powershell)
}

/// A `Program Files/PowerShell/<N>/pwsh.exe`. Its version is the product
/// version string's first word (`7.3.4 SHA: ...`), else the fixed product
/// version's first three numbers.
fn install_of(file: &FileRef<'_>, report: &mut Report) -> Option<PowerShellInstall> {
    let rest = INSTALL_ROOTS
        .iter()
        .find_map(|root| crate::dotnet_runtimes::strip_prefix_ignore_case(file.path, root))?;
    let (folder, name) = rest.split_once('/')?;
    if !names_equal(name, "pwsh.exe") {
        return None;
    }
    let info = captured(file)
        .and_then(|bytes| pe::read_version_info(file.path, bytes).map_err(|e| e.to_string()));
    let version = match info {
        Ok(Some(info)) => install_version(&info),
        Ok(None) => None,
        Err(reason) => {
            report.gap(SECTION, format!("PowerShell version unknown: {reason}"));
            return Some(PowerShellInstall {
                version: None,
                path: file.path.to_owned(),
                layer: file.layer(),
            });
        }
    };
    if version.is_none() {
        report.warn(
            SECTION,
            format!(
                "`{}` (folder `{folder}`) has no readable product version",
                file.path
            ),
        );
    }
    Some(PowerShellInstall {
        version,
        path: file.path.to_owned(),
        layer: file.layer(),
    })
}

fn install_version(info: &VersionInfo) -> Option<SemVersion> {
    let from_string = info
        .string("ProductVersion")
        .and_then(|text| text.split_whitespace().next())
        .and_then(|word| SemVersion::parse(word).ok());
    from_string.or_else(|| {
        let [major, minor, patch, _] = info.product_version.as_ref()?.parts();
        SemVersion::parse(&format!("{major}.{minor}.{patch}")).ok()
    })
}

/// A module manifest: `<Name>/<Name>.psd1` or `<Name>/<version>/<Name>.psd1`
/// under a folder named `Modules`. With a version folder, that folder is the
/// version PowerShell loads; the manifest must agree.
fn module_of(file: &FileRef<'_>, report: &mut Report) -> Option<PowerShellModule> {
    let name = file_name(file.path);
    let stem = name.get(..name.len().checked_sub(5)?)?;
    if !names_equal(name.get(stem.len()..)?, ".psd1") {
        return None;
    }
    let parts: Vec<&str> = file.path.split('/').collect();
    let position = |back: usize| {
        parts
            .len()
            .checked_sub(back)
            .and_then(|i| parts.get(i))
            .copied()
    };
    let (module, folder_version) = match (position(4), position(3), position(2)) {
        (_, Some(modules), Some(module)) if names_equal(modules, "Modules") => (module, None),
        // PowerShell looks in a second-level folder only when it is a version.
        (Some(modules), Some(module), Some(version)) if names_equal(modules, "Modules") => {
            (module, Some(WindowsVersion::parse(version).ok()?))
        }
        _ => return None,
    };
    if !names_equal(module, stem) {
        return None;
    }
    let manifest_version = captured(file).and_then(|bytes| {
        psd1::module_version(file.path, &String::from_utf8_lossy(bytes)).map_err(|e| e.to_string())
    });
    let version = match (manifest_version, folder_version) {
        (Ok(Some(text)), folder) => match (WindowsVersion::parse(&text), folder) {
            (Ok(version), Some(folder)) if version != folder => {
                report.warn(
                    SECTION,
                    format!(
                        "`{}`: `ModuleVersion` `{text}` disagrees with its folder `{}`; PowerShell loads it by the folder",
                        file.path,
                        folder.as_str()
                    ),
                );
                Some(folder)
            }
            (Ok(version), _) => Some(version),
            (Err(e), folder) => {
                report.warn(SECTION, format!("`{}`: `ModuleVersion`: {e}", file.path));
                folder
            }
        },
        (Ok(None), folder) => {
            if folder.is_none() {
                report.warn(SECTION, format!("`{}` has no `ModuleVersion`", file.path));
            }
            folder
        }
        (Err(_), Some(folder)) => Some(folder),
        (Err(reason), None) => {
            report.gap(SECTION, format!("module version unknown: {reason}"));
            None
        }
    };
    Some(PowerShellModule {
        name: module.to_owned(),
        version,
        path: file.path.to_owned(),
        layer: file.layer(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::files::MemoryFiles;
    use crate::pe::fixture::{VersionResource, pe_with_version};
    use crate::registry::{MemoryRegistry, RegData};
    use crate::test_support::realdata_bytes;

    #[test]
    fn windows_powershell_comes_from_the_engine_key() {
        let mut registry = MemoryRegistry::new();
        registry.set(
            ENGINE_KEYS[0],
            "PowerShellVersion",
            RegData::String("5.1.17763.1".into()),
            Some("base".into()),
        );
        registry.set(
            ENGINE_KEYS[1],
            "PowerShellVersion",
            RegData::String("2.0".into()),
            None,
        );
        let mut report = Report::default();
        let powershell = extract(&registry, &MemoryFiles::new(), &mut report).unwrap();
        assert_eq!(
            powershell.windows_powershell.unwrap().as_str(),
            "5.1.17763.1"
        );
        assert_eq!(powershell.layer.as_deref(), Some("base"));
        assert_eq!(report, Report::default());
    }

    #[test]
    fn the_real_pwsh_exe_is_powershell_7_3_4() {
        let Some(bytes) = realdata_bytes("saferwall-pe/pwsh.exe") else {
            return;
        };
        let mut files = MemoryFiles::new();
        files.add(
            "Program Files/PowerShell/7/pwsh.exe",
            bytes,
            Some("l7".into()),
        );
        files.add_listed("Program Files/PowerShell/7/pwsh.dll", 1, "00", None);
        let mut report = Report::default();
        let powershell = extract(&MemoryRegistry::new(), &files, &mut report).unwrap();
        assert_eq!(powershell.installs.len(), 1);
        let install = &powershell.installs[0];
        assert_eq!(install.version.as_ref().unwrap().as_str(), "7.3.4");
        assert_eq!(install.path, "Program Files/PowerShell/7/pwsh.exe");
        assert_eq!(install.layer.as_deref(), Some("l7"));
        assert_eq!(report, Report::default());
    }

    #[test]
    fn an_install_without_a_product_version_string_uses_the_fixed_one() {
        let mut files = MemoryFiles::new();
        let exe = pe_with_version(Some(&VersionResource {
            file_version: [7, 4, 6, 500],
            product_version: [7, 4, 6, 0],
            strings: vec![],
        }));
        files.add("Program Files/PowerShell/7/pwsh.exe", exe, None);
        files.add_listed("Program Files/PowerShell/7-preview/pwsh.exe", 1, "00", None);
        let mut report = Report::default();
        let powershell = extract(&MemoryRegistry::new(), &files, &mut report).unwrap();
        assert_eq!(
            powershell.installs[0].version.as_ref().unwrap().as_str(),
            "7.4.6"
        );
        assert!(powershell.installs[1].version.is_none());
        assert_eq!(report.gaps.len(), 1);
        assert!(
            report.gaps[0]
                .reason
                .contains("7-preview/pwsh.exe`: the file's content was not captured")
        );
    }

    #[test]
    fn modules_come_from_manifests_in_module_folders() {
        let mut files = MemoryFiles::new();
        let l = Some("lm".to_owned());
        files.add(
            "Program Files/WindowsPowerShell/Modules/PSReadLine/2.2.6/PSReadLine.psd1",
            b"@{ ModuleVersion = '2.2.6' }".to_vec(),
            l.clone(),
        );
        files.add(
            "Windows/System32/WindowsPowerShell/v1.0/Modules/Microsoft.PowerShell.Archive/Microsoft.PowerShell.Archive.psd1",
            b"@{\nRootModule = 'Microsoft.PowerShell.Archive.psm1'\nModuleVersion = '1.0.1.0'\n}".to_vec(),
            None,
        );
        // The folder wins over a disagreeing manifest, with a warning.
        files.add(
            "Program Files/WindowsPowerShell/Modules/Pester/3.4.0/Pester.psd1",
            b"@{ ModuleVersion = '3.4.1' }".to_vec(),
            None,
        );
        // An uncaptured manifest in a version folder still has a version.
        files.add_listed(
            "Program Files/PowerShell/Modules/Az.Accounts/2.12.1/Az.Accounts.psd1",
            1,
            "00",
            None,
        );
        // Not module manifests.
        files.add(
            "Program Files/WindowsPowerShell/Modules/X/Other.psd1",
            b"@{}".to_vec(),
            None,
        );
        files.add(
            "Program Files/WindowsPowerShell/Scripts/Y/Y.psd1",
            b"@{}".to_vec(),
            None,
        );
        files.add("Modules.psd1", b"@{}".to_vec(), None);
        files.add(
            "Program Files/WindowsPowerShell/Modules/Z/bin/Z.psd1",
            b"@{}".to_vec(),
            None,
        );
        // Broken and uncaptured without a version folder: gaps.
        files.add(
            "Program Files/WindowsPowerShell/Modules/Broken/Broken.psd1",
            b"@{ ModuleVersion = '1.0 }".to_vec(),
            None,
        );
        files.add_listed(
            "Program Files/WindowsPowerShell/Modules/Big/Big.psd1",
            1,
            "00",
            None,
        );
        let mut report = Report::default();
        let powershell = extract(&MemoryRegistry::new(), &files, &mut report).unwrap();
        let seen: Vec<_> = powershell
            .modules
            .iter()
            .map(|m| {
                (
                    m.name.as_str(),
                    m.version.as_ref().map(|v| v.as_str().to_owned()),
                )
            })
            .collect();
        assert_eq!(
            seen,
            vec![
                ("PSReadLine", Some("2.2.6".to_owned())),
                ("Microsoft.PowerShell.Archive", Some("1.0.1.0".to_owned())),
                ("Pester", Some("3.4.0".to_owned())),
                ("Az.Accounts", Some("2.12.1".to_owned())),
                ("Broken", None),
                ("Big", None),
            ]
        );
        assert_eq!(powershell.modules[0].layer, l);
        assert_eq!(report.warnings.len(), 1);
        assert!(
            report.warnings[0]
                .message
                .contains("`ModuleVersion` `3.4.1` disagrees with its folder `3.4.0`")
        );
        let gaps: Vec<_> = report.gaps.iter().map(|g| g.reason.as_str()).collect();
        assert_eq!(
            gaps,
            vec![
                "module version unknown: `Program Files/WindowsPowerShell/Modules/Broken/Broken.psd1` line 1: a string has no closing quote",
                "module version unknown: `Program Files/WindowsPowerShell/Modules/Big/Big.psd1`: the file's content was not captured",
            ]
        );
    }
}
