//! The inventory of a Windows container image.
//!
//! This is the contract between the image side (sources, layers, hives,
//! extractors) and the rule side (the language, plugins, reports). It does no
//! IO. Every record carries `layer`: the digest of the image layer that
//! introduced the fact, so a finding can say which `RUN` line caused it.
//!
//! Every struct defaults every field, so a partial JSON document (as rule
//! tests write) deserializes to a whole inventory; unknown fields are errors,
//! so a typo in a hand-written inventory is caught rather than ignored.
//! Versions and dates are validated types ([`version`], [`date`]).

pub mod date;
pub mod version;

use schemars::JsonSchema;
use serde::{Deserialize, Serialize};

pub use date::{Date, DateError};
pub use version::{DotNetVersion, SemVersion, Version, VersionError, VersionKind, WindowsVersion};

/// The version of this inventory format. Bumped when a field changes meaning
/// or disappears; adding a field does not bump it.
pub const SCHEMA_VERSION: u32 = 1;

/// Digest of the layer that introduced a fact (`sha256:...`), when known.
pub type Layer = Option<String>;

/// Everything winspect knows about one image.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Inventory {
    /// Version of this format; see `winspect schema`.
    pub schema_version: u32,
    /// Whether every section could be read; a partial inventory says why.
    pub completeness: Completeness,
    pub image: Image,
    pub windows: Windows,
    /// Servicing packages and the KBs they install.
    pub updates: Vec<Update>,
    pub dotnet: DotNet,
    pub iis: Iis,
    pub powershell: PowerShell,
    /// Installed programs from the Uninstall keys (64- and 32-bit views).
    pub programs: Vec<Program>,
    pub services: Vec<Service>,
    pub schannel: Schannel,
    pub lsa: Lsa,
    pub defender: Defender,
    /// Registry values read for the rules that asked for them.
    pub registry: Vec<RegistryValue>,
    /// Files of the merged image view, relative to `C:\` with `/` separators.
    pub files: Vec<File>,
}

impl Default for Inventory {
    fn default() -> Self {
        Inventory {
            schema_version: SCHEMA_VERSION,
            completeness: Completeness::default(),
            image: Image::default(),
            windows: Windows::default(),
            updates: Vec::new(),
            dotnet: DotNet::default(),
            iis: Iis::default(),
            powershell: PowerShell::default(),
            programs: Vec::new(),
            services: Vec::new(),
            schannel: Schannel::default(),
            lsa: Lsa::default(),
            defender: Defender::default(),
            registry: Vec::new(),
            files: Vec::new(),
        }
    }
}

/// Whether the inventory is whole. Anything skipped (a foreign layer not
/// fetched, a hive that could not be read) makes it partial, with a gap each.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Completeness {
    /// True when any gap below exists.
    pub partial: bool,
    pub gaps: Vec<Gap>,
}

impl Completeness {
    /// Records a gap and marks the inventory partial.
    pub fn add_gap(&mut self, section: impl Into<String>, reason: impl Into<String>) {
        self.partial = true;
        self.gaps.push(Gap {
            section: section.into(),
            reason: reason.into(),
        });
    }
}

/// One thing the inventory could not read, and why.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Gap {
    /// The inventory section affected, e.g. `files` or `windows`.
    pub section: String,
    pub reason: String,
}

/// The image as its manifest and config describe it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Image {
    /// The reference the image was read from (registry reference or path).
    pub reference: String,
    /// Digest of the image manifest.
    pub digest: String,
    /// `os` from the config, `windows` for the images winspect reads.
    pub os: String,
    /// `os.version` from the config, e.g. 10.0.17763.2452.
    pub os_version: Option<WindowsVersion>,
    pub architecture: String,
    /// When the image was created, from the config.
    pub created: Option<Date>,
    /// Layers from the base up.
    pub layers: Vec<ImageLayer>,
    /// The user the container runs as (`ContainerUser`, `ContainerAdministrator`).
    pub user: String,
    pub env: Vec<EnvVar>,
    pub entrypoint: Vec<String>,
    pub cmd: Vec<String>,
    /// The `SHELL` the Dockerfile set, if any.
    pub shell: Vec<String>,
    pub working_dir: String,
    pub exposed_ports: Vec<ExposedPort>,
    pub labels: Vec<Label>,
}

