use proptest::prelude::*;

use super::fixture::{VersionResource, pe_with_version};
use super::*;
use crate::test_support::{realdata_bytes, realdata_dir};

/// What MANIFEST.md of the real data set states for each PE file: fixed
/// file and product versions, and some strings.
struct Expected {
    file: &'static str,
    fixed: Option<(&'static str, &'static str)>,
    strings: &'static [(&'static str, &'static str)],
}

const fn has(
    file: &'static str,
    fixed_file: &'static str,
    fixed_product: &'static str,
    strings: &'static [(&'static str, &'static str)],
) -> Expected {
    Expected {
        file,
        fixed: Some((fixed_file, fixed_product)),
        strings,
    }
}

const fn none(file: &'static str) -> Expected {
    Expected {
        file,
        fixed: None,
        strings: &[],
    }
}

const EXPECTED: &[Expected] = &[
    has(
        "saferwall-pe/kernel32.dll",
        "10.0.19041.1348",
        "10.0.19041.1348",
        &[("FileVersion", "10.0.19041.1348 (WinBuild.160101.0800)")],
    ),
    has(
        "saferwall-pe/KernelBase.dll",
        "10.0.20152.1000",
        "10.0.20152.1000",
        &[],
    ),
    has(
        "saferwall-pe/shimeng.dll",
        "10.0.17763.1",
        "10.0.17763.1",
        &[
            ("CompanyName", "Microsoft Corporation"),
            ("OriginalFilename", "Shim Engine DLL (IAT)"),
        ],
    ),
    has(
        "saferwall-pe/jobexec.dll",
        "5.0.0.1",
        "5.0.0.1",
        &[("FileVersion", "5.00.0000.1")],
    ),
    has(
        "saferwall-pe/msyuv.dll",
        "10.0.20152.1000",
        "10.0.20152.1000",
        &[],
    ),
    has(
        "saferwall-pe/mscorlib.dll",
        "5.0.20.51904",
        "5.0.0.0",
        &[
            ("FileVersion", "5.0.20.51904"),
            (
                "ProductVersion",
                "5.0.0+cf258a14b70ad9069470a108f13765e0e5988f51",
            ),
        ],
    ),
    has(
        "saferwall-pe/pwsh.exe",
        "7.3.4.500",
        "7.3.4.0",
        &[
            ("FileVersion", "7.3.4.500"),
            (
                "ProductVersion",
                "7.3.4 SHA: b59f05d5a1b2fceca231f75c53c203a02edf6203",
            ),
            ("OriginalFilename", "pwsh.dll"),
        ],
    ),
    has(
        "saferwall-pe/IEAdvpack.dll",
        "11.0.18362.1",
        "11.0.18362.1",
        &[("ProductVersion", "11.00.18362.1")],
    ),
    // The fixed and string file versions disagree in this file.
    has(
        "saferwall-pe/PSCRIPT5.DLL",
        "0.3.18362.145",
        "10.0.18362.145",
        &[("FileVersion", "10.0.18362.145 (WinBuild.160101.0800)")],
    ),
    has(
        "saferwall-pe/D2D1Debug2.dll",
        "6.3.9600.16384",
        "6.3.9600.16384",
        &[],
    ),
    has(
        "saferwall-pe/mfc40u.dll",
        "4.1.0.6140",
        "4.1.0.1",
        &[("FileVersion", "4.1.6140"), ("ProductVersion", "4.1.001")],
    ),
    has(
        "saferwall-pe/pspluginwkr.dll",
        "6.1.7600.16385",
        "6.1.7600.16385",
        &[],
    ),
    has(
        "saferwall-pe/SgrmEnclave_secure.dll",
        "10.0.18362.145",
        "10.0.18362.145",
        &[],
    ),
    has(
        "saferwall-pe/YourPhone.Exp.WinRT.dll",
        "1.24052.124.0",
        "1.24052.124.0",
        // The file itself holds this mojibake (UTF-8 read as Latin-1); pefile
        // reads the same characters.
        &[(
            "LegalCopyright",
            "Â© Microsoft Corporation.  All rights reserved.",
        )],
    ),
    has("saferwall-pe/acpi.sys", "10.0.18362.1", "10.0.18362.1", &[]),
    none("saferwall-pe/arp.dll"),
    none("saferwall-pe/impbyord.exe"),
    has(
        "goblin/has_res_full_version_and_manifest.exe.bin",
        "0.1.0.0",
        "0.1.0.0",
        &[("FileVersion", "GOBLIN-TEST-BIN-FILE-VERSION")],
    ),
    none("goblin/has_no_res.exe.bin"),
    has(
        "goblin/System.Xml.XDocument.dll",
        "4.8.3761.0",
        "4.8.3761.0",
        &[("CompanyName", "Mono development team")],
    ),
    has(
        "pelite/Demo.dll",
        "1.0.0.1",
        "1.0.0.1",
        &[
            ("CompanyName", "Umbrella Corporation"),
            ("ProductName", "AT1521"),
        ],
    ),
    has(
        "pelite/Demo64.dll",
        "1.0.0.1",
        "1.0.0.1",
        &[
            ("CompanyName", "Umbrella Corporation"),
            ("ProductName", "AT1521"),
        ],
    ),
    has(
        "iis-docker/ServiceMonitor.nanoserver-sac2016.exe",
        "1.1.0.1",
        "0.2.0.1",
        &[
            ("FileVersion", "1.1.0.1"),
            ("ProductVersion", "0.2.0.1"),
            ("OriginalFilename", "ServiceM.exe"),
        ],
    ),
    has(
        "iis-docker/ServiceMonitor.nanoserver.exe",
        "1.1.0.1",
        "0.2.0.1",
        &[("FileVersion", "1.1.0.1"), ("ProductVersion", "0.2.0.1")],
    ),
    has(
        "orb-e-consoleapp/ConsoleApp1.dll",
        "1.0.0.0",
        "1.0.0.0",
        &[("ProductVersion", "1.0.0")],
    ),
    has(
        "orb-e-consoleapp/ConsoleApp1.exe",
        "1.0.0.0",
        "1.0.0.0",
        &[
            ("FileVersion", "1.0.0.0"),
            ("ProductVersion", "1.0.0"),
            ("OriginalFilename", "ConsoleApp1.dll"),
        ],
    ),
];

