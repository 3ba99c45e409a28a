use winspect_inventory::{Inventory, WindowsVersion};

use super::*;
use crate::files::MemoryFiles;
use crate::pe::fixture::{VersionResource, pe_with_version};
use crate::registry::{MemoryRegistry, RegData};
use crate::test_support::{realdata, realdata_bytes, scancode_software};

const BASE: &str = "sha256:base";
const UPDATE: &str = "sha256:update";
const APP: &str = "sha256:app";

fn layer(name: &str) -> Option<String> {
    Some(name.to_owned())
}

/// A Server 2019 Core image with IIS and an ASP.NET app, as the hive and
/// image readers would present it: the base layer, its update layer, and
/// the application layer.
fn image() -> (MemoryRegistry, MemoryFiles) {
    let mut registry = scancode_software(BASE).unwrap_or_default();
    let current = r"SOFTWARE\Microsoft\Windows NT\CurrentVersion";
    for (name, value) in [
        ("ProductName", "Windows Server 2019 Datacenter"),
        ("EditionID", "ServerDatacenter"),
        ("InstallationType", "Server Core"),
        ("CurrentBuildNumber", "17763"),
        ("ReleaseId", "1809"),
    ] {
        registry.set(current, name, RegData::String(value.into()), layer(BASE));
    }
    registry.set(
        current,
        "CurrentMajorVersionNumber",
        RegData::Dword(10),
        layer(BASE),
    );
    registry.set(
        current,
        "CurrentMinorVersionNumber",
        RegData::Dword(0),
        layer(BASE),
    );
    registry.set(current, "UBR", RegData::Dword(2452), layer(UPDATE));
    registry.set(
        r"SOFTWARE\Microsoft\Windows\CurrentVersion\Component Based Servicing\Packages\Package_for_RollupFix~31bf3856ad364e35~amd64~~17763.2452.1.5",
        "CurrentState",
        RegData::Dword(0x70),
        layer(UPDATE),
    );
    registry.set(
        r"SOFTWARE\Microsoft\NET Framework Setup\NDP\v4\Full",
        "Release",
        RegData::Dword(528_049),
        layer(BASE),
    );
    registry.set(
        r"SOFTWARE\Microsoft\InetStp",
        "MajorVersion",
        RegData::Dword(10),
        layer(APP),
    );
    registry.set(
        r"SOFTWARE\Microsoft\InetStp",
        "MinorVersion",
        RegData::Dword(0),
        layer(APP),
    );
    registry.set(
        r"SOFTWARE\Microsoft\PowerShell\3\PowerShellEngine",
        "PowerShellVersion",
        RegData::String("5.1.17763.1".into()),
        layer(BASE),
    );
    registry.set(r"SYSTEM\Select", "Current", RegData::Dword(1), layer(BASE));
    let services = r"SYSTEM\ControlSet001\Services";
    registry.set(
        &format!(r"{services}\W3SVC"),
        "Type",
        RegData::Dword(0x20),
        layer(APP),
    );
    registry.set(
        &format!(r"{services}\W3SVC"),
        "Start",
        RegData::Dword(2),
        layer(APP),
    );
    registry.set(
        r"SYSTEM\ControlSet001\Control\SecurityProviders\SCHANNEL\Protocols\TLS 1.0\Server",
        "Enabled",
        RegData::Dword(0),
        layer(APP),
    );
    registry.set(
        r"SYSTEM\ControlSet001\Control\Lsa",
        "LmCompatibilityLevel",
        RegData::Dword(5),
        layer(BASE),
    );

    let mut files = MemoryFiles::new();
    let clr = pe_with_version(Some(&VersionResource {
        file_version: [4, 8, 3761, 0],
        product_version: [4, 8, 3761, 0],
        strings: vec![
            ("CompanyName".into(), "Microsoft Corporation".into()),
            ("ProductName".into(), "Microsoft® .NET Framework".into()),
            ("ProductVersion".into(), "4.8.3761.0".into()),
        ],
    }));
    files.add(
        "Windows/Microsoft.NET/Framework64/v4.0.30319/clr.dll",
        clr,
        layer(UPDATE),
    );
    files.add_listed("Windows/System32/kernel32.dll", 770_136, "ff", layer(BASE));
    let app_host = realdata("iis-redhatse-container/applicationHost.config").unwrap_or_else(|| {
        r#"<configuration><system.applicationHost><sites><site name="Default Web Site" id="1"><application path="/"><virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" /></application></site></sites></system.applicationHost></configuration>"#.to_owned()
    });
    files.add(
        "Windows/System32/inetsrv/config/applicationHost.config",
        app_host.into_bytes(),
        layer(APP),
    );
    files.add(
        "inetpub/wwwroot/Web.config",
        br#"<configuration><system.web><compilation debug="true" targetFramework="4.8"/></system.web></configuration>"#.to_vec(),
        layer(APP),
    );
    files.add(
        "inetpub/wwwroot/bin/App.deps.json",
        br#"{"libraries": {"App/1.0.0": {"type": "project"}, "Newtonsoft.Json/12.0.1": {"type": "package"}}}"#.to_vec(),
        layer(APP),
    );
    files.add_listed(
        "Program Files/dotnet/shared/Microsoft.NETCore.App/6.0.36/System.Private.CoreLib.dll",
        1,
        "00",
        layer(APP),
    );
    // A captured DLL that is not a PE: a gap in `files`, nothing else lost.
    files.add(
        "inetpub/wwwroot/bin/broken.dll",
        b"MZ not really".to_vec(),
        layer(APP),
    );
    (registry, files)
}

