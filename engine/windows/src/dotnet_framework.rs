//! .NET Framework 4.x: the `Release` DWORD under
//! `SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full` names the product
//! version; the file version of the CLR (`clr.dll`, else `mscorlib.dll`)
//! names the patch level, which is what security updates change.

use winspect_inventory::{DotNetFramework, WindowsVersion};

use crate::Report;
use crate::files::{FileSource, captured};
use crate::pe::{self, VersionInfo};
use crate::registry::{RegistryError, RegistryView};

const SECTION: &str = "dotnet.framework";
const FULL_KEY: &str = r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full";

/// The smallest `Release` of each version, newest first. Source: Microsoft,
/// "Determine which .NET Framework versions are installed", the table
/// "Minimum value of the Release DWORD" (learn.microsoft.com/dotnet/framework/
/// install/how-to-determine-which-versions-are-installed). Per-OS values:
/// 4.8.1 533320 (Windows 11 2022 Update and later) / 533325; 4.8 528040
/// (Windows 10 1903/1909), 528372 (Windows 10 2004 to 22H2), 528449
/// (Windows 11, Server 2022) / 528049; 4.7.2 461808 / 461814; 4.7.1
/// 461308 / 461310; 4.7 460798 / 460805; 4.6.2 394802 / 394806; 4.6.1
/// 394254 / 394271; 4.6 393295 / 393297; 4.5.2 379893; 4.5.1 378675 /
/// 378758; 4.5 378389.
const RELEASES: &[(u32, &str)] = &[
    (533_320, "4.8.1"),
    (528_040, "4.8"),
    (461_808, "4.7.2"),
    (461_308, "4.7.1"),
    (460_798, "4.7"),
    (394_802, "4.6.2"),
    (394_254, "4.6.1"),
    (393_295, "4.6"),
    (379_893, "4.5.2"),
    (378_675, "4.5.1"),
    (378_389, "4.5"),
];

/// The product version a `Release` value stands for, or `None` below 4.5
/// (4.0 has no `Release` value). A value above the newest listed maps to the
/// newest: the documented check is "at least".
pub fn version_for_release(release: u32) -> Option<&'static str> {
    RELEASES
        .iter()
        .find(|(minimum, _)| release >= *minimum)
        .map(|(_, version)| *version)
}

/// The CLR files whose version is the patch level, in order of preference.
pub const PATCH_LEVEL_FILES: &[&str] = &[
    "Windows/Microsoft.NET/Framework64/v4.0.30319/clr.dll",
    "Windows/Microsoft.NET/Framework/v4.0.30319/clr.dll",
    "Windows/Microsoft.NET/Framework64/v4.0.30319/mscorlib.dll",
    "Windows/Microsoft.NET/Framework/v4.0.30319/mscorlib.dll",
];

/// Reads .NET Framework 4.x. A missing `NDP\v4\Full` key means it is not
/// installed; a patch-level file that cannot be read is a gap in `report`.
pub fn extract(
    registry: &dyn RegistryView,
    files: &dyn FileSource,
    report: &mut Report,
) -> Result<DotNetFramework, RegistryError> {
    let Some(full) = registry.key(FULL_KEY)? else {
        return Ok(DotNetFramework::default());
    };
    let mut framework = DotNetFramework {
        installed: full.dword("Install")?.is_none_or(|install| install == 1),
        layer: full.layer_of("Release"),
        ..DotNetFramework::default()
    };
    if let Some(release) = full.dword("Release")? {
        framework.release = release;
        framework.version =
            version_for_release(release).and_then(|v| WindowsVersion::parse(v).ok());
        if framework.version.is_none() {
            report.warn(
                SECTION,
                format!("`{FULL_KEY}` `Release` {release} is below .NET Framework 4.5's 378389"),
            );
        }
    }
    // The setup `Version` (e.g. 4.8.04084) must agree with the release.
    if let (Some(setup), Some(version)) = (full.string("Version")?, &framework.version) {
        let [major, minor, ..] = version.parts();
        let agrees = WindowsVersion::parse(setup).is_ok_and(|s| {
            let [setup_major, setup_minor, ..] = s.parts();
            [setup_major, setup_minor] == [major, minor]
        });
        if !agrees {
            report.warn(
                SECTION,
                format!(
                    "`{FULL_KEY}` `Version` `{setup}` disagrees with `Release` {} (.NET Framework {version})",
                    framework.release,
                    version = version.as_str()
                ),
            );
        }
    }
    if framework.installed {
        framework.patch_level = patch_level(files, report);
    }
    Ok(framework)
}