#[test]
fn real_pe_files_give_the_versions_their_manifest_states() {
    let Some(dir) = realdata_dir() else {
        println!("skipped: real test data not found (set WINSPECT_REALDATA)");
        return;
    };
    for expected in EXPECTED {
        let bytes = std::fs::read(dir.join(expected.file)).unwrap();
        let info = read_version_info(expected.file, &bytes).unwrap_or_else(|e| panic!("{e}"));
        match (expected.fixed, info) {
            (None, None) => {}
            (None, Some(info)) => panic!("{}: unexpected version info {info:?}", expected.file),
            (Some(_), None) => panic!("{}: no version info", expected.file),
            (Some((file, product)), Some(info)) => {
                let shown = |v: &Option<WindowsVersion>| v.as_ref().map(|v| v.as_str().to_owned());
                assert_eq!(
                    shown(&info.file_version).as_deref(),
                    Some(file),
                    "{}",
                    expected.file
                );
                assert_eq!(
                    shown(&info.product_version).as_deref(),
                    Some(product),
                    "{}",
                    expected.file
                );
                for (key, value) in expected.strings {
                    assert_eq!(info.string(key), Some(*value), "{} {key}", expected.file);
                }
            }
        }
    }
}

#[test]
fn every_real_pe_file_is_in_the_expected_table() {
    let Some(dir) = realdata_dir() else {
        println!("skipped: real test data not found (set WINSPECT_REALDATA)");
        return;
    };
    let mut found = Vec::new();
    for folder in [
        "saferwall-pe",
        "goblin",
        "pelite",
        "iis-docker",
        "orb-e-consoleapp",
    ] {
        for entry in std::fs::read_dir(dir.join(folder)).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            let lower = name.to_lowercase();
            let is_pe = [".dll", ".exe", ".sys", ".exe.bin"]
                .iter()
                .any(|ext| lower.ends_with(ext));
            if is_pe && name != "malformed_resource_tree.exe.bin" {
                found.push(format!("{folder}/{name}"));
            }
        }
    }
    found.sort();
    let mut listed: Vec<String> = EXPECTED.iter().map(|e| e.file.to_owned()).collect();
    listed.sort();
    assert_eq!(found, listed);
}