/// One layer of the image.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ImageLayer {
    /// Digest of the layer blob as the manifest names it; facts cite this.
    pub digest: String,
    /// Digest of the uncompressed tar (`rootfs.diff_ids`).
    pub diff_id: String,
    pub media_type: String,
    /// Size of the blob in bytes.
    pub size: u64,
    /// The history entry that made the layer (the Dockerfile line).
    pub created_by: String,
    /// A foreign (non-distributable) layer, such as a Windows base layer.
    pub foreign: bool,
    /// False when the layer was skipped (foreign and not fetched).
    pub read: bool,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct EnvVar {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Label {
    pub name: String,
    pub value: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct ExposedPort {
    pub port: u16,
    /// `tcp` or `udp`.
    pub protocol: String,
}

/// The Windows release, from `SOFTWARE\Microsoft\Windows NT\CurrentVersion`
/// cross-checked with the config's `os.version`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Windows {
    /// `ProductName`, e.g. `Windows Server 2022 Datacenter`.
    pub product_name: String,
    /// `EditionID`, e.g. `ServerDatacenter`.
    pub edition: String,
    /// `InstallationType`: `Server Core`, `Nano Server`, `Server`, `Client`.
    pub installation_type: String,
    /// `CurrentBuildNumber`, e.g. 20348.
    pub build: u32,
    /// Update build revision (`UBR`), e.g. 2655.
    pub ubr: u32,
    /// The full version, `10.0.<build>.<ubr>`.
    pub version: Option<WindowsVersion>,
    /// `DisplayVersion` (or `ReleaseId` on older builds), e.g. `21H2`.
    pub display_version: String,
    pub layer: Layer,
}

/// A servicing package (Component Based Servicing) and the KB it belongs to.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Update {
    /// The KB article, e.g. `KB5009557`; empty for packages without one.
    pub kb: String,
    /// The CBS package identity.
    pub package: String,
    /// `CurrentState` by name: `installed`, `staged`, `superseded`, ...
    pub state: String,
    pub layer: Layer,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DotNet {
    pub framework: DotNetFramework,
    /// Shared runtimes under `Program Files\dotnet\shared`.
    pub runtimes: Vec<DotNetRuntime>,
    /// Packages, projects and runtime packs from every `*.deps.json`.
    pub packages: Vec<NuGetPackage>,
}

/// .NET Framework 4.x, from `NDP\v4\Full` and the CLR's file versions.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DotNetFramework {
    pub installed: bool,
    /// The `Release` DWORD, e.g. 528372.
    pub release: u32,
    /// The product version the release maps to, e.g. 4.8.
    pub version: Option<WindowsVersion>,
    /// File version of `clr.dll` (or `mscorlib.dll`): the patch level.
    pub patch_level: Option<WindowsVersion>,
    pub layer: Layer,
}

/// One shared runtime, e.g. `Microsoft.AspNetCore.App` 8.0.11.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct DotNetRuntime {
    /// `Microsoft.NETCore.App`, `Microsoft.AspNetCore.App` or `Microsoft.WindowsDesktop.App`.
    pub framework: String,
    pub version: Option<DotNetVersion>,
    pub path: String,
    pub layer: Layer,
}

/// A library an application was built with, from its `deps.json`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct NuGetPackage {
    pub name: String,
    pub version: Option<DotNetVersion>,
    /// `package`, `project`, `runtimepack` or `referenceassembly`.
    pub kind: String,
    /// The deps.json that lists it.
    pub deps_file: String,
    pub layer: Layer,
}