/// The first readable CLR file version. Files that exist but cannot be read
/// matter only when no other file gives the answer.
fn patch_level(files: &dyn FileSource, report: &mut Report) -> Option<WindowsVersion> {
    let mut problems = Vec::new();
    for path in PATCH_LEVEL_FILES {
        let Some(file) = files.file(path) else {
            continue;
        };
        let read = captured(&file)
            .and_then(|bytes| pe::read_version_info(file.path, bytes).map_err(|e| e.to_string()));
        match read {
            Ok(Some(VersionInfo {
                file_version: Some(version),
                ..
            })) => return Some(version),
            Ok(_) => problems.push(format!("`{}` has no version resource", file.path)),
            Err(reason) => problems.push(reason),
        }
    }
    if !problems.is_empty() {
        report.gap(
            SECTION,
            format!("patch level unknown: {}", problems.join("; ")),
        );
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MemoryRegistry;
    use crate::files::MemoryFiles;
    use crate::pe::fixture::{VersionResource, pe_with_version};
    use crate::registry::RegData;
    use crate::test_support::scancode_software;

    #[test]
    fn releases_map_to_versions_by_the_documented_minimums() {
        for (release, version) in [
            (378_389, "4.5"),
            (378_758, "4.5.1"),
            (379_893, "4.5.2"),
            (393_297, "4.6"),
            (394_271, "4.6.1"),
            (394_806, "4.6.2"),
            (460_805, "4.7"),
            (461_310, "4.7.1"),
            (461_814, "4.7.2"),
            (528_040, "4.8"),
            (528_049, "4.8"),
            (528_372, "4.8"),
            (528_449, "4.8"),
            (533_320, "4.8.1"),
            (533_325, "4.8.1"),
        ] {
            assert_eq!(version_for_release(release), Some(version), "{release}");
        }
        assert_eq!(version_for_release(378_388), None);
    }

    fn clr(version: [u16; 4]) -> Vec<u8> {
        pe_with_version(Some(&VersionResource {
            file_version: version,
            product_version: version,
            strings: vec![(
                "FileVersion".into(),
                "4.8.4700.0 built by: NET481REL1LAST_B".into(),
            )],
        }))
    }

    #[test]
    fn the_scancode_container_dump_is_dotnet_4_8_with_the_clr_patch_level() {
        let Some(registry) = scancode_software("sha256:aa") else {
            return;
        };
        let mut files = MemoryFiles::new();
        files.add(
            PATCH_LEVEL_FILES[0],
            clr([4, 8, 4084, 0]),
            Some("sha256:bb".into()),
        );
        let mut report = Report::default();
        let framework = extract(&registry, &files, &mut report).unwrap();
        assert_eq!(report, Report::default());
        assert!(framework.installed);
        assert_eq!(framework.release, 528_372);
        assert_eq!(framework.version.unwrap().as_str(), "4.8");
        assert_eq!(framework.patch_level.unwrap().as_str(), "4.8.4084.0");
        assert_eq!(framework.layer.as_deref(), Some("sha256:aa"));
    }

    #[test]
    fn a_missing_key_is_not_installed_and_an_uncaptured_clr_is_a_gap() {
        let mut report = Report::default();
        let framework = extract(&MemoryRegistry::new(), &MemoryFiles::new(), &mut report).unwrap();
        assert!(!framework.installed);
        let mut registry = MemoryRegistry::new();
        registry.set(FULL_KEY, "Release", RegData::Dword(528_449), None);
        registry.set(
            FULL_KEY,
            "Version",
            RegData::String("4.7.03190".into()),
            None,
        );
        let mut files = MemoryFiles::new();
        files.add_listed(PATCH_LEVEL_FILES[0], 10, "00", None);
        files.add(PATCH_LEVEL_FILES[2], clr([4, 8, 4465, 0]), None);
        let framework = extract(&registry, &files, &mut report).unwrap();
        assert_eq!(framework.version.unwrap().as_str(), "4.8");
        // mscorlib.dll stands in for the uncaptured clr.dll.
        assert_eq!(framework.patch_level.unwrap().as_str(), "4.8.4465.0");
        assert!(report.gaps.is_empty());
        assert_eq!(report.warnings.len(), 1);
        assert!(
            report.warnings[0]
                .message
                .contains("`Version` `4.7.03190` disagrees")
        );

        let mut files = MemoryFiles::new();
        files.add_listed(PATCH_LEVEL_FILES[0], 10, "00", None);
        files.add(PATCH_LEVEL_FILES[3], b"MZ".to_vec(), None);
        let mut report = Report::default();
        let framework = extract(&registry, &files, &mut report).unwrap();
        assert!(framework.patch_level.is_none());
        assert_eq!(report.gaps.len(), 1);
        let reason = &report.gaps[0].reason;
        assert!(reason.starts_with("patch level unknown: `Windows/Microsoft.NET/Framework64/v4.0.30319/clr.dll`: the file's content was not captured; `Windows/Microsoft.NET/Framework/v4.0.30319/mscorlib.dll`: not a PE file"), "{reason}");
    }

    #[test]
    fn a_release_of_the_wrong_type_is_an_error_naming_the_value() {
        let mut registry = MemoryRegistry::new();
        registry.set(FULL_KEY, "Release", RegData::String("528372".into()), None);
        let err = extract(&registry, &MemoryFiles::new(), &mut Report::default()).unwrap_err();
        assert!(
            err.to_string().contains("value `Release` is REG_SZ"),
            "{err}"
        );
    }
}