#[test]
fn the_malformed_resource_tree_is_a_clear_error() {
    let Some(bytes) = realdata_bytes("goblin/malformed_resource_tree.exe.bin") else {
        return;
    };
    let err = read_version_info("malformed_resource_tree.exe.bin", &bytes).unwrap_err();
    let text = err.to_string();
    assert!(
        text.starts_with("`malformed_resource_tree.exe.bin`: "),
        "{text}"
    );
    assert!(text.contains("PE"), "{text}");
}

#[test]
fn files_that_are_not_pe_are_errors_naming_the_file() {
    let err = read_version_info("a.txt", b"hello").unwrap_err();
    assert!(
        err.to_string().starts_with("`a.txt`: not a PE file"),
        "{err}"
    );
    let err = read_version_info("e.bin", b"").unwrap_err();
    assert!(
        err.to_string().starts_with("`e.bin`: not a PE file"),
        "{err}"
    );
}

fn sample() -> VersionResource {
    VersionResource {
        file_version: [10, 0, 20348, 2655],
        product_version: [10, 0, 20348, 1],
        strings: vec![
            ("CompanyName".into(), "Microsoft Corporation".into()),
            (
                "FileVersion".into(),
                "10.0.20348.2655 (WinBuild.160101.0800)".into(),
            ),
            (
                "ProductName".into(),
                "Microsoft® Windows® Operating System".into(),
            ),
            ("ProductVersion".into(), "10.0.20348.2655".into()),
            ("OriginalFilename".into(), "clr.dll".into()),
            ("Comments".into(), String::new()),
        ],
    }
}

#[test]
fn the_fixture_writer_round_trips_through_our_reader() {
    let resource = sample();
    let info = read_version_info("fixture.dll", &pe_with_version(Some(&resource)))
        .unwrap()
        .unwrap();
    assert_eq!(info.file_version.unwrap().as_str(), "10.0.20348.2655");
    assert_eq!(info.product_version.unwrap().as_str(), "10.0.20348.1");
    assert_eq!(info.tables.len(), 1);
    assert_eq!(info.tables[0].key, "040904B0");
    assert_eq!(info.tables[0].strings, resource.strings);
    assert_eq!(
        read_version_info("bare.dll", &pe_with_version(None)).unwrap(),
        None
    );
}

#[test]
fn the_fixture_is_read_the_same_by_goblin() {
    let resource = sample();
    let bytes = pe_with_version(Some(&resource));
    let pe = goblin::pe::PE::parse(&bytes).unwrap();
    assert!(pe.is_64);
    let info = pe.resource_data.unwrap().version_info.unwrap();
    // goblin's own `file_version()` reads the file date fields, so compare
    // the raw fields.
    let fixed = info.fixed_info.unwrap();
    assert_eq!(fixed.file_version_ms, 10 << 16);
    assert_eq!(fixed.file_version_ls, (20348 << 16) | 2655);
    assert_eq!(fixed.product_version_ls, (20348 << 16) | 1);
    assert_eq!(
        info.string_info.product_name().as_deref(),
        Some("Microsoft® Windows® Operating System")
    );
    assert_eq!(
        info.string_info.file_version().as_deref(),
        Some("10.0.20348.2655 (WinBuild.160101.0800)")
    );
    assert_eq!(
        info.string_info.original_filename().as_deref(),
        Some("clr.dll")
    );
}