#[test]
fn fills_every_section_and_round_trips_through_the_schema() {
    let (registry, files) = image();
    let mut inventory = Inventory::default();
    inventory.image.os_version = Some(WindowsVersion::parse("10.0.17763.2452").unwrap());
    let warnings = extract(&registry, &files, &mut inventory);
    assert_eq!(warnings, []);

    assert_eq!(
        inventory.windows.version.as_ref().unwrap().as_str(),
        "10.0.17763.2452"
    );
    assert_eq!(inventory.windows.layer.as_deref(), Some(UPDATE));
    assert_eq!(inventory.updates.len(), 1);
    assert_eq!(inventory.updates[0].state, "installed");
    assert_eq!(
        inventory
            .dotnet
            .framework
            .version
            .as_ref()
            .unwrap()
            .as_str(),
        "4.8"
    );
    assert_eq!(
        inventory
            .dotnet
            .framework
            .patch_level
            .as_ref()
            .unwrap()
            .as_str(),
        "4.8.3761.0"
    );
    assert_eq!(inventory.dotnet.runtimes.len(), 1);
    assert_eq!(inventory.dotnet.packages.len(), 2);
    assert!(inventory.iis.installed);
    assert_eq!(inventory.iis.sites[0].name, "Default Web Site");
    assert_eq!(inventory.iis.web_configs.len(), 1);
    assert!(inventory.iis.web_configs[0].debug);
    assert_eq!(
        inventory
            .powershell
            .windows_powershell
            .as_ref()
            .unwrap()
            .as_str(),
        "5.1.17763.1"
    );
    assert_eq!(inventory.services[0].name, "W3SVC");
    assert_eq!(inventory.schannel.protocols[0].enabled, Some(false));
    assert_eq!(inventory.lsa.lm_compatibility_level, Some(5));
    assert!(!inventory.defender.installed);
    if realdata_bytes("scancode/SOFTWARE-registry-entries.json").is_some() {
        assert_eq!(inventory.programs.len(), 7);
    }
    let clr = inventory
        .files
        .iter()
        .find(|f| f.path.ends_with("clr.dll"))
        .unwrap();
    assert_eq!(clr.file_version.as_ref().unwrap().as_str(), "4.8.3761.0");
    assert_eq!(clr.product_name, "Microsoft® .NET Framework");
    assert_eq!(clr.company_name, "Microsoft Corporation");
    assert_eq!(clr.product_version, "4.8.3761.0");
    assert_eq!(inventory.files.len(), 7);

    // The one broken file is the one gap.
    assert!(inventory.completeness.partial);
    assert_eq!(inventory.completeness.gaps.len(), 1);
    assert_eq!(inventory.completeness.gaps[0].section, "files");
    assert!(
        inventory.completeness.gaps[0]
            .reason
            .starts_with("`inetpub/wwwroot/bin/broken.dll`: ")
    );

    let text = serde_json::to_string(&inventory).unwrap();
    assert_eq!(Inventory::from_json(&text).unwrap(), inventory);
}

#[test]
fn failing_extractors_become_gaps_and_the_rest_is_still_filled() {
    let (_, files) = image();
    let mut registry = MemoryRegistry::new();
    registry.set(
        r"SYSTEM\Select",
        "Current",
        RegData::String("one".into()),
        None,
    );
    let mut inventory = Inventory::default();
    inventory.image.os_version = Some(WindowsVersion::parse("10.0.17763.2452").unwrap());
    extract(&registry, &files, &mut inventory);
    let sections: Vec<_> = inventory
        .completeness
        .gaps
        .iter()
        .map(|g| g.section.as_str())
        .collect();
    assert_eq!(
        sections,
        [
            "windows", "services", "schannel", "lsa", "defender", "files"
        ]
    );
    assert_eq!(
        inventory.completeness.gaps[1].reason,
        r"registry key `SYSTEM\Select`: value `Current` is REG_SZ, expected a REG_DWORD"
    );
    // Without the registry, build and revision come from the config and
    // say so, so Windows advisories still match.
    assert_eq!(
        (inventory.windows.build, inventory.windows.ubr),
        (17763, 2452)
    );
    assert_eq!(inventory.windows.layer, None);
    // File-based sections do not need the registry.
    assert_eq!(inventory.iis.sites.len(), 1);
    assert_eq!(inventory.dotnet.packages.len(), 2);
}

#[test]
fn a_config_that_disagrees_with_the_registry_is_a_warning() {
    let (registry, files) = image();
    let mut inventory = Inventory::default();
    inventory.image.os_version = Some(WindowsVersion::parse("10.0.17763.2300").unwrap());
    let warnings = extract(&registry, &files, &mut inventory);
    assert_eq!(warnings.len(), 1);
    assert_eq!(warnings[0].section, "windows");
}