/// Internet Information Services.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Iis {
    pub installed: bool,
    /// From `InetStp` `MajorVersion`.`MinorVersion`, e.g. 10.0.
    pub version: Option<WindowsVersion>,
    pub sites: Vec<IisSite>,
    pub app_pools: Vec<IisAppPool>,
    pub global_modules: Vec<IisModule>,
    /// `web.config` files of the sites and applications.
    pub web_configs: Vec<WebConfig>,
    pub layer: Layer,
}

/// A site from `applicationHost.config`, with the settings that apply to it.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IisSite {
    pub name: String,
    pub id: u32,
    pub physical_path: String,
    pub app_pool: String,
    pub bindings: Vec<IisBinding>,
    pub applications: Vec<IisApplication>,
    /// `directoryBrowse enabled`.
    pub directory_browse: bool,
    pub anonymous_auth: bool,
    pub basic_auth: bool,
    pub windows_auth: bool,
    /// `httpErrors errorMode="Detailed"`: errors show details to remote clients.
    pub detailed_errors: bool,
    pub logging_enabled: bool,
    pub request_filtering: IisRequestFiltering,
    pub layer: Layer,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IisBinding {
    /// `http`, `https`, `net.tcp`, ...
    pub protocol: String,
    /// The raw `bindingInformation`, `ip:port:host`.
    pub information: String,
    pub ip: String,
    pub port: u16,
    pub host: String,
    /// `sslFlags`: 1 SNI, 2 central certificate store, ...
    pub ssl_flags: u32,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IisApplication {
    pub path: String,
    pub physical_path: String,
    pub app_pool: String,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IisRequestFiltering {
    pub allow_double_escaping: bool,
    pub allow_high_bit_characters: bool,
    pub max_allowed_content_length: u64,
    pub max_url: u64,
    pub max_query_string: u64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IisAppPool {
    pub name: String,
    /// `processModel identityType`: `ApplicationPoolIdentity`, `LocalSystem`, ...
    pub identity: String,
    /// `managedRuntimeVersion`: `v4.0`, `v2.0` or empty for no managed code.
    pub clr_version: String,
    /// `Integrated` or `Classic`.
    pub pipeline_mode: String,
    pub enable_32bit: bool,
    pub auto_start: bool,
    pub layer: Layer,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct IisModule {
    pub name: String,
    pub image: String,
    pub layer: Layer,
}

/// Settings from a `web.config`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct WebConfig {
    pub path: String,
    /// `compilation debug="true"`.
    pub debug: bool,
    /// `customErrors mode`: `On`, `Off` or `RemoteOnly` (empty when unset).
    pub custom_errors: String,
    /// `httpRuntime targetFramework`.
    pub target_framework: String,
    /// `httpRuntime enableVersionHeader` (true when unset, as ASP.NET does).
    pub version_header: bool,
    pub layer: Layer,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PowerShell {
    /// Windows PowerShell (`PowerShellEngine` `PowerShellVersion`), e.g. 5.1.17763.1.
    pub windows_powershell: Option<WindowsVersion>,
    /// PowerShell 7+ installations.
    pub installs: Vec<PowerShellInstall>,
    pub modules: Vec<PowerShellModule>,
    pub layer: Layer,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PowerShellInstall {
    pub version: Option<SemVersion>,
    pub path: String,
    pub layer: Layer,
}

/// A module, with `ModuleVersion` from its `.psd1` manifest.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct PowerShellModule {
    pub name: String,
    pub version: Option<WindowsVersion>,
    pub path: String,
    pub layer: Layer,
}

/// An installed program, from an Uninstall key.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Program {
    /// `DisplayName`.
    pub name: String,
    /// `DisplayVersion`, free text as the installer wrote it.
    pub version: String,
    pub publisher: String,
    pub install_date: Option<Date>,
    pub install_location: String,
    /// The Uninstall subkey name (a product code for MSI installs).
    pub key: String,
    /// `x64` or `x86` (from `WOW6432Node`).
    pub arch: String,
    pub layer: Layer,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Service {
    pub name: String,
    pub display_name: String,
    /// `boot`, `system`, `auto`, `manual` or `disabled`.
    pub start_type: String,
    pub image_path: String,
    /// `ObjectName`: the account the service runs as.
    pub account: String,
    pub layer: Layer,
}

/// SCHANNEL settings under `Control\SecurityProviders\SCHANNEL`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Schannel {
    pub protocols: Vec<SchannelProtocol>,
    pub ciphers: Vec<SchannelSetting>,
    pub hashes: Vec<SchannelSetting>,
    pub key_exchanges: Vec<SchannelSetting>,
}

/// A protocol key such as `TLS 1.0\Server`. Unset values mean the OS default.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SchannelProtocol {
    /// `SSL 2.0`, `SSL 3.0`, `TLS 1.0`, `TLS 1.1`, `TLS 1.2`, `TLS 1.3`.
    pub name: String,
    /// `Server` or `Client`.
    pub side: String,
    pub enabled: Option<bool>,
    pub disabled_by_default: Option<bool>,
    pub layer: Layer,
}

/// A cipher, hash or key exchange key with its `Enabled` value.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct SchannelSetting {
    pub name: String,
    pub enabled: Option<bool>,
    pub layer: Layer,
}

/// LSA and Credential Guard settings under `Control\Lsa` and `DeviceGuard`.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Lsa {
    /// `RunAsPPL`.
    pub run_as_ppl: Option<u32>,
    /// `LmCompatibilityLevel`.
    pub lm_compatibility_level: Option<u32>,
    /// `NoLMHash`.
    pub no_lm_hash: Option<bool>,
    /// `RestrictAnonymous`.
    pub restrict_anonymous: Option<u32>,
    /// `LimitBlankPasswordUse`.
    pub limit_blank_password_use: Option<bool>,
    /// `LsaCfgFlags` (Credential Guard: 1 with UEFI lock, 2 without).
    pub lsa_cfg_flags: Option<u32>,
    pub layer: Layer,
}

