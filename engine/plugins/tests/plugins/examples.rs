//! The example plugins of `wasm-plugins/`, as committed in `dist/`: they are
//! what their sources build to, and they work on real data.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use winspect_inventory::Version;
use winspect_inventory::{File, Inventory, WebConfig, WindowsVersion};
use winspect_plugins::{
    CallError, HostConfig, Plugin, PluginHost, Sections, Severity, TypedValue, ValueType,
};

use crate::host;

const PLUGINS: [&str; 2] = ["webconfig-audit", "banned-hashes"];
const EICAR: &[u8] = br"X5O!P%@AP[4\PZX54(P^)7CC)7}$EICAR-STANDARD-ANTIVIRUS-TEST-FILE!$H+H*";

fn wasm_plugins() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../wasm-plugins")
}

/// The sha256 `dist/SHA256SUMS` records for a plugin.
fn recorded_sha256(name: &str) -> String {
    let sums = std::fs::read_to_string(wasm_plugins().join("dist/SHA256SUMS")).unwrap();
    sums.lines()
        .find_map(|l| l.strip_suffix(&format!("  {name}.wasm")))
        .unwrap_or_else(|| panic!("{name} is not in dist/SHA256SUMS"))
        .to_owned()
}

/// Loads a committed plugin, pinned to the hash recorded beside it.
fn load(host: &PluginHost, name: &str) -> Plugin {
    let path = wasm_plugins().join(format!("dist/{name}.wasm"));
    host.load(&path, Some(&recorded_sha256(name))).unwrap()
}

fn realdata() -> Option<PathBuf> {
    let dir = std::env::var_os("WINSPECT_REALDATA")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from("/work/shared/realdata"));
    if dir.is_dir() {
        Some(dir)
    } else {
        println!(
            "real data not found at {} (set WINSPECT_REALDATA): skipping that part",
            dir.display()
        );
        None
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[test]
fn the_committed_plugins_are_what_the_sources_build_to() {
    let dist = wasm_plugins().join("dist");
    for name in PLUGINS {
        let bytes = std::fs::read(dist.join(format!("{name}.wasm"))).unwrap();
        assert_eq!(
            sha256_hex(&bytes),
            recorded_sha256(name),
            "dist/SHA256SUMS is stale for {name}"
        );
    }
    let installed = Command::new("rustup")
        .args(["target", "list", "--installed"])
        .output()
        .map(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .any(|l| l == "wasm32-unknown-unknown")
        })
        .unwrap_or(false);
    if !installed {
        println!(
            "the wasm32-unknown-unknown target is not installed: used the committed dist/ files without rebuilding them"
        );
        return;
    }
    let committed_toolchain = std::fs::read_to_string(dist.join("TOOLCHAIN")).unwrap();
    let toolchain = Command::new("rustc").arg("--version").output().unwrap();
    let toolchain = String::from_utf8_lossy(&toolchain.stdout);
    if toolchain.trim() != committed_toolchain.trim() {
        println!(
            "dist/ was built with `{}` but this is `{}`: used the committed files without comparing a rebuild",
            committed_toolchain.trim(),
            toolchain.trim()
        );
        return;
    }
    let work = tempfile::tempdir().unwrap();
    let out = work.path().join("dist");
    let build = Command::new("bash")
        .arg(wasm_plugins().join("build.sh"))
        .arg(&out)
        .env("CARGO_TARGET_DIR", work.path().join("target"))
        .output()
        .unwrap();
    assert!(
        build.status.success(),
        "wasm-plugins/build.sh failed:\n{}",
        String::from_utf8_lossy(&build.stderr)
    );
    for name in PLUGINS {
        let rebuilt = std::fs::read(out.join(format!("{name}.wasm"))).unwrap();
        let committed = std::fs::read(dist.join(format!("{name}.wasm"))).unwrap();
        assert!(
            rebuilt == committed,
            "dist/{name}.wasm differs from what its sources build to: run wasm-plugins/build.sh and commit"
        );
    }
}

fn file(path: &str, bytes: &[u8], layer: &str) -> File {
    File {
        path: path.to_owned(),
        size: bytes.len() as u64,
        sha256: sha256_hex(bytes),
        layer: Some(layer.to_owned()),
        ..File::default()
    }
}

