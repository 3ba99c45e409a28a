//! The Windows release, from `SOFTWARE\Microsoft\Windows NT\CurrentVersion`,
//! cross-checked with the image config's `os.version`.

use winspect_inventory::{Windows, WindowsVersion};

use crate::Report;
use crate::registry::{RegistryError, RegistryView, require_key};

const SECTION: &str = "windows";
const CURRENT_VERSION: &str = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";

/// The release as far as the image config's `os.version` tells it, for
/// images whose registry cannot be read. No layer: the config is not in one.
pub fn from_config(config: &WindowsVersion) -> Windows {
    let [_, _, build, ubr] = config.parts();
    Windows {
        build,
        ubr,
        version: Some(config.clone()),
        ..Windows::default()
    }
}

/// Reads the release. `config_version` is the image config's `os.version`;
/// when the registry's build or revision differs from it, `report` gets a
/// warning (the registry is what the image runs; the config is a label).
pub fn extract(
    registry: &dyn RegistryView,
    config_version: Option<&WindowsVersion>,
    report: &mut Report,
) -> Result<Windows, RegistryError> {
    let key = require_key(registry, CURRENT_VERSION)?;
    let text = |name: &str| -> Result<String, RegistryError> {
        Ok(key.string(name)?.unwrap_or_default().trim().to_owned())
    };
    let build_text = match key.string("CurrentBuildNumber")? {
        Some(build) => build.to_owned(),
        None => text("CurrentBuild")?,
    };
    let build: u32 = build_text.parse().map_err(|_| {
        RegistryError::new(
            &key.path,
            format!("`CurrentBuildNumber` `{build_text}` is not a build number"),
        )
    })?;
    let ubr = key.dword("UBR")?.unwrap_or(0);
    // Windows 10 and later keep `CurrentVersion` at 6.3 for old programs;
    // the real numbers are in the `Current*VersionNumber` DWORDs.
    let (major, minor) = match (
        key.dword("CurrentMajorVersionNumber")?,
        key.dword("CurrentMinorVersionNumber")?,
    ) {
        (Some(major), minor) => (major, minor.unwrap_or(0)),
        (None, _) => {
            let current = text("CurrentVersion")?;
            let parsed = WindowsVersion::parse(&current)
                .map_err(|e| RegistryError::new(&key.path, e.to_string()))?;
            let [major, minor, ..] = parsed.parts();
            (major, minor)
        }
    };
    let display_version = match text("DisplayVersion")? {
        empty if empty.is_empty() => text("ReleaseId")?,
        display => display,
    };
    let windows = Windows {
        product_name: text("ProductName")?,
        edition: text("EditionID")?,
        installation_type: text("InstallationType")?,
        build,
        ubr,
        version: Some(WindowsVersion::from_parts(major, minor, build, ubr)),
        display_version,
        layer: if key.value("UBR").is_some() {
            key.layer_of("UBR")
        } else {
            key.layer_of("CurrentBuildNumber")
        },
    };
    if let Some(config) = config_version {
        let [_, _, config_build, config_ubr] = config.parts();
        if (config_build, config_ubr) != (build, ubr) {
            report.warn(
                SECTION,
                format!(
                    "the image config says os.version `{}` but the registry says build {build} revision {ubr}",
                    config.as_str()
                ),
            );
        }
    }
    Ok(windows)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::registry::{MemoryRegistry, RegData};

    fn server_2019(ubr: u32) -> MemoryRegistry {
        let mut registry = MemoryRegistry::new();
        let base = Some("sha256:base".to_owned());
        for (name, value) in [
            ("ProductName", "Windows Server 2019 Datacenter"),
            ("EditionID", "ServerDatacenter"),
            ("InstallationType", "Server Core"),
            ("CurrentBuildNumber", "17763"),
            ("CurrentBuild", "17763"),
            ("CurrentVersion", "6.3"),
            ("ReleaseId", "1809"),
        ] {
            registry.set(
                CURRENT_VERSION,
                name,
                RegData::String(value.into()),
                base.clone(),
            );
        }
        registry.set(
            CURRENT_VERSION,
            "CurrentMajorVersionNumber",
            RegData::Dword(10),
            base.clone(),
        );
        registry.set(
            CURRENT_VERSION,
            "CurrentMinorVersionNumber",
            RegData::Dword(0),
            base,
        );
        registry.set(
            CURRENT_VERSION,
            "UBR",
            RegData::Dword(ubr),
            Some("sha256:update".into()),
        );
        registry
    }

    #[test]
    fn reads_the_release_and_agrees_with_the_config() {
        let config = WindowsVersion::parse("10.0.17763.2452").unwrap();
        let mut report = Report::default();
        let windows = extract(&server_2019(2452), Some(&config), &mut report).unwrap();
        assert_eq!(windows.product_name, "Windows Server 2019 Datacenter");
        assert_eq!(windows.edition, "ServerDatacenter");
        assert_eq!(windows.installation_type, "Server Core");
        assert_eq!((windows.build, windows.ubr), (17763, 2452));
        assert_eq!(windows.version.unwrap(), config);
        assert_eq!(windows.display_version, "1809");
        // The update layer wrote UBR: the fact comes from it.
        assert_eq!(windows.layer.as_deref(), Some("sha256:update"));
        assert_eq!(report, Report::default());
    }

    #[test]
    fn a_config_that_disagrees_is_a_warning_and_display_version_wins() {
        let mut registry = server_2019(2300);
        registry.set(
            CURRENT_VERSION,
            "DisplayVersion",
            RegData::String("21H2".into()),
            None,
        );
        let config = WindowsVersion::parse("10.0.17763.2452").unwrap();
        let mut report = Report::default();
        let windows = extract(&registry, Some(&config), &mut report).unwrap();
        assert_eq!(windows.display_version, "21H2");
        assert_eq!(report.warnings.len(), 1);
        assert_eq!(
            report.warnings[0].message,
            "the image config says os.version `10.0.17763.2452` but the registry says build 17763 revision 2300"
        );
    }

    #[test]
    fn older_releases_take_the_version_from_current_version() {
        let mut registry = MemoryRegistry::new();
        registry.set(
            CURRENT_VERSION,
            "CurrentVersion",
            RegData::String("6.3".into()),
            None,
        );
        registry.set(
            CURRENT_VERSION,
            "CurrentBuildNumber",
            RegData::String("9600".into()),
            None,
        );
        let windows = extract(&registry, None, &mut Report::default()).unwrap();
        assert_eq!(windows.version.unwrap().as_str(), "6.3.9600.0");
    }

    #[test]
    fn a_missing_key_or_bad_build_is_an_error_naming_it() {
        let err = extract(&MemoryRegistry::new(), None, &mut Report::default()).unwrap_err();
        assert_eq!(
            err.to_string(),
            r"registry key `SOFTWARE\Microsoft\Windows NT\CurrentVersion`: the key does not exist"
        );
        let mut registry = MemoryRegistry::new();
        registry.set(
            CURRENT_VERSION,
            "CurrentBuildNumber",
            RegData::String("x".into()),
            None,
        );
        let err = extract(&registry, None, &mut Report::default()).unwrap_err();
        assert!(
            err.to_string()
                .ends_with("`CurrentBuildNumber` `x` is not a build number"),
            "{err}"
        );
    }
}