#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct Defender {
    /// Microsoft Defender is present in the image.
    pub installed: bool,
    pub layer: Layer,
}

/// A registry value of the merged registry.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct RegistryValue {
    /// The key, e.g. `HKLM\SOFTWARE\Microsoft\Windows NT\CurrentVersion`.
    pub path: String,
    /// The value name; empty for the default value.
    pub name: String,
    /// `REG_SZ`, `REG_DWORD`, ...
    pub kind: String,
    /// The data as text: strings as they are, numbers in decimal,
    /// multi-strings joined by newlines, binary in hex.
    pub data: String,
    /// The data as a number, for `REG_DWORD` and `REG_QWORD`.
    pub number: Option<u64>,
    pub layer: Layer,
}

/// A file of the merged image view.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize, JsonSchema)]
#[serde(default, deny_unknown_fields)]
pub struct File {
    /// Relative to `C:\`, with `/` separators, e.g. `Windows/System32/kernel32.dll`.
    pub path: String,
    pub size: u64,
    pub sha256: String,
    /// The PE version resource's fixed file version.
    pub file_version: Option<WindowsVersion>,
    /// The version resource's `ProductVersion` string, as written.
    pub product_version: String,
    pub product_name: String,
    pub company_name: String,
    pub layer: Layer,
}

/// Why an inventory document could not be read.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("{path}: {message}")]
    Invalid { path: String, message: String },
    #[error(
        "inventory schema_version {found} is newer than this winspect reads ({SCHEMA_VERSION})"
    )]
    TooNew { found: u32 },
}

