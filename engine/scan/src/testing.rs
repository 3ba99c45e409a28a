//! Test support (feature `test-support`): a small Windows image made with
//! the image crate's writers, the hive crate's writer and the PE fixture
//! writer, for this crate's tests and the command line's end-to-end tests.

use winspect_hive::LayerSemantics;
use winspect_hive::write::{HiveBuilder, HiveKind, KeySpec, ValueSpec};
use winspect_image::Compression;
use winspect_image::writer::{BuiltImage, ImageBuilder, LayerBuilder};
use winspect_windows::pe::fixture::{VersionResource, pe_with_version};

/// Why a fixture could not be built.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    #[error(transparent)]
    Image(#[from] winspect_image::Error),
    #[error(transparent)]
    Hive(#[from] winspect_hive::HiveError),
}

/// The key of the Windows release, below the `SOFTWARE` root.
pub const CURRENT_VERSION: &str = r"Microsoft\Windows NT\CurrentVersion";
/// The 64-bit programs' key, below the `SOFTWARE` root.
pub const UNINSTALL: &str = r"Microsoft\Windows\CurrentVersion\Uninstall";

fn hive(kind: HiveKind, root: KeySpec) -> Result<Vec<u8>, FixtureError> {
    Ok(HiveBuilder::new(kind, root).to_bytes()?)
}

/// A PE file whose version resource says `version`, `product` and `company`.
pub fn pe(version: [u16; 4], product: &str, company: &str) -> Vec<u8> {
    let text = format!(
        "{}.{}.{}.{}",
        version[0], version[1], version[2], version[3]
    );
    pe_with_version(Some(&VersionResource {
        file_version: version,
        product_version: version,
        strings: vec![
            ("CompanyName".into(), company.into()),
            ("ProductName".into(), product.into()),
            ("ProductVersion".into(), text),
        ],
    }))
}

/// The base layer's `SOFTWARE` hive: Server 2019 Core build 17763 revision
/// 1, an `OldTool` program, IIS 10 and Windows PowerShell 5.1.
pub fn software_hive() -> Result<Vec<u8>, FixtureError> {
    let mut root = KeySpec::new("ROOT");
    let cv = root.key_mut(CURRENT_VERSION);
    for (name, value) in [
        ("ProductName", "Windows Server 2019 Datacenter"),
        ("EditionID", "ServerDatacenter"),
        ("InstallationType", "Server Core"),
        ("CurrentBuildNumber", "17763"),
        ("CurrentBuild", "17763"),
        ("ReleaseId", "1809"),
    ] {
        cv.value(ValueSpec::string(name, value));
    }
    cv.value(ValueSpec::dword("CurrentMajorVersionNumber", 10))
        .value(ValueSpec::dword("CurrentMinorVersionNumber", 0))
        .value(ValueSpec::dword("UBR", 1));
    root.key_mut(&format!(r"{UNINSTALL}\OldTool"))
        .value(ValueSpec::string("DisplayName", "Old Tool"))
        .value(ValueSpec::string("DisplayVersion", "0.9"));
    root.key_mut(r"Microsoft\InetStp")
        .value(ValueSpec::dword("MajorVersion", 10))
        .value(ValueSpec::dword("MinorVersion", 0));
    root.key_mut(r"Microsoft\PowerShell\3\PowerShellEngine")
        .value(ValueSpec::string("PowerShellVersion", "5.1.17763.1"));
    hive(HiveKind::Base, root)
}

fn system_base() -> Result<Vec<u8>, FixtureError> {
    let mut root = KeySpec::new("ROOT");
    root.key_mut("Select")
        .value(ValueSpec::dword("Current", 1))
        .value(ValueSpec::dword("Default", 1));
    let schannel = r"ControlSet001\Control\SecurityProviders\SCHANNEL";
    root.key_mut(&format!(r"{schannel}\Protocols\TLS 1.0\Server"))
        .value(ValueSpec::dword("Enabled", 0))
        .value(ValueSpec::dword("DisabledByDefault", 1));
    root.key_mut(&format!(r"{schannel}\Ciphers\RC4 128/128"))
        .value(ValueSpec::dword("Enabled", 0));
    root.key_mut(r"ControlSet001\Control\Lsa")
        .value(ValueSpec::dword("LmCompatibilityLevel", 5));
    root.key_mut(r"ControlSet001\Services\W3SVC")
        .value(ValueSpec::dword("Type", 0x20))
        .value(ValueSpec::dword("Start", 2))
        .value(ValueSpec::expand_string(
            "ImagePath",
            r"%systemroot%\system32\svchost.exe -k iissvcs",
        ))
        .value(ValueSpec::string("ObjectName", "LocalSystem"));
    // A stale control set the current one must win over.
    root.key_mut(r"ControlSet002\Control\Lsa")
        .value(ValueSpec::dword("LmCompatibilityLevel", 1));
    hive(HiveKind::Base, root)
}

fn small_hive(key: &str) -> Result<Vec<u8>, FixtureError> {
    let mut root = KeySpec::new("ROOT");
    root.key_mut(key);
    hive(HiveKind::Base, root)
}

/// The update layer's delta: a higher UBR, the old tool's key tombstoned, a
/// program installed.
fn software_update_delta() -> Result<Vec<u8>, FixtureError> {
    let mut root = KeySpec::new("ROOT");
    root.key_mut(CURRENT_VERSION)
        .value(ValueSpec::dword("UBR", 5830));
    root.key_mut(&format!(r"{UNINSTALL}\OldTool"))
        .semantics(LayerSemantics::Tombstone);
    root.key_mut(&format!(
        r"{UNINSTALL}\{{0F2A6E8C-1D0B-4E2A-9C1B-7A3D5E6F8A90}}"
    ))
    .value(ValueSpec::string("DisplayName", "Contoso Agent"))
    .value(ValueSpec::string("DisplayVersion", "2.4.1"))
    .value(ValueSpec::string("Publisher", "Contoso Ltd."))
    .value(ValueSpec::string("InstallDate", "20240514"));
    hive(HiveKind::Delta, root)
}

const APP_HOST: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<configuration>
  <system.applicationHost>
    <applicationPools>
      <add name="DefaultAppPool" managedRuntimeVersion="v4.0" />
    </applicationPools>
    <sites>
      <site name="Default Web Site" id="1">
        <application path="/" applicationPool="DefaultAppPool">
          <virtualDirectory path="/" physicalPath="%SystemDrive%\inetpub\wwwroot" />
        </application>
        <bindings>
          <binding protocol="http" bindingInformation="*:80:" />
        </bindings>
      </site>
    </sites>
  </system.applicationHost>
  <system.webServer>
    <directoryBrowse enabled="true" />
  </system.webServer>
</configuration>
"#;

const DEPS_JSON: &str = r#"{
  "runtimeTarget": {"name": ".NETCoreApp,Version=v8.0"},
  "targets": {".NETCoreApp,Version=v8.0": {
    "App/1.0.0": {"dependencies": {"Newtonsoft.Json": "13.0.1"}},
    "Newtonsoft.Json/13.0.1": {"runtime": {"lib/net6.0/Newtonsoft.Json.dll": {}}}
  }},
  "libraries": {
    "App/1.0.0": {"type": "project", "serviceable": false, "sha512": ""},
    "Newtonsoft.Json/13.0.1": {"type": "package", "serviceable": true, "sha512": "sha512-x", "path": "newtonsoft.json/13.0.1"}
  }
}"#;