/// Real Windows binaries from the real-data folder, as inventory records.
fn real_files() -> Vec<File> {
    let Some(dir) = realdata() else {
        return Vec::new();
    };
    let mut files = Vec::new();
    for sub in ["saferwall-pe", "iis-docker"] {
        let Ok(entries) = std::fs::read_dir(dir.join(sub)) else {
            println!("{sub}/ is missing from the real data: skipping it");
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            let bytes = std::fs::read(&path).unwrap();
            let name = path.file_name().unwrap().to_string_lossy();
            files.push(file(
                &format!("Windows/System32/{name}"),
                &bytes,
                "sha256:base",
            ));
        }
    }
    files
}

#[test]
fn banned_hashes_finds_the_blocklisted_file_among_real_ones() {
    let host = host(HostConfig::default());
    let plugin = load(&host, "banned-hashes");
    let m = plugin.manifest();
    assert_eq!(
        (m.name.as_str(), m.version.as_str()),
        ("banned-hashes", "1.0.0")
    );
    assert_eq!(m.sections, ["files"]);
    assert_eq!(
        m.function("banned_hashes").unwrap().result.to_string(),
        "list<string>"
    );

    let mut inventory = Inventory {
        files: real_files(),
        ..Inventory::default()
    };
    let clean = Sections::from_inventory(&inventory, ["files"]).unwrap();
    assert!(
        plugin.run_check(&clean).unwrap().is_empty(),
        "no real Microsoft binary is banned"
    );

    inventory
        .files
        .push(file("Users/Public/eicar.com", EICAR, "sha256:app"));
    let sections = Sections::from_inventory(&inventory, ["files"]).unwrap();
    let findings = plugin.run_check(&sections).unwrap();
    assert_eq!(findings.len(), 1, "{findings:?}");
    let f = &findings[0];
    assert_eq!(f.id, "BANNED-FILE");
    assert_eq!(f.severity, Severity::Medium);
    assert_eq!(f.subject.as_deref(), Some("Users/Public/eicar.com"));
    assert_eq!(f.layer.as_deref(), Some("sha256:app"));
    assert!(
        f.message
            .starts_with("`Users/Public/eicar.com` is the EICAR anti-virus test file"),
        "{}",
        f.message
    );

    let eicar = TypedValue::String(sha256_hex(EICAR));
    assert_eq!(
        plugin.call("is_banned", &[eicar]).unwrap(),
        TypedValue::Bool(true)
    );
    let other = TypedValue::String(sha256_hex(b"not banned"));
    assert_eq!(
        plugin.call("is_banned", &[other]).unwrap(),
        TypedValue::Bool(false)
    );
    let TypedValue::List(all) = plugin.call("banned_hashes", &[]).unwrap() else {
        panic!("not a list")
    };
    assert!(all.contains(&TypedValue::String(sha256_hex(EICAR))));
    assert!(all.contains(&TypedValue::String(
        "01aa278b07b58dc46c84bd0b1b5c8e9ee4e62ea0bf7a695862444af32e87f1fd".into()
    )));
}

/// Reads the attribute `name` of the first `<element ...>` in an XML text.
/// Enough to take the three settings the audit reads from real files; the
/// real extractor is the image reader's.
fn attribute(xml: &str, element: &str, name: &str) -> Option<String> {
    let start = xml.find(&format!("<{element} "))?;
    let tag = &xml[start..start + xml[start..].find('>')?];
    let at = tag.find(&format!(" {name}=\""))? + name.len() + 3;
    Some(tag[at..at + tag[at..].find('"')?].to_owned())
}