impl Inventory {
    /// Reads an inventory from JSON text. Missing fields take their defaults;
    /// an unknown field, a wrong type or an invalid version is an error that
    /// names the field's path (`iis.sites[0].bindings[1].port`).
    pub fn from_json(text: &str) -> Result<Inventory, ReadError> {
        let value: serde_json::Value =
            serde_json::from_str(text).map_err(|e| ReadError::Invalid {
                path: format!("line {} column {}", e.line(), e.column()),
                message: e.to_string(),
            })?;
        Inventory::from_value(value)
    }

    /// As [`Inventory::from_json`], from a parsed JSON value.
    pub fn from_value(value: serde_json::Value) -> Result<Inventory, ReadError> {
        if let Some(found) = value.get("schema_version").and_then(|v| v.as_u64()) {
            let found = u32::try_from(found).unwrap_or(u32::MAX);
            if found > SCHEMA_VERSION {
                return Err(ReadError::TooNew { found });
            }
        }
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            ReadError::Invalid {
                path: if path == "." {
                    "inventory".to_owned()
                } else {
                    path
                },
                message: e.into_inner().to_string(),
            }
        })
    }

    /// The JSON Schema (draft 2020-12) of this format, as `winspect schema` prints it.
    pub fn json_schema() -> serde_json::Value {
        let schema = schemars::schema_for!(Inventory);
        schema.to_value()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_document_fills_in_defaults() {
        let inv = Inventory::from_json(
            r#"{"iis": {"installed": true, "sites": [{"name": "Default Web Site", "directory_browse": true}]}}"#,
        )
        .unwrap();
        assert_eq!(inv.schema_version, SCHEMA_VERSION);
        assert_eq!(inv.iis.sites[0].name, "Default Web Site");
        assert!(inv.iis.sites[0].directory_browse);
        assert!(!inv.iis.sites[0].basic_auth);
    }

    #[test]
    fn unknown_fields_and_bad_versions_are_errors_naming_the_problem() {
        let err = Inventory::from_json(r#"{"iis": {"sitez": []}}"#).unwrap_err();
        assert!(err.to_string().contains("sitez"), "{err}");
        let err =
            Inventory::from_json(r#"{"iis": {"sites": [{}, {"bindings": [{"port": "x"}]}]}}"#)
                .unwrap_err();
        assert!(
            err.to_string()
                .starts_with("iis.sites[1].bindings[0].port:"),
            "{err}"
        );
        let err = Inventory::from_json(r#"{"windows": {"version": "ten"}}"#).unwrap_err();
        assert!(err.to_string().contains("not a windows version"), "{err}");
        let err = Inventory::from_json(r#"{"schema_version": 99}"#).unwrap_err();
        assert!(matches!(err, ReadError::TooNew { found: 99 }), "{err}");
        let err = Inventory::from_json("{").unwrap_err();
        assert!(err.to_string().contains("line 1"), "{err}");
    }

    #[test]
    fn round_trips_through_json() {
        let mut inv = Inventory::default();
        inv.windows.version = Some(WindowsVersion::parse("10.0.17763.2452").unwrap());
        inv.files.push(File {
            path: "Windows/System32/kernel32.dll".into(),
            size: 1,
            sha256: "00".into(),
            layer: Some("sha256:ab".into()),
            ..File::default()
        });
        inv.completeness
            .add_gap("files", "layer sha256:cd is foreign and was not fetched");
        let text = serde_json::to_string(&inv).unwrap();
        assert_eq!(Inventory::from_json(&text).unwrap(), inv);
    }

    #[test]
    fn the_schema_marks_versions_and_dates_by_format() {
        let schema = Inventory::json_schema();
        let text = schema.to_string();
        assert!(text.contains("\"windows-version\""));
        assert!(text.contains("\"dotnet-version\""));
        assert!(text.contains("\"semver\""));
        assert!(text.contains("\"date\""));
        assert_eq!(schema["properties"]["schema_version"]["type"], "integer");
    }
}