/// A three-layer Server 2019 Core image: the base (hives, kernel32, IIS
/// config), the cumulative update (a delta hive that raises the UBR to 5830,
/// tombstones `OldTool` and adds the `Contoso Agent` program, and a newer
/// kernel32), the application (a deps.json and its DLL). Layers are
/// uncompressed, so their digests are the same in every format.
pub fn sample_image() -> Result<BuiltImage, FixtureError> {
    let mut base = LayerBuilder::new().without_windows_records();
    base.file("Windows/System32/config/SOFTWARE", &software_hive()?)?
        .file("Windows/System32/config/SYSTEM", &system_base()?)?
        .file("Windows/System32/config/SAM", &small_hive("SAM")?)?
        .file("Windows/System32/config/SECURITY", &small_hive("Policy")?)?
        .file(
            "Windows/System32/config/DEFAULT",
            &small_hive("Control Panel")?,
        )?
        .file(
            "Windows/System32/kernel32.dll",
            &pe(
                [10, 0, 17763, 1],
                "Microsoft® Windows® Operating System",
                "Microsoft Corporation",
            ),
        )?
        .file(
            "Windows/System32/inetsrv/config/applicationHost.config",
            APP_HOST.as_bytes(),
        )?
        .file(
            "Windows/WinSxS/amd64_kernel32/kernel32.dll",
            b"not inspected",
        )?
        .file("License.txt", b"license")?;
    let mut update = LayerBuilder::new().without_windows_records();
    update
        .hive("Software_Delta", &software_update_delta()?)?
        .file(
            "Windows/System32/kernel32.dll",
            &pe(
                [10, 0, 17763, 5830],
                "Microsoft® Windows® Operating System",
                "Microsoft Corporation",
            ),
        )?;
    let mut app = LayerBuilder::new().without_windows_records();
    app.file("app/App.deps.json", DEPS_JSON.as_bytes())?.file(
        "app/App.dll",
        &pe([1, 2, 3, 0], "Contoso App", "Contoso Ltd."),
    )?;
    ImageBuilder::windows("10.0.17763.5830")
        .user("ContainerUser")
        .layer(
            base.finish()?,
            Compression::None,
            "Apply image 10.0.17763.1",
        )?
        .layer(
            update.finish()?,
            Compression::None,
            "Install update 10.0.17763.5830",
        )?
        .layer(app.finish()?, Compression::None, "COPY app C:/app")?
        .build()
        .map_err(FixtureError::from)
}