#[test]
fn webconfig_audit_reports_the_risky_settings_of_real_web_configs() {
    let host = host(HostConfig::default());
    let plugin = load(&host, "webconfig-audit");
    let mut inventory = Inventory::default();
    if let Some(dir) = realdata() {
        for name in [
            "samples_aspnetapp_aspnetapp_Web.config",
            "samples_wcfapp_WcfServiceWebApp_Web.config",
            "tests_aspnet-4.8_web.config",
        ] {
            let xml =
                std::fs::read_to_string(dir.join("dotnet-framework-docker").join(name)).unwrap();
            inventory.iis.web_configs.push(WebConfig {
                path: format!("inetpub/wwwroot/{name}"),
                debug: attribute(&xml, "compilation", "debug").as_deref() == Some("true"),
                custom_errors: attribute(&xml, "customErrors", "mode").unwrap_or_default(),
                target_framework: attribute(&xml, "httpRuntime", "targetFramework")
                    .unwrap_or_default(),
                version_header: attribute(&xml, "httpRuntime", "enableVersionHeader").as_deref()
                    != Some("false"),
                layer: Some("sha256:app".into()),
            });
        }
    }
    // A hardened configuration but for its custom errors, made here.
    inventory.iis.web_configs.push(WebConfig {
        path: "inetpub/admin/web.config".into(),
        custom_errors: "Off".into(),
        version_header: false,
        ..WebConfig::default()
    });
    let sections = Sections::from_inventory(&inventory, ["iis"]).unwrap();
    let findings = plugin.run_check(&sections).unwrap();
    let mut got: Vec<(String, String)> = findings
        .iter()
        .map(|f| (f.id.clone(), f.subject.clone().unwrap_or_default()))
        .collect();
    got.sort();
    let mut expected = vec![(
        "WEBCONFIG-CUSTOMERRORS-OFF".to_owned(),
        "inetpub/admin/web.config".to_owned(),
    )];
    if realdata().is_some() {
        // Microsoft's sample applications ship with debug compilation on,
        // and none of them turns the version header off.
        for (id, name) in [
            ("WEBCONFIG-DEBUG", "samples_aspnetapp_aspnetapp_Web.config"),
            (
                "WEBCONFIG-DEBUG",
                "samples_wcfapp_WcfServiceWebApp_Web.config",
            ),
            (
                "WEBCONFIG-VERSION-HEADER",
                "samples_aspnetapp_aspnetapp_Web.config",
            ),
            (
                "WEBCONFIG-VERSION-HEADER",
                "samples_wcfapp_WcfServiceWebApp_Web.config",
            ),
            ("WEBCONFIG-VERSION-HEADER", "tests_aspnet-4.8_web.config"),
        ] {
            expected.push((id.to_owned(), format!("inetpub/wwwroot/{name}")));
        }
    }
    expected.sort();
    assert_eq!(got, expected);

    let sig = plugin
        .manifest()
        .function("target_framework_version")
        .unwrap();
    assert_eq!(sig.result, ValueType::parse("windows-version").unwrap());
    let v = plugin
        .call(
            "target_framework_version",
            &[TypedValue::String("v4.7.2".into())],
        )
        .unwrap();
    assert_eq!(
        v,
        TypedValue::Version(Version::Windows(WindowsVersion::parse("4.7.2").unwrap()))
    );
    let err = plugin
        .call(
            "target_framework_version",
            &[TypedValue::String("net48".into())],
        )
        .unwrap_err();
    assert_eq!(
        err,
        CallError::Reported {
            plugin: "webconfig-audit".into(),
            message: "`net48` is not a .NET Framework version".into()
        }
    );
}

#[test]
fn a_hundred_concurrent_evaluations_share_one_compiled_plugin() {
    let host = host(HostConfig::default());
    let plugin = Arc::new(load(&host, "banned-hashes"));
    let rtcore = "01aa278b07b58dc46c84bd0b1b5c8e9ee4e62ea0bf7a695862444af32e87f1fd";
    let threads: Vec<_> = (0..100usize)
        .map(|i| {
            let plugin = Arc::clone(&plugin);
            std::thread::spawn(move || {
                // Evaluation i has i files, every third of them banned.
                let mut inventory = Inventory::default();
                for j in 0..i {
                    let mut f = file(
                        &format!("drivers/{i}-{j}.sys"),
                        format!("{i}/{j}").as_bytes(),
                        "sha256:l",
                    );
                    if j % 3 == 0 {
                        f.sha256 = rtcore.to_owned();
                    }
                    inventory.files.push(f);
                }
                let sections = Sections::from_inventory(&inventory, ["files"]).unwrap();
                let findings = plugin.run_check(&sections).unwrap();
                assert_eq!(findings.len(), i.div_ceil(3), "evaluation {i}");
                assert!(findings.iter().all(|f| {
                    f.severity == Severity::Critical
                        && f.subject
                            .as_deref()
                            .is_some_and(|s| s.starts_with(&format!("drivers/{i}-")))
                }));
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
}
