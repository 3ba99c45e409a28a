//! The capture request of a scan: what every layer must hand over while it
//! streams past.
//!
//! - the files the Windows extractors read ([`CAPTURE_RULES`], paths
//!   relative to `C:\`, so prefixed with `Files/` here), kept;
//! - the five machine hives and their transaction logs under
//!   `Windows/System32/config`, and each layer's `Hives/*_Delta`, kept;
//! - PE files (`*.dll`, `*.exe`, `*.sys`), inspected: a hook runs the PE
//!   reader on each and keeps only its version facts, so a System32 of
//!   100 000 files never sits in memory. Inspected are the PE files in the
//!   root of `C:\`, under `Windows/System32`, and under every other
//!   top-level folder but `Windows` (`Program Files`, `Program Files (x86)`,
//!   `inetpub`, `ProgramData`, application folders such as `C:\app`);
//!   `WinSxS`, `SysWOW64` and the rest of `Windows` hold copies and 32-bit
//!   twins of what System32 holds and are left out.

use serde::{Deserialize, Serialize};
use winspect_image::{CaptureRequest, Error};
use winspect_windows::CAPTURE_RULES;
use winspect_windows::pe::{self, VersionInfo};

const MIB: u64 = 1024 * 1024;

/// The rule that keeps the hives, their logs and the delta hives.
pub(crate) const HIVE_RULE: &str = "hives";
/// The rule that inspects PE files.
pub(crate) const PE_RULE: &str = "pe-version";
/// Rules made from [`CAPTURE_RULES`] are named `windows/<reader>/<index>`.
pub(crate) const WINDOWS_RULE_PREFIX: &str = "windows/";

/// The PE inspection hook's id. It is part of the image cache key: bump the
/// leading number whenever the facts it keeps, or what the PE reader makes
/// of a file, change. The package version is part of it too, so two
/// releases never share cached artifacts.
pub const PE_HOOK_ID: &str = concat!("pe-version/1/winspect-", env!("CARGO_PKG_VERSION"));

/// Default size limit of one inspected PE file. Larger ones are listed with
/// their hash, their version is not read, and the inventory says so.
pub const DEFAULT_MAX_PE_BYTES: u64 = 256 * MIB;

/// Size limit of one hive, transaction log or delta hive. Real `SOFTWARE`
/// hives of Server Core images are about 100 MiB.
pub const MAX_HIVE_BYTES: u64 = 512 * MIB;

/// The base hives, by file name under `Windows/System32/config`.
const HIVE_FILES: &str = "{SOFTWARE,SYSTEM,SAM,SECURITY,DEFAULT}";
const PE_EXTENSIONS: &str = "{dll,exe,sys}";

/// The capture request of a scan, with `max_pe_bytes` as the limit of one
/// inspected PE file.
pub fn capture_request(max_pe_bytes: u64) -> Result<CaptureRequest, Error> {
    let mut request = CaptureRequest::new();
    for (index, rule) in CAPTURE_RULES.iter().enumerate() {
        request = request.keep(
            &format!("{WINDOWS_RULE_PREFIX}{}/{index}", rule.reader),
            &[&format!("Files/{}", rule.pattern)],
            rule.max_size,
        )?;
    }
    let hives = [
        format!("Files/Windows/System32/config/{HIVE_FILES}"),
        format!("Files/Windows/System32/config/{HIVE_FILES}.{{LOG1,LOG2}}"),
        "Hives/{Software,System,Sam,Security,DefaultUser}_Delta".to_owned(),
    ];
    request = request.keep(HIVE_RULE, &as_strs(&hives), MAX_HIVE_BYTES)?;
    let pe = pe_patterns();
    request.inspect(PE_RULE, &as_strs(&pe), max_pe_bytes, PE_HOOK_ID, inspect_pe)
}

fn as_strs(patterns: &[String]) -> Vec<&str> {
    patterns.iter().map(String::as_str).collect()
}

/// Tar-path globs of the PE files to inspect (see the module docs).
pub(crate) fn pe_patterns() -> Vec<String> {
    let mut patterns = vec![
        format!("Files/*.{PE_EXTENSIONS}"),
        format!("Files/Windows/System32/**/*.{PE_EXTENSIONS}"),
    ];
    patterns.extend(
        names_other_than("Windows")
            .into_iter()
            .map(|top| format!("Files/{top}/**/*.{PE_EXTENSIONS}")),
    );
    patterns
}

/// Globs (case-insensitive) matching one path component that is any name but
/// `word`: globs cannot exclude, so this spells out every way a name can
/// differ from it — a different character at some position, a proper
/// prefix, or a longer name. `word` must hold no glob metacharacters.
fn names_other_than(word: &str) -> Vec<String> {
    let mut globs = Vec::new();
    for (at, differing) in word.char_indices() {
        let prefix = word.get(..at).unwrap_or_default();
        globs.push(format!("{prefix}[!{differing}]*"));
        if !prefix.is_empty() {
            globs.push(prefix.to_owned());
        }
    }
    globs.push(format!("{word}?*"));
    globs
}

/// What the PE hook keeps of a file: its version facts.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct PeFacts {
    /// `VS_FIXEDFILEINFO` file version, e.g. `10.0.17763.1`.
    pub file_version: Option<String>,
    /// The `ProductVersion` string, as written.
    pub product_version: String,
    pub product_name: String,
    pub company_name: String,
}

impl PeFacts {
    fn of(info: &VersionInfo) -> PeFacts {
        let text = |name: &str| info.string(name).unwrap_or_default().to_owned();
        PeFacts {
            file_version: info.file_version.as_ref().map(|v| v.as_str().to_owned()),
            product_version: text("ProductVersion"),
            product_name: text("ProductName"),
            company_name: text("CompanyName"),
        }
    }
}