#[test]
fn the_fixture_is_read_the_same_by_python_pefile_when_installed() {
    let has_pefile = std::process::Command::new("python3")
        .args(["-c", "import pefile"])
        .output()
        .is_ok_and(|o| o.status.success());
    if !has_pefile {
        println!("skipped: python3 with pefile is not installed (pip install pefile)");
        return;
    }
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("fixture.dll");
    std::fs::write(&path, pe_with_version(Some(&sample()))).unwrap();
    let script = r#"
import json, sys, pefile
pe = pefile.PE(sys.argv[1])
f = pe.VS_FIXEDFILEINFO[0]
strings = {}
for info in pe.FileInfo[0]:
    if info.Key == b"StringFileInfo":
        for table in info.StringTable:
            for k, v in table.entries.items():
                strings[k.decode()] = v.decode()
print(json.dumps({"ms": f.FileVersionMS, "ls": f.FileVersionLS, "pms": f.ProductVersionMS,
                  "pls": f.ProductVersionLS, "strings": strings, "magic": pe.OPTIONAL_HEADER.Magic}))
"#;
    let output = std::process::Command::new("python3")
        .args(["-c", script])
        .arg(&path)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let seen: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(seen["magic"], 0x20B);
    assert_eq!(seen["ms"], 10 << 16);
    assert_eq!(seen["ls"], (20348 << 16) | 2655);
    assert_eq!(seen["pls"], (20348 << 16) | 1);
    assert_eq!(seen["strings"]["ProductVersion"], "10.0.20348.2655");
    assert_eq!(
        seen["strings"]["ProductName"],
        "Microsoft® Windows® Operating System"
    );
}

#[test]
fn a_damaged_version_block_is_an_error_naming_the_problem() {
    let mut resource = sample().to_bytes();
    // wLength of the root larger than the resource.
    resource[0] = 0xFF;
    resource[1] = 0xFF;
    let err = parse_version_info("x.dll", &resource)
        .unwrap_err()
        .to_string();
    assert!(
        err.starts_with("`x.dll`: damaged version resource: a block at offset 0"),
        "{err}"
    );
    let mut resource = sample().to_bytes();
    // Break the VS_FIXEDFILEINFO signature (after the 40-byte header and key).
    resource[40] ^= 0xFF;
    let err = parse_version_info("x.dll", &resource)
        .unwrap_err()
        .to_string();
    assert!(err.contains("signature"), "{err}");
}

/// Small real PEs to mutate, or our fixture when the data set is absent.
fn seeds() -> Vec<Vec<u8>> {
    let mut seeds = vec![pe_with_version(Some(&sample()))];
    if let Some(dir) = realdata_dir() {
        for file in [
            "saferwall-pe/shimeng.dll",
            "goblin/has_res_full_version_and_manifest.exe.bin",
            "goblin/System.Xml.XDocument.dll",
            "saferwall-pe/impbyord.exe",
        ] {
            seeds.push(std::fs::read(dir.join(file)).unwrap());
        }
    }
    seeds
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn mutated_pe_files_never_panic(
        seed in any::<prop::sample::Index>(),
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..24),
        cut in any::<prop::sample::Index>(),
        truncate in any::<bool>(),
    ) {
        let seeds = seeds();
        let mut bytes = crate::test_support::mutate(seed.get(&seeds).clone(), &edits);
        if truncate {
            bytes.truncate(cut.index(bytes.len()));
        }
        let _ = read_version_info("mutant.dll", &bytes);
    }

    #[test]
    fn mutated_version_blocks_never_panic(
        edits in prop::collection::vec((any::<prop::sample::Index>(), any::<u8>()), 1..16),
    ) {
        let bytes = crate::test_support::mutate(sample().to_bytes(), &edits);
        let _ = parse_version_info("mutant.dll", &bytes);
    }
}