/// The inspection hook: the version facts of a PE file as JSON, `null` for a
/// PE without a version resource, or why the file could not be read.
fn inspect_pe(path: &str, bytes: &[u8]) -> Result<serde_json::Value, String> {
    match pe::read_version_info(path, bytes) {
        Ok(Some(info)) => serde_json::to_value(PeFacts::of(&info)).map_err(|e| e.to_string()),
        Ok(None) => Ok(serde_json::Value::Null),
        Err(e) => Err(e.reason),
    }
}

/// Reads back what [`inspect_pe`] kept.
pub(crate) fn pe_facts(artifact: &serde_json::Value) -> Result<Option<PeFacts>, String> {
    if artifact.is_null() {
        return Ok(None);
    }
    serde_json::from_value(artifact.clone())
        .map(Some)
        .map_err(|e| format!("unreadable inspection result: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use winspect_windows::pe::fixture::{VersionResource, pe_with_version};

    /// Whether `path` matches any of `patterns` as the image crate matches
    /// capture globs (case-insensitive, `*` within one folder).
    fn glob_hit(patterns: &[String], path: &str) -> bool {
        patterns.iter().any(|p| {
            globset::GlobBuilder::new(p)
                .case_insensitive(true)
                .literal_separator(true)
                .backslash_escape(true)
                .build()
                .unwrap()
                .compile_matcher()
                .is_match(path)
        })
    }

    #[test]
    fn pe_files_are_inspected_everywhere_but_the_rest_of_windows() {
        let patterns = pe_patterns();
        for path in [
            "Files/ServiceMonitor.exe",
            "Files/Windows/System32/kernel32.dll",
            "Files/windows/system32/DRIVERS/acpi.SYS",
            "Files/Windows/System32/inetsrv/w3wp.exe",
            "Files/Program Files/dotnet/dotnet.exe",
            "Files/Program Files (x86)/App/a.dll",
            "Files/inetpub/wwwroot/bin/Site.dll",
            "Files/app/App.exe",
            "Files/W/a.dll",
            "Files/Win/a.dll",
            "Files/Windows.old/a.dll",
            "Files/WindowsApps/a.dll",
            "Files/Wxndows/a.dll",
            "Files/ProgramData/chocolatey/bin/choco.exe",
            "Files/Users/ContainerAdministrator/tool.exe",
        ] {
            assert!(glob_hit(&patterns, path), "{path}");
        }
        for path in [
            "Files/Windows/WinSxS/amd64_x/kernel32.dll",
            "Files/WINDOWS/SysWOW64/kernel32.dll",
            "Files/Windows/explorer.exe",
            "Files/Windows/System32/kernel32.dll.mui",
            "Files/Windows/System32/en-US/a.txt",
            "Hives/Software_Delta",
            "UtilityVM/Files/Windows/System32/kernel32.dll",
        ] {
            assert!(!glob_hit(&patterns, path), "{path}");
        }
    }

    #[test]
    fn names_other_than_a_word_match_every_other_name() {
        let globs = names_other_than("Windows");
        let component = |name: &str| {
            glob_hit(
                &globs.iter().map(|g| format!("{g}/x")).collect::<Vec<_>>(),
                &format!("{name}/x"),
            )
        };
        assert!(!component("Windows"));
        assert!(!component("WINDOWS"));
        assert!(!component("windows"));
        for name in [
            "W",
            "Windo",
            "Windowz",
            "Windowss",
            "app",
            "Program Files",
            "w1",
        ] {
            assert!(component(name), "{name}");
        }
    }

    #[test]
    fn the_hook_keeps_version_facts_only() {
        let bytes = pe_with_version(Some(&VersionResource {
            file_version: [10, 0, 17763, 5830],
            product_version: [10, 0, 17763, 5830],
            strings: vec![
                ("CompanyName".into(), "Microsoft Corporation".into()),
                ("ProductName".into(), "Microsoft Windows".into()),
                ("ProductVersion".into(), "10.0.17763.5830".into()),
            ],
        }));
        let artifact = inspect_pe("Files/Windows/System32/a.dll", &bytes).unwrap();
        let facts = pe_facts(&artifact).unwrap().unwrap();
        assert_eq!(facts.file_version.as_deref(), Some("10.0.17763.5830"));
        assert_eq!(facts.company_name, "Microsoft Corporation");
        assert_eq!(facts.product_name, "Microsoft Windows");
        assert_eq!(facts.product_version, "10.0.17763.5830");

        let bare = pe_with_version(None);
        assert_eq!(
            inspect_pe("Files/a.dll", &bare).unwrap(),
            serde_json::Value::Null
        );
        assert_eq!(pe_facts(&serde_json::Value::Null).unwrap(), None);

        let err = inspect_pe("Files/a.dll", b"MZ not really").unwrap_err();
        assert!(err.contains("not a PE file"), "{err}");
    }

    #[test]
    fn the_hook_id_is_versioned_and_part_of_the_fingerprint() {
        assert!(PE_HOOK_ID.starts_with("pe-version/1/winspect-"));
        let a = capture_request(DEFAULT_MAX_PE_BYTES).unwrap();
        let b = capture_request(DEFAULT_MAX_PE_BYTES).unwrap();
        let c = capture_request(DEFAULT_MAX_PE_BYTES / 2).unwrap();
        assert_eq!(a.fingerprint(), b.fingerprint());
        assert_ne!(a.fingerprint(), c.fingerprint());
    }
}
